"""The dashboard reads only metrics MinIO documents and shows the layout's numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from components.model.alerts import AlertScope, metric_names
from components.model.dashboard import dashboard
from components.model.erasure import distributed_figures
from tests.promtool_support import run_promtool, write_yaml
from tests.test_alerts import PROMETHEUS_SERIES, documented_metrics

PROD = distributed_figures(4, 4, 1, 2**40, 4, 2)


def test_every_panel_metric_is_documented():
    board = dashboard(AlertScope("minio", "minio", "kes"), PROD)
    used = {name for panel in board["panels"] for t in panel["targets"] for name in metric_names(t["expr"])}  # type: ignore[index]
    assert "minio_s3_requests_5xx_errors_total" in used
    assert used - PROMETHEUS_SERIES <= documented_metrics(), sorted(used - documented_metrics())


def test_panels_carry_the_layout():
    panels = dashboard(AlertScope("minio", "minio", "kes"), PROD)["panels"]
    titles = [p["title"] for p in panels]  # type: ignore[union-attr]
    assert titles[0] == "Online drives per erasure set (of 16; write quorum 12, read 12)"
    assert panels[1]["targets"][0]["expr"].endswith("- 12")  # type: ignore[index]
    assert f"vector({12 * 2**40})" in [t["expr"] for t in panels[2]["targets"]]  # type: ignore[index]


def request_series(instances: int, servers: int) -> list[dict[str, str]]:
    """What Prometheus stores when it scrapes /minio/v2/metrics/cluster on every pod: each pod reports every
    server's S3 counters, labelled `server` (cmd/metrics-v2.go minioClusterCollector.Collect: ReportMetrics plus
    GetClusterMetrics; cmd/peer-rest-server.go GetPeerMetrics), so each server's counter arrives once per pod.
    Every server serves 1 request/s (60 a minute), 0.5/s of them 5xx and 0.25/s 4xx."""
    series = []
    for instance in range(instances):
        for server in range(servers):
            for metric, per_minute in (
                ("minio_s3_requests_total", 60),
                ("minio_s3_requests_5xx_errors_total", 30),
                ("minio_s3_requests_4xx_errors_total", 15),
            ):
                labels = (
                    f'namespace="minio",job="minio",instance="10.0.0.{instance}:9000",'
                    f'server="minio-{server}.minio-svc.minio.svc.cluster.local:9000",api="PutObject"'
                )
                series.append({"series": f"{metric}{{{labels}}}", "values": f"0+{per_minute}x30"})
    return series


def test_request_rates_count_each_server_once_however_many_pods_are_scraped(tmp_path: Path):
    # Four servers at 1 request/s each: 4 requests/s in all, 2 of them 5xx and 1 4xx, seen from four scraped pods.
    panels = cast(list[dict[str, Any]], dashboard(AlertScope("minio", "minio", "kes"), PROD)["panels"])
    (panel,) = [p for p in panels if p["title"] == "S3 request errors per second"]
    expected = {"5xx": 2, "4xx": 1, "all requests": 4}
    tests = [
        {
            "interval": "1m",
            "input_series": request_series(instances=4, servers=4),
            "promql_expr_test": [
                {
                    "expr": t["expr"],
                    "eval_time": "20m",
                    "exp_samples": [{"labels": "{}", "value": expected[t["legendFormat"]]}],
                }
                for t in panel["targets"]
            ],
        }
    ]
    write_yaml(tmp_path / "rules.yml", {"groups": []})
    write_yaml(tmp_path / "tests.yml", {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": tests})
    result = run_promtool("test", "rules", "tests.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
