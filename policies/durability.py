"""Durability: production erasure coding, spread and protection; nothing calls MinIO before it is ready."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components import tokens
from components.model import erasure
from components.model.erasure import PARITY
from policies.engine_values import (
    PRODUCTION_FLAG,
    as_int,
    as_list,
    as_mapping,
    is_enabled,
    is_tenant_child,
    release_environment,
    release_values,
    resources_of,
)

# Chart 5.4.0 defaults for values the program might leave out.
CHART_DEFAULT_MODE = "distributed"


CHART_DEFAULT_REPLICAS = 16


CHART_DEFAULT_DRIVES_PER_NODE = 1


CHART_DEFAULT_POOLS = 1


# Four servers are the fewest that keep a 16-drive EC:4 pool writable after losing a whole server.
MIN_PRODUCTION_SERVERS = 4


DEFAULT_MINIMUM_PARITY = 4


HOSTNAME_TOPOLOGY_KEY = "kubernetes.io/hostname"


def erasure_problems(values: Mapping[str, Any], minimum_parity: int) -> list[str]:
    """Why the chart's layout and storage classes do not give production-grade erasure coding."""
    mode = values.get("mode") or CHART_DEFAULT_MODE
    if mode != "distributed":
        return [f"values.mode is {mode!r}: a single drive without erasure coding; production needs 'distributed'"]
    environment = release_environment(values)
    servers = as_int(values.get("replicas"), CHART_DEFAULT_REPLICAS)
    drives_per_server = as_int(values.get("drivesPerNode"), CHART_DEFAULT_DRIVES_PER_NODE)
    problems = []
    if servers < MIN_PRODUCTION_SERVERS:
        problems.append(f"values.replicas is {servers}; production needs at least {MIN_PRODUCTION_SERVERS} servers")
    parities: dict[str, int | None] = {}
    for variable in ("MINIO_STORAGE_CLASS_STANDARD", "MINIO_STORAGE_CLASS_RRS"):
        setting = environment.get(variable)
        match = PARITY.match(str(setting)) if setting else None
        if setting and match is None:
            problems.append(f"values.environment.{variable} is {setting!r}; expected 'EC:<parity>'")
        # Unset means MinIO's default for the set size, which distributed_figures applies.
        parities[variable] = int(match.group(1)) if match else None
    try:
        figures = erasure.distributed_figures(
            servers_per_pool=servers,
            drives_per_server=drives_per_server,
            pools=as_int(values.get("pools"), CHART_DEFAULT_POOLS),
            drive_size_bytes=0,
            standard_parity=parities["MINIO_STORAGE_CLASS_STANDARD"],
            reduced_redundancy_parity=parities["MINIO_STORAGE_CLASS_RRS"],
            set_drive_count=as_int(environment.get("MINIO_ERASURE_SET_DRIVE_COUNT"), 0) or None,
        )
    except erasure.ErasureLayoutError as error:
        return [*problems, f"MinIO would refuse this layout: {error}"]
    if figures.standard_parity < minimum_parity:
        problems.append(
            f"standard parity EC:{figures.standard_parity} on erasure sets of {figures.set_size} drives is below "
            f"the required EC:{minimum_parity}"
        )
    return problems


def spreads_across_hosts(values: Mapping[str, Any]) -> bool:
    """Pods are kept on distinct nodes: a hard hostname spread, or a required hostname anti-affinity."""
    for constraint in as_list(values.get("topologySpreadConstraints")):
        constraint = as_mapping(constraint)
        if (
            constraint.get("topologyKey") == HOSTNAME_TOPOLOGY_KEY
            and constraint.get("whenUnsatisfiable") == "DoNotSchedule"
        ):
            return True
    anti_affinity = as_mapping(as_mapping(values.get("affinity")).get("podAntiAffinity"))
    return any(
        as_mapping(term).get("topologyKey") == HOSTNAME_TOPOLOGY_KEY
        for term in as_list(anti_affinity.get("requiredDuringSchedulingIgnoredDuringExecution"))
    )


