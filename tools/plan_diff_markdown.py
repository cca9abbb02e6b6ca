"""The plan diff as Markdown for the sticky PR comment: counts, risks, erasure and capacity, tenant access, then the
per-resource details that fit GitHub's comment limit. Pure."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from components.model.quantity import format_bytes
from tools.change_risks import RULE_TITLES
from tools.cli import USAGE_ERROR
from tools.engine import (
    Inventory,
    ResourceRecord,
)
from tools.inventory_diff import PlanDiff, ResourceChange, SecretChange, TenantDiff, diff_inventories
from tools.risks.model import Risk, Severity, urn_name
from tools.value_diff import ABSENT, Change, cell, code, list_delta

# GitHub refuses comments over 65,536 characters.
MAX_COMMENT_CHARS = 65_536

# A refused change (tools.change_risks) makes the CLI exit with this status; 1 is this branch's program failing and
# 2 a usage or git problem.
EXIT_REFUSED = 3


# Names listed per risk before "and N more".
MAX_RISK_SUBJECTS = 25


COLLAPSE_ABOVE_ROWS = 15


ERROR_TAIL_LINES = 30


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
        return code(format_bytes(value))
    if path.endswith("Ratio") and isinstance(value, float):
        return code(f"{value:.0%}".replace("%", " %"))
    return cell(value)


def _change_cells(change: Change) -> tuple[str, str]:
    if isinstance(change.before, list) and isinstance(change.after, list):
        removed, added = list_delta(change.before, change.after)
        if not (removed or added):
            return "*(order)*", "*(reordered)*"
        return (
            "removed " + ", ".join(map(code, removed)) if removed else "",
            "added " + ", ".join(map(code, added)) if added else "",
        )
    return _human(change.path, change.before), _human(change.path, change.after)


def _resource_blocks(verb: str, records: tuple[ResourceRecord, ...], owners: Mapping[str, str]) -> list[list[str]]:
    """Added or removed resources, one block per top-level component, so that blocks can be dropped whole."""
    groups: dict[str, list[ResourceRecord]] = {}
    for record in records:
        groups.setdefault(owners.get(record.urn, record.name), []).append(record)
    blocks = []
    for owner, members in groups.items():
        rows = [(code(r.name), code(r.type), code(urn_name(r.parent) or "-")) for r in members]
        table = _table(("Name", "Type", "Parent"), rows)
        title = f"#### {verb}: {code(owner)} ({len(members)})"
        blocks.append([title, "", *_collapsible(f"{len(members)} resources", table, len(rows)), ""])
    return blocks


def _secret_cells(change: SecretChange) -> tuple[str, str]:
    """A secret key's sides as digests (keyed per diff, so they say only whether it changed), others in clear."""
    if not change.masked:
        return cell(change.before), cell(change.after)

    def side(digest: Any) -> str:
        return "*(absent)*" if digest is ABSENT else f"*secret* {code(f'digest {digest}')}"

    return side(change.before), side(change.after)


def _changed_block(change: ResourceChange) -> list[str]:
    rows = [(code(c.path), *_change_cells(c)) for c in change.inputs]
    rows += [(code(c.path), *_secret_cells(c)) for c in change.secrets]
    rows += [(f"{code(c.path)} *(option)*", *_change_cells(c)) for c in change.options]
    verb = "replaced" if change.replaced else "changed"
    title = f"#### {code(change.name)} {code(change.type)} ({verb})"
    return [title, "", *_table(("Property", "Before", "After"), rows), ""]


def _section_erasure(changes: tuple[Change, ...]) -> list[str]:
    if not changes:
        return []
    rows = [(code(c.path), _human(c.path, c.before), _human(c.path, c.after)) for c in changes]
    lines = ["### Erasure coding and capacity", "", *_table(("Figure", "Before", "After"), rows), ""]
    if any(c.path == "survivesServerLoss" and c.after is False for c in changes):
        lines += ["> **Warning:** with this layout the cluster no longer survives the loss of a whole server.", ""]
    return lines


SEVERITY_LABELS: Mapping[Severity, str] = {"refused": "Refused", "warning": "Warning", "notice": "Notice"}


def _subjects(names: list[str]) -> str:
    shown = ", ".join(map(code, names[:MAX_RISK_SUBJECTS]))
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
    kms = f", KMS key {code(key)}" if key else ""
    return f"- {sign} {code(tid)}: {len(secrets)} credential Secrets{kms}"


def _section_tenants(tenants: TenantDiff, compact: bool = False) -> list[str]:
    """Every tenant added or removed (compact: ids only, for very many), and what the details below show."""
    if not tenants:
        return []
    lines = ["### Tenant access", ""]
    for sign, group in (("added", tenants.added), ("removed", tenants.removed)):
        if compact and group:
            lines.append(f"- {sign} ({len(group)}): {', '.join(map(code, group))}")
        else:
            lines += [_tenant_line(sign, tid, output) for tid, output in group.items()]
    if tenants.changed:
        lines.append(f"- Secrets or locations changed for {', '.join(map(code, tenants.changed))}")
    if tenants.policies:
        lines.append(f"- {len(tenants.policies)} access policies changed")
    return [*lines, ""]


def _tenant_detail_blocks(tenants: TenantDiff) -> list[list[str]]:
    blocks = []
    rows = [(code(tid), code(c.path), *_change_cells(c)) for tid, cs in tenants.changed.items() for c in cs]
    if rows:
        table = _table(("Tenant", "Secret / location", "Before", "After"), rows)
        blocks.append(["#### Tenant Secrets and locations", "", *table, ""])
    if tenants.policies:
        policy_rows = [(code(p.tenant), code(p.service), p.summary) for p in tenants.policies]
        table = _table(("Tenant", "Service", "Policy change"), policy_rows)
        blocks.append(["#### Access policies", "", *_collapsible("policy changes", table, len(policy_rows)), ""])
    return blocks


def _outputs_block(changes: tuple[Change, ...]) -> list[list[str]]:
    if not changes:
        return []
    rows = [(code(c.path), *_change_cells(c)) for c in changes]
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
