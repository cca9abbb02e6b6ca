"""Rule 2 of the runner: every pulumi-minio input through terraform-provider-minio v1.20.1's schema and validators,
as the provider's Check applies them (pulumi-minio 0.17.1 bridges that tag: `provider/go.mod`)."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from tools.fidelity.cli import is_go_int
from tools.fidelity.minio_schema import TF_MINIO, TF_SDK, TfField, TfResource, minio_schema
from tools.fidelity.violations import ABSENT, Problem, wholly_known


def _ilm_expiration(value: str) -> bool:
    """resource_minio_ilm_policy.go, parseILMExpiration: "DeleteMarker", fmt.Sscanf(s, "%dd") with a non-zero
    result, or time.Parse("2006-01-02"); anything parsing to the zero Expiration is refused."""
    if value == "DeleteMarker":
        return True
    days = re.match(r"\s*([+-]?[0-9]+)d", value)
    if days and -(2**63) <= int(days.group(1)) < 2**63:
        return int(days.group(1)) != 0
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            return datetime.date.fromisoformat(value) != datetime.date(1, 1, 1)
        except ValueError:
            return False
    return False


def _policy_json(value: str) -> bool:
    """resource_minio_iam_policy.go, validateIAMPolicyJSON: starts with "{" and is JSON (NormalizeJsonString)."""
    if not value.startswith("{"):
        return False
    try:
        json.loads(value, parse_constant=lambda constant: (_ for _ in ()).throw(ValueError(constant)))
    except ValueError:
        return False
    return True


_IAM_NAME = re.compile(r"[\w+=,.@:-]*", re.ASCII)
_STATIC_USER_NAME = re.compile(r"[0-9A-Za-z=,.@\-_+]+")
_LDAP_DN = re.compile(r"^(?:(CN=([^,]*)),)+(?:((?:(?:CN|OU)=[^,]+,?)+),)+((?:DC=[^,]+,?)+)$")
_BUCKET_NAME_STRICT = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")


def _bucket_name_problem(name: str) -> str | None:
    """minio-go pkg/s3utils/utils.go, checkBucketNameCommon(strict=true), as the MinIO server applies it."""
    if not name.strip():
        return "a bucket name cannot be empty"
    if not 3 <= len(name) <= 63:
        return "a bucket name has 3 to 63 characters"
    if re.fullmatch(r"(\d+\.){3}\d+", name):
        return "a bucket name cannot be an IP address"
    if ".." in name or ".-" in name or "-." in name or not _BUCKET_NAME_STRICT.fullmatch(name):
        return "a bucket name has lowercase letters, digits, '.' and '-' only, starting and ending alphanumeric"
    return None


# Each validator: (what it checks -> problem or None, its source). Names as in the vendored schema's "Validate"
# and "Create" lists, which give the arguments.
_VALIDATORS: dict[str, tuple[Callable[..., str | None], str]] = {
    "StringLenBetween": (
        lambda v, lo, hi: None if lo <= len(v.encode()) <= hi else f"length must be {lo} to {hi} bytes",
        "terraform-plugin-sdk helper/validation, StringLenBetween",
    ),
    "StringInSlice": (
        lambda v, allowed, _ignore_case: None if v in allowed else f"must be one of {', '.join(allowed)}",
        "terraform-plugin-sdk helper/validation, StringInSlice",
    ),
    "validateILMExpiration": (
        lambda v: None if _ilm_expiration(v) else 'must be a duration (5d), date (1970-01-01), or "DeleteMarker"',
        f"{TF_MINIO} minio/resource_minio_ilm_policy.go, validateILMExpiration",
    ),
    "validateILMNoncurrentVersionExpiration": (
        lambda v: None if v >= 1 else "noncurrent_version_expiration_days must be strictly positive",
        f"{TF_MINIO} minio/resource_minio_ilm_policy.go, validateILMNoncurrentVersionExpiration",
    ),
    "validateIAMNamePolicy": (
        lambda v: (
            "at most 96 characters" if len(v) > 96 else None if _IAM_NAME.fullmatch(v) else "must match [\\w+=,.@:-]"
        ),
        f"{TF_MINIO} minio/resource_minio_iam_policy.go, validateIAMNamePolicy",
    ),
    "validateIAMPolicyJSON": (
        lambda v: None if _policy_json(v) else "must be a JSON policy document starting with '{'",
        f"{TF_MINIO} minio/resource_minio_iam_policy.go, validateIAMPolicyJSON",
    ),
    "validateMinioIamUserName": (
        lambda v: (
            None
            if _STATIC_USER_NAME.fullmatch(v) or _LDAP_DN.match(v)
            else "only alphanumerics and =,.@-_+ (or an LDAP DN)"
        ),
        f"{TF_MINIO} minio/resource_minio_iam_user.go, validateMinioIamUserName",
    ),
    "CheckValidBucketNameStrict": (
        _bucket_name_problem,
        "at create: MinIO RELEASE.2024-12-18T13-15-44Z cmd/erasure-server-pool.go MakeBucket "
        "(s3utils.CheckValidBucketNameStrict); the provider's minioCreateBucket checks the laxer CheckValidBucketName",
    ),
    "OneOf": (
        lambda v, allowed: None if v in allowed else f"must be one of {', '.join(allowed)}",
        f"at create: {TF_MINIO} minio/resource_minio_s3_bucket.go, minioSetBucketACL ('unsupported ACL')",
    ),
}

_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "TypeString": lambda v: isinstance(v, str),
    "TypeBool": lambda v: isinstance(v, bool),
    "TypeInt": lambda v: is_go_int(v) or (isinstance(v, float) and v.is_integer()),
    "TypeMap": lambda v: isinstance(v, dict),
    "TypeList": lambda v: isinstance(v, list),
    "TypeSet": lambda v: isinstance(v, list),
}


def _provider_value(spec: TfField, value: Any) -> Any:
    """Provider configuration reaches the bridge as strings, non-strings JSON-encoded (`"false"`)."""
    if spec.type != "TypeString" and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _check_block(
    resource: TfResource, fields: Mapping[str, TfField], values: Mapping[str, Any], prefix: str
) -> Iterator[Problem]:
    """terraform-plugin-sdk schemaMap.validate/validateObject for one object of inputs."""
    top = not prefix
    schema_source = f"{TF_MINIO} {resource.source}"
    for name in values:
        if name not in fields and not (top and resource.tf_name == "provider" and name == "version"):
            yield Problem(prefix + name, values[name], "no such argument", f"{TF_SDK} validateObject: {schema_source}")
    for name, spec in fields.items():
        path = prefix + name
        value = values.get(name, ABSENT)
        if value is ABSENT or value is None:
            # pulumi-minio provider/resources.go SetAutonaming: a required top-level `name` is generated.
            if spec.required and not (top and name == "name" and resource.tf_name != "provider"):
                yield Problem(path, None, "required argument missing", f"{TF_SDK} validate: {schema_source}")
            continue
        if not (spec.required or spec.optional):
            yield Problem(path, value, "computed-only: this field cannot be set", f"{TF_SDK} validate: {schema_source}")
            continue
        if not wholly_known(value):
            continue
        if resource.tf_name == "provider":
            value = _provider_value(spec, value)
        for other in spec.conflicts_with:
            other_name = next(n for n, s in fields.items() if s.tf_name == other)
            if values.get(other_name) is not None:
                yield Problem(path, value, f"conflicts with {other_name}", f"{TF_SDK} validateConflictingAttributes")
        yield from _check_value(resource, spec, value, path)


def _check_value(resource: TfResource, spec: TfField, value: Any, path: str) -> Iterator[Problem]:
    schema_source = f"{TF_MINIO} {resource.source}"
    if spec.flattened and spec.block is not None:
        if not isinstance(value, dict):
            yield Problem(path, value, "must be an object", schema_source)
            return
        yield from _check_block(resource, spec.block, value, f"{path}.")
        return
    if not _TYPE_CHECKS[spec.type](value):
        yield Problem(path, value, f"must be a {spec.type.removeprefix('Type').lower()}", schema_source)
        return
    if spec.max_items and len(value) > spec.max_items:
        yield Problem(path, value, f"at most {spec.max_items} items", f"{TF_SDK} validateList")
    if spec.type in ("TypeList", "TypeSet"):
        for index, item in enumerate(value):
            if spec.block is not None:
                if not isinstance(item, dict):
                    yield Problem(f"{path}[{index}]", item, "must be an object", schema_source)
                else:
                    yield from _check_block(resource, spec.block, item, f"{path}[{index}].")
            elif spec.element and not _TYPE_CHECKS[spec.element](item):
                yield Problem(f"{path}[{index}]", item, f"items must be {spec.element}", schema_source)
    if spec.type == "TypeMap":
        for key, item in value.items():
            if not _TYPE_CHECKS[spec.element or "TypeString"](item):
                yield Problem(f"{path}.{key}", item, "map values must be strings", schema_source)
    for check in (spec.validate, spec.create):
        if check:
            validator, source = _VALIDATORS[check[0]]
            problem = validator(value, *check[1:])
            if problem:
                yield Problem(path, value, problem, source if check is spec.create else f"{source}: {schema_source}")


def check_minio_inputs(type_token: str, inputs: Mapping[str, Any]) -> Iterator[Problem]:
    resource = minio_schema().get(type_token)
    if resource is None:
        yield Problem(
            "(type)",
            type_token,
            "not in the vendored provider schema: read its resource file at v1.20.1 and add it",
            "tools/schemas/tf-minio-v1.20.1.json",
        )
        return
    yield from _check_block(resource, resource.fields, inputs, "")
