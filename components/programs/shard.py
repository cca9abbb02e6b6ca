"""A tenant shard: Tenant components only, built on what the platform stack exports.

The platform's facts come through a `pulumi.StackReference` to the stack `platformStack` names. They decide which
resources a tenant gets (a KES key or not, the options of dedicated buckets), so the shard awaits them in a
`pulumi.run` entry point rather than declaring resources inside `apply`.

Root credentials. The shard's MinIO provider needs MinIO's root user. It reads them from the platform's
Kubernetes Secret (`Secret.get`, named by the platform's `tenantPlatform.rootCredentialsSecret`), not from a stack
output: a secret output would copy the credentials into a second place (the platform's stack outputs, readable by
anyone who may read that stack), and the policy pack's `no-secret-stack-outputs` refuses it. The shard's kube
context must reach the cluster anyway, to write its tenants' credential Secrets, so reading one more Secret needs
only `get` on it; and a rotated root password reaches every shard at its next run without re-exporting anything.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pulumi_minio as minio

from components.model.config import ConfigError, ShardSettings
from components.model.platform_ref import TENANT_PLATFORM_OUTPUT, PlatformOutputError, ShardContext, shard_context
from components.programs.platform import export_tenants
from components.resources.cluster import decoded_secret_value
from components.resources.tenant import Tenant, TenantArgs


def declare_shard(shard: ShardSettings) -> None:
    """Register the shard's program; it runs once the module code is done (`pulumi.run`)."""

    async def program() -> None:
        platform = pulumi.StackReference("platform", stack_name=shard.platform_stack)
        # get_output_details keeps secrecy apart (value vs secret_value); the contract has no secret part.
        details = await platform.get_output_details(TENANT_PLATFORM_OUTPUT)
        # The platform's own tenants: the keys of its `tenants` output (a tenant lives in exactly one stack).
        platform_tenants = (await platform.get_output_details("tenants")).value or {}
        secret = details.secret_value is not None
        try:
            context = shard_context(
                shard, details.secret_value if secret else details.value, list(platform_tenants), secret=secret
            )
        except (ConfigError, PlatformOutputError) as error:
            raise pulumi.RunError(str(error)) from None
        _declare_tenants(shard, context)

    pulumi.run(program)


def _declare_tenants(shard: ShardSettings, context: ShardContext) -> None:
    # Named apart from the platform's providers: `pulumi state move` copies a moved tenant's providers into the shard
    # and refuses one whose URN exists there with other inputs; the next `up` hands the tenant to these.
    k8s_provider = k8s.Provider(
        "shard-kubernetes",
        context=shard.kubernetes.context,
        kubeconfig=shard.kubernetes.kubeconfig,
        # As the platform's provider (components/programs/platform.py): a tenant's Secrets update in place.
        enable_secret_mutable=True,
    )
    root = context.root_credentials
    root_secret = k8s.core.v1.Secret.get(
        "minio-root-credentials",
        f"{root.namespace}/{root.name}",
        opts=pulumi.ResourceOptions(provider=k8s_provider),
    )
    what = f"the platform's root credentials Secret {root.namespace}/{root.name}"
    provider = minio.Provider(
        "shard-minio",
        minio_server=shard.minio_endpoint,
        minio_user=decoded_secret_value(root_secret, "rootUser", what),
        minio_password=decoded_secret_value(root_secret, "rootPassword", what),
        minio_region=context.region,
        minio_ssl=context.tls,
        minio_cacert_file=shard.minio_ca_file,
    )
    tenants = {
        tenant.id: Tenant(
            tenant.id,
            TenantArgs(
                settings=context,
                tenant=tenant,
                minio_provider=provider,
                k8s_provider=k8s_provider,
                # The platform's parent users, by name; the platform stack owns them and the services' namespaces.
                parent_users=context.parent_users,
            ),
        )
        for tenant in shard.tenants
    }
    pulumi.export("platformStack", shard.platform_stack)
    export_tenants(tenants)
