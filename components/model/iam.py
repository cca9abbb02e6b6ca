"""IAM policy documents for MinIO, as pure functions with byte-stable JSON.

Access is expressed once as catalog grants (service, bucket, read|write); one function turns a grant and a
tenant into statements. A service's parent user holds its grants over every tenant (a constant document); each
tenant's access key is the same grants narrowed to that tenant (MinIO evaluates a service account as parent AND
embedded policy).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from components.catalog import Access, Grant, grants_of
from components.model.naming import sid, tenant_bucket_name, tenant_bucket_pattern, tenant_prefix

POLICY_VERSION = "2012-10-17"
# MinIO's limits at RELEASE.2024-12-18T13-15-44Z. An access key's embedded policy, as MinIO re-marshals it:
# cmd/iam.go `maxSVCSessionPolicySize`, checked in `NewServiceAccount` (errSessionPolicyTooLarge).
MAX_SERVICE_ACCOUNT_POLICY_BYTES = 4096
# A canned policy (IamPolicy) body: cmd/admin-handlers-users.go `AddCannedPolicy` refuses a Content-Length above
# `maxBucketPolicySize` = 20 KiB (cmd/bucket-policy-handlers.go).
MAX_CANNED_POLICY_BYTES = 20 * 1024

READ_OBJECT_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion")
WRITE_OBJECT_ACTIONS = (
    "s3:AbortMultipartUpload",
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:GetObjectTagging",
    "s3:GetObjectVersion",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
    # Tagging an upload as temporary (the lifecycle marker) needs this alongside PutObject.
    "s3:PutObjectTagging",
)
BUCKET_ACTIONS = ("s3:GetBucketLocation",)
LIST_ACTION = "s3:ListBucket"
KMS_KEY_ID_CONDITION = "s3:x-amz-server-side-encryption-aws-kms-key-id"
# The admin operations MinIO lets an account perform on its own account when no policy denies them: the handlers
# pass `DenyOnly` for self (cmd/admin-handlers-users.go `AddServiceAccount` via `commonAddServiceAccount`,
# `AddUser` (own password), `GetUserInfo`, `ListServiceAccounts`), and the update/remove of access keys besides.
# Up to RELEASE.2025-10-15T17-29-55Z (CVE-2025-62506, fixed by c1a49490 / #21642) the embedded policy of an access
# key was evaluated with that `DenyOnly` as well (cmd/iam.go `isAllowedBySessionPolicyForServiceAccount`): only a
# Deny binds there, so every key and every parent carries one. Each name is in `supportedAdminActions` of
# minio/pkg v3.0.23 (RELEASE.2024-12-18) and v3.1.3 (RELEASE.2025-10-15) `policy/admin-action.go`; an admin
# statement takes no Resource (`Statement.isValid` returns before the S3 resource checks; `IsAllowed` ignores
# resources for admin statements).
OWN_ACCOUNT_ADMIN_ACTIONS = (
    "admin:CreateServiceAccount",
    "admin:CreateUser",
    "admin:GetUser",
    "admin:ListServiceAccounts",
    "admin:RemoveServiceAccount",
    "admin:UpdateServiceAccount",
)
OWN_ACCOUNT_ADMIN_DENY_SID = "DenyOwnAccountAdmin"
# Uploads whose payload is an unsigned trailer stream: RELEASE.2025-10-15T17-29-55Z still skips their signature
# check when the credentials come in the query string (CVE-2026-41145) or on the Snowball path (CVE-2026-40344),
# with no community fix. `isPutActionAllowed` (cmd/auth-handler.go) judges IAM with the request headers as
# condition values (`getConditionValues`; minio/pkg `getValuesByKey` canonicalises the header name) before the
# reader runs, and `s3:x-amz-content-sha256` is one of minio/pkg's CommonKeys (valid for PutObject). botocore only
# sends this value over https (`httpchecksum.resolve_request_checksum_algorithm`); see README for the cost.
CONTENT_SHA256_CONDITION = "s3:x-amz-content-sha256"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"

Statement = dict[str, Any]
PolicyDocument = dict[str, Any]


def object_actions(access: Access) -> tuple[str, ...]:
    return WRITE_OBJECT_ACTIONS if access is Access.WRITE else READ_OBJECT_ACTIONS


def bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def objects_arn(bucket: str, prefix: str = "") -> str:
    return f"arn:aws:s3:::{bucket}/{prefix}*"


@dataclass(frozen=True)
class TenantPlacement:
    """Where a tenant's objects live: a prefix of the shared bucket, or a bucket of its own."""

    tenant_id: str
    dedicated_buckets: bool

    def bucket(self, catalog_bucket: str) -> str:
        return tenant_bucket_name(catalog_bucket, self.tenant_id) if self.dedicated_buckets else catalog_bucket

    def prefix(self) -> str:
        return "" if self.dedicated_buckets else tenant_prefix(self.tenant_id)

    def s3_url(self, catalog_bucket: str) -> str:
        return f"s3://{self.bucket(catalog_bucket)}/{self.prefix()}"


