"""What a change of the desired state risks, judged from both sides: refused changes, replacements, deletions.

Pure: two snapshots of what the program declares (anything with `resources` and `outputs`, such as
`tools.engine.Inventory`) in, a tuple of `Risk` out. No Pulumi import, no IO except reading the vendored provider
schema once. Every rule cites the upstream code it follows; the plan diff renders the result and exits non-zero
when a risk is `refused`.

Sources, read at our pins:
- terraform-provider-minio v1.20.1 (what pulumi-minio 0.17.1 bridges), `minio/resource_minio_s3_bucket.go`:
  `minioUpdateBucket` applies only `acl` and `quota` (an `object_locking` change reports success and does nothing);
  `bucket` is ForceNew (a new, empty bucket). ForceNew fields of every resource come from the provider schema.
  A quota removed is *not* refused: `minioUpdateBucket` sends quota 0, `minioSetBucketQuota`'s "quota must be larger
  than 0" check never fires for it (madmin-go v1.7.5, the provider's pin, `BucketQuota.IsValid`: "Empty configs are
  valid"), and MinIO stores it as no limit (RELEASE.2024-12-18T13-15-44Z `cmd/bucket-quota.go` `parseBucketQuota`,
  `enforceQuotaHard` enforces only a quota above 0).
- pulumi-kubernetes `provider/pkg/provider/diff.go` `forceNew` and `forceNewProperties`, `provider.go` `Diff`
  (metadata.name/namespace always replace; a named object is deleted before it is re-created),
  `helm_release.go` `Diff` (`name`, `namespace` replace a release). Read at the newest commit in our mirror
  (94977969d, after v4.32.0; the SDK pin is 4.34.2, whose provider tag the mirror does not have).
- Kubernetes `pkg/apis/storage/validation/validation.go` `ValidateStorageClassUpdate`: `parameters`,
  `provisioner`, `reclaimPolicy` and `volumeBindingMode` cannot change (pulumi-kubernetes replaces on the first
  two only, so a change of the others is rejected by the API server).
- MinIO (RELEASE.2024-12-18T13-15-44Z): the erasure sets of a pool are fixed when it is formatted
  (`cmd/format-erasure.go` `checkFormatErasureValues`: "already formatted with %d drives per erasure set. This cannot
  be changed"), so neither a pool's servers or drives nor the set drive count can change; a pool leaves only by
  decommissioning (`cmd/erasure-server-pool-decom.go`), and a new pool gets new objects only unless rebalanced
  (`cmd/erasure-server-pool-rebalance.go`); parity (storage class) applies to objects written after the change.
- StatefulSet `volumeClaimTemplates` are immutable (chart 5.4.0 `templates/statefulset.yaml` renders the drives
  there), so a drive-size change fails the Helm upgrade; a claim only grows, and only when its StorageClass allows
  expansion (a local, statically provisioned volume never does).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from components import tokens
from components.catalog import BUCKET_NAMES
from components.model.iam import TenantPlacement
from components.model.lifecycle import EXPIRE_NONCURRENT_RULE, EXPIRE_OBJECTS_RULE, EXPIRE_TEMPORARY_RULE
from components.model.quantity import format_bytes, parse_quantity
from tools.fidelity.minio_schema import minio_schema

Severity = Literal["refused", "warning", "notice"]
SEVERITIES: tuple[Severity, ...] = ("refused", "warning", "notice")


def minio_force_new_fields(type_token: str) -> frozenset[str]:
    """Top-level input names (Pulumi's camelCase) whose change makes pulumi-minio replace a resource, read from
    terraform-provider-minio v1.20.1's schema by the runner's reader (tools/fidelity/minio_schema.py).

    Top-level names only: a nested ForceNew field (`force_new_fields`) replaces through its parent."""
    resource = minio_schema().get(type_token)
    return frozenset(name for name, spec in resource.fields.items() if spec.force_new) if resource else frozenset()


# pulumi-kubernetes `forceNew` (diff.go), for the kinds this program declares or could: kind -> input paths whose
# change replaces the object. `metadata.name`/`metadata.namespace` replace every kind (`metadataForceNewProperties`).
# Secret data replaces too unless the provider sets `enableSecretMutable` (`forceNewProperties`).
KUBERNETES_FORCE_NEW: Mapping[str, tuple[str, ...]] = {
    tokens.SECRET: ("type",),
    tokens.SERVICE: ("spec.clusterIP",),
    tokens.PERSISTENT_VOLUME_CLAIM: (
        "spec.accessModes",
        "spec.selector",
        "spec.storageClassName",
        "spec.volumeName",
    ),
    tokens.PERSISTENT_VOLUME: tuple(
        f"spec.{source}"
        for source in (
            "awsElasticBlockStore",
            "azureDisk",
            "azureFile",
            "cephfs",
            "cinder",
            "csi",
            "fc",
            "flexVolume",
            "flocker",
            "gcePersistentDisk",
            "glusterfs",
            "hostPath",
            "iscsi",
            "local",
            "nfs",
            "photonPersistentDisk",
            "portworxVolume",
            "quobyte",
            "rbd",
            "scaleIO",
            "storageos",
            "vsphereVolume",
        )
    ),
    tokens.STORAGE_CLASS: ("parameters", "provisioner"),
    tokens.JOB: ("spec.completions", "spec.parallelism", "spec.selector", "spec.template"),
    tokens.STATEFUL_SET: (
        "spec.podManagementPolicy",
        "spec.revisionHistoryLimit",
        "spec.selector",
        "spec.serviceName",
        "spec.volumeClaimTemplates",
    ),
    tokens.DEPLOYMENT: ("spec.selector",),
    tokens.HELM_RELEASE: ("name", "namespace"),  # helm_release.go Diff
}
KUBERNETES_METADATA_FORCE_NEW = ("metadata.name", "metadata.namespace")
SECRET_DATA = ("stringData", "data")
# Fields the API server refuses to change and pulumi-kubernetes does not replace on: the update fails.
KUBERNETES_IMMUTABLE: Mapping[str, tuple[str, ...]] = {
    tokens.STORAGE_CLASS: ("reclaimPolicy", "volumeBindingMode"),  # ValidateStorageClassUpdate
}


class Record(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def urn(self) -> str: ...
    @property
    def parent(self) -> str: ...
    @property
    def inputs(self) -> Mapping[str, Any]: ...
    @property
    def options(self) -> Mapping[str, Any]: ...
    @property
    def secretDigests(self) -> Mapping[str, Any]: ...  # path of a masked value -> its digest(s), tools.engine


class Snapshot(Protocol):
    @property
    def resources(self) -> Sequence[Record]: ...
    @property
    def outputs(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Risk:
    """One thing a reviewer must see before the change is applied."""

    rule: str  # stable id, e.g. "object-locking"; the renderer groups by it
    severity: Severity
    subject: str  # a resource name or a tenant id
    what: str  # what applying the change would do
    instead: str = ""  # for a refused change: the procedure that works

    @property
    def refused(self) -> bool:
        return self.severity == "refused"


# Headings of the rules, in the order the Risks section lists them.
RULE_TITLES: Mapping[str, str] = {
    "pool-layout": "Pool layout changed",
    "drive-size": "Drive size changed",
    "object-locking": "Object locking changed on an existing bucket",
    "isolation-move": "Tenant moved between isolation modes",
    "bucket-rename": "Bucket renamed",
    "immutable-field": "Immutable field changed",
    "release-replaced": "MinIO release replaced",
    "namespace-replaced": "Namespace replaced",
    "protected-delete": "Protected resources deleted",
    "protected-replace": "Protected resources replaced",
    "replacement": "Replacements (delete and create)",
    "secret-replaced": "Secrets re-created (delete, then create)",
    "key-replaced": "Access keys replaced",
    "key-added": "Access keys added for an existing tenant",
    "key-in-use": "Access keys deleted while a Secret carries them",
    "parent-user": "Parent users or their policies deleted or replaced",
    "key-retired": "Access keys deleted for a remaining tenant",
    "retained-delete": "Retained resources left behind",
    "quota-removed": "Bucket quota removed (unlimited)",
    "ilm-update": "Lifecycle rules updated (verify after the up)",
    "data-stays": "Data that will not move",
    "server-upgrade": "MinIO server build changed",
    # What a setting change does to data kept, to running servers and to safety nets (one function each, below).
    "root-rotation": "Root credentials rotated",
    "retention-shortened": "Data deleted sooner or kept less",
    "versioning-suspended": "Versioning suspended",
    "force-destroy": "Buckets that a removal now empties",
    "protection-lifted": "Protection lifted",
    "namespace-deleted": "Namespaces deleted with everything in them",
    "kms-changed": "Server KMS changed",
    "quota-lowered": "Bucket quota lowered or added",
}


def _get(mapping: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(mapping, Mapping) or part not in mapping:
            return None
        mapping = mapping[part]
    return mapping


def urn_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else ""


def urn_name(urn: str) -> str:
    return urn.split("::")[-1]


def tenant_of(record: Record) -> str | None:
    """The tenant whose component declares this resource directly, if any."""
    return urn_name(record.parent) if urn_type(record.parent) == tokens.TENANT else None


def _kind(type_token: str) -> str:
    return type_token.rsplit(":", 1)[-1]


def _secret_mutable_providers(snapshot: Snapshot) -> frozenset[str]:
    """URNs of the Kubernetes providers that update Secret data in place (`enableSecretMutable`)."""
    return frozenset(
        r.urn
        for r in snapshot.resources
        if r.type == tokens.KUBERNETES_PROVIDER and str(r.inputs.get("enableSecretMutable")).lower() == "true"
    )


def provider_urn(reference: str | None) -> str:
    return str(reference or "").rsplit("::", 1)[0]  # a provider reference is "<urn>::<id>"


def replacement_paths(
    before: Record,
    after: Record,
    secret_mutable: bool = False,
    force_new: Callable[[str], frozenset[str]] = minio_force_new_fields,
) -> tuple[str, ...]:
    """Input paths whose change makes the provider replace the resource (delete and create)."""
    if before.type.startswith("minio:"):
        paths: Iterable[str] = sorted(force_new(before.type))
    elif before.type.startswith("kubernetes:"):
        paths = [*KUBERNETES_METADATA_FORCE_NEW, *KUBERNETES_FORCE_NEW.get(before.type, ())]
        if before.type == tokens.SECRET and not secret_mutable:
            paths = [*paths, *SECRET_DATA]
    else:
        return ()
    return tuple(p for p in paths if _get(before.inputs, p) != _get(after.inputs, p))


def _secret_changed(before: Record, after: Record, path: str) -> bool:
    """A masked value changed: compared by the runner's digests (tools.engine `secretDigests`)."""
    old, new = before.secretDigests, after.secretDigests
    return path in old and path in new and old[path] != new[path]


# --- The MinIO release ------------------------------------------------------------------------------------------------


def _release_risks(before: Record, after: Record, base: Snapshot, head: Snapshot) -> list[Risk]:
    old, new = before.inputs.get("values") or {}, after.inputs.get("values") or {}
    name = after.name
    risks: list[Risk] = []
    mirror = (
        "deploy the new layout as a second release (or stack) beside this one, `mc mirror --preserve` every bucket "
        "into it, switch `minioEndpoint` and the consumers, then remove the old release"
    )
    if old.get("mode") != new.get("mode"):
        risks.append(
            Risk(
                "pool-layout",
                "refused",
                name,
                f"mode `{old.get('mode')}` -> `{new.get('mode')}`: a server with a different data layout starts on "
                "the old drives; MinIO cannot convert between standalone and distributed",
                "keep `topology.mode`; " + mirror,
            )
        )
    elif new.get("mode") == "distributed":
        # The chart's value -> what it means and the stack-file key that sets it (components/model/chart_values.py).
        layout = (
            ("replicas", "servers per pool", "topology.serversPerPool"),
            ("drivesPerNode", "drives per server", "topology.drivesPerServer"),
        )
        for key, what, setting in layout:
            if old.get(key) != new.get(key):
                risks.append(
                    Risk(
                        "pool-layout",
                        "refused",
                        name,
                        f"{what} {old.get(key)} -> {new.get(key)}: MinIO cannot change the servers or drives of an "
                        "existing pool (its erasure sets are fixed when the pool is formatted)",
                        f"keep `{setting}` as it is and grow by adding a pool of the same shape (`topology.pools`), or "
                        + mirror,
                    )
                )
        was_set, now_set = (_get(v, "environment.MINIO_ERASURE_SET_DRIVE_COUNT") for v in (old, new))
        if was_set != now_set and not risks:
            risks.append(
                Risk(
                    "pool-layout",
                    "refused",
                    name,
                    f"erasure set drive count {was_set or 'default'} -> {now_set or 'default'}: MinIO refuses to "
                    'start ("drive is already formatted with N drives per erasure set. This cannot be changed")',
                    "keep `erasure.setDriveCount`; a new set size needs a new pool or deployment and `mc mirror`",
                )
            )
        old_pools, new_pools = int(old.get("pools") or 1), int(new.get("pools") or 1)
        if new_pools < old_pools:
            risks.append(
                Risk(
                    "pool-layout",
                    "refused",
                    name,
                    f"pools {old_pools} -> {new_pools}: the objects on the removed pool would be lost",
                    "decommission the pool first (`mc admin decommission start <alias>/ <pool>`, wait for "
                    "`mc admin decommission status` to report it complete), then lower `topology.pools`",
                )
            )
        elif new_pools > old_pools:
            risks.append(
                Risk(
                    "data-stays",
                    "notice",
                    name,
                    f"pools {old_pools} -> {new_pools}: new objects go to the pool with the most free space; existing "
                    "objects stay where they are unless you run `mc admin rebalance start`",
                )
            )
    risks += _drive_size_risks(name, old, new, base, head)
    for variable, what in (("MINIO_STORAGE_CLASS_STANDARD", "standard"), ("MINIO_STORAGE_CLASS_RRS", "RRS")):
        was, now = _get(old, f"environment.{variable}"), _get(new, f"environment.{variable}")
        if was != now and old.get("mode") == new.get("mode"):
            risks.append(
                Risk(
                    "data-stays",
                    "notice",
                    name,
                    f"{what} parity `{was}` -> `{now}` applies to objects written from now on; existing objects keep "
                    "the parity they were written with",
                )
            )
    return risks


def _storage_class(snapshot: Snapshot, name: Any) -> Record | None:
    return next(
        (r for r in snapshot.resources if r.type == tokens.STORAGE_CLASS and _get(r.inputs, "metadata.name") == name),
        None,
    )


def _drive_size_risks(
    name: str, old: Mapping[str, Any], new: Mapping[str, Any], old_snapshot: Snapshot, head: Snapshot
) -> list[Risk]:
    # Standalone may use the program's own claim (`persistence.existingClaim`): its size is the drive's size.
    claim = _get(new, "persistence.existingClaim")
    if claim:
        was, now = _claim_size(claim, old_snapshot), _claim_size(claim, head)
        class_name = _claim_class(claim, head)
    else:
        was, now = _get(old, "persistence.size"), _get(new, "persistence.size")
        class_name = _get(new, "persistence.storageClass")
    if was == now or old.get("mode") != new.get("mode"):
        return []
    change = f"drive size `{was}` -> `{now}`"
    if new.get("mode") == "distributed":
        return [
            Risk(
                "drive-size",
                "refused",
                name,
                f"{change}: the StatefulSet's volumeClaimTemplates are immutable, so the Helm upgrade fails "
                "(and `atomic` rolls it back)",
                "keep `storage.sizePerDrive`; if the StorageClass allows expansion, grow each of the release's claims "
                "directly (`kubectl -n <namespace> patch pvc export-<drive>-<release>-<pod> -p "
                '\'{"spec":{"resources":{"requests":{"storage":"<size>"}}}}\'`); otherwise add a pool',
            )
        ]
    old_bytes, new_bytes = parse_quantity(was), parse_quantity(now)
    if old_bytes is None or new_bytes is None or old_bytes == new_bytes:
        return []
    storage_class = _storage_class(head, class_name)
    if new_bytes < old_bytes:
        reason = "a PersistentVolumeClaim can only grow"
    elif storage_class is not None and storage_class.inputs.get("allowVolumeExpansion") is not True:
        reason = f"StorageClass `{_get(storage_class.inputs, 'metadata.name')}` does not allow volume expansion"
    elif storage_class is None:
        # A class this program does not declare (kind's `standard`, an existing cloud class): only the cluster knows.
        return [
            Risk(
                "drive-size",
                "warning",
                name,
                f"{change}: the claim grows in place only if StorageClass `{class_name}` allows volume expansion "
                f"(`kubectl get storageclass {class_name} -o jsonpath='{{.allowVolumeExpansion}}'`); otherwise the "
                "update fails",
            )
        ]
    else:
        return []
    return [
        Risk(
            "drive-size",
            "refused",
            name,
            f"{change}: {reason}, so the update fails",
            "keep `storage.sizePerDrive`; move the data to a larger volume (a new release and `mc mirror`), or use "
            "a StorageClass that allows expansion",
        )
    ]


def _claim(name: Any, snapshot: Snapshot) -> Record | None:
    return next(
        (
            r
            for r in snapshot.resources
            if r.type == tokens.PERSISTENT_VOLUME_CLAIM and _get(r.inputs, "metadata.name") == name
        ),
        None,
    )


def _claim_size(name: Any, snapshot: Snapshot) -> Any:
    claim = _claim(name, snapshot)
    return _get(claim.inputs, "spec.resources.requests.storage") if claim is not None else None


def _claim_class(name: Any, snapshot: Snapshot) -> Any:
    claim = _claim(name, snapshot)
    return _get(claim.inputs, "spec.storageClassName") if claim is not None else None


# --- Resources present on both sides ---------------------------------------------------------------------------------


def _bucket_risks(before: Record, after: Record) -> list[Risk]:
    old, new = before.inputs, after.inputs
    name = str(new.get("bucket") or after.name)
    risks: list[Risk] = []
    if old.get("bucket") != new.get("bucket"):
        risks.append(
            Risk(
                "bucket-rename",
                "refused",
                after.name,
                f"bucket `{old.get('bucket')}` -> `{new.get('bucket')}` replaces it: a new, empty bucket, and the "
                "old one is deleted (or, retained, left behind) with every object in it",
                "declare the new bucket beside the old one, `mc mirror --preserve` the objects across, switch the "
                "consumers, then remove the old bucket in a later change",
            )
        )
    if bool(old.get("objectLocking")) != bool(new.get("objectLocking")):
        risks.append(
            Risk(
                "object-locking",
                "refused",
                after.name,
                f"`{name}` object locking {bool(old.get('objectLocking'))} -> {bool(new.get('objectLocking'))}: "
                "the provider's update applies only acl and quota, so it reports success and changes nothing "
                "(object locking is set when a bucket is created)",
                f"keep `buckets.{catalog_bucket_of(name)}.objectLocking`; create a new bucket with the object-locking "
                "setting you want, `mc mirror --preserve` the objects "
                "into it, switch the consumers, then retire the old bucket",
            )
        )
    if old.get("quota") and not new.get("quota"):
        risks.append(
            Risk(
                "quota-removed",
                "notice",
                after.name,
                f"`{name}` loses its quota: the provider sets quota 0, which MinIO enforces as no limit",
            )
        )
    return risks


def _replacement_risk(before: Record, after: Record, paths: tuple[str, ...]) -> Risk:
    fields = ", ".join(f"`{p}`" for p in paths)
    if after.type == tokens.HELM_RELEASE:
        return Risk(
            "release-replaced",
            "refused",
            after.name,
            f"{fields} changed: a new, empty MinIO is installed and the old release uninstalled (its claims stay)",
            "keep `releaseName` and `namespace`; to move, deploy a second release and `mc mirror` the buckets",
        )
    if after.type == tokens.NAMESPACE:
        return Risk(
            "namespace-replaced",
            "refused",
            after.name,
            f"{fields} changed: deleting a namespace deletes everything in it, MinIO's claims included",
            "keep `namespace`; to move, deploy a second release in the new namespace and `mc mirror` the buckets",
        )
    if after.options.get("protect"):
        return Risk(
            "protected-replace",
            "refused",
            after.name,
            f"{fields} changed on a protected resource: Pulumi refuses to replace it and `up` stops part-way",
            "unprotect it in a change of its own first (or keep the field as it is)",
        )
    if after.type == tokens.IAM_SERVICE_ACCOUNT:
        return Risk(
            "key-replaced",
            "warning",
            after.name,
            f"{fields} changed: a new key is created and the old one deleted; consumers still holding the old "
            "key lose access until they read the new Secret",
        )
    if after.type == tokens.SECRET and set(paths) <= set(SECRET_DATA):
        return Risk(
            "secret-replaced",
            "warning",
            after.name,
            "data changed: pulumi-kubernetes deletes the Secret and creates it again under the same name; pods "
            "that start in between fail, running pods keep what they read at start",
        )
    extra = ""
    if after.type == tokens.KMS_KEY:
        extra = "; objects encrypted with the old key need it to be read"
        if not after.options.get("retainOnDelete"):
            extra += " and deleting it crypto-shreds them"
    return Risk("replacement", "warning", after.name, f"{fields} changed: delete and create{extra}")


def _changed_risks(
    before: Record, after: Record, base: Snapshot, head: Snapshot, secret_mutable: frozenset[str]
) -> tuple[list[Risk], bool]:
    """Risks of one resource present on both sides, and whether the change is a replacement."""
    risks: list[Risk] = []
    if after.type == tokens.HELM_RELEASE:
        risks += _release_risks(before, after, base, head)
        risks += server_build_risks(before, after)
    if after.type == tokens.S3_BUCKET:
        risks += _bucket_risks(before, after)
    immutable = [p for p in KUBERNETES_IMMUTABLE.get(after.type, ()) if _get(before.inputs, p) != _get(after.inputs, p)]
    if immutable:
        risks.append(
            Risk(
                "immutable-field",
                "refused",
                after.name,
                f"{', '.join(f'`{p}`' for p in immutable)} of a {_kind(after.type)} cannot change: the API server "
                "rejects the update",
                "create a new object under a new name with the new setting and move the consumers to it",
            )
        )
    if after.type == tokens.S3_BUCKET_ENCRYPTION and before.inputs.get("kmsKeyId") != after.inputs.get("kmsKeyId"):
        risks.append(
            Risk(
                "data-stays",
                "notice",
                after.name,
                f"default key `{before.inputs.get('kmsKeyId')}` -> `{after.inputs.get('kmsKeyId')}` applies to new "
                "objects; existing objects stay encrypted with the old key",
            )
        )
    mutable = provider_urn(after.options.get("provider")) in secret_mutable
    paths = replacement_paths(before, after, mutable)
    secret_paths = [p for p in SECRET_DATA if _secret_changed(before, after, p)]
    if after.type == tokens.SECRET and not mutable:
        paths = tuple(dict.fromkeys([*paths, *secret_paths]))
    # A Job is a run, not state: replacing the readiness gate re-runs it on purpose (components/model/readiness.py).
    if paths and after.type != tokens.JOB and not any(r.rule == "bucket-rename" for r in risks):
        risks.append(_replacement_risk(before, after, paths))
    return risks, bool(paths)


# --- The MinIO server build -------------------------------------------------------------------------------------------
# Read in minio/minio at both tags: the erasure format (`cmd/format-erasure.go`, formatErasureVersionV3), the object
# metadata (`cmd/xl-storage-format-v2.go`, xl.meta 1.3) and the IAM store (`cmd/iam-store.go`, iamFormatVersion1) are
# the same, so a server of the later release reads the drives and the IAM data of the earlier one as they are.
SERVER_RELEASE = re.compile(r"RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z")
FORMAT_COMPATIBLE_UPGRADES = frozenset({("RELEASE.2024-12-18T13-15-44Z", "RELEASE.2025-10-15T17-29-55Z")})


def _server_image(values: Mapping[str, Any]) -> tuple[str, str | None]:
    image = values.get("image") or {}
    reference = f"{image.get('repository')}:{image.get('tag')}"
    match = SERVER_RELEASE.match(str(image.get("tag") or ""))
    return reference, match.group(0) if match else None


def server_build_risks(before: Record, after: Record) -> list[Risk]:
    """A new server image restarts every MinIO pod; what that costs, and whether the data carries over.

    Chart 5.4.0: a StatefulSet with `RollingUpdate` and no readiness probe (the controller moves to the next pod as
    soon as the last one runs), or a standalone Deployment with maxSurge 100% / maxUnavailable 0. MinIO
    (`cmd/bootstrap-peer-server.go` `verifyServerSystemConfig`, `ServerSystemConfig.Diff`): a starting server waits
    until at least half of its peers run a binary with the same checksum."""
    old_values, new_values = before.inputs.get("values") or {}, after.inputs.get("values") or {}
    (old_ref, old_release), (new_ref, new_release) = _server_image(old_values), _server_image(new_values)
    if old_ref == new_ref:
        return []
    if new_values.get("mode") == "standalone":
        restart = (
            "the Deployment (chart 5.4.0 RollingUpdate, maxSurge 100%, maxUnavailable 0) starts the new server "
            "beside the old one on the same claim until the old pod stops"
        )
    else:
        servers = int(new_values.get("replicas") or 0) * int(new_values.get("pools") or 1)
        restart = (
            f"the StatefulSet restarts its {servers} servers one after the other without waiting for readiness (no "
            "probe); a restarted server waits for half its peers to run the same binary checksum, so from the "
            "second restart until every server runs the new build the pool has no quorum: a short outage of the "
            "S3 and admin APIs, after which the readiness gate re-runs"
        )
    if old_release and new_release and old_release == new_release:
        data = "same release, another build: same on-disk and IAM formats"
    elif old_release and new_release and new_release < old_release:
        data = (
            f"a downgrade ({old_release} -> {new_release}): the older server must read what the newer one wrote; "
            "not read in the sources here, and it brings back the advisories fixed in between"
        )
    elif (old_release, new_release) in FORMAT_COMPATIBLE_UPGRADES:
        data = (
            "format.json (erasure V3), xl.meta (1.3) and the IAM format (1) are the same in both releases: objects, "
            "users, policies and access keys carry over as they are"
        )
    else:
        data = (
            "whether the on-disk and IAM formats stay readable was not read in the sources for this pair of releases: "
            "read cmd/format-erasure.go, cmd/xl-storage-format-v2.go and cmd/iam-store.go at both tags"
        )
    releases = (
        f" ({old_release} -> {new_release})" if old_release and new_release and old_release != new_release else ""
    )
    return [
        Risk(
            "server-upgrade",
            "warning",
            after.name,
            f"image `{old_ref}` -> `{new_ref}`{releases}: {restart}; {data}",
        )
    ]


# --- Resources on one side only ---------------------------------------------------------------------------------------


def _removed_risks(record: Record, head_tenants: Mapping[str, Any]) -> list[Risk]:
    if record.options.get("protect"):
        return [
            Risk(
                "protected-delete",
                "refused",
                record.name,
                "Pulumi refuses to delete a protected resource: `up` stops part-way through the change",
                "unprotect it in a change of its own first (for a tenant: the offboarding procedure), apply that, "
                "then remove it",
            )
        ]
    risks: list[Risk] = []
    if record.options.get("retainOnDelete"):
        risks.append(
            Risk(
                "retained-delete",
                "warning",
                record.name,
                f"Pulumi forgets this {_kind(record.type)} and leaves it in place: adding it back must adopt it "
                "(creating it again fails: it already exists)"
                + (
                    # KES refuses an existing key (RELEASE.2024-12-18T13-15-44Z internal/kms/kes.go CreateKey):
                    # every tenant has one, so a prefix tenant coming back needs adopt as much as a bucket tenant.
                    "; every returning tenant, prefix or bucket mode, needs adopt: true (KES answers a second create "
                    "with 409) and kmsKeyVerified: <the key> once `mc admin kms key status --json <alias> "
                    "tenant-<id>` printed it with no encryptionError or decryptionError (a missing key answers too, "
                    "with an encryptionError)"
                    if record.type == tokens.KMS_KEY
                    else ""
                ),
            )
        )
    tenant = tenant_of(record)
    if record.type == tokens.IAM_SERVICE_ACCOUNT and tenant in head_tenants:
        risks.append(
            Risk(
                "key-retired",
                "warning",
                record.name,
                f"tenant `{tenant}` stays, this key is deleted: consumers still using it lose access",
            )
        )
    return risks


def _added_risks(record: Record, base_tenants: Mapping[str, Any]) -> list[Risk]:
    tenant = tenant_of(record)
    if record.type == tokens.IAM_SERVICE_ACCOUNT and tenant in base_tenants:
        return [
            Risk(
                "key-added",
                "notice",
                record.name,
                f"a new access key for existing tenant `{tenant}`: consumers get it from their Secret when they "
                "next read it (pods read environment at start)",
            )
        ]
    return []


def tenant_locations(snapshot: Snapshot) -> dict[str, dict[str, str]]:
    """Where each tenant's objects live, per catalog bucket: from the Tenant component's `isolation` input, or from
    the `locations` a tenant output had before tenants stopped exporting them."""
    locations: dict[str, dict[str, str]] = {}
    for record in snapshot.resources:
        if record.type == tokens.TENANT and "isolation" in record.inputs:
            where = TenantPlacement(record.name, record.inputs["isolation"] == "bucket")
            locations[record.name] = {bucket: where.s3_url(bucket) for bucket in BUCKET_NAMES}
    for tenant, outputs in (snapshot.outputs.get("tenants") or {}).items():
        if tenant not in locations and isinstance(outputs, Mapping) and outputs.get("locations"):
            locations[tenant] = dict(outputs["locations"])
    return locations


def _tenant_risks(base: Snapshot, head: Snapshot) -> list[Risk]:
    risks: list[Risk] = []
    base_tenants, head_tenants = tenant_locations(base), tenant_locations(head)
    for tenant in sorted(base_tenants.keys() & head_tenants.keys()):
        old, new = base_tenants[tenant], head_tenants[tenant]
        moved = [f"`{old[b]}` -> `{new[b]}`" for b in sorted(old.keys() & new.keys()) if old[b] != new[b]]
        if moved:
            risks.append(
                Risk(
                    "isolation-move",
                    "refused",
                    tenant,
                    f"{', '.join(moved)}: the data does not move; the tenant's services would see empty locations",
                    "remove the tenant in one change (access revoked, data and key kept), `mc mirror --preserve` its "
                    "objects from the old locations into the new ones, then add it back in the new mode adopting "
                    "what exists",
                )
            )
    for tenant in sorted(base_tenants.keys() - head_tenants.keys()):
        locations = ", ".join(f"`{v}`" for v in base_tenants[tenant].values())
        risks.append(
            Risk(
                "data-stays",
                "notice",
                tenant,
                f"tenant removed: its objects stay in {locations or 'its locations'} and its KMS key is kept; "
                "purging them is a separate, deliberate step",
            )
        )
    return risks


def _key_in_use_risks(base: Snapshot, head: Snapshot) -> list[Risk]:
    """A key that a base Secret carries (the Secret's data is the key's output, so the Secret depends on it) must
    not be deleted while that Secret stays: the consumers read it, and MinIO's `DeleteServiceAccount` revokes the key
    at once (RELEASE.2024-12-18T13-15-44Z cmd/iam.go `DeleteServiceAccount`). The program has no memory of the last
    `up`, so only a comparison with the base can see a retirement that reaches the generation in use
    (components/model/rotation.py)."""
    head_urns = {r.urn for r in head.resources}
    keys = {r.urn: r for r in base.resources if r.type == tokens.IAM_SERVICE_ACCOUNT}
    risks: list[Risk] = []
    for secret in base.resources:
        if secret.type != tokens.SECRET or secret.urn not in head_urns:
            continue
        for urn in secret.options.get("dependsOn") or ():
            if urn in keys and urn not in head_urns:
                risks.append(
                    Risk(
                        "key-in-use",
                        "refused",
                        keys[urn].name,
                        f"Secret `{secret.name}` carries this key now, and every consumer that has not restarted "
                        "since the last `up` holds it: deleting it revokes their access at once",
                        "retire only generations older than the one the Secrets carry: apply the rotation first, let "
                        "the consumers restart on the new Secret, then raise the retirement (retireKeysThrough, "
                        "serviceRetireKeysThrough, accessKeys.retireThrough) in a later change",
                    )
                )
    return risks


def _ilm_update_risks(base: Snapshot, head: Snapshot, replaced: frozenset[str]) -> list[Risk]:
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
            Risk(
                "ilm-update",
                "notice",
                record.name,
                f"the provider ignores a failed lifecycle update and keeps the old rules in the state: after the up, "
                f"`pulumi preview --expect-no-changes` (the deploy runs it) must show no change here, and "
                f"`mc ilm rule export <alias>/{bucket}` shows the rules in force",
            )
        )
    return risks


