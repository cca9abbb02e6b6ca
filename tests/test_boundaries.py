"""Both sides of every limit in the pure layer: the last value accepted and the first refused.

Each limit names where it comes from; the expected values are written out here, never read back from the code
under test, so a limit moved by one in the code fails a test.
"""

from __future__ import annotations

import pytest

from components.catalog import Bucket
from components.model import erasure, iam, lifecycle, offboarding
from components.model.config import BucketOptions, ConfigError, TenantSettings, load_settings
from components.model.figures import layout_figures
from tests.test_settings import problems_of, with_changes

TIB = 2**40


# --- erasure (MinIO cmd/endpoint-ellipses.go setSizes 2..16; internal/config/storageclass validateParity) ---


@pytest.mark.parametrize(("servers", "drives_per_server"), [(1, 2), (2, 1)])
def test_two_drives_are_the_smallest_pool(servers, drives_per_server):
    assert erasure.erasure_set_size(servers, drives_per_server) == 2
    figures = erasure.distributed_figures(servers, drives_per_server, 1, TIB, None, None)
    assert (figures.set_size, figures.standard_parity, figures.reduced_redundancy_parity) == (2, 1, 1)


def test_one_drive_is_refused_with_minios_reason():
    with pytest.raises(
        erasure.ErasureLayoutError, match=r"^1 drive\(s\) in a pool: distributed MinIO needs at least 2"
    ):
        erasure.erasure_set_size(1, 1)


def test_sixteen_drives_make_one_set_and_seventeen_none():
    assert erasure.erasure_set_size(1, 16) == 16
    with pytest.raises(erasure.ErasureLayoutError, match=r"^17 drives cannot be split into erasure sets of 2\.\.16"):
        erasure.erasure_set_size(1, 17)


def test_allowed_set_sizes_span_two_to_sixteen():
    assert erasure.allowed_set_sizes(32) == (2, 4, 8, 16)
    assert erasure.allowed_set_sizes(17) == ()
    assert erasure.allowed_set_sizes(2) == (2,)


def test_set_drive_count_must_be_one_of_the_divisors():
    assert erasure.erasure_set_size(1, 16, 16) == 16
    assert erasure.erasure_set_size(1, 16, 2) == 2
    with pytest.raises(
        erasure.ErasureLayoutError, match=r"^set drive count 3 does not divide 16 drives; allowed: 2, 4, 8, 16$"
    ):
        erasure.erasure_set_size(1, 16, 3)


def test_no_symmetric_set_size_is_refused():
    # 7 servers x 2 drives: 14 drives divide into 2, 7 and 14; only 7 and 14 are symmetric with 7 servers.
    assert erasure.erasure_set_size(7, 2) == 14
    # 10 servers x 11 drives: 110 drives divide into 2, 5, 10, 11; 11 is not symmetric with 10, 10 is.
    assert erasure.erasure_set_size(10, 11) == 10
    # 9 servers x 2 drives: 18 drives divide into 2, 3, 6, 9; none but 3 and 9 is symmetric with 9 servers.
    assert erasure.erasure_set_size(9, 2) == 9
    # 17 servers x 2 drives: 34 drives divide only into 2 and 17 -> 17 is too big, 2 does not divide 17 servers.
    with pytest.raises(erasure.ErasureLayoutError, match=r"^34 drives on 17 servers cannot be spread symmetrically"):
        erasure.erasure_set_size(17, 2)


def test_symmetry_with_more_servers_than_the_set():
    # 12 servers x 1 drive: one set of 12 (12 % 12 == 0).
    assert erasure.erasure_set_size(12, 1) == 12
    # 16 servers x 3 drives = 48: 16 (16 % 16 == 0) beats 12 (16 % 12 != 0).
    assert erasure.erasure_set_size(16, 3) == 16
    # 6 servers x 5 drives = 30: 10 and 15 divide 30 but are not multiples of 6; 6 itself is symmetric.
    assert erasure.erasure_set_size(6, 5) == 6


@pytest.mark.parametrize(
    ("set_size", "largest"),
    [(2, 1), (3, 1), (4, 2), (5, 2), (6, 3), (7, 3), (8, 4), (9, 4), (15, 7), (16, 8)],
)
def test_largest_parity_is_half_the_set_rounded_down(set_size, largest):
    # One server with set_size drives: a single set of exactly that size.
    accepted = erasure.distributed_figures(1, set_size, 1, TIB, largest, 0)
    assert accepted.standard_parity == largest
    assert erasure.parity_problems(set_size, largest, largest) == []
    with pytest.raises(erasure.ErasureLayoutError, match=rf"^standard parity EC:{largest + 1} exceeds half"):
        erasure.distributed_figures(1, set_size, 1, TIB, largest + 1, 0)
    assert erasure.parity_problems(set_size, 0, largest + 1) == [
        f"reduced-redundancy parity EC:{largest + 1} exceeds half the erasure set of {set_size} (max EC:{largest})"
    ]


