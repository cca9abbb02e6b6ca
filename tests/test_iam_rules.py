"""The IAM rules of components/model/iam.py, called directly (fast enough for `make mutate`; issue 18).

Expected documents are written from the rules, not from the code: MinIO evaluates a service account as its parent's
policy AND its embedded policy (cmd/iam.go `IsAllowedServiceAccount`, RELEASE.2024-12-18T13-15-44Z); a tenant's
prefix lists as `T/` and `T/*`; a write names only the tenant's KMS key, bare or as `arn:aws:kms:` ARN (MinIO
internal/crypto `ParseHTTP` strips that prefix).
"""

from __future__ import annotations

import json

import pytest

from components.catalog import Access, Grant
from components.model import iam

WRITE = Grant("spark", "lakehouse", Access.WRITE)
READ = Grant("trino", "exports", Access.READ)


def test_a_prefix_tenant_grant_is_locate_list_of_its_prefix_and_objects_below_it():
    assert iam.tenant_grant_statements(READ, iam.TenantPlacement("acme", dedicated_buckets=False)) == [
        {
            "Sid": "LocateExports",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation"],
            "Resource": ["arn:aws:s3:::exports"],
        },
        {
            "Sid": "ListExports",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": ["arn:aws:s3:::exports"],
            "Condition": {"StringLike": {"s3:prefix": ["acme/", "acme/*"]}},
        },
        {
            "Sid": "ReadExports",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": ["arn:aws:s3:::exports/acme/*"],
        },
    ]


def test_a_bucket_tenant_grant_covers_its_own_bucket_whole_and_lists_without_a_condition():
    statements = iam.tenant_grant_statements(WRITE, iam.TenantPlacement("acme", dedicated_buckets=True))
    assert [s["Resource"] for s in statements] == [
        ["arn:aws:s3:::lakehouse-acme"],
        ["arn:aws:s3:::lakehouse-acme"],
        ["arn:aws:s3:::lakehouse-acme/*"],
    ]
    assert all("Condition" not in s for s in statements)
    assert statements[2]["Sid"] == "WriteLakehouse"
    # Writers: object read/write, multipart, and tagging (the lifecycle's temporary-upload marker).
    assert statements[2]["Action"] == [
        "s3:AbortMultipartUpload",
        "s3:DeleteObject",
        "s3:GetObject",
        "s3:GetObjectTagging",
        "s3:GetObjectVersion",
        "s3:ListMultipartUploadParts",
        "s3:PutObject",
        "s3:PutObjectTagging",
    ]


def test_placements_name_buckets_prefixes_and_urls():
    shared = iam.TenantPlacement("acme", dedicated_buckets=False)
    own = iam.TenantPlacement("acme", dedicated_buckets=True)
    assert (shared.bucket("exports"), shared.prefix(), shared.s3_url("exports")) == (
        "exports",
        "acme/",
        "s3://exports/acme/",
    )
    assert (own.bucket("exports"), own.prefix(), own.s3_url("exports")) == ("exports-acme", "", "s3://exports-acme/")


def test_the_foreign_key_deny_judges_only_an_explicit_key_id():
    assert iam.foreign_kms_key_deny(["arn:aws:s3:::b/*", "arn:aws:s3:::a/*"], ["k2", "k1"]) == {
        "Sid": "DenyForeignKmsKey",
        "Effect": "Deny",
        "Action": ["s3:PutObject"],
        "Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"],
        "Condition": {
            "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
            "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": ["k1", "k2"]},
        },
    }
    assert iam.kms_key_id_forms("tenant-acme") == ["tenant-acme", "arn:aws:kms:tenant-acme"]


def test_the_unsigned_trailer_deny_covers_every_bucket():
    assert iam.unsigned_trailer_upload_deny() == {
        "Sid": "DenyUnsignedTrailerUploads",
        "Effect": "Deny",
        "Action": ["s3:PutObject"],
        "Resource": ["arn:aws:s3:::*"],
        "Condition": {
            "Null": {"s3:x-amz-content-sha256": "false"},
            "StringEquals": {"s3:x-amz-content-sha256": ["STREAMING-UNSIGNED-PAYLOAD-TRAILER"]},
        },
    }


def test_the_own_account_admin_deny_takes_no_resource():
    deny = iam.own_account_admin_deny()
    assert deny == {
        "Sid": "DenyOwnAccountAdmin",
        "Effect": "Deny",
        "Action": [
            "admin:CreateServiceAccount",
            "admin:CreateUser",
            "admin:GetUser",
            "admin:ListServiceAccounts",
            "admin:RemoveServiceAccount",
            "admin:UpdateServiceAccount",
        ],
    }


def test_a_documents_statements_are_sorted_by_sid():
    expected = {"Version": "2012-10-17", "Statement": [{"Sid": "A"}, {"Sid": "B"}]}
    assert iam.document([{"Sid": "B"}, {"Sid": "A"}]) == expected


def test_a_parent_policy_covers_each_shared_bucket_and_its_tenant_family_and_denies_trailers():
    policy = iam.service_parent_policy("trino")
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert set(by_sid) >= {"DenyOwnAccountAdmin", "DenyUnsignedTrailerUploads"}
    locate = [s for sid, s in by_sid.items() if sid.startswith("LocateAndList")]
    assert locate, by_sid
    for statement in locate:
        assert statement["Effect"] == "Allow"
        assert statement["Action"] == ["s3:GetBucketLocation", "s3:ListBucket"]
        bucket = statement["Resource"][0].removeprefix("arn:aws:s3:::")
        assert statement["Resource"] == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}-*"]
        (objects,) = [
            s
            for sid, s in by_sid.items()
            if sid in (statement["Sid"].replace("LocateAndList", v) for v in ("Read", "Write"))
        ]
        assert objects["Effect"] == "Allow"
        assert objects["Resource"] == [f"arn:aws:s3:::{bucket}/*", f"arn:aws:s3:::{bucket}-*/*"]


def test_a_key_policy_of_a_writer_denies_foreign_keys_on_what_it_writes():
    policy = iam.service_account_policy("spark", iam.TenantPlacement("acme", False), "tenant-acme")
    (deny,) = [s for s in policy["Statement"] if s["Sid"] == "DenyForeignKmsKey"]
    assert deny["Resource"] and all(r.endswith("/acme/*") for r in deny["Resource"])
    assert deny["Condition"]["StringNotEquals"] == {
        "s3:x-amz-server-side-encryption-aws-kms-key-id": ["arn:aws:kms:tenant-acme", "tenant-acme"]
    }
    assert policy["Statement"][-1]["Sid"] != "DenyUnsignedTrailerUploads"  # that Deny lives on the parent


def test_a_parent_policy_is_refused_above_the_canned_policy_limit_naming_the_service(monkeypatch):
    # cmd/bucket-policy-handlers.go maxBucketPolicySize = 20 KiB at RELEASE.2024-12-18T13-15-44Z.
    assert iam.MAX_CANNED_POLICY_BYTES == 20480
    text = iam.parent_policy_json("trino")
    assert json.loads(text) == iam.service_parent_policy("trino")
    monkeypatch.setattr(iam, "MAX_CANNED_POLICY_BYTES", len(text.encode()))
    assert iam.parent_policy_json("trino") == text  # exactly at the limit: accepted
    monkeypatch.setattr(iam, "MAX_CANNED_POLICY_BYTES", len(text.encode()) - 1)
    with pytest.raises(iam.PolicyTooLargeError, match=rf"^the parent policy of trino is {len(text.encode())} bytes"):
        iam.parent_policy_json("trino")
