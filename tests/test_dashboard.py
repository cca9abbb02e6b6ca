"""The dashboard reads only metrics MinIO documents and shows the layout's numbers."""

from __future__ import annotations

from components.alerts import AlertScope, metric_names
from components.dashboard import dashboard
from components.erasure import distributed_figures
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
