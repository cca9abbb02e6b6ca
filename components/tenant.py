"""Tenant: a tenant's key, dedicated buckets (bucket mode), and per service an access key and its Secret.

Every resource here belongs to this one tenant, and nothing outside depends on a tenant: adding or removing one
changes no other resource. Each resource depends only on what MinIO or Kubernetes needs to create it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_minio as minio

from components.buckets import BucketSpec, declare_bucket
from components.catalog import BUCKETS
from components.naming import tenant_bucket_name
from components.outputs import secret
from components.settings import Settings, TenantSettings
from components.tenancy import ServiceAccess, service_accesses, tenant_kms_key

MANAGED_BY_LABELS = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "matih"}


@dataclass(frozen=True)
class TenantArgs:
    settings: Settings
    tenant: TenantSettings
    minio_provider: minio.Provider
    k8s_provider: k8s.Provider
    parent_users: dict[str, minio.IamUser]


class Tenant(pulumi.ComponentResource):
    """`secret_names[service]` is the `namespace/name` of the Secret the service reads for this tenant."""

    def __init__(self, name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("matih:tenancy:Tenant", name, None, opts)
        self._args = args
        self._on_minio = pulumi.ResourceOptions(parent=self, provider=args.minio_provider)
        self._on_k8s = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)
        self.kms_key = tenant_kms_key(args.settings, args.tenant.id)

        key = self._declare_kms_key()
        if args.tenant.dedicated_buckets:
            self._declare_dedicated_buckets(key)
        self.secret_names: dict[str, str] = {}
        for access in service_accesses(args.settings, args.tenant):
            self._declare_access(access)
        self.register_outputs({})

    def _declare_kms_key(self) -> list[pulumi.Resource]:
        """The tenant's own KES key; none under a static key (one key for all) or without a KMS."""
        if not (self._args.settings.kms.per_tenant_keys and self.kms_key):
            return []
        # Deleting a key crypto-shreds every object written with it: a removed tenant keeps its key.
        return [
            minio.KmsKey(
                f"{self._args.tenant.id}-kms-key",
                key_id=self.kms_key,
                opts=pulumi.ResourceOptions.merge(self._on_minio, pulumi.ResourceOptions(retain_on_delete=True)),
            )
        ]

    def _declare_dedicated_buckets(self, key: list[pulumi.Resource]) -> None:
        """Bucket mode: a copy of every catalog bucket, encrypted by default with the tenant's key (MinIO
        refuses a bucket encryption naming a key it does not have, hence the dependency)."""
        settings, tenant = self._args.settings, self._args.tenant
        for entry in BUCKETS:
            spec = BucketSpec(
                f"{tenant.id}-{entry.name}",
                tenant_bucket_name(entry.name, tenant.id),
                entry,
                self.kms_key,
                tenant.quota_bytes,
            )
            declare_bucket(spec, settings, self, self._args.minio_provider, keep_on_delete=True, depends_on=key)

    def _declare_access(self, access: ServiceAccess) -> None:
        """The service's access key and the Secret that hands it over.

        The key depends on its parent user only (through `target_user`): MinIO's AddServiceAccount checks that
        the target user exists and validates the embedded policy's syntax, but never looks up the buckets or keys
        it names (RELEASE.2024-12-18T13-15-44Z cmd/admin-handlers-users.go `AddServiceAccount`, cmd/iam.go
        `NewServiceAccount`; minio/pkg v3.0.23 policy `Policy.Validate`).
        """
        tid, service_id = self._args.tenant.id, access.service_id
        account = minio.IamServiceAccount(
            f"{tid}-{service_id}-access-key",
            target_user=self._args.parent_users[service_id].name,
            # Always explicit: without an embedded policy the key would inherit every tenant's access.
            policy=access.policy,
            opts=pulumi.ResourceOptions.merge(
                self._on_minio, pulumi.ResourceOptions(additional_secret_outputs=["secret_key"])
            ),
        )
        # One Output for the whole map (not two per key): the SDK tracks every pending Output, and the garbage
        # collector walks them all; secret as a whole because the secret key is in it.
        data = pulumi.Output.all(account.access_key, account.secret_key).apply(
            lambda pair: access.secret_data(pair[0], pair[1])
        )
        k8s.core.v1.Secret(
            f"{tid}-{service_id}-credentials",
            metadata={
                "name": access.secret_name,
                "namespace": access.namespace,
                "labels": {**MANAGED_BY_LABELS, "matih.io/tenant": tid, **access.labels},
            },
            type="Opaque",
            string_data=secret(data),
            opts=self._on_k8s,
        )
        self.secret_names[service_id] = f"{access.namespace}/{access.secret_name}"
