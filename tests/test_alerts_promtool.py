"""The generated alerting rules under Prometheus' own engine: `promtool check rules` loads them, and `promtool test
rules` replays scenario series for every layout we ship and checks that exactly the expected alerts fire, with the
severity the layout implies.

The expectations below are written from the layouts, not read from components/model/alerts.py: prod is one erasure set
of 16 drives at EC:4 (read and write quorum 12: three lost drives leave a spare, four exhaust the parity, five lose the
quorum); dev is one drive without parity (any loss loses it); a second pool adds a second set of the same size; and
EC:8 on 16 drives (read quorum 8, write quorum 9: data equals parity, MinIO's tie-breaker) is the one layout where
writes stop before reads.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.model.alerts import alert_scope, rule_groups
from components.model.config import Settings, load_settings
from components.model.figures import layout_figures
from tests.promtool_support import run_promtool, write_yaml
from tools.engine import project_config_values

TIB = 2**40
GIB = 2**30
EVAL = "7h"  # past every `for:` and a full forecast window
STEP_MINUTES = 2  # a sample every 2 minutes, well inside the 5-minute lookback
SAMPLES = 7 * 60 // STEP_MINUTES + 5


def stack_settings(stack: str, **changes: Any) -> Settings:
    config = copy.deepcopy(project_config_values(stack))
    for key, value in changes.items():
        config[key] = {**config[key], **value}
    return load_settings(config, stack)


@dataclass(frozen=True)
class Layout:
    settings: Settings
    sets: tuple[tuple[int, int], ...]  # (pool, set) ids MinIO reports
    drives: int  # per set
    usable: int  # bytes
    instances: int  # pods scraped (each reports the whole cluster)
    lost: dict[str, int]  # scenario -> online drives of the affected set


LAYOUTS = {
    "dev": lambda: Layout(
        stack_settings("dev"),
        sets=((0, 0),),
        drives=1,
        usable=20 * GIB,
        instances=1,
        lost={"one_drive_lost": 0, "parity_exhausted": 0, "quorum_lost": 0},
    ),
    "prod": lambda: Layout(
        stack_settings("prod"),
        sets=((0, 0),),
        drives=16,
        usable=12 * TIB,
        instances=4,
        lost={"one_drive_lost": 15, "last_spare": 13, "parity_exhausted": 12, "quorum_lost": 11},
    ),
    "prod-two-pools": lambda: Layout(
        stack_settings("prod", topology={"pools": 2}),
        sets=((0, 0), (1, 0)),
        drives=16,
        usable=24 * TIB,
        instances=8,
        lost={"one_drive_lost": 15, "last_spare": 13, "parity_exhausted": 12, "quorum_lost": 11},
    ),
    "prod-ec8": lambda: Layout(
        stack_settings("prod", erasure={"standard": "EC:8"}),
        sets=((0, 0),),
        drives=16,
        usable=8 * TIB,
        instances=4,
        lost={
            "one_drive_lost": 15,
            "last_spare": 10,
            "parity_exhausted": 9,
            "write_quorum_lost": 8,
            "quorum_lost": 7,
        },
    ),
}

SET_ALERT = "set"  # marks an expected alert on the affected erasure set
W, C = "warning", "critical"
DRIVE_LOSS = {
    "one_drive_lost": ("MinioErasureSetDegraded", W),
    "last_spare": ("MinioErasureSetDegraded", W),
    "parity_exhausted": ("MinioErasureSetParityExhausted", C),
    "write_quorum_lost": ("MinioErasureSetWriteQuorumLost", C),
    "quorum_lost": ("MinioErasureSetQuorumLost", C),
}
# What fires in each scenario, by layout: alert name -> severity, and whether it names the affected set.
COMMON = {
    "healthy": {},
    "healing": {"MinioDrivesHealing": (W, SET_ALERT)},
    "capacity_low": {"MinioUsableCapacityLow": (W, None)},
    "capacity_critical": {"MinioUsableCapacityCritical": (C, None)},
    "filling_up": {"MinioUsableCapacityExhaustionForecast": (W, None)},
    "drives_missing_from_layout": {"MinioUsableCapacityBelowLayout": (W, None)},
    "scrape_absent": {"MinioMetricsAbsent": (C, None)},
}
EXPECTED: dict[str, dict[str, dict[str, tuple[str, str | None]]]] = {
    "dev": {
        **COMMON,
        # No parity: the first lost drive is the last.
        "one_drive_lost": {"MinioErasureSetQuorumLost": (C, SET_ALERT)},
        "parity_exhausted": {"MinioErasureSetQuorumLost": (C, SET_ALERT)},
        "quorum_lost": {"MinioErasureSetQuorumLost": (C, SET_ALERT)},
        # A static key cannot go offline: no KMS rule in dev.
        "kms_offline": {},
    },
    **{
        name: {
            **COMMON,
            **{scenario: {DRIVE_LOSS[scenario][0]: (DRIVE_LOSS[scenario][1], SET_ALERT)} for scenario in lost},
            "kms_offline": {"MinioKmsOffline": (C, None)},
            # One server of a pool down takes its 4 drives of the set: the parity of EC:4 is used up.
            "node_offline": {
                "MinioNodesOffline": (W, None),
                "MinioErasureSetParityExhausted" if name != "prod-ec8" else "MinioErasureSetDegraded": (
                    C if name != "prod-ec8" else W,
                    SET_ALERT,
                ),
            },
        }
        for name, lost in (
            ("prod", ("one_drive_lost", "last_spare", "parity_exhausted", "quorum_lost")),
            ("prod-two-pools", ("one_drive_lost", "last_spare", "parity_exhausted", "quorum_lost")),
            ("prod-ec8", ("one_drive_lost", "last_spare", "parity_exhausted", "write_quorum_lost", "quorum_lost")),
        )
    },
}


def constant(value: float) -> str:
    return f"{value:g}+0x{SAMPLES}"


def scenario_series(layout: Layout, scenario: str) -> list[dict[str, str]]:
    """The series the cluster endpoint would serve in this scenario, once per scraped pod."""
    scope = 'namespace="minio",job="minio"'
    affected = layout.sets[-1]  # the last pool's set: a second pool must be told apart
    online = {s: layout.drives for s in layout.sets}
    healing = {s: 0 for s in layout.sets}
    if scenario in layout.lost:
        online[affected] = layout.lost[scenario]
    if scenario == "healing":
        healing[affected] = 1  # a healing drive counts as online (cmd/erasure-server-pool.go Health)
    if scenario == "node_offline":
        online[affected] = layout.drives - 4  # 4 drives per server in the set
    free = {"capacity_low": 0.15, "capacity_critical": 0.05}.get(scenario, 0.6) * layout.usable
    # Filling from 90% free to 60% over the 7 hours: empty within a day, within the 7-day horizon.
    free_values = (
        f"{0.9 * layout.usable:g}-{0.3 * layout.usable / (7 * 60 / STEP_MINUTES):g}x{SAMPLES}"
        if scenario == "filling_up"
        else constant(free)
    )
    # MinIO reports a little less than the layout (filesystem overhead); half of it when drives are missing.
    total = layout.usable * (0.5 if scenario == "drives_missing_from_layout" else 0.97)
    series: list[dict[str, str]] = []
    for instance in range(layout.instances):
        labels = f'{scope},instance="minio-{instance}"'
        series.append({"series": f"up{{{labels}}}", "values": constant(0 if scenario == "scrape_absent" else 1)})
        if scenario == "scrape_absent":
            continue
        for pool, set_ in layout.sets:
            at = f'{labels},pool="{pool}",set="{set_}"'
            series.append(
                {
                    "series": f"minio_cluster_health_erasure_set_online_drives{{{at}}}",
                    "values": constant(online[(pool, set_)]),
                }
            )
            series.append(
                {
                    "series": f"minio_cluster_health_erasure_set_healing_drives{{{at}}}",
                    "values": constant(healing[(pool, set_)]),
                }
            )
        metrics = {
            "minio_cluster_nodes_offline_total": constant(1 if scenario == "node_offline" else 0),
            "minio_cluster_kms_online": constant(0 if scenario == "kms_offline" else 1),
            "minio_cluster_capacity_usable_total_bytes": constant(total),
            "minio_cluster_capacity_usable_free_bytes": free_values,
        }
        series.extend({"series": f"{name}{{{labels}}}", "values": values} for name, values in metrics.items())
    return series


def expected_alerts(layout: Layout, expected: dict[str, tuple[str, str | None]], name: str) -> list[dict[str, Any]]:
    if name not in expected:
        return []
    severity, where = expected[name]
    labels = {"namespace": "minio", "job": "minio", "severity": severity}
    if where == SET_ALERT:
        pool, set_ = layout.sets[-1]
        labels.update(pool=str(pool), set=str(set_))
    return [{"exp_labels": labels}]


def without_annotations(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Annotations do not decide what fires; promtool compares them in full, so the scenario tests drop them and
    test_annotations_expand_with_the_layouts_numbers checks one expansion."""
    return [{**g, "rules": [{k: v for k, v in r.items() if k != "annotations"} for r in g["rules"]]} for g in groups]


