"""The day-2 model: generated sequences of stack-file changes played through the real program, the engine's steps
and a model of MinIO (tools/day2_model.py), with the invariants checked after every step.

The stateful test (Hypothesis `RuleBasedStateMachine`) edits the stack files of prod and its shard prod-tenants-1
as an operator would: tenants added, removed, offboarded, purged and re-added (with and without `adopt`),
isolation changed, keys rotated and retired at every level, root credentials rotated, and shards left behind their
platform for one or more `up`s. Each change runs the real program (tools/engine.py). If the settings refuse it,
or the plan diff (tools/change_risks.py) refuses it, the pipeline stops and the change is dropped; otherwise the
model plays the `up`. What the model finds unsafe must have been refused.

The outages of the old behaviour (a `retirePrevious` left set; a shard jumping its platform's rotations) are shown
by deterministic sequences against the old key-generation rule, reproduced explicitly below (`old_generations`,
today's main before issue 15): the program that runs is the real one with that one function swapped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import components.resources.tenant
from components.model import rotation
from components.model.config import AccessKeySettings, ConfigError
from components.model.sharding import MAX_TENANTS_PER_STACK
from tests.test_policies import resource, violations
from tools import bench
from tools.bench import shard_size
from tools.day2_model import Day2Model, UpReport
from tools.engine import Inventory, ProgramError, run_stack
from tools.engine_steps import Step, checkpoint_writes, plan_steps
from tools.minio_model import StepFailed, World

PLATFORM, SHARD = "prod", "prod-tenants-1"
SERVICES = ("trino", "spark", "backup-jobs")  # a few of the keyed services, for per-service rotations
# Retirement by a named generation (issue 15 A) or the old boolean; the model speaks whichever the settings take.
NAMED_RETIREMENT = "retire_through" in AccessKeySettings.__dataclass_fields__


# --- Runs of the real program -----------------------------------------------------------------------------------------

_RUNS: dict[str, Inventory | Exception] = {}


def run(stack: str, overrides: dict[str, Any], platform_outputs: dict[str, Any] | None) -> Inventory:
    """The real program for a stack file (config overrides), cached: sequences revisit the same files often.
    A shard reads its platform's outputs as the platform's last `up` left them."""
    key = json.dumps([stack, overrides, platform_outputs], sort_keys=True, default=str)
    if key not in _RUNS:
        try:
            outputs = {PLATFORM: platform_outputs} if platform_outputs is not None else None
            _RUNS[key] = run_stack(stack, overrides, stack_outputs=outputs)
        except (ConfigError, ProgramError) as error:
            _RUNS[key] = error
    found = _RUNS[key]
    if isinstance(found, Exception):
        raise found
    return found


# --- The engine's steps (tools/engine_steps.py) on records made by hand -----------------------------------------------


class R:
    """A resource record as the runner makes it."""

    def __init__(self, name: str, type_: str = "minio:index/s3Bucket:S3Bucket", **fields: Any):
        self.type = type_
        self.name = name
        self.urn = f"urn:pulumi:s::p::{type_}::{name}"
        self.parent = fields.pop("parent", "")
        self.custom = fields.pop("custom", True)
        self.inputs = fields.pop("inputs", {"bucket": name})
        self.secretDigests: dict[str, Any] = {}
        self.options = {"dependsOn": [], "provider": None, **fields}


class Snap:
    def __init__(self, *resources: R):
        self.resources = list(resources)
        self.outputs: dict[str, Any] = {}
        self.wire_outputs: dict[str, Any] = {}


def ops(steps: list[Step]) -> list[tuple[str, str]]:
    return [(s.op, s.record.name) for s in steps if s.op != "same"]


def test_new_resources_are_created_and_unchanged_ones_are_the_same():
    a = R("a")
    assert [(s.op, s.record.name) for s in plan_steps(None, Snap(a))] == [("create", "a")]
    assert [s.op for s in plan_steps(Snap(a), Snap(R("a")))] == ["same"]


def test_an_input_change_is_an_update_and_a_force_new_change_a_create_before_delete_replacement():
    old = R("a", inputs={"bucket": "a", "acl": "private"})
    assert ops(plan_steps(Snap(old), Snap(R("a", inputs={"bucket": "a", "acl": "public-read"})))) == [("update", "a")]
    # `bucket` is ForceNew in terraform-provider-minio v1.20.1: the new bucket first, the old one deleted last.
    steps = plan_steps(Snap(old, R("b")), Snap(R("a", inputs={"bucket": "a2", "acl": "private"}), R("c")))
    assert ops(steps) == [("create-replacement", "a"), ("create", "c"), ("delete", "b"), ("delete-replaced", "a")]


def test_delete_before_replace_deletes_first():
    old = R("a")
    new = R("a", inputs={"bucket": "a2"}, deleteBeforeReplace=True)
    assert ops(plan_steps(Snap(old), Snap(new))) == [("delete-replaced", "a"), ("create-replacement", "a")]


def test_deletes_come_last_and_dependents_first():
    key = R("key", "minio:index/kmsKey:KmsKey", inputs={"keyId": "k"})
    bucket = R("bucket", dependsOn=[key.urn])
    steps = plan_steps(Snap(key, bucket), Snap(R("new")))
    assert ops(steps) == [("create", "new"), ("delete", "bucket"), ("delete", "key")]


def test_protect_refuses_deletes_and_replacements_and_retain_on_delete_forgets():
    protected = R("a", protect=True)
    (delete,) = plan_steps(Snap(protected), Snap())
    assert delete.refusal and "cannot be deleted because it is protected" in delete.refusal
    replacing = plan_steps(Snap(protected), Snap(R("a", inputs={"bucket": "b"}, protect=True)))
    assert replacing[0].refusal and "marked for protection" in replacing[0].refusal
    # Unprotecting and replacing in one `up` is allowed (the engine checks both sides).
    assert plan_steps(Snap(protected), Snap(R("a", inputs={"bucket": "b"})))[0].refusal is None
    (forget,) = plan_steps(Snap(R("a", retainOnDelete=True)), Snap())
    assert forget.forgets and not delete.forgets


def test_an_import_id_imports_only_what_the_state_does_not_hold():
    adopted = R("a", importId="a")
    assert ops(plan_steps(None, Snap(adopted))) == [("import", "a")]
    assert [s.op for s in plan_steps(Snap(R("a")), Snap(adopted))] == ["same"]


def test_only_changing_steps_write_the_checkpoint_twice():
    steps = plan_steps(Snap(R("a"), R("b")), Snap(R("a"), R("c")))
    assert [s.op for s in steps] == ["same", "create", "delete"]
    assert checkpoint_writes(steps) == 4


# --- MinIO's behaviour (tools/minio_model.py) -------------------------------------------------------------------------

USER = "minio:index/iamUser:IamUser"
ACCOUNT = "minio:index/iamServiceAccount:IamServiceAccount"


def user(name: str = "parent") -> R:
    return R(name, USER, inputs={"name": name})


def account(name: str, parent: str = "parent", policy: str = "p") -> R:
    return R(name, ACCOUNT, inputs={"targetUser": parent, "policy": policy}, dependsOn=[user(parent).urn])


def applied(world: World, state: Snap | None, goal: Snap) -> None:
    for step in plan_steps(state, goal):
        world.apply("s", step)


def test_deleting_a_user_deletes_its_service_accounts():
    world = World()
    applied(world, None, Snap(user(), account("k1"), account("k2")))
    assert len(world.service_accounts) == 2
    applied(world, Snap(user(), account("k1"), account("k2")), Snap(account("k1"), account("k2")))
    assert world.service_accounts == {}


def test_add_user_upserts_and_a_same_name_user_replacement_still_takes_its_accounts():
    world = World()
    applied(world, None, Snap(user()))
    world.apply("s", Step("create", "other-urn", None, user()))  # no error: AddUser upserts
    old = Snap(user(), account("k"))
    applied(world, None, Snap(account("k")))
    renamed = R("parent", USER, inputs={"name": "parent"}, custom=True)
    renamed.urn = user().urn
    # A replacement of the user (create-before-delete) re-creates the name, then deletes it with its accounts.
    world.apply("s", Step("create-replacement", renamed.urn, user(), renamed, ("name",)))
    world.apply("s", Step("delete-replaced", renamed.urn, user(), renamed, ("name",)))
    assert world.service_accounts == {} and old


def test_a_service_account_delete_revokes_and_a_policy_update_keeps_the_key():
    world = World()
    applied(world, None, Snap(user(), account("k")))
    (key,) = world.service_accounts
    applied(world, Snap(user(), account("k")), Snap(user(), account("k", policy="q")))
    assert list(world.service_accounts) == [key]
    applied(world, Snap(user(), account("k")), Snap(user()))
    assert world.service_accounts == {}


def test_a_replaced_service_account_gets_a_new_key_and_the_old_goes_at_the_end():
    world = World()
    applied(world, None, Snap(user(), user("other"), account("k")))
    (old_key,) = world.service_accounts
    steps = plan_steps(Snap(user(), user("other"), account("k")), Snap(user(), user("other"), account("k", "other")))
    world.apply("s", steps[[s.op for s in steps].index("create-replacement")])
    assert len(world.service_accounts) == 2 and old_key in world.service_accounts
    for step in steps:
        if step.op == "delete-replaced":
            world.apply("s", step)
    assert len(world.service_accounts) == 1 and old_key not in world.service_accounts


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (R("b", inputs={"bucket": "b"}), "bucket already exists!"),
        (R("k", "minio:index/kmsKey:KmsKey", inputs={"keyId": "k"}), r"already exists \(409\)"),
    ],
)
def test_creating_an_existing_bucket_or_key_fails(record, message):
    world = World()
    applied(world, None, Snap(record))
    with pytest.raises(StepFailed, match=message) as caught:
        world.apply("s", Step("create", record.urn, None, record))
    assert caught.value.collision


def test_a_bucket_with_data_is_deleted_only_by_force_destroy_and_an_import_needs_the_object():
    world = World()
    applied(world, None, Snap(R("b")))
    with pytest.raises(StepFailed, match="not empty"):
        applied(world, Snap(R("b")), Snap())
    applied(world, Snap(R("b", inputs={"bucket": "b", "forceDestroy": True})), Snap())
    assert world.deleted_buckets_with_data == ["b"]
    with pytest.raises(StepFailed, match="resource 'b' does not exist"):
        applied(world, None, Snap(R("b", importId="b")))


def test_the_engine_goes_on_past_a_refused_protected_delete_and_fails_the_up_at_the_end():
    model = Day2Model()
    kept, gone = R("kept", protect=True), R("gone", inputs={"bucket": "gone", "forceDestroy": True})
    assert model.up("s", Snap(kept, gone)).failure is None
    report = model.up("s", Snap())
    assert report.failure is not None and "protected" in str(report.failure)
    assert "gone" not in model.world.buckets and "kept" in model.world.buckets
    assert [r.name for r in model.states["s"].resources] == ["kept"]


# --- Stack files ------------------------------------------------------------------------------------------------------


def tenant_entries(tenants: dict[str, dict[str, Any]]) -> list[Any]:
    return [{"id": tid, **entry} for tid, entry in tenants.items()]


def platform_file(tenants: dict[str, dict[str, Any]], **keys: Any) -> dict[str, Any]:
    return {"tenants": tenant_entries(tenants), **keys}


def up(model: Day2Model, stack: str, overrides: dict[str, Any]) -> UpReport:
    outputs = model.outputs(PLATFORM) if stack != PLATFORM else None
    return model.up(stack, run(stack, overrides, outputs))


def restart_all(model: Day2Model) -> None:
    for (stack, secret), consumer in list(model.consumers.items()):
        if consumer.may_restart:
            model.restart(stack, secret)


def old_generations(retiring: set[str]) -> Callable[..., tuple[rotation.AccessKeyGeneration, ...]]:
    """The key-generation rule of main before issue 15 (components/model/rotation.py `access_key_generations` there):
    the current generation and the one before it, or only the current one while "retire previous" is set (the
    tenant's `retirePreviousKeys`, or the platform's `accessKeys.retirePrevious`, which shards read too: here a
    tenant id in `retiring`, or "*" for the platform's flag)."""

    def generations(settings: Any, tenant: Any, service_id: str) -> tuple[rotation.AccessKeyGeneration, ...]:
        current = rotation.current_generation(settings, tenant, service_id)
        retire = "*" in retiring or tenant.id in retiring
        chosen = [current] if retire or current == rotation.FIRST_GENERATION else [current - 1, current]
        return tuple(
            rotation.AccessKeyGeneration(g, g == current, rotation.access_key_resource_name(tenant.id, service_id, g))
            for g in chosen
        )

    return generations


@contextmanager
def old_behaviour(monkeypatch: pytest.MonkeyPatch, retiring: set[str]) -> Iterator[None]:
    monkeypatch.setattr(components.resources.tenant, "access_key_generations", old_generations(retiring))
    saved = dict(_RUNS)
    _RUNS.clear()  # runs of the old rule are not runs of the real one
    try:
        yield
    finally:
        _RUNS.clear()
        _RUNS.update(saved)
        monkeypatch.undo()


INITECH = {"initech": {"isolation": "bucket"}}


def test_the_model_finds_the_stale_retirement_outage_of_the_old_behaviour(monkeypatch):
    """Rotate, let every pod restart, retire the previous keys, and leave the flag set: the next rotation deletes
    the generation every pod holds."""
    model = Day2Model()
    retiring: set[str] = set()
    with old_behaviour(monkeypatch, retiring):
        assert up(model, PLATFORM, platform_file(INITECH)).unsafe == []
        rotated = {"initech": {"isolation": "bucket", "keyRotation": 1}}
        assert up(model, PLATFORM, platform_file(rotated)).unsafe == []
        restart_all(model)
        retiring.add("initech")  # retirePreviousKeys: true, safe now: every pod holds generation 2
        _RUNS.clear()
        assert up(model, PLATFORM, platform_file(rotated)).unsafe == []
        again = {"initech": {"isolation": "bucket", "keyRotation": 2}}  # ... and the flag is still set
        report = up(model, PLATFORM, platform_file(again))
    revoked = {c.secret for c in report.revoked}
    assert len(revoked) == 11 and "matih-query/minio-trino-initech" in revoked
    assert all(c.holds not in model.world.service_accounts for c in report.revoked)


def test_the_model_finds_the_shard_lag_outage_of_the_old_behaviour(monkeypatch):
    """The platform rotates twice while its shard does not run: the shard's next `up` jumps from generation 1 to 3
    and deletes generation 1, which its pods hold."""
    model = Day2Model()
    with old_behaviour(monkeypatch, set()):
        up(model, PLATFORM, platform_file({}))
        up(model, SHARD, {"tenants": ["hooli"]})
        for rotation_count in (1, 2):
            assert up(model, PLATFORM, platform_file({}, accessKeys={"rotation": rotation_count})).unsafe == []
        report = up(model, SHARD, {"tenants": ["hooli"]})
    assert len(report.revoked) == 11 and {c.stack for c in report.revoked} == {SHARD}


def test_with_the_current_rule_a_lagging_shard_keeps_the_key_its_pods_hold():
    model = Day2Model()
    up(model, PLATFORM, platform_file({}))
    up(model, SHARD, {"tenants": ["hooli"]})
    for rotation_count in (1, 2):
        up(model, PLATFORM, platform_file({}, accessKeys={"rotation": rotation_count}))
    report = up(model, SHARD, {"tenants": ["hooli"]})
    assert report.failure is None and report.unsafe == [] and report.refused == ()
    assert {c.holds for c in model.consumers.values() if c.stack == SHARD} <= set(model.world.service_accounts)


def test_with_the_current_rule_a_retirement_left_in_the_file_keeps_meaning_the_same_keys():
    model = Day2Model()
    up(model, PLATFORM, platform_file({"acme-corp": {"keyRotation": 1}}))
    restart_all(model)
    retired = up(model, PLATFORM, platform_file({"acme-corp": {"keyRotation": 1, "retireKeysThrough": 1}}))
    assert retired.unsafe == [] and [s.op for s in retired.steps].count("delete") == 11
    restart_all(model)
    again = up(model, PLATFORM, platform_file({"acme-corp": {"keyRotation": 2, "retireKeysThrough": 1}}))
    assert again.failure is None and again.unsafe == [] and "delete" not in [s.op for s in again.steps]


def test_a_re_added_tenant_without_adopt_collides_with_its_retained_key_and_adopting_imports_it():
    model = Day2Model()
    tenants = {"acme-corp": {}}
    up(model, PLATFORM, platform_file(tenants))
    up(model, PLATFORM, platform_file({"acme-corp": {"state": "offboarding"}}))
    up(model, PLATFORM, platform_file({}))
    assert "tenant-acme-corp" in model.world.kms_keys  # retainOnDelete: forgotten, not deleted
    failed = up(model, PLATFORM, platform_file(tenants))
    assert failed.collision and "tenant-acme-corp" in str(failed.failure)
    verified = {"adopt": True, "kmsKeyVerified": "tenant-acme-corp"}  # after `mc admin kms key status` (issue 15 F)
    adopted = up(model, PLATFORM, platform_file({"acme-corp": verified}))
    assert adopted.failure is None and ("import", "acme-corp-kms-key") in [(s.op, s.record.name) for s in adopted.steps]


# --- The stateful test ------------------------------------------------------------------------------------------------

POOLS = {PLATFORM: ("acme-corp", "initech", "globex"), SHARD: ("hooli", "umbrella")}
INITIAL = {PLATFORM: {"acme-corp": {}, "initech": {"isolation": "bucket"}}, SHARD: {"hooli": {}}}
# Bounded for `make test`; MATIH_DAY2_EXAMPLES=<n> explores more (and a new seed each run) on a workstation.
EXAMPLES = int(os.environ.get("MATIH_DAY2_EXAMPLES", "0"))


class Day2Sequences(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.model = Day2Model()
        self.files: dict[str, dict[str, dict[str, Any]]] = {}
        self.removed: dict[str, dict[str, dict[str, Any]]] = {PLATFORM: {}, SHARD: {}}
        self.platform_keys: dict[str, Any] = {}
        self.shard_keys: dict[str, Any] = {}

    # The pipeline: the program for the changed stack file, the settings, the plan diff, then `up`.
    def overrides(self, stack: str, files: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
        keys = self.platform_keys if stack == PLATFORM else self.shard_keys
        return {"tenants": tenant_entries(files[stack]), **keys}

    def commit(self, stack: str, tenants: dict[str, dict[str, Any]], **keys: Any) -> UpReport | None:
        files = {**self.files, stack: tenants}
        saved = (dict(self.platform_keys), dict(self.shard_keys))
        (self.platform_keys if stack == PLATFORM else self.shard_keys).update(keys)
        for name in [k for k, v in keys.items() if v is None]:
            (self.platform_keys if stack == PLATFORM else self.shard_keys).pop(name)
        overrides = self.overrides(stack, files)
        try:
            goal = run(stack, overrides, self.model.outputs(PLATFORM) if stack != PLATFORM else None)
        except (ConfigError, ProgramError):
            self.platform_keys, self.shard_keys = saved  # the settings refuse the file: nothing deploys
            event("change refused by the settings")
            return None
        preview = self.model.preview(stack, goal)
        if preview.refused:
            self.platform_keys, self.shard_keys = saved  # the plan diff refuses: the change is not merged
            event(f"change refused by the plan diff: {sorted({r.rule for r in preview.refused})}")
            return None
        # The plan diff must refuse every step the model finds unsafe. A create that collides with a retained
        # object fails the `up` part-way (the real engine's error), and the operator adopts next: allowed, as long
        # as it cut no consumer off and lost no data.
        assert [u for u in preview.unsafe if "collides" not in u] == [], preview.unsafe
        self.files = files
        report = self.model.up(stack, goal)
        assert report.unsafe == preview.unsafe
        event("up failed part-way (collision)" if report.collision else "up failed" if report.failure else "up")
        return report

    def up_only(self, stack: str) -> None:
        self.commit(stack, self.files[stack])

    @initialize()
    def first_ups(self) -> None:
        for stack in (PLATFORM, SHARD):
            report = self.commit(stack, dict(INITIAL[stack]))
            assert report is not None and report.failure is None

    # Tenants come and go. One rule per kind of change, so that a short sequence still mixes them.
    @rule(
        stack=st.sampled_from((PLATFORM, SHARD)),
        action=st.sampled_from(("add", "re-add", "offboard", "purge", "reactivate", "remove", "isolation", "adopt")),
        adopt=st.booleans(),
        data=st.data(),
    )
    def tenant_lifecycle(self, stack: str, action: str, adopt: bool, data: st.DataObject) -> None:
        tenants = self.files[stack]
        if action == "add":
            free = [t for t in POOLS[stack] if t not in tenants and t not in self.removed[stack]]
            if free:
                tenant = data.draw(st.sampled_from(free))
                isolation = data.draw(st.sampled_from(("prefix", "bucket")))
                self.commit(stack, {**tenants, tenant: {"isolation": isolation}})
        elif action == "re-add":
            if self.removed[stack]:
                tenant = data.draw(st.sampled_from(sorted(self.removed[stack])))
                entry = _without(self.removed[stack][tenant], "state", "purgeAcknowledged")
                returning = {**entry, "adopt": adopt} | ({"kmsKeyVerified": f"tenant-{tenant}"} if adopt else {})
                if self.commit(stack, {**tenants, tenant: returning}) is not None:
                    del self.removed[stack][tenant]
        elif tenants:
            tenant = data.draw(st.sampled_from(sorted(tenants)))
            entry = _without(tenants[tenant], "state", "purgeAcknowledged")
            if action == "remove":
                if self.commit(stack, _without(tenants, tenant)) is not None:
                    self.removed[stack][tenant] = tenants[tenant]
                return
            if action == "offboard":
                entry["state"] = "offboarding"
            elif action == "purge":
                entry |= {"state": "purge", "purgeAcknowledged": tenant}
            elif action == "isolation":
                entry["isolation"] = "prefix" if entry.get("isolation") == "bucket" else "bucket"
            elif action == "adopt":  # what the operator does after a re-add collided: adopt what exists
                entry |= {"adopt": True, "kmsKeyVerified": f"tenant-{tenant}"}
            self.commit(stack, {**tenants, tenant: entry})

    # Keys rotate and retire, at every level; an operator rotates or retires once every pod the keys reach has
    # restarted onto the current Secret (the README's procedure), and may leave a retirement in the file.
    @rule(
        stack=st.sampled_from((PLATFORM, SHARD)),
        level=st.sampled_from(("platform", "tenant", *SERVICES)),
        data=st.data(),
    )
    def rotate_keys(self, stack: str, level: str, data: st.DataObject) -> None:
        if level == "platform":
            if self._all_restarted(PLATFORM):
                access_keys = dict(self.platform_keys.get("accessKeys", {}))
                access_keys["rotation"] = access_keys.get("rotation", 0) + 1
                self.commit(PLATFORM, self.files[PLATFORM], accessKeys=access_keys)
            return
        if not self.files[stack]:
            return
        tenant = data.draw(st.sampled_from(sorted(self.files[stack])))
        if not self._all_restarted(stack, tenant):
            return
        entry = dict(self.files[stack][tenant])
        if level == "tenant":
            entry["keyRotation"] = entry.get("keyRotation", 0) + 1
        else:
            per_service = dict(entry.get("serviceKeyRotation", {}))
            per_service[level] = per_service.get(level, 0) + 1
            entry["serviceKeyRotation"] = per_service
        self.commit(stack, {**self.files[stack], tenant: entry})

    @rule(stack=st.sampled_from((PLATFORM, SHARD)), level=st.sampled_from(("stack", "tenant")), data=st.data())
    def retire_keys(self, stack: str, level: str, data: st.DataObject) -> None:
        if level == "stack":
            if not self._all_restarted(stack):
                return
            keys = self.platform_keys if stack == PLATFORM else self.shard_keys
            access_keys = dict(keys.get("accessKeys", {}))
            if NAMED_RETIREMENT:
                access_keys["retireThrough"] = self.platform_keys.get("accessKeys", {}).get("rotation", 0)
            elif stack == PLATFORM:
                access_keys["retirePrevious"] = True  # the old boolean (shards read the platform's)
            else:
                return
            self.commit(stack, self.files[stack], accessKeys=access_keys)
            return
        if not self.files[stack]:
            return
        tenant = data.draw(st.sampled_from(sorted(self.files[stack])))
        if self._all_restarted(stack, tenant):
            entry = dict(self.files[stack][tenant])
            if NAMED_RETIREMENT:
                entry["retireKeysThrough"] = self._lowest_current(stack, tenant) - 1
            else:
                entry["retirePreviousKeys"] = True
            self.commit(stack, {**self.files[stack], tenant: entry})

    @rule()
    def rotate_root_credentials(self) -> None:
        rotation_count = self.platform_keys.get("rootCredentialsRotation", 0) + 1
        self.commit(PLATFORM, self.files[PLATFORM], rootCredentialsRotation=rotation_count)

    # Shards catch up (or not: every other rule leaves them behind), pods restart (or not).
    @rule()
    def shard_up(self) -> None:
        self.up_only(SHARD)

    @precondition(lambda self: any(c.may_restart for c in self.model.consumers.values()))
    @rule(data=st.data())
    def restart_pods(self, data: st.DataObject) -> None:
        waiting = sorted({(c.stack, c.tenant) for c in self.model.consumers.values() if c.may_restart})
        stack, tenant = data.draw(st.sampled_from(waiting))
        for (s, secret), consumer in list(self.model.consumers.items()):
            if s == stack and consumer.tenant == tenant and consumer.may_restart:
                self.model.restart(s, secret)

    def _all_restarted(self, stack: str, tenant: str | None = None) -> bool:
        return not any(
            c.may_restart
            for c in self.model.consumers.values()
            if (c.stack == stack or stack == PLATFORM) and tenant in (None, c.tenant)
        )

    def _lowest_current(self, stack: str, tenant: str) -> int:
        """The oldest current generation among the tenant's keys: SERVICES rotate some of the 11, never all."""
        platform = self.platform_keys.get("accessKeys", {}).get("rotation", 0)
        return 1 + platform + self.files[stack][tenant].get("keyRotation", 0)

    @invariant()
    def no_consumer_holds_a_revoked_credential(self) -> None:
        assert self.model.revoked() == []

    @invariant()
    def no_bucket_with_data_was_deleted_without_a_purge_acknowledgement(self) -> None:
        assert self.model.data_lost == []


def _without(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k not in keys}


TestDay2Sequences = Day2Sequences.TestCase
TestDay2Sequences.settings = settings(
    max_examples=EXAMPLES or 3,
    stateful_step_count=8,
    deadline=None,
    derandomize=not EXAMPLES,  # the same sequences in CI, so a failure there is one a re-run shows again
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- Day-2 at scale: the checkpoint the diy backend writes, and the shard size derived from it ---------------------


@pytest.fixture(scope="module")
def costs_at_ten():
    inventory = run_stack(PLATFORM, {"tenants": bench.generated_tenants(10)})
    return bench.checkpoint_cost(PLATFORM, 10, inventory)


def test_a_change_writes_the_whole_checkpoint_twice_per_changing_step(costs_at_ten):
    writes, written = costs_at_ten.add_tenant
    # One prefix tenant: its component, KMS key, 11 access keys and 11 Secrets, each a create of two writes.
    assert writes == 2 * 24
    assert costs_at_ten.checkpoint * writes < written < (costs_at_ten.checkpoint + 200_000) * writes
    rotation_writes, rotation_bytes = costs_at_ten.rotation
    assert rotation_writes == 2 * 10 * 22  # per tenant 11 new keys and 11 Secrets updated in place
    assert rotation_bytes > costs_at_ten.checkpoint * rotation_writes


def test_the_shard_size_is_what_the_write_budget_allows(costs_at_ten):
    """components/model/sharding.py's constant follows from the measured cost (the bench fits every row it measures; ten
    tenants alone over-estimate the square term a little, so the bound is a range)."""
    derived = shard_size([costs_at_ten])
    assert MAX_TENANTS_PER_STACK <= derived < MAX_TENANTS_PER_STACK * 1.25


def test_a_stack_past_the_shard_size_gets_an_advisory():
    def tenants(count: int) -> list[Any]:
        return [resource("matih:tenancy:Tenant", {"state": "active"}, f"t{i}") for i in range(count)]

    limit = MAX_TENANTS_PER_STACK
    assert violations("stack-within-shard-size", *tenants(limit)) == []
    (message,) = violations("stack-within-shard-size", *tenants(limit + 1))
    assert f"{limit + 1} tenants in one stack, more than the shard size {limit}" in message
