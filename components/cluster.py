"""MinioCluster: namespace, storage, root credentials, KMS wiring, the Helm release and the MinIO provider."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_minio as minio
import pulumi_random as random

from components.chart_values import chart_values, secret_names
from components.outputs import secret
from components.settings import KesSettings, SecretKeyRef, Settings


@dataclass(frozen=True)
class MinioClusterArgs:
    settings: Settings
    k8s_provider: k8s.Provider


def _decoded(source: k8s.core.v1.Secret, key: str, what: str) -> pulumi.Output[str]:
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
        super().__init__("matih:storage:MinioCluster", name, None, opts)
        settings = args.settings
        self._settings = settings
        self._k8s = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)
        self._names = secret_names(settings)

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

        chart = settings.chart
        oci = chart.repo.startswith("oci://")
        release = k8s.helm.v3.Release(
            f"{name}-release",
            name=settings.release_name,
            namespace=settings.namespace,
            chart=f"{chart.repo.rstrip('/')}/{chart.name}" if oci else chart.name,
            version=chart.version,
            repository_opts=None if oci else k8s.helm.v3.RepositoryOptsArgs(repo=chart.repo),
            values=chart_values(settings),
            atomic=True,
            cleanup_on_fail=True,
            timeout=settings.helm_timeout_seconds,
            max_history=10,
            opts=pulumi.ResourceOptions.merge(
                self._k8s, pulumi.ResourceOptions(depends_on=[namespace, root_secret, *storage, *kms_secrets])
            ),
        )

        self.provider = minio.Provider(
            f"{name}-minio-provider",
            minio_server=settings.minio_endpoint,
            minio_user=root_user,
            minio_password=root_password,
            minio_region=settings.region,
            minio_ssl=settings.tls.enabled,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[release]),
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
        """The StorageClass (and for local storage one PersistentVolume per drive) the chart's claims bind to."""
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
                "name": f"{self._settings.release_name}-{suffix}",
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
        credentials = k8s.core.v1.Secret(
            f"{name}-root-credentials",
            metadata={"name": self._names.root_credentials, "namespace": self._settings.namespace},
            type="Opaque",
            # The chart's existingSecret contract: data keys rootUser and rootPassword.
            string_data={"rootUser": root_user, "rootPassword": root_password},
            opts=self._in_namespace,
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
                api_key = _decoded(
                    self._existing(name, "kes-api-key", kes.api_key_secret),
                    kes.api_key_secret.key,
                    "kms.kes.apiKeySecret",
                )
                env_lines.append(pulumi.Output.concat("MINIO_KMS_KES_API_KEY=", api_key))
            if self._names.kes_client_tls:
                created.append(self._kes_client_secret(name, kes))
        if self._names.server_env:
            config_env = secret(pulumi.Output.all(*env_lines).apply(lambda lines: "\n".join(lines) + "\n"))
            created.append(
                k8s.core.v1.Secret(
                    f"{name}-server-env",
                    metadata={"name": self._names.server_env, "namespace": self._settings.namespace},
                    type="Opaque",
                    # Loaded by the server through MINIO_CONFIG_ENV_FILE (chart value extraSecret).
                    string_data={"config.env": config_env},
                    opts=self._in_namespace,
                )
            )
        return created

    def _existing(self, name: str, what: str, ref: SecretKeyRef) -> k8s.core.v1.Secret:
        namespace = ref.namespace or self._settings.namespace
        return k8s.core.v1.Secret.get(f"{name}-{what}-source", f"{namespace}/{ref.name}", opts=self._k8s)

    def _kes_client_secret(self, name: str, kes: KesSettings) -> k8s.core.v1.Secret:
        """Copy the KES client certificate (and CA) into MinIO's namespace, where the pods can mount them."""
        data: dict[str, pulumi.Output[str]] = {}
        if kes.client_cert_secret is not None:
            source = self._existing(name, "kes-client-cert", kes.client_cert_secret)
            data["client.crt"] = _decoded(source, "tls.crt", "kms.kes.clientCertSecret")
            data["client.key"] = _decoded(source, "tls.key", "kms.kes.clientCertSecret")
        if kes.ca_secret is not None:
            data["ca.crt"] = _decoded(
                self._existing(name, "kes-ca", kes.ca_secret), kes.ca_secret.key, "kms.kes.caSecret"
            )
        return k8s.core.v1.Secret(
            f"{name}-kes-client",
            metadata={"name": self._names.kes_client_tls, "namespace": self._settings.namespace},
            type="Opaque",
            string_data=data,
            opts=self._in_namespace,
        )
