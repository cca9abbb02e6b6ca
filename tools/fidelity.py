"""How close the mock runner is to the real Pulumi CLI and providers: every rule it enforces, with its source.

The mock engine (`tools.engine`) runs our program without the CLI, the providers or MinIO. Whatever those would
refuse, this module refuses too, so that a test, `make plan`, the policy check and the plan diff fail where
`pulumi preview`/`up` would:

1. The CLI reads project and stack files (pulumi/pulumi v3.259.0, the newest tag in our mirror; we pin 3.272):
   YAML as gopkg.in/yaml.v3 decodes it, `Pulumi.yaml`'s `config:` declarations validated and applied.
   Violations raise `StackFileError` before the program runs.
2. pulumi-minio 0.17.1 bridges terraform-provider-minio v1.20.1 (`provider/go.mod` of pulumi/pulumi-minio
   v0.17.1): every input goes through that provider's Terraform schema and validators at Check
   (`tools/schemas/tf-minio-v1.20.1.json`, checked against the tag's source).
3. pulumi-kubernetes objects are checked against the Kubernetes OpenAPI schemas of our oldest supported minor.
3b. prometheus-operator custom resources (monitoring.coreos.com/v1) are checked against the CRD schemas of v0.93.0.
4. The MinIO chart's values must be keys chart 5.4.0 knows (`tools/schemas/minio-chart-5.4.0-values.json`).

Rules 2-4 report `Violation`s; the engine raises them together as `ProviderCheckError`. Unknown values (a
preview's not-yet-computed outputs) are skipped, as the real checks skip them.

A real first preview checks less than this: pulumi-minio stays unconfigured while its credentials are unknown, so
its Check is skipped and these errors would surface in the middle of `up`. We check every registration anyway.

Not emulated: decrypting `secure:` values (their declared type is not checked), ESC environments, reads of
existing objects (`Secret.get` sends only an id), and runtime failures of a real cluster or MinIO server beyond
the create-time checks named below.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import referencing
import yaml
from kubernetes_validate.utils import schema_contents
from pulumi.output import Unknown
from pulumi.runtime.rpc import _special_secret_sig, _special_sig_key

from components import tokens

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"


class StackFileError(ValueError):
    """A project or stack file the Pulumi CLI would refuse before running the program (unknown stack, YAML syntax,
    CLI config rules). The message names the file and, where there is one, the line or key; `problems` lists
    every problem found, one line each."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


# ---------------------------------------------------------------------------------------------------------------
# 1. YAML as the CLI reads it.
#
# The CLI decodes Pulumi.yaml and Pulumi.<stack>.yaml with gopkg.in/yaml.v3 (sdk/go/common/encoding/marshal.go,
# yamlMarshaler.Unmarshal), whose decoder refuses a mapping key defined twice (go-yaml v3.0.1 decode.go,
# decoder.mapping: "mapping key %#v already defined at line %d", uniqueKeys defaults to true). Plain scalars
# resolve by YAML 1.2 rules (resolve.go, resolve): `yes`/`on` stay strings, 1.1-style octals `0755` and
# underscores in numbers are accepted, dates become Go time values. PyYAML's SafeLoader follows YAML 1.1
# instead, so this loader resolves plain scalars itself.

_GO_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")  # resolve.go, yamlStyleFloat
# strconv.ParseInt with base 0: hex, 0o/0b, a leading 0 for octal, decimal.
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_YAML_CONSTANTS: dict[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
}
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[Tt ](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?)?$"
)


def _go_int(text: str) -> int | None:
    match = _GO_INT.fullmatch(text.replace("_", ""))
    if not match:
        return None
    sign, digits = match.groups()
    prefix = digits[:2].lower()
    if prefix in ("0x", "0o", "0b"):
        value = int(digits[2:], {"0x": 16, "0o": 8, "0b": 2}[prefix])
    else:
        value = int(digits, 8 if digits.startswith("0") else 10)  # a leading 0 means octal to ParseInt
    value = -value if sign == "-" else value
    return value if -(2**63) <= value < 2**64 else None


