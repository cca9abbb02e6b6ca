"""The RBAC a preview and an up need (deploy/rbac/): valid Kubernetes objects, and enough for what the program of
each stack really declares and reads, judged on the mock-engine inventories rather than on a list kept by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tools.engine import PROJECT_DIR, Inventory, ResourceRecord, run_stack

KUBERNETES_VERSION = "1.31.0"
RBAC = PROJECT_DIR / "deploy" / "rbac"
READ = {"get", "list", "watch"}
WRITE = READ | {"create", "update", "patch", "delete"}
# Types the provider handles itself rather than as one Kubernetes object.
NOT_OBJECTS = {"pulumi:providers:kubernetes", "kubernetes:helm.sh/v3:Release"}
# Built-in kinds MinIO chart 5.4.0 can install (templates/*.yaml); Helm runs with the deployer's credentials.
CHART_OBJECTS = {
    ("apps", "StatefulSet"),
    ("apps", "Deployment"),
    ("", "Service"),
    ("", "ServiceAccount"),
    ("", "ConfigMap"),
    ("", "Secret"),
    ("", "PersistentVolumeClaim"),
    ("policy", "PodDisruptionBudget"),
    ("networking.k8s.io", "Ingress"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("batch", "Job"),
}


def _documents(name: str) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all((RBAC / name).read_text()) if document]


def _role(name: str, kind: str = "ClusterRole") -> dict[str, Any]:
    [role] = [d for f in ("preview.yaml", "deployer.yaml") for d in _documents(f) if d["metadata"]["name"] == name]
    assert role["kind"] == kind
    return role


def _plural(kind: str) -> str:
    lower = kind.lower()
    if lower.endswith("s"):
        return lower + "es"
    if lower.endswith("y"):
        return lower[:-1] + "ies"
    return lower + "s"


def _verbs(role: dict[str, Any], group: str, kind: str, name: str | None = None) -> set[str]:
    """What a role allows on one kind (and, when given, one object of it)."""
    allowed: set[str] = set()
    for rule in role["rules"]:
        names = rule.get("resourceNames")
        if group in rule["apiGroups"] and _plural(kind) in rule["resources"] and (not names or name in names):
            allowed |= set(rule["verbs"])
    return allowed


def _group_and_kind(record: ResourceRecord) -> tuple[str, str]:
    """`kubernetes:core/v1:Secret` -> ("", "Secret"); `kubernetes:storage.k8s.io/v1:StorageClass` -> its group."""
    _, group_version, kind = record.type.split(":")
    group = group_version.rsplit("/", 1)[0]
    return ("" if group == "core" else group), kind


@pytest.fixture(scope="module", params=["dev", "prod", "prod-tenants-1"])
def inventory(request: pytest.FixtureRequest) -> Inventory:
    return run_stack(request.param)


def _kubernetes_objects(inventory: Inventory) -> Iterator[ResourceRecord]:
    return (r for r in inventory if r.type.startswith("kubernetes:") and r.type not in NOT_OBJECTS)


@pytest.mark.parametrize("path", sorted(RBAC.glob("*.yaml")), ids=lambda p: p.name)
def test_the_rbac_manifests_are_valid_kubernetes_objects(path):
    for document in _documents(path.name):
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_deployer_may_manage_every_object_the_program_declares(inventory):
    deployer = _role("matih-minio-deployer")
    declared = {_group_and_kind(r) for r in _kubernetes_objects(inventory) if "readId" not in r.options}
    assert declared
    for group, kind in declared | CHART_OBJECTS:
        assert _verbs(deployer, group, kind) >= WRITE, (group, kind)


def test_the_preview_reads_what_is_declared_but_no_secret_cluster_wide(inventory):
    preview = _role("matih-minio-preview")
    for group, kind in {_group_and_kind(r) for r in _kubernetes_objects(inventory)} | CHART_OBJECTS:
        allowed = _verbs(preview, group, kind)
        assert allowed == (set() if kind == "Secret" else READ), (group, kind)


def _namespaced_roles(namespace: str) -> list[dict[str, Any]]:
    """preview.yaml's Roles in one namespace: what a preview may read beyond its ClusterRole."""
    return [d for d in _documents("preview.yaml") if d["kind"] == "Role" and d["metadata"]["namespace"] == namespace]


def test_every_object_the_program_reads_is_readable_by_the_preview_and_the_deployer(inventory):
    reads = [r for r in _kubernetes_objects(inventory) if "readId" in r.options]
    for record in reads:
        namespace, name = record.options["readId"].split("/")
        group, kind = _group_and_kind(record)
        assert any("get" in _verbs(role, group, kind, name) for role in _namespaced_roles(namespace)), record.name
        assert "get" in _verbs(_role("matih-minio-deployer"), group, kind, name)


@pytest.mark.parametrize("ref", ["apiKeySecret", "caSecret"])
def test_the_prod_preview_reads_the_kes_secrets_its_stack_names_and_no_other(ref):
    # Not vacuous: prod's KES configuration is what makes the preview need more than read-only.
    kes = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())["config"]["matih-minio:kms"]["kes"]
    secret = kes[ref]
    role = _role("matih-minio-read-kes-secrets", kind="Role")
    assert role["metadata"]["namespace"] == secret["namespace"]
    assert _verbs(role, "", "Secret", secret["name"]) == {"get"}
    assert _verbs(role, "", "Secret", "another-secret") == set()


def test_the_chart_objects_outside_the_roles_stay_switched_off(inventory):
    releases = inventory.of_type("kubernetes:helm.sh/v3:Release")
    if inventory.stack == "prod-tenants-1":
        assert releases == []  # a shard installs nothing of the chart
        return
    [release] = releases
    values = release.inputs["values"]
    assert values["metrics"]["serviceMonitor"]["enabled"] is False  # ServiceMonitor and Probe
    assert (values.get("networkPolicy") or {}).get("enabled", False) is False  # CiliumNetworkPolicy flavour