def test_rrs_parity_equal_to_standard_is_accepted_and_one_above_refused():
    assert erasure.distributed_figures(1, 8, 1, TIB, 3, 3).reduced_redundancy_parity == 3
    assert erasure.parity_problems(8, 3, 4) == ["reduced-redundancy parity EC:4 is above standard parity EC:3"]


def test_rrs_above_standard_is_only_a_conflict_when_both_are_set():
    # validateParity compares the two only when both parities are above 0.
    assert erasure.parity_problems(8, 0, 2) == []
    assert erasure.parity_problems(8, 2, 0) == []


def test_rrs_default_follows_standard_parity():
    # We render both classes explicitly (chart_values); the RRS default is EC:1, or EC:0 under standard EC:0.
    assert erasure.distributed_figures(1, 8, 1, TIB, 0, None).reduced_redundancy_parity == 0
    assert erasure.distributed_figures(1, 8, 1, TIB, 1, None).reduced_redundancy_parity == 1
    assert erasure.distributed_figures(1, 8, 1, TIB, 4, None).reduced_redundancy_parity == 1
    assert erasure.distributed_figures(1, 8, 1, TIB, None, None).standard_parity == 4


@pytest.mark.parametrize(
    ("servers", "drives_per_server", "set_size", "worst"),
    [
        (3, 4, 4, 2),  # sets 0,1,2,0 | 1,2,0,1 | 2,0,1,2: one server holds 2 drives of each set
        (2, 3, 3, 2),  # sets 0,1,0 | 1,0,1
        (4, 4, 16, 4),  # even: 4 of 16
        (4, 2, 4, 1),  # sets 0,1,2,3 | 0,1,2,3
        (1, 4, 2, 2),  # one server holds everything
    ],
)
def test_uneven_server_shares_within_a_set(servers, drives_per_server, set_size, worst):
    assert erasure.drives_per_server_in_set(servers, drives_per_server, set_size) == worst


def test_server_loss_boundary_is_the_write_quorum():
    # 4 servers x 4 drives, EC:4: 12 drives remain, quorum 12 -> survives (last accepted).
    assert erasure.distributed_figures(4, 4, 1, TIB, 4, 1).survives_server_loss
    # EC:3: quorum 13 > 12 remaining -> lost (first refused).
    assert not erasure.distributed_figures(4, 4, 1, TIB, 3, 1).survives_server_loss
    # 2 servers x 4 drives, EC:4 (parity == data): quorum 5, 4 remain.
    assert not erasure.distributed_figures(2, 4, 1, TIB, 4, 1).survives_server_loss
    # 8 servers x 1 drive, EC:4: quorum 5, 7 remain; one server alone never survives its own loss.
    assert erasure.distributed_figures(8, 1, 1, TIB, 4, 1).survives_server_loss
    assert not erasure.distributed_figures(1, 16, 1, TIB, 8, 1).survives_server_loss


def test_write_quorum_adds_one_only_at_half_parity():
    assert erasure.write_quorum(8, 4) == 5
    assert erasure.write_quorum(8, 3) == 5
    assert erasure.write_quorum(8, 2) == 6
    assert erasure.write_quorum(2, 1) == 2


def test_default_parity_steps():
    assert [erasure.default_parity(n) for n in range(0, 18)] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]


def test_figures_output_of_an_odd_layout():
    # 3 servers x 3 drives = 9 drives: one set of 9, default EC:4 -> 5 data drives.
    figures = erasure.distributed_figures(3, 3, 2, 9 * TIB, None, None)
    assert figures.as_output() == {
        "mode": "distributed",
        "pools": 2,
        "totalDrives": 18,
        "erasureSetSize": 9,
        "erasureSetCount": 2,
        "standardParity": 4,
        "reducedRedundancyParity": 1,
        "dataDrivesPerSet": 5,
        "rawCapacityBytes": 162 * TIB,
        "usableCapacityBytes": 90 * TIB,
        "usableRatio": 0.5556,
        "driveFailuresToleratedPerSet": 4,
        "survivesServerLoss": True,
    }
    assert figures.pools[0] == erasure.PoolFigures(3, 3, 9, 9, 1, 3)