def _go_time(match: re.Match[str]) -> str | None:
    """A yaml.v3 timestamp as the CLI stores it: Go's time.Time.String()."""
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    if fraction and fraction.rstrip("0"):
        text += "." + fraction.rstrip("0")
    if hour is not None and (match.string[match.start(4) - 1] == " ") != (zone is None):
        return None  # yaml.v3 knows "2006-1-2T15:4:5Z07:00" (zone required) and "2006-1-2 15:4:5" (no zone)
    if zone in (None, "Z"):
        return f"{text} +0000 UTC"
    offset = zone.replace(":", "")
    return f"{text} {offset} {offset}"


def resolve_plain_scalar(text: str) -> Any:
    """The value yaml.v3 gives an untagged plain scalar when decoding into `any` (resolve.go, resolve)."""
    if text in _YAML_CONSTANTS:
        return _YAML_CONSTANTS[text]
    if text[:1] == "." or text[:1] in "+-0123456789":
        timestamp = _TIMESTAMP.match(text)
        if timestamp:
            as_time = _go_time(timestamp)
            if as_time is not None:
                return as_time
        as_int = _go_int(text)
        if as_int is not None:
            return as_int
        if _GO_FLOAT.match(text.replace("_", "")) or (text[:1] == "." and _GO_FLOAT.match(text)):
            return float(text.replace("_", ""))
    return text


class _CliYamlLoader(yaml.SafeLoader):
    """PyYAML with yaml.v3's scalar resolution and its refusal of duplicate mapping keys."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return "!cli-plain"
        return super().resolve(kind, value, implicit)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    first = seen[key_node.value]
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"mapping key {key_node.value!r} already defined at line {first}",
                        key_node.start_mark,
                    )
                seen[key_node.value] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _construct_plain(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    return resolve_plain_scalar(str(loader.construct_scalar(node)))


_CliYamlLoader.add_constructor("!cli-plain", _construct_plain)


def load_cli_yaml(path: Path) -> Any:
    """A project or stack file as the CLI decodes it; syntax errors and duplicate keys as StackFileError."""
    try:
        return yaml.load(path.read_text(), Loader=_CliYamlLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path.name
        raise StackFileError([f"{where}: invalid YAML: {getattr(error, 'problem', None) or error}"]) from None


# ---------------------------------------------------------------------------------------------------------------
# How config values reach the program. A stack file's scalar becomes a string: a YAML string as written, numbers
# and booleans as Go's JSON prints them; a list or map becomes JSON text (sdk/go/common/resource/config/object.go,
# unmarshalObject and object.MarshalString). `{secure: <ciphertext>}` is a secret (object.go, isSecureValue).


def is_secure(value: Any) -> bool:
    """`{secure: "<ciphertext>"}` exactly, as object.go isSecureValue recognises it."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("secure"), str)


def any_nested(value: Any, predicate: Callable[[Any], bool]) -> bool:
    """Whether `predicate` holds for `value` or anything nested in its mappings and lists."""
    if predicate(value):
        return True
    if isinstance(value, dict):
        return any(any_nested(v, predicate) for v in value.values())
    if isinstance(value, list):
        return any(any_nested(v, predicate) for v in value)
    return False


def contains_secure(value: Any) -> bool:
    return any_nested(value, is_secure)


def _go_json_ready(value: Any, decrypt: Callable[[str], str]) -> Any:
    if is_secure(value):
        return decrypt(value["secure"])
    if isinstance(value, dict):
        return {str(k).lower() if isinstance(k, bool) else str(k): _go_json_ready(v, decrypt) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_json_ready(v, decrypt) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)  # Go's encoding/json prints a whole float64 without a fraction
    return value


def cli_config_text(value: Any, decrypt: Callable[[str], str]) -> str:
    """The string the CLI hands the program for one stack config value."""
    if is_secure(value):
        return decrypt(value["secure"])
    if isinstance(value, str):
        return value
    return json.dumps(_go_json_ready(value, decrypt), sort_keys=True, separators=(",", ":"))


