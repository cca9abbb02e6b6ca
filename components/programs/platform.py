"""The platform stack: the cluster, the platform buckets, the services' parent users and the tenants it holds."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

from components.model.config import Settings
from components.model.figures import layout_figures
from components.model.platform_ref import TENANT_PLATFORM_OUTPUT, tenant_platform
from components.resources.buckets import PlatformBuckets, PlatformBucketsArgs
from components.resources.cluster import MinioCluster, MinioClusterArgs
from components.resources.monitoring import Monitoring, MonitoringArgs
from components.resources.namespaces import ServiceNamespaces, ServiceNamespacesArgs
from components.resources.service_users import ServiceUsers, ServiceUsersArgs
from components.resources.tenant import Tenant, TenantArgs


def declare_platform(settings: Settings) -> None:
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
    PlatformBuckets("platform-buckets", PlatformBucketsArgs(settings, cluster.provider))
    if settings.monitoring.enabled:
        monitoring = Monitoring(
            "monitoring", MonitoringArgs(settings, k8s_provider, cluster.provider, namespace=cluster.namespace)
        )
        pulumi.export("monitoring", monitoring.summary)
    service_users = ServiceUsers(
        "service-users",
        ServiceUsersArgs(provider=cluster.provider, protect=settings.protect, retiring=settings.retiring_services),
    )
    tenants = {
        tenant.id: Tenant(
            tenant.id,
            TenantArgs(
                settings=settings,
                tenant=tenant,
                minio_provider=cluster.provider,
                k8s_provider=k8s_provider,
                # The name Output carries the dependency on the user: a key needs its parent user to exist.
                parent_users={service: user.name for service, user in service_users.users.items()},
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
    pulumi.export("erasure", layout_figures(settings).as_output())
    pulumi.export("kms", {"mode": settings.kms.mode, "perTenantKeys": settings.kms.per_tenant_keys})
    pulumi.export(TENANT_PLATFORM_OUTPUT, tenant_platform(settings))
    export_tenants(tenants)


def export_tenants(tenants: Mapping[str, Tenant]) -> None:
    """The `tenants` output of a platform or shard stack: what a consumer needs, where its Secret is (the Secret
    holds the locations and the key id too); never keys."""
    pulumi.export("tenants", {tid: {"secrets": t.secret_names, "kmsKey": t.kms_key} for tid, t in tenants.items()})
