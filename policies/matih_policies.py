"""CrossGuard policies for the MATIH MinIO deployment.

Importable on purpose: `policies/__main__.py` builds the pack from `POLICIES`, while the tests and
`tools/policy_check.py` run the very same policy objects offline. The bucket catalog, tenant naming, erasure
rules and lifecycle markers come from the project's pure `components` modules (no Pulumi providers), so the
pack cannot drift from what the program declares.

Property values arrive as the engine hands them over: JSON-like mappings and sequences (proxies, not dicts)
with every number a float; in a real run secrets are already unwrapped, offline they read "[secret]".
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy, PolicyPack

from policies.credentials import (
    BUCKET_DEFAULT_ENCRYPTION,
    KMS_CONFIGURED,
    NO_PLAINTEXT_SECRETS,
    NO_SECRET_STACK_OUTPUTS,
)
from policies.durability import MINIO_WAITS_FOR_READINESS, PRODUCTION_DURABILITY
from policies.isolation import API_EXPOSURE, NO_PUBLIC_ACCESS, TENANT_SCOPED_CREDENTIALS
from policies.lifecycle import LAKEHOUSE_NEVER_EXPIRES, SINGLE_LIFECYCLE_PER_BUCKET, TEMPORARY_OBJECTS_EXPIRE
from policies.monitoring import ALERTS_DECLARED
from policies.supply_chain import (
    CHART_PROVISIONING_DISABLED,
    IMAGE_PROVENANCE,
    KNOWN_VULNERABLE_SERVER,
    PINNED_CHART_AND_IMAGE,
    UNKNOWN_SERVER_BUILD,
)
from policies.tenancy import STACK_WITHIN_SHARD_SIZE, TENANT_OFFBOARDING_AND_PURGE
from policies.workloads import BOUNDED_RESTRICTED_JOBS, POD_RESOURCES_SET

PACK_NAME = "matih-minio"

PACK_DESCRIPTION = "Tenant isolation, secrets, supply chain, durability and lifecycle rules for MATIH's MinIO."

# In the order the engine reports them.
POLICIES: list[Policy] = [
    NO_PUBLIC_ACCESS,
    TENANT_SCOPED_CREDENTIALS,
    NO_PLAINTEXT_SECRETS,
    NO_SECRET_STACK_OUTPUTS,
    PINNED_CHART_AND_IMAGE,
    IMAGE_PROVENANCE,
    PRODUCTION_DURABILITY,
    TENANT_OFFBOARDING_AND_PURGE,
    KMS_CONFIGURED,
    BUCKET_DEFAULT_ENCRYPTION,
    SINGLE_LIFECYCLE_PER_BUCKET,
    LAKEHOUSE_NEVER_EXPIRES,
    TEMPORARY_OBJECTS_EXPIRE,
    CHART_PROVISIONING_DISABLED,
    API_EXPOSURE,
    BOUNDED_RESTRICTED_JOBS,
    MINIO_WAITS_FOR_READINESS,
    ALERTS_DECLARED,
    POD_RESOURCES_SET,
    KNOWN_VULNERABLE_SERVER,
    UNKNOWN_SERVER_BUILD,
    STACK_WITHIN_SHARD_SIZE,
]


def build_policy_pack() -> PolicyPack:
    """Starts the pack's gRPC server for the engine and blocks: call it from policies/__main__.py only."""
    return PolicyPack(
        name=PACK_NAME,
        policies=POLICIES,
        enforcement_level=EnforcementLevel.MANDATORY,
        description=PACK_DESCRIPTION,
    )
