"""Desired-state diff of a stack between a git ref and the working tree, as Markdown for a sticky PR comment.

    python -m tools.plan_diff --base origin/main --stack prod [--output plan-diff.md] [--full-output all.md]

Both sides run the real program under the mock engine (tools.engine), so the diff shows what the program *declares*
differently; what `pulumi preview` would do against the live state is the preview job's comment. Each side runs in
its own interpreter: the `components` packages of two trees must never meet in one `sys.modules`.

The comment leads with risk: the counts (added, removed, changed in place, replaced), then the Risks section from
`tools.change_risks` (refused changes first, each with the procedure that works), erasure and capacity, tenant
access, and last the per-resource details, which are dropped whole from the bottom when the comment would exceed
GitHub's limit (`--full-output` keeps them all). Secret values are never shown: changes inside a masked value are
found by the runner's keyed digests and shown per key.

Exit status: 0; 2 when this branch's program fails or for a usage or git problem; 3 (EXIT_REFUSED) when the
change holds a refused change. The diff (`diff_inventories`) and its rendering (`render_report`) are pure functions
of two `Inventory` objects; git and the child processes are confined to the bottom of this module.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import secrets
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from components.catalog import SERVICE_IDS
from components.model.quantity import format_bytes
from tools.change_risks import RULE_TITLES, Assessment, assess
from tools.cli import USAGE_ERROR, reports_errors
from tools.engine import (
    PROJECT_DIR,
    SECRET_DIGEST_KEY_ENV,
    Inventory,
    ResourceRecord,
    available_stacks,
    run_stack,
)
from tools.risks.model import Risk, Severity, tenant_of, urn_name

ALL_TENANTS = "(all tenants)"
# Policy-bearing resources are named "<tenant>-<service>-access-key" and "<service>-parent-policy".
POLICY_NAME_SUFFIXES = ("-access-key", "-parent-policy")
# Lists of objects carrying one of these unique fields are matched by it rather than by position.
IDENTITY_FIELDS = ("Sid", "name", "key", "id")
# GitHub refuses comments over 65,536 characters.
MAX_COMMENT_CHARS = 65_536
# A refused change (tools.change_risks) makes the CLI exit with this status; 1 is this branch's program failing and
# 2 a usage or git problem.
EXIT_REFUSED = 3
# Names listed per risk before "and N more".
MAX_RISK_SUBJECTS = 25
MAX_CELL_CHARS = 160
COLLAPSE_ABOVE_ROWS = 15
PROGRAM_TIMEOUT_SECONDS = 600
ERROR_TAIL_LINES = 30


# --- Comparing values ------------------------------------------------------------------------------------------------


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


def _key_path(path: str, key: str) -> str:
    if not _PLAIN_KEY.match(key):
        return f"{path}[{json.dumps(key)}]"
    return f"{path}.{key}" if path else key


def _parse_embedded_json(value: Any) -> Any:
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
    before, after = _parse_embedded_json(before), _parse_embedded_json(after)
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        return _diff_mappings(before, after, path, _key_path)
    if isinstance(before, list) and isinstance(after, list):
        return _diff_lists(before, after, path)
    return [Change(path, before, after)]


def list_delta(before: list[Any], after: list[Any]) -> tuple[list[Any], list[Any]]:
    """(removed, added) elements of a list of scalars."""
    return [v for v in before if v not in after], [v for v in after if v not in before]


# --- The diff of two inventories -------------------------------------------------------------------------------------


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
                key_path = _key_path(path, key)
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
        document = _parse_embedded_json(record.inputs.get("policy"))
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
        parts = [f"+{_code(v)}" for v in added] + [f"-{_code(v)}" for v in removed]
        return f"{change.path} {' '.join(parts) or 'reordered'}"
    return f"{change.path}: {_cell(change.before)} -> {_cell(change.after)}"


def summarise_policy_change(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """One line per policy: statements added, removed and changed (with what changed in them)."""
    if before is None or after is None:
        verb, document = ("new", after) if before is None else ("removed", before)
        return f"{verb}: {', '.join(map(_code, _statements(document or {})))}"
    old, new = _statements(before), _statements(after)
    parts = [f"+ statement {_code(sid)}" for sid in new if sid not in old]
    parts += [f"- statement {_code(sid)}" for sid in old if sid not in new]
    for sid in (sid for sid in new if sid in old):
        parts += [f"~ {_code(sid)} {_describe_change(c)}" for c in diff_values(old[sid], new[sid])]
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


# --- Markdown --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    stack: str
    base_label: str  # e.g. "`origin/main` (1a2b3c4)"
    head_label: str = "this branch"


@dataclass(frozen=True)
class MissingStack:
    """The base has no Pulumi.<stack>.yaml: the stack is new there."""


@dataclass(frozen=True)
class ProgramFailed:
    error: str


Side = Inventory | MissingStack | ProgramFailed


@dataclass(frozen=True)
class Report:
    markdown: str  # fitted to GitHub's comment limit
    ok: bool  # False when this branch's own program fails
    full: str = ""  # every detail, for the job summary and the artifact
    refused: int = 0  # refused changes (tools.change_risks): the CLI exits with EXIT_REFUSED

    @property
    def exit_status(self) -> int:
        return USAGE_ERROR if not self.ok else EXIT_REFUSED if self.refused else 0


def _shorten_urns(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("urn:pulumi:"):
        return "::".join(value.split("::")[3:])  # the name (and a provider reference's id)
    if isinstance(value, dict):
        return {k: _shorten_urns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten_urns(v) for v in value]
    return value


def _code(value: Any) -> str:
    value = _shorten_urns(value)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 3] + "..."
    return "`" + text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


def _cell(value: Any) -> str:
    return "*(absent)*" if value is ABSENT else _code(value)


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _collapsible(summary: str, lines: list[str], rows: int) -> list[str]:
    if rows <= COLLAPSE_ABOVE_ROWS:
        return lines
    return [f"<details><summary>{summary}</summary>", "", *lines, "", "</details>"]


def _is_byte_count(path: str, value: Any) -> bool:
    leaf = path.rsplit(".", 1)[-1]
    return isinstance(value, int) and not isinstance(value, bool) and (leaf == "quota" or leaf.endswith("Bytes"))


def _human(path: str, value: Any) -> str:
    """A cell in human units: byte counts (bucket quotas, capacities) in KiB..PiB, ratios in percent."""
    if _is_byte_count(path, value):
        return _code(format_bytes(value))
    if path.endswith("Ratio") and isinstance(value, float):
        return _code(f"{value:.0%}".replace("%", " %"))
    return _cell(value)


def _change_cells(change: Change) -> tuple[str, str]:
    if isinstance(change.before, list) and isinstance(change.after, list):
        removed, added = list_delta(change.before, change.after)
        if not (removed or added):
            return "*(order)*", "*(reordered)*"
        return (
            "removed " + ", ".join(map(_code, removed)) if removed else "",
            "added " + ", ".join(map(_code, added)) if added else "",
        )
    return _human(change.path, change.before), _human(change.path, change.after)


def _resource_blocks(verb: str, records: tuple[ResourceRecord, ...], owners: Mapping[str, str]) -> list[list[str]]:
    """Added or removed resources, one block per top-level component, so that blocks can be dropped whole."""
    groups: dict[str, list[ResourceRecord]] = {}
    for record in records:
        groups.setdefault(owners.get(record.urn, record.name), []).append(record)
    blocks = []
    for owner, members in groups.items():
        rows = [(_code(r.name), _code(r.type), _code(urn_name(r.parent) or "-")) for r in members]
        table = _table(("Name", "Type", "Parent"), rows)
        title = f"#### {verb}: {_code(owner)} ({len(members)})"
        blocks.append([title, "", *_collapsible(f"{len(members)} resources", table, len(rows)), ""])
    return blocks


def _secret_cells(change: SecretChange) -> tuple[str, str]:
    """A secret key's sides as digests (keyed per diff, so they say only whether it changed), others in clear."""
    if not change.masked:
        return _cell(change.before), _cell(change.after)

    def side(digest: Any) -> str:
        return "*(absent)*" if digest is ABSENT else f"*secret* {_code(f'digest {digest}')}"

    return side(change.before), side(change.after)


