"""What the provider rules (2-4) report: one `Violation` per refused input, and the value helpers they share."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tools import sdk_private
from tools.fidelity.cli import any_nested


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
ABSENT = object()


def unwrap(value: Any) -> tuple[Any, bool]:
    """An engine property value without its secret wrappers (and whether there was one)."""
    if isinstance(value, dict):
        if value.get(sdk_private.SIG_KEY) == sdk_private.SECRET_SIG:
            return unwrap(value.get("value"))[0], True
        pairs = {k: unwrap(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(s for _, s in pairs.values())
    if isinstance(value, list):
        items = [unwrap(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def wholly_known(value: Any) -> bool:
    """terraform-plugin-sdk helper/schema/schema.go, isWhollyKnown: unknown values are not validated yet."""
    return not any_nested(value, lambda v: isinstance(v, sdk_private.Unknown))


@dataclass(frozen=True)
class Problem:
    """A refused input before it is attributed to a resource."""

    path: str
    value: Any
    rule: str
    source: str
