"""Desired-state diff of a stack between a git ref and the working tree, as Markdown for a sticky PR comment.

    python -m tools.plan_diff --base origin/main --stack prod [--output plan-diff.md]

Both sides run the real program under the mock engine (tools.engine), so the diff shows what the program *declares*
differently; what `pulumi preview` would do against the live state is the preview job's comment. Each side runs in
its own interpreter: the `components` packages of two trees must never meet in one `sys.modules`.

The diff (`diff_inventories`) and its rendering (`render_report`) are pure functions of two `Inventory` objects;
git and the child processes are confined to the bottom of this module. Secrets are compared masked.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from tools.engine import PROJECT_DIR, Inventory, ProgramError, ResourceRecord, available_stacks, run_stack

TENANT_TYPE = "matih:tenancy:Tenant"
ALL_TENANTS = "(all tenants)"
# Policy-bearing resources are named "<tenant>-<service>-access-key" and "<service>-parent-policy".
POLICY_NAME_SUFFIXES = ("-access-key", "-parent-policy")
# Lists of objects carrying one of these unique fields are matched by it rather than by position.
IDENTITY_FIELDS = ("Sid", "name", "key", "id")
# GitHub refuses comments over 65,536 characters.
MAX_COMMENT_CHARS = 60_000
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
class ResourceChange:
    urn: str
    type: str
    name: str
    inputs: tuple[Change, ...]
    options: tuple[Change, ...]


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

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.erasure or self.tenants or self.other_outputs)


def _resource_options(record: ResourceRecord) -> dict[str, Any]:
    # A component can change its parent without changing the URN (which holds only the parent's type).
    return {**record.options, "parent": record.parent}


def _resource_change(before: ResourceRecord, after: ResourceRecord) -> ResourceChange | None:
    inputs = tuple(diff_values(before.inputs, after.inputs))
    options = tuple(diff_values(_resource_options(before), _resource_options(after)))
    if not (inputs or options):
        return None
    return ResourceChange(after.urn, after.type, after.name, inputs, options)


def _urn_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else ""


def _urn_name(urn: str) -> str:
    return urn.split("::")[-1]


def _policy_documents(inventory: Inventory) -> dict[str, dict[str, Any]]:
    """URN -> IAM document of every resource with a `policy` input (access keys, parent policies)."""
    documents = {}
    for record in inventory:
        document = _parse_embedded_json(record.inputs.get("policy"))
        if isinstance(document, dict) and "Statement" in document:
            documents[record.urn] = document
    return documents


def _policy_owner(record: ResourceRecord) -> tuple[str, str]:
    """(tenant, service) of a service's access-key policy or of its all-tenants parent policy."""
    tenant = _urn_name(record.parent) if _urn_type(record.parent) == TENANT_TYPE else ALL_TENANTS
    service = record.name.removeprefix(f"{tenant}-")
    for suffix in POLICY_NAME_SUFFIXES:
        service = service.removesuffix(suffix)
    return tenant, service


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