def validate_production_durability(args: ResourceValidationArgs, report: ReportViolation) -> None:
    config = args.get_config()
    if not config.get("production", False):
        return
    if args.resource_type == tokens.HELM_RELEASE:
        values = release_values(args.props)
        for problem in erasure_problems(values, as_int(config.get("minimumParity"), DEFAULT_MINIMUM_PARITY)):
            report(problem, None)
        if not is_enabled(as_mapping(values.get("podDisruptionBudget")).get("enabled")):
            report(
                "values.podDisruptionBudget.enabled must be true: a drain could stop more servers than parity allows",
                None,
            )
        if not spreads_across_hosts(values):
            report(
                f"no topologySpreadConstraint on {HOSTNAME_TOPOLOGY_KEY} with DoNotSchedule (or required pod "
                "anti-affinity): two servers on one node fail together",
                None,
            )
    elif args.resource_type == tokens.PERSISTENT_VOLUME:
        spec = as_mapping(args.props.get("spec"))
        for kind in ("local", "hostPath"):
            if kind in spec:
                report(f"PersistentVolume uses spec.{kind}: its data lives and dies with one node", None)
    elif args.resource_type == tokens.STORAGE_CLASS:
        reclaim = args.props.get("reclaimPolicy") or "Delete"
        if reclaim != "Retain":
            report(f"StorageClass reclaimPolicy is {reclaim!r}: deleting a claim would delete the drive's data", None)
    if (
        args.resource_type == tokens.S3_BUCKET
        and is_enabled(args.props.get("forceDestroy"))
        and not is_tenant_child(args.opts.parent)
    ):
        # A tenant's buckets may be force-destroyable only in an acknowledged purge: tenant-offboarding-and-purge.
        report(
            f"bucket {args.props.get('bucket')!r} has forceDestroy: a destroy or replacement would delete it with "
            "every object version in it (terraform-provider-minio minioDeleteBucket); only throwaway dev stacks may",
            None,
        )
    if (
        args.resource_type in (tokens.S3_BUCKET, tokens.NAMESPACE)
        and not args.opts.protect
        and not is_tenant_child(args.opts.parent)
    ):
        # A tenant's buckets may be unprotected while it is offboarded: tenant-offboarding-and-purge judges them.
        # pulumi-policy 1.21 (and the engine's analyzer protocol) expose `protect` but not `retainOnDelete`.
        what = "bucket" if args.resource_type == tokens.S3_BUCKET else "namespace"
        report(
            f"the {what} is not protected (resource option protect=True): a destroy would delete its data "
            "(retainOnDelete alone does not count: policy packs cannot see it)",
            None,
        )


def validate_minio_waits_for_readiness(args: StackValidationArgs, report: ReportViolation) -> None:
    providers = resources_of(args, tokens.MINIO_PROVIDER)
    if not providers:
        args.not_applicable("no MinIO provider in this stack")
    if not resources_of(args, tokens.HELM_RELEASE):
        # A tenant shard reaches the MinIO its platform stack deployed; that stack's update waited for readiness.
        args.not_applicable("no MinIO server in this stack (a tenant shard): its platform stack's update waited")
    for provider in providers:
        if not any(dependency.resource_type == tokens.JOB for dependency in provider.dependencies):
            report(
                f"the MinIO provider {provider.name!r} does not depend on a readiness Job: chart 5.4.0 has no probes, "
                "so it would call MinIO while the server may still be starting",
                provider.urn,
            )


PRODUCTION_DURABILITY = ResourceValidationPolicy(
    name="production-durability",
    description=(
        "Production runs distributed with valid erasure coding of at least the minimum parity on 4+ servers "
        "spread over nodes with a PodDisruptionBudget, on retained non-local volumes, with buckets and the "
        "namespace protected and no force-destroyable bucket."
    ),
    validate=validate_production_durability,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            **PRODUCTION_FLAG,
            "minimumParity": {
                "type": "integer",
                "minimum": 1,
                "maximum": 8,
                "default": DEFAULT_MINIMUM_PARITY,
                "description": "The lowest standard parity (EC:N) allowed in production.",
            },
        }
    ),
)


MINIO_WAITS_FOR_READINESS = StackValidationPolicy(
    name="minio-waits-for-readiness",
    description="The MinIO provider depends on a readiness Job, so nothing calls MinIO before it reports healthy.",
    validate=validate_minio_waits_for_readiness,
    enforcement_level=EnforcementLevel.MANDATORY,
)