# ---------------------------------------------------------------------------------------------------------------
# Pulumi.yaml's `config:` block: what it may declare (sdk/go/common/workspace/project.json, the project schema,
# and project.go, ValidateProject, RewriteShorthandConfigValues and Project.Validate) and how each declaration
# applies to a stack (pkg/workspace/config.go, ValidateStackConfigAndApplyProjectConfig -> mergeConfig and
# validateStackConfigValue). At v3.259.0 the schema's simpleConfigType allows string, integer, boolean, array and
# object, and an array must name its `items`.

CONFIG_TYPES = ("string", "integer", "boolean", "array", "object")
_DECLARATION_ATTRIBUTES = {"type", "items", "description", "secret", "default", "value"}


@dataclass(frozen=True)
class ItemsType:
    type: str
    items: ItemsType | None = None


@dataclass(frozen=True)
class ConfigDeclaration:
    key: str  # as written in Pulumi.yaml
    full_key: str  # <namespace>:<name>
    type: str | None
    items: ItemsType | None
    default: Any
    value: Any
    secret: bool

    @property
    def type_name(self) -> str:
        """InferFullTypeName: array<string>, ..."""

        def name(type_: str, items: ItemsType | None) -> str:
            return f"array<{name(items.type, items.items)}>" if items is not None else type_

        return name(self.type or "", self.items)


@dataclass(frozen=True)
class ProjectFile:
    name: str
    config: tuple[ConfigDeclaration, ...]


def _is_go_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _atoi(text: str) -> bool:
    """strconv.Atoi: an optional sign and decimal digits, within int64."""
    return bool(re.fullmatch(r"[+-]?[0-9]+", text)) and -(2**63) <= int(text) < 2**63


def config_value_matches(type_: str, items: ItemsType | None, value: Any) -> bool:
    """project.go, ValidateConfigValue."""
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "integer":
        if _is_go_int(value) or (isinstance(value, float) and value == math.trunc(value)):
            return True
        return isinstance(value, str) and _atoi(value)
    if type_ == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if type_ == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or items is None:
        return False
    return all(config_value_matches(items.type, items.items, item) for item in value)


