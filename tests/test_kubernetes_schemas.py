"""Every Kubernetes object the program declares, checked against the official OpenAPI schemas.

The chart's values are not objects themselves, but the pieces it copies verbatim into the pod spec
(resources, tolerations, node selector, topology spread) are checked inside a pod of the same shape.
"""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from tools.engine import Inventory

# The oldest Kubernetes minor we support; its schemas are a subset of what newer servers accept.
KUBERNETES_VERSION = "1.31.0"


def manifest(type_token: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """`kubernetes:storage.k8s.io/v1:StorageClass` + inputs -> a manifest with apiVersion and kind."""
    _, api, kind = type_token.split(":")
    group_version = api.removeprefix("core/")
    return {"apiVersion": group_version, "kind": kind, **inputs}


def declared_objects(inventory: Inventory) -> list[tuple[str, dict[str, Any]]]:
    objects = []
    for record in inventory:
        if not record.type.startswith("kubernetes:") or record.type == "kubernetes:helm.sh/v3:Release":
            continue
        if "readId" in record.options:
            continue  # an existing object we only read
        objects.append((record.name, manifest(record.type, record.inputs)))
    return objects


def validate(document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def pod_from_values(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "minio-0", "labels": {"app": "minio", "release": "minio"}},
        "spec": {
            "containers": [
                {
                    "name": "minio",
                    "image": f"{values['image']['repository']}:{values['image']['tag']}",
                    "resources": values["resources"],
                    "env": [{"name": k, "value": v} for k, v in values["environment"].items()],
                }
            ],
            "nodeSelector": values["nodeSelector"],
            "tolerations": values["tolerations"],
            "topologySpreadConstraints": values.get("topologySpreadConstraints", []),
        },
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_declared_objects_match_the_schemas(stack, request):
    inventory = request.getfixturevalue(f"{stack}_inventory")
    objects = declared_objects(inventory)
    kinds = {document["kind"] for _, document in objects}
    assert {"Namespace", "Secret", "Job"} <= kinds
    for name, document in objects:
        if document.get("stringData") == "[secret]":
            document = {**document, "stringData": {"masked": "value"}}
        try:
            validate(document)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{name}: {error.message}")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_chart_pod_fragments_match_the_schemas(stack, request):
    inventory = request.getfixturevalue(f"{stack}_inventory")
    (release,) = inventory.of_type("kubernetes:helm.sh/v3:Release")
    validate(pod_from_values(release.inputs["values"]))


def test_the_validator_rejects_a_broken_object():
    broken = manifest("kubernetes:core/v1:PersistentVolume", {"metadata": {"name": "x"}, "spec": {"capacity": 5}})
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)
    bad_spread = pod_from_values(
        {
            "image": {"repository": "r", "tag": "t"},
            "resources": {},
            "environment": {},
            "nodeSelector": {},
            "tolerations": [],
            "topologySpreadConstraints": [{"maxSkew": "one", "topologyKey": "k"}],
        }
    )
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(bad_spread)
