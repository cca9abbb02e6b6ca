"""Access-key generations as pure data: counters add up, older keys overlap until retired through a generation."""

from __future__ import annotations

from components.model.config import load_settings
from components.model.rotation import AccessKeyGeneration, access_key_generations, access_key_resource_name
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
