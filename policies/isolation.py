"""Tenant isolation: nothing public, every credential scoped to its tenant, the API exposed only as allowed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from components import tokens
from policies.documents import (
    PolicyDocumentError,
    allow_statements,
    is_anonymous,
    is_metrics_only,
    policy_statements,
    statement_label,
    tenant_scope_problems,
    unscoped_grant_problems,
)
from policies.engine_values import PRODUCTION_FLAG, as_list, as_mapping, is_enabled, release_values, urn_type_and_name

# A Service or balancer source range that admits any address.
OPEN_SOURCE_RANGES = frozenset({"0.0.0.0/0", "::/0"})


def validate_no_public_access(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == tokens.S3_BUCKET:
        # The provider's default ACL is private, so an absent acl is fine.
        acl = args.props.get("acl") or "private"
        if acl != "private":
            report(f"bucket {args.props.get('bucket')!r} has acl {acl!r}; only 'private' is allowed", None)
    elif args.resource_type == tokens.S3_BUCKET_POLICY:
        try:
            statements = policy_statements(args.props.get("policy"))
        except PolicyDocumentError as error:
            report(f"bucket policy of {args.props.get('bucket')!r}: {error}", None)
            return
        for statement in allow_statements(statements):
            if is_anonymous(statement.get("Principal")):
                report(
                    f"bucket policy of {args.props.get('bucket')!r}: {statement_label(statement)} allows anonymous "
                    "principals ('*'); tenant access belongs in IAM policies",
                    None,
                )
    elif args.resource_type == tokens.HELM_RELEASE:
        monitor = as_mapping(as_mapping(release_values(args.props).get("metrics")).get("serviceMonitor"))
        # The chart defaults `public: true`, which serves Prometheus metrics without authentication.
        if monitor.get("public", True) is not False:
            report("values.metrics.serviceMonitor.public must be false: metrics would be served unauthenticated", None)


def validate_tenant_scoped_credentials(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in (tokens.IAM_SERVICE_ACCOUNT, tokens.IAM_POLICY, tokens.IAM_GROUP_POLICY):
        return
    document = args.props.get("policy")
    if args.resource_type == tokens.IAM_SERVICE_ACCOUNT and not document:
        report("the access key has no embedded policy, so it inherits its parent user's access to every tenant", None)
        return
    try:
        statements = policy_statements(document)
    except PolicyDocumentError as error:
        report(str(error), None)
        return
    if args.resource_type == tokens.IAM_POLICY and is_metrics_only(statements):
        return
    # Canned policies here are the service parents' (components/resources/service_users.py), whose credentials nobody
    # holds.
    problems = unscoped_grant_problems(statements, bucket_families=args.resource_type == tokens.IAM_POLICY)
    if args.resource_type == tokens.IAM_SERVICE_ACCOUNT:
        # Keys are declared inside their tenant's component; elsewhere only single-tenancy can be judged.
        parent_type, parent_name = urn_type_and_name(args.opts.parent or "")
        problems += tenant_scope_problems(statements, parent_name if parent_type == tokens.TENANT else None)
    for problem in problems:
        report(problem, None)


def service_exposure_problems(values: Mapping[str, Any], production: bool) -> list[str]:
    """Why the chart's Services or ingresses offer the API (and its root credentials) more widely than they may."""
    problems = []
    tls = is_enabled(as_mapping(values.get("tls")).get("enabled"))
    service = as_mapping(values.get("service"))
    service_type = service.get("type") or "ClusterIP"
    if service_type == "LoadBalancer":
        if not tls:
            problems.append(
                "values.service.type is LoadBalancer without values.tls.enabled: the S3 API and the root "
                "credentials Pulumi sends would cross the network in clear"
            )
        ranges = [str(r) for r in as_list(service.get("loadBalancerSourceRanges"))]
        if not ranges or OPEN_SOURCE_RANGES & set(ranges):
            problems.append(
                f"values.service.loadBalancerSourceRanges is {ranges}: the load balancer would admit any address; "
                "name the network Pulumi and the services come from"
            )
    elif service_type == "NodePort" and production:
        problems.append(
            "values.service.type is NodePort: every node's address serves the S3 API; production reaches MinIO "
            "inside the cluster or through a TLS load balancer"
        )
    console_type = as_mapping(values.get("consoleService")).get("type") or "ClusterIP"
    if console_type != "ClusterIP":
        problems.append(f"values.consoleService.type is {console_type}: the admin console stays inside the cluster")
    for key in ("ingress", "consoleIngress"):
        ingress = as_mapping(values.get(key))
        if is_enabled(ingress.get("enabled")) and not as_list(ingress.get("tls")):
            problems.append(f"values.{key} is enabled without tls: credentials would cross it in clear")
    return problems


def validate_api_exposure(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.HELM_RELEASE:
        return
    production = bool(args.get_config().get("production", False))
    for problem in service_exposure_problems(release_values(args.props), production):
        report(problem, None)


NO_PUBLIC_ACCESS = ResourceValidationPolicy(
    name="no-public-access",
    description="Buckets are private, no bucket policy allows anonymous principals, metrics need authentication.",
    validate=validate_no_public_access,
    enforcement_level=EnforcementLevel.MANDATORY,
)


TENANT_SCOPED_CREDENTIALS = ResourceValidationPolicy(
    name="tenant-scoped-credentials",
    description=(
        "A tenant's access key reaches only that tenant's prefix (or dedicated buckets); no MinIO policy grants "
        "wildcard, admin or KMS actions, every bucket, or multipart listings of shared buckets. Only a parent's "
        "canned policy may name every tenant's copy of a catalog bucket, `<bucket>-*`."
    ),
    validate=validate_tenant_scoped_credentials,
    enforcement_level=EnforcementLevel.MANDATORY,
)


API_EXPOSURE = ResourceValidationPolicy(
    name="api-exposure",
    description=(
        "The S3 API leaves the cluster only through a TLS load balancer limited to a source range (or, outside "
        "production, a NodePort); the console and plain-HTTP ingresses stay inside."
    ),
    validate=validate_api_exposure,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=PRODUCTION_FLAG),
)
