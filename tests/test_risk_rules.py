"""Risk rules at their edges: what one rule must not add to another, and the inputs older states lack.

Helpers come from tests/test_change_risks.py, so both files build snapshots the same way.
"""

from __future__ import annotations

from dataclasses import replace

from tests.test_change_risks import (
    TENANTS,
    Rec,
    Snap,
    _key,
    _release,
    _risks,
    _rules,
    _secret,
)
from tools.change_risks import assess


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
