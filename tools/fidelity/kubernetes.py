"""Rule 3 of the runner: Kubernetes objects against the OpenAPI schemas of our oldest supported minor, and (3b)
prometheus-operator custom resources against the CRD schemas of v0.93.0."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import referencing
from kubernetes_validate.utils import schema_contents

from tools import sdk_private

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


# --- 3. Kubernetes objects against the OpenAPI schemas ---------------------------------------------------------

# The oldest Kubernetes minor we support; its schemas are a subset of what newer servers accept. The schemas are
# kubernetes-validate's strict ones (additionalProperties false: an unknown field is an error, as the API server's
# strict field validation makes it).
KUBERNETES_VERSION = "1.31.0"
KUBERNETES_SOURCE = f"Kubernetes {KUBERNETES_VERSION} OpenAPI schema (kubernetes-validate, strict)"
_UNKNOWN_SENTINEL = "\x00unknown"


@functools.cache
def _kubernetes_schema_dir() -> str:
    """kubernetes_validate.validate's choice: the newest schema set not newer than our minor."""
    utils = kubernetes_validate.utils
    versions = [v for v in utils.all_versions() if utils.major_minor(v) <= utils.major_minor(KUBERNETES_VERSION)]
    return f"kubernetes-json-schema/v{versions[-1]}-local-strict"


@functools.cache
def _kubernetes_definitions() -> referencing.Registry[Any]:
    definitions = schema_contents(f"{_kubernetes_schema_dir()}/_definitions.json", KUBERNETES_VERSION)
    return referencing.Resource.from_contents(definitions) @ referencing.Registry()


@functools.cache
def _kubernetes_validator(api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
    """One compiled validator per kind (kubernetes_validate.validate reloads every schema on each call)."""
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = schema_contents(f"{_kubernetes_schema_dir()}/{kind.lower()}-{group}.json", KUBERNETES_VERSION)
    except FileNotFoundError:
        return None
    registry = referencing.Resource.from_contents(schema) @ _kubernetes_definitions()
    return jsonschema.Draft202012Validator(schema, registry=registry)


def with_sentinels(value: Any) -> Any:
    if isinstance(value, sdk_private.Unknown):
        return _UNKNOWN_SENTINEL
    if isinstance(value, dict):
        return {k: with_sentinels(v) for k, v in value.items()}
    if isinstance(value, list):
        return [with_sentinels(v) for v in value]
    return value


def schema_problems(validator: Any, document: Mapping[str, Any]) -> list[tuple[str, Any, str]]:
    """(path, value, message) for each schema error of the document; values unknown at preview are skipped."""
    problems = []
    for error in validator.iter_errors(with_sentinels(document)):
        if _UNKNOWN_SENTINEL in json.dumps(error.instance, default=str):
            continue
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        problems.append((path or "(object)", error.instance, error.message))
    return problems


def kubernetes_problems(document: Mapping[str, Any]) -> list[tuple[str, Any, str]]:
    """(path, value, message) for each way a manifest breaks its kind's schema; unknown values are skipped."""
    validator = _kubernetes_validator(str(document.get("apiVersion")), str(document.get("kind")))
    if validator is None:
        return [("kind", document.get("kind"), f"no schema for {document.get('apiVersion')} in Kubernetes 1.31")]
    return schema_problems(validator, document)


def kubernetes_manifest(type_token: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """`kubernetes:storage.k8s.io/v1:StorageClass` + inputs -> a manifest with apiVersion and kind."""
    _, api, kind = type_token.split(":")
    return {"apiVersion": api.removeprefix("core/"), "kind": kind, **inputs}


# --- 3b. prometheus-operator custom resources against their CRD schemas -------------------------------------------

PROMETHEUS_OPERATOR_VERSION = "0.93.0"
CRD_FILE = f"prometheus-operator-v{PROMETHEUS_OPERATOR_VERSION}-crds.json"
CRD_SOURCE = f"prometheus-operator v{PROMETHEUS_OPERATOR_VERSION} CRD schema (tools/schemas/{CRD_FILE})"
_OBJECT_META = "https://kubernetes.io/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def _strict_crd_schema(node: Any) -> Any:
    """A CRD's structural schema as JSON Schema: `x-kubernetes-int-or-string` kept as its anyOf, and objects that
    list their properties closed (the API server prunes unknown fields silently, which loses them just the same)."""
    if isinstance(node, list):
        return [_strict_crd_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {k: _strict_crd_schema(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
    if (
        "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        converted["additionalProperties"] = False
    return converted


@functools.cache
def _crd_validator(kind: str) -> jsonschema.protocols.Validator | None:
    document = json.loads((SCHEMA_DIR / CRD_FILE).read_text())
    raw = document["kinds"].get(kind)
    if raw is None:
        return None
    schema = _strict_crd_schema(raw)
    # The API server validates every object's metadata as ObjectMeta, whatever the CRD says of it.
    schema["properties"]["metadata"] = {"$ref": _OBJECT_META}
    schema["properties"]["apiVersion"] = {"const": f"{document['group']}/{document['version']}"}
    schema["properties"]["kind"] = {"const": kind}
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata", "spec"})
    return jsonschema.Draft202012Validator(schema, registry=_kubernetes_definitions())


def custom_resource_problems(document: Mapping[str, Any]) -> list[tuple[str, Any, str]] | None:
    """Problems of a monitoring.coreos.com/v1 object against its vendored CRD; None for other groups."""
    if document.get("apiVersion") != "monitoring.coreos.com/v1":
        return None
    validator = _crd_validator(str(document.get("kind")))
    if validator is None:
        return [("kind", document.get("kind"), f"no vendored CRD schema for {document.get('kind')}")]
    return schema_problems(validator, document)