def _items_type(raw: Any, where: str, problems: list[str]) -> ItemsType | None:
    """project.json, configItemsType: `type` required, and an array's `items` too."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or "type" not in raw:
        problems.append(f"{where}: 'items' must be an object with a 'type'")
        return None
    unknown = set(raw) - {"type", "items"}
    if unknown:
        problems.append(f"{where}: additional properties {sorted(unknown)} not allowed in 'items'")
    type_ = raw["type"]
    if type_ not in CONFIG_TYPES:
        problems.append(f"{where}: items type {type_!r} is not one of {', '.join(CONFIG_TYPES)}")
        return None
    if type_ == "array" and "items" not in raw:
        problems.append(f"{where}: an array item type must name its 'items'")
        return None
    return ItemsType(type_, _items_type(raw.get("items"), where, problems))


def _namespaced_by_project(project: str, key: str) -> bool:
    """project.go, configKeyIsNamespacedByProject."""
    return ":" not in key or key.startswith(f"{project}:")


def _config_key(project: str, key: str) -> str | None:
    """config.go, parseConfigKey + key.go, ParseKey: `name`, `ns:name` or the old `ns:config:name`."""
    if ":" not in key:
        return f"{project}:{key}"
    parts = key.split(":")
    if len(parts) == 2 and all(parts):
        return key
    if len(parts) == 3 and parts[1] == "config" and parts[0] and parts[2]:
        return f"{parts[0]}:{parts[2]}"
    return None


def _declaration(project: str, key: str, raw: Any, where: str, problems: list[str]) -> ConfigDeclaration | None:
    full_key = _config_key(project, key)
    if full_key is None:
        problems.append(f"{where}: '{key}' is not a configuration key (`<namespace>:<name>` or `<name>`)")
        return None
    if isinstance(raw, (str, list)) or _is_go_int(raw) or isinstance(raw, bool):
        # RewriteShorthandConfigValues: a bare value is a project key's default, another namespace's value.
        own = _namespaced_by_project(project, key)
        return ConfigDeclaration(key, full_key, None, None, raw if own else None, None if own else raw, False)
    if not isinstance(raw, dict):
        # project.json: each entry is a string, integer, boolean, array or a ConfigTypeDeclaration object.
        problems.append(f"{where}: must be a string, integer, boolean, array or a declaration, not {raw!r}")
        return None
    unknown = set(raw) - _DECLARATION_ATTRIBUTES
    if unknown:
        problems.append(f"{where}: additional properties {sorted(unknown)} not allowed")
    type_ = raw.get("type")
    if type_ is not None and type_ not in CONFIG_TYPES:
        problems.append(f"{where}: type {type_!r} is not one of {', '.join(CONFIG_TYPES)}")
        return None
    if not isinstance(raw.get("secret", False), bool):
        problems.append(f"{where}: 'secret' must be a boolean")
    return ConfigDeclaration(
        key=key,
        full_key=full_key,
        type=type_,
        items=_items_type(raw.get("items"), where, problems),
        default=raw.get("default"),
        value=raw.get("value"),
        secret=bool(raw.get("secret", False)),
    )


def _declaration_problems(project: str, declaration: ConfigDeclaration, where: str) -> list[str]:
    """project.go, Project.Validate."""
    if declaration.default is not None and declaration.value is not None:
        return [f"{where}: cannot have both a 'default' and 'value' attribute"]
    if _namespaced_by_project(project, declaration.key):
        if declaration.type == "array" and declaration.items is None:
            return [f"{where}: declares an array but does not specify the underlying type via the 'items' attribute"]
        typed_default = declaration.type is not None and declaration.default is not None
        if typed_default and not config_value_matches(declaration.type or "", declaration.items, declaration.default):
            return [f"{where}: the default value is not of the expected type '{declaration.type_name}'"]
        return []
    if declaration.type is not None:
        return [f"{where}: is not namespaced by the project and should not define a type"]
    if declaration.default is not None:
        return [f"{where}: is not namespaced by the project and should not define a default value ('value' instead)"]
    if declaration.value is None:
        return [f"{where}: is namespaced and must provide an attribute 'value'"]
    return []


@functools.lru_cache(maxsize=8)
def _parse_project(path: Path, text: str) -> ProjectFile:
    del text  # part of the cache key only: an edited file is parsed again
    document = load_cli_yaml(path)
    name = document.get("name") if isinstance(document, dict) else None
    if not isinstance(name, str) or not name:
        raise StackFileError([f"{path.name}: project is missing a non-empty string 'name' attribute"])
    raw_config = document.get("config") or {}
    if isinstance(raw_config, str):
        raw_config = {}  # the deprecated `config: <dir>` names the stack config directory instead
    if not isinstance(raw_config, dict):
        raise StackFileError([f"{path.name}: config: must be a map of configuration keys"])
    problems: list[str] = []
    declarations = []
    for key, raw in raw_config.items():
        where = f"{path.name}: config: {key}"
        declaration = _declaration(name, str(key), raw, where, problems)
        if declaration is not None:
            problems.extend(_declaration_problems(name, declaration, where))
            declarations.append(declaration)
    full_keys = [d.full_key for d in declarations]
    for duplicate in sorted({k for k in full_keys if full_keys.count(k) > 1}):
        problems.append(f"{path.name}: config: '{duplicate}' is declared twice (as `<name>` and `{duplicate}`)")
    if problems:
        raise StackFileError(problems)
    return ProjectFile(name, tuple(sorted(declarations, key=lambda d: d.key)))


def load_project(project_dir: Path) -> ProjectFile:
    """Pulumi.yaml as the CLI loads it (workspace/loaders.go, LoadProjectBytes), or StackFileError."""
    path = project_dir / "Pulumi.yaml"
    return _parse_project(path, path.read_text())


def namespace_stack_keys(project: str, config: Mapping[Any, Any], file_name: str) -> dict[str, Any]:
    """A stack file's `config:` with every key as `<namespace>:<name>`.

    loaders.go, stackConfigNamespacedWithProject prefixes a bare key with the project; config/map.go,
    Map.UnmarshalYAML then parses each key with ParseKey. A key written both bare and prefixed collapses into one
    Go map entry, keeping an arbitrary one of the two values; we refuse it rather than guess which.
    """
    problems: list[str] = []
    namespaced: dict[str, Any] = {}
    for raw_key, value in config.items():
        key = str(raw_key)
        full_key = _config_key(project, key)
        if full_key is None:
            problems.append(
                f"{file_name}: could not parse {key} as a configuration key "
                "(configuration keys should be of the form `<namespace>:<name>`)"
            )
        elif full_key in namespaced:
            problems.append(f"{file_name}: '{full_key}' is set twice (once without its namespace)")
        else:
            namespaced[full_key] = value
    if problems:
        raise StackFileError(problems)
    return namespaced


def _stack_content(value: Any) -> Any:
    """What validateStackConfigValue checks: a scalar's text, or a structured value decoded from its JSON."""
    text = cli_config_text(value, lambda ciphertext: ciphertext)
    if value is None or isinstance(value, (dict, list)):
        return json.loads(text)
    return text


