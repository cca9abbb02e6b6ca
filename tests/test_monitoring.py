"""Monitoring on the real program: opt-in and validated, an authenticated scrape with a generated secret token, the
rules and dashboard built from the layout."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.model.config import ConfigError, MonitoringSettings, load_settings
from tests.test_settings import with_changes
from tools.engine import SECRET_MASK, Inventory, _digest

SECRET = "kubernetes:core/v1:Secret"
MONITOR = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
RULE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
MONITORING = "matih:monitoring:Monitoring"


def monitoring_problems(value: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(with_changes("prod", monitoring=value), "prod")
    return caught.value.problems


def test_monitoring_is_off_unless_asked_for():
    settings = load_settings(with_changes("prod", monitoring=None), "prod")
    assert settings.monitoring == MonitoringSettings()
    assert not settings.monitoring.enabled


@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        ({"serviceMonitor": "yes"}, ['monitoring.serviceMonitor: got "yes"', "true or false"]),
        ({"rules": True}, ["monitoring.rules: got true", "unless serviceMonitor is true"]),
        ({"dashbord": True}, ["monitoring.dashbord", "allowed: dashboard, labels, rules, serviceMonitor"]),
        ({"labels": {"release": 1}}, ["monitoring.labels", "quote numbers"]),
        ({"labels": {"bad key": "x"}}, ['monitoring.labels: got {"bad key": "x"}', "Kubernetes label names"]),
        ({"labels": {"release": "x" * 64}}, ["monitoring.labels", "at most 63 characters"]),
        ("on", ['monitoring: got "on"', "a mapping of"]),
    ],
)
def test_bad_monitoring_settings_are_refused_naming_key_value_and_rule(value, fragments):
    problems = monitoring_problems(value)
    assert len(problems) == 1, problems
    for fragment in fragments:
        assert fragment in problems[0], problems[0]


def test_label_limits_last_accepted():
    labels = {"example.com/team": "x" * 63, "release": ""}
    settings = load_settings(with_changes("prod", monitoring={"dashboard": True, "labels": labels}), "prod")
    assert dict(settings.monitoring.labels) == labels


def test_dev_declares_no_monitoring(dev_inventory: Inventory):
    assert dev_inventory.of_type(MONITORING) == []
    assert dev_inventory.of_type(MONITOR) == dev_inventory.of_type(RULE) == []
    assert "monitoring" not in dev_inventory.outputs


def test_prod_scrape_is_authenticated_with_a_generated_secret_token(prod_inventory: Inventory):
    (component,) = prod_inventory.of_type(MONITORING)
    (token_secret,) = [
        s for s in prod_inventory.of_type(SECRET) if s.inputs.get("metadata", {}).get("name") == "minio-prometheus"
    ]
    assert token_secret.parent == component.urn
    # The whole data is secret: the plan shows no token.
    assert token_secret.inputs["stringData"] == SECRET_MASK
    assert token_secret.inputs["metadata"]["namespace"] == "minio"
    # Signed with the metrics user's generated secret (the mock engine's RandomPassword result).
    from components.model.metrics_token import prometheus_token

    expected = prometheus_token("matih-metrics", "mock-monitoring-metrics-secret-xxxxxxxxxxxx")
    assert token_secret.secretDigests["stringData"] == {"token": _digest(expected)}
    (monitor,) = prod_inventory.of_type(MONITOR)
    (endpoint,) = monitor.inputs["spec"]["endpoints"]
    assert endpoint["authorization"] == {"type": "Bearer", "credentials": {"name": "minio-prometheus", "key": "token"}}
    assert endpoint["path"] == "/minio/v2/metrics/cluster"
    assert monitor.inputs["spec"]["selector"]["matchLabels"] == {
        "app": "minio",
        "release": "minio",
        "monitoring": "true",
    }
    assert "token" not in json.dumps(prod_inventory.outputs).replace("tokenSecret", "")


def test_the_metrics_user_may_only_scrape(prod_inventory: Inventory):
    (policy,) = [
        p for p in prod_inventory.of_type("minio:index/iamPolicy:IamPolicy") if p.name == "monitoring-metrics-policy"
    ]
    assert json.loads(policy.inputs["policy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["admin:Prometheus"]},
            # Like every parent: without a Deny, MinIO lets the user create access keys for itself.
            {
                "Sid": "DenyOwnAccountAdmin",
                "Effect": "Deny",
                "Action": [
                    "admin:CreateServiceAccount",
                    "admin:CreateUser",
                    "admin:GetUser",
                    "admin:ListServiceAccounts",
                    "admin:RemoveServiceAccount",
                    "admin:UpdateServiceAccount",
                ],
            },
        ],
    }
    (user,) = [u for u in prod_inventory.of_type("minio:index/iamUser:IamUser") if u.name == "monitoring-metrics-user"]
    assert user.inputs["name"] == "matih-metrics"
    assert user.inputs["secret"] == SECRET_MASK
    assert "secret" in user.options.get("additionalSecretOutputs", [])
    (attachment,) = [
        a
        for a in prod_inventory.of_type("minio:index/iamUserPolicyAttachment:IamUserPolicyAttachment")
        if a.name == "monitoring-metrics-policy-attachment"
    ]
    assert attachment.inputs == {"userName": "matih-metrics", "policyName": "matih-metrics-prometheus"}


def test_the_chart_keeps_metrics_authenticated_and_its_own_monitor_off(prod_inventory: Inventory):
    (release,) = prod_inventory.of_type("kubernetes:helm.sh/v3:Release")
    # public: true would set MINIO_PROMETHEUS_AUTH_TYPE=public; enabled: true would add the Probe whose token the
    # Probe CRD prunes.
    assert release.inputs["values"]["metrics"] == {"serviceMonitor": {"enabled": False, "public": False}}


def test_prod_declares_the_rules_and_dashboard_with_the_stacks_labels(prod_inventory: Inventory):
    (rule,) = prod_inventory.of_type(RULE)
    assert rule.inputs["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    names = [r["alert"] for g in rule.inputs["spec"]["groups"] for r in g["rules"]]
    assert "MinioErasureSetParityExhausted" in names and "MinioKmsOffline" in names
    (dashboard,) = prod_inventory.of_type(CONFIGMAP)
    assert dashboard.inputs["metadata"]["labels"]["grafana_dashboard"] == "1"
    board = json.loads(dashboard.inputs["data"]["minio.json"])
    assert "write quorum 12" in board["panels"][0]["title"]
    summary = prod_inventory.outputs["monitoring"]
    assert {a["alert"]: a["threshold"] for a in summary["alerts"]}["MinioErasureSetParityExhausted"] == "online == 12"
    assert summary["tokenSecret"] == "minio-prometheus"


def test_a_tls_scrape_verifies_the_name_workloads_already_verify():
    # Prometheus scrapes pod IPs, so tlsConfig.serverName is the name the certificate is checked against. Workloads
    # reach MinIO as <release>.<namespace>.svc.cluster.local (their s3 endpoint), so a working certificate carries
    # that name; the bare release name (the chart's Probe uses it) need not be in it.
    from components.model.monitoring_objects import service_monitor_spec

    settings = load_settings(
        with_changes("prod", tls={"enabled": True, "certSecret": "minio-tls"}, api={"exposure": "inCluster"}), "prod"
    )
    assert settings.s3_endpoint_url == "https://minio.minio.svc.cluster.local:9000"
    (endpoint,) = service_monitor_spec(settings)["endpoints"]
    assert (endpoint["port"], endpoint["scheme"]) == ("https", "https")
    assert endpoint["tlsConfig"] == {
        "ca": {"secret": {"name": "minio-tls", "key": "tls.crt"}},
        "serverName": "minio.minio.svc.cluster.local",
    }
