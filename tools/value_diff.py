"""A structural diff of two JSON-like values: changed paths, lists of objects matched by an identity field
(Sid, name, key, id), embedded JSON documents (policies) compared as documents. Pure."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

# Lists of objects carrying one of these unique fields are matched by it rather than by position.
IDENTITY_FIELDS = ("Sid", "name", "key", "id")


class _Absent:
    """A property or element that one side does not have."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Change:
    """One leaf that differs; `path` is dotted (`values.environment.X`, `policy.Statement[Sid=Read].Action`)."""

    path: str
    before: Any = ABSENT
    after: Any = ABSENT


def join_key_path(path: str, key: str) -> str:
    if not _PLAIN_KEY.match(key):
        return f"{path}[{json.dumps(key)}]"
    return f"{path}.{key}" if path else key


def parse_embedded_json(value: Any) -> Any:
    """JSON documents held in strings (IAM policies) are compared as the structures they encode."""
    if isinstance(value, str) and value.startswith(("{", "[")):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        if isinstance(parsed, (dict, list)):
            return parsed
    return value


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _identity_field(*lists: list[Any]) -> str | None:
    items = [item for values in lists for item in values]
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for name in IDENTITY_FIELDS:
        if all(name in item for item in items) and all(len({i[name] for i in v}) == len(v) for v in lists):
            return name
    return None


def _diff_mappings(
    before: Mapping[Any, Any], after: Mapping[Any, Any], path: str, child_path: Callable[[str, Any], str]
) -> list[Change]:
    keys = sorted(set(before) | set(after), key=str)
    return [
        change
        for key in keys
        for change in diff_values(before.get(key, ABSENT), after.get(key, ABSENT), child_path(path, key))
    ]


def _diff_lists(before: list[Any], after: list[Any], path: str) -> list[Change]:
    if all(_is_scalar(v) for v in (*before, *after)):
        return [Change(path, before, after)]  # rendered as elements added / removed
    identity = _identity_field(before, after)
    if identity is not None:
        return _diff_mappings(
            {item[identity]: item for item in before},
            {item[identity]: item for item in after},
            path,
            lambda p, k: f"{p}[{identity}={k}]",
        )
    return _diff_mappings(dict(enumerate(before)), dict(enumerate(after)), path, lambda p, i: f"{p}[{i}]")


def diff_values(before: Any, after: Any, path: str = "") -> list[Change]:
    """Leaf-level differences between two JSON-like values (ABSENT for a missing side)."""
    before, after = parse_embedded_json(before), parse_embedded_json(after)
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        return _diff_mappings(before, after, path, join_key_path)
    if isinstance(before, list) and isinstance(after, list):
        return _diff_lists(before, after, path)
    return [Change(path, before, after)]


def list_delta(before: list[Any], after: list[Any]) -> tuple[list[Any], list[Any]]:
    """(removed, added) elements of a list of scalars."""
    return [v for v in before if v not in after], [v for v in after if v not in before]


# How a value is shown in one Markdown table cell.
MAX_CELL_CHARS = 160


def shorten_urns(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("urn:pulumi:"):
        return "::".join(value.split("::")[3:])  # the name (and a provider reference's id)
    if isinstance(value, dict):
        return {k: shorten_urns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shorten_urns(v) for v in value]
    return value


def code(value: Any) -> str:
    value = shorten_urns(value)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 3] + "..."
    return "`" + text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


def cell(value: Any) -> str:
    return "*(absent)*" if value is ABSENT else code(value)
