"""Tenant: a tenant's key, dedicated buckets (bucket mode), and per service an access key and its Secret.

Every resource here belongs to this one tenant, and nothing outside depends on a tenant: adding or removing one
changes no other resource. Each resource depends only on what MinIO or Kubernetes needs to create it. What the
tenant's lifecycle state, adoption and key rotation declare is decided in the pure layer
(components/model/offboarding.py, components/model/rotation.py); this component only translates it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pulumi
import pulumi_kubernetes as k8s
import pulumi_minio as minio

from components import tokens
from components.catalog import BUCKET_NAMES, BUCKETS
from components.model.config import TenantContext, TenantSettings
from components.model.naming import tenant_bucket_name
from components.model.offboarding import PURGE, TenantLifecycle, purge_steps, tenant_lifecycle
from components.model.rotation import access_key_generations
from components.model.tenancy import ServiceAccess, service_accesses, tenant_kms_key
from components.resources.buckets import BucketSpec, declare_bucket

MANAGED_BY_LABELS = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "matih"}


@dataclass(frozen=True)
class TenantArgs:
    settings: TenantContext
    tenant: TenantSettings
    minio_provider: minio.Provider
    k8s_provider: k8s.Provider
    parent_users: Mapping[str, pulumi.Input[str]]  # service -> the name of its parent user
    # The services' namespaces where this program creates them (createServiceNamespaces), by name.
    namespaces: Mapping[str, pulumi.Resource] = field(default_factory=dict)


class Tenant(pulumi.ComponentResource):
    """`secret_names[service]` is the `namespace/name` of the Secret the service reads for this tenant."""

    def __init__(self, name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None):
        tenant = args.tenant
        lifecycle = tenant_lifecycle(args.settings, tenant, BUCKET_NAMES)
        # Inputs of the component, so that the policy pack sees an offboarding or a purge and the plan diff sees
        # where the tenant's objects live (tools/change_risks.py).
        props = {"state": tenant.state, "isolation": tenant.isolation}
        props |= {"purgeAcknowledged": tenant.id} if tenant.state == PURGE else {}
        super().__init__(tokens.TENANT, name, props, opts)
        if tenant.state == PURGE:
            steps = purge_steps(args.settings, tenant, BUCKET_NAMES)
            pulumi.log.warn(
                f"tenant {tenant.id} is being purged; then: " + "; ".join(f"{n}. {s}" for n, s in enumerate(steps, 1))
            )
        self._args = args
        self._on_minio = pulumi.ResourceOptions(parent=self, provider=args.minio_provider)
        self._on_k8s = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)
        self.kms_key = tenant_kms_key(args.settings, tenant.id)

        key = self._declare_kms_key(lifecycle)
        if tenant.dedicated_buckets:
            self._declare_dedicated_buckets(lifecycle, key)
        self.secret_names: dict[str, str] = {}
        # Offboarding revokes access: no keys, no Secrets.
        for access in service_accesses(args.settings, tenant) if lifecycle.grants_access else ():
            self._declare_access(access)
        # On the real engine a stack policy sees a component's registered outputs, not its inputs (pulumi
        # step_generator.go `AnalyzeResources`, `Properties: v.Outputs`): tenant-offboarding-and-purge reads the state.
        self.register_outputs({**props, "secretNames": dict(sorted(self.secret_names.items()))})

    def _declare_kms_key(self, lifecycle: TenantLifecycle) -> list[pulumi.Resource]:
        """The tenant's own KES key; none under a static key (one key for all) or without a KMS."""
        if not (self._args.settings.kms.per_tenant_keys and self.kms_key):
            return []
        # Deleting a key crypto-shreds every object written with it: a removed tenant keeps its key.
        return [
            minio.KmsKey(
                f"{self._args.tenant.id}-kms-key",
                key_id=self.kms_key,
                opts=pulumi.ResourceOptions.merge(
                    self._on_minio,
                    pulumi.ResourceOptions(
                        protect=lifecycle.key.protect,
                        retain_on_delete=lifecycle.key.retain_on_delete,
                        import_=lifecycle.key.import_id,
                    ),
                ),
            )
        ]

    def _declare_dedicated_buckets(self, lifecycle: TenantLifecycle, key: list[pulumi.Resource]) -> None:
        """Bucket mode: a copy of every catalog bucket, encrypted by default with the tenant's key (MinIO
        refuses a bucket encryption naming a key it does not have, hence the dependency; it also orders a
        deletion: Pulumi deletes the buckets before the key)."""
        settings, tenant = self._args.settings, self._args.tenant
        for entry in BUCKETS:
            bucket_name = tenant_bucket_name(entry.name, tenant.id)
            spec = BucketSpec(
                f"{tenant.id}-{entry.name}",
                bucket_name,
                entry,
                self.kms_key,
                lifecycle.buckets[bucket_name],
                tenant.quota_bytes,
            )
            declare_bucket(spec, settings, self, self._args.minio_provider, depends_on=key)

    def _declare_access(self, access: ServiceAccess) -> None:
        """The service's access keys (the current and, until retired, the previous generation) and the Secret that
        hands over the current one.

        A key depends on its parent user only (through `target_user`): MinIO's AddServiceAccount checks that
        the target user exists and validates the embedded policy's syntax, but never looks up the buckets or keys
        it names (RELEASE.2024-12-18T13-15-44Z cmd/admin-handlers-users.go `AddServiceAccount`, cmd/iam.go
        `NewServiceAccount`; minio/pkg v3.0.23 policy `Policy.Validate`).
        """
        tid, service_id = self._args.tenant.id, access.service_id
        keys = [
            minio.IamServiceAccount(
                generation.resource_name,
                target_user=self._args.parent_users[service_id],
                # Always explicit: without an embedded policy the key would inherit every tenant's access.
                policy=access.policy,
                opts=pulumi.ResourceOptions.merge(
                    self._on_minio, pulumi.ResourceOptions(additional_secret_outputs=["secret_key"])
                ),
            )
            for generation in access_key_generations(self._args.settings, self._args.tenant, service_id)
        ]
        current = keys[-1]  # generations come oldest first
        # One Output for the whole map (not two per key): the SDK tracks every pending Output, and the garbage
        # collector walks them all. A read-only view, not the dict: Output.from_input (which the Secret runs on its
        # string_data) lifts each key and each value of a `dict` into Outputs of their own, two per key, but carries
        # any other Mapping as one value; it is sent the same, since serialize_property takes any Mapping (pulumi
        # 3.272 pulumi/output.py `Output.from_input`, pulumi/runtime/rpc.py `serialize_property`). The map is secret
        # twice over without a wrapper of ours: it carries the secret key (additional_secret_outputs), and the Secret
        # makes string_data secret itself (pulumi-kubernetes 4.34.2 core/v1/Secret.py `Secret._internal_init`).
        data = pulumi.Output.all(current.access_key, current.secret_key).apply(
            lambda pair: MappingProxyType(access.secret_data(pair[0], pair[1]))
        )
        namespace = self._args.namespaces.get(access.namespace)
        k8s.core.v1.Secret(
            f"{tid}-{service_id}-credentials",
            metadata={
                "name": access.secret_name,
                "namespace": access.namespace,
                "labels": {**MANAGED_BY_LABELS, "matih.io/tenant": tid, **access.labels},
            },
            type="Opaque",
            string_data=data,
            opts=pulumi.ResourceOptions.merge(
                self._on_k8s, pulumi.ResourceOptions(depends_on=[namespace] if namespace is not None else None)
            ),
        )
        self.secret_names[service_id] = f"{access.namespace}/{access.secret_name}"
