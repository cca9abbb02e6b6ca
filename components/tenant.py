"""Tenant: a tenant's key, dedicated buckets (bucket mode), per-service access keys and their Secrets."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import pulumi
import pulumi_kubernetes as k8s
import pulumi_minio as minio

from components.buckets import BucketSpec, declare_bucket
from components.catalog import BUCKETS, MLFLOW_SERVICE, TRINO_SERVICE
from components.naming import mlflow_artifacts_secret, tenant_bucket_name, trino_catalog_secret
from components.outputs import secret
from components.settings import TenantContext, TenantSettings
from components.tenancy import (
    mlflow_settings,
    placement,
    service_accesses,
    tenant_kms_key,
    trino_catalog_properties,
)

T = TypeVar("T")
MANAGED_BY_LABELS = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "matih"}


@dataclass(frozen=True)
class TenantArgs:
    settings: TenantContext
    tenant: TenantSettings
    minio_provider: minio.Provider
    k8s_provider: k8s.Provider
    parent_users: Mapping[str, pulumi.Input[str]]  # service -> the name of its parent user
    parent_ready: dict[str, pulumi.Resource]  # the parent's policy attachment: keys are useless before it
    platform_buckets: list[pulumi.Resource]


class Tenant(pulumi.ComponentResource):
    def __init__(self, name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("matih:tenancy:Tenant", name, None, opts)
        settings, tenant = args.settings, args.tenant
        tid = tenant.id
        on_minio = pulumi.ResourceOptions(parent=self, provider=args.minio_provider)
        self._tenant_id = tid
        self._on_k8s = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)
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
                target_user=args.parent_users[service_id],
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
            self._deliver(
                service_id,
                f"{tid}-{service_id}-credentials",
                access.namespace,
                access.secret_name,
                {"matih.io/service": service_id},
                credentials,
            )

        self._deliver(
            "trino-catalog",
            f"{tid}-trino-catalog",
            settings.service_namespaces[TRINO_SERVICE],
            trino_catalog_secret(tid),
            {"matih.io/integration": "trino-iceberg"},
            # Mounted into Trino's catalog directory: the catalog is named after the tenant.
            {
                f"{tid.replace('-', '_')}.properties": _with_keys(
                    keys[TRINO_SERVICE], lambda ak, sk: trino_catalog_properties(settings, where, key_name, ak, sk)
                )
            },
        )
        self._deliver(
            "mlflow",
            f"{tid}-mlflow-artifacts",
            settings.service_namespaces[MLFLOW_SERVICE],
            mlflow_artifacts_secret(tid),
            {"matih.io/integration": "mlflow"},
            _with_keys(keys[MLFLOW_SERVICE], lambda ak, sk: mlflow_settings(settings, where, key_name, ak, sk)),
        )

        self.locations = {entry.name: where.s3_url(entry.name) for entry in BUCKETS}
        self.kms_key = key_name
        self.register_outputs({"secrets": self.secret_names, "locations": self.locations, "kmsKey": self.kms_key or ""})

    def _deliver(
        self,
        output_key: str,
        resource_name: str,
        namespace: str,
        name: str,
        labels: dict[str, str],
        data: pulumi.Input[Mapping[str, pulumi.Input[str]]],
    ) -> None:
        """A Secret in a consumer's namespace; its name (never its content) becomes a stack output."""
        k8s.core.v1.Secret(
            resource_name,
            metadata={
                "name": name,
                "namespace": namespace,
                "labels": {**MANAGED_BY_LABELS, "matih.io/tenant": self._tenant_id, **labels},
            },
            type="Opaque",
            string_data=data,
            opts=self._on_k8s,
        )
        self.secret_names[output_key] = f"{namespace}/{name}"


def _with_keys(account: minio.IamServiceAccount, render: Callable[[str, str], T]) -> pulumi.Output[T]:
    """Client settings rendered with an access key pair, secret as a whole because the secret key is in them."""
    return secret(
        pulumi.Output.all(account.access_key, account.secret_key).apply(lambda pair: render(pair[0], pair[1]))
    )