def _changed_block(change: ResourceChange) -> list[str]:
    rows = [(_code(c.path), *_change_cells(c)) for c in change.inputs]
    rows += [(_code(c.path), *_secret_cells(c)) for c in change.secrets]
    rows += [(f"{_code(c.path)} *(option)*", *_change_cells(c)) for c in change.options]
    verb = "replaced" if change.replaced else "changed"
    title = f"#### {_code(change.name)} {_code(change.type)} ({verb})"
    return [title, "", *_table(("Property", "Before", "After"), rows), ""]


def _section_erasure(changes: tuple[Change, ...]) -> list[str]:
    if not changes:
        return []
    rows = [(_code(c.path), _human(c.path, c.before), _human(c.path, c.after)) for c in changes]
    lines = ["### Erasure coding and capacity", "", *_table(("Figure", "Before", "After"), rows), ""]
    if any(c.path == "survivesServerLoss" and c.after is False for c in changes):
        lines += ["> **Warning:** with this layout the cluster no longer survives the loss of a whole server.", ""]
    return lines


SEVERITY_LABELS: Mapping[Severity, str] = {"refused": "Refused", "warning": "Warning", "notice": "Notice"}


def _subjects(names: list[str]) -> str:
    shown = ", ".join(map(_code, names[:MAX_RISK_SUBJECTS]))
    hidden = len(names) - MAX_RISK_SUBJECTS
    return f"{shown} and {hidden} more" if hidden > 0 else shown


