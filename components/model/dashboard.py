"""A Grafana dashboard for one MinIO, built from the same layout and scope as the alerts. Pure.

Panels: each erasure set's online drives against its quorums, the drives each set may still lose, usable capacity
against the layout's figure and its forecast, and S3 request errors. Metric names are MinIO's documented ones
(tests/test_dashboard.py checks them against tools/schemas/minio-metrics.json).
"""

from __future__ import annotations

import json

from components.model.alerts import FORECAST_HORIZON_SECONDS, FORECAST_WINDOW, AlertScope, set_thresholds
from components.model.erasure import ErasureFigures

# Grafana's dashboard sidecar (k8s-sidecar, as the grafana chart configures it) loads ConfigMaps with this label;
# the grafana chart's default `sidecar.dashboards.label`.
SIDECAR_LABEL = "grafana_dashboard"
SIDECAR_LABEL_VALUE = "1"
DATA_KEY = "minio.json"


def _panel(
    panel_id: int, title: str, kind: str, targets: list[tuple[str, str]], x: int, y: int, **extra: object
) -> dict[str, object]:
    return {
        "id": panel_id,
        "title": title,
        "type": kind,
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "targets": [
            {"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
            for i, (expr, legend) in enumerate(targets)
        ],
        **extra,
    }


def per_second(counter: str, sel: str) -> str:
    """A cluster-wide S3 request rate. Every scraped pod's /minio/v2/metrics/cluster carries every server's counters,
    labelled `server` (cmd/metrics-v2.go minioClusterCollector.Collect, cmd/peer-rest-server.go GetPeerMetrics), so
    a plain sum counts each server once per pod: keep one copy per server and API, then add them up."""
    return f"sum (max by (server, api) (rate({counter}{{{sel}}}[5m])))"


def dashboard(scope: AlertScope, figures: ErasureFigures) -> dict[str, object]:
    t = set_thresholds(figures)
    sel = scope.selector
    online = f"max by (pool, set) (minio_cluster_health_erasure_set_online_drives{{{sel}}})"
    free = f"max (minio_cluster_capacity_usable_free_bytes{{{sel}}})"
    steps = [
        {"color": "red", "value": None},
        {"color": "orange", "value": t.write_quorum},
        {"color": "green", "value": t.drives},
    ]
    panels = [
        _panel(
            1,
            f"Online drives per erasure set (of {t.drives}; write quorum {t.write_quorum}, read {t.read_quorum})",
            "timeseries",
            [(online, "pool {{pool}} set {{set}}")],
            0,
            0,
            fieldConfig={"defaults": {"min": 0, "max": t.drives, "thresholds": {"mode": "absolute", "steps": steps}}},
        ),
        _panel(
            2,
            f"Drives each set may still lose before writes stop (EC:{t.parity})",
            "stat",
            [(f"{online} - {t.write_quorum}", "pool {{pool}} set {{set}}")],
            12,
            0,
            fieldConfig={
                "defaults": {
                    "thresholds": {
                        "mode": "absolute",
                        "steps": [
                            {"color": "red", "value": None},
                            {"color": "orange", "value": 1},
                            {"color": "green", "value": t.spare_drives},
                        ],
                    }
                }
            },
        ),
        _panel(
            3,
            "Usable capacity: free, total online, the layout's figure and the forecast",
            "timeseries",
            [
                (free, "free"),
                (f"max (minio_cluster_capacity_usable_total_bytes{{{sel}}})", "usable online"),
                (f"vector({figures.usable_capacity_bytes})", "usable by layout"),
                (
                    f"max (predict_linear(minio_cluster_capacity_usable_free_bytes{{{sel}}}[{FORECAST_WINDOW}], "
                    f"{FORECAST_HORIZON_SECONDS}))",
                    f"free in {FORECAST_HORIZON_SECONDS // 86400} days (forecast)",
                ),
            ],
            0,
            8,
            fieldConfig={"defaults": {"unit": "bytes", "min": 0}},
        ),
        _panel(
            4,
            "S3 request errors per second",
            "timeseries",
            [
                (per_second("minio_s3_requests_5xx_errors_total", sel), "5xx"),
                (per_second("minio_s3_requests_4xx_errors_total", sel), "4xx"),
                (per_second("minio_s3_requests_total", sel), "all requests"),
            ],
            12,
            8,
            fieldConfig={"defaults": {"unit": "reqps", "min": 0}},
        ),
    ]
    return {
        "uid": f"matih-minio-{scope.namespace}-{scope.job}"[:40],
        "title": f"MinIO {scope.namespace}/{scope.job}",
        "tags": ["matih", "minio"],
        "timezone": "utc",
        "schemaVersion": 39,
        "editable": False,
        "time": {"from": "now-24h", "to": "now"},
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
        "panels": panels,
    }


def dashboard_json(scope: AlertScope, figures: ErasureFigures) -> str:
    return json.dumps(dashboard(scope, figures), sort_keys=True, separators=(",", ":"))
