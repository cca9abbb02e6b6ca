"""MinioCluster: namespace, storage, root credentials, KMS wiring, the Helm release, its readiness gate and the
MinIO provider."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
import pulumi_minio as minio
import pulumi_random as random

from components import tokens
from components.model import readiness
from components.model.chart_values import (
    chart_values,
    local_volume_name,
    pod_annotations,
    secret_names,
    secrets_checksum,
    standalone_claim,
)
from components.model.config import KesSettings, SecretKeyRef, Settings
from components.resources.outputs import secret

# The data of every Secret the MinIO pods read, by Secret name (hashed into the pod template, never shown).
PodSecrets = dict[str, Mapping[str, pulumi.Input[str]]]


@dataclass(frozen=True)
class MinioClusterArgs:
    settings: Settings
    k8s_provider: k8s.Provider


def decoded_secret_value(source: k8s.core.v1.Secret, key: str, what: str) -> pulumi.Output[str]:
    def pick(data: Mapping[str, str]) -> str:
        if not data or key not in data:
            raise ValueError(f"{what}: the Secret has no data key {key!r}")
        return base64.b64decode(data[key]).decode()

    return secret(source.data.apply(pick))


class MinioCluster(pulumi.ComponentResource):
    """A MinIO server (standalone or distributed) from the official chart, with everything it needs."""

    namespace: pulumi.Output[str]
    release_name: pulumi.Output[str]
    provider: minio.Provider

    def __init__(self, name: str, args: MinioClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(tokens.MINIO_CLUSTER, name, None, opts)
        settings = args.settings
        self._settings = settings
        self._k8s = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)
        self._names = secret_names(settings)
        self._pod_secrets: PodSecrets = {}

        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": settings.namespace,
                "labels": {
                    "app.kubernetes.io/part-of": "matih",
                    # The chart's pods run as non-root without privilege; baseline keeps it that way.
                    "pod-security.kubernetes.io/enforce": "baseline",
                },
            },
            opts=pulumi.ResourceOptions.merge(self._k8s, pulumi.ResourceOptions(protect=settings.protect)),
        )
        self._in_namespace = pulumi.ResourceOptions.merge(self._k8s, pulumi.ResourceOptions(depends_on=[namespace]))
        storage = self._storage(name)
        root_user, root_password, root_secret = self._root_credentials(name)
        kms_secrets = self._kms_secrets(name)

        checksum = self._secrets_checksum()
        chart = settings.chart
        oci = chart.repo.startswith("oci://")
        release = k8s.helm.v3.Release(
            f"{name}-release",
            name=settings.release_name,
            namespace=settings.namespace,
            chart=f"{chart.repo.rstrip('/')}/{chart.name}" if oci else chart.name,
            version=chart.version,
            repository_opts=None if oci else k8s.helm.v3.RepositoryOptsArgs(repo=chart.repo),
            values=chart_values(settings, checksum.apply(pod_annotations)),
            atomic=True,
            cleanup_on_fail=True,
            timeout=settings.helm_timeout_seconds,
            max_history=10,
            opts=pulumi.ResourceOptions.merge(
                self._k8s, pulumi.ResourceOptions(depends_on=[namespace, root_secret, *storage, *kms_secrets])
            ),
        )

        gate = self._readiness_gate(name, checksum, release)
        self.provider = minio.Provider(
            f"{name}-minio-provider",
            minio_server=settings.api.endpoint,
            minio_user=root_user,
            minio_password=root_password,
            minio_region=settings.region,
            minio_ssl=settings.tls.enabled,
            minio_cacert_file=settings.api.ca_file,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[gate]),
        )
        # Resolves once the namespace exists, so dependants of this output wait for it.
        self.namespace = namespace.id.apply(lambda _: settings.namespace)
        self.release_name = release.name.apply(lambda n: n or settings.release_name)
        self.root_credentials_secret = self._names.root_credentials
        self.s3_endpoint = settings.s3_endpoint_url
        self.register_outputs(
            {
                "namespace": self.namespace,
                "releaseName": self.release_name,
                "s3Endpoint": self.s3_endpoint,
                "rootCredentialsSecret": self.root_credentials_secret,
            }
        )

    def _storage(self, name: str) -> list[pulumi.Resource]:
        """The StorageClass (and for local storage one PersistentVolume per drive) the chart's claims bind to, and a
        standalone server's own claim (see chart_values.DataClaim)."""
        storage = self._settings.storage
        resources: list[pulumi.Resource] = []
        if storage.create_storage_class:
            local = storage.kind == "local"
            resources.append(
                k8s.storage.v1.StorageClass(
                    f"{name}-storage-class",
                    metadata={"name": storage.storage_class_name},
                    provisioner="kubernetes.io/no-provisioner" if local else storage.provisioner,
                    parameters=None if local else dict(storage.parameters) or None,
                    reclaim_policy="Retain",
                    volume_binding_mode="WaitForFirstConsumer",
                    allow_volume_expansion=None if local else True,
                    opts=self._k8s,
                )
            )
        if storage.kind == "local":
            drives = self._settings.topology.drives_per_server
            for node in storage.nodes:
                for drive in range(drives):
                    resources.append(self._local_volume(name, node, drive, drives, depends_on=resources[:1]))
        claim = standalone_claim(self._settings)
        if claim is not None:
            metadata: dict[str, Any] = {"name": claim.name, "namespace": self._settings.namespace}
            spec: dict[str, Any] = {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": claim.storage_class,
                "resources": {"requests": {"storage": claim.size}},
            }
            if claim.volume_name:
                spec["volumeName"] = claim.volume_name
                # A claim pre-bound by volumeName binds at once, whatever the class's binding mode; but under
                # WaitForFirstConsumer pulumi-kubernetes waits for phase Pending (v4.32.0 provider/pkg/await/
                # awaiters.go untilCoreV1PersistentVolumeClaimReady), which such a claim may already have left, and
                # would then time out after 5 minutes. The pod waits for the binding anyway.
                metadata["annotations"] = {"pulumi.com/skipAwait": "true"}
            resources.append(
                k8s.core.v1.PersistentVolumeClaim(
                    f"{name}-data",
                    # Kubernetes' own (camelCase) field names: the SDK passes keys it does not know through as is.
                    metadata=cast(Any, metadata),
                    spec=cast(Any, spec),
                    opts=pulumi.ResourceOptions.merge(
                        self._in_namespace,
                        pulumi.ResourceOptions(protect=self._settings.protect, depends_on=list(resources)),
                    ),
                )
            )
        return resources

    def _local_volume(
        self, name: str, node: str, drive: int, drives: int, depends_on: list[pulumi.Resource]
    ) -> k8s.core.v1.PersistentVolume:
        storage = self._settings.storage
        suffix = f"{node}" if drives == 1 else f"{node}-drive-{drive}"
        assert storage.host_path is not None, "validated: local storage has a host path"
        path = storage.host_path if drives == 1 else f"{storage.host_path}/drive-{drive}"
        core = k8s.core.v1
        on_node = core.NodeSelectorRequirementArgs(key="kubernetes.io/hostname", operator="In", values=[node])
        spec = core.PersistentVolumeSpecArgs(
            capacity={"storage": storage.size_per_drive},
            access_modes=["ReadWriteOnce"],
            persistent_volume_reclaim_policy="Retain",
            storage_class_name=storage.storage_class_name,
            volume_mode="Filesystem",
            local=core.LocalVolumeSourceArgs(path=path),
            node_affinity=core.VolumeNodeAffinityArgs(
                required=core.NodeSelectorArgs(
                    node_selector_terms=[core.NodeSelectorTermArgs(match_expressions=[on_node])]
                )
            ),
        )
        return k8s.core.v1.PersistentVolume(
            f"{name}-pv-{suffix}",
            metadata={
                "name": local_volume_name(self._settings, node, drive),
                "labels": {"app.kubernetes.io/part-of": "matih"},
            },
            spec=spec,
            opts=pulumi.ResourceOptions.merge(
                self._k8s, pulumi.ResourceOptions(protect=self._settings.protect, depends_on=depends_on)
            ),
        )

    def _root_credentials(self, name: str) -> tuple[pulumi.Output[str], pulumi.Output[str], k8s.core.v1.Secret]:
        generated = pulumi.ResourceOptions(parent=self, additional_secret_outputs=["result"])
        # Changing a keeper replaces the RandomPassword (pulumi_random RandomPassword `keepers`): bumping
        # rootCredentialsRotation rotates both; none at 0, so existing stacks keep their credentials.
        rotation = self._settings.root_credentials_rotation
        keepers = {"rotation": str(rotation)} if rotation else None
        user = random.RandomPassword(f"{name}-root-user", length=20, special=False, keepers=keepers, opts=generated)
        password = random.RandomPassword(
            f"{name}-root-password", length=40, special=False, keepers=keepers, opts=generated
        )
        root_user = secret(user.result)
        root_password = secret(password.result)
        credentials = self._pod_secret(
            f"{name}-root-credentials",
            self._names.root_credentials,
            # The chart's existingSecret contract: data keys rootUser and rootPassword.
            {"rootUser": root_user, "rootPassword": root_password},
        )
        return root_user, root_password, credentials

    def _kms_secrets(self, name: str) -> list[pulumi.Resource]:
        kms = self._settings.kms
        created: list[pulumi.Resource] = []
        env_lines: list[pulumi.Output[str]] = []
        if kms.mode == "static":
            key = random.RandomBytes(
                f"{name}-kms-static-key",
                length=32,
                opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["base64", "hex"]),
            )
            env_lines.append(pulumi.Output.concat("MINIO_KMS_SECRET_KEY=", kms.key_name, ":", key.base64))
        if kms.mode == "kes" and kms.kes is not None:
            kes = kms.kes
            if kes.api_key_secret is not None:
                api_key = decoded_secret_value(
                    self._existing(name, "kes-api-key", kes.api_key_secret),
                    kes.api_key_secret.key,
                    "kms.kes.apiKeySecret",
                )
                env_lines.append(pulumi.Output.concat("MINIO_KMS_KES_API_KEY=", api_key))
            if self._names.kes_client_tls:
                created.append(self._kes_client_secret(name, kes))
        if self._names.server_env:
            config_env = secret(pulumi.Output.all(*env_lines).apply(lambda lines: "\n".join(lines) + "\n"))
            # Loaded by the server through MINIO_CONFIG_ENV_FILE (chart value extraSecret).
            created.append(self._pod_secret(f"{name}-server-env", self._names.server_env, {"config.env": config_env}))
        return created

    def _pod_secret(self, resource_name: str, name: str, data: Mapping[str, pulumi.Input[str]]) -> k8s.core.v1.Secret:
        """A Secret in MinIO's namespace that the pods read; its content goes into their checksum."""
        self._pod_secrets[name] = data
        return k8s.core.v1.Secret(
            resource_name,
            metadata={"name": name, "namespace": self._settings.namespace},
            type="Opaque",
            string_data=data,
            opts=self._in_namespace,
        )

    def _secrets_checksum(self) -> pulumi.Output[str]:
        """The pods' checksum of their Secrets' content. Unsecret: it is a SHA-256 over at least the 40 random
        alphanumerics of the root password (about 238 bits), so it reveals nothing, and a secret anywhere inside
        `values` would make every Helm value secret in previews and diffs."""
        contents = cast(pulumi.Output[Mapping[str, Mapping[str, str]]], pulumi.Output.from_input(self._pod_secrets))
        return pulumi.Output.unsecret(contents.apply(secrets_checksum))

    def _readiness_gate(self, name: str, checksum: pulumi.Output[str], release: pulumi.Resource) -> k8s.batch.v1.Job:
        """A Job that completes once MinIO reports healthy (see components/model/readiness.py)."""
        settings = self._settings
        job_name = checksum.apply(lambda c: readiness.job_name(settings, readiness.release_fingerprint(settings, c)))
        timeout = f"{readiness.await_timeout_seconds(settings)}s"
        return k8s.batch.v1.Job(
            f"{name}-ready",
            # A plain Kubernetes manifest (camelCase), passed through by the SDK as is.
            metadata=cast(Any, readiness.job_metadata(settings, job_name)),
            spec=cast(Any, readiness.job_spec(settings)),
            opts=pulumi.ResourceOptions.merge(
                self._k8s,
                pulumi.ResourceOptions(
                    depends_on=[release], custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout)
                ),
            ),
        )

    def _existing(self, name: str, what: str, ref: SecretKeyRef) -> k8s.core.v1.Secret:
        namespace = ref.namespace or self._settings.namespace
        return k8s.core.v1.Secret.get(f"{name}-{what}-source", f"{namespace}/{ref.name}", opts=self._k8s)

    def _kes_client_secret(self, name: str, kes: KesSettings) -> k8s.core.v1.Secret:
        """Copy the KES client certificate (and CA) into MinIO's namespace, where the pods can mount them."""
        data: dict[str, pulumi.Output[str]] = {}
        if kes.client_cert_secret is not None:
            source = self._existing(name, "kes-client-cert", kes.client_cert_secret)
            data["client.crt"] = decoded_secret_value(source, "tls.crt", "kms.kes.clientCertSecret")
            data["client.key"] = decoded_secret_value(source, "tls.key", "kms.kes.clientCertSecret")
        if kes.ca_secret is not None:
            data["ca.crt"] = decoded_secret_value(
                self._existing(name, "kes-ca", kes.ca_secret), kes.ca_secret.key, "kms.kes.caSecret"
            )
        assert self._names.kes_client_tls is not None, "only called when a KES client Secret is needed"
        return self._pod_secret(f"{name}-kes-client", self._names.kes_client_tls, data)