def apply_project_config(
    stack: str, project: ProjectFile, stack_config: Mapping[str, Any], file_name: str
) -> dict[str, Any]:
    """The stack's config after the CLI applied Pulumi.yaml (config.go, mergeConfig with validate=true).

    A declared key absent from the stack takes the declaration's default (or value); a project key declared
    without either is missing, and all missing keys are reported at once. Then every typed declaration is checked
    against the stack's value: a `secret: true` key must be `secure:`, and the value must have the declared type.
    A key the project does not declare is passed through unchecked, as the CLI does.
    """
    merged = dict(stack_config)
    missing = []
    for declaration in project.config:
        if declaration.full_key in merged:
            continue
        if declaration.default is not None or declaration.value is not None:
            merged[declaration.full_key] = declaration.default if declaration.default is not None else declaration.value
        elif declaration.full_key.split(":")[0] == project.name:
            missing.append(declaration.key)
    if missing:
        plural = "values" if len(missing) > 1 else "value"
        listed = " and ".join(", ".join(f"'{k}'" for k in missing).rsplit(", ", 1))
        raise StackFileError(
            [
                f"{file_name}: Stack '{stack}' is missing configuration {plural} {listed} (Pulumi.yaml declares "
                "it without a default, so every stack must set it)"
            ]
        )
    problems = []
    for declaration in project.config:
        if declaration.type is None:
            continue
        value = merged.get(declaration.full_key, "")
        if declaration.secret and not contains_secure(value):
            problems.append(
                f"{file_name}: {declaration.full_key}: Stack '{stack}' with configuration key '{declaration.key}' "
                "must be encrypted as it's secret (declared `secret: true` in Pulumi.yaml)"
            )
        elif contains_secure(value):
            continue  # its plaintext is only known to the CLI's decrypter
        elif not config_value_matches(declaration.type, declaration.items, _stack_content(value)):
            problems.append(
                f"{file_name}: {declaration.full_key}: Stack '{stack}' with configuration key '{declaration.key}' "
                f"must be of type '{declaration.type_name}', got {value!r}"
            )
    if problems:
        raise StackFileError(problems)
    return merged


# ---------------------------------------------------------------------------------------------------------------
# 2-4. What the providers refuse, checked at every registration.


@dataclass(frozen=True)
class Violation:
    """One input a real provider would refuse."""

    resource_type: str
    resource_name: str
    path: str
    value: Any
    rule: str
    source: str

    def __str__(self) -> str:
        shown = self.value if isinstance(self.value, str) else json.dumps(self.value, default=str)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return f"{self.resource_type} '{self.resource_name}': {self.path} = {shown}: {self.rule} [{self.source}]"


SECRET_SHOWN = "[secret]"
_ABSENT = object()


