"""Reading values as the policy engine hands them over (proxies of JSON-like values, numbers as floats)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    PolicyResource,
    StackValidationArgs,
)
from pulumi_policy.proxy import UnknownValueError

from components import tokens

# tools/engine.py masks secret values this way; a real run hands policies the plaintext instead.
OFFLINE_SECRET_MASK = "[secret]"


# Keys whose non-empty literal is a credential wherever they appear, compared by ending without case, '-' or '_'
# (`rootPassword`, `users[].secretKey`, `oidc.clientSecret`). Not `privateKey`: the chart's tls.privateKey is a file.
CREDENTIAL_KEY_ENDINGS = ("accesskey", "secretkey", "password", "apikey", "clientsecret", "rootuser")


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    """IAM and Kubernetes fields hold either one value or a list of them."""
    if value is None:
        return []
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def as_int(value: Any, default: int) -> int:
    """The engine sends every number as a float; config and values may also hold numeric strings."""
    if value is None or value == "":
        return default
    return int(float(value))


def is_enabled(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def release_values(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_mapping(props.get("values"))


def release_environment(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_mapping(values.get("environment"))


def urn_type_and_name(urn: str) -> tuple[str, str]:
    """`urn:pulumi:<stack>::<project>::<parent types>$<type>::<name>` -> (type, name)."""
    parts = urn.split("::")
    if len(parts) < 4:
        return "", ""
    return parts[2].split("$")[-1], "::".join(parts[3:])


def is_credential_key(key: str) -> bool:
    return key.replace("-", "").replace("_", "").lower().endswith(CREDENTIAL_KEY_ENDINGS)


def leaves(tree: Any, path: str = "", key: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every scalar below `tree`; list items carry their list's key. Values not known at
    preview are left out: the program computes them (e.g. the pods' secrets checksum on a fresh stack), so they are
    no literal, and the same policy sees them once `up` knows them. Reading one would skip the whole policy."""
    if isinstance(tree, Mapping):
        for child_key in tree:
            child_path = f"{path}.{child_key}" if path else str(child_key)
            try:
                value = tree[child_key]
            except UnknownValueError:
                continue
            yield from leaves(value, child_path, str(child_key))
    elif isinstance(tree, Sequence) and not isinstance(tree, str):
        for index in range(len(tree)):
            try:
                item = tree[index]
            except UnknownValueError:
                continue
            yield from leaves(item, f"{path}[{index}]", key)
    else:
        yield path, key, tree


def credential_literals(tree: Any) -> list[str]:
    """Paths of credential-named keys holding a non-empty literal anywhere below `tree`."""
    return [path for path, key, value in leaves(tree) if is_credential_key(key) and isinstance(value, str) and value]


def secret_masks(tree: Any) -> list[str]:
    """Paths of values the offline engine masked as secret."""
    return [path for path, _key, value in leaves(tree) if value == OFFLINE_SECRET_MASK]


def is_tenant_child(parent_urn: str | None) -> bool:
    return bool(parent_urn) and urn_type_and_name(str(parent_urn))[0] == tokens.TENANT


def resources_of(args: StackValidationArgs, resource_type: str) -> list[PolicyResource]:
    return [resource for resource in args.resources if resource.resource_type == resource_type]


def bucket_name(resource: PolicyResource) -> str:
    return str(resource.props.get("bucket") or "")


PRODUCTION_FLAG = {
    "production": {
        "type": "boolean",
        "default": False,
        "description": "Hold the stack to production rules.",
    }
}
