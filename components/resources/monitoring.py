"""Monitoring: the metrics identity, its scrape token, the ServiceMonitor, the alert rules and the dashboard.

Everything it declares is computed in components/model/monitoring_objects.py (pure); this only declares it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
import pulumi_minio as minio

from components import tokens
from components.model.config import Settings
from components.model.metrics_token import prometheus_token
from components.model.monitoring_objects import (
    API_VERSION,
    METRICS_POLICY,
    METRICS_USER,
    TOKEN_KEY,
    alert_summary,
    dashboard_data,
    dashboard_labels,
    metrics_policy,
    object_labels,
    prometheus_rule_spec,
    service_monitor_spec,
    token_secret_name,
)
from components.resources.minio_identity import declare_minio_identity
from components.resources.outputs import secret


@dataclass(frozen=True)
class MonitoringArgs:
    settings: Settings
    k8s_provider: k8s.Provider
    minio_provider: minio.Provider
    namespace: pulumi.Input[str]  # resolves once MinIO's namespace exists


class Monitoring(pulumi.ComponentResource):
    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(tokens.MONITORING, name, None, opts)
        settings = args.settings
        monitoring = settings.monitoring
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)
        labels = object_labels(settings)
        outputs: dict[str, Any] = {"alerts": alert_summary(settings)}

        if monitoring.service_monitor:
            minio_opts = pulumi.ResourceOptions(parent=self, provider=args.minio_provider)
            identity = declare_minio_identity(
                f"{name}-metrics",
                user_resource=f"{name}-metrics-user",
                user_name=METRICS_USER,
                policy_name=METRICS_POLICY,
                policy=metrics_policy(),
                component=self,
                opts=minio_opts,
            )
            user, password, attachment = identity.user, identity.password, identity.attachment
            token = secret(
                pulumi.Output.all(user.name, password.result).apply(lambda parts: prometheus_token(parts[0], parts[1]))
            )
            token_secret = k8s.core.v1.Secret(
                f"{name}-scrape-token",
                metadata={"name": token_secret_name(settings), "namespace": args.namespace, "labels": labels},
                type="Opaque",
                string_data={TOKEN_KEY: token},
                # Scraping before the policy is attached would get 403s.
                opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[attachment])),
            )
            k8s.apiextensions.CustomResource(
                f"{name}-service-monitor",
                api_version=API_VERSION,
                kind="ServiceMonitor",
                metadata={"name": settings.release_name, "namespace": args.namespace, "labels": labels},
                spec=cast(Any, service_monitor_spec(settings)),
                opts=pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[token_secret])),
            )
            outputs.update(tokenSecret=token_secret_name(settings), metricsUser=METRICS_USER)
        if monitoring.rules:
            k8s.apiextensions.CustomResource(
                f"{name}-rules",
                api_version=API_VERSION,
                kind="PrometheusRule",
                metadata={"name": f"{settings.release_name}-alerts", "namespace": args.namespace, "labels": labels},
                spec=cast(Any, prometheus_rule_spec(settings)),
                opts=k8s_opts,
            )
            outputs["prometheusRule"] = f"{settings.release_name}-alerts"
        if monitoring.dashboard:
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard",
                metadata={
                    "name": f"{settings.release_name}-dashboard",
                    "namespace": args.namespace,
                    "labels": dashboard_labels(settings),
                },
                data=dashboard_data(settings),
                opts=k8s_opts,
            )
            outputs["dashboard"] = f"{settings.release_name}-dashboard"
        self.summary = outputs
        self.register_outputs(outputs)
