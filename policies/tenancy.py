"""Tenants' lifecycle (offboarding, purge) and how many tenants one stack may hold."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from components import tokens
from components.model.sharding import MAX_TENANTS_PER_STACK
from policies.documents import catalog_owner
from policies.engine_values import PRODUCTION_FLAG, as_list, bucket_name, is_enabled, resources_of

TENANT_STATES = ("active", "offboarding", "purge")


def validate_tenant_offboarding_and_purge(args: StackValidationArgs, report: ReportViolation) -> None:
    """A tenant's buckets lose protection only while it is offboarded or purged, and a purge (the only thing that
    deletes a bucket with its objects) names the tenant twice: in the stack file and, in production, in this
    policy's `acknowledgedPurges`, a separately reviewed file."""
    config = args.get_config()
    production = bool(config.get("production", False))
    acknowledged = {str(tenant) for tenant in as_list(config.get("acknowledgedPurges"))}
    states: dict[str, str] = {}
    for tenant in resources_of(args, tokens.TENANT):
        state = str(tenant.props.get("state") or "active")
        states[tenant.name] = state
        if state not in TENANT_STATES:
            report(f"tenant {tenant.name!r} has unknown state {state!r}; one of {', '.join(TENANT_STATES)}", tenant.urn)
        elif state == "purge" and tenant.props.get("purgeAcknowledged") != tenant.name:
            report(f"tenant {tenant.name!r} is purged without purgeAcknowledged naming it", tenant.urn)
        elif state == "purge" and production and tenant.name not in acknowledged:
            report(
                f"tenant {tenant.name!r} is purged in production, but the policy config's acknowledgedPurges does not "
                "list it: a purge deletes its dedicated buckets with every object",
                tenant.urn,
            )
    for bucket in resources_of(args, tokens.S3_BUCKET):
        name = bucket_name(bucket)
        owner = catalog_owner(name)
        owner_tenant = owner[1] if owner is not None else None
        state = states.get(owner_tenant or "", "active")
        parent = bucket.parent
        tenant_bucket = parent is not None and parent.resource_type == tokens.TENANT
        # Platform buckets' forceDestroy (throwaway dev stacks only) is production-durability's to judge.
        if tenant_bucket and is_enabled(bucket.props.get("forceDestroy")) and state != "purge":
            report(
                f"bucket {name!r} has forceDestroy: deleting it would delete every object; only a tenant purge may "
                "set it",
                bucket.urn,
            )
        if production and tenant_bucket and not bucket.opts.protect and state == "active":
            report(
                f"bucket {name!r} of active tenant {owner_tenant!r} is not protected: a removal would reach its data "
                "(set the tenant's state: offboarding to lift protection on purpose)",
                bucket.urn,
            )


def validate_stack_within_shard_size(args: StackValidationArgs, report: ReportViolation) -> None:
    tenants = resources_of(args, tokens.TENANT)
    if len(tenants) > MAX_TENANTS_PER_STACK:
        report(
            f"{len(tenants)} tenants in one stack, more than the shard size {MAX_TENANTS_PER_STACK}: the diy backend "
            "rewrites the whole checkpoint at every step, so a platform-wide key rotation here writes more than "
            "the budget components/model/sharding.py derives from `make bench`; move further tenants to a shard stack "
            "(README, Tenant shards)",
            None,
        )


TENANT_OFFBOARDING_AND_PURGE = StackValidationPolicy(
    name="tenant-offboarding-and-purge",
    description=(
        "Tenant buckets stay protected unless the tenant is offboarded or purged; only an acknowledged purge sets "
        "forceDestroy, and a production purge is also listed in the policy config's acknowledgedPurges."
    ),
    validate=validate_tenant_offboarding_and_purge,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            **PRODUCTION_FLAG,
            "acknowledgedPurges": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "description": "Tenant ids whose purge production allows (each also sets state: purge).",
            },
        }
    ),
)


STACK_WITHIN_SHARD_SIZE = StackValidationPolicy(
    name="stack-within-shard-size",
    description=("A stack holds at most the shard size of tenants (components/model/sharding.py, from `make bench`)."),
    validate=validate_stack_within_shard_size,
    enforcement_level=EnforcementLevel.ADVISORY,
)
