"""Rule 4 of the runner: the MinIO chart's values must be keys chart 5.4.0 knows, and what its templates render
from them must pass the Kubernetes rules (`tools/schemas/minio-chart-5.4.0-values.json`)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tools.fidelity.kubernetes import KUBERNETES_SOURCE, kubernetes_problems
from tools.fidelity.violations import Problem, wholly_known

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


# --- 4. The MinIO chart's values ---------------------------------------------------------------------------------

CHART_SOURCE = "MinIO chart 5.4.0 values.yaml and templates (tools/schemas/minio-chart-5.4.0-values.json)"


@functools.cache
def chart_value_keys() -> dict[str, Any]:
    document = json.loads((SCHEMA_DIR / "minio-chart-5.4.0-values.json").read_text())
    return dict(document["values"])


def unknown_chart_values(
    values: Mapping[str, Any], known: Mapping[str, Any] | None = None, prefix: str = ""
) -> list[str]:
    """Value paths the chart does not read. Maps the chart reads key by key are followed; free-form ones are not."""
    known = chart_value_keys() if known is None else known
    unknown = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if key not in known:
            unknown.append(path)
        elif isinstance(known[key], dict) and isinstance(value, dict):
            unknown.extend(unknown_chart_values(value, known[key], f"{path}."))
        elif known[key] is None and isinstance(value, dict):
            unknown.append(path)  # a scalar in the chart given a map
    return unknown


def chart_pod(values: Mapping[str, Any]) -> dict[str, Any]:
    """A pod carrying the pieces of the chart's values that its templates copy verbatim into the MinIO pod spec
    (templates/statefulset.yaml, deployment.yaml: toYaml of resources, nodeSelector, tolerations, affinity,
    topologySpreadConstraints, securityContext minus `enabled`, containerSecurityContext, pod labels and
    annotations), so that they can be checked against the Pod schema."""
    image = values.get("image") or {}
    container: dict[str, Any] = {
        "name": "minio",
        "image": f"{image.get('repository', 'minio')}:{image.get('tag', 'latest')}",
        "resources": values.get("resources") or {},
        "env": [{"name": str(k), "value": v} for k, v in (values.get("environment") or {}).items()],
    }
    if values.get("containerSecurityContext"):
        container["securityContext"] = values["containerSecurityContext"]
    spec: dict[str, Any] = {"containers": [container]}
    for key in ("nodeSelector", "tolerations", "affinity", "topologySpreadConstraints"):
        if values.get(key):
            spec[key] = values[key]
    security = {k: v for k, v in (values.get("securityContext") or {}).items() if k != "enabled"}
    if security:
        spec["securityContext"] = security
    metadata = {"name": "minio-0", "labels": values.get("podLabels") or {"app": "minio"}}
    if values.get("podAnnotations"):
        metadata["annotations"] = values["podAnnotations"]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


# Chart 5.4.0 templates/deployment.yaml copies `deploymentUpdate.type` into the standalone Deployment's
# `spec.strategy.type` (and renders `rollingUpdate` only for RollingUpdate); the API server accepts only these two
# (Kubernetes pkg/apis/apps/validation/validation.go `ValidateDeploymentStrategy`), so the upgrade would fail.
DEPLOYMENT_STRATEGY_TYPES = ("Recreate", "RollingUpdate")


def _deployment_strategy_problems(values: Mapping[str, Any]) -> Iterator[Problem]:
    update = values.get("deploymentUpdate")
    kind = update.get("type", "RollingUpdate") if isinstance(update, Mapping) else "RollingUpdate"
    if kind not in DEPLOYMENT_STRATEGY_TYPES:
        yield Problem(
            "values.deploymentUpdate.type",
            kind,
            "one of " + ", ".join(DEPLOYMENT_STRATEGY_TYPES) + " (the Deployment's spec.strategy.type)",
            f"{CHART_SOURCE}; {KUBERNETES_SOURCE}",
        )


def check_helm_release(inputs: Mapping[str, Any]) -> Iterator[Problem]:
    chart, version = inputs.get("chart"), inputs.get("version")
    if (chart, version) != ("minio", "5.4.0"):
        yield Problem(
            "chart", f"{chart} {version}", "no values key list for this chart version: extract one", CHART_SOURCE
        )
        return
    values = inputs.get("values") or {}
    if not wholly_known(values):
        values = {k: v for k, v in values.items() if wholly_known(v)}
    for path in unknown_chart_values(values):
        yield Problem(f"values.{path}", None, "the chart has no such value", CHART_SOURCE)
    yield from _deployment_strategy_problems(values)
    for path, value, message in kubernetes_problems(chart_pod(values)):
        yield Problem(f"values (pod {path})", value, message, KUBERNETES_SOURCE)
