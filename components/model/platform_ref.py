"""What a platform stack hands its tenant shards, as plain data. No Pulumi here.

The platform exports `tenant_platform(settings)` as the stack output `tenantPlatform`; a shard reads it through a
`pulumi.StackReference` and `shard_context` turns it, with the shard's own settings, into the `TenantContext` its
Tenant components are built from. Nothing in it is secret: the shard reads MinIO's root credentials from the
Kubernetes Secret the output names (see `components/programs/shard.py`), never from an output.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from components.catalog import BUCKET_NAMES, consuming_services
from components.model.chart_values import secret_names
from components.model.config import (
    PLATFORM_STACK_KEY,
    PROJECT,
    AccessKeySettings,
    BucketOptions,
    ConfigError,
    KmsSettings,
    Settings,
    ShardSettings,
    TrinoSettings,
    adoption_problems,
)
from components.model.naming import service_parent_user
from components.model.rotation import retirement_problems

TENANT_PLATFORM_OUTPUT = "tenantPlatform"
# Raised when the output's shape changes, so that a shard never misreads an older or newer platform.
# 2: `accessKeys` carries the rotation only; retiring keys is each shard's own decision (accessKeys.retireThrough).
CONTRACT_VERSION = 2
KMS_MODES = ("none", "static", "kes")


def tenant_platform(settings: Settings) -> dict[str, Any]:
    """The `tenantPlatform` output of a platform stack: everything a shard's tenants need, no secret."""
    return {
        "version": CONTRACT_VERSION,
        "s3Endpoint": settings.s3_endpoint_url,
        "tls": settings.tls.enabled,
        "region": settings.region,
        "kms": {"mode": settings.kms.mode, "keyName": settings.kms.key_name},
        "parentUsers": {service: service_parent_user(service) for service in consuming_services()},
        # A tenant's dedicated buckets get the platform's options wherever the tenant lives, so moving it between
        # stacks never changes (or, for object locking, cannot change) a bucket.
        "buckets": {
            name: {
                "versioning": options.versioning,
                "objectLocking": options.object_locking,
                "expiryDays": options.expiry_days,
                "noncurrentVersionExpiryDays": options.noncurrent_version_expiry_days,
            }
            for name, options in settings.buckets.items()
        },
        "temporaryObjectExpiryDays": settings.temporary_object_expiry_days,
        # Platform-wide key rotation reaches shard tenants too; their key resource names follow the generation.
        # The platform's retirement does not: a shard may be behind (its Secrets still carry an older generation),
        # so only the shard's own accessKeys.retireThrough retires its tenants' keys (components/model/rotation.py).
        "accessKeys": {"rotation": settings.access_keys.rotation},
        "protect": settings.protect,
        "rootCredentialsSecret": {"namespace": settings.namespace, "name": secret_names(settings).root_credentials},
    }


@dataclass(frozen=True)
class SecretLocation:
    namespace: str
    name: str


@dataclass(frozen=True)
class ShardContext:
    """A shard's `TenantContext`: the platform's facts plus the shard's own tenant-side settings."""

    kms: KmsSettings
    region: str
    s3_endpoint_url: str
    protect: bool
    service_namespaces: Mapping[str, str]
    buckets: Mapping[str, BucketOptions]
    temporary_object_expiry_days: int
    trino: TrinoSettings
    access_keys: AccessKeySettings
    tls: bool
    parent_users: Mapping[str, str]
    root_credentials: SecretLocation


