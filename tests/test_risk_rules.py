"""Risk rules at their edges: what one rule must not add to another, and the inputs older states lack.

Helpers come from tests/test_change_risks.py, so both files build snapshots the same way.
"""

from __future__ import annotations

from dataclasses import replace

from tests.test_change_risks import (
    TENANTS,
    Rec,
    Snap,
    _bucket,
    _key,
    _release,
    _risks,
    _rules,
    _secret,
    _storage_class,
)
from tools.change_risks import assess
from tools.risks.model import Risk


def test_two_layout_changes_in_one_release_give_one_refusal():
    # The set-size refusal only speaks when servers and drives stayed: one change, one thing to undo.
    before = _release(environment={"MINIO_STORAGE_CLASS_STANDARD": "EC:4", "MINIO_ERASURE_SET_DRIVE_COUNT": "16"})
    after = _release(
        replicas=8, environment={"MINIO_STORAGE_CLASS_STANDARD": "EC:4", "MINIO_ERASURE_SET_DRIVE_COUNT": "8"}
    )
    [risk] = _risks([before], [after])
    assert (risk.rule, risk.severity) == ("pool-layout", "refused")
    assert risk.what.startswith("servers per pool 4 -> 8: ")


def test_servers_and_drives_changed_together_are_two_refusals():
    risks = _risks([_release()], [_release(replicas=8, drivesPerNode=2)])
    assert [r.what.split(":")[0] for r in risks] == ["servers per pool 4 -> 8", "drives per server 4 -> 2"]


def test_a_base_state_without_pools_counts_as_one_pool():
    before = _release()
    del before.inputs["values"]["pools"]
    [added] = _risks([before], [_release(pools=2)])
    assert (added.rule, added.severity) == ("data-stays", "notice")
    assert added.what.startswith("pools 1 -> 2: ")
    assert _risks([before], [_release(pools=1)]) == ()
    assert _risks([_release(pools=1)], [before]) == ()


def test_a_release_without_values_is_read_as_empty():
    bare = Rec(_release().type, "minio-release", {"name": "minio", "namespace": "minio"})
    [risk] = _risks([bare], [_release()])
    assert risk.what.startswith("mode `None` -> `distributed`: ")


def test_a_mode_change_gives_no_parity_notice():
    standalone = _release(mode="standalone", environment={"MINIO_STORAGE_CLASS_STANDARD": "EC:0"})
    assert _rules(_risks([standalone], [_release()])) == [("pool-layout", "refused", "minio-release")]


def test_rrs_parity_changes_are_a_notice_of_their_own():
    before = _release(environment={"MINIO_STORAGE_CLASS_STANDARD": "EC:4", "MINIO_STORAGE_CLASS_RRS": "EC:1"})
    after = _release(environment={"MINIO_STORAGE_CLASS_STANDARD": "EC:4", "MINIO_STORAGE_CLASS_RRS": "EC:2"})
    [notice] = _risks([before], [after])
    assert (notice.rule, notice.severity) == ("data-stays", "notice")
    assert notice.what.startswith("RRS parity `EC:1` -> `EC:2` applies to objects written from now on")


def test_a_standalone_release_ignores_distributed_fields():
    before = _release(mode="standalone", replicas=1, drivesPerNode=1, pools=2)
    assert _risks([before], [_release(mode="standalone", replicas=4, drivesPerNode=4, pools=1)]) == ()


def test_a_tenant_removed_whole_gets_no_key_retired_warnings():
    tenants = {"acme": {"locations": {"lakehouse": "s3://lakehouse/acme/"}}}
    risks = _risks([_key()], [], base={"tenants": tenants}, head={"tenants": {}})
    assert _rules(risks) == [("data-stays", "notice", "acme")]


def test_a_key_outside_any_tenant_is_never_a_tenant_key():
    loose = replace(_key(), parent="")
    assert _risks([loose], [], base=TENANTS) == ()
    assert _risks([], [loose], base=TENANTS) == ()


def test_a_base_secret_without_a_digest_is_not_a_replacement():
    # A state written before the runner recorded digests: nothing to compare, so nothing is claimed.
    _provider, head_secret = _secret("bbbb")
    base_secret = replace(head_secret, secretDigests={})
    result = assess(Snap((_provider, base_secret)), Snap((_provider, head_secret)))
    assert result.risks == () and result.replaced == frozenset()


