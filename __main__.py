"""MinIO for the MATIH data platform: the cluster, the platform buckets and every tenant's access."""

import gc

import pulumi
import pulumi_kubernetes as k8s

from components.buckets import PlatformBuckets, PlatformBucketsArgs
from components.cluster import MinioCluster, MinioClusterArgs
from components.namespaces import ServiceNamespaces, ServiceNamespacesArgs
from components.service_users import ServiceUsers, ServiceUsersArgs
from components.settings import PROJECT, ConfigError, load_settings
from components.stack_config import project_config
from components.tenant import Tenant, TenantArgs

# A batch program: it declares every resource up front, and nearly every object it and the SDK make (the pending
# Outputs, their tasks and contexts) lives until the deployment ends, so the cyclic collector only walks them again
# and again. Measured on the prod program with 1,000 tenants (mock engine, `make bench`, this 2-core machine):
# collection took 62% of the CPU time with the default thresholds, 33% with full collections held off
# (700/10/1000); switched off, the cost per resource stays flat from 10 to 1,000 tenants and peak memory grows
# by a fifth (1.5 -> 1.85 GB). The real engine runs this program in a process of its own, which pays the same
# cost; reference counting still frees everything that is not a cycle.
gc.disable()

try:
    settings = load_settings(project_config(PROJECT), pulumi.get_stack())
except ConfigError as error:
    # A clean message, before any resource is declared.
    raise pulumi.RunError(str(error)) from None

if settings.kms.mode == "static":
    pulumi.log.warn(
        "kms.mode is static: MinIO holds exactly one key, so per-tenant keys are unavailable and every tenant "
        f"uses '{settings.kms.key_name}'. Use kms.mode: kes for per-tenant keys."
    )

k8s_provider = k8s.Provider(
    "kubernetes",
    context=settings.kubernetes.context,
    kubeconfig=settings.kubernetes.kubeconfig,
    # A rotated key or a changed catalog updates its Secret in place. Without this, pulumi-kubernetes deletes and
    # re-creates every Secret whose data changes (provider/pkg/provider/diff.go forceNewProperties), and pods that
    # start in between find no Secret. Switching it on is an in-place provider update: only kubeconfig, context and
    # cluster replace a provider (provider.go DiffConfig).
    enable_secret_mutable=True,
)
cluster = MinioCluster("minio", MinioClusterArgs(settings=settings, k8s_provider=k8s_provider))
service_namespaces = (
    ServiceNamespaces("service-namespaces", ServiceNamespacesArgs(settings, k8s_provider)).namespaces
    if settings.create_service_namespaces
    else {}
)
platform_buckets = PlatformBuckets("platform-buckets", PlatformBucketsArgs(settings, cluster.provider))
service_users = ServiceUsers("service-users", ServiceUsersArgs(provider=cluster.provider))
tenants = {
    tenant.id: Tenant(
        tenant.id,
        TenantArgs(
            settings=settings,
            tenant=tenant,
            minio_provider=cluster.provider,
            k8s_provider=k8s_provider,
            parent_users=service_users.users,
            namespaces=service_namespaces,
        ),
    )
    for tenant in settings.tenants
}

pulumi.export("namespace", cluster.namespace)
pulumi.export("releaseName", cluster.release_name)
pulumi.export("s3Endpoint", cluster.s3_endpoint)
pulumi.export("rootCredentialsSecret", cluster.root_credentials_secret)
pulumi.export("image", settings.image.reference)
pulumi.export("erasure", settings.figures.as_output())
pulumi.export("kms", {"mode": settings.kms.mode, "perTenantKeys": settings.kms.per_tenant_keys})
pulumi.export(
    "tenants",
    # What a consumer needs: where its Secret is (the Secret holds the locations and the key id too).
    {tid: {"secrets": t.secret_names, "kmsKey": t.kms_key} for tid, t in tenants.items()},
)
