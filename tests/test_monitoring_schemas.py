"""prometheus-operator objects are checked at registration against the CRD schemas vendored from v0.93.0."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.model.alerts import AlertScope, rule_groups
from components.model.erasure import distributed_figures
from tools.fidelity.registration import check_registration

RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"


def prometheus_rule() -> dict[str, Any]:
    figures = distributed_figures(4, 4, 1, 2**40, 4, 2)
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "minio", "namespace": "minio", "labels": {"release": "kube-prometheus-stack"}},
        "spec": {"groups": rule_groups(AlertScope("minio", "minio", "kes"), figures)},
    }


def service_monitor() -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "minio", "namespace": "minio"},
        "spec": {
            "selector": {"matchLabels": {"app": "minio", "release": "minio", "monitoring": "true"}},
            "namespaceSelector": {"matchNames": ["minio"]},
            "endpoints": [
                {
                    "port": "http",
                    "path": "/minio/v2/metrics/cluster",
                    "scheme": "http",
                    "authorization": {"type": "Bearer", "credentials": {"name": "minio-prometheus", "key": "token"}},
                }
            ],
        },
    }


def test_generated_rules_and_monitor_are_accepted():
    assert check_registration(RULE, "rules", prometheus_rule()) == []
    assert check_registration(MONITOR, "monitor", service_monitor()) == []


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["spec"]["groups"][0]["rules"][0].update(severity="critical"), "spec.groups[0].rules[0]"),
        (lambda d: d["spec"]["groups"][0]["rules"][0].update({"for": "5 minutes"}), "spec.groups[0].rules[0].for"),
        (lambda d: d["spec"]["groups"][0]["rules"][0]["annotations"].update(count=3), "annotations.count"),
        (lambda d: d["spec"]["groups"][0].pop("name"), "spec.groups[0]"),
        (lambda d: d["spec"].update(group=[]), "spec"),
        (lambda d: d["metadata"].update(labels={"a": 1}), "metadata.labels.a"),
    ],
    ids=["unknown-rule-field", "bad-duration", "non-string-annotation", "group-without-name", "typo", "metadata"],
)
def test_what_the_crd_refuses_is_refused(mutate, path):
    document = copy.deepcopy(prometheus_rule())
    mutate(document)
    violations = check_registration(RULE, "rules", document)
    assert violations, "refused"
    assert any(v.path.startswith(path) or path in v.path for v in violations), [v.path for v in violations]
    assert all("prometheus-operator v0.93.0" in v.source for v in violations)


def test_a_service_monitor_with_a_misplaced_token_is_refused():
    """Chart 5.4.0's Probe puts bearerTokenSecret under targets.staticConfig, where no CRD has it; in a
    ServiceMonitor endpoint a misspelt field is caught the same way."""
    document = service_monitor()
    document["spec"]["endpoints"][0]["bearerTokenSecrets"] = {"name": "minio-prometheus", "key": "token"}
    assert [v.path for v in check_registration(MONITOR, "monitor", document)] == ["spec.endpoints[0]"]


def test_an_unvendored_kind_is_refused():
    document = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": {"name": "x"}, "spec": {}}
    assert [v.path for v in check_registration("kubernetes:monitoring.coreos.com/v1:PodMonitor", "x", document)] == [
        "kind"
    ]