def _unwrap(value: Any) -> tuple[Any, bool]:
    """An engine property value without its secret wrappers (and whether there was one)."""
    if isinstance(value, dict):
        if value.get(_special_sig_key) == _special_secret_sig:
            return _unwrap(value.get("value"))[0], True
        pairs = {k: _unwrap(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        items = [_unwrap(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def _wholly_known(value: Any) -> bool:
    """terraform-plugin-sdk helper/schema/schema.go, isWhollyKnown: unknown values are not validated yet."""
    return not any_nested(value, lambda v: isinstance(v, Unknown))


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


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def pulumi_field_name(tf_name: str, raw: Mapping[str, Any]) -> str:
    """The bridge's name for a Terraform field (pulumi-terraform-bridge, TerraformToPulumiNameV2): camelCase, and a
    list or set that is not MaxItems=1 takes a plural name (`rule` -> `rules`; `users` stays)."""
    name = _camel(tf_name)
    if raw["Type"] in ("TypeList", "TypeSet") and raw.get("MaxItems") != 1 and not name.endswith("s"):
        name += "s"
    return name


def pulumi_resource_token(tf_name: str) -> str:
    """pulumi-minio provider/resources.go: tokens.SingleModule("minio_", "index", tokens.MakeStandard("minio"))."""
    camel = _camel(tf_name.removeprefix("minio_"))
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
    "TypeInt": lambda v: _is_go_int(v) or (isinstance(v, float) and v.is_integer()),
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


@dataclass(frozen=True)
class _Problem:
    path: str
    value: Any
    rule: str
    source: str


def _check_block(
    resource: TfResource, fields: Mapping[str, TfField], values: Mapping[str, Any], prefix: str
) -> Iterator[_Problem]:
    """terraform-plugin-sdk schemaMap.validate/validateObject for one object of inputs."""
    top = not prefix
    schema_source = f"{TF_MINIO} {resource.source}"
    for name in values:
        if name not in fields and not (top and resource.tf_name == "provider" and name == "version"):
            yield _Problem(prefix + name, values[name], "no such argument", f"{TF_SDK} validateObject: {schema_source}")
    for name, spec in fields.items():
        path = prefix + name
        value = values.get(name, _ABSENT)
        if value is _ABSENT or value is None:
            # pulumi-minio provider/resources.go SetAutonaming: a required top-level `name` is generated.
            if spec.required and not (top and name == "name" and resource.tf_name != "provider"):
                yield _Problem(path, None, "required argument missing", f"{TF_SDK} validate: {schema_source}")
            continue
        if not (spec.required or spec.optional):
            yield _Problem(
                path, value, "computed-only: this field cannot be set", f"{TF_SDK} validate: {schema_source}"
            )
            continue
        if not _wholly_known(value):
            continue
        if resource.tf_name == "provider":
            value = _provider_value(spec, value)
        for other in spec.conflicts_with:
            other_name = next(n for n, s in fields.items() if s.tf_name == other)
            if values.get(other_name) is not None:
                yield _Problem(path, value, f"conflicts with {other_name}", f"{TF_SDK} validateConflictingAttributes")
        yield from _check_value(resource, spec, value, path)


def _check_value(resource: TfResource, spec: TfField, value: Any, path: str) -> Iterator[_Problem]:
    schema_source = f"{TF_MINIO} {resource.source}"
    if spec.flattened and spec.block is not None:
        if not isinstance(value, dict):
            yield _Problem(path, value, "must be an object", schema_source)
            return
        yield from _check_block(resource, spec.block, value, f"{path}.")
        return
    if not _TYPE_CHECKS[spec.type](value):
        yield _Problem(path, value, f"must be a {spec.type.removeprefix('Type').lower()}", schema_source)
        return
    if spec.max_items and len(value) > spec.max_items:
        yield _Problem(path, value, f"at most {spec.max_items} items", f"{TF_SDK} validateList")
    if spec.type in ("TypeList", "TypeSet"):
        for index, item in enumerate(value):
            if spec.block is not None:
                if not isinstance(item, dict):
                    yield _Problem(f"{path}[{index}]", item, "must be an object", schema_source)
                else:
                    yield from _check_block(resource, spec.block, item, f"{path}[{index}].")
            elif spec.element and not _TYPE_CHECKS[spec.element](item):
                yield _Problem(f"{path}[{index}]", item, f"items must be {spec.element}", schema_source)
    if spec.type == "TypeMap":
        for key, item in value.items():
            if not _TYPE_CHECKS[spec.element or "TypeString"](item):
                yield _Problem(f"{path}.{key}", item, "map values must be strings", schema_source)
    for check in (spec.validate, spec.create):
        if check:
            validator, source = _VALIDATORS[check[0]]
            problem = validator(value, *check[1:])
            if problem:
                yield _Problem(path, value, problem, source if check is spec.create else f"{source}: {schema_source}")


def _check_minio(type_token: str, inputs: Mapping[str, Any]) -> Iterator[_Problem]:
    resource = minio_schema().get(type_token)
    if resource is None:
        yield _Problem(
            "(type)",
            type_token,
            "not in the vendored provider schema: read its resource file at v1.20.1 and add it",
            "tools/schemas/tf-minio-v1.20.1.json",
        )
        return
    yield from _check_block(resource, resource.fields, inputs, "")


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


def _with_sentinels(value: Any) -> Any:
    if isinstance(value, Unknown):
        return _UNKNOWN_SENTINEL
    if isinstance(value, dict):
        return {k: _with_sentinels(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_sentinels(v) for v in value]
    return value


def _schema_problems(validator: Any, document: Mapping[str, Any]) -> list[tuple[str, Any, str]]:
    """(path, value, message) for each schema error of the document; values unknown at preview are skipped."""
    problems = []
    for error in validator.iter_errors(_with_sentinels(document)):
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
    return _schema_problems(validator, document)


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
    return _schema_problems(validator, document)


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


def _deployment_strategy_problems(values: Mapping[str, Any]) -> Iterator[_Problem]:
    update = values.get("deploymentUpdate")
    kind = update.get("type", "RollingUpdate") if isinstance(update, Mapping) else "RollingUpdate"
    if kind not in DEPLOYMENT_STRATEGY_TYPES:
        yield _Problem(
            "values.deploymentUpdate.type",
            kind,
            "one of " + ", ".join(DEPLOYMENT_STRATEGY_TYPES) + " (the Deployment's spec.strategy.type)",
            f"{CHART_SOURCE}; {KUBERNETES_SOURCE}",
        )


def _check_helm_release(inputs: Mapping[str, Any]) -> Iterator[_Problem]:
    chart, version = inputs.get("chart"), inputs.get("version")
    if (chart, version) != ("minio", "5.4.0"):
        yield _Problem(
            "chart", f"{chart} {version}", "no values key list for this chart version: extract one", CHART_SOURCE
        )
        return
    values = inputs.get("values") or {}
    if not _wholly_known(values):
        values = {k: v for k, v in values.items() if _wholly_known(v)}
    for path in unknown_chart_values(values):
        yield _Problem(f"values.{path}", None, "the chart has no such value", CHART_SOURCE)
    yield from _deployment_strategy_problems(values)
    for path, value, message in kubernetes_problems(chart_pod(values)):
        yield _Problem(f"values (pod {path})", value, message, KUBERNETES_SOURCE)


# --- Dispatch -------------------------------------------------------------------------------------------------------


def check_registration(type_token: str, name: str, inputs: Mapping[str, Any]) -> list[Violation]:
    """Everything a real provider would refuse in one resource's inputs (engine wire values: secrets wrapped,
    Unknown during preview)."""
    if type_token.startswith("minio:") or type_token == tokens.MINIO_PROVIDER:
        checks: Iterator[_Problem] = _check_minio(type_token, _unwrap(dict(inputs))[0])
    elif type_token == tokens.HELM_RELEASE:
        checks = _check_helm_release(_unwrap(dict(inputs))[0])
    elif type_token.startswith("kubernetes:monitoring.coreos.com/"):
        manifest = kubernetes_manifest(type_token, _unwrap(dict(inputs))[0])
        checks = (_Problem(p, v, m, CRD_SOURCE) for p, v, m in custom_resource_problems(manifest) or [])
    elif type_token.startswith("kubernetes:"):
        manifest = kubernetes_manifest(type_token, _unwrap(dict(inputs))[0])
        checks = (_Problem(p, v, m, KUBERNETES_SOURCE) for p, v, m in kubernetes_problems(manifest))
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
        if _unwrap(value)[1]:
            if isinstance(value, dict) and value.get(_special_sig_key) != _special_secret_sig:
                paths.extend(_secret_paths(value, f"{path}."))
            else:
                paths.append(path)
    return paths
