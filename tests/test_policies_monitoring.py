"""alerts-declared (mandatory in prod, advisory in dev) and the metrics identity's policy under
tenant-scoped-credentials."""

from __future__ import annotations

import copy

import pytest

from components.model.monitoring_objects import metrics_policy
from tests.test_policies import check, resource, violations
from tools.engine import Inventory, run_stack

RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"


@pytest.fixture(scope="module")
def prod() -> Inventory:
    return run_stack("prod")


def alerts_declared(inventory: Inventory) -> list[tuple[bool, str]]:
    return [(v.mandatory, v.message) for v in check(inventory) if v.policy == "alerts-declared"]


def test_prod_passes_and_dev_is_only_advised(prod):
    assert alerts_declared(prod) == []
    dev = alerts_declared(run_stack("dev"))
    assert dev and all(not is_mandatory for is_mandatory, _ in dev)
    assert any("no PrometheusRule with MinioErasureSetQuorumLost, MinioMetricsAbsent" in m for _, m in dev)


def test_prod_without_the_quorum_alert_fails(prod):
    broken = copy.deepcopy(prod)
    (rule,) = broken.of_type(RULE)
    # Stack policies see outputs (the engine's AnalyzeResources), resource policies inputs: break both alike.
    for group in [g for props in (rule.inputs, rule.outputs) for g in props["spec"]["groups"]]:
        group["rules"] = [r for r in group["rules"] if r["alert"] != "MinioErasureSetQuorumLost"]
    assert alerts_declared(broken) == [
        (
            True,
            "no PrometheusRule with MinioErasureSetQuorumLost: set monitoring.rules (and serviceMonitor) so that "
            "losing an erasure set's quorum, or the metrics, pages someone",
        )
    ]


def test_prod_scraping_without_a_token_fails(prod):
    broken = copy.deepcopy(prod)
    (monitor,) = broken.of_type(MONITOR)
    for props in (monitor.inputs, monitor.outputs):
        del props["spec"]["endpoints"][0]["authorization"]
    assert alerts_declared(broken) == [
        (True, "ServiceMonitor endpoint '/minio/v2/metrics/cluster' scrapes without a bearer token")
    ]


def test_prod_token_secret_must_be_declared(prod):
    broken = copy.deepcopy(prod)
    (monitor,) = broken.of_type(MONITOR)
    for props in (monitor.inputs, monitor.outputs):
        props["spec"]["endpoints"][0]["authorization"]["credentials"]["name"] = "elsewhere"
    assert alerts_declared(broken) == [
        (True, "ServiceMonitor's token Secret minio/elsewhere is not declared by this stack")
    ]


def test_metrics_only_policy_is_accepted_and_anything_more_is_not():
    iam_policy = "minio:index/iamPolicy:IamPolicy"
    assert violations("tenant-scoped-credentials", resource(iam_policy, {"policy": metrics_policy()})) == []
    wider = '{"Statement":[{"Action":["admin:Prometheus","admin:ServerInfo"],"Effect":"Allow"}],"Version":"2012-10-17"}'
    assert violations("tenant-scoped-credentials", resource(iam_policy, {"policy": wider})) == [
        "a statement grants 'admin:prometheus', which no resource or tenant can scope",
        "a statement grants 'admin:serverinfo', which no resource or tenant can scope",
    ]
