"""Tenant: a tenant's key, dedicated buckets (bucket mode), per-service access keys and their Secrets."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_minio as minio

from components.buckets import BucketSpec, declare_bucket
from components.catalog import BUCKETS, MLFLOW_SERVICE, TRINO_SERVICE
from components.naming import mlflow_artifacts_secret, tenant_bucket_name, trino_catalog_secret
from components.outputs import secret
from components.settings import Settings, TenantSettings
from components.tenancy import (
    mlflow_settings,
    placement,
    service_accesses,
    tenant_kms_key,
    trino_catalog_properties,
)

MANAGED_BY_LABELS = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "matih"}


@dataclass(frozen=True)
class TenantArgs:
    settings: Settings
    tenant: TenantSettings
    minio_provider: minio.Provider
    k8s_provider: k8s.Provider
    parent_users: dict[str, minio.IamUser]
    parent_ready: dict[str, pulumi.Resource]  # the parent's policy attachment: keys are useless before it
    platform_buckets: list[pulumi.Resource]


class Tenant(pulumi.ComponentResource):
    def __init__(self, name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("matih:tenancy:Tenant", name, None, opts)
        settings, tenant = args.settings, args.tenant
        tid = tenant.id
        on_minio = pulumi.ResourceOptions(parent=self, provider=args.minio_provider)
        on_k8s = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)
        where = placement(tenant)
        key_name = tenant_kms_key(settings, tid)

        key_dependency: list[pulumi.Resource] = []
        if settings.kms.per_tenant_keys and key_name:
            # Deleting a key crypto-shreds every object written with it: a removed tenant keeps its key.
            key_dependency.append(
                minio.KmsKey(
                    f"{tid}-kms-key",
                    key_id=key_name,
                    opts=pulumi.ResourceOptions.merge(on_minio, pulumi.ResourceOptions(retain_on_delete=True)),
                )
            )

        data_ready: list[pulumi.Resource] = list(args.platform_buckets)
        if tenant.dedicated_buckets:
            for entry in BUCKETS:
                spec = BucketSpec(
                    f"{tid}-{entry.name}",
                    tenant_bucket_name(entry.name, tid),
                    entry,
                    key_name,
                    tenant.quota_bytes,
                )
                data_ready.append(
                    declare_bucket(
                        spec, settings, self, args.minio_provider, keep_on_delete=True, depends_on=key_dependency
                    )
                )

        self.secret_names: dict[str, str] = {}
        keys: dict[str, minio.IamServiceAccount] = {}
        for access in service_accesses(settings, tenant):
            service_id = access.service_id
            account = minio.IamServiceAccount(
                f"{tid}-{service_id}-access-key",
                target_user=args.parent_users[service_id].name,
                # Always explicit: without an embedded policy the key would inherit every tenant's access.
                policy=access.policy,
                opts=pulumi.ResourceOptions.merge(
                    on_minio,
                    pulumi.ResourceOptions(
                        additional_secret_outputs=["secret_key"],
                        depends_on=[args.parent_ready[service_id], *data_ready, *key_dependency],
                    ),
                ),
            )
            keys[service_id] = account
            credentials: dict[str, pulumi.Input[str]] = {
                **access.connection,
                "AWS_ACCESS_KEY_ID": account.access_key,
                "AWS_SECRET_ACCESS_KEY": secret(account.secret_key),
            }
            k8s.core.v1.Secret(
                f"{tid}-{service_id}-credentials",
                metadata={
                    "name": access.secret_name,
                    "namespace": access.namespace,
                    "labels": {**MANAGED_BY_LABELS, "matih.io/tenant": tid, "matih.io/service": service_id},
                },
                type="Opaque",
                string_data=credentials,
                opts=on_k8s,
            )
            self.secret_names[service_id] = f"{access.namespace}/{access.secret_name}"

        trino = keys[TRINO_SERVICE]
        trino_properties = secret(
            pulumi.Output.all(trino.access_key, trino.secret_key).apply(
                lambda pair: trino_catalog_properties(settings, where, key_name, pair[0], pair[1])
            )
        )
        trino_namespace = settings.service_namespaces[TRINO_SERVICE]
        k8s.core.v1.Secret(
            f"{tid}-trino-catalog",
            metadata={
                "name": trino_catalog_secret(tid),
                "namespace": trino_namespace,
                "labels": {**MANAGED_BY_LABELS, "matih.io/tenant": tid, "matih.io/integration": "trino-iceberg"},
            },
            type="Opaque",
            # Mounted into Trino's catalog directory: the catalog is named after the tenant.
            string_data={f"{tid.replace('-', '_')}.properties": trino_properties},
            opts=on_k8s,
        )
        self.secret_names["trino-catalog"] = f"{trino_namespace}/{trino_catalog_secret(tid)}"

        ml = keys[MLFLOW_SERVICE]
        mlflow_env = secret(
            pulumi.Output.all(ml.access_key, ml.secret_key).apply(
                lambda pair: mlflow_settings(settings, where, key_name, pair[0], pair[1])
            )
        )
        mlflow_namespace = settings.service_namespaces[MLFLOW_SERVICE]
        k8s.core.v1.Secret(
            f"{tid}-mlflow-artifacts",
            metadata={
                "name": mlflow_artifacts_secret(tid),
                "namespace": mlflow_namespace,
                "labels": {**MANAGED_BY_LABELS, "matih.io/tenant": tid, "matih.io/integration": "mlflow"},
            },
            type="Opaque",
            string_data=mlflow_env,
            opts=on_k8s,
        )
        self.secret_names["mlflow"] = f"{mlflow_namespace}/{mlflow_artifacts_secret(tid)}"

        self.locations = {entry.name: where.s3_url(entry.name) for entry in BUCKETS}
        self.kms_key = key_name
        self.register_outputs({"secrets": self.secret_names, "locations": self.locations, "kmsKey": self.kms_key or ""})