def test_a_secret_under_a_provider_that_mutates_secrets_only_changes_when_its_name_does():
    provider, secret = _secret("aaaa", {"enableSecretMutable": "true"})
    renamed = replace(secret, inputs={**secret.inputs, "metadata": {"name": "trino-iceberg-other"}})
    result = assess(Snap((provider, secret)), Snap((provider, renamed)))
    assert [r.rule for r in result.risks] == ["replacement"]
    assert result.replaced == frozenset({secret.urn})
    # Only its data changed: updated in place, nothing to report.
    changed = replace(secret, secretDigests={"stringData": {"acme.properties": "bbbb"}})
    assert assess(Snap((provider, secret)), Snap((provider, changed))).risks == ()


# --- The exact words: a reviewer acts on `what` and `instead`, so a garbled or missing one is a bug ---


def test_a_bucket_rename_says_what_happens_and_what_to_do():
    renamed = replace(_bucket("exports"), inputs={**_bucket("exports").inputs, "bucket": "exports-v2"})
    [risk] = _risks([_bucket("exports")], [renamed])
    assert risk == Risk(
        "bucket-rename",
        "refused",
        "exports",
        "bucket `exports` -> `exports-v2` replaces it: a new, empty bucket, and the old one is deleted (or, retained, "
        "left behind) with every object in it",
        "declare the new bucket beside the old one, `mc mirror --preserve` the objects across, switch the consumers, "
        "then remove the old bucket in a later change",
    )


def test_object_locking_names_the_bucket_and_both_settings():
    renamed = replace(_bucket("exports"), name="exports-resource")
    after = replace(renamed, inputs={**renamed.inputs, "objectLocking": True})
    [risk] = _risks([renamed], [after])
    assert risk == Risk(
        "object-locking",
        "refused",
        "exports-resource",
        "`exports` object locking False -> True: the provider's update applies only acl and quota, so it reports "
        "success and changes nothing (object locking is set when a bucket is created)",
        "keep `buckets.exports.objectLocking`; create a new bucket with the object-locking setting you want, "
        "`mc mirror --preserve` the objects into it, "
        "switch the consumers, then retire the old bucket",
    )
    # Without a bucket input the resource name stands in.
    bare = Rec(_bucket().type, "exports-resource", {"objectLocking": False})
    [unnamed] = _risks([bare], [replace(bare, inputs={"objectLocking": True})])
    assert unnamed.what.startswith("`exports-resource` object locking False -> True")


def test_a_new_key_for_an_existing_tenant_says_when_consumers_see_it():
    [risk] = _risks([], [_key()], base=TENANTS)
    assert risk == Risk(
        "key-added",
        "notice",
        "acme-spark-access-key",
        "a new access key for existing tenant `acme`: consumers get it from their Secret when they next read it "
        "(pods read environment at start)",
    )


CLAIM = "kubernetes:core/v1:PersistentVolumeClaim"


def _claim(size: str, storage_class: str = "fast") -> Rec:
    spec = {"storageClassName": storage_class, "resources": {"requests": {"storage": size}}}
    return Rec(CLAIM, "minio-data", {"metadata": {"name": "minio-data"}, "spec": spec})


def _standalone_with_claim() -> Rec:
    return _release(mode="standalone", persistence={"existingClaim": "minio-data", "size": "1Ti"})


def test_a_standalone_program_claim_is_sized_by_the_claim_and_judged_by_its_class():
    release = _standalone_with_claim()
    fixed, expandable = _storage_class(), _storage_class(allowVolumeExpansion=True)
    # The release's own persistence.size is ignored: the claim's request is the drive.
    [refused] = _risks([release, _claim("20Gi"), fixed], [release, _claim("40Gi"), fixed])
    assert refused.what == (
        "drive size `20Gi` -> `40Gi`: StorageClass `fast` does not allow volume expansion, so the update fails"
    )
    assert _risks([release, _claim("20Gi"), expandable], [release, _claim("40Gi"), expandable]) == ()
    # A class the program does not declare: a warning that names it.
    [unknown] = _risks([release, _claim("20Gi", "standard")], [release, _claim("40Gi", "standard")])
    assert (unknown.rule, unknown.severity) == ("drive-size", "warning")
    assert "StorageClass `standard` allows volume expansion" in unknown.what
    # Another claim of the same name but another kind is not the drive.
    other = Rec("kubernetes:core/v1:ConfigMap", "minio-data", _claim("99Gi").inputs)
    assert _risks([release, _claim("20Gi"), other, fixed], [release, _claim("20Gi"), other, fixed]) == ()
