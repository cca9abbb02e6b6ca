"""Which generations of a tenant's access keys exist: rotation without downtime, as plain data.

A rotation creates a new access key (a new MinIO service account) and points the tenant's Secrets at it, while the
older generations stay declared, and therefore valid, until they are retired *by name*. Pods that have not restarted
keep working with the key they read at start.

Rotation is always a new resource, never an in-place change: terraform-provider-minio v1.20.1 updates a service
account in place when its policy changes (`minioUpdateServiceAccount`, resource_minio_service_account.go; only
`target_user` is ForceNew), and its `update_secret` flag replaces the secret key of the same access key in place,
which would invalidate every running pod's credentials at once.

The generation of a (tenant, service) key is 1 + every rotation counter that applies to it: the platform's
`accessKeys.rotation`, the tenant's `keyRotation` and its `serviceKeyRotation.<service>`. So bumping any one of
them by one rotates exactly the keys it covers.

Retirement names a generation: `accessKeys.retireThrough: N` (a platform's own tenants; a shard's own
`accessKeys.retireThrough` for its tenants) and a tenant's `retireKeysThrough: N` delete every generation up to N.
The program keeps no memory of earlier runs, so a retirement must not depend on one: a number left in the stack
file keeps meaning the same keys after any later rotation, however many rotations a shard missed, whereas the
former `retirePreviousKeys: true` meant "all but the current" and, left set, deleted the key every pod held at the
next rotation (MinIO's `DeleteServiceAccount` revokes at once: RELEASE.2024-12-18T13-15-44Z cmd/iam.go
`DeleteServiceAccount`). Nothing is retired implicitly: a shard that jumps two platform rotations keeps the
generation its Secrets carried. What the program cannot know, the generation the Secrets carried at the last
`up`, the plan diff checks (tools/change_risks.py `_key_in_use_risks`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.catalog import consuming_services

if TYPE_CHECKING:  # settings imports this module for its checks
    from components.model.config import AccessKeySettings, TenantContext, TenantSettings

FIRST_GENERATION = 1
# At most this many generations of one (tenant, service) key are declared at once: enough for a rotation while the
# previous one is still being rolled out, or a shard one platform rotation behind; a wider window asks for a
# retirement instead of creating keys nobody will hold (a fresh tenant with keyRotation: 1000 must not make 1001).
MAX_LIVE_GENERATIONS = 3


@dataclass(frozen=True)
class AccessKeyGeneration:
    generation: int
    current: bool  # the one the tenant's Secrets carry
    resource_name: str


def access_key_resource_name(tenant_id: str, service_id: str, generation: int) -> str:
    # Generation 1 keeps the name keys had before rotation existed, so deploying this changes no existing key.
    base = f"{tenant_id}-{service_id}-access-key"
    return base if generation == FIRST_GENERATION else f"{base}-g{generation}"


def _current(access_keys: AccessKeySettings, tenant: TenantSettings, service_id: str) -> int:
    return (
        FIRST_GENERATION + access_keys.rotation + tenant.key_rotation + tenant.service_key_rotation.get(service_id, 0)
    )


def current_generation(settings: TenantContext, tenant: TenantSettings, service_id: str) -> int:
    return _current(settings.access_keys, tenant, service_id)


def retired_through(access_keys: AccessKeySettings, tenant: TenantSettings, service_id: str) -> int:
    """The newest generation retired for this (tenant, service) key (0: none)."""
    return max(
        access_keys.retire_through,
        tenant.retire_keys_through,
        tenant.service_retire_keys_through.get(service_id, 0),
    )


def access_key_generations(
    settings: TenantContext, tenant: TenantSettings, service_id: str
) -> tuple[AccessKeyGeneration, ...]:
    """The keys to declare for one service of a tenant, oldest first; the last one is current."""
    current = current_generation(settings, tenant, service_id)
    oldest = max(FIRST_GENERATION, retired_through(settings.access_keys, tenant, service_id) + 1)
    # Settings refuse both (retirement_problems); were they bypassed, deleting the current key must not follow.
    if oldest > current or current - oldest + 1 > MAX_LIVE_GENERATIONS:
        problems = retirement_problems(settings.access_keys, [tenant])
        raise ValueError(f"unchecked key retirement for tenant {tenant.id}: {problems}")
    return tuple(
        AccessKeyGeneration(g, g == current, access_key_resource_name(tenant.id, service_id, g))
        for g in range(oldest, current + 1)
    )


def retirement_problems(
    access_keys: AccessKeySettings, tenants: Iterable[TenantSettings], *, rotation_key: str = "accessKeys.rotation"
) -> list[str]:
    """Every retirement that would delete a current key, and every key whose unretired generations exceed
    MAX_LIVE_GENERATIONS; each names the key, the value and what is allowed. `rotation_key` says where the platform
    counter comes from (a shard reads it from its platform stack)."""
    from components.model.config import PROJECT

    problems: list[str] = []
    if access_keys.retire_through > access_keys.rotation:
        problems.append(
            f"{PROJECT}:accessKeys.retireThrough: got {access_keys.retire_through}; must be at most {rotation_key} "
            f"({access_keys.rotation}): generation {access_keys.rotation + 1} is the current key of every tenant not "
            "rotated on its own, and retiring it would cut off every pod that holds it"
        )
    for tenant in tenants:
        if tenant.state == "active":  # offboarding and purge declare no keys (components/model/offboarding.py)
            problems += _tenant_retirement_problems(access_keys, tenant)
    return problems


def _tenant_retirement_problems(access_keys: AccessKeySettings, tenant: TenantSettings) -> list[str]:
    from components.model.config import PROJECT

    currents = {service: _current(access_keys, tenant, service) for service in consuming_services()}
    entry = f"{PROJECT}:tenants[id={tenant.id}]"
    lowest = min(currents, key=lambda s: (currents[s], s))
    if tenant.retire_keys_through >= currents[lowest]:
        return [
            f"{entry}.retireKeysThrough: got {tenant.retire_keys_through}; must be below {currents[lowest]}, the "
            f"current generation of tenant {tenant.id}'s {lowest} key (its Secret carries it): retire only "
            "generations older than the current (serviceRetireKeysThrough.<service> retires one service's)"
        ]
    problems: list[str] = []
    for service, mark in sorted(tenant.service_retire_keys_through.items()):
        if mark >= currents[service]:
            problems.append(
                f"{entry}.serviceRetireKeysThrough.{service}: got {mark}; must be below {currents[service]}, the "
                f"current generation of tenant {tenant.id}'s {service} key (its Secret carries it)"
            )
    if problems or access_keys.retire_through > access_keys.rotation:
        return problems
    wide = {
        service: current - MAX_LIVE_GENERATIONS
        for service, current in currents.items()
        if current - retired_through(access_keys, tenant, service) > MAX_LIVE_GENERATIONS
    }
    if wide:
        needed = max(wide.values())
        keys = ", ".join(f"{service} at generation {currents[service]}" for service in sorted(wide))
        if len(wide) == len(currents) and len(set(currents.values())) == 1:
            keys = f"of every service at generation {currents[min(wide)]}"
        problems.append(
            f"{entry}.retireKeysThrough: got {tenant.retire_keys_through or 'nothing'}; must be at least {needed} "
            f"(or accessKeys.retireThrough, or serviceRetireKeysThrough.<service> for each key): the keys {keys} "
            f"would keep more than {MAX_LIVE_GENERATIONS} generations live; never retire the generation a Secret "
            "carried at the last up (the plan diff refuses that)"
        )
    return problems
