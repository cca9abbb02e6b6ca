"""The diff of two inventories (`tools.engine.Inventory`): resources added, removed, changed and replaced, secret
keys changed (by the runner's keyed digests), policy documents and tenant access. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from components.catalog import SERVICE_IDS
from tools.change_risks import Assessment, assess
from tools.engine import (
    Inventory,
    ResourceRecord,
)
from tools.risks.model import Risk, tenant_of
from tools.value_diff import ABSENT, Change, cell, code, diff_values, join_key_path, list_delta, parse_embedded_json

ALL_TENANTS = "(all tenants)"


# Policy-bearing resources are named "<tenant>-<service>-access-key" and "<service>-parent-policy".
POLICY_NAME_SUFFIXES = ("-access-key", "-parent-policy")


@dataclass(frozen=True)
class SecretChange:
    """A key of a masked value (a Secret's stringData) whose value was added, removed or changed.

    `masked`: a secret key (components/catalog.py `is_secret_key`), whose sides are the runner's keyed digests;
    otherwise the sides are the values in clear (a catalog file's credential properties masked)."""

    path: str
    status: str  # "added", "removed" or "changed"
    before: Any = ABSENT
    after: Any = ABSENT
    masked: bool = True


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    type: str
    name: str
    inputs: tuple[Change, ...]
    options: tuple[Change, ...]
    secrets: tuple[SecretChange, ...] = ()
    replaced: bool = False  # the provider deletes and creates it (tools.change_risks.replacement_paths)


@dataclass(frozen=True)
class PolicyChange:
    """What one access policy now allows differently, by statement."""

    tenant: str
    service: str
    summary: str


@dataclass(frozen=True)
class TenantDiff:
    added: Mapping[str, Any] = field(default_factory=dict)  # tenant id -> its `tenants` output
    removed: Mapping[str, Any] = field(default_factory=dict)
    changed: Mapping[str, tuple[Change, ...]] = field(default_factory=dict)
    policies: tuple[PolicyChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.policies)


@dataclass(frozen=True)
class PlanDiff:
    base_resources: int
    head_resources: int
    added: tuple[ResourceRecord, ...]
    removed: tuple[ResourceRecord, ...]
    changed: tuple[ResourceChange, ...]
    erasure: tuple[Change, ...]
    tenants: TenantDiff
    other_outputs: tuple[Change, ...]
    risks: tuple[Risk, ...] = ()
    # URN of each resource added or removed -> the name of its outermost component (a tenant id, `minio`, ...).
    owners: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.erasure or self.tenants or self.other_outputs)

    @property
    def refused(self) -> tuple[Risk, ...]:
        return tuple(r for r in self.risks if r.refused)

    @property
    def replaced(self) -> tuple[ResourceChange, ...]:
        return tuple(c for c in self.changed if c.replaced)


def _resource_options(record: ResourceRecord) -> dict[str, Any]:
    # A component can change its parent without changing the URN (which holds only the parent's type).
    return {**record.options, "parent": record.parent}


def _property_changes(path: str, before: Any, after: Any) -> list[SecretChange]:
    """A catalog file shown per property: `name=value` lines that differ (credential properties are masked)."""

    def properties(text: Any) -> dict[str, str]:
        pairs = (line.partition("=") for line in (text if isinstance(text, str) else "").splitlines())
        return {name: value for name, sep, value in pairs if sep}

    old, new = properties(before), properties(after)
    return [
        SecretChange(
            f"{path} {name}",
            "added" if name not in old else "removed" if name not in new else "changed",
            old.get(name, ABSENT),
            new.get(name, ABSENT),
            masked=False,
        )
        for name in sorted(old.keys() | new.keys(), key=lambda n: [*old, *new].index(n))
        if old.get(name) != new.get(name)
    ]


def diff_secret_digests(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    clear_before: Mapping[str, Mapping[str, str]] | None = None,
    clear_after: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[SecretChange, ...]:
    """Keys of masked values that differ, from the runner's digests (tools.engine `secretDigests`); a key that is
    no secret (tools.engine `clearValues`) with its values in clear, a secret one with its digests.

    A path that only one side recorded is no change: the other side's inputs show it (added or removed)."""
    changes: list[SecretChange] = []
    for path in sorted(before.keys() & after.keys()):
        old, new = before[path], after[path]
        if isinstance(old, dict) and isinstance(new, dict):
            shown_old, shown_new = (clear_before or {}).get(path, {}), (clear_after or {}).get(path, {})
            for key in sorted(old.keys() | new.keys()):
                if old.get(key) == new.get(key):
                    continue
                status = "added" if key not in old else "removed" if key not in new else "changed"
                key_path = join_key_path(path, key)
                if key in shown_old or key in shown_new:
                    was, now = shown_old.get(key, ABSENT), shown_new.get(key, ABSENT)
                    if key.endswith(".properties"):
                        changes += _property_changes(key_path, was, now) or [SecretChange(key_path, status)]
                    else:
                        changes.append(SecretChange(key_path, status, was, now, masked=False))
                else:
                    changes.append(SecretChange(key_path, status, old.get(key, ABSENT), new.get(key, ABSENT)))
        elif old != new:
            changes.append(SecretChange(path, "changed", old, new))
    return tuple(changes)


def _resource_change(before: ResourceRecord, after: ResourceRecord, replaced: bool) -> ResourceChange | None:
    inputs = tuple(diff_values(before.inputs, after.inputs))
    options = tuple(diff_values(_resource_options(before), _resource_options(after)))
    secrets = diff_secret_digests(before.secretDigests, after.secretDigests, before.clearValues, after.clearValues)
    if not (inputs or options or secrets):
        return None
    return ResourceChange(after.urn, after.type, after.name, inputs, options, secrets, replaced)


def _policy_documents(inventory: Inventory) -> dict[str, dict[str, Any]]:
    """URN -> IAM document of every resource with a `policy` input (access keys, parent policies)."""
    documents = {}
    for record in inventory:
        document = parse_embedded_json(record.inputs.get("policy"))
        if isinstance(document, dict) and "Statement" in document:
            documents[record.urn] = document
    return documents


_KEY_GENERATION = re.compile(r"-g([0-9]+)$")  # components/model/rotation.py access_key_resource_name


def _policy_owner(record: ResourceRecord) -> tuple[str, str]:
    """(tenant, service) of a service's access-key policy or of its all-tenants parent policy, in the stack file's
    words: the catalog's service id (a rotated key says its generation), never the resource name."""
    tenant = tenant_of(record) or ALL_TENANTS
    rest = record.name.removeprefix(f"{tenant}-")
    generation = _KEY_GENERATION.search(rest)
    base = rest[: generation.start()] if generation else rest
    for suffix in POLICY_NAME_SUFFIXES:
        base = base.removesuffix(suffix)
    service = base if base in SERVICE_IDS else rest  # anything else keeps its name rather than guess
    return (
        tenant,
        f"{service} (key generation {generation.group(1)})" if generation and base in SERVICE_IDS else service,
    )


def _statements(document: Mapping[str, Any]) -> dict[str, Any]:
    statements = document.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    return {str(s.get("Sid") or f"#{i}"): s for i, s in enumerate(statements)}


def _without_statements(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "Statement"}


def _describe_change(change: Change) -> str:
    if isinstance(change.before, list) and isinstance(change.after, list):
        removed, added = list_delta(change.before, change.after)
        parts = [f"+{code(v)}" for v in added] + [f"-{code(v)}" for v in removed]
        return f"{change.path} {' '.join(parts) or 'reordered'}"
    return f"{change.path}: {cell(change.before)} -> {cell(change.after)}"


def summarise_policy_change(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """One line per policy: statements added, removed and changed (with what changed in them)."""
    if before is None or after is None:
        verb, document = ("new", after) if before is None else ("removed", before)
        return f"{verb}: {', '.join(map(code, _statements(document or {})))}"
    old, new = _statements(before), _statements(after)
    parts = [f"+ statement {code(sid)}" for sid in new if sid not in old]
    parts += [f"- statement {code(sid)}" for sid in old if sid not in new]
    for sid in (sid for sid in new if sid in old):
        parts += [f"~ {code(sid)} {_describe_change(c)}" for c in diff_values(old[sid], new[sid])]
    parts += [_describe_change(c) for c in diff_values(_without_statements(before), _without_statements(after))]
    return "; ".join(parts)


def diff_policies(base: Inventory, head: Inventory, skip_tenants: Iterable[str] = ()) -> tuple[PolicyChange, ...]:
    """Access-policy changes per tenant and service; tenants added or removed as a whole are left out."""
    before, after = _policy_documents(base), _policy_documents(head)
    records = {**base.by_urn(), **head.by_urn()}
    skipped = set(skip_tenants)
    changes = []
    for urn in sorted(before.keys() | after.keys()):
        tenant, service = _policy_owner(records[urn])
        old, new = before.get(urn), after.get(urn)
        if tenant not in skipped and old != new:
            changes.append(PolicyChange(tenant, service, summarise_policy_change(old, new)))
    return tuple(changes)


def diff_tenants(base: Inventory, head: Inventory) -> TenantDiff:
    before: dict[str, Any] = base.outputs.get("tenants") or {}
    after: dict[str, Any] = head.outputs.get("tenants") or {}
    added = {tid: after[tid] for tid in sorted(after.keys() - before.keys())}
    removed = {tid: before[tid] for tid in sorted(before.keys() - after.keys())}
    changed = {
        tid: tuple(diff_values(before[tid], after[tid]))
        for tid in sorted(before.keys() & after.keys())
        if before[tid] != after[tid]
    }
    return TenantDiff(added, removed, changed, diff_policies(base, head, skip_tenants=[*added, *removed]))


def _other_outputs(inventory: Inventory) -> dict[str, Any]:
    return {k: v for k, v in inventory.outputs.items() if k not in ("erasure", "tenants")}


def _owners(inventory: Inventory) -> dict[str, str]:
    by_urn = inventory.by_urn()

    def outermost(record: ResourceRecord) -> str:
        while record.parent in by_urn:
            record = by_urn[record.parent]
        return record.name

    return {urn: outermost(record) for urn, record in by_urn.items()}


def diff_inventories(base: Inventory, head: Inventory) -> PlanDiff:
    """Resources added / removed / changed (keyed by URN), erasure figures, tenant access and other outputs."""
    old, new = base.by_urn(), head.by_urn()
    assessment: Assessment = assess(base, head)
    changes = (
        _resource_change(old[urn], new[urn], urn in assessment.replaced) for urn in sorted(old.keys() & new.keys())
    )
    return PlanDiff(
        base_resources=len(old),
        head_resources=len(new),
        added=tuple(new[urn] for urn in sorted(new.keys() - old.keys())),
        removed=tuple(old[urn] for urn in sorted(old.keys() - new.keys())),
        changed=tuple(change for change in changes if change is not None),
        erasure=tuple(diff_values(base.outputs.get("erasure", {}), head.outputs.get("erasure", {}))),
        tenants=diff_tenants(base, head),
        other_outputs=tuple(diff_values(_other_outputs(base), _other_outputs(head))),
        risks=assessment.risks,
        owners={**_owners(base), **_owners(head)},
    )
