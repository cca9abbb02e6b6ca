"""The pure alert rules: only metrics MinIO documents, thresholds from the layout, a runbook line on every alert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.model.alerts import AlertScope, alerts, metric_names, rule_groups, servers_tolerated, set_thresholds
from components.model.erasure import distributed_figures, standalone_figures

SCHEMAS = Path(__file__).resolve().parent.parent / "tools" / "schemas"
TIB = 2**40
SCOPE = AlertScope("minio", "minio", "kes")
PROD = distributed_figures(4, 4, 1, TIB, 4, 2)
# Prometheus' own per-target series (prometheus docs, "Jobs and instances": up, scrape_*), not MinIO's.
PROMETHEUS_SERIES = {"up"}


def documented_metrics() -> set[str]:
    document = json.loads((SCHEMAS / "minio-metrics.json").read_text())
    assert set(document["releases"]) == {"RELEASE.2024-12-18T13-15-44Z", "RELEASE.2025-10-15T17-29-55Z"}
    return set(document["v2"]) | set(document["v3"])


@pytest.mark.parametrize(
    "figures",
    [
        PROD,
        distributed_figures(4, 4, 2, TIB, 4, 2),
        standalone_figures(20 * 2**30),
        distributed_figures(4, 4, 1, TIB, 8, 2),
    ],
    ids=["prod", "two-pools", "dev", "ec8"],
)
def test_every_metric_is_documented_by_minio(figures):
    documented = documented_metrics()
    used = set().union(*(metric_names(a.expr) for a in alerts(SCOPE, figures)))
    assert used, "the rules read some metric"
    assert used - PROMETHEUS_SERIES <= documented, sorted(used - PROMETHEUS_SERIES - documented)


def test_metric_names_sees_every_series_and_nothing_else():
    expr = 'max by (pool, set) (rate(minio_a{job="x"}[5m])) > on (job) minio_b and absent(up == 1) unless minio_c'
    assert metric_names(expr) == {"minio_a", "minio_b", "up", "minio_c"}


def test_an_undocumented_metric_is_caught():
    assert "minio_cluster_erasure_set_online_drives" not in documented_metrics()  # a plausible, wrong name
    assert "minio_cluster_health_erasure_set_online_drives" in documented_metrics()


@pytest.mark.parametrize(
    ("figures", "read", "write"),
    [(PROD, 12, 12), (distributed_figures(4, 4, 1, TIB, 8, 2), 8, 9), (distributed_figures(2, 2, 1, TIB, 2, 1), 2, 3)],
)
def test_quorums_follow_minios_health_arithmetic(figures, read, write):
    thresholds = set_thresholds(figures)
    assert (thresholds.read_quorum, thresholds.write_quorum) == (read, write)


def test_prod_survives_one_server_of_four_and_dev_none():
    assert servers_tolerated(PROD) == 1
    assert servers_tolerated(standalone_figures(2**30)) == 0


def test_prod_thresholds_are_the_layouts_numbers():
    by_name = {a.name: a for a in alerts(SCOPE, PROD)}
    assert by_name["MinioErasureSetParityExhausted"].expr.endswith("== 12")
    assert by_name["MinioErasureSetQuorumLost"].expr.endswith("< 12")
    assert "< 16 and" in by_name["MinioErasureSetDegraded"].expr
    # 20% and 10% of the 12 TiB usable.
    assert str(int(12 * TIB * 0.2)) in by_name["MinioUsableCapacityLow"].expr
    assert by_name["MinioUsableCapacityCritical"].expr.endswith(f"< {int(12 * TIB * 0.1)}")
    assert "12 TiB" in by_name["MinioUsableCapacityLow"].description
    assert "WriteQuorumLost" not in " ".join(by_name)  # read and write quorum coincide at EC:4 of 16


def test_kms_alert_only_with_kes():
    assert "MinioKmsOffline" in {a.name for a in alerts(SCOPE, PROD)}
    for mode in ("static", "none"):
        assert "MinioKmsOffline" not in {a.name for a in alerts(AlertScope("minio", "minio", mode), PROD)}


def test_every_alert_has_for_summary_description_runbook_and_a_severity():
    for figures in (PROD, standalone_figures(2**30)):
        for group in rule_groups(SCOPE, figures):
            for rule in group["rules"]:  # type: ignore[attr-defined]
                assert rule["for"], rule
                assert rule["labels"]["severity"] in ("warning", "critical"), rule
                annotations = rule["annotations"]
                assert annotations["summary"] and annotations["description"] and annotations["runbook"], rule


def test_rules_select_only_this_minio():
    other = AlertScope("storage", "minio-b", "kes")
    for alert in alerts(other, PROD):
        assert 'namespace="storage",job="minio-b"' in alert.expr, alert.name


def test_readme_lists_every_alert_the_rules_can_declare():
    readme = (SCHEMAS.parent.parent / "README.md").read_text()
    section = readme.split("## Monitoring and alerts", 1)[1].split("\n## ", 1)[0]
    listed = set()
    for line in section.splitlines():
        if line.startswith("| `Minio"):
            first = line.split("|")[1]
            names = [n.strip(" `") for n in first.split("/")]
            listed.add(names[0])
            listed.update(names[0].rsplit("Low", 1)[0] + n for n in names[1:])
    ec8 = distributed_figures(4, 4, 1, TIB, 8, 2)
    declared = {a.name for figures in (PROD, ec8) for a in alerts(SCOPE, figures)}
    assert listed == declared


def test_rule_generation_imports_no_pulumi():
    import subprocess
    import sys

    code = (
        "import sys, components.model.alerts, components.model.dashboard, components.model.monitoring_objects, "
        "components.model.metrics_token; print(sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60, cwd=SCHEMAS.parent.parent
    )
    assert result.stdout.strip() == "[]"


def _alert(figures, name):
    (alert,) = [a for a in alerts(SCOPE, figures) if a.name == name]
    return alert


def test_parity_exhausted_says_reads_stop_too_when_read_and_write_quorum_are_equal():
    # prod: 16 drives at EC:4, read and write quorum 12: the 5th lost drive leaves 11, below both quorums
    # (MinIO reads an object from its data drives, so its read quorum is the data count).
    assert _alert(PROD, "MinioErasureSetParityExhausted").summary.endswith("one more lost drive stops reads and writes")


def test_parity_exhausted_says_only_writes_stop_when_write_quorum_is_above_read_quorum():
    # EC:8 on 16: write quorum 9 (data equals parity, MinIO's tie-breaker), read quorum 8: the next loss stops writes.
    ec8 = distributed_figures(4, 4, 1, TIB, 8, 2)
    assert _alert(ec8, "MinioErasureSetParityExhausted").summary.endswith("one more lost drive stops writes")


def test_degraded_warning_says_when_reduced_redundancy_objects_become_unreadable():
    # prod's RRS class is EC:2: such an object needs 14 of 16 drives, so with 3 lost (still above write quorum)
    # the warning fires while those objects are unreadable; "parity still covers them" would be false for them.
    degraded = _alert(PROD, "MinioErasureSetDegraded")
    assert "lost drives; standard parity still covers them" in degraded.summary
    assert "REDUCED_REDUNDANCY" in degraded.description and "EC:2" in degraded.description
    assert "more than 2 drive(s)" in degraded.description


def test_degraded_warning_names_no_rrs_limit_when_rrs_parity_covers_every_degraded_state():
    # RRS parity 3 and spare drives 3 (16 drives, EC:4 -> write quorum 12, warning while 13..15 online): the warning
    # never fires beyond what RRS parity covers, so it has nothing to add about it.
    figures = distributed_figures(4, 4, 1, TIB, 4, 3)
    assert "REDUCED_REDUNDANCY" not in _alert(figures, "MinioErasureSetDegraded").description
