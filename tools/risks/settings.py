"""Settings whose change a reviewer must be told about: rotations, retention, versioning, protection, KMS, quota,
lifecycle updates."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from components import tokens
from components.catalog import BUCKET_NAMES
from components.model.lifecycle import EXPIRE_NONCURRENT_RULE, EXPIRE_OBJECTS_RULE, EXPIRE_TEMPORARY_RULE
from components.model.quantity import format_bytes
from tools.risks.model import Risk, Rule, Snapshot, get_path, kind_of

ILM_UPDATE = Rule("ilm-update", "Lifecycle rules updated (verify after the up)", ("notice",))
ROOT_ROTATION = Rule("root-rotation", "Root credentials rotated", ("warning",))
RETENTION_SHORTENED = Rule("retention-shortened", "Data deleted sooner or kept less", ("warning",))
VERSIONING_SUSPENDED = Rule("versioning-suspended", "Versioning suspended", ("warning",))
FORCE_DESTROY = Rule("force-destroy", "Buckets that a removal now empties", ("warning",))
PROTECTION_LIFTED = Rule("protection-lifted", "Protection lifted", ("warning",))
NAMESPACE_DELETED = Rule("namespace-deleted", "Namespaces deleted with everything in them", ("warning",))
KMS_CHANGED = Rule("kms-changed", "Server KMS changed", ("warning",))
QUOTA_LOWERED = Rule("quota-lowered", "Bucket quota lowered or added", ("notice",))


def ilm_update_risks(base: Snapshot, head: Snapshot, replaced: frozenset[str]) -> list[Risk]:
    """terraform-provider-minio v1.20.1 `minioUpdateILMPolicy` (resource_minio_ilm_policy.go) calls
    `minioCreateILMPolicy`, drops its result, then reads the bucket's lifecycle back into the state: a rule set MinIO
    refused reports success. Verification: the next preview shows the rules again (pulumi-up.yml runs it)."""
    old = {r.urn: r for r in base.resources if r.type == tokens.ILM_POLICY}
    risks: list[Risk] = []
    for record in head.resources:
        before = old.get(record.urn)
        if before is None or record.urn in replaced or before.inputs.get("rules") == record.inputs.get("rules"):
            continue
        bucket = record.inputs.get("bucket")
        risks.append(
            ILM_UPDATE.risk(
                "notice",
                record.name,
                f"the provider ignores a failed lifecycle update and keeps the old rules in the state: after the up, "
                f"`pulumi preview --expect-no-changes` (the deploy runs it) must show no change here, and "
                f"`mc ilm rule export <alias>/{bucket}` shows the rules in force",
            )
        )
    return risks


def root_rotation_risks(base: Snapshot, head: Snapshot) -> list[Risk]:
    """`rootCredentialsRotation` bumped: the release's generated root credentials get new `keepers`.

    pulumi-random's `keepers` force a replacement, so both values are new (components/resources/cluster.py); the root
    Secret is rewritten and the pods roll on its checksum (components/model/chart_values.py
    `SECRETS_CHECKSUM_ANNOTATION`). In distributed mode the servers authenticate each other with the root credentials
    (RELEASE.2024-12-18T13-15-44Z cmd/jwt.go `authenticateNode`, cmd/storage-rest-server.go
    `storageServerRequestValidate`): old and new pods reject each other until all run the new ones, so the pool is below
    quorum for the length of the roll."""
    old = {r.urn: r.inputs.get("keepers") for r in base.resources if r.type == tokens.RANDOM_PASSWORD}
    rotated = {r.urn for r in head.resources if r.urn in old and old[r.urn] != r.inputs.get("keepers")}
    risks = []
    for release in (r for r in head.resources if r.type == tokens.HELM_RELEASE):
        if not rotated & set(release.options.get("dependsOn") or ()):
            continue
        distributed = get_path(release.inputs, "values.mode") == "distributed"
        effect = (
            "in distributed mode a short outage: servers authenticate each other with the root credentials "
            "(`cmd/jwt.go`), so old and new pods refuse each other and the pool is below quorum until every pod runs "
            "the new ones"
            if distributed
            else "the single server restarts: a short outage"
        )
        risks.append(
            ROOT_ROTATION.risk(
                "warning",
                release.name,
                "`rootCredentialsRotation` replaces the generated root user and password, rewrites the root Secret "
                f"and rolls every MinIO pod; {effect}. Shards read the new credentials at their next run; anything "
                "else holding the old root credentials loses access",
            )
        )
    return risks


# Lifecycle rule id (components/model/lifecycle.py) -> what it expires and the stack-file key that sets it.
LIFECYCLE_SETTINGS: Mapping[str, tuple[str, str]] = {
    EXPIRE_OBJECTS_RULE: ("objects expire after", "buckets.{bucket}.expiryDays"),
    EXPIRE_TEMPORARY_RULE: ("temporary objects expire after", "temporaryObjects.expiryDays"),
    EXPIRE_NONCURRENT_RULE: ("noncurrent versions expire after", "buckets.{bucket}.noncurrentVersionExpiryDays"),
}


def catalog_bucket_of(bucket: str) -> str:
    """The catalog bucket a bucket name is (or a tenant's `<bucket>-<tenant>` copy of), for the stack-file key."""
    return next((b for b in BUCKET_NAMES if bucket == b or bucket.startswith(f"{b}-")), bucket)


def expiry_days(rule: Mapping[str, Any]) -> int | None:
    """Days of an ILM rule: `expiration` ("30d", the form components/model/lifecycle.py writes) or the noncurrent
    days."""
    expiration = rule.get("expiration")
    if isinstance(expiration, str) and expiration.endswith("d") and expiration[:-1].isdigit():
        return int(expiration[:-1])
    days = rule.get("noncurrentVersionExpirationDays")
    return int(days) if isinstance(days, (int, float)) else None


def _buckets(snapshot: Snapshot) -> set[Any]:
    return {r.inputs.get("bucket") for r in snapshot.resources if r.type == tokens.S3_BUCKET}


def lifecycle_days(snapshot: Snapshot) -> dict[tuple[Any, str], int | None]:
    days = {}
    for record in snapshot.resources:
        if record.type == tokens.ILM_POLICY:
            for rule in record.inputs.get("rules") or ():
                days[(record.inputs.get("bucket"), str(rule.get("id")))] = expiry_days(rule)
    return days


def retention_risks(base: Snapshot, head: Snapshot) -> list[Risk]:
    """An existing bucket whose lifecycle now deletes objects sooner, or starts deleting them (`expiryDays`,
    `temporaryObjects.expiryDays`, `noncurrentVersionExpiryDays` lowered or newly set). MinIO's scanner applies a
    rule to objects already there (RELEASE.2024-12-18T13-15-44Z cmd/data-scanner.go `applyLifecycle`): what is older
    than the new limit is deleted at the next scan, and no setting brings it back."""
    before, existing = lifecycle_days(base), _buckets(base)
    risks = []
    for (bucket, rule), days in sorted(lifecycle_days(head).items(), key=str):
        was = before.get((bucket, rule))
        if bucket not in existing or days is None or (was is not None and days >= was):
            continue
        what, key = LIFECYCLE_SETTINGS.get(rule, (f"rule `{rule}` expires after", "buckets"))
        change = f"{was} -> {days} days" if was is not None else f"{days} days (kept until now)"
        risks.append(
            RETENTION_SHORTENED.risk(
                "warning",
                str(bucket),
                f"{what} {change} (`{key.format(bucket=catalog_bucket_of(str(bucket)))}`): what is older is deleted "
                "at MinIO's next lifecycle scan, irreversibly",
            )
        )
    return risks


def versioning_risks(base: Snapshot, head: Snapshot) -> list[Risk]:
    """`versioning` turned off on a bucket that stays: terraform-provider-minio v1.20.1 suspends versioning when the
    resource is deleted (minio/resource_minio_s3_bucket_versioning.go `minioDeleteBucketVersioning`), unless the
    resource is retained; an in-place `Suspended` does the same."""
    buckets = _buckets(head)
    new = {r.urn: r for r in head.resources if r.type == tokens.S3_BUCKET_VERSIONING}
    risks = []
    for record in (r for r in base.resources if r.type == tokens.S3_BUCKET_VERSIONING):
        after = new.get(record.urn)
        status = get_path(after.inputs, "versioningConfiguration.status") if after is not None else None
        removed = after is None and record.inputs.get("bucket") in buckets and not record.options.get("retainOnDelete")
        if removed or (after is not None and status == "Suspended"):
            bucket = str(record.inputs.get("bucket"))
            risks.append(
                VERSIONING_SUSPENDED.risk(
                    "warning",
                    bucket,
                    f"versioning suspended (`buckets.{catalog_bucket_of(bucket)}.versioning`): from now on an "
                    "overwrite or delete keeps no previous version; versions already kept stay",
                )
            )
    return risks


def force_destroy_risks(base: Snapshot, head: Snapshot) -> list[Risk]:
    """`forceDestroy` turned on (`forceDestroyBuckets`, or a tenant's `state: purge`): terraform-provider-minio
    v1.20.1 then deletes every object and version when the bucket is removed (`minioDeleteBucket`)."""
    old = {r.urn: r for r in base.resources if r.type == tokens.S3_BUCKET}
    return [
        FORCE_DESTROY.risk(
            "warning",
            str(r.inputs.get("bucket")),
            "removing this bucket (or `pulumi destroy`) now deletes every object and version in it",
        )
        for r in head.resources
        if r.urn in old and r.inputs.get("forceDestroy") and not old[r.urn].inputs.get("forceDestroy")
    ]


def protection_risks(base: Snapshot, head: Snapshot) -> list[Risk]:
    """`protect` lifted (`protect: false`, or a tenant offboarded): a later change or `pulumi destroy` can delete it."""
    old = {r.urn: r for r in base.resources}
    return [
        PROTECTION_LIFTED.risk(
            "warning",
            r.name,
            f"this {kind_of(r.type)} is no longer protected: a later change or `pulumi destroy` can delete it",
        )
        for r in head.resources
        if r.urn in old and old[r.urn].options.get("protect") and not r.options.get("protect")
    ]


def namespace_deletion_risks(base: Snapshot, head: Snapshot) -> list[Risk]:
    """A namespace this program stops declaring (`createServiceNamespaces: false`): Kubernetes deletes everything in
    it, other teams' workloads included, unless it is retained (protected ones are refused by `protected-delete`)."""
    kept = {r.urn for r in head.resources}
    return [
        NAMESPACE_DELETED.risk(
            "warning",
            str(get_path(r.inputs, "metadata.name") or r.name),
            "the namespace is deleted, and with it every object in it, whoever created it",
        )
        for r in base.resources
        if r.type == tokens.NAMESPACE
        and r.urn not in kept
        and not r.options.get("protect")
        and not r.options.get("retainOnDelete")
    ]


KMS_VARIABLES = ("MINIO_KMS_KES_ENDPOINT", "MINIO_KMS_KES_KEY_NAME")


def kms_risks(base: Snapshot, head: Snapshot) -> list[Risk]:
    """`kms.mode`, `kms.keyName` or the KES endpoint changed: objects already written stay encrypted under the old
    KMS and keys (MinIO seals each object's key with the KMS key named at write time, RELEASE.2024-12-18T13-15-44Z
    internal/crypto `S3.UnsealObjectKey`), so the server must still reach them to read those objects."""
    was, now = base.outputs.get("kms") or {}, head.outputs.get("kms") or {}
    changes = (
        [f"mode `{was.get('mode')}` -> `{now.get('mode')}`"]
        if was and now and was.get("mode") != now.get("mode")
        else []
    )
    old = {r.urn: r for r in base.resources if r.type == tokens.HELM_RELEASE}
    for release in (r for r in head.resources if r.urn in old):
        for variable in KMS_VARIABLES:
            before = get_path(old[release.urn].inputs, f"values.environment.{variable}")
            after = get_path(release.inputs, f"values.environment.{variable}")
            if before != after and before is not None:
                changes.append(f"`{variable}` `{before}` -> `{after}`")
    if not changes:
        return []
    return [
        KMS_CHANGED.risk(
            "warning",
            "kms",
            f"{', '.join(changes)}: objects already written stay encrypted with the old KMS's keys; MinIO must still "
            "reach that KMS and key to read them, or they are unreadable",
        )
    ]


def quota_risks(base: Snapshot, head: Snapshot) -> list[Risk]:
    """A bucket quota lowered or added: MinIO refuses writes once the bucket holds more (RELEASE.2024-12-18T13-15-44Z
    cmd/bucket-quota.go `enforceQuotaHard`); nothing is deleted."""
    old = {r.urn: r for r in base.resources if r.type == tokens.S3_BUCKET}
    risks = []
    for record in (r for r in head.resources if r.urn in old):
        was, now = old[record.urn].inputs.get("quota"), record.inputs.get("quota")
        if now and (not was or now < was):
            risks.append(
                QUOTA_LOWERED.risk(
                    "notice",
                    str(record.inputs.get("bucket")),
                    f"quota {format_bytes(int(was)) if was else 'none'} -> {format_bytes(int(now))}: writes are "
                    "refused once the bucket holds more; nothing is deleted",
                )
            )
    return risks


SETTING_RULES: tuple[Callable[[Snapshot, Snapshot], list[Risk]], ...] = (
    root_rotation_risks,
    retention_risks,
    versioning_risks,
    force_destroy_risks,
    protection_risks,
    namespace_deletion_risks,
    kms_risks,
    quota_risks,
)