def test_standalone_figures_output():
    figures = erasure.standalone_figures(5 * TIB)
    assert figures.as_output() == {
        "mode": "standalone",
        "pools": 1,
        "totalDrives": 1,
        "erasureSetSize": 1,
        "erasureSetCount": 1,
        "standardParity": 0,
        "reducedRedundancyParity": 0,
        "dataDrivesPerSet": 1,
        "rawCapacityBytes": 5 * TIB,
        "usableCapacityBytes": 5 * TIB,
        "usableRatio": 1.0,
        "driveFailuresToleratedPerSet": 0,
        "survivesServerLoss": False,
    }


def test_more_servers_than_the_set_size_is_symmetric_when_the_set_divides_them():
    # 32 servers x 1 drive: 16 divides 32 servers -> sets of 16 (servers > set size: servers % set == 0).
    assert erasure.erasure_set_size(32, 1) == 16
    # 24 servers x 1 drive: 16 does not divide 24, 12 does.
    assert erasure.erasure_set_size(24, 1) == 12


def test_a_set_drive_count_reaches_the_figures():
    figures = erasure.distributed_figures(1, 16, 1, TIB, None, None, 8)
    assert (figures.set_size, figures.set_count, figures.standard_parity) == (8, 2, 4)


def test_every_parity_problem_is_reported_at_once():
    with pytest.raises(erasure.ErasureLayoutError) as refused:
        erasure.distributed_figures(1, 4, 1, TIB, 3, 4)
    assert str(refused.value) == (
        "standard parity EC:3 exceeds half the erasure set of 4 (max EC:2); "
        "reduced-redundancy parity EC:4 exceeds half the erasure set of 4 (max EC:2); "
        "reduced-redundancy parity EC:4 is above standard parity EC:3"
    )


def test_rrs_above_a_standard_parity_of_one_is_refused():
    assert erasure.parity_problems(8, 1, 1) == []
    assert erasure.parity_problems(8, 1, 2) == ["reduced-redundancy parity EC:2 is above standard parity EC:1"]


def test_capacities_and_counts_are_whole_numbers():
    # Stack outputs and previews show bytes and set counts: an int, never a float like 9.9e13.
    figures = erasure.distributed_figures(3, 3, 2, 9 * TIB, None, None)
    for value in (figures.usable_capacity_bytes, figures.raw_capacity_bytes, figures.pools[0].set_count):
        assert type(value) is int
    assert figures.drive_size_bytes == 9 * TIB


def test_standalone_is_one_pool_of_one_drive():
    figures = erasure.standalone_figures(5 * TIB)
    assert figures.pools == (erasure.PoolFigures(1, 1, 1, 1, 1, 1),)
    assert figures.drive_size_bytes == 5 * TIB
    assert erasure.standalone_figures(0).as_output()["usableRatio"] == 0


# --- settings (Kubernetes DNS-1123 label: k8s.io/apimachinery pkg/util/validation DNS1123LabelMaxLength = 63) ---


def namespace_of(length: int) -> str:
    return ("ns" + "a" * length)[:length]


def test_a_service_namespace_of_63_characters_is_accepted():
    config = with_changes("prod")
    config["services"] = {**config["services"], "trino": namespace_of(63)}
    assert load_settings(config, "prod").service_namespaces["trino"] == namespace_of(63)


def test_a_service_namespace_of_64_characters_is_refused_naming_key_value_and_limit():
    config = with_changes("prod")
    config["services"] = {**config["services"], "trino": namespace_of(64)}
    problems = problems_of(config)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f'matih-minio:services.trino: got "{namespace_of(64)}"; must be ')
    assert "at most 63 characters" in problems[0]


@pytest.mark.parametrize(("length", "accepted"), [(63, True), (64, False)])
def test_minio_namespace_length(length, accepted):
    namespace = namespace_of(length)
    config = with_changes("prod", namespace=namespace, minioEndpoint=f"minio.{namespace}.svc.cluster.local:9000")
    if accepted:
        assert load_settings(config, "prod").namespace == namespace_of(length)
    else:
        refused = [p for p in problems_of(config) if p.startswith("matih-minio:namespace: got ")]
        assert len(refused) == 1 and "at most 63 characters" in refused[0], refused


# --- iam (MinIO RELEASE.2024-12-18T13-15-44Z and RELEASE.2025-10-15T17-29-55Z) ---

