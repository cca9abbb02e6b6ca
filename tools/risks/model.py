"""What a risk is: a `Rule` (id, title, the severities it may have) and the `Risk` it reports, and the snapshots
they judge (anything with `resources` and `outputs`, such as `tools.engine.Inventory`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from components import tokens

Severity = Literal["refused", "warning", "notice"]


SEVERITIES: tuple[Severity, ...] = ("refused", "warning", "notice")


class Record(Protocol):
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def urn(self) -> str: ...
    @property
    def parent(self) -> str: ...
    @property
    def inputs(self) -> Mapping[str, Any]: ...
    @property
    def options(self) -> Mapping[str, Any]: ...
    @property
    def secretDigests(self) -> Mapping[str, Any]: ...  # path of a masked value -> its digest(s), tools.engine
    @property
    def custom(self) -> bool: ...  # a resource of a provider; False for a component
    @property
    def outputs(self) -> Mapping[str, Any]: ...  # a component's registered outputs, a resource's state


class Snapshot(Protocol):
    @property
    def resources(self) -> Sequence[Record]: ...
    @property
    def outputs(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Risk:
    """One thing a reviewer must see before the change is applied."""

    rule: str  # stable id, e.g. "object-locking"; the renderer groups by it
    severity: Severity
    subject: str  # a resource name or a tenant id
    what: str  # what applying the change would do
    instead: str = ""  # for a refused change: the procedure that works

    @property
    def refused(self) -> bool:
        return self.severity == "refused"


@dataclass(frozen=True)
class Rule:
    """A plan-diff rule: its stable id, the heading the Risks section gives it, and the severities it reports."""

    id: str
    title: str
    severities: tuple[Severity, ...]

    def risk(self, severity: Severity, subject: str, what: str, instead: str = "") -> Risk:
        if severity not in self.severities:
            raise ValueError(f"rule {self.id} reports only {', '.join(self.severities)}, not {severity}")
        return Risk(self.id, severity, subject, what, instead)


def get_path(mapping: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(mapping, Mapping) or part not in mapping:
            return None
        mapping = mapping[part]
    return mapping


def urn_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else ""


def urn_name(urn: str) -> str:
    return urn.split("::")[-1]


def tenant_of(record: Record) -> str | None:
    """The tenant whose component declares this resource directly, if any."""
    return urn_name(record.parent) if urn_type(record.parent) == tokens.TENANT else None


def kind_of(type_token: str) -> str:
    return type_token.rsplit(":", 1)[-1]


def provider_urn(reference: str | None) -> str:
    return str(reference or "").rsplit("::", 1)[0]  # a provider reference is "<urn>::<id>"


# Emitted by several concerns (a layout, a bucket or a tenant change that leaves data where it is).
DATA_STAYS = Rule("data-stays", "Data that will not move", ("notice",))
