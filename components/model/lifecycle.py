"""Lifecycle (ILM) rules per bucket, pure.

MinIO keeps one lifecycle document per bucket, so every rule of a bucket is merged here into one list.
Temporary objects are marked with an object tag rather than a key prefix: one rule per bucket then serves
every tenant (a `<tenant>/tmp/` prefix rule per tenant would grow with the tenant count towards MinIO's
1000-rule limit), and the marker survives moving objects between prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.catalog import Bucket
from components.model.config import BucketOptions

TEMPORARY_TAG_KEY = "matih-lifecycle"
TEMPORARY_TAG_VALUE = "temporary"
# Rule ids, also read by the plan diff (tools/change_risks.py) to name the setting behind a rule.
EXPIRE_TEMPORARY_RULE = "expire-temporary-objects"
EXPIRE_OBJECTS_RULE = "expire-objects"
EXPIRE_NONCURRENT_RULE = "expire-noncurrent-versions"


@dataclass(frozen=True)
class LifecycleRule:
    id: str
    expiration_days: int | None = None
    noncurrent_version_expiration_days: int | None = None
    tags: tuple[tuple[str, str], ...] = ()

    def as_args(self) -> dict[str, object]:
        """Keyword arguments of pulumi_minio.IlmPolicyRuleArgs.

        No `status`: it is Computed-only in terraform-provider-minio v1.20.1, which refuses it as an input, and
        its create writes every rule with Status "Enabled" (minio/resource_minio_ilm_policy.go,
        minioCreateILMPolicy).
        """
        args: dict[str, object] = {"id": self.id}
        if self.expiration_days is not None:
            args["expiration"] = f"{self.expiration_days}d"
        if self.noncurrent_version_expiration_days is not None:
            args["noncurrent_version_expiration_days"] = self.noncurrent_version_expiration_days
        if self.tags:
            args["tags"] = dict(self.tags)
        return args


def bucket_lifecycle_rules(
    bucket: Bucket, options: BucketOptions, temporary_expiry_days: int
) -> tuple[LifecycleRule, ...]:
    """All lifecycle rules of one bucket (shared or a tenant's own copy of it)."""
    if bucket.table_format_managed:
        # Iceberg's snapshot expiry and orphan-file removal own every object here; ILM must not race them.
        return ()
    rules = [
        LifecycleRule(
            id=EXPIRE_TEMPORARY_RULE,
            expiration_days=temporary_expiry_days,
            tags=((TEMPORARY_TAG_KEY, TEMPORARY_TAG_VALUE),),
        )
    ]
    if options.expiry_days is not None:
        rules.append(LifecycleRule(id=EXPIRE_OBJECTS_RULE, expiration_days=options.expiry_days))
    if options.noncurrent_version_expiry_days is not None:
        rules.append(
            LifecycleRule(
                id=EXPIRE_NONCURRENT_RULE,
                noncurrent_version_expiration_days=options.noncurrent_version_expiry_days,
            )
        )
    return tuple(rules)