def _section_risks(risks: tuple[Risk, ...]) -> list[str]:
    """Risks by rule (refused first); risks of one rule that say the same thing share one line."""
    lines = ["### Risks", ""]
    if not risks:
        return [*lines, "None found: no replacement, protected deletion, refused change or rotated key.", ""]
    refused = [r for r in risks if r.refused]
    if refused:
        one = len(refused) == 1
        lines += [
            f"**{len(refused)} refused change{'' if one else 's'}**, which the existing deployment cannot take: this "
            f"diff fails (exit status {EXIT_REFUSED}) until {'it is' if one else 'they are'} gone. Each says what "
            "works instead.",
            "",
        ]
    for rule, title in RULE_TITLES.items():
        of_rule = [r for r in risks if r.rule == rule]
        if not of_rule:
            continue
        lines.append(f"#### {SEVERITY_LABELS[of_rule[0].severity]}: {title} ({len(of_rule)})")
        lines.append("")
        grouped: dict[tuple[str, str], list[str]] = {}
        for risk in of_rule:
            grouped.setdefault((risk.what, risk.instead), []).append(risk.subject)
        for (what, instead), subjects in grouped.items():
            lines.append(f"- {_subjects(subjects)}: {what}")
            if instead:
                lines.append(f"  **Instead:** {instead}")
        lines.append("")
    return lines


def _tenant_line(sign: str, tid: str, output: Mapping[str, Any]) -> str:
    secrets = output.get("secrets") or {}
    key = output.get("kmsKey")
    kms = f", KMS key {_code(key)}" if key else ""
    return f"- {sign} {_code(tid)}: {len(secrets)} credential Secrets{kms}"


def _section_tenants(tenants: TenantDiff, compact: bool = False) -> list[str]:
    """Every tenant added or removed (compact: ids only, for very many), and what the details below show."""
    if not tenants:
        return []
    lines = ["### Tenant access", ""]
    for sign, group in (("added", tenants.added), ("removed", tenants.removed)):
        if compact and group:
            lines.append(f"- {sign} ({len(group)}): {', '.join(map(_code, group))}")
        else:
            lines += [_tenant_line(sign, tid, output) for tid, output in group.items()]
    if tenants.changed:
        lines.append(f"- Secrets or locations changed for {', '.join(map(_code, tenants.changed))}")
    if tenants.policies:
        lines.append(f"- {len(tenants.policies)} access policies changed")
    return [*lines, ""]


def _tenant_detail_blocks(tenants: TenantDiff) -> list[list[str]]:
    blocks = []
    rows = [(_code(tid), _code(c.path), *_change_cells(c)) for tid, cs in tenants.changed.items() for c in cs]
    if rows:
        table = _table(("Tenant", "Secret / location", "Before", "After"), rows)
        blocks.append(["#### Tenant Secrets and locations", "", *table, ""])
    if tenants.policies:
        policy_rows = [(_code(p.tenant), _code(p.service), p.summary) for p in tenants.policies]
        table = _table(("Tenant", "Service", "Policy change"), policy_rows)
        blocks.append(["#### Access policies", "", *_collapsible("policy changes", table, len(policy_rows)), ""])
    return blocks


def _outputs_block(changes: tuple[Change, ...]) -> list[list[str]]:
    if not changes:
        return []
    rows = [(_code(c.path), *_change_cells(c)) for c in changes]
    return [["#### Other stack outputs", "", *_table(("Output", "Before", "After"), rows), ""]]


def _header(context: Context) -> list[str]:
    return [
        f"<!-- matih-plan-diff:{context.stack} -->",
        f"## Plan diff: stack `{context.stack}`",
        "",
        f"Desired state of {context.base_label} -> {context.head_label}, from the program under the mock engine "
        "(secrets masked; not a comparison with the live state).",
        "",
    ]


