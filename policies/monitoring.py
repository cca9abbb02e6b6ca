"""Monitoring: the erasure-layout alerts and an authenticated scrape are declared."""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from components import tokens
from policies.engine_values import as_list, as_mapping, resources_of

# Alerts without which nobody learns that a set is about to stop (components/model/alerts.py): quorum and a blind
# scrape.
REQUIRED_ALERTS = ("MinioErasureSetQuorumLost", "MinioMetricsAbsent")


def monitoring_problems(args: StackValidationArgs) -> list[str]:
    problems = []
    alert_names = {
        str(rule.get("alert"))
        for resource in resources_of(args, tokens.PROMETHEUS_RULE)
        for group in as_list(as_mapping(resource.props.get("spec")).get("groups"))
        for rule in as_list(as_mapping(group).get("rules"))
        if isinstance(rule, Mapping)
    }
    missing = [name for name in REQUIRED_ALERTS if name not in alert_names]
    if missing:
        problems.append(
            f"no PrometheusRule with {', '.join(missing)}: set monitoring.rules (and serviceMonitor) so that losing "
            "an erasure set's quorum, or the metrics, pages someone"
        )
    secrets = {
        (
            str(as_mapping(s.props.get("metadata")).get("namespace")),
            str(as_mapping(s.props.get("metadata")).get("name")),
        )
        for s in resources_of(args, tokens.SECRET)
    }
    monitors = resources_of(args, tokens.SERVICE_MONITOR)
    if not monitors:
        problems.append("no ServiceMonitor scrapes MinIO: set monitoring.serviceMonitor")
    for monitor in monitors:
        namespace = str(as_mapping(monitor.props.get("metadata")).get("namespace"))
        for endpoint in as_list(as_mapping(monitor.props.get("spec")).get("endpoints")):
            endpoint = as_mapping(endpoint)
            credentials = as_mapping(as_mapping(endpoint.get("authorization")).get("credentials")) or as_mapping(
                endpoint.get("bearerTokenSecret")
            )
            name = credentials.get("name")
            if not name:
                problems.append(f"ServiceMonitor endpoint {endpoint.get('path')!r} scrapes without a bearer token")
            elif (namespace, str(name)) not in secrets:
                problems.append(f"ServiceMonitor's token Secret {namespace}/{name} is not declared by this stack")
    return problems


def validate_alerts_declared(args: StackValidationArgs, report: ReportViolation) -> None:
    """A platform stack (one with the MinIO release) declares the layout's alerts and an authenticated scrape.
    Mandatory in production; dev, whose kind cluster has no prometheus-operator, runs it as advisory."""
    if not resources_of(args, tokens.HELM_RELEASE):
        return  # a tenant shard: its platform stack carries the monitoring
    for problem in monitoring_problems(args):
        report(problem, None)


ALERTS_DECLARED = StackValidationPolicy(
    name="alerts-declared",
    description=(
        "The platform declares the erasure-layout alerts (quorum lost, metrics absent) and scrapes MinIO with a "
        "bearer token from a Secret it declares. Advisory in dev."
    ),
    validate=validate_alerts_declared,
    # Mandatory unless a stack's config lowers it: policies/config.dev.json makes it advisory.
    enforcement_level=EnforcementLevel.MANDATORY,
)