# cmd/iam.go `maxSVCSessionPolicySize`: NewServiceAccount refuses `len(policyBuf) > 4096` (bytes).
MINIO_EMBEDDED_POLICY_LIMIT = 4096
# cmd/bucket-policy-handlers.go `maxBucketPolicySize` = 20 KiB, applied by AddCannedPolicy.
MINIO_CANNED_POLICY_LIMIT = 20 * 1024
WRITER_OBJECT_ACTIONS = [
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:GetObjectTagging",
    "s3:GetObjectVersion",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
    "s3:PutObjectTagging",
]


def statements_by_sid(document: dict) -> dict[str, dict]:
    return {statement["Sid"]: statement for statement in document["Statement"]}


def test_the_limits_are_minios():
    assert iam.MAX_SERVICE_ACCOUNT_POLICY_BYTES == MINIO_EMBEDDED_POLICY_LIMIT
    assert iam.MAX_CANNED_POLICY_BYTES == MINIO_CANNED_POLICY_LIMIT


def padded_policy(total_bytes: int, filler: str = "a") -> dict:
    """A policy document whose compact JSON is exactly total_bytes long (filler of 1 or 2 UTF-8 bytes)."""
    base = len(iam.policy_json({"Version": iam.POLICY_VERSION, "Statement": [], "Pad": ""}).encode())
    width = len(filler.encode())
    assert (total_bytes - base) % width == 0
    return {"Version": iam.POLICY_VERSION, "Statement": [], "Pad": filler * ((total_bytes - base) // width)}


def test_an_embedded_policy_of_4096_bytes_is_accepted_and_4097_refused():
    accepted = padded_policy(MINIO_EMBEDDED_POLICY_LIMIT)
    assert len(iam.sized_policy_json(accepted, iam.MAX_SERVICE_ACCOUNT_POLICY_BYTES, "a key").encode()) == 4096
    with pytest.raises(iam.PolicyTooLargeError, match=r"^a key is 4097 bytes; MinIO accepts at most 4096$"):
        iam.sized_policy_json(padded_policy(4097), iam.MAX_SERVICE_ACCOUNT_POLICY_BYTES, "a key")


def test_the_limit_counts_the_bytes_sent_and_non_ascii_is_sent_escaped():
    # policy_json escapes non-ASCII, so "é" is sent (and counted) as the 6 bytes of \u00e9.
    assert iam.policy_json({"Pad": "é"}) == '{"Pad":"\\u00e9"}'
    base = len(iam.policy_json({"Version": iam.POLICY_VERSION, "Statement": [], "Pad": ""}).encode())
    document = {"Version": iam.POLICY_VERSION, "Statement": [], "Pad": "é" * ((4096 - base) // 6 + 1)}
    with pytest.raises(iam.PolicyTooLargeError, match=r"bytes; MinIO accepts at most 4096$"):
        iam.sized_policy_json(document, 4096, "a key")


def test_writers_get_exactly_the_object_actions_they_need():
    document = iam.service_account_policy("spark", iam.TenantPlacement("acme", False), "tenant-acme")
    statements = statements_by_sid(document)
    assert statements["WriteLakehouse"] == {
        "Sid": "WriteLakehouse",
        "Effect": "Allow",
        "Action": WRITER_OBJECT_ACTIONS,
        "Resource": ["arn:aws:s3:::lakehouse/acme/*"],
    }
    assert statements["DenyForeignKmsKey"] == {
        "Sid": "DenyForeignKmsKey",
        "Effect": "Deny",
        "Action": ["s3:PutObject"],
        "Resource": ["arn:aws:s3:::lakehouse/acme/*"],
        "Condition": {
            "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
            "StringNotEquals": {
                "s3:x-amz-server-side-encryption-aws-kms-key-id": ["arn:aws:kms:tenant-acme", "tenant-acme"]
            },
        },
    }
    assert document["Version"] == "2012-10-17"


# Every key and parent first denies the own-account admin operations (issue 12; components/model/iam.py).
DENY_OWN_ACCOUNT_ADMIN = (
    '{"Action":["admin:CreateServiceAccount","admin:CreateUser","admin:GetUser","admin:ListServiceAccounts",'
    '"admin:RemoveServiceAccount","admin:UpdateServiceAccount"],"Effect":"Deny","Sid":"DenyOwnAccountAdmin"},'
)
# Every parent also refuses unsigned-trailer uploads.
DENY_UNSIGNED_TRAILER = (
    '{"Action":["s3:PutObject"],"Condition":{"Null":{"s3:x-amz-content-sha256":"false"},'
    '"StringEquals":{"s3:x-amz-content-sha256":["STREAMING-UNSIGNED-PAYLOAD-TRAILER"]}},"Effect":"Deny",'
    '"Resource":["arn:aws:s3:::*"],"Sid":"DenyUnsignedTrailerUploads"},'
)


def test_a_readers_key_in_prefix_mode():
    document = iam.service_account_policy("trino", iam.TenantPlacement("acme", False), "tenant-acme")
    assert iam.policy_json(document) == (
        '{"Statement":['
        + DENY_OWN_ACCOUNT_ADMIN
        + '{"Action":["s3:ListBucket"],"Condition":{"StringLike":{"s3:prefix":["acme/","acme/*"]}},"Effect":"Allow",'
        '"Resource":["arn:aws:s3:::lakehouse"],"Sid":"ListLakehouse"},'
        '{"Action":["s3:GetBucketLocation"],"Effect":"Allow","Resource":["arn:aws:s3:::lakehouse"],'
        '"Sid":"LocateLakehouse"},'
        '{"Action":["s3:GetObject","s3:GetObjectVersion"],"Effect":"Allow","Resource":["arn:aws:s3:::lakehouse/acme/*"],'
        '"Sid":"ReadLakehouse"}],"Version":"2012-10-17"}'
    )


def test_a_key_in_bucket_mode_names_the_tenants_bucket_without_prefix_condition():
    where = iam.TenantPlacement("acme", True)
    assert (where.bucket("lakehouse"), where.prefix(), where.s3_url("lakehouse")) == (
        "lakehouse-acme",
        "",
        "s3://lakehouse-acme/",
    )
    statements = statements_by_sid(iam.service_account_policy("trino", where, "tenant-acme"))
    assert statements["ListLakehouse"] == {
        "Sid": "ListLakehouse",
        "Effect": "Allow",
        "Action": ["s3:ListBucket"],
        "Resource": ["arn:aws:s3:::lakehouse-acme"],
    }
    assert statements["ReadLakehouse"]["Resource"] == ["arn:aws:s3:::lakehouse-acme/*"]
    prefix_mode = iam.TenantPlacement("acme", False)
    assert (prefix_mode.bucket("lakehouse"), prefix_mode.s3_url("lakehouse")) == ("lakehouse", "s3://lakehouse/acme/")


def test_a_parent_policy_covers_the_shared_bucket_and_its_tenant_buckets():
    assert iam.parent_policy_json("trino") == (
        '{"Statement":['
        + DENY_OWN_ACCOUNT_ADMIN
        + DENY_UNSIGNED_TRAILER
        + '{"Action":["s3:GetBucketLocation","s3:ListBucket"],"Effect":"Allow",'
        '"Resource":["arn:aws:s3:::lakehouse","arn:aws:s3:::lakehouse-*"],"Sid":"LocateAndListLakehouse"},'
        '{"Action":["s3:GetObject","s3:GetObjectVersion"],"Effect":"Allow",'
        '"Resource":["arn:aws:s3:::lakehouse/*","arn:aws:s3:::lakehouse-*/*"],"Sid":"ReadLakehouse"}],'
        '"Version":"2012-10-17"}'
    )
    spark = statements_by_sid(iam.service_parent_policy("spark"))
    assert spark["WriteLakehouse"]["Action"] == WRITER_OBJECT_ACTIONS


# --- lifecycle and offboarding (pure plans of ILM rules and retention) ---

PLAIN = Bucket("exports", "exports", ("pipeline-service",), ())
ICEBERG = Bucket("lakehouse", "tables", ("spark",), ("trino",), table_format_managed=True)


def test_every_bucket_but_iceberg_expires_temporary_objects_by_tag():
    (rule,) = lifecycle.bucket_lifecycle_rules(PLAIN, BucketOptions(), 7)
    assert rule.as_args() == {
        "id": "expire-temporary-objects",
        "expiration": "7d",
        "tags": {"matih-lifecycle": "temporary"},
    }
    assert lifecycle.bucket_lifecycle_rules(ICEBERG, BucketOptions(expiry_days=30), 7) == ()


def test_expiry_options_become_their_own_rules():
    rules = lifecycle.bucket_lifecycle_rules(PLAIN, BucketOptions(expiry_days=30, noncurrent_version_expiry_days=5), 1)
    assert [rule.as_args() for rule in rules] == [
        {"id": "expire-temporary-objects", "expiration": "1d", "tags": {"matih-lifecycle": "temporary"}},
        {"id": "expire-objects", "expiration": "30d"},
        {"id": "expire-noncurrent-versions", "noncurrent_version_expiration_days": 5},
    ]
    only_noncurrent = lifecycle.bucket_lifecycle_rules(PLAIN, BucketOptions(noncurrent_version_expiry_days=1), 2)
    assert [rule.id for rule in only_noncurrent] == ["expire-temporary-objects", "expire-noncurrent-versions"]


@pytest.fixture(scope="module")
def prod_settings():
    return load_settings(with_changes("prod"), "prod")


@pytest.fixture(scope="module")
def dev_settings():
    return load_settings(with_changes("dev"), "dev")


BUCKETS_OF_TENANT = ("exports", "lakehouse")


@pytest.mark.parametrize(
    ("state", "protect", "retain", "force", "access"),
    [
        ("active", True, True, False, True),
        ("offboarding", False, True, False, False),
        ("purge", False, False, True, False),
    ],
)
def test_dedicated_buckets_through_the_offboarding_states(prod_settings, state, protect, retain, force, access):
    assert prod_settings.protect
    tenant = TenantSettings("acme", "bucket", state=state)
    plan = offboarding.tenant_lifecycle(prod_settings, tenant, BUCKETS_OF_TENANT)
    assert plan.state == state and plan.grants_access is access
    assert plan.key == offboarding.Retention(protect=False, retain_on_delete=True)
    assert plan.buckets == {
        name: offboarding.Retention(protect=protect, retain_on_delete=retain, force_destroy=force)
        for name in ("exports-acme", "lakehouse-acme")
    }
    assert all(r.children_retain_on_delete for r in plan.buckets.values())


def test_an_unprotected_stack_never_protects_tenant_buckets(dev_settings):
    assert not dev_settings.protect
    plan = offboarding.tenant_lifecycle(dev_settings, TenantSettings("acme", "bucket"), BUCKETS_OF_TENANT)
    assert {r.protect for r in plan.buckets.values()} == {False}
    assert offboarding.tenant_lifecycle(dev_settings, TenantSettings("acme", "prefix"), BUCKETS_OF_TENANT).buckets == {}


def test_a_returning_tenant_adopts_its_key_and_buckets_by_id(prod_settings):
    plan = offboarding.tenant_lifecycle(prod_settings, TenantSettings("acme", "bucket", adopt=True), ("exports",))
    assert plan.key.import_id == "tenant-acme"
    assert plan.buckets["exports-acme"].import_id == "exports-acme"


def test_children_of_a_bucket_neither_retained_nor_destroyed_are_deleted():
    assert not offboarding.Retention(protect=True, retain_on_delete=False).children_retain_on_delete
    assert offboarding.Retention(protect=False, retain_on_delete=False, force_destroy=True).children_retain_on_delete


def test_platform_buckets_follow_the_stack(prod_settings, dev_settings):
    assert offboarding.platform_bucket_retention(prod_settings) == offboarding.Retention(True, False, False)
    assert offboarding.platform_bucket_retention(dev_settings) == offboarding.Retention(
        False, False, dev_settings.force_destroy_buckets
    )


def test_purge_steps_for_each_isolation(prod_settings, dev_settings):
    assert prod_settings.kms.per_tenant_keys and not dev_settings.kms.per_tenant_keys
    bucket_tenant = TenantSettings("acme", "bucket", state="purge")
    steps = offboarding.purge_steps(prod_settings, bucket_tenant, BUCKETS_OF_TENANT)
    # Versions and retention go first, so that the provider's RemoveBucket succeeds at once (issue 15 E).
    assert [step.split(" (")[0] for step in steps[:4]] == [
        "mc rm --recursive --force --versions --bypass <alias>/exports-acme",
        "mc rm --recursive --force --versions --bypass <alias>/lakehouse-acme",
        "mc ls --recursive --versions <alias>/exports-acme prints nothing",
        "mc ls --recursive --versions <alias>/lakehouse-acme prints nothing",
    ]
    assert steps[4].startswith("remove tenant 'acme' from matih-minio:tenants and run `pulumi up` ")
    assert steps[5:] == [
        "kes key rm tenant-acme (last: crypto-shreds every object still encrypted with it; "
        "objects a client wrote without naming the tenant key are under the platform key and stay readable)",
    ]
    prefix_tenant = TenantSettings("acme", "prefix", state="purge")
    assert offboarding.purge_steps(dev_settings, prefix_tenant, BUCKETS_OF_TENANT) == [
        "remove tenant 'acme' from matih-minio:tenants and run `pulumi up`",
        "mc rm --recursive --force --versions <alias>/exports/acme/",
        "mc rm --recursive --force --versions <alias>/lakehouse/acme/",
    ]


# --- every integer limit of the stack config: last accepted, first refused ---


def problems_or_none(config: dict, stack: str = "prod") -> list[str]:
    try:
        load_settings(config, stack)
    except ConfigError as refused:
        return refused.problems
    return []


def set_path(config: dict, path: str, value: object) -> dict:
    """A copy of config with the `a.b.c` entry set (the first part is a top-level key)."""
    top, *rest = path.split(".")
    result = dict(config)
    node = result[top] = dict(result.get(top) or {}) if rest else value
    for i, part in enumerate(rest):
        if i == len(rest) - 1:
            node[part] = value
        else:
            node[part] = dict(node.get(part) or {})
            node = node[part]
    return result


def rotation_tenant(value: int) -> dict:
    # At most 3 generations stay live (components/model/rotation.py MAX_LIVE_GENERATIONS): retire all but the current
    # two.
    return {"id": "acme", "isolation": "prefix", "keyRotation": value, "retireKeysThrough": max(value - 1, 0)}


INTEGER_LIMITS = [
    # (stack, config path, lowest, highest, fixed companions)
    ("prod", "topology.pools", 1, 64, {}),
    ("prod", "erasure.setDriveCount", 2, 16, {"erasure.standard": "EC:1", "erasure.reducedRedundancy": "EC:1"}),
    ("prod", "helmTimeoutSeconds", 60, 3600, {}),
    ("prod", "temporaryObjects.expiryDays", 1, 3650, {}),
    ("prod", "buckets.exports.expiryDays", 1, 36500, {}),
    ("prod", "buckets.exports.noncurrentVersionExpiryDays", 1, 36500, {"buckets.exports.versioning": True}),
    ("prod", "accessKeys.rotation", 0, 1_000_000, {}),
    ("prod", "rootCredentialsRotation", 0, 1_000_000, {}),
    ("dev", "api.nodePort", 30000, 32767, {}),
]


@pytest.mark.parametrize(("stack", "path", "lowest", "highest", "companions"), INTEGER_LIMITS)
def test_integer_limits_on_both_sides(stack, path, lowest, highest, companions):
    base = with_changes(stack)
    for key, value in companions.items():
        base = set_path(base, key, value)
    key = f"matih-minio:{path}"
    for value in (lowest, highest):
        # Only this key is judged: a nodePort also has to match the endpoint, a set size the drive count.
        assert not [p for p in problems_or_none(set_path(base, path, value), stack) if p.startswith(key + ":")], value
    for value in (lowest - 1, highest + 1):
        refused = [p for p in problems_or_none(set_path(base, path, value), stack) if p.startswith(key + ":")]
        assert refused == [f"{key}: got {value}; must be an integer from {lowest} to {highest}"], value


def test_layout_limits_on_both_sides():
    # 1024 servers x 1 drive and 1 server x 64 drives are layouts MinIO accepts (sets of 16).
    for topology in ({"serversPerPool": 1024, "drivesPerServer": 1}, {"serversPerPool": 1, "drivesPerServer": 64}):
        config = with_changes("prod", topology={"mode": "distributed", "pools": 1, **topology})
        assert layout_figures(load_settings(config, "prod")).set_size == 16
    for key, value, high in (("serversPerPool", 1025, 1024), ("drivesPerServer", 65, 64)):
        for bad in (0, value):
            topology = {"mode": "distributed", "serversPerPool": 4, "drivesPerServer": 4, key: bad}
            refused = [p for p in problems_of(with_changes("prod", topology=topology)) if f"topology.{key}:" in p]
            assert refused == [f"matih-minio:topology.{key}: got {bad}; must be an integer from 1 to {high}"]


def test_tenant_key_rotation_limits():
    for value in (0, 1_000_000):
        settings = load_settings(with_changes("prod", tenants=[rotation_tenant(value)]), "prod")
        assert settings.tenants[0].key_rotation == value
    for value in (-1, 1_000_001):
        tenant = {"id": "acme", "isolation": "prefix", "keyRotation": value}
        problems = problems_of(with_changes("prod", tenants=[tenant]))
        assert problems == [f"matih-minio:tenants[0].keyRotation: got {value}; must be an integer from 0 to 1000000"]


def test_a_resource_limit_equal_to_its_request_is_accepted_and_one_milli_below_refused():
    equal = {"requests": {"cpu": "4", "memory": "24Gi"}, "limits": {"cpu": "4000m", "memory": "24Gi"}}
    assert load_settings(with_changes("prod", resources=equal), "prod").resources.limits["cpu"] == "4000m"
    below = {"requests": {"cpu": "4", "memory": "24Gi"}, "limits": {"cpu": "3999m", "memory": "24Gi"}}
    assert problems_of(with_changes("prod", resources=below)) == [
        'matih-minio:resources.limits.cpu: got "3999m"; must be at least the request "4"'
    ]


@pytest.mark.parametrize("quantity", ["0", "0Gi", "-1"])
def test_a_quantity_must_be_above_zero(quantity):
    config = with_changes("prod")
    config["storage"] = {**config["storage"], "sizePerDrive": quantity}
    assert [p for p in problems_of(config) if "sizePerDrive" in p]
    resources = {"requests": {"cpu": quantity, "memory": "24Gi"}, "limits": {"cpu": "8", "memory": "32Gi"}}
    assert [p for p in problems_of(with_changes("prod", resources=resources)) if "requests.cpu" in p]


def test_the_smallest_quantities_are_accepted():
    config = with_changes("prod")
    config["storage"] = {**config["storage"], "sizePerDrive": "1"}
    config["resources"] = {"requests": {"cpu": "1m", "memory": "1"}, "limits": {"cpu": "1m", "memory": "1"}}
    settings = load_settings(config, "prod")
    assert settings.storage.size_per_drive_bytes == 1


@pytest.mark.parametrize(("count", "accepted"), [(1, True), (0, False), (2, False)])
@pytest.mark.parametrize("key", ["serversPerPool", "drivesPerServer", "pools"])
def test_standalone_counts_are_one_or_absent(key, count, accepted):
    config = with_changes("dev", topology={"mode": "standalone", key: count})
    if accepted:
        assert load_settings(config, "dev").topology.mode == "standalone"
    else:
        assert problems_of(config, "dev") == [
            f"matih-minio:topology.{key}: got {count}; must be 1 or absent in standalone mode (one server, one drive)"
        ]


LOCAL = {"kind": "local", "sizePerDrive": "20Gi", "hostPath": "/var/lib/matih/minio"}


@pytest.mark.parametrize(("nodes", "accepted"), [(4, True), (5, False), (3, False)])
def test_local_volumes_need_exactly_one_node_per_server(nodes, accepted):
    storage = {**LOCAL, "nodes": [f"node-{i}" for i in range(nodes)]}
    config = with_changes("prod", storage=storage)
    if accepted:
        assert load_settings(config, "prod").storage.nodes == tuple(f"node-{i}" for i in range(4))
    else:
        (problem,) = problems_of(config)
        assert problem.startswith(f"matih-minio:storage.nodes: got {nodes} node(s) for 4 MinIO server(s); ")


def test_distributed_needs_both_counts():
    problems = problems_of(with_changes("prod", topology={"mode": "distributed", "serversPerPool": 4}))
    assert problems == ["matih-minio:topology.drivesPerServer: missing; must be an integer >= 1 in distributed mode"]


# --- naming (tenant ids: 2..46 characters; S3 bucket names at most 63, MinIO cmd/object-api-utils.go) ---


def test_tenant_id_length_on_both_sides():
    from components.model import naming

    assert naming.tenant_id_problem("ab") is None
    assert naming.tenant_id_problem("a" * 46) is None
    assert naming.tenant_id_problem("a").endswith("; it has 1")
    assert naming.tenant_id_problem("a" * 47).endswith("; it has 47")
    assert naming.TENANT_ID_RULE.startswith("a lowercase DNS label of 2..46 characters")
    assert naming.tenant_id_problem("a-b") is None
    assert naming.tenant_id_problem("a--b").endswith(", without '--'")
    assert naming.tenant_id_problem(12) == naming.TENANT_ID_RULE
    assert naming.tenant_id_problem("-ab") == naming.TENANT_ID_RULE


def test_tenant_names():
    from components.model import naming

    assert naming.tenant_prefix("acme") == "acme/"
    assert naming.tenant_bucket_name("exports", "acme") == "exports-acme"
    assert naming.tenant_bucket_pattern("exports") == "exports-*"
    assert naming.tenant_kms_key_name("acme") == "tenant-acme"
    assert naming.service_parent_user("spark") == "matih-spark"
    assert naming.service_parent_policy_name("spark") == "matih-spark-all-tenants"
    assert naming.sid("read", "mlflow-artifacts") == "ReadMlflowArtifacts"
    assert naming.sid("write", "MLflow_2") == "WriteMLflow2"
    assert naming.fits_dns_label("a" * 63) and not naming.fits_dns_label("a" * 64)
