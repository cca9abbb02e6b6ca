"""Key retirement that cannot go stale (issue 15, findings A and B): retirement names a generation, settings refuse
retiring a current key, the plan diff refuses deleting the key a Secret carries, and a shard behind its platform
keeps the generation its Secrets carried."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.model import rotation
from components.model.config import ConfigError, Settings, load_settings, load_shard_settings
from components.model.platform_ref import TENANT_PLATFORM_OUTPUT, shard_context, tenant_platform
from tools.change_risks import assess
from tools.engine import Inventory, project_config_values, run_stack

SERVICE_ACCOUNT = "minio:index/iamServiceAccount:IamServiceAccount"
PROD_TENANTS = ["acme-corp", "globex", {"id": "initech", "isolation": "bucket", "quota": "2Ti"}]
SHARD = "prod-tenants-1"


def initech(**fields: Any) -> list[Any]:
    return [*PROD_TENANTS[:2], {**PROD_TENANTS[2], **fields}]


def settings_with(**changes: Any) -> Settings:
    config = copy.deepcopy(project_config_values("prod"))
    config.update(changes)
    return load_settings(config, "prod")


def problems_with(**changes: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        settings_with(**changes)
    return caught.value.problems


def declared(settings: Any, tenant: Any, service: str = "trino") -> list[int]:
    return [g.generation for g in rotation.access_key_generations(settings, tenant, service)]


def carried(settings: Any, tenant: Any, service: str = "trino") -> int:
    return rotation.current_generation(settings, tenant, service)


# --- A: a retirement left in the stack file ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # rotate and retire the first generation, then rotate again with the retirement still set
        (
            {"tenants": initech(keyRotation=1, retireKeysThrough=1)},
            {"tenants": initech(keyRotation=2, retireKeysThrough=1)},
        ),
        (
            {"tenants": initech(serviceKeyRotation={"trino": 1}, serviceRetireKeysThrough={"trino": 1})},
            {"tenants": initech(serviceKeyRotation={"trino": 2}, serviceRetireKeysThrough={"trino": 1})},
        ),
        (
            {"accessKeys": {"rotation": 1, "retireThrough": 1}},
            {"accessKeys": {"rotation": 2, "retireThrough": 1}},
        ),
    ],
    ids=["tenant", "service", "platform"],
)
def test_a_retirement_left_set_keeps_the_generation_the_last_up_made_current(first, second):
    before, after = settings_with(**first), settings_with(**second)
    held = carried(before, before.tenants[2])
    assert declared(before, before.tenants[2]) == [held]
    assert held in declared(after, after.tenants[2])  # every pod started since the last up holds it
    assert declared(after, after.tenants[2]) == [held, held + 1]


@pytest.mark.parametrize(
    ("changes", "key", "replacement"),
    [
        (
            {"tenants": initech(keyRotation=1, retirePreviousKeys=True)},
            "tenants[2].retirePreviousKeys",
            "retireKeysThrough",
        ),
        (
            {"accessKeys": {"rotation": 1, "retirePrevious": True}},
            "accessKeys.retirePrevious",
            "accessKeys.retireThrough",
        ),
    ],
)
def test_the_old_boolean_is_refused_naming_its_replacement(changes, key, replacement):
    (problem,) = problems_with(**changes)
    assert problem.startswith(f"matih-minio:{key}: got true; must be absent: replaced by {replacement}"), problem


def test_a_shard_still_using_the_old_boolean_is_told_its_replacement():
    config = copy.deepcopy(project_config_values(SHARD))
    config["accessKeys"] = {"retirePrevious": True}
    config["tenants"] = [*config["tenants"][:2], {"id": "umbrella", "isolation": "bucket", "retirePreviousKeys": False}]
    with pytest.raises(ConfigError) as caught:
        load_shard_settings(config, SHARD)
    assert sorted(p.split(": got")[0] for p in caught.value.problems) == [
        "matih-minio:accessKeys.retirePrevious",
        "matih-minio:tenants[2].retirePreviousKeys",
    ]
    assert all("replaced by" in p for p in caught.value.problems)


@pytest.mark.parametrize(
    ("tenant", "access_keys", "accepted"),
    [
        ({"keyRotation": 1, "retireKeysThrough": 1}, {}, True),  # the previous generation: the last allowed
        ({"keyRotation": 1, "retireKeysThrough": 2}, {}, False),  # the current one: refused
        ({"serviceKeyRotation": {"trino": 1}, "retireKeysThrough": 1}, {}, False),  # spark's current is 1
        ({"serviceKeyRotation": {"trino": 1}, "serviceRetireKeysThrough": {"trino": 1}}, {}, True),
        ({"serviceKeyRotation": {"trino": 1}, "serviceRetireKeysThrough": {"trino": 2}}, {}, False),
        ({}, {"rotation": 1, "retireThrough": 1}, True),
        ({}, {"rotation": 1, "retireThrough": 2}, False),
        ({"keyRotation": 5, "retireKeysThrough": 3}, {}, True),
    ],
)
def test_settings_refuse_retiring_a_current_generation(tenant, access_keys, accepted):
    changes: dict[str, Any] = {"tenants": initech(**tenant)}
    if access_keys:
        changes["accessKeys"] = access_keys
    if accepted:
        settings_with(**changes)
        return
    (problem,) = problems_with(**changes)
    key, rule = problem.split(": got ", 1)
    assert key.endswith(("retireKeysThrough", "serviceRetireKeysThrough.trino", "accessKeys.retireThrough")), problem
    assert "must be below" in rule or "must be at most accessKeys.rotation" in rule, problem


def test_a_retirement_of_the_current_generation_names_the_key_and_the_limit():
    (problem,) = problems_with(tenants=initech(keyRotation=1, retireKeysThrough=2))
    assert problem.startswith("matih-minio:tenants[id=initech].retireKeysThrough: got 2; must be below 2"), problem
    (problem,) = problems_with(accessKeys={"rotation": 1, "retireThrough": 2})
    assert problem.startswith("matih-minio:accessKeys.retireThrough: got 2; must be at most accessKeys.rotation (1)")


def test_live_generations_are_bounded_on_both_sides():
    widest = settings_with(tenants=initech(keyRotation=2))
    assert declared(widest, widest.tenants[2]) == [1, 2, 3]  # three generations: the last allowed
    (problem,) = problems_with(tenants=initech(keyRotation=3))  # four generations: refused
    assert problem.startswith("matih-minio:tenants[id=initech].retireKeysThrough: got nothing; must be at least 1")
    assert "the keys of every service at generation 4" in problem
    retired = settings_with(tenants=initech(keyRotation=3, retireKeysThrough=1))
    assert declared(retired, retired.tenants[2]) == [2, 3, 4]


def test_an_offboarded_tenant_declares_no_keys_so_its_counters_are_not_checked():
    settings_with(tenants=initech(keyRotation=9, state="offboarding"))


# --- A: the plan diff sees what the program cannot (the last up) ----------------------------------------------------


def _key_in_use(base: Inventory, head: Inventory) -> list[tuple[str, str]]:
    return sorted((r.severity, r.subject) for r in assess(base, head).risks if r.rule == "key-in-use")


def test_the_plan_diff_refuses_deleting_the_generation_the_secrets_carry(prod_inventory):
    # Rotating and retiring through the generation the Secrets carry in one change: settings cannot tell (no memory).
    head = run_stack(
        "prod", {"tenants": initech(serviceKeyRotation={"trino": 1}, serviceRetireKeysThrough={"trino": 1})}
    )
    assert _key_in_use(prod_inventory, head) == [("refused", "initech-trino-access-key")]


def test_the_plan_diff_lets_an_older_generation_retire(prod_inventory):
    rotated = run_stack("prod", {"tenants": initech(serviceKeyRotation={"trino": 1})})
    retired = run_stack(
        "prod", {"tenants": initech(serviceKeyRotation={"trino": 1}, serviceRetireKeysThrough={"trino": 1})}
    )
    assert _key_in_use(prod_inventory, rotated) == []
    assert _key_in_use(rotated, retired) == []  # generation 1 is no longer in any Secret
    assert "initech-trino-access-key" not in {r.name for r in retired.of_type(SERVICE_ACCOUNT)}


def test_offboarding_revokes_on_purpose_and_is_no_key_in_use_refusal(prod_inventory):
    head = run_stack("prod", {"tenants": initech(state="offboarding")})
    assert _key_in_use(prod_inventory, head) == []


# --- B: shards and their platform ----------------------------------------------------------------------------------


def _shard_context(prod: Settings, shard_changes: dict[str, Any] | None = None) -> Any:
    config = copy.deepcopy(project_config_values(SHARD))
    config.update(shard_changes or {})
    shard = load_shard_settings(config, SHARD)
    return shard, shard_context(shard, tenant_platform(prod), [])


def test_the_platform_exports_its_rotation_but_not_its_retirement():
    prod = settings_with(accessKeys={"rotation": 2, "retireThrough": 2})
    assert tenant_platform(prod)["accessKeys"] == {"rotation": 2}
    _, context = _shard_context(prod)
    assert (context.access_keys.rotation, context.access_keys.retire_through) == (2, 0)


@pytest.mark.parametrize("lag", [1, 2])
def test_a_shard_behind_its_platform_keeps_the_generation_its_secrets_carried(lag):
    """The platform rotates (and retires) `lag` times while the shard does not run; the shard's next up must keep
    what its Secrets carried at its own last up."""
    own = {"accessKeys": {"retireThrough": 1}}  # the shard retired generation 1 at its last up; its Secrets carry 2
    shard, before = _shard_context(settings_with(accessKeys={"rotation": 1}), own)
    held = {t.id: carried(before, t) for t in shard.tenants}
    assert set(held.values()) == {2}
    platform_now = settings_with(accessKeys={"rotation": 1 + lag, "retireThrough": 1 + lag})
    _, after = _shard_context(platform_now, own)
    for tenant in shard.tenants:
        assert held[tenant.id] in declared(after, tenant), (tenant.id, lag)


def test_a_shard_decides_its_own_retirement_against_the_platform_rotation():
    prod = settings_with(accessKeys={"rotation": 2})
    shard, context = _shard_context(prod, {"accessKeys": {"retireThrough": 2}})
    assert [declared(context, t) for t in shard.tenants] == [[3]] * len(shard.tenants)
    config = copy.deepcopy(project_config_values(SHARD)) | {"accessKeys": {"retireThrough": 3}}
    with pytest.raises(ConfigError) as caught:
        shard_context(load_shard_settings(config, SHARD), tenant_platform(prod), [])
    (problem,) = caught.value.problems
    assert problem.startswith("matih-minio:accessKeys.retireThrough: got 3; must be at most the platform's"), problem


def test_a_shard_cannot_rotate_the_platform_counter():
    config = copy.deepcopy(project_config_values(SHARD)) | {"accessKeys": {"rotation": 1}}
    with pytest.raises(ConfigError) as caught:
        load_shard_settings(config, SHARD)
    (problem,) = caught.value.problems
    assert problem.startswith("matih-minio:accessKeys.rotation: got 1; must be absent in a tenant shard"), problem


def test_a_shard_whose_retirement_lags_too_far_is_told_to_retire_not_cut_off():
    """Three platform rotations behind with nothing retired: four live generations; the shard refuses to run and
    names the retirement instead of deleting anything."""
    shard = load_shard_settings(project_config_values(SHARD), SHARD)
    with pytest.raises(ConfigError) as caught:
        shard_context(shard, tenant_platform(settings_with(accessKeys={"rotation": 3})), [])
    assert len(caught.value.problems) == len(shard.tenants)
    assert all("must be at least 1" in p for p in caught.value.problems)


def test_the_shard_program_reads_the_rotation_through_its_stack_reference():
    inventory = run_stack(SHARD)
    assert inventory.outputs["platformStack"]
    platform = run_stack("prod").outputs[TENANT_PLATFORM_OUTPUT]
    assert platform["accessKeys"] == {"rotation": 0}
