"""Buckets: the shared platform buckets, and the same declaration for a tenant's dedicated copies."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_minio as minio

from components import tokens
from components.catalog import BUCKETS, Bucket
from components.model.config import Settings, TenantContext
from components.model.lifecycle import bucket_lifecycle_rules
from components.model.offboarding import Retention, platform_bucket_retention


@dataclass(frozen=True)
class BucketSpec:
    """One MinIO bucket to declare: its name, the catalog entry it serves, its default key, quota and retention."""

    resource_name: str
    name: str
    catalog: Bucket
    kms_key: str | None
    retention: Retention
    quota_bytes: int | None = None


def declare_bucket(
    spec: BucketSpec,
    settings: TenantContext,
    parent: pulumi.Resource,
    provider: minio.Provider,
    *,
    depends_on: list[pulumi.Resource] | None = None,
) -> minio.S3Bucket:
    """A private bucket with default SSE-KMS, versioning and its one merged lifecycle policy."""
    options = settings.buckets[spec.catalog.name]
    retention = spec.retention
    child = pulumi.ResourceOptions(parent=parent, provider=provider)
    bucket = minio.S3Bucket(
        spec.resource_name,
        bucket=spec.name,
        acl="private",
        # A tenant's purge, or dev's platform buckets (forceDestroyBuckets): components/model/offboarding.py.
        # terraform-provider-minio v1.20.1 minioDeleteBucket empties a non-empty bucket, all versions, only when
        # force_destroy is true in the state; minioUpdateBucket applies only acl and quota, so turning it on is a
        # state-only update that a later destroy then uses.
        force_destroy=retention.force_destroy,
        object_locking=options.object_locking,
        quota=spec.quota_bytes,
        opts=pulumi.ResourceOptions.merge(
            child,
            pulumi.ResourceOptions(
                protect=retention.protect,
                # A tenant's own buckets outlive the tenant: Pulumi forgets, MinIO keeps
                # (components/model/offboarding.py).
                retain_on_delete=retention.retain_on_delete,
                import_=retention.import_id,
                depends_on=depends_on,
            ),
        ),
    )
    # Explicit, not inherited: deleting a retained bucket's encryption, versioning or lifecycle would change the
    # bucket MinIO keeps (components/model/offboarding.py). Children inherit protect from the bucket.
    on_bucket = pulumi.ResourceOptions.merge(
        child,
        pulumi.ResourceOptions(
            parent=bucket,
            retain_on_delete=True if retention.children_retain_on_delete else None,
            # Each of these takes the bucket name as its id (SetId(bucket) in terraform-provider-minio v1.20.1).
            import_=retention.import_id,
        ),
    )
    if spec.kms_key:
        minio.S3BucketServerSideEncryption(
            f"{spec.resource_name}-sse",
            bucket=bucket.bucket,
            encryption_type="aws:kms",
            kms_key_id=spec.kms_key,
            opts=on_bucket,
        )
    if options.versioning:
        minio.S3BucketVersioning(
            f"{spec.resource_name}-versioning",
            bucket=bucket.bucket,
            versioning_configuration=minio.S3BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=on_bucket,
        )
    rules = bucket_lifecycle_rules(spec.catalog, options, settings.temporary_object_expiry_days)
    if rules:
        minio.IlmPolicy(
            f"{spec.resource_name}-lifecycle",
            bucket=bucket.bucket,
            rules=[minio.IlmPolicyRuleArgs(**rule.as_args()) for rule in rules],  # type: ignore[arg-type]
            opts=on_bucket,
        )
    return bucket


@dataclass(frozen=True)
class PlatformBucketsArgs:
    settings: Settings
    provider: minio.Provider


class PlatformBuckets(pulumi.ComponentResource):
    """The catalog's shared buckets; tenants in prefix mode live under `<tenant>/` in each."""

    def __init__(self, name: str, args: PlatformBucketsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(tokens.PLATFORM_BUCKETS, name, None, opts)
        settings = args.settings
        # The server's default key (KES) or its only key (static) encrypts shared buckets by default.
        default_key = settings.kms.key_name or None
        self.buckets = {
            entry.name: declare_bucket(
                BucketSpec(entry.name, entry.name, entry, default_key, platform_bucket_retention(settings)),
                settings,
                self,
                args.provider,
            )
            for entry in BUCKETS
        }
        self.register_outputs({"buckets": sorted(self.buckets)})