def tenant_grant_statements(grant: Grant, placement: TenantPlacement) -> list[Statement]:
    """The statements that give one tenant's credential one catalog grant, and nothing more."""
    bucket = placement.bucket(grant.bucket)
    prefix = placement.prefix()
    listing: Statement = {
        "Sid": sid("list", grant.bucket),
        "Effect": "Allow",
        "Action": [LIST_ACTION],
        "Resource": [bucket_arn(bucket)],
    }
    if prefix:
        # Both forms: `T/` lists the tenant's top level, `T/*` anything below; never `T*` (would match `T-other`).
        listing["Condition"] = {"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}}
    return [
        {
            "Sid": sid("locate", grant.bucket),
            "Effect": "Allow",
            "Action": list(BUCKET_ACTIONS),
            "Resource": [bucket_arn(bucket)],
        },
        listing,
        {
            "Sid": sid(grant.access.value, grant.bucket),
            "Effect": "Allow",
            "Action": list(object_actions(grant.access)),
            "Resource": [objects_arn(bucket, prefix)],
        },
    ]


def foreign_kms_key_deny(written_buckets: list[str], kms_key_ids: list[str]) -> Statement:
    """Deny writes that name a KMS key other than the tenant's.

    Only an explicit key id is judged: multipart parts carry no SSE header, so denying an absent key would
    break every multipart upload. Objects written without a header get the bucket's default key.
    """
    return {
        "Sid": "DenyForeignKmsKey",
        "Effect": "Deny",
        "Action": ["s3:PutObject"],
        "Resource": sorted(written_buckets),
        "Condition": {
            "Null": {KMS_KEY_ID_CONDITION: "false"},
            "StringNotEquals": {KMS_KEY_ID_CONDITION: sorted(kms_key_ids)},
        },
    }


def own_account_admin_deny() -> Statement:
    """No access key and no parent user manages keys or users, its own included: only the root credentials do."""
    return {"Sid": OWN_ACCOUNT_ADMIN_DENY_SID, "Effect": "Deny", "Action": list(OWN_ACCOUNT_ADMIN_ACTIONS)}


def unsigned_trailer_upload_deny() -> Statement:
    """No identity writes with an unsigned trailer: closes the unfixed trailer bypasses for every key of a parent."""
    return {
        "Sid": "DenyUnsignedTrailerUploads",
        "Effect": "Deny",
        "Action": ["s3:PutObject"],
        "Resource": ["arn:aws:s3:::*"],
        "Condition": {
            "Null": {CONTENT_SHA256_CONDITION: "false"},
            "StringEquals": {CONTENT_SHA256_CONDITION: [UNSIGNED_TRAILER]},
        },
    }


def kms_key_id_forms(key_name: str) -> list[str]:
    """MinIO accepts a key id bare or as an `arn:aws:kms:` ARN; a client may send either."""
    return [key_name, f"arn:aws:kms:{key_name}"]


def document(statements: list[Statement]) -> PolicyDocument:
    return {"Version": POLICY_VERSION, "Statement": sorted(statements, key=lambda s: s["Sid"])}


def service_account_policy(service_id: str, placement: TenantPlacement, kms_key_name: str) -> PolicyDocument:
    """The embedded policy of one tenant's access key for one service."""
    statements: list[Statement] = []
    written: list[str] = []
    for grant in grants_of(service_id):
        statements.extend(tenant_grant_statements(grant, placement))
        if grant.access is Access.WRITE:
            written.append(objects_arn(placement.bucket(grant.bucket), placement.prefix()))
    if written:
        statements.append(foreign_kms_key_deny(written, kms_key_id_forms(kms_key_name)))
    statements.append(own_account_admin_deny())
    return document(statements)


def service_parent_policy(service_id: str) -> PolicyDocument:
    """The parent user's policy: the service's grants over each shared bucket and its whole tenant-bucket family.

    The same document for any number of tenants: dedicated buckets are covered by `<bucket>-*`
    (`components.catalog.check_catalog` refuses a catalog where that pattern would cover another catalog bucket).
    A wildcard is safe here only because nobody holds the parent's own credentials and MinIO grants one of its
    access keys a request only if the parent's policy AND the key's embedded policy allow it
    (cmd/iam.go `IsAllowedServiceAccount` at RELEASE.2024-12-18T13-15-44Z: `isAllowedSP &&
    combinedPolicy.IsAllowed(parentArgs)`); every embedded policy names one tenant's buckets or prefix exactly.
    """
    statements: list[Statement] = []
    for grant in grants_of(service_id):
        buckets = [grant.bucket, tenant_bucket_pattern(grant.bucket)]
        statements.append(
            {
                "Sid": sid("locate", "and", "list", grant.bucket),
                "Effect": "Allow",
                "Action": sorted([LIST_ACTION, *BUCKET_ACTIONS]),
                "Resource": [bucket_arn(b) for b in buckets],
            }
        )
        statements.append(
            {
                "Sid": sid(grant.access.value, grant.bucket),
                "Effect": "Allow",
                "Action": list(object_actions(grant.access)),
                "Resource": [objects_arn(b) for b in buckets],
            }
        )
    statements.append(own_account_admin_deny())
    statements.append(unsigned_trailer_upload_deny())
    return document(statements)


class PolicyTooLargeError(ValueError):
    pass


def sized_policy_json(policy: PolicyDocument, limit: int, what: str) -> str:
    """The policy's JSON, refused here rather than by MinIO in the middle of `pulumi up` when it exceeds `limit`."""
    text = policy_json(policy)
    if len(text.encode()) > limit:
        raise PolicyTooLargeError(f"{what} is {len(text.encode())} bytes; MinIO accepts at most {limit}")
    return text


def parent_policy_json(service_id: str) -> str:
    return sized_policy_json(
        service_parent_policy(service_id), MAX_CANNED_POLICY_BYTES, f"the parent policy of {service_id}"
    )


def policy_json(policy: PolicyDocument) -> str:
    """Byte-stable JSON: pulumi-minio diffs policies as strings, so any reordering is a phantom change."""
    return json.dumps(policy, sort_keys=True, separators=(",", ":"))