@pytest.fixture(params=sorted(LAYOUTS), scope="module")
def layout_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_rules_load_in_promtool(layout_name: str, tmp_path: Path):
    layout = LAYOUTS[layout_name]()
    write_yaml(
        tmp_path / "rules.yml", {"groups": rule_groups(alert_scope(layout.settings), layout_figures(layout.settings))}
    )
    result = run_promtool("check", "rules", "rules.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_every_scenario_fires_exactly_the_layouts_severities(layout_name: str, tmp_path: Path):
    layout = LAYOUTS[layout_name]()
    groups = rule_groups(alert_scope(layout.settings), layout_figures(layout.settings))
    names = [rule["alert"] for group in groups for rule in group["rules"]]
    expectations = EXPECTED[layout_name]
    for scenario, expected in expectations.items():
        assert set(expected) <= set(names), f"{layout_name}/{scenario} expects alerts the rules lack"
    write_yaml(tmp_path / "rules.yml", {"groups": without_annotations(groups)})
    tests = [
        {
            "name": scenario,
            "interval": f"{STEP_MINUTES}m",
            "input_series": scenario_series(layout, scenario),
            # Every alert of the file, so that one firing unexpectedly fails too.
            "alert_rule_test": [
                {"eval_time": EVAL, "alertname": name, "exp_alerts": expected_alerts(layout, expected, name)}
                for name in names
            ],
        }
        for scenario, expected in expectations.items()
    ]
    write_yaml(tmp_path / "tests.yml", {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": tests})
    result = run_promtool("test", "rules", "tests.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_expectation_fails_in_promtool(tmp_path: Path):
    """The harness can fail: prod's four lost drives are not a mere warning."""
    layout = LAYOUTS["prod"]()
    groups = rule_groups(alert_scope(layout.settings), layout_figures(layout.settings))
    write_yaml(tmp_path / "rules.yml", {"groups": without_annotations(groups)})
    wrong = {"MinioErasureSetDegraded": (W, SET_ALERT)}
    test = {
        "interval": f"{STEP_MINUTES}m",
        "input_series": scenario_series(layout, "parity_exhausted"),
        "alert_rule_test": [
            {"eval_time": EVAL, "alertname": "MinioErasureSetDegraded", "exp_alerts": expected_alerts(layout, wrong, n)}
            for n in ["MinioErasureSetDegraded"]
        ],
    }
    write_yaml(tmp_path / "tests.yml", {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": [test]})
    result = run_promtool("test", "rules", "tests.yml", cwd=tmp_path)
    assert result.returncode != 0


def test_annotations_expand_with_the_layouts_numbers(tmp_path: Path):
    layout = LAYOUTS["prod"]()
    groups = rule_groups(alert_scope(layout.settings), layout_figures(layout.settings))
    write_yaml(tmp_path / "rules.yml", {"groups": groups})
    test = {
        "interval": f"{STEP_MINUTES}m",
        "input_series": scenario_series(layout, "parity_exhausted"),
        "alert_rule_test": [
            {
                "eval_time": EVAL,
                "alertname": "MinioErasureSetParityExhausted",
                "exp_alerts": [
                    {
                        "exp_labels": {
                            "namespace": "minio",
                            "job": "minio",
                            "pool": "0",
                            "set": "0",
                            "severity": "critical",
                        },
                        "exp_annotations": {
                            "summary": "Erasure set 0/0 is at write quorum: one more lost drive stops reads and writes",
                            "description": "Erasure set 0/0 has 12 of 16 drives online, exactly its write quorum of "
                            "12. 1 erasure set(s) of 16 drive(s) in 1 pool(s), EC:4: read quorum 12, write quorum 12.",
                            "runbook": "Page: restore a drive of this set now; do not drain or restart nodes until "
                            "it is back.",
                        },
                    }
                ],
            }
        ],
    }
    write_yaml(tmp_path / "tests.yml", {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": [test]})
    result = run_promtool("test", "rules", "tests.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_prod_declares_load_in_promtool(prod_inventory, tmp_path: Path):
    """The PrometheusRule's spec as the program hands it to Kubernetes, not a regeneration."""
    (rule,) = prod_inventory.of_type("kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    write_yaml(tmp_path / "rules.yml", {"groups": rule.inputs["spec"]["groups"]})
    result = run_promtool("check", "rules", "rules.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 11 rules found" in result.stdout + result.stderr
