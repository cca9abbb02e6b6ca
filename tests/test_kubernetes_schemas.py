"""Kubernetes objects and the chart's values are checked at every registration (tools/fidelity/).

Every `kubernetes:*` object the program declares is validated against the Kubernetes 1.31 OpenAPI schemas
(strict: an unknown field is an error); the Helm release's values must be keys chart 5.4.0 reads, and the pieces
of them the chart copies into the pod spec are validated inside a Pod.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools import sdk_private
from tools.engine import Inventory, ProviderCheckError, run_stack
from tools.fidelity.chart import chart_pod, chart_value_keys, unknown_chart_values
from tools.fidelity.kubernetes import kubernetes_manifest, kubernetes_problems
from tools.fidelity.registration import check_registration

RELEASE = "kubernetes:helm.sh/v3:Release"
# A maintenance check for a chart upgrade: point MATIH_CHART_VALUES at the new chart's extracted values.yaml (the
# chart itself is not vendored); without it the check skips.
CHART_VALUES = Path(os.environ.get("MATIH_CHART_VALUES", "/nonexistent/values.yaml"))


def run_program(root: Path, program: str) -> ProviderCheckError:
    (root / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (root / "Pulumi.dev.yaml").write_text("config: {}\n")
    (root / "__main__.py").write_text(textwrap.dedent(program))
    with pytest.raises(ProviderCheckError) as caught:
        run_stack("dev", project_dir=root)
    return caught.value


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_stacks_declare_objects_of_every_kind_we_check(stack, request):
    inventory: Inventory = request.getfixturevalue(f"{stack}_inventory")
    kinds = {r.type.rsplit(":", 1)[1] for r in inventory if r.type.startswith("kubernetes:") and r.custom}
    assert {"Namespace", "Secret", "Job", "Release"} <= kinds


def test_a_broken_object_is_refused_at_registration(tmp_path):
    program = """\
        import pulumi_kubernetes as k8s

        k8s.core.v1.PersistentVolume("drive", metadata={"name": "drive-0"}, spec={"capacity": 5})
        k8s.core.v1.Namespace("ns", metadata={"name": "minio", "lables": {"team": "storage"}})
        """
    error = run_program(tmp_path, program)
    assert {(v.resource_name, v.path) for v in error.violations} == {("drive", "spec.capacity"), ("ns", "metadata")}
    assert "'lables' was unexpected" in str(error) and "Kubernetes 1.31.0 OpenAPI schema" in str(error)


def test_unknown_values_are_skipped_but_known_ones_checked():
    manifest = kubernetes_manifest(
        "kubernetes:core/v1:Secret",
        {"metadata": {"name": sdk_private.Unknown(), "namespace": "minio"}, "type": sdk_private.Unknown()},
    )
    assert kubernetes_problems(manifest) == []
    manifest["immutable"] = "yes"
    assert [(path, message) for path, _, message in kubernetes_problems(manifest)] == [
        ("immutable", "'yes' is not of type 'boolean', 'null'")
    ]


def test_a_kind_without_a_schema_is_reported():
    manifest = kubernetes_manifest("kubernetes:example.com/v1:Widget", {"metadata": {"name": "w"}})
    assert kubernetes_problems(manifest) == [("kind", "Widget", "no schema for example.com/v1 in Kubernetes 1.31")]


def release(values: dict[str, Any], version: str = "5.4.0") -> dict[str, str]:
    inputs = {"chart": "minio", "version": version, "values": values}
    return {v.path: v.rule for v in check_registration(RELEASE, "minio-release", inputs)}


def test_unknown_chart_values_are_refused_at_any_depth():
    assert release({"persistance": {"enabled": True}}) == {"values.persistance": "the chart has no such value"}
    assert release({"persistence": {"sise": "1Gi"}, "service": {"nodePort": 32000}}) == {
        "values.persistence.sise": "the chart has no such value"
    }
    assert release({"mode": {"distributed": True}}) == {"values.mode": "the chart has no such value"}


def test_free_form_chart_values_are_not_recursed_into():
    values = {
        "podAnnotations": {"checksum/secrets": "abc"},
        "environment": {"MINIO_PROMETHEUS_AUTH_TYPE": "public"},
        "nodeSelector": {"matih.io/pool": "storage"},
        "persistence": {"annotations": {"anything": "goes"}, "existingClaim": "minio-data"},
        "makeUserJob": {"containerSecurityContext": {"readOnlyRootFilesystem": True}},
    }
    assert release(values) == {}


def test_the_pod_fragments_of_the_values_are_schema_checked():
    problems = release(
        {"resources": {"requets": {"cpu": "1"}}, "topologySpreadConstraints": [{"maxSkew": "one", "topologyKey": "k"}]}
    )
    assert set(problems) == {
        "values (pod spec.containers[0].resources)",
        "values (pod spec.topologySpreadConstraints[0])",  # no whenUnsatisfiable
        "values (pod spec.topologySpreadConstraints[0].maxSkew)",
    }


def test_another_chart_version_needs_its_own_key_list():
    assert release({}, version="5.5.0") == {"chart": "no values key list for this chart version: extract one"}


def test_the_pod_carries_what_the_chart_copies_verbatim():
    pod = chart_pod(
        {
            "image": {"repository": "quay.io/minio/minio", "tag": "RELEASE.2024-12-18T13-15-44Z"},
            "securityContext": {"enabled": True, "fsGroup": 1000},
            "podAnnotations": {"a": "b"},
            "tolerations": [{"key": "k", "operator": "Exists"}],
        }
    )
    assert pod["spec"]["securityContext"] == {"fsGroup": 1000}  # the chart omits `enabled` (statefulset.yaml)
    assert pod["metadata"]["annotations"] == {"a": "b"}
    assert kubernetes_problems(pod) == []


@pytest.mark.skipif(not CHART_VALUES.exists(), reason="MATIH_CHART_VALUES names no extracted chart values.yaml")
def test_the_key_list_covers_every_key_of_the_chart_values():
    def paths(node: Any, prefix: str = "") -> set[str]:
        if not isinstance(node, dict) or not node:
            return set()
        return {f"{prefix}{k}" for k in node} | {p for k, v in node.items() for p in paths(v, f"{prefix}{k}.")}

    defaults = yaml.safe_load(CHART_VALUES.read_text())
    free_form = {"resources", "securityContext", "containerSecurityContext"}
    chart_keys = {p for p in paths(defaults) if p.split(".")[0] not in free_form}
    assert unknown_chart_values(defaults) == []
    assert [path for path in sorted(chart_keys) if unknown_chart_values(_nested(path))] == []
    assert set(chart_value_keys()) >= set(defaults)


def _nested(path: str) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    return {head: _nested(rest) if rest else "x"}
