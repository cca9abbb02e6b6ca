"""Names derived from tenant ids, services and buckets.

A tenant id ends up in S3 prefixes, bucket names, Kubernetes Secret names, IAM policies and Pulumi resource
names, so it is held to the strictest of those rules here, once.
"""

from __future__ import annotations

import re

from components.catalog import BUCKET_NAMES

S3_BUCKET_NAME_MAX = 63
DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
# A namespace name is a DNS-1123 label, at most 63 characters; DNS_LABEL alone has no length cap
# (k8s.io/apimachinery pkg/util/validation/validation.go DNS1123LabelMaxLength, IsDNS1123Label).
DNS_LABEL_MAX = 63
NAMESPACE_RULE = f"a DNS-1123 label of at most {DNS_LABEL_MAX} characters (a-z, 0-9 and inner '-')"
# `<bucket>-<tenant>` must stay a valid S3 bucket name for the longest catalog bucket.
TENANT_ID_MAX = S3_BUCKET_NAME_MAX - 1 - max(len(name) for name in BUCKET_NAMES)
TENANT_ID_MIN = 2
TENANT_ID_RULE = (
    f"a lowercase DNS label of {TENANT_ID_MIN}..{TENANT_ID_MAX} characters: letters a-z, digits and inner "
    "hyphens (e.g. acme-corp)"
)


def tenant_id_problem(tenant_id: object) -> str | None:
    """What a tenant id must be (phrased to follow "must be"), or None when it is fine."""
    if not isinstance(tenant_id, str):
        return TENANT_ID_RULE
    if not TENANT_ID_MIN <= len(tenant_id) <= TENANT_ID_MAX:
        return f"{TENANT_ID_RULE}; it has {len(tenant_id)}"
    if not DNS_LABEL.match(tenant_id):
        return TENANT_ID_RULE
    if "--" in tenant_id:
        # S3 reserves `xn--`-style double hyphens in some positions; refusing them everywhere is simplest.
        return f"{TENANT_ID_RULE}, without '--'"
    return None


def fits_dns_label(name: str) -> bool:
    """Whether a name that matches DNS_LABEL is also short enough for one."""
    return len(name) <= DNS_LABEL_MAX


def tenant_prefix(tenant_id: str) -> str:
    """The object-key prefix of a tenant in a shared bucket. The trailing slash keeps `acme` out of `acme-corp`."""
    return f"{tenant_id}/"


def tenant_bucket_name(bucket: str, tenant_id: str) -> str:
    """The dedicated bucket of a tenant in `bucket` isolation mode."""
    return f"{bucket}-{tenant_id}"


def tenant_bucket_pattern(bucket: str) -> str:
    """Every tenant's dedicated copy of a catalog bucket, as an IAM resource pattern."""
    return tenant_bucket_name(bucket, "*")


# Tenant keys live in one namespace of KES key names; the platform's default key must stay outside it.
TENANT_KMS_KEY_PREFIX = "tenant-"


def tenant_kms_key_name(tenant_id: str) -> str:
    return f"{TENANT_KMS_KEY_PREFIX}{tenant_id}"


def service_parent_user(service_id: str) -> str:
    """The MinIO user that owns every tenant's access keys of one service (never handed out itself)."""
    return f"matih-{service_id}"


def service_parent_policy_name(service_id: str) -> str:
    return f"matih-{service_id}-all-tenants"


def identity_resource_names(prefix: str) -> tuple[str, str, str]:
    """Pulumi names of a MinIO identity's generated secret, canned policy and attachment
    (components/resources/minio_identity.py); the plan diff finds a parent's resources by them."""
    return f"{prefix}-secret", f"{prefix}-policy", f"{prefix}-policy-attachment"


def service_credentials_secret(service_id: str, tenant_id: str) -> str:
    # Services may share a namespace, so the service is part of the name.
    return f"minio-{service_id}-{tenant_id}"


def sid(*parts: str) -> str:
    """An IAM statement id from words: `("write", "pipeline-outputs")` -> `WritePipelineOutputs`."""
    words = [word for part in parts for word in re.split(r"[^A-Za-z0-9]+", part) if word]
    return "".join(word[:1].upper() + word[1:] for word in words)