def _counts(diff: PlanDiff) -> str:
    in_place = len(diff.changed) - len(diff.replaced)
    return (
        f"**{len(diff.added)} to add, {len(diff.removed)} to remove, {in_place} to change, "
        f"{len(diff.replaced)} to replace** ({diff.base_resources} -> {diff.head_resources} resources)"
    )


def _omitted(count: int) -> list[str]:
    return [
        f"*{count} detail section{'s' if count != 1 else ''} omitted to stay within GitHub's comment limit: the "
        "job summary and the `plan-diff` artifact have the whole diff (`make plan-diff` locally).*",
        "",
    ]


def _fit(fixed: list[str], details: list[list[str]], limit: int) -> str:
    """The fixed sections and as many detail blocks, from the top, as fit; the rest are dropped whole."""
    kept = list(details)
    while True:
        dropped = len(details) - len(kept)
        lines = [*fixed, *(line for block in kept for line in block), *(_omitted(dropped) if dropped else [])]
        markdown = "\n".join(lines)
        if len(markdown) <= limit or not kept:
            return markdown
        kept.pop()


def render_diff(diff: PlanDiff, context: Context, notes: Iterable[str] = (), limit: int | None = None) -> str:
    """The comment: counts, risks, erasure and capacity, tenant access, then the details that fit in `limit`."""
    lines = _header(context) + [f"> {note}\n" for note in notes]
    if diff.is_empty:
        return "\n".join([*lines, "**No changes.**", ""])
    lines += [_counts(diff), ""]
    lines += _section_risks(diff.risks)
    lines += _section_erasure(diff.erasure)
    details = _tenant_detail_blocks(diff.tenants)
    details += _resource_blocks("Added", diff.added, diff.owners)
    details += _resource_blocks("Removed", diff.removed, diff.owners)
    details += [_changed_block(change) for change in diff.changed]
    details += _outputs_block(diff.other_outputs)
    limit = MAX_COMMENT_CHARS if limit is None else limit
    heading = ["### Details", ""] if details else []
    markdown = _fit([*lines, *_section_tenants(diff.tenants), *heading], details, limit)
    if len(markdown) > limit:
        # Thousands of tenants added at once: list their ids only, so that every one of them still shows.
        markdown = _fit([*lines, *_section_tenants(diff.tenants, compact=True), *heading], details, limit)
    return markdown


def _render_failure(context: Context, message: str, error: str) -> str:
    return "\n".join([*_header(context), f"**{message}**", "", "```", error.strip(), "```", ""])


def _diff_report(diff: PlanDiff, context: Context, notes: Iterable[str] = ()) -> Report:
    full = render_diff(diff, context, notes, limit=sys.maxsize)
    fitted = full if len(full) <= MAX_COMMENT_CHARS else render_diff(diff, context, notes)
    return Report(fitted, ok=True, full=full, refused=len(diff.refused))


def render_report(context: Context, base: Side, head: Side) -> Report:
    """The comment for any combination of outcomes of the two sides."""
    if isinstance(head, ProgramFailed):
        failure = _render_failure(context, f"The program fails on {context.head_label}:", head.error)
        return Report(failure, ok=False, full=failure)
    if isinstance(head, MissingStack):
        raise ValueError("the working tree must have the stack file")  # checked before running anything
    if isinstance(base, ProgramFailed):
        message = f"The program fails on {context.base_label}, so there is nothing to compare with:"
        failure = _render_failure(context, message, base.error)
        return Report(failure, ok=True, full=failure)
    if isinstance(base, MissingStack):
        note = f"{context.base_label} has no `Pulumi.{context.stack}.yaml`: the stack is new, every resource is added."
        empty = Inventory(stack=head.stack, project=head.project, resources=[], outputs={})
        return _diff_report(diff_inventories(empty, head), context, [note])
    return _diff_report(diff_inventories(base, head), context)


# --- Git and the child processes -------------------------------------------------------------------------------------


class PlanDiffError(RuntimeError):
    """A usage or git problem: no comment can be produced."""


