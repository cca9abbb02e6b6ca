"""Rules 2-4 at a registration: which provider's rules a resource goes through."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from components import tokens
from tools import sdk_private
from tools.fidelity.chart import check_helm_release
from tools.fidelity.kubernetes import (
    CRD_SOURCE,
    KUBERNETES_SOURCE,
    custom_resource_problems,
    kubernetes_manifest,
    kubernetes_problems,
)
from tools.fidelity.minio_provider import check_minio_inputs
from tools.fidelity.violations import SECRET_SHOWN, Problem, Violation, unwrap

# --- Dispatch -------------------------------------------------------------------------------------------------------


def check_registration(type_token: str, name: str, inputs: Mapping[str, Any]) -> list[Violation]:
    """Everything a real provider would refuse in one resource's inputs (engine wire values: secrets wrapped,
    Unknown during preview)."""
    if type_token.startswith("minio:") or type_token == tokens.MINIO_PROVIDER:
        checks: Iterator[Problem] = check_minio_inputs(type_token, unwrap(dict(inputs))[0])
    elif type_token == tokens.HELM_RELEASE:
        checks = check_helm_release(unwrap(dict(inputs))[0])
    elif type_token.startswith("kubernetes:monitoring.coreos.com/"):
        manifest = kubernetes_manifest(type_token, unwrap(dict(inputs))[0])
        checks = (Problem(p, v, m, CRD_SOURCE) for p, v, m in custom_resource_problems(manifest) or [])
    elif type_token.startswith("kubernetes:"):
        manifest = kubernetes_manifest(type_token, unwrap(dict(inputs))[0])
        checks = (Problem(p, v, m, KUBERNETES_SOURCE) for p, v, m in kubernetes_problems(manifest))
    else:
        return []
    secret_paths = _secret_paths(dict(inputs))
    return [
        Violation(
            type_token,
            name,
            problem.path,
            SECRET_SHOWN if any(problem.path.startswith(p) for p in secret_paths) else problem.value,
            problem.rule,
            problem.source,
        )
        for problem in checks
    ]


def _secret_paths(inputs: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Paths of secret values, so that a refused secret is reported as [secret], never its value."""
    paths = []
    for key, value in inputs.items():
        path = f"{prefix}{key}"
        if unwrap(value)[1]:
            if isinstance(value, dict) and value.get(sdk_private.SIG_KEY) != sdk_private.SECRET_SIG:
                paths.extend(_secret_paths(value, f"{path}."))
            else:
                paths.append(path)
    return paths
