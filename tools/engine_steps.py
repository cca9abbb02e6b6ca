"""The steps the real engine takes between two successive `up`s of a stack, from the two inventories.

The mock engine records what the program declares; it never compares one run with the last. This module does what
`pulumi up` does with that comparison, so that the day-2 model (tools/day2_model.py) can play sequences of `up`s
through the real program. Pure: two snapshots (anything with `resources`, such as `tools.engine.Inventory`) in,
an ordered list of `Step` out.

What the engine does, read in pulumi/pulumi v3.259.0 (the newest tag we can read; our CLI pin is 3.272):

- `pkg/resource/deploy/step_generator.go` `generateSteps`: a resource the state does not hold is created. With an
  import id (the `import` resource option) it is imported instead, when the state holds no resource of that URN or
  one with another id (`isImport`); `step.go` `ImportStep.Apply` fails with "resource '<id>' does not exist" when
  the provider's Read finds nothing. After the import the goal is diffed against what was read, as for any update.
- `generateStepsFromDiff`: a change the provider's Diff calls a replacement is create-before-delete
  (`NewCreateReplacementStep`, then the old resource is deleted "later on, after all creates/updates finish"), or
  delete-before-create when the goal sets `deleteBeforeReplace`. A resource protected in the state and the goal is
  never replaced: "unable to replace resource ... as it is currently marked for protection", and `up` bails there.
  Any other change is an update in place; no change is a same step.
- `GenerateDeletes` / `ScheduleDeletes`: what the state holds and the program no longer declares is deleted after
  every create and update, dependents before what they depend on.
- `step.go` `DeleteStep.Apply`: a protected resource "cannot be deleted because it is protected" (the `up` fails
  there); a `retainOnDelete` resource's delete calls no provider: Pulumi forgets it and it stays where it is.
- Components (not custom) have no provider: their steps change only the state.

Which changes are replacements is the providers' decision, taken from tools.change_risks.replacement_paths
(terraform-provider-minio v1.20.1's ForceNew fields; pulumi-kubernetes' forceNew rules and `enableSecretMutable`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from components import tokens
from tools.risks.model import Record, Snapshot, provider_urn
from tools.risks.replacements import replacement_paths, secret_changed, secret_mutable_providers

Op = Literal["same", "create", "import", "update", "create-replacement", "delete-replaced", "delete"]
# What one step does to the checkpoint (pkg/backend/snapshot.go `BeginMutation`): create, update, delete and import
# steps each write it when they begin and when they end; a same step writes only if something besides its inputs
# changed (`sameSnapshotMutation.mustWrite`), and a replace step's own mutation writes nothing.
CHECKPOINT_WRITES: Mapping[str, int] = {
    "same": 0,
    "create": 2,
    "import": 2,
    "update": 2,
    "create-replacement": 2,
    "delete-replaced": 2,
    "delete": 2,
}


@dataclass(frozen=True)
class Step:
    op: Op
    urn: str
    old: Record | None  # the resource as the state holds it (None for a create or import)
    new: Record | None  # the resource as the program declares it (None for a delete)
    replace_paths: tuple[str, ...] = ()

    @property
    def record(self) -> Record:
        found = self.new if self.new is not None else self.old
        assert found is not None
        return found

    @property
    def refusal(self) -> str | None:
        """The engine's error when this step cannot run (`up` stops there), else None."""
        if self.op == "delete" and self.old is not None and self.old.options.get("protect"):
            return f"resource {self.urn!r} cannot be deleted because it is protected"
        both = (self.old, self.new) if self.op in ("create-replacement", "delete-replaced") else ()
        if both and all(r is not None and r.options.get("protect") for r in both):
            return f"unable to replace resource {self.urn!r} as it is currently marked for protection"
        return None

    @property
    def forgets(self) -> bool:
        """A delete of a retainOnDelete resource: Pulumi drops it from the state, the provider is not called."""
        return (
            self.op in ("delete", "delete-replaced")
            and self.old is not None
            and bool(self.old.options.get("retainOnDelete"))
        )


def _waits_for(record: Record) -> list[str]:
    return [*record.options.get("dependsOn", []), provider_urn(record.options.get("provider")), record.parent]


def dependency_order(resources: Iterable[Record]) -> list[Record]:
    """Resources so that each comes after what it waits for (dependencies, provider, parent); ties by URN."""
    by_urn = {r.urn: r for r in resources}
    ordered: list[Record] = []
    seen: set[str] = set()

    def visit(urn: str) -> None:
        if urn in seen or urn not in by_urn:
            return
        seen.add(urn)
        for before in sorted(_waits_for(by_urn[urn])):
            visit(before)
        ordered.append(by_urn[urn])

    for urn in sorted(by_urn):
        visit(urn)
    return ordered


def _changed(old: Record, new: Record) -> bool:
    if dict(old.inputs) != dict(new.inputs):
        return True
    # A masked value (a Secret's data) compares by the runner's digests.
    return any(secret_changed(old, new, path) for path in {*old.secretDigests, *new.secretDigests})


def plan_steps(state: Snapshot | None, goal: Snapshot) -> list[Step]:
    """The steps of `up` from `state` (the last `up`'s inventory; None for a new stack) to `goal`, in the order the
    engine runs them: creates, imports, updates and replacement creates in dependency order, then every delete
    (replaced resources and removed ones), dependents first. Reads (`Secret.get`, StackReferences) are no steps."""
    old = {r.urn: r for r in (state.resources if state is not None else ()) if not r.options.get("readId")}
    declared = [r for r in goal.resources if not r.options.get("readId")]
    mutable = secret_mutable_providers(goal)
    steps: list[Step] = []
    replaced: list[Step] = []
    for record in dependency_order(declared):
        before = old.get(record.urn)
        import_id = record.options.get("importId")
        if before is None:
            steps.append(Step("import" if import_id and record.custom else "create", record.urn, None, record))
            continue
        if not _changed(before, record):
            steps.append(Step("same", record.urn, before, record))
            continue
        paths = replacement_paths(before, record, provider_urn(record.options.get("provider")) in mutable)
        if record.type == tokens.SECRET and provider_urn(record.options.get("provider")) not in mutable:
            paths = (*paths, *(p for p in ("stringData", "data") if secret_changed(before, record, p)))
        if not paths or not record.custom:
            steps.append(Step("update", record.urn, before, record))
        elif record.options.get("deleteBeforeReplace"):
            steps += [
                Step("delete-replaced", record.urn, before, record, paths),
                Step("create-replacement", record.urn, before, record, paths),
            ]
        else:
            steps.append(Step("create-replacement", record.urn, before, record, paths))
            replaced.append(Step("delete-replaced", record.urn, before, record, paths))
    goal_urns = {r.urn for r in declared}
    removed = [r for r in old.values() if r.urn not in goal_urns]
    deletes = [*replaced, *(Step("delete", r.urn, r, None) for r in removed)]
    # Dependents first: the reverse of the old state's dependency order.
    position = {r.urn: i for i, r in enumerate(dependency_order(old.values()))}
    deletes.sort(key=lambda s: -position.get(s.urn, 0))
    return steps + deletes


def checkpoint_writes(steps: Iterable[Step]) -> int:
    """How often the diy backend writes the whole checkpoint for these steps (see CHECKPOINT_WRITES)."""
    return sum(CHECKPOINT_WRITES[s.op] for s in steps)
