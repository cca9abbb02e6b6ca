"""Access-key generations as pure data: counters add up, older keys overlap until retired through a generation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from components.model.config import AccessKeySettings, TenantSettings, load_settings
from components.model.rotation import (
    AccessKeyGeneration,
    access_key_generations,
    access_key_resource_name,
    retirement_problems,
)
from tests.test_settings import with_changes


def settings_with(rotation: int = 0, retire_through: int = 0, **tenant: object):
    config = with_changes(
        "prod",
        accessKeys={"rotation": rotation, "retireThrough": retire_through},
        tenants=[{"id": "acme", "isolation": "prefix", **tenant}],
    )
    settings = load_settings(config, "prod")
    return settings, settings.tenants[0]


def names(settings, tenant, service="spark"):
    return [(g.generation, g.current, g.resource_name) for g in access_key_generations(settings, tenant, service)]


def test_the_first_generation_keeps_the_name_keys_had_before_rotation():
    assert access_key_resource_name("acme", "spark", 1) == "acme-spark-access-key"
    assert access_key_resource_name("acme", "spark", 2) == "acme-spark-access-key-g2"
    assert names(*settings_with()) == [(1, True, "acme-spark-access-key")]


def test_a_rotation_keeps_the_previous_key_beside_the_new_one():
    assert names(*settings_with(rotation=1)) == [
        (1, False, "acme-spark-access-key"),
        (2, True, "acme-spark-access-key-g2"),
    ]


def test_platform_tenant_and_service_counters_add_up():
    settings, tenant = settings_with(
        rotation=1,
        keyRotation=2,
        serviceKeyRotation={"spark": 3},
        retireKeysThrough=2,
        serviceRetireKeysThrough={"spark": 5},
    )
    assert names(settings, tenant) == [(6, False, "acme-spark-access-key-g6"), (7, True, "acme-spark-access-key-g7")]
    # Another service is not bumped by spark's own counter, nor retired by spark's own retirement.
    assert [g.generation for g in access_key_generations(settings, tenant, "trino")] == [3, 4]


def test_retiring_through_a_generation_platform_wide_or_per_tenant():
    assert names(*settings_with(rotation=1, retire_through=1)) == [(2, True, "acme-spark-access-key-g2")]
    assert names(*settings_with(rotation=1, retireKeysThrough=1)) == [(2, True, "acme-spark-access-key-g2")]
    assert access_key_generations(*settings_with(rotation=1), "spark")[-1] == AccessKeyGeneration(
        2, True, "acme-spark-access-key-g2"
    )


# --- What the mutation run of components/model/rotation.py found unpinned (issue 18) ---------------------------------
# The rules below are written from the rotation model (generation = 1 + the counters; at most 3 live), not read from
# the messages: each assertion names the number or the key a user must act on.


class _Context:
    """A TenantContext that bypasses the settings' checks, as a caller that forgot them would."""

    def __init__(self, access_keys: AccessKeySettings):
        self.access_keys = access_keys


def test_a_platform_retirement_past_the_rotation_names_the_current_generation():
    # rotation 2: every unrotated tenant's current key is generation 3; retireThrough 3 would delete it.
    (problem,) = retirement_problems(AccessKeySettings(rotation=2, retire_through=3), [])
    assert "got 3; must be at most accessKeys.rotation (2)" in problem
    assert "generation 3 is the current key" in problem


def test_declaring_keys_past_the_settings_checks_refuses_a_retired_current_key():
    tenant = TenantSettings(id="acme", isolation="prefix", retire_keys_through=1)
    with pytest.raises(ValueError, match="unchecked key retirement for tenant acme"):
        access_key_generations(_Context(AccessKeySettings()), tenant, "spark")


def test_declaring_keys_past_the_settings_checks_refuses_a_window_wider_than_three():
    # Generation 5 current, nothing retired: 5 live generations where at most 3 may be.
    tenant = TenantSettings(id="acme", isolation="prefix", key_rotation=4)
    with pytest.raises(ValueError, match="unchecked key retirement for tenant acme") as caught:
        access_key_generations(_Context(AccessKeySettings()), tenant, "spark")
    assert "retireKeysThrough" in str(caught.value)
    # Three live generations are the limit itself: accepted.
    assert len(access_key_generations(_Context(AccessKeySettings()), replace(tenant, key_rotation=2), "spark")) == 3


def test_a_tenant_retirement_names_the_service_with_the_lowest_current_generation():
    # backup-jobs sorts first but is rotated on its own (generation 3); every other service is at generation 1, so
    # retiring through 1 cuts off the first of those, bi-service.
    tenant = TenantSettings(
        id="acme", isolation="prefix", retire_keys_through=1, service_key_rotation={"backup-jobs": 2}
    )
    (problem,) = retirement_problems(AccessKeySettings(), [tenant])
    assert (
        "retireKeysThrough: got 1; must be below 1, the current generation of tenant acme's bi-service key" in problem
    )


def test_a_window_too_wide_for_some_services_lists_each_with_its_generation():
    # spark rotated 3 times on its own: generations 1..4 live, one too many; the other services stay at 1.
    tenant = TenantSettings(id="acme", isolation="prefix", service_key_rotation={"spark": 3})
    (problem,) = retirement_problems(AccessKeySettings(), [tenant])
    assert "must be at least 1" in problem
    assert "the keys spark at generation 4 would keep more than 3 generations live" in problem


def test_a_window_too_wide_for_every_service_says_so_once():
    tenant = TenantSettings(id="acme", isolation="prefix", key_rotation=3)
    (problem,) = retirement_problems(AccessKeySettings(), [tenant])
    assert "the keys of every service at generation 4 would keep more than 3 generations live" in problem
