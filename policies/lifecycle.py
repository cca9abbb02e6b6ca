"""Bucket lifecycle: one ILM document per bucket, the lakehouse never expires, temporary objects do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from components import tokens
from components.model.lifecycle import TEMPORARY_TAG_KEY, TEMPORARY_TAG_VALUE
from policies.documents import is_table_format_bucket
from policies.engine_values import as_list, as_mapping, bucket_name, resources_of


def enabled_rules(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The lifecycle rules of an IlmPolicy that MinIO applies."""
    rules = [as_mapping(rule) for rule in as_list(props.get("rules"))]
    return [rule for rule in rules if rule.get("status") != "Disabled"]


def is_temporary_object_rule(rule: Mapping[str, Any]) -> bool:
    # Exactly the marker tag and no prefix filter: anything more would leave some temporary objects behind.
    tags = dict(as_mapping(rule.get("tags")))
    return bool(rule.get("expiration")) and not rule.get("filter") and tags == {TEMPORARY_TAG_KEY: TEMPORARY_TAG_VALUE}


def validate_lakehouse_never_expires(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.ILM_POLICY:
        return
    bucket = str(args.props.get("bucket") or "")
    if not is_table_format_bucket(bucket):
        return
    for rule in enabled_rules(args.props):
        if rule.get("expiration"):
            report(
                f"rule {rule.get('id')!r} expires objects in {bucket!r}, whose files Iceberg table maintenance owns",
                None,
            )


def lifecycle_policies_by_bucket(args: StackValidationArgs) -> dict[str, list[PolicyResource]]:
    policies: dict[str, list[PolicyResource]] = {}
    for policy in resources_of(args, tokens.ILM_POLICY):
        policies.setdefault(bucket_name(policy), []).append(policy)
    return policies


def validate_single_lifecycle_per_bucket(args: StackValidationArgs, report: ReportViolation) -> None:
    for bucket, policies in lifecycle_policies_by_bucket(args).items():
        if len(policies) > 1:
            names = ", ".join(policy.name for policy in policies)
            for policy in policies[1:]:
                report(
                    f"bucket {bucket!r} has {len(policies)} IlmPolicy resources ({names}); each overwrites the "
                    "others, merge their rules into one",
                    policy.urn,
                )


def validate_temporary_objects_expire(args: StackValidationArgs, report: ReportViolation) -> None:
    policies = lifecycle_policies_by_bucket(args)
    for bucket in resources_of(args, tokens.S3_BUCKET):
        name = bucket_name(bucket)
        if is_table_format_bucket(name):
            continue
        rules = [rule for policy in policies.get(name, []) for rule in enabled_rules(policy.props)]
        if not any(is_temporary_object_rule(rule) for rule in rules):
            report(
                f"bucket {name!r} has no lifecycle rule expiring objects tagged "
                f"{TEMPORARY_TAG_KEY}={TEMPORARY_TAG_VALUE}; temporary objects would pile up",
                bucket.urn,
            )


SINGLE_LIFECYCLE_PER_BUCKET = StackValidationPolicy(
    name="single-lifecycle-per-bucket",
    description="A bucket has at most one IlmPolicy: MinIO keeps one lifecycle document per bucket.",
    validate=validate_single_lifecycle_per_bucket,
    enforcement_level=EnforcementLevel.MANDATORY,
)


LAKEHOUSE_NEVER_EXPIRES = ResourceValidationPolicy(
    name="lakehouse-never-expires",
    description="No lifecycle rule expires objects in Iceberg-managed buckets (lakehouse and its tenant copies).",
    validate=validate_lakehouse_never_expires,
    enforcement_level=EnforcementLevel.MANDATORY,
)


TEMPORARY_OBJECTS_EXPIRE = StackValidationPolicy(
    name="temporary-objects-expire",
    description=(
        f"Every bucket outside the lakehouse expires objects tagged {TEMPORARY_TAG_KEY}={TEMPORARY_TAG_VALUE}."
    ),
    validate=validate_temporary_objects_expire,
    enforcement_level=EnforcementLevel.ADVISORY,
)