def diff_inventories(base: Inventory, head: Inventory) -> PlanDiff:
    """Resources added / removed / changed (keyed by URN), erasure figures, tenant access and other outputs."""
    old, new = base.by_urn(), head.by_urn()
    changes = (_resource_change(old[urn], new[urn]) for urn in sorted(old.keys() & new.keys()))
    return PlanDiff(
        base_resources=len(old),
        head_resources=len(new),
        added=tuple(new[urn] for urn in sorted(new.keys() - old.keys())),
        removed=tuple(old[urn] for urn in sorted(old.keys() - new.keys())),
        changed=tuple(change for change in changes if change is not None),
        erasure=tuple(diff_values(base.outputs.get("erasure", {}), head.outputs.get("erasure", {}))),
        tenants=diff_tenants(base, head),
        other_outputs=tuple(diff_values(_other_outputs(base), _other_outputs(head))),
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
    markdown: str
    ok: bool  # False when this branch's own program fails


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


def _change_cells(change: Change) -> tuple[str, str]:
    if isinstance(change.before, list) and isinstance(change.after, list):
        removed, added = list_delta(change.before, change.after)
        if not (removed or added):
            return "*(order)*", "*(reordered)*"
        return (
            "removed " + ", ".join(map(_code, removed)) if removed else "",
            "added " + ", ".join(map(_code, added)) if added else "",
        )
    return _cell(change.before), _cell(change.after)


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    head = list(header)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _collapsible(summary: str, lines: list[str], rows: int) -> list[str]:
    if rows <= COLLAPSE_ABOVE_ROWS:
        return lines
    return [f"<details><summary>{summary}</summary>", "", *lines, "", "</details>"]


def _human_bytes(value: int) -> str:
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
    size, index = float(value), 0
    while size >= 1024 and index < len(units) - 1:
        size, index = size / 1024, index + 1
    return f"{size:.2f}".rstrip("0").rstrip(".") + f" {units[index]}"


def _figure(path: str, value: Any) -> str:
    if path.endswith("Bytes") and isinstance(value, int):
        return f"{_code(value)} ({_human_bytes(value)})"
    return _cell(value)


def _section_resources(title: str, records: tuple[ResourceRecord, ...]) -> list[str]:
    if not records:
        return []
    rows = [(_code(r.name), _code(r.type), _code(_urn_name(r.parent) or "-")) for r in records]
    table = _table(("Name", "Type", "Parent"), rows)
    return [f"### {title} ({len(records)})", "", *_collapsible(f"{len(records)} resources", table, len(rows)), ""]


def _section_changed(changes: tuple[ResourceChange, ...]) -> list[str]:
    if not changes:
        return []
    lines = [f"### Resources changed ({len(changes)})", ""]
    for change in changes:
        rows = [(_code(c.path), *_change_cells(c)) for c in change.inputs]
        rows += [(f"{_code(c.path)} *(option)*", *_change_cells(c)) for c in change.options]
        lines += [f"#### {_code(change.name)} {_code(change.type)}", "", *_table(("Property", "Before", "After"), rows)]
        lines.append("")
    return lines


def _section_erasure(changes: tuple[Change, ...]) -> list[str]:
    if not changes:
        return []
    rows = [(_code(c.path), _figure(c.path, c.before), _figure(c.path, c.after)) for c in changes]
    lines = ["### Erasure coding and capacity", "", *_table(("Figure", "Before", "After"), rows), ""]
    if any(c.path == "survivesServerLoss" and c.after is False for c in changes):
        lines += ["> **Warning:** with this layout the cluster no longer survives the loss of a whole server.", ""]
    return lines


def _tenant_line(sign: str, tid: str, output: Mapping[str, Any]) -> str:
    secrets = output.get("secrets") or {}
    key = output.get("kmsKey")
    kms = f", KMS key {_code(key)}" if key else ""
    return f"- {sign} {_code(tid)}: {len(secrets)} credential Secrets{kms}"


def _section_tenants(tenants: TenantDiff) -> list[str]:
    if not tenants:
        return []
    lines = ["### Tenant access", ""]
    lines += [_tenant_line("added", tid, output) for tid, output in tenants.added.items()]
    lines += [_tenant_line("removed", tid, output) for tid, output in tenants.removed.items()]
    rows = [(_code(tid), _code(c.path), *_change_cells(c)) for tid, cs in tenants.changed.items() for c in cs]
    if rows:
        lines += ["", *_table(("Tenant", "Secret / location", "Before", "After"), rows)]
    if tenants.policies:
        policy_rows = [(_code(p.tenant), _code(p.service), p.summary) for p in tenants.policies]
        table = _table(("Tenant", "Service", "Policy change"), policy_rows)
        lines += ["", "**Access policies**", "", *_collapsible("policy changes", table, len(policy_rows))]
    return [*lines, ""]


def _section_outputs(changes: tuple[Change, ...]) -> list[str]:
    if not changes:
        return []
    rows = [(_code(c.path), *_change_cells(c)) for c in changes]
    return ["### Other stack outputs", "", *_table(("Output", "Before", "After"), rows), ""]


def _header(context: Context) -> list[str]:
    return [
        f"<!-- matih-plan-diff:{context.stack} -->",
        f"## Plan diff: stack `{context.stack}`",
        "",
        f"Desired state of {context.base_label} -> {context.head_label}, from the program under the mock engine "
        "(secrets masked; not a comparison with the live state).",
        "",
    ]


def _fit(markdown: str) -> str:
    if len(markdown) <= MAX_COMMENT_CHARS:
        return markdown
    cut = markdown[:MAX_COMMENT_CHARS].rsplit("\n", 1)[0]
    return cut + "\n\n*(truncated: run `make plan-diff` locally for the whole diff)*\n"


def render_diff(diff: PlanDiff, context: Context, notes: Iterable[str] = ()) -> str:
    lines = _header(context) + [f"> {note}\n" for note in notes]
    if diff.is_empty:
        return "\n".join([*lines, "**No changes.**", ""])
    lines += [
        f"**{len(diff.added)} to add, {len(diff.removed)} to remove, {len(diff.changed)} to change** "
        f"({diff.base_resources} -> {diff.head_resources} resources)",
        "",
    ]
    lines += _section_resources("Resources added", diff.added)
    lines += _section_resources("Resources removed", diff.removed)
    lines += _section_changed(diff.changed)
    lines += _section_erasure(diff.erasure)
    lines += _section_tenants(diff.tenants)
    lines += _section_outputs(diff.other_outputs)
    return _fit("\n".join(lines))


def _render_failure(context: Context, message: str, error: str) -> str:
    return "\n".join([*_header(context), f"**{message}**", "", "```", error.strip(), "```", ""])


def render_report(context: Context, base: Side, head: Side) -> Report:
    """The comment for any combination of outcomes of the two sides."""
    if isinstance(head, ProgramFailed):
        return Report(_render_failure(context, f"The program fails on {context.head_label}:", head.error), ok=False)
    if isinstance(head, MissingStack):
        raise ValueError("the working tree must have the stack file")  # checked before running anything
    if isinstance(base, ProgramFailed):
        message = f"The program fails on {context.base_label}, so there is nothing to compare with:"
        return Report(_render_failure(context, message, base.error), ok=True)
    if isinstance(base, MissingStack):
        note = f"{context.base_label} has no `Pulumi.{context.stack}.yaml`: the stack is new, every resource is added."
        empty = Inventory(stack=head.stack, project=head.project, resources=[], outputs={})
        return Report(render_diff(diff_inventories(empty, head), context, [note]), ok=True)
    return Report(render_diff(diff_inventories(base, head), context), ok=True)


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


def write_inventory(stack: str, project_dir: str, output: str) -> None:
    """Child-process entry point: run one tree's program with this tree's engine and write the inventory JSON."""
    try:
        inventory = run_stack(stack, project_dir=Path(project_dir))
    except ProgramError as error:
        sys.exit(str(error))
    Path(output).write_text(json.dumps(inventory.to_json()))


_CHILD = "import sys; from tools.plan_diff import write_inventory; write_inventory(*sys.argv[1:])"


def run_side(stack: str, project_dir: Path) -> Side:
    """Inventory of `stack` in the tree at `project_dir`, computed in a fresh interpreter."""
    if not (project_dir / f"Pulumi.{stack}.yaml").exists():
        return MissingStack()
    with tempfile.TemporaryDirectory(prefix="plan-diff-") as scratch:
        output = Path(scratch) / "inventory.json"
        # cwd = this tree, so that `tools` is ours; run_stack puts project_dir first for `components`.
        command = [sys.executable, "-c", _CHILD, stack, str(project_dir), str(output)]
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
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
    if not (project_dir / f"Pulumi.{stack}.yaml").exists():
        raise PlanDiffError(f"no stack {stack!r} here; stacks: {', '.join(available_stacks(project_dir))}")
    with tempfile.TemporaryDirectory(prefix="plan-diff-base-") as scratch:
        base_dir, commit = export_tree(base_ref, Path(scratch), project_dir)
        with ThreadPoolExecutor(max_workers=2) as pool:
            base = pool.submit(run_side, stack, base_dir)
            head = pool.submit(run_side, stack, project_dir)
            sides = base.result(), head.result()
    label = f"`{base_ref}`" if base_ref.startswith(commit) else f"`{base_ref}` ({commit})"
    return render_report(Context(stack, label), *sides)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan_diff", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git ref to compare with, e.g. origin/main")
    parser.add_argument("--stack", required=True, help="stack name, e.g. dev or prod")
    parser.add_argument("--output", type=Path, help="write the Markdown here instead of stdout")
    args = parser.parse_args(argv)
    try:
        report = plan_diff(args.base, args.stack)
    except PlanDiffError as error:
        print(f"plan_diff: {error}", file=sys.stderr)
        return 2
    if args.output:
        args.output.write_text(report.markdown)
    else:
        sys.stdout.write(report.markdown)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
