"""terraform-provider-minio v1.20.1's schema as pulumi-minio 0.17.1 exposes it: one reader for the runner's input
checks and the plan diff's replacement rules.

The vendored `tools/schemas/tf-minio-v1.20.1.json` holds Required/Optional/Computed/ForceNew, MaxItems, validators
per field, extracted from that tag (tools/schemas/README.md). No Pulumi import: the plan diff reads it too.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components import tokens

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


# --- 2. pulumi-minio = terraform-provider-minio v1.20.1 --------------------------------------------------------

TF_MINIO = "terraform-provider-minio v1.20.1"
TF_SDK = "terraform-plugin-sdk/v2 helper/schema/schema.go"


@dataclass(frozen=True)
class TfField:
    tf_name: str
    type: str
    required: bool
    optional: bool
    computed: bool
    force_new: bool
    max_items: int
    conflicts_with: tuple[str, ...]
    validate: tuple[Any, ...]
    create: tuple[Any, ...]
    block: Mapping[str, TfField] | None  # a nested block's fields by Pulumi name
    element: str | None  # a list, set or map's element type

    @property
    def flattened(self) -> bool:
        """A MaxItems=1 list block is one object in Pulumi (bridge-metadata.json of pulumi-minio: maxItemsOne)."""
        return self.type == "TypeList" and self.max_items == 1


@dataclass(frozen=True)
class TfResource:
    tf_name: str
    token: str
    source: str
    fields: Mapping[str, TfField]


def snake_to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def pulumi_field_name(tf_name: str, raw: Mapping[str, Any]) -> str:
    """The bridge's name for a Terraform field (pulumi-terraform-bridge, TerraformToPulumiNameV2): camelCase, and a
    list or set that is not MaxItems=1 takes a plural name (`rule` -> `rules`; `users` stays)."""
    name = snake_to_camel(tf_name)
    if raw["Type"] in ("TypeList", "TypeSet") and raw.get("MaxItems") != 1 and not name.endswith("s"):
        name += "s"
    return name


def pulumi_resource_token(tf_name: str) -> str:
    """pulumi-minio provider/resources.go: tokens.SingleModule("minio_", "index", tokens.MakeStandard("minio"))."""
    camel = snake_to_camel(tf_name.removeprefix("minio_"))
    return f"minio:index/{camel}:{camel[:1].upper()}{camel[1:]}"


def _tf_fields(raw_fields: Mapping[str, Any]) -> dict[str, TfField]:
    fields = {}
    for tf_name, raw in raw_fields.items():
        elem = raw.get("Elem")
        nested = isinstance(elem, dict) and not isinstance(elem.get("Type"), str)
        fields[pulumi_field_name(tf_name, raw)] = TfField(
            tf_name=tf_name,
            type=raw["Type"],
            required=bool(raw.get("Required")),
            optional=bool(raw.get("Optional")),
            computed=bool(raw.get("Computed")),
            force_new=bool(raw.get("ForceNew")),
            max_items=int(raw.get("MaxItems", 0)),
            conflicts_with=tuple(raw.get("ConflictsWith", ())),
            validate=tuple(raw.get("Validate", ())),
            create=tuple(raw.get("Create", ())),
            block=_tf_fields(elem) if nested else None,
            element=None if nested else (elem or {}).get("Type", "TypeString"),
        )
    return fields


@functools.cache
def minio_schema() -> dict[str, TfResource]:
    """The vendored schema by Pulumi type token; the provider's own configuration under `pulumi:providers:minio`."""
    document = json.loads((SCHEMA_DIR / "tf-minio-v1.20.1.json").read_text())
    resources = {
        tokens.MINIO_PROVIDER: TfResource(
            "provider",
            tokens.MINIO_PROVIDER,
            document["provider"]["source"],
            _tf_fields(document["provider"]["fields"]),
        )
    }
    for tf_name, raw in document["resources"].items():
        token = pulumi_resource_token(tf_name)
        resources[token] = TfResource(tf_name, token, raw["source"], _tf_fields(raw["fields"]))
    return resources


def force_new_fields(type_token: str) -> set[str]:
    """Inputs of a pulumi-minio resource whose change replaces it (delete + create), as Pulumi paths: `bucket`,
    `rules[].id` for a field of a list block's items, `versioningConfiguration.status` for a MaxItems=1 block."""

    def walk(fields: Mapping[str, TfField], prefix: str) -> Iterator[str]:
        for name, spec in fields.items():
            path = f"{prefix}{name}"
            if spec.force_new:
                yield path
            if spec.block is not None:
                yield from walk(spec.block, f"{path}." if spec.flattened else f"{path}[].")

    resource = minio_schema().get(type_token)
    return set(walk(resource.fields, "")) if resource else set()
