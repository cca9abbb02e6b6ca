"""Prometheus alerting rules derived from the erasure layout, pure (no pulumi import).

The layout already says how many drives each erasure set may lose and how much space it offers, so the thresholds
are computed here, from `ErasureFigures`, before the cluster exists. The quorum arithmetic is MinIO's own
(cmd/erasure-server-pool.go `Health`, RELEASE.2024-12-18T13-15-44Z and RELEASE.2025-10-15T17-29-55Z): a set's read
quorum is its data drives, its write quorum the same plus one when data equals parity, and a healing drive counts as
online. Only metric names MinIO documents at the shipped release are used (tools/schemas/minio-metrics.json, checked
by tests/test_alerts.py), all from the cluster endpoint /minio/v2/metrics/cluster (cmd/metrics-v2.go
`clusterMetricsGroups`); `up` is Prometheus' own per-target series.

Every node serves the cluster endpoint and reports the whole cluster, so each series arrives once per scraped pod:
the rules aggregate with `max` (the best view any node has; a node that only sees itself is the nodes-offline
alert's business).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.model.config import Settings
from components.model.erasure import ErasureFigures, write_quorum
from components.model.quantity import format_bytes

WARNING = "warning"
CRITICAL = "critical"
SEVERITIES = (WARNING, CRITICAL)

# Free space, as a share of the usable capacity the layout computes, below which we warn and page.
CAPACITY_WARNING_RATIO = 0.20
CAPACITY_CRITICAL_RATIO = 0.10
# The usable capacity MinIO reports may sit below the layout's figure by filesystem overhead; beyond this, drives
# are offline, smaller than planned, or the layout is not the one deployed.
CAPACITY_LAYOUT_TOLERANCE = 0.10
# predict_linear over this window, looking this far ahead.
FORECAST_WINDOW = "6h"
FORECAST_HORIZON_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class AlertScope:
    """What the rules select on: the labels Prometheus gives every series of this MinIO. A ServiceMonitor's job label
    is the Service's name (prometheus-operator), and the chart names the Service after the release
    (fullnameOverride)."""

    namespace: str
    job: str
    kms_mode: str  # none | static | kes

    @property
    def selector(self) -> str:
        return f'namespace="{self.namespace}",job="{self.job}"'


@dataclass(frozen=True)
class Alert:
    name: str
    severity: str
    expr: str
    for_: str
    summary: str
    description: str
    runbook: str
    threshold: str  # the layout's number, for `make plan`
    labels: tuple[tuple[str, str], ...] = ()  # beyond severity: what the expression itself cannot carry

    def rule(self) -> dict[str, object]:
        """One rule of a Prometheus rule group (and of the PrometheusRule CRD's spec.groups[].rules[])."""
        return {
            "alert": self.name,
            "expr": self.expr,
            "for": self.for_,
            "labels": {"severity": self.severity, **dict(self.labels)},
            "annotations": {
                "summary": self.summary,
                "description": self.description,
                "runbook": self.runbook,
            },
        }


@dataclass(frozen=True)
class SetThresholds:
    """What one erasure set of the layout can lose (every set of our layouts has the same size and parity)."""

    drives: int
    parity: int
    read_quorum: int
    write_quorum: int

    @property
    def spare_drives(self) -> int:
        """Drives the set may lose and still accept writes."""
        return self.drives - self.write_quorum


def set_thresholds(figures: ErasureFigures) -> SetThresholds:
    size, parity = figures.set_size, figures.standard_parity
    return SetThresholds(drives=size, parity=parity, read_quorum=size - parity, write_quorum=write_quorum(size, parity))


def servers_tolerated(figures: ErasureFigures) -> int:
    """Servers of one pool that may be offline while every set keeps write quorum (worst case: each lost server
    held the most drives any server holds in one set)."""
    thresholds = set_thresholds(figures)
    per_server = max(pool.drives_per_server_in_set for pool in figures.pools)
    return thresholds.spare_drives // per_server if per_server else 0


def _layout(figures: ErasureFigures) -> str:
    t = set_thresholds(figures)
    pools = len(figures.pools)
    return (
        f"{figures.set_count} erasure set(s) of {t.drives} drive(s) in {pools} pool(s), EC:{t.parity}: "
        f"read quorum {t.read_quorum}, write quorum {t.write_quorum}"
    )


def erasure_set_alerts(scope: AlertScope, figures: ErasureFigures) -> list[Alert]:
    t = set_thresholds(figures)
    online = f"max by (namespace, job, pool, set) (minio_cluster_health_erasure_set_online_drives{{{scope.selector}}})"
    where = "Erasure set {{ $labels.pool }}/{{ $labels.set }}"
    layout = _layout(figures)
    rrs = figures.reduced_redundancy_parity
    # An object written with the REDUCED_REDUNDANCY class keeps its own parity in xl.meta and is read from its data
    # drives: it needs drives - rrs of them, so it becomes unreadable inside the range where this warning fires.
    rrs_note = (
        f" Objects stored with the REDUCED_REDUNDANCY class (EC:{rrs}) are unreadable while more than {rrs} "
        f"drive(s) of the set are offline."
        if rrs < t.spare_drives - 1
        else ""
    )
    # The next loss leaves write_quorum - 1 drives: below the read quorum as well unless parity equals data.
    next_loss = "stops reads and writes" if t.write_quorum - 1 < t.read_quorum else "stops writes"
    alerts = []
    if t.spare_drives >= 2:
        alerts.append(
            Alert(
                "MinioErasureSetDegraded",
                WARNING,
                f"{online} < {t.drives} and {online} > {t.write_quorum}",
                "5m",
                f"{where} lost drives; standard parity still covers them",
                f"{where} has {{{{ $value }}}} of {t.drives} drives online. {layout}: it may lose "
                f"{t.spare_drives} drive(s) and still take writes.{rrs_note}",
                "Find the offline drives (mc admin info), replace or bring them back; MinIO heals them.",
                f"online < {t.drives} and > {t.write_quorum}",
            )
        )
    if t.spare_drives >= 1:
        alerts.append(
            Alert(
                "MinioErasureSetParityExhausted",
                CRITICAL,
                f"{online} == {t.write_quorum}",
                "1m",
                f"{where} is at write quorum: one more lost drive {next_loss}",
                f"{where} has {{{{ $value }}}} of {t.drives} drives online, exactly its write quorum of "
                f"{t.write_quorum}. {layout}.",
                "Page: restore a drive of this set now; do not drain or restart nodes until it is back.",
                f"online == {t.write_quorum}",
            )
        )
    if t.write_quorum > t.read_quorum:
        alerts.append(
            Alert(
                "MinioErasureSetWriteQuorumLost",
                CRITICAL,
                f"{online} < {t.write_quorum} and {online} >= {t.read_quorum}",
                "1m",
                f"{where} lost write quorum: writes fail, reads still work",
                f"{where} has {{{{ $value }}}} of {t.drives} drives online, below its write quorum of "
                f"{t.write_quorum}. {layout}.",
                "Page: bring drives of this set back online; writes to it fail until then.",
                f"{t.read_quorum} <= online < {t.write_quorum}",
            )
        )
    alerts.append(
        Alert(
            "MinioErasureSetQuorumLost",
            CRITICAL,
            f"{online} < {t.read_quorum}",
            "1m",
            f"{where} lost read quorum: its objects are unavailable",
            f"{where} has {{{{ $value }}}} of {t.drives} drives online, below its read quorum of {t.read_quorum}. "
            f"{layout}.",
            "Page: objects of this set can be neither read nor written; restore its drives (do not format any).",
            f"online < {t.read_quorum}",
        )
    )
    alerts.append(
        Alert(
            "MinioDrivesHealing",
            WARNING,
            f"max by (namespace, job, pool, set) "
            f"(minio_cluster_health_erasure_set_healing_drives{{{scope.selector}}}) > 0",
            "15m",
            f"{where} is healing drives",
            f"{where} has {{{{ $value }}}} drive(s) healing. A healing drive counts as online but holds incomplete "
            f"data: until it finishes, the set's real tolerance is lower. {layout}.",
            "Watch mc admin heal progress; avoid further maintenance on this set until healing ends.",
            "healing > 0",
        )
    )
    return alerts


def node_alerts(scope: AlertScope, figures: ErasureFigures) -> list[Alert]:
    servers = sum(pool.servers for pool in figures.pools)
    if figures.mode != "distributed" or servers < 2:
        return []  # a single server that is down cannot report itself: the scrape alert covers it
    tolerated = servers_tolerated(figures)
    return [
        Alert(
            "MinioNodesOffline",
            WARNING,
            f"max by (namespace, job) (minio_cluster_nodes_offline_total{{{scope.selector}}}) > 0",
            "5m",
            "MinIO servers are offline",
            f"{{{{ $value }}}} of {servers} MinIO server(s) are offline. Each pool keeps writing with at most "
            f"{tolerated} server(s) of that pool offline ({_layout(figures)}).",
            "Check the pods and nodes of the StatefulSet (kubectl get pods -o wide); the erasure set alerts say "
            "how close the sets are to quorum.",
            "offline > 0",
        )
    ]


def capacity_alerts(scope: AlertScope, figures: ErasureFigures) -> list[Alert]:
    usable = figures.usable_capacity_bytes
    free = f"max by (namespace, job) (minio_cluster_capacity_usable_free_bytes{{{scope.selector}}})"
    total = f"max by (namespace, job) (minio_cluster_capacity_usable_total_bytes{{{scope.selector}}})"
    warn_bytes = int(usable * CAPACITY_WARNING_RATIO)
    page_bytes = int(usable * CAPACITY_CRITICAL_RATIO)
    below_layout = int(usable * (1 - CAPACITY_LAYOUT_TOLERANCE))
    usable_text = format_bytes(usable)
    horizon_days = FORECAST_HORIZON_SECONDS // 86400
    return [
        Alert(
            "MinioUsableCapacityLow",
            WARNING,
            f"{free} < {warn_bytes} and {free} >= {page_bytes}",
            "30m",
            "MinIO's free usable capacity is below 20% of the layout's",
            f"{{{{ $value | humanize1024 }}}}B free of the {usable_text} usable the layout provides "
            f"({format_bytes(figures.raw_capacity_bytes)} raw, {figures.data_drives_per_set} data drives per set).",
            "Plan a new pool (topology.pools + 1) or expire data; the chart cannot grow an erasure set's PVCs.",
            f"free < {format_bytes(warn_bytes)}",
        ),
        Alert(
            "MinioUsableCapacityCritical",
            CRITICAL,
            f"{free} < {page_bytes}",
            "10m",
            "MinIO's free usable capacity is below 10% of the layout's",
            f"{{{{ $value | humanize1024 }}}}B free of the {usable_text} usable the layout provides.",
            "Page: stop bulk writers, expire or move data, and add a pool.",
            f"free < {format_bytes(page_bytes)}",
        ),
        Alert(
            "MinioUsableCapacityBelowLayout",
            WARNING,
            f"{total} < {below_layout}",
            "30m",
            "MinIO reports less usable capacity than the layout provides",
            f"MinIO reports {{{{ $value | humanize1024 }}}}B usable; the layout provides {usable_text} "
            f"({figures.total_drives} drives of {format_bytes(figures.drive_size_bytes)}). Drives are offline or "
            "smaller than planned.",
            "Compare mc admin info with the stack's topology and storage.sizePerDrive.",
            f"usable total < {format_bytes(below_layout)}",
        ),
        Alert(
            "MinioUsableCapacityExhaustionForecast",
            WARNING,
            f"max by (namespace, job) (predict_linear(minio_cluster_capacity_usable_free_bytes{{{scope.selector}}}"
            f"[{FORECAST_WINDOW}], {FORECAST_HORIZON_SECONDS})) < 0",
            "1h",
            f"MinIO runs out of usable capacity within {horizon_days} days at the current rate",
            f"At the growth of the last {FORECAST_WINDOW}, the {usable_text} usable are full within "
            f"{horizon_days} days.",
            "Find the writer (bucket usage in mc admin info / the dashboard) and add a pool before the date.",
            f"predict_linear(free[{FORECAST_WINDOW}], {horizon_days}d) < 0",
        ),
    ]


def kms_alerts(scope: AlertScope) -> list[Alert]:
    if scope.kms_mode != "kes":
        return []  # a static key lives in the server's environment and cannot become unreachable
    return [
        Alert(
            "MinioKmsOffline",
            CRITICAL,
            f"min by (namespace, job) (minio_cluster_kms_online{{{scope.selector}}}) == 0",
            "5m",
            "MinIO cannot reach KES",
            "MinIO reports its KMS (KES) offline: with auto-encryption every write and every read of an encrypted "
            "object fails.",
            "Check the KES pods and the endpoints/API key in kms.kes; MinIO reconnects on its own.",
            "kms online == 0",
        )
    ]


def scrape_alerts(scope: AlertScope) -> list[Alert]:
    return [
        Alert(
            "MinioMetricsAbsent",
            CRITICAL,
            f"absent(up{{{scope.selector}}} == 1)",
            "10m",
            "No MinIO metrics: every other MinIO alert is blind",
            f"No target of job {scope.job} in namespace {scope.namespace} was scraped successfully: the pods are "
            "down, the ServiceMonitor is not selected, or the bearer token is refused (403).",
            "Check Prometheus' targets page; a 403 means the token Secret or the metrics user is wrong.",
            "no successful scrape",
            # absent() of a comparison keeps no labels (promtool showed it): name the MinIO for routing.
            labels=(("namespace", scope.namespace), ("job", scope.job)),
        )
    ]


def alerts(scope: AlertScope, figures: ErasureFigures) -> list[Alert]:
    return [
        *erasure_set_alerts(scope, figures),
        *node_alerts(scope, figures),
        *capacity_alerts(scope, figures),
        *kms_alerts(scope),
        *scrape_alerts(scope),
    ]


GROUP_NAME = "minio"


def rule_groups(scope: AlertScope, figures: ErasureFigures) -> list[dict[str, object]]:
    """The `groups` of a Prometheus rule file, equal to a PrometheusRule's spec.groups."""
    return [
        {"name": f"{GROUP_NAME}-{scope.namespace}-{scope.job}", "rules": [a.rule() for a in alerts(scope, figures)]}
    ]


def alert_scope(settings: Settings) -> AlertScope:
    return AlertScope(namespace=settings.namespace, job=settings.release_name, kms_mode=settings.kms.mode)


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression reads: identifiers that are neither functions, keywords nor inside a
    label matcher, string or range/duration bracket."""
    stripped = re.sub(r'"[^"]*"|\{[^}]*\}|\[[^\]]*\]', " ", expr)
    stripped = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", stripped)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", stripped):
        word = match.group(0)
        following = stripped[match.end() :].lstrip()
        if word in PROMQL_KEYWORDS or following.startswith("("):
            continue
        names.add(word)
    return names


# PromQL's binary, aggregation and modifier keywords (prometheus promql/parser/lex.go `key`).
PROMQL_KEYWORDS = frozenset(
    {"and", "or", "unless", "atan2", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}
)