PARENT_GRANT_TYPES = (
    tokens.IAM_USER,
    tokens.IAM_POLICY,
    tokens.IAM_USER_POLICY_ATTACHMENT,
)


def _parent_user_risks(base: Snapshot, head: Snapshot, replaced: frozenset[str]) -> list[Risk]:
    """A service's parent user, its policy and their attachment hold every tenant's key of that service: MinIO's
    `DeleteUser` deletes all the user's service accounts (RELEASE.2024-12-18T13-15-44Z cmd/iam-store.go
    `IAMStoreSys.DeleteUser`); a replacement is create-before-delete, and since `AddUser` of an existing name
    upserts, the delete that follows removes the user the new resource stands for; without the policy or the
    attachment the parent grants nothing, and a key is its parent's rights narrowed by its own policy."""
    head_urns = {r.urn for r in head.resources}
    risks: list[Risk] = []
    for record in base.resources:
        if record.type not in PARENT_GRANT_TYPES or urn_type(record.parent) != tokens.SERVICE_USERS:
            continue
        if record.urn not in head_urns:
            what = "deleted"
        elif record.urn in replaced:
            what = "replaced (create, then delete: the delete removes what the create upserted)"
        else:
            continue
        risks.append(
            Risk(
                "parent-user",
                "refused",
                record.name,
                f"{what}: every tenant's access key under this parent user is revoked (MinIO deletes a user's "
                "service accounts with it, and a parent without its policy grants none of them anything)",
                "keep parent users, their names and their policy attachments; to change a parent, add a new one "
                "beside it, rotate every tenant's key of that service onto it, retire the old keys, then remove it",
            )
        )
    return risks


