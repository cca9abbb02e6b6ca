"""Rule 1 of the runner: project and stack files as the Pulumi CLI reads them (pulumi/pulumi v3.259.0).

YAML as gopkg.in/yaml.v3 decodes it, config values as the CLI hands them to the program, and `Pulumi.yaml`'s
`config:` declarations validated and applied to each stack. Violations raise `StackFileError` before the program
runs.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


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


def is_go_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _atoi(text: str) -> bool:
    """strconv.Atoi: an optional sign and decimal digits, within int64."""
    return bool(re.fullmatch(r"[+-]?[0-9]+", text)) and -(2**63) <= int(text) < 2**63


def config_value_matches(type_: str, items: ItemsType | None, value: Any) -> bool:
    """project.go, ValidateConfigValue."""
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "integer":
        if is_go_int(value) or (isinstance(value, float) and value == math.trunc(value)):
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
    if isinstance(raw, (str, list)) or is_go_int(raw) or isinstance(raw, bool):
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
