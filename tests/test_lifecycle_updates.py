"""A lifecycle change can fail silently (issue 15, finding G).

terraform-provider-minio v1.20.1 `minioUpdateILMPolicy` (minio/resource_minio_ilm_policy.go) calls
`minioCreateILMPolicy` and drops its result, then reads the bucket's lifecycle back into the state: an update MinIO
refused reports success, and the state keeps the old rules. The plan diff says so for every lifecycle update, with
how to check it; pulumi-up.yml's preview after the up fails while the rules differ (tests/test_workflows.py).
"""

from __future__ import annotations

from dataclasses import replace

from tests.test_change_risks import Rec, _risks

ILM = "minio:index/ilmPolicy:IlmPolicy"


def _policy(days: str) -> Rec:
    rule = {"id": "temporary", "expiration": days, "filter": "", "tags": {"matih-lifecycle": "temporary"}}
    return Rec(ILM, "datasets-lifecycle", {"bucket": "datasets", "rules": [rule]})


def test_a_lifecycle_update_says_how_to_verify_it():
    before = _policy("30d")
    [risk] = [r for r in _risks([before], [_policy("7d")]) if r.rule == "ilm-update"]
    assert risk.severity == "notice" and risk.subject == "datasets-lifecycle"
    assert "mc ilm rule export <alias>/datasets" in risk.what
    assert "pulumi preview --expect-no-changes" in risk.what


def test_an_unchanged_lifecycle_says_nothing():
    assert [r for r in _risks([_policy("30d")], [_policy("30d")]) if r.rule == "ilm-update"] == []


def test_a_lifecycle_moved_to_another_bucket_is_a_replacement_not_an_update():
    before = _policy("30d")
    after = replace(before, inputs={**before.inputs, "bucket": "datasets-2"})
    assert [r.rule for r in _risks([before], [after])] == ["replacement"]