class PlatformOutputError(ValueError):
    """The platform stack's `tenantPlatform` output is missing, secret or not the shape this program reads."""

    def __init__(self, stack: str, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"cannot read the platform stack {stack} ({len(problems)} problem(s)):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


class _Output:
    """Reads the platform's output, recording problems; each names the path in the output."""

    def __init__(self, problems: list[str]):
        self.problems = problems

    def problem(self, path: str, value: object, expected: str) -> None:
        self.problems.append(f"output {TENANT_PLATFORM_OUTPUT}.{path}: got {value!r}; expected {expected}")

    def mapping(self, data: Mapping[str, Any], path: str) -> Mapping[str, Any]:
        value = data.get(path.rsplit(".", 1)[-1])
        if not isinstance(value, Mapping):
            self.problem(path, value, "a mapping")
            return {}
        return value

    def typed(self, data: Mapping[str, Any], path: str, kind: type | tuple[type, ...], expected: str) -> Any:
        value = data.get(path.rsplit(".", 1)[-1])
        if isinstance(value, float) and value.is_integer() and kind is not float:
            value = int(value)  # the engine's wire format has only doubles: 7 comes back as 7.0
        if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
            self.problem(path, value, expected)
            return None
        return value


def _bucket_options(reader: _Output, exported: Mapping[str, Any]) -> dict[str, BucketOptions]:
    buckets = reader.mapping(exported, "buckets")
    if not buckets:
        return {}
    options = {}
    for name in BUCKET_NAMES:
        entry = reader.mapping(buckets, f"buckets.{name}")
        days = (int, type(None))
        options[name] = BucketOptions(
            versioning=bool(reader.typed(entry, f"buckets.{name}.versioning", bool, "true or false")),
            object_locking=bool(reader.typed(entry, f"buckets.{name}.objectLocking", bool, "true or false")),
            expiry_days=reader.typed(entry, f"buckets.{name}.expiryDays", days, "days or null"),
            noncurrent_version_expiry_days=reader.typed(
                entry, f"buckets.{name}.noncurrentVersionExpiryDays", days, "days or null"
            ),
        )
    return options


def shard_context(
    shard: ShardSettings, exported: object, platform_tenants: Collection[str], *, secret: bool = False
) -> ShardContext:
    """The shard's TenantContext from the platform's `tenantPlatform` output (`exported`, as the StackReference
    hands it over; `secret` when it came as a secret) and the ids of the platform's own tenants (the keys of its
    `tenants` output). Raises PlatformOutputError listing every problem, and ConfigError for a tenant that the
    platform stack holds too."""
    stack = shard.platform_stack
    if secret:
        raise PlatformOutputError(
            stack, [f"output {TENANT_PLATFORM_OUTPUT} is a secret; a platform exports nothing secret for its shards"]
        )
    if not isinstance(exported, Mapping):
        raise PlatformOutputError(
            stack,
            [
                f"no output {TENANT_PLATFORM_OUTPUT} (got {exported!r}); deploy the platform stack with this "
                f"version of {PROJECT} before its shards"
            ],
        )
    problems: list[str] = []
    reader = _Output(problems)
    if exported.get("version") != CONTRACT_VERSION:
        reader.problem("version", exported.get("version"), f"{CONTRACT_VERSION} (this program's contract)")
        raise PlatformOutputError(stack, problems)
    kms = reader.mapping(exported, "kms")
    mode = kms.get("mode")
    if mode not in KMS_MODES:
        reader.problem("kms.mode", mode, "one of " + ", ".join(KMS_MODES))
    key_name = reader.typed(kms, "kms.keyName", str, "a key name")
    parents = reader.mapping(exported, "parentUsers")
    for service in consuming_services():
        reader.typed(parents, f"parentUsers.{service}", str, "the MinIO user name of the service's parent")
    keys = reader.mapping(exported, "accessKeys")
    rotation = reader.typed(keys, "accessKeys.rotation", int, "a rotation counter")
    root = reader.mapping(exported, "rootCredentialsSecret")
    namespace = reader.typed(root, "rootCredentialsSecret.namespace", str, "a namespace")
    secret_name = reader.typed(root, "rootCredentialsSecret.name", str, "a Secret name")
    context = ShardContext(
        kms=KmsSettings(str(mode), key_name or ""),
        region=reader.typed(exported, "region", str, "an S3 region") or "",
        s3_endpoint_url=reader.typed(exported, "s3Endpoint", str, "the S3 endpoint URL") or "",
        protect=bool(reader.typed(exported, "protect", bool, "true or false")),
        service_namespaces=shard.service_namespaces,
        buckets=_bucket_options(reader, exported),
        temporary_object_expiry_days=reader.typed(exported, "temporaryObjectExpiryDays", int, "days") or 0,
        trino=shard.trino,
        access_keys=AccessKeySettings(rotation or 0, shard.retire_through),
        tls=bool(reader.typed(exported, "tls", bool, "true or false")),
        parent_users={service: str(parents.get(service)) for service in consuming_services()},
        root_credentials=SecretLocation(namespace or "", secret_name or ""),
    )
    if problems:
        raise PlatformOutputError(stack, problems)
    retirement = retirement_problems(
        context.access_keys, shard.tenants, rotation_key=f"the platform's accessKeys.rotation ({stack})"
    )
    retirement += adoption_problems(context.kms, shard.tenants)
    if retirement:
        raise ConfigError(retirement)
    duplicates = [
        f"{PROJECT}:tenants: got {tenant.id!r}; must be a tenant that no other stack holds: the platform stack "
        f"{stack} lists it too ({PLATFORM_STACK_KEY} of shard {shard.stack}); a tenant lives in exactly one stack "
        "(to move it, see README, Tenant shards)"
        for tenant in shard.tenants
        if tenant.id in platform_tenants
    ]
    if duplicates:
        raise ConfigError(duplicates)
    return context
