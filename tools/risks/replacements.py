"""Resources on both sides whose change the providers replace, and what a replacement costs (Secrets, keys, data)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from components import tokens
from tools.fidelity.minio_schema import minio_schema
from tools.risks.layout import release_risks, server_build_risks
from tools.risks.model import DATA_STAYS, Record, Risk, Rule, Snapshot, get_path, kind_of, provider_urn
from tools.risks.settings import catalog_bucket_of

OBJECT_LOCKING = Rule("object-locking", "Object locking changed on an existing bucket", ("refused",))
BUCKET_RENAME = Rule("bucket-rename", "Bucket renamed", ("refused",))
IMMUTABLE_FIELD = Rule("immutable-field", "Immutable field changed", ("refused",))
RELEASE_REPLACED = Rule("release-replaced", "MinIO release replaced", ("refused",))
NAMESPACE_REPLACED = Rule("namespace-replaced", "Namespace replaced", ("refused",))
PROTECTED_REPLACE = Rule("protected-replace", "Protected resources replaced", ("refused",))
REPLACEMENT = Rule("replacement", "Replacements (delete and create)", ("warning",))
SECRET_REPLACED = Rule("secret-replaced", "Secrets re-created (delete, then create)", ("warning",))
KEY_REPLACED = Rule("key-replaced", "Access keys replaced", ("warning",))
QUOTA_REMOVED = Rule("quota-removed", "Bucket quota removed (unlimited)", ("notice",))


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


def secret_mutable_providers(snapshot: Snapshot) -> frozenset[str]:
    """URNs of the Kubernetes providers that update Secret data in place (`enableSecretMutable`)."""
    return frozenset(
        r.urn
        for r in snapshot.resources
        if r.type == tokens.KUBERNETES_PROVIDER and str(r.inputs.get("enableSecretMutable")).lower() == "true"
    )


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
    return tuple(p for p in paths if get_path(before.inputs, p) != get_path(after.inputs, p))


def secret_changed(before: Record, after: Record, path: str) -> bool:
    """A masked value changed: compared by the runner's digests (tools.engine `secretDigests`)."""
    old, new = before.secretDigests, after.secretDigests
    return path in old and path in new and old[path] != new[path]


def bucket_risks(before: Record, after: Record) -> list[Risk]:
    old, new = before.inputs, after.inputs
    name = str(new.get("bucket") or after.name)
    risks: list[Risk] = []
    if old.get("bucket") != new.get("bucket"):
        risks.append(
            BUCKET_RENAME.risk(
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
            OBJECT_LOCKING.risk(
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
            QUOTA_REMOVED.risk(
                "notice",
                after.name,
                f"`{name}` loses its quota: the provider sets quota 0, which MinIO enforces as no limit",
            )
        )
    return risks


def replacement_risk(before: Record, after: Record, paths: tuple[str, ...]) -> Risk:
    fields = ", ".join(f"`{p}`" for p in paths)
    if after.type == tokens.HELM_RELEASE:
        return RELEASE_REPLACED.risk(
            "refused",
            after.name,
            f"{fields} changed: a new, empty MinIO is installed and the old release uninstalled (its claims stay)",
            "keep `releaseName` and `namespace`; to move, deploy a second release and `mc mirror` the buckets",
        )
    if after.type == tokens.NAMESPACE:
        return NAMESPACE_REPLACED.risk(
            "refused",
            after.name,
            f"{fields} changed: deleting a namespace deletes everything in it, MinIO's claims included",
            "keep `namespace`; to move, deploy a second release in the new namespace and `mc mirror` the buckets",
        )
    if after.options.get("protect"):
        return PROTECTED_REPLACE.risk(
            "refused",
            after.name,
            f"{fields} changed on a protected resource: Pulumi refuses to replace it and `up` stops part-way",
            "unprotect it in a change of its own first (or keep the field as it is)",
        )
    if after.type == tokens.IAM_SERVICE_ACCOUNT:
        return KEY_REPLACED.risk(
            "warning",
            after.name,
            f"{fields} changed: a new key is created and the old one deleted; consumers still holding the old "
            "key lose access until they read the new Secret",
        )
    if after.type == tokens.SECRET and set(paths) <= set(SECRET_DATA):
        return SECRET_REPLACED.risk(
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
    return REPLACEMENT.risk("warning", after.name, f"{fields} changed: delete and create{extra}")


def changed_risks(
    before: Record, after: Record, base: Snapshot, head: Snapshot, secret_mutable: frozenset[str]
) -> tuple[list[Risk], bool]:
    """Risks of one resource present on both sides, and whether the change is a replacement."""
    risks: list[Risk] = []
    if after.type == tokens.HELM_RELEASE:
        risks += release_risks(before, after, base, head)
        risks += server_build_risks(before, after)
    if after.type == tokens.S3_BUCKET:
        risks += bucket_risks(before, after)
    immutable = [
        p for p in KUBERNETES_IMMUTABLE.get(after.type, ()) if get_path(before.inputs, p) != get_path(after.inputs, p)
    ]
    if immutable:
        risks.append(
            IMMUTABLE_FIELD.risk(
                "refused",
                after.name,
                f"{', '.join(f'`{p}`' for p in immutable)} of a {kind_of(after.type)} cannot change: the API server "
                "rejects the update",
                "create a new object under a new name with the new setting and move the consumers to it",
            )
        )
    if after.type == tokens.S3_BUCKET_ENCRYPTION and before.inputs.get("kmsKeyId") != after.inputs.get("kmsKeyId"):
        risks.append(
            DATA_STAYS.risk(
                "notice",
                after.name,
                f"default key `{before.inputs.get('kmsKeyId')}` -> `{after.inputs.get('kmsKeyId')}` applies to new "
                "objects; existing objects stay encrypted with the old key",
            )
        )
    mutable = provider_urn(after.options.get("provider")) in secret_mutable
    paths = replacement_paths(before, after, mutable)
    secret_paths = [p for p in SECRET_DATA if secret_changed(before, after, p)]
    if after.type == tokens.SECRET and not mutable:
        paths = tuple(dict.fromkeys([*paths, *secret_paths]))
    # A Job is a run, not state: replacing the readiness gate re-runs it on purpose (components/model/readiness.py).
    if paths and after.type != tokens.JOB and not any(r.rule == "bucket-rename" for r in risks):
        risks.append(replacement_risk(before, after, paths))
    return risks, bool(paths)
