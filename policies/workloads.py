"""Workloads: MinIO's pods have resources; our Jobs are awaited, bounded and run at the restricted level."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from components import tokens
from policies.engine_values import as_list, as_mapping, is_enabled, release_values

# pulumi-kubernetes annotations (provider/pkg/metadata/annotations.go).
SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait"


# The restricted Pod Security level allows adding only this capability.
RESTRICTED_ADDABLE_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})


RESTRICTED_SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})


def validate_pod_resources(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.HELM_RELEASE:
        return
    resources = as_mapping(release_values(args.props).get("resources"))
    for bound in ("requests", "limits"):
        for quantity in ("cpu", "memory"):
            if not as_mapping(resources.get(bound)).get(quantity):
                report(f"values.resources.{bound}.{quantity} is not set", None)


def restricted_pod_problems(pod: Mapping[str, Any]) -> list[str]:
    """Where a pod spec falls short of the restricted Pod Security level (the fields that level checks)."""
    problems = []
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if is_enabled(pod.get(key)):
            problems.append(f"the pod sets {key}")
    for volume in as_list(pod.get("volumes")):
        if "hostPath" in as_mapping(volume):
            problems.append(f"volume {as_mapping(volume).get('name')!r} is a hostPath")
    pod_context = as_mapping(pod.get("securityContext"))
    containers = [as_mapping(c) for c in as_list(pod.get("containers")) + as_list(pod.get("initContainers"))]
    for container in containers:
        label = f"container {container.get('name')!r}"
        context = as_mapping(container.get("securityContext"))
        if not is_enabled(context.get("runAsNonRoot", pod_context.get("runAsNonRoot"))):
            problems.append(f"{label} may run as root (runAsNonRoot is not true)")
        seccomp = as_mapping(context.get("seccompProfile") or pod_context.get("seccompProfile")).get("type")
        if seccomp not in RESTRICTED_SECCOMP_TYPES:
            problems.append(f"{label} has no RuntimeDefault or Localhost seccompProfile")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{label} does not set allowPrivilegeEscalation: false")
        if is_enabled(context.get("privileged")):
            problems.append(f"{label} is privileged")
        capabilities = as_mapping(context.get("capabilities"))
        if "ALL" not in [str(c) for c in as_list(capabilities.get("drop"))]:
            problems.append(f"{label} does not drop ALL capabilities")
        added = {str(c) for c in as_list(capabilities.get("add"))} - RESTRICTED_ADDABLE_CAPABILITIES
        if added:
            problems.append(f"{label} adds capabilities {sorted(added)}")
    return problems


def validate_bounded_restricted_jobs(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != tokens.JOB:
        return
    metadata = as_mapping(args.props.get("metadata"))
    spec = as_mapping(args.props.get("spec"))
    if is_enabled(as_mapping(metadata.get("annotations")).get(SKIP_AWAIT_ANNOTATION)):
        report(
            f"the Job sets {SKIP_AWAIT_ANNOTATION}: Pulumi would not wait for it to complete, so what depends on it "
            "(the MinIO provider) would not wait either",
            None,
        )
    if spec.get("ttlSecondsAfterFinished") is not None:
        report("spec.ttlSecondsAfterFinished deletes the finished Job, and Pulumi would recreate it on every up", None)
    if spec.get("activeDeadlineSeconds") is None:
        report("spec.activeDeadlineSeconds is not set: a Job that never finishes holds the deployment forever", None)
    if spec.get("backoffLimit") is None:
        report("spec.backoffLimit is not set: Kubernetes retries a failing pod 6 times before giving up", None)
    for problem in restricted_pod_problems(as_mapping(as_mapping(spec.get("template")).get("spec"))):
        report(f"{problem}: Jobs here run at the restricted Pod Security level", None)


BOUNDED_RESTRICTED_JOBS = ResourceValidationPolicy(
    name="bounded-restricted-jobs",
    description=(
        "Jobs are awaited (no skipAwait), kept (no TTL), bounded (activeDeadlineSeconds, backoffLimit) and run at "
        "the restricted Pod Security level."
    ),
    validate=validate_bounded_restricted_jobs,
    enforcement_level=EnforcementLevel.MANDATORY,
)


POD_RESOURCES_SET = ResourceValidationPolicy(
    name="pod-resources-set",
    description="MinIO pods request and limit CPU and memory.",
    validate=validate_pod_resources,
    enforcement_level=EnforcementLevel.ADVISORY,
)
