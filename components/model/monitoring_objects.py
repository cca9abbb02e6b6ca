"""What the Monitoring component declares, as plain data: names, the metrics identity's policy, the ServiceMonitor,
the PrometheusRule and the dashboard ConfigMap. Pure: the component only turns these into resources.

Why our own ServiceMonitor and not the chart's: chart 5.4.0 (templates/servicemonitor.yaml) scrapes the cluster
metrics, the ones the alerts read, through a `Probe` whose `bearerTokenSecret` it writes under
`spec.targets.staticConfig`, where the Probe CRD has no such field (prometheus-operator v0.93.0
monitoring.coreos.com_probes.yaml): the API server prunes it, so that scrape goes out without a token and MinIO
answers 403. Its ServiceMonitor covers only the node metrics (`includeNode`). So the chart's monitor stays off
(`metrics.serviceMonitor.enabled: false`, `public: false`: MINIO_PROMETHEUS_AUTH_TYPE stays jwt), and ours reads
the Secret the chart's would read (`<fullname>-prometheus`, key `token`).
"""

from __future__ import annotations

from typing import Any

from components.model.alerts import alert_scope, alerts, rule_groups
from components.model.chart_values import CHART_APP_LABEL
from components.model.config import Settings, in_cluster_endpoint
from components.model.dashboard import DATA_KEY, SIDECAR_LABEL, SIDECAR_LABEL_VALUE, dashboard_json
from components.model.figures import layout_figures
from components.model.iam import own_account_admin_deny, policy_json

METRICS_USER = "matih-metrics"
METRICS_POLICY = "matih-metrics-prometheus"
TOKEN_KEY = "token"  # chart 5.4.0 templates/servicemonitor.yaml bearerTokenSecret.key
CLUSTER_METRICS_PATH = "/minio/v2/metrics/cluster"  # cmd/metrics-router.go prometheusMetricsV2ClusterPath
API_VERSION = "monitoring.coreos.com/v1"


def token_secret_name(settings: Settings) -> str:
    """chart 5.4.0 templates/servicemonitor.yaml: `{{ template "minio.fullname" . }}-prometheus`; fullname is the
    release name (fullnameOverride)."""
    return f"{settings.release_name}-prometheus"


def metrics_policy() -> str:
    """Only `admin:Prometheus` (cmd/metrics.go AuthMiddleware asks for policy.PrometheusAdminAction). An admin
    statement takes no Resource (minio/pkg v3 policy ParseConfig refuses one). A plain user, not a service account
    of root: metricsRequestAuthenticate treats a root service account without a session policy as the owner, who
    is allowed everything. Like every parent it denies the own-account admin operations: MinIO lets a user create
    access keys for itself unless a Deny says otherwise (cmd/admin-handlers-users.go `AddServiceAccount`, DenyOnly)."""
    allow = {"Effect": "Allow", "Action": ["admin:Prometheus"]}
    return policy_json({"Version": "2012-10-17", "Statement": [allow, own_account_admin_deny()]})


def object_labels(settings: Settings) -> dict[str, str]:
    return {"app.kubernetes.io/part-of": "matih", **dict(settings.monitoring.labels)}


def service_monitor_spec(settings: Settings) -> dict[str, Any]:
    tls = settings.tls.enabled
    endpoint: dict[str, Any] = {
        # chart 5.4.0 templates/service.yaml names the S3 port after the scheme.
        "port": "https" if tls else "http",
        "scheme": "https" if tls else "http",
        "path": CLUSTER_METRICS_PATH,
        "authorization": {"type": "Bearer", "credentials": {"name": token_secret_name(settings), "key": TOKEN_KEY}},
    }
    if tls:
        endpoint["tlsConfig"] = {
            "ca": {"secret": {"name": settings.tls.cert_secret or "", "key": "tls.crt"}},
            # Prometheus dials pod IPs, so name the host workloads verify (settings.in_cluster_endpoint), which the
            # certificate must carry already; the bare release name the chart's Probe uses need not be in it.
            "serverName": in_cluster_endpoint(settings.release_name, settings.namespace).rpartition(":")[0],
        }
    return {
        # The chart's S3 Service carries these labels (templates/service.yaml), its console Service not `monitoring`.
        "selector": {"matchLabels": {"app": CHART_APP_LABEL, "release": settings.release_name, "monitoring": "true"}},
        "namespaceSelector": {"matchNames": [settings.namespace]},
        "endpoints": [endpoint],
    }


def prometheus_rule_spec(settings: Settings) -> dict[str, Any]:
    return {"groups": rule_groups(alert_scope(settings), layout_figures(settings))}


def dashboard_data(settings: Settings) -> dict[str, str]:
    return {DATA_KEY: dashboard_json(alert_scope(settings), layout_figures(settings))}


def dashboard_labels(settings: Settings) -> dict[str, str]:
    return {**object_labels(settings), SIDECAR_LABEL: SIDECAR_LABEL_VALUE}


def alert_summary(settings: Settings) -> list[dict[str, str]]:
    """The alerts and their thresholds, for outputs, `make plan` and policies."""
    if not settings.monitoring.rules:
        return []
    return [
        {"alert": a.name, "severity": a.severity, "for": a.for_, "threshold": a.threshold}
        for a in alerts(alert_scope(settings), layout_figures(settings))
    ]
