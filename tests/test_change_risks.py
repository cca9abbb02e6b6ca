"""The risk classification on synthetic snapshots: each rule, its severity, and what it never flags."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from tools.change_risks import assess
from tools.engine import PROJECT_DIR
from tools.risks.model import Risk
from tools.risks.replacements import minio_force_new_fields

STACK = "urn:pulumi:prod::matih-minio::"
TENANT_URN = f"{STACK}pulumi:pulumi:Stack$matih:tenancy:Tenant::acme"
K8S_PROVIDER_URN = f"{STACK}pulumi:providers:kubernetes::kubernetes"


@dataclass(frozen=True)
class Rec:
    type: str
    name: str
    inputs: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    parent: str = ""
    secretDigests: Mapping[str, Any] = field(default_factory=dict)  # the runner's field name

    @property
    def urn(self) -> str:
        parent_type = "matih:tenancy:Tenant$" if self.parent == TENANT_URN else ""
        return f"{STACK}{parent_type}{self.type}::{self.name}"


@dataclass(frozen=True)
class Snap:
    resources: tuple[Rec, ...]
    outputs: Mapping[str, Any] = field(default_factory=dict)


def _risks(before: list[Rec], after: list[Rec], **outputs: Any) -> tuple[Risk, ...]:
    base_outputs = outputs.get("base", {})
    head_outputs = outputs.get("head", base_outputs)
    return assess(Snap(tuple(before), base_outputs), Snap(tuple(after), head_outputs)).risks


def _rules(risks: tuple[Risk, ...]) -> list[tuple[str, str, str]]:
    return [(r.rule, r.severity, r.subject) for r in risks]


RELEASE = "kubernetes:helm.sh/v3:Release"
BUCKET = "minio:index/s3Bucket:S3Bucket"
ACCESS_KEY = "minio:index/iamServiceAccount:IamServiceAccount"
SECRET = "kubernetes:core/v1:Secret"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"


def _release(**values: Any) -> Rec:
    defaults = {
        "mode": "distributed",
        "replicas": 4,
        "drivesPerNode": 4,
        "pools": 1,
        "persistence": {"size": "1Ti", "storageClass": "fast"},
        "environment": {"MINIO_STORAGE_CLASS_STANDARD": "EC:4"},
    }
    return Rec(RELEASE, "minio-release", {"name": "minio", "namespace": "minio", "values": {**defaults, **values}})


def _storage_class(**inputs: Any) -> Rec:
    defaults = {"metadata": {"name": "fast"}, "provisioner": "ebs.csi.aws.com", "reclaimPolicy": "Retain"}
    return Rec(STORAGE_CLASS, "minio-storage-class", {**defaults, **inputs})


def _bucket(name: str = "exports", **inputs: Any) -> Rec:
    return Rec(BUCKET, name, {"bucket": name, "acl": "private", "objectLocking": False, **inputs})


# --- Refused: what MinIO and the providers cannot do in place --------------------------------------------------------


@pytest.mark.parametrize(("key", "value"), [("replicas", 8), ("drivesPerNode", 2)])
def test_changing_an_existing_pools_servers_or_drives_is_refused(key, value):
    [risk] = _risks([_release()], [_release(**{key: value})])
    assert (risk.rule, risk.severity) == ("pool-layout", "refused")
    assert "topology.pools" in risk.instead


def test_changing_the_erasure_set_drive_count_of_an_existing_pool_is_refused():
    before = _release(environment={"MINIO_ERASURE_SET_DRIVE_COUNT": "16"})
    [risk] = _risks([before], [_release(environment={"MINIO_ERASURE_SET_DRIVE_COUNT": "8"})])
    assert (risk.rule, risk.severity) == ("pool-layout", "refused")
    assert "16 -> 8" in risk.what


def test_switching_between_standalone_and_distributed_is_refused():
    [risk] = _risks([_release(mode="standalone")], [_release()])
    assert (risk.rule, risk.severity) == ("pool-layout", "refused")
    assert "mc mirror" in risk.instead


def test_removing_a_pool_needs_a_decommission_and_adding_one_moves_nothing():
    [removed] = _risks([_release(pools=2)], [_release(pools=1)])
    assert (removed.rule, removed.severity) == ("pool-layout", "refused")
    assert "mc admin decommission" in removed.instead

    [added] = _risks([_release(pools=1)], [_release(pools=2)])
    assert (added.rule, added.severity) == ("data-stays", "notice")


def test_a_distributed_drive_size_change_is_refused_whatever_the_storage_class():
    expandable = _storage_class(allowVolumeExpansion=True)
    [risk] = _risks(
        [_release(), expandable], [_release(persistence={"size": "2Ti", "storageClass": "fast"}), expandable]
    )
    assert (risk.rule, risk.severity) == ("drive-size", "refused")
    assert "kubectl" in risk.instead and "patch pvc" in risk.instead


def test_a_standalone_claim_grows_only_when_its_storage_class_allows_expansion():
    grown = {"size": "40Gi", "storageClass": "fast"}
    before = _release(mode="standalone", persistence={"size": "20Gi", "storageClass": "fast"})
    after = _release(mode="standalone", persistence=grown)

    assert (
        _risks([before, _storage_class(allowVolumeExpansion=True)], [after, _storage_class(allowVolumeExpansion=True)])
        == ()
    )
    [fixed] = _risks([before, _storage_class()], [after, _storage_class()])
    assert (fixed.rule, fixed.severity) == ("drive-size", "refused")
    assert "does not allow volume expansion" in fixed.what

    shrunk = _release(mode="standalone", persistence={"size": "10Gi", "storageClass": "fast"})
    [shrink] = _risks(
        [before, _storage_class(allowVolumeExpansion=True)], [shrunk, _storage_class(allowVolumeExpansion=True)]
    )
    assert "can only grow" in shrink.what


def test_object_locking_on_an_existing_bucket_is_refused_both_ways():
    for before, after in ((False, True), (True, False)):
        [risk] = _risks([_bucket(objectLocking=before)], [_bucket(objectLocking=after)])
        assert (risk.rule, risk.severity, risk.subject) == ("object-locking", "refused", "exports")
        assert "mc mirror" in risk.instead


def test_removing_a_quota_works_in_place_and_is_only_a_notice():
    # v1.20.1 sends quota 0, which madmin-go v1.7.5 accepts and MinIO enforces as no limit (see the module's sources).
    tib = 2**40
    [risk] = _risks([_bucket(quota=2 * tib)], [_bucket()])
    assert (risk.rule, risk.severity) == ("quota-removed", "notice")
    assert "no limit" in risk.what
    assert _risks([_bucket(quota=2 * tib)], [_bucket(quota=3 * tib)]) == ()


def test_a_bucket_rename_is_refused_not_shown_as_a_plain_replacement():
    result = assess(Snap((_bucket("exports"),)), Snap((replace(_bucket("exports"), inputs={"bucket": "exports-v2"}),)))
    assert _rules(result.risks) == [("bucket-rename", "refused", "exports")]
    assert result.replaced == {_bucket("exports").urn}


def test_a_tenant_whose_locations_move_is_refused_and_its_procedure_mirrors():
    prefix = {"acme": {"locations": {"lakehouse": "s3://lakehouse/acme/"}}}
    bucket = {"acme": {"locations": {"lakehouse": "s3://lakehouse-acme/"}}}
    [risk] = _risks([], [], base={"tenants": prefix}, head={"tenants": bucket})
    assert (risk.rule, risk.severity, risk.subject) == ("isolation-move", "refused", "acme")
    assert "s3://lakehouse/acme/" in risk.what and "mc mirror" in risk.instead


def test_storage_class_fields_the_api_server_keeps_are_refused_and_the_replaced_ones_are_replacements():
    [rejected] = _risks([_storage_class()], [_storage_class(reclaimPolicy="Delete")])
    assert (rejected.rule, rejected.severity) == ("immutable-field", "refused")

    result = assess(Snap((_storage_class(),)), Snap((_storage_class(parameters={"type": "io2"}),)))
    assert _rules(result.risks) == [("replacement", "warning", "minio-storage-class")]
    assert "`parameters`" in result.risks[0].what


def test_renaming_the_release_or_the_namespace_is_refused():
    renamed = replace(_release(), inputs={**_release().inputs, "name": "minio-2"})
    assert _rules(_risks([_release()], [renamed])) == [("release-replaced", "refused", "minio-release")]

    namespace = Rec("kubernetes:core/v1:Namespace", "minio-namespace", {"metadata": {"name": "minio"}})
    moved = replace(namespace, inputs={"metadata": {"name": "storage"}})
    assert _rules(_risks([namespace], [moved])) == [("namespace-replaced", "refused", "minio-namespace")]


# --- Protection and retention ----------------------------------------------------------------------------------------


def test_deleting_or_replacing_a_protected_resource_is_refused():
    protected = replace(_bucket(), options={"protect": True, "retainOnDelete": True})
    [deleted] = _risks([protected], [])
    assert (deleted.rule, deleted.severity) == ("protected-delete", "refused")

    key = Rec("minio:index/kmsKey:KmsKey", "acme-kms-key", {"keyId": "tenant-acme"}, {"protect": True})
    [replaced] = _risks([key], [replace(key, inputs={"keyId": "tenant-acme-2"})])
    assert (replaced.rule, replaced.severity) == ("protected-replace", "refused")


def test_a_retained_resource_removed_is_a_warning_that_it_stays():
    key = Rec("minio:index/kmsKey:KmsKey", "acme-kms-key", {"keyId": "tenant-acme"}, {"retainOnDelete": True})
    assert _rules(_risks([key], [])) == [("retained-delete", "warning", "acme-kms-key")]


def test_replacing_a_kms_key_that_is_not_retained_says_it_shreds():
    key = Rec("minio:index/kmsKey:KmsKey", "acme-kms-key", {"keyId": "tenant-acme"})
    [risk] = _risks([key], [replace(key, inputs={"keyId": "tenant-acme-2"})])
    assert risk.rule == "replacement" and "crypto-shreds" in risk.what


# --- Keys and Secrets ------------------------------------------------------------------------------------------------


def _key(name: str = "acme-spark-access-key", **inputs: Any) -> Rec:
    return Rec(ACCESS_KEY, name, {"targetUser": "spark-parent", "policy": "{}", **inputs}, parent=TENANT_URN)


TENANTS = {"tenants": {"acme": {"locations": {}}}}


def test_access_keys_added_replaced_or_deleted_for_a_remaining_tenant_are_reported():
    added = _risks([_key()], [_key(), _key("acme-spark-access-key-2")], base=TENANTS)
    assert _rules(added) == [("key-added", "notice", "acme-spark-access-key-2")]

    replaced = _risks([_key()], [_key(targetUser="spark-parent-2")], base=TENANTS)
    assert _rules(replaced) == [("key-replaced", "warning", "acme-spark-access-key")]

    retired = _risks([_key(), _key("acme-spark-access-key-2")], [_key()], base=TENANTS)
    assert _rules(retired) == [("key-retired", "warning", "acme-spark-access-key-2")]


def test_a_policy_change_keeps_the_key_and_a_new_tenants_keys_are_no_rotation():
    assert _risks([_key()], [_key(policy='{"Statement": []}')], base=TENANTS) == ()
    assert _risks([], [_key()], base={"tenants": {}}, head=TENANTS) == ()


def _secret(digest: str, provider_inputs: Mapping[str, Any] | None = None) -> list[Rec]:
    provider = Rec("pulumi:providers:kubernetes", "kubernetes", provider_inputs or {})
    secret = Rec(
        SECRET,
        "acme-trino-catalog",
        {"metadata": {"name": "trino-iceberg-acme"}, "type": "Opaque", "stringData": "[secret]"},
        {"provider": f"{K8S_PROVIDER_URN}::kubernetes-id"},
        secretDigests={"stringData": {"acme.properties": digest}},
    )
    return [provider, secret]


def test_a_secret_whose_masked_data_changed_is_re_created_unless_the_provider_mutates_secrets():
    result = assess(Snap(tuple(_secret("aaaa"))), Snap(tuple(_secret("bbbb"))))
    assert _rules(result.risks) == [("secret-replaced", "warning", "acme-trino-catalog")]
    assert len(result.replaced) == 1

    mutable = {"enableSecretMutable": True}
    assert assess(Snap(tuple(_secret("aaaa", mutable))), Snap(tuple(_secret("bbbb", mutable)))).risks == ()
    assert assess(Snap(tuple(_secret("aaaa"))), Snap(tuple(_secret("aaaa")))).risks == ()


# --- Data that stays, ordering, sources ------------------------------------------------------------------------------


def test_parity_and_default_key_changes_apply_to_new_objects_only():
    [parity] = _risks([_release()], [_release(environment={"MINIO_STORAGE_CLASS_STANDARD": "EC:3"})])
    assert (parity.rule, parity.severity) == ("data-stays", "notice")

    sse = Rec("minio:index/s3BucketServerSideEncryption:S3BucketServerSideEncryption", "exports-sse")
    before, after = replace(sse, inputs={"kmsKeyId": "a"}), replace(sse, inputs={"kmsKeyId": "b"})
    assert _rules(_risks([before], [after])) == [("data-stays", "notice", "exports-sse")]


def test_a_removed_tenant_keeps_its_data():
    tenants = {"acme": {"locations": {"lakehouse": "s3://lakehouse/acme/"}}}
    [risk] = _risks([], [], base={"tenants": tenants}, head={"tenants": {}})
    assert (risk.rule, risk.severity, risk.subject) == ("data-stays", "notice", "acme")
    assert "s3://lakehouse/acme/" in risk.what


def test_refused_risks_come_first():
    protected = replace(_bucket("thumbnails"), options={"protect": True})
    risks = _risks(
        [_release(), _bucket(objectLocking=True), protected],
        [_release(pools=2), _bucket(objectLocking=False)],
    )
    assert [r.severity for r in risks] == ["refused", "refused", "notice"]


def test_force_new_fields_come_from_the_provider_schema_in_pulumi_names():
    # platform-facts section 8: bucket/bucket_prefix, target_user, IamUser name, KmsKey key_id.
    assert minio_force_new_fields(BUCKET) == {"bucket", "bucketPrefix"}
    assert minio_force_new_fields(ACCESS_KEY) == {"targetUser"}
    assert minio_force_new_fields("minio:index/iamUser:IamUser") == {"name"}
    assert minio_force_new_fields("minio:index/kmsKey:KmsKey") == {"keyId"}
    assert minio_force_new_fields("minio:index/ilmPolicy:IlmPolicy") == {"bucket"}


def test_the_classification_imports_no_pulumi():
    probe = (
        "import sys, tools.change_risks; print(sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_replacement_fields_agree_with_the_runners_reading_of_the_provider_schema():
    from tools.fidelity import minio_schema as fidelity

    for token in fidelity.minio_schema():
        top_level = {path for path in fidelity.force_new_fields(token) if "." not in path and "[" not in path}
        assert minio_force_new_fields(token) == top_level, token
    assert "bucket" in minio_force_new_fields("minio:index/s3Bucket:S3Bucket")


# --- The MinIO server build ---------------------------------------------------------------------------------------

OLD_IMAGE = {"repository": "quay.io/minio/minio", "tag": "RELEASE.2024-12-18T13-15-44Z@sha256:" + "1" * 64}
NEW_IMAGE = {"repository": "ghcr.io/coollabsio/minio", "tag": "RELEASE.2025-10-15T17-29-55Z@sha256:" + "2" * 64}


def test_upgrading_a_distributed_server_warns_of_the_restart_outage_and_says_the_data_carries_over():
    [risk] = _risks([_release(image=OLD_IMAGE)], [_release(image=NEW_IMAGE)])
    assert (risk.rule, risk.severity, risk.subject) == ("server-upgrade", "warning", "minio-release")
    for fragment in (
        "RELEASE.2024-12-18T13-15-44Z -> RELEASE.2025-10-15T17-29-55Z",
        "binary checksum",
        "short outage",
        "4 servers",
        "format.json",
        "IAM",
        "carry over",
    ):
        assert fragment in risk.what, (fragment, risk.what)


def test_upgrading_a_standalone_server_warns_that_the_new_pod_starts_beside_the_old_one():
    before, after = _release(mode="standalone", image=OLD_IMAGE), _release(mode="standalone", image=NEW_IMAGE)
    [risk] = _risks([before], [after])
    assert risk.rule == "server-upgrade" and "maxSurge" in risk.what and "same claim" in risk.what


def test_a_release_pair_not_read_in_the_sources_says_so_and_a_downgrade_is_named():
    later = {**NEW_IMAGE, "tag": "RELEASE.2026-01-01T00-00-00Z@sha256:" + "3" * 64}
    [risk] = _risks([_release(image=NEW_IMAGE)], [_release(image=later)])
    assert "not read" in risk.what and "carry over" not in risk.what
    [down] = _risks([_release(image=NEW_IMAGE)], [_release(image=OLD_IMAGE)])
    assert "downgrade" in down.what


def test_the_same_image_and_a_digest_only_rebuild_are_judged_right():
    assert _risks([_release(image=NEW_IMAGE)], [_release(image=dict(NEW_IMAGE))]) == ()
    rebuilt = {**NEW_IMAGE, "tag": "RELEASE.2025-10-15T17-29-55Z@sha256:" + "4" * 64}
    [risk] = _risks([_release(image=NEW_IMAGE)], [_release(image=rebuilt)])
    assert risk.rule == "server-upgrade" and "same release" in risk.what


# --- Settings a reviewer must be told about -------------------------------------------------------------------------

RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
LIFECYCLE = "minio:index/ilmPolicy:IlmPolicy"
VERSIONING = "minio:index/s3BucketVersioning:S3BucketVersioning"
NAMESPACE = "kubernetes:core/v1:Namespace"


def _root_rotation(mode: str, keepers_before: Any, keepers_after: Any) -> tuple[Risk, ...]:
    password = Rec(RANDOM_PASSWORD, "minio-root-password", {"length": 40})
    release = replace(_release(mode=mode), options={"dependsOn": [password.urn]})
    before = replace(password, inputs={**password.inputs, **({"keepers": keepers_before} if keepers_before else {})})
    after = replace(password, inputs={**password.inputs, **({"keepers": keepers_after} if keepers_after else {})})
    return _risks([before, release], [after, release])


def test_a_root_credential_rotation_says_every_pod_rolls_and_distributed_mode_has_an_outage():
    [risk] = _root_rotation("distributed", None, {"rotation": "1"})
    assert (risk.rule, risk.severity, risk.subject) == ("root-rotation", "warning", "minio-release")
    assert "rolls every MinIO pod" in risk.what and "short outage" in risk.what and "cmd/jwt.go" in risk.what

    [again] = _root_rotation("distributed", {"rotation": "1"}, {"rotation": "2"})
    assert again.rule == "root-rotation"
    [standalone] = _root_rotation("standalone", {"rotation": "1"}, {"rotation": "2"})
    assert "single server restarts" in standalone.what and "quorum" not in standalone.what

    assert _root_rotation("distributed", {"rotation": "2"}, {"rotation": "2"}) == ()


def test_a_rotated_password_the_release_does_not_read_is_no_root_rotation():
    password = Rec(RANDOM_PASSWORD, "spark-parent-secret", {"length": 40})
    rotated = replace(password, inputs={"length": 40, "keepers": {"rotation": "1"}})
    assert [r.rule for r in _risks([password, _release()], [rotated, _release()])] == []


def _without_ilm_notice(risks: tuple[Risk, ...]) -> tuple[Risk, ...]:
    """Every changed lifecycle also gets the `ilm-update` notice (tested on its own): the rules here judge the days."""
    return tuple(r for r in risks if r.rule != "ilm-update")


def _lifecycle(bucket: str, *rules: Mapping[str, Any]) -> Rec:
    return Rec(LIFECYCLE, f"{bucket}-lifecycle", {"bucket": bucket, "rules": list(rules)})


def _expire(rule_id: str, days: int) -> dict[str, Any]:
    if rule_id == "expire-noncurrent-versions":
        return {"id": rule_id, "noncurrentVersionExpirationDays": days}
    return {"id": rule_id, "expiration": f"{days}d"}


@pytest.mark.parametrize(
    ("rule_id", "setting"),
    [
        ("expire-objects", "buckets.exports.expiryDays"),
        ("expire-temporary-objects", "temporaryObjects.expiryDays"),
        ("expire-noncurrent-versions", "buckets.exports.noncurrentVersionExpiryDays"),
    ],
)
def test_an_expiry_one_day_shorter_is_a_warning_naming_the_setting_and_equal_or_longer_is_none(rule_id, setting):
    def risks(before: int, after: int, bucket: str = "exports") -> tuple[Risk, ...]:
        old, new = _lifecycle(bucket, _expire(rule_id, before)), _lifecycle(bucket, _expire(rule_id, after))
        return _without_ilm_notice(_risks([_bucket(bucket), old], [_bucket(bucket), new]))

    [shorter] = risks(30, 29)
    assert (shorter.rule, shorter.severity, shorter.subject) == ("retention-shortened", "warning", "exports")
    assert "30 -> 29 days" in shorter.what and f"`{setting}`" in shorter.what
    assert risks(30, 30) == () and risks(30, 31) == ()
    # A tenant's dedicated copy names the catalog bucket's setting.
    [tenant_copy] = risks(30, 7, bucket="exports-acme")
    assert tenant_copy.subject == "exports-acme" and f"`{setting}`" in tenant_copy.what


def test_a_new_expiry_on_an_existing_bucket_is_a_warning_but_not_on_a_new_bucket():
    rule = _expire("expire-objects", 90)
    [risk] = _risks([_bucket()], [_bucket(), _lifecycle("exports", rule)])
    assert risk.rule == "retention-shortened" and "90 days (kept until now)" in risk.what
    assert _risks([], [_bucket(), _lifecycle("exports", rule)]) == ()
    # Removing an expiry keeps more: nothing to warn about (beyond the notice every lifecycle update gets).
    removed = _risks([_bucket(), _lifecycle("exports", rule)], [_bucket(), _lifecycle("exports")])
    assert [r.rule for r in removed] == ["ilm-update"]


def test_versioning_turned_off_on_a_bucket_that_stays_is_a_warning():
    versioning = Rec(
        VERSIONING, "exports-versioning", {"bucket": "exports", "versioningConfiguration": {"status": "Enabled"}}
    )
    [risk] = _risks([_bucket(), versioning], [_bucket()])
    assert (risk.rule, risk.severity, risk.subject) == ("versioning-suspended", "warning", "exports")
    assert "`buckets.exports.versioning`" in risk.what

    suspended = replace(versioning, inputs={"bucket": "exports", "versioningConfiguration": {"status": "Suspended"}})
    assert [r.rule for r in _risks([_bucket(), versioning], [_bucket(), suspended])] == ["versioning-suspended"]
    # Gone with its bucket, or retained (offboarding): versioning stays as it is.
    assert [r.rule for r in _risks([_bucket(), versioning], [])] == []
    retained = replace(versioning, options={"retainOnDelete": True})
    assert [r.rule for r in _risks([_bucket(), retained], [_bucket()])] == ["retained-delete"]


def test_force_destroy_turned_on_and_protection_lifted_are_warnings():
    [destroy] = _risks([_bucket()], [_bucket(forceDestroy=True)])
    assert (destroy.rule, destroy.severity) == ("force-destroy", "warning")
    assert _risks([_bucket(forceDestroy=True)], [_bucket(forceDestroy=True)]) == ()

    protected = replace(_bucket(), options={"protect": True})
    [lifted] = _risks([protected], [_bucket()])
    assert (lifted.rule, lifted.severity, lifted.subject) == ("protection-lifted", "warning", "exports")
    assert _risks([_bucket()], [protected]) == ()


def test_a_namespace_the_program_stops_declaring_is_a_warning_unless_retained():
    namespace = Rec(NAMESPACE, "ml-service-namespace", {"metadata": {"name": "matih-ml"}})
    [risk] = _risks([namespace], [])
    assert (risk.rule, risk.severity, risk.subject) == ("namespace-deleted", "warning", "matih-ml")
    assert [r.rule for r in _risks([replace(namespace, options={"retainOnDelete": True})], [])] == ["retained-delete"]


def test_a_kms_change_says_old_objects_need_the_old_kms():
    old = _release(environment={"MINIO_KMS_KES_KEY_NAME": "platform"})
    [risk] = _risks([old], [_release(environment={"MINIO_KMS_KES_KEY_NAME": "platform-2"})])
    assert (risk.rule, risk.severity) == ("kms-changed", "warning") and "platform-2" in risk.what

    mode = _risks([], [], base={"kms": {"mode": "static"}}, head={"kms": {"mode": "kes"}})
    assert [(r.rule, r.subject) for r in mode] == [("kms-changed", "kms")]
    assert _risks([], [], base={"kms": {"mode": "kes"}}) == ()


def test_a_lower_or_new_quota_is_a_notice_and_a_higher_one_is_none():
    [lower] = _risks([_bucket(quota=2 * 2**40)], [_bucket(quota=2**40)])
    assert (lower.rule, lower.severity) == ("quota-lowered", "notice") and "2 TiB -> 1 TiB" in lower.what
    assert [r.rule for r in _risks([_bucket()], [_bucket(quota=2**40)])] == ["quota-lowered"]
    assert _risks([_bucket(quota=2**40)], [_bucket(quota=2 * 2**40)]) == ()


# --- Advice in the user's words -------------------------------------------------------------------------------------

CHART_ONLY_WORDS = ("replicas", "drivesPerNode", "existingSecret", "values.", "persistence.")


def _refusals() -> list[Risk]:
    expandable = _storage_class(allowVolumeExpansion=True)
    release = Rec(
        RELEASE, "minio-release", {"name": "minio", "namespace": "minio", "values": _release().inputs["values"]}
    )
    cases = [
        ([_release()], [_release(replicas=8)]),
        ([_release()], [_release(drivesPerNode=2)]),
        ([_release(mode="standalone")], [_release()]),
        ([_release(pools=2)], [_release()]),
        ([_release(environment={"MINIO_ERASURE_SET_DRIVE_COUNT": "16"})], [_release()]),
        ([_release(), expandable], [_release(persistence={"size": "2Ti", "storageClass": "fast"}), expandable]),
        ([_bucket("exports-acme", objectLocking=True)], [_bucket("exports-acme")]),
        ([release], [replace(release, inputs={**release.inputs, "namespace": "storage"})]),
    ]
    return [risk for before, after in cases for risk in _risks(before, after) if risk.refused]


def test_every_refusal_says_what_to_do_in_the_stack_files_keys():
    from components.model.config import TOP_LEVEL_KEYS

    refusals = _refusals()
    assert len(refusals) == 8
    for risk in refusals:
        assert not any(word in risk.instead for word in CHART_ONLY_WORDS), risk.instead
        for key in re.findall(r"`([a-zA-Z]+(?:\.[a-zA-Z-]+)*)`", risk.instead):
            if key[0].islower() and not key.startswith(("mc", "kubectl")):
                assert key.split(".")[0] in TOP_LEVEL_KEYS, (key, risk.instead)
    instead = " ".join(r.instead for r in refusals)
    for key in (
        "topology.serversPerPool",
        "topology.drivesPerServer",
        "topology.pools",
        "topology.mode",
        "buckets.exports.objectLocking",
        "releaseName",
        "storage.sizePerDrive",
        "erasure.setDriveCount",
    ):
        assert f"`{key}`" in instead, key
