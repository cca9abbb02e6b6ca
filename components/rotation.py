"""Which generations of a tenant's access keys exist: rotation without downtime, as plain data.

A rotation creates a new access key (a new MinIO service account) and points the tenant's Secrets at it, while the
previous generation stays declared, and therefore valid, until the next rotation or an explicit retire. Pods that
have not restarted keep working with the key they read at start.

Rotation is always a new resource, never an in-place change: terraform-provider-minio v1.20.1 updates a service
account in place when its policy changes (`minioUpdateServiceAccount`, resource_minio_service_account.go; only
`target_user` is ForceNew), and its `update_secret` flag replaces the secret key of the same access key in place,
which would invalidate every running pod's credentials at once.

The generation of a (tenant, service) key is 1 + every rotation counter that applies to it: the platform's
`accessKeys.rotation`, the tenant's `keyRotation` and its `serviceKeyRotation.<service>`. So bumping any one of
them by one rotates exactly the keys it covers. Counters only grow, by one per `up`: the program keeps no memory
of earlier runs, so "previous" means generation N-1.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.settings import TenantContext, TenantSettings

FIRST_GENERATION = 1


@dataclass(frozen=True)
class AccessKeyGeneration:
    generation: int
    current: bool  # the one the tenant's Secrets carry
    resource_name: str


def access_key_resource_name(tenant_id: str, service_id: str, generation: int) -> str:
    # Generation 1 keeps the name keys had before rotation existed, so deploying this changes no existing key.
    base = f"{tenant_id}-{service_id}-access-key"
    return base if generation == FIRST_GENERATION else f"{base}-g{generation}"


def current_generation(settings: TenantContext, tenant: TenantSettings, service_id: str) -> int:
    return (
        FIRST_GENERATION
        + settings.access_keys.rotation
        + tenant.key_rotation
        + tenant.service_key_rotation.get(service_id, 0)
    )


def access_key_generations(
    settings: TenantContext, tenant: TenantSettings, service_id: str
) -> tuple[AccessKeyGeneration, ...]:
    """The keys to declare for one service of a tenant, oldest first; the last one is current."""
    current = current_generation(settings, tenant, service_id)
    retire = settings.access_keys.retire_previous or tenant.retire_previous_keys
    generations = [current] if retire or current == FIRST_GENERATION else [current - 1, current]
    return tuple(
        AccessKeyGeneration(g, g == current, access_key_resource_name(tenant.id, service_id, g)) for g in generations
    )
