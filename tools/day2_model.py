"""The day-2 model: successive `up`s of a platform and its shards, played through the engine's steps against MinIO.

Each `up` takes what the real program declared for a stack (an Inventory from tools/engine.py), turns the
difference from that stack's state into the engine's steps (tools/engine_steps.py) and applies them, in order, to
one shared model of MinIO, KES and the cluster's Secrets (tools/minio_model.py), until the end or the first step
that fails (the engine stops there: pulumi v3.259.0 `step_executor.go` `cancelDueToError` cancels the rest of the
deployment, except past a refused delete of a protected resource; the checkpoint keeps what was done).

Consumers are the services' pods: one per tenant Secret. A pod reads its Secret's credentials when it starts and
keeps them until it restarts; it may restart only after an `up` changed its Secret (nothing restarts pods of
another stack, and nothing else tells them). A tenant that leaves (offboarding, purge, removal) takes its
consumers with it: their access is revoked on purpose.

What an `up` must never do, checked by `UpReport.unsafe`:
- leave a consumer holding a revoked credential (an outage: MinIO's DeleteServiceAccount revokes at once);
- delete a bucket that holds data unless the stack file acknowledged that tenant's purge;
- create an object that exists already, left behind by an earlier removal (the `up` fails part-way).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from components import tokens
from tools.change_risks import assess
from tools.engine_steps import Record, Step, plan_steps
from tools.minio_model import StepFailed, World
from tools.risks.model import Risk, urn_name


@dataclass
class State:
    """A stack's checkpoint: the resources the last `up` left, and the outputs of its last completed `up`."""

    resources: list[Record]
    outputs: Mapping[str, Any]


@dataclass
class Consumer:
    stack: str
    tenant: str
    secret: str  # namespace/name
    holds: str  # the access key it read
    may_restart: bool = False


@dataclass
class UpReport:
    stack: str
    steps: list[Step]
    applied: list[Step]
    failure: StepFailed | None
    revoked: list[Consumer]  # consumers left holding a revoked credential
    data_lost: list[str]  # buckets deleted with their data and no purge acknowledgement
    refused: tuple[Risk, ...]  # what the plan diff refuses for this change (against the stack's last goal)

    @property
    def collision(self) -> bool:
        return self.failure is not None and self.failure.collision

    @property
    def unsafe(self) -> list[str]:
        found = [f"consumer of {c.secret} ({c.stack}) holds revoked key {c.holds}" for c in self.revoked]
        found += [f"bucket {b} deleted with its data, no purge acknowledged" for b in self.data_lost]
        if self.collision:
            found.append(f"create collides with an existing object: {self.failure}")
        return found


def _tenant_states(resources: Sequence[Record]) -> dict[str, Mapping[str, Any]]:
    return {r.name: r.inputs for r in resources if r.type == tokens.TENANT}


def _owning_tenant(record: Record, resources: Mapping[str, Record]) -> Record | None:
    parent = resources.get(record.parent)
    while parent is not None and parent.type != tokens.TENANT:
        parent = resources.get(parent.parent)
    return parent


@dataclass
class Day2Model:
    world: World = field(default_factory=World)
    states: dict[str, State] = field(default_factory=dict)
    last_goals: dict[str, Any] = field(default_factory=dict)  # stack -> the Inventory its last `up` ran
    consumers: dict[tuple[str, str], Consumer] = field(default_factory=dict)  # (stack, secret) -> consumer
    data_lost: list[str] = field(default_factory=list)  # every bucket any `up` deleted with data, unacknowledged

    def outputs(self, stack: str) -> dict[str, Any]:
        """The wire outputs of the stack's last completed `up` (what a StackReference to it reads)."""
        state = self.states.get(stack)
        return dict(state.outputs) if state is not None else {}

    def preview(self, stack: str, goal: Any) -> UpReport:
        """What `up` would do, on a copy: the model itself is unchanged. (Inventories and States are never
        mutated, only replaced, so the copy shares them.)"""
        trial = Day2Model(
            copy.deepcopy(self.world),
            dict(self.states),
            dict(self.last_goals),
            copy.deepcopy(self.consumers),
            list(self.data_lost),
        )
        return trial.up(stack, goal)

    def up(self, stack: str, goal: Any) -> UpReport:
        state = self.states.get(stack)
        base = self.last_goals.get(stack)
        refused = assess(base, goal).refused if base is not None else ()
        steps = plan_steps(state, goal)
        old = {r.urn: r for r in (state.resources if state is not None else [])}
        current = dict(old)
        revoked_before = {id(c) for c in self.revoked()}
        applied: list[Step] = []
        failure: StepFailed | None = None
        data_lost: list[str] = []
        for step in steps:
            deleted_before = len(self.world.deleted_buckets_with_data)
            try:
                self.world.apply(stack, step)
            except StepFailed as error:
                failure = failure or error
                if error.continues:
                    continue  # the resource stays in the state
                break
            applied.append(step)
            if step.record.type == tokens.S3_BUCKET and len(self.world.deleted_buckets_with_data) > deleted_before:
                tenant = _owning_tenant(step.record, old)
                acknowledged = tenant is not None and tenant.inputs.get("purgeAcknowledged") == tenant.name
                if not acknowledged:
                    data_lost.append(str(step.record.inputs.get("bucket")))
            if step.op == "delete":
                current.pop(step.urn, None)
            elif step.op != "delete-replaced" and step.new is not None:
                current[step.urn] = step.new
        outputs = goal.wire_outputs if failure is None else (state.outputs if state is not None else {})
        self.states[stack] = State(list(current.values()), outputs)
        if failure is None:
            self.last_goals[stack] = goal
        self._update_consumers(stack, list(current.values()))
        revoked = [c for c in self.revoked() if id(c) not in revoked_before]
        self.data_lost += data_lost
        return UpReport(stack, steps, applied, failure, revoked, data_lost, refused)

    def _update_consumers(self, stack: str, resources: list[Record]) -> None:
        by_urn = {r.urn: r for r in resources}
        active = {name for name, inputs in _tenant_states(resources).items() if inputs.get("state") == "active"}
        seen = set()
        for record in resources:
            tenant = _owning_tenant(record, by_urn)
            if record.type != tokens.SECRET or tenant is None or tenant.name not in active:
                continue
            metadata = record.inputs.get("metadata") or {}
            secret = f"{metadata.get('namespace')}/{metadata.get('name')}"
            carried = self.world.secrets.get(secret)
            if carried is None:
                continue
            seen.add((stack, secret))
            consumer = self.consumers.get((stack, secret))
            if consumer is None:
                self.consumers[(stack, secret)] = Consumer(stack, tenant.name, secret, carried)
            elif consumer.holds != carried:
                consumer.may_restart = True
        for key in [k for k in self.consumers if k[0] == stack and k not in seen]:
            del self.consumers[key]  # the tenant left: revoked on purpose

    def restart(self, stack: str, secret: str) -> None:
        """A consumer whose Secret an `up` changed restarts and reads it again."""
        consumer = self.consumers[(stack, secret)]
        assert consumer.may_restart, f"{secret}: nothing told this pod to restart"
        consumer.holds = self.world.secrets[secret]
        consumer.may_restart = False

    def revoked(self) -> list[Consumer]:
        return [c for c in self.consumers.values() if c.holds not in self.world.service_accounts]

    def tenants_of(self, stack: str) -> set[str]:
        state = self.states.get(stack)
        return {urn_name(r.urn) for r in state.resources if r.type == tokens.TENANT} if state else set()