def _git(*args: str, cwd: Path = PROJECT_DIR) -> bytes:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    if result.returncode != 0:
        raise PlanDiffError(f"git {' '.join(args)}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def _git_text(*args: str, cwd: Path = PROJECT_DIR) -> str:
    return _git(*args, cwd=cwd).decode().strip()


def export_tree(ref: str, destination: Path, project_dir: Path = PROJECT_DIR) -> tuple[Path, str]:
    """Extract the project as of `ref` into `destination`: (its project directory, short commit id)."""
    try:
        commit = _git_text("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=project_dir)
    except PlanDiffError:
        raise PlanDiffError(f"unknown git ref {ref!r} (in CI, check out with fetch-depth: 0)") from None
    top = Path(_git_text("rev-parse", "--show-toplevel", cwd=project_dir))
    prefix = project_dir.resolve().relative_to(top.resolve()).as_posix()
    pathspec = [] if prefix == "." else ["--", prefix]
    archive = _git("archive", "--format=tar", commit, *pathspec, cwd=top)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    return destination / prefix, _git_text("rev-parse", "--short", commit, cwd=project_dir)


@reports_errors("plan_diff")
def write_inventory(argv: list[str] | None = None) -> int:
    """Child-process entry point (`stack project_dir output`): run one tree's program with this tree's engine and
    write the inventory JSON; a stack-file or program error is one clean message on stderr, which the parent shows."""
    stack, project_dir, output = argv if argv is not None else sys.argv[1:]
    if Path(project_dir).resolve() != PROJECT_DIR.resolve():
        # This module's imports (tools.change_risks, tools.engine) loaded this tree's `components`; the other tree's
        # program must import its own, or a change to components/ would never show in the diff.
        for name in [m for m in sys.modules if m == "components" or m.startswith("components.")]:
            del sys.modules[name]
    inventory = run_stack(stack, project_dir=Path(project_dir))
    Path(output).write_text(json.dumps(inventory.to_json()))
    return 0


_CHILD = "import sys; from tools.plan_diff import write_inventory; sys.exit(write_inventory())"


def run_side(stack: str, project_dir: Path, digest_key: str) -> Side:
    """Inventory of `stack` in the tree at `project_dir`, computed in a fresh interpreter.

    Both sides get the same `digest_key`, so that their digests of masked values compare (tools.engine)."""
    if not (project_dir / f"Pulumi.{stack}.yaml").exists():
        return MissingStack()
    with tempfile.TemporaryDirectory(prefix="plan-diff-") as scratch:
        output = Path(scratch) / "inventory.json"
        # cwd = this tree, so that `tools` is ours; run_stack puts project_dir first for `components`.
        command = [sys.executable, "-c", _CHILD, stack, str(project_dir), str(output)]
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", SECRET_DIGEST_KEY_ENV: digest_key}
        try:
            result = subprocess.run(
                command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=PROGRAM_TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            return ProgramFailed(f"the program did not finish within {PROGRAM_TIMEOUT_SECONDS} s")
        if result.returncode != 0 or not output.exists():
            tail = (result.stderr or result.stdout).strip().splitlines()[-ERROR_TAIL_LINES:]
            return ProgramFailed("\n".join(tail) or f"exit status {result.returncode}")
        return Inventory.from_json(json.loads(output.read_text()))


def plan_diff(base_ref: str, stack: str, project_dir: Path = PROJECT_DIR) -> Report:
    if not stack:
        stacks = ", ".join(available_stacks(project_dir))
        raise PlanDiffError(f"no stack given (an empty STACK=); stacks here: {stacks}")
    if not (project_dir / f"Pulumi.{stack}.yaml").exists():
        raise PlanDiffError(f"no stack {stack!r} here; stacks: {', '.join(available_stacks(project_dir))}")
    with tempfile.TemporaryDirectory(prefix="plan-diff-base-") as scratch:
        base_dir, commit = export_tree(base_ref, Path(scratch), project_dir)
        digest_key = secrets.token_hex(32)  # lives only as long as this comparison
        with ThreadPoolExecutor(max_workers=2) as pool:
            base = pool.submit(run_side, stack, base_dir, digest_key)
            head = pool.submit(run_side, stack, project_dir, digest_key)
            sides = base.result(), head.result()
    label = f"`{base_ref}`" if base_ref.startswith(commit) else f"`{base_ref}` ({commit})"
    return render_report(Context(stack, label), *sides)


@reports_errors("plan_diff", PlanDiffError)
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan_diff", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git ref to compare with, e.g. origin/main")
    parser.add_argument("--stack", required=True, help="stack name, e.g. dev or prod")
    parser.add_argument("--output", type=Path, help="write the Markdown here instead of stdout")
    parser.add_argument(
        "--full-output", type=Path, help="also write the whole diff here (the comment drops details to fit)"
    )
    args = parser.parse_args(argv)
    report = plan_diff(args.base, args.stack)
    if args.output:
        args.output.write_text(report.markdown)
    else:
        sys.stdout.write(report.markdown)
    if args.full_output:
        args.full_output.write_text(report.full)
    return report.exit_status


if __name__ == "__main__":
    sys.exit(main())
