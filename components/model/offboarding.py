"""A tenant's day-2 lifecycle as plain data: what is declared, and with which protection and retention.

States (`tenants[].state`):

- `active`: access keys and Secrets; the KMS key and dedicated buckets are kept on removal (retainOnDelete), the
  buckets also protected where the stack protects buckets.
- `offboarding`: access is revoked in this `up` (keys and Secrets are not declared, so Pulumi deletes them), and
  protection of the retained resources is lifted, so removing the line in the next `up` only makes Pulumi forget
  them: MinIO keeps the buckets, their configuration and objects, KES keeps the key.
- `purge` (with `purgeAcknowledged: <id>`): as offboarding, and the dedicated buckets are no longer retained and get
  `force_destroy`, so removing the line deletes them with every object version. The KMS key stays retained: MinIO
  RELEASE.2024-12-18T13-15-44Z routes no key deletion (cmd/admin-router.go and cmd/kms-router.go register only
  status, create, list and key status; internal/kms/kes.go DeleteKey has no caller), so the provider's KmsKey
  Delete cannot succeed there. Deleting the key at KES is the purge's last, manual step (`purge_steps`).

Every descendant of a retained bucket is retained too (`retain_on_delete`): deleting them would call, in
terraform-provider-minio v1.20.1, `minioDeleteBucketServerSideEncryption` (RemoveBucketEncryption: new objects
unencrypted by default), `minioDeleteILMPolicy` (SetBucketLifecycle with an empty configuration: no expiry any more)
and `minioDeleteBucketVersioning` (SuspendVersioning, which MinIO refuses on an object-locked bucket). In a purge
they stay retained as well: deleting the bucket removes its configuration with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.model.config import Settings, TenantContext, TenantSettings
from components.model.naming import tenant_bucket_name, tenant_kms_key_name, tenant_prefix

ACTIVE, OFFBOARDING, PURGE = "active", "offboarding", "purge"


@dataclass(frozen=True)
class Retention:
    """Resource options of a retained resource (a tenant's key or dedicated bucket) and of its descendants."""

    protect: bool
    retain_on_delete: bool
    force_destroy: bool = False
    import_id: str | None = None  # adopt a resource that exists in MinIO/KES but not in this stack's state

    @property
    def children_retain_on_delete(self) -> bool:
        # Kept with a retained bucket; and a force-destroyed bucket takes its settings with it, so deleting them
        # first would only be work that can fail half-way.
        return self.retain_on_delete or self.force_destroy


@dataclass(frozen=True)
class TenantLifecycle:
    state: str
    grants_access: bool  # declares access keys and Secrets
    key: Retention
    buckets: dict[str, Retention]  # dedicated bucket name -> options (bucket isolation only)


def platform_bucket_retention(settings: Settings) -> Retention:
    # forceDestroyBuckets: throwaway dev stacks only (settings refuses it with protect).
    return Retention(protect=settings.protect, retain_on_delete=False, force_destroy=settings.force_destroy_buckets)


def tenant_lifecycle(
    settings: TenantContext, tenant: TenantSettings, catalog_buckets: tuple[str, ...]
) -> TenantLifecycle:
    """Which of a tenant's resources are declared, and how they are protected, retained and adopted.

    Import ids are what terraform-provider-minio v1.20.1 uses as the resource id: the key id for KmsKey
    (`minioCreateKMSKey` SetId(keyID)), the bucket name for S3Bucket (`minioCreateBucket` SetId(bucket)) and for its
    S3BucketServerSideEncryption, S3BucketVersioning and IlmPolicy (each SetId(bucket)); all use a passthrough
    importer. The children of an adopted bucket take the bucket name too (see `buckets.declare_bucket`).
    """
    leaving = tenant.state != ACTIVE
    key_id = tenant_kms_key_name(tenant.id)
    key = Retention(
        protect=False,  # never protected: removal only forgets it (retainOnDelete)
        retain_on_delete=True,
        import_id=key_id if tenant.adopt else None,
    )
    buckets: dict[str, Retention] = {}
    if tenant.dedicated_buckets:
        for name in catalog_buckets:
            bucket = tenant_bucket_name(name, tenant.id)
            buckets[bucket] = Retention(
                protect=settings.protect and not leaving,
                retain_on_delete=tenant.state != PURGE,
                force_destroy=tenant.state == PURGE,
                import_id=bucket if tenant.adopt else None,
            )
    return TenantLifecycle(tenant.state, grants_access=not leaving, key=key, buckets=buckets)


def purge_steps(settings: TenantContext, tenant: TenantSettings, catalog_buckets: tuple[str, ...]) -> list[str]:
    """What a purge leaves to an operator, in order; the key comes last because deleting it shreds what is left."""
    removal = f"remove tenant {tenant.id!r} from matih-minio:tenants and run `pulumi up`"
    steps: list[str] = []
    if tenant.dedicated_buckets:
        # Empty first: terraform-provider-minio v1.20.1 `minioDeleteBucket` (resource_minio_s3_bucket.go) answers a
        # non-empty bucket by deleting every version through RemoveObjects, reads its error channel (capacity 1)
        # at once and calls itself again, so versions under retention make it loop until the delete timeout, and
        # a listing error ends the provider (log.Fatalln). An empty bucket's RemoveBucket succeeds on the first try.
        buckets = [tenant_bucket_name(name, tenant.id) for name in catalog_buckets]
        steps += [
            f"mc rm --recursive --force --versions --bypass <alias>/{bucket} (every version, delete markers "
            "included; --bypass lifts GOVERNANCE retention; a version under COMPLIANCE retention or a legal hold "
            "cannot be deleted until it expires or `mc legalhold clear --recursive --versions` lifts the hold)"
            for bucket in buckets
        ]
        steps += [f"mc ls --recursive --versions <alias>/{bucket} prints nothing" for bucket in buckets]
        removal += (
            " (deletes its emptied dedicated buckets: the provider's RemoveBucket succeeds on its first try; with "
            "versions left it would retry its forced delete in a loop until the timeout)"
        )
    steps.append(removal)
    if not tenant.dedicated_buckets:
        # A prefix tenant's objects are in the shared buckets, which Pulumi manages as a whole: it cannot delete
        # one tenant's objects, so they stay until removed by hand.
        prefix = tenant_prefix(tenant.id)
        steps += [f"mc rm --recursive --force --versions <alias>/{name}/{prefix}" for name in catalog_buckets]
    if settings.kms.per_tenant_keys:
        steps.append(
            f"kes key rm {tenant_kms_key_name(tenant.id)} (last: crypto-shreds every object still encrypted with it; "
            "objects a client wrote without naming the tenant key are under the platform key and stay readable)"
        )
    return steps