# --- Settings whose change a reviewer must be told about --------------------------------------------------------------
# One function per rule; each returns the risks of its rule with the severity beside the rule's id.


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
        distributed = _get(release.inputs, "values.mode") == "distributed"
        effect = (
            "in distributed mode a short outage: servers authenticate each other with the root credentials "
            "(`cmd/jwt.go`), so old and new pods refuse each other and the pool is below quorum until every pod runs "
            "the new ones"
            if distributed
            else "the single server restarts: a short outage"
        )
        risks.append(
            Risk(
                "root-rotation",
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


def _expiry_days(rule: Mapping[str, Any]) -> int | None:
    """Days of an ILM rule: `expiration` ("30d", the form components/model/lifecycle.py writes) or the noncurrent
    days."""
    expiration = rule.get("expiration")
    if isinstance(expiration, str) and expiration.endswith("d") and expiration[:-1].isdigit():
        return int(expiration[:-1])
    days = rule.get("noncurrentVersionExpirationDays")
    return int(days) if isinstance(days, (int, float)) else None


def _buckets(snapshot: Snapshot) -> set[Any]:
    return {r.inputs.get("bucket") for r in snapshot.resources if r.type == tokens.S3_BUCKET}


def _lifecycle_days(snapshot: Snapshot) -> dict[tuple[Any, str], int | None]:
    days = {}
    for record in snapshot.resources:
        if record.type == tokens.ILM_POLICY:
            for rule in record.inputs.get("rules") or ():
                days[(record.inputs.get("bucket"), str(rule.get("id")))] = _expiry_days(rule)
    return days


def retention_risks(base: Snapshot, head: Snapshot) -> list[Risk]:
    """An existing bucket whose lifecycle now deletes objects sooner, or starts deleting them (`expiryDays`,
    `temporaryObjects.expiryDays`, `noncurrentVersionExpiryDays` lowered or newly set). MinIO's scanner applies a
    rule to objects already there (RELEASE.2024-12-18T13-15-44Z cmd/data-scanner.go `applyLifecycle`): what is older
    than the new limit is deleted at the next scan, and no setting brings it back."""
    before, existing = _lifecycle_days(base), _buckets(base)
    risks = []
    for (bucket, rule), days in sorted(_lifecycle_days(head).items(), key=str):
        was = before.get((bucket, rule))
        if bucket not in existing or days is None or (was is not None and days >= was):
            continue
        what, key = LIFECYCLE_SETTINGS.get(rule, (f"rule `{rule}` expires after", "buckets"))
        change = f"{was} -> {days} days" if was is not None else f"{days} days (kept until now)"
        risks.append(
            Risk(
                "retention-shortened",
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
        status = _get(after.inputs, "versioningConfiguration.status") if after is not None else None
        removed = after is None and record.inputs.get("bucket") in buckets and not record.options.get("retainOnDelete")
        if removed or (after is not None and status == "Suspended"):
            bucket = str(record.inputs.get("bucket"))
            risks.append(
                Risk(
                    "versioning-suspended",
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
        Risk(
            "force-destroy",
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
        Risk(
            "protection-lifted",
            "warning",
            r.name,
            f"this {_kind(r.type)} is no longer protected: a later change or `pulumi destroy` can delete it",
        )
        for r in head.resources
        if r.urn in old and old[r.urn].options.get("protect") and not r.options.get("protect")
    ]


def namespace_deletion_risks(base: Snapshot, head: Snapshot) -> list[Risk]:
    """A namespace this program stops declaring (`createServiceNamespaces: false`): Kubernetes deletes everything in
    it, other teams' workloads included, unless it is retained (protected ones are refused by `protected-delete`)."""
    kept = {r.urn for r in head.resources}
    return [
        Risk(
            "namespace-deleted",
            "warning",
            str(_get(r.inputs, "metadata.name") or r.name),
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
            before = _get(old[release.urn].inputs, f"values.environment.{variable}")
            after = _get(release.inputs, f"values.environment.{variable}")
            if before != after and before is not None:
                changes.append(f"`{variable}` `{before}` -> `{after}`")
    if not changes:
        return []
    return [
        Risk(
            "kms-changed",
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
                Risk(
                    "quota-lowered",
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


@dataclass(frozen=True)
class Assessment:
    risks: tuple[Risk, ...]
    replaced: frozenset[str]  # URNs of resources present on both sides that the providers replace

    @property
    def refused(self) -> tuple[Risk, ...]:
        return tuple(r for r in self.risks if r.refused)


def assess(base: Snapshot, head: Snapshot) -> Assessment:
    """Every risk of going from `base` to `head`, refused changes first."""
    old = {r.urn: r for r in base.resources}
    new = {r.urn: r for r in head.resources}
    base_tenants: Mapping[str, Any] = base.outputs.get("tenants") or {}
    head_tenants: Mapping[str, Any] = head.outputs.get("tenants") or {}
    secret_mutable = _secret_mutable_providers(head)
    risks: list[Risk] = []
    replaced = set()
    for urn in sorted(old.keys() & new.keys()):
        found, replaces = _changed_risks(old[urn], new[urn], base, head, secret_mutable)
        risks += found
        if replaces:
            replaced.add(urn)
    for urn in sorted(old.keys() - new.keys()):
        risks += _removed_risks(old[urn], head_tenants)
    for urn in sorted(new.keys() - old.keys()):
        risks += _added_risks(new[urn], base_tenants)
    risks += _tenant_risks(base, head)
    risks += _key_in_use_risks(base, head)
    risks += _parent_user_risks(base, head, frozenset(replaced))
    risks += _ilm_update_risks(base, head, frozenset(replaced))
    for rule in SETTING_RULES:
        risks += rule(base, head)
    order = list(RULE_TITLES)
    risks.sort(key=lambda r: (SEVERITIES.index(r.severity), order.index(r.rule), r.subject))
    return Assessment(tuple(risks), frozenset(replaced))
