"""Values for the official MinIO chart (5.4.0) and the server environment, pure.

Only keys the chart really has are used (see shared docs, platform facts §1). Nothing secret ever lands here:
root credentials come through `existingSecret`, KMS secrets through `extraSecret`'s `config.env`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.settings import Settings

KES_CLIENT_MOUNT = "/etc/minio/kes"
# Chart labels of the MinIO pods (`app: <chart name>`, `release: <release>`), used to spread them.
CHART_APP_LABEL = "minio"


@dataclass(frozen=True)
class SecretNames:
    """Kubernetes Secrets that the chart reads by name; created by MinioCluster."""

    root_credentials: str
    server_env: str | None  # the chart's extraSecret (config.env); None when nothing secret is needed
    kes_client_tls: str | None


def secret_names(settings: Settings) -> SecretNames:
    kms = settings.kms
    needs_env = kms.mode == "static" or (
        kms.mode == "kes" and kms.kes is not None and kms.kes.api_key_secret is not None
    )
    needs_tls = kms.mode == "kes" and kms.kes is not None and bool(kms.kes.client_cert_secret or kms.kes.ca_secret)
    return SecretNames(
        root_credentials=f"{settings.release_name}-root-credentials",
        server_env=f"{settings.release_name}-server-env" if needs_env else None,
        kes_client_tls=f"{settings.release_name}-kes-client" if needs_tls else None,
    )


def kms_environment(settings: Settings) -> dict[str, str]:
    """Non-secret KMS settings of the server."""
    kms = settings.kms
    if kms.mode == "none":
        return {}
    env = {"MINIO_KMS_AUTO_ENCRYPTION": "on"}
    if kms.mode == "kes" and kms.kes is not None:
        env["MINIO_KMS_KES_ENDPOINT"] = ",".join(kms.kes.endpoints)
        env["MINIO_KMS_KES_KEY_NAME"] = kms.key_name
        if kms.kes.client_cert_secret:
            env["MINIO_KMS_KES_CERT_FILE"] = f"{KES_CLIENT_MOUNT}/client.crt"
            env["MINIO_KMS_KES_KEY_FILE"] = f"{KES_CLIENT_MOUNT}/client.key"
        if kms.kes.ca_secret:
            env["MINIO_KMS_KES_CAPATH"] = f"{KES_CLIENT_MOUNT}/ca.crt"
    return env


def server_environment(settings: Settings) -> dict[str, str]:
    env = {"MINIO_SITE_REGION": settings.region}
    figures = settings.figures
    if figures.mode == "distributed":
        # Written out even where they equal MinIO's defaults, so a preview shows the parity that is in force.
        env["MINIO_STORAGE_CLASS_STANDARD"] = f"EC:{figures.standard_parity}"
        env["MINIO_STORAGE_CLASS_RRS"] = f"EC:{figures.reduced_redundancy_parity}"
        if settings.erasure.set_drive_count:
            env["MINIO_ERASURE_SET_DRIVE_COUNT"] = str(settings.erasure.set_drive_count)
    env.update(kms_environment(settings))
    return env


def pod_spread(settings: Settings) -> list[dict[str, Any]]:
    selector = {"matchLabels": {"app": CHART_APP_LABEL, "release": settings.release_name}}
    return [
        # One MinIO server per node: losing a node then costs one server's drives, which the parity covers.
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": selector,
        },
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": selector,
        },
    ]


def chart_values(settings: Settings) -> dict[str, Any]:
    """The complete `values` of the Helm release."""
    names = secret_names(settings)
    image_tag = settings.image.tag + (f"@{settings.image.digest}" if settings.image.digest else "")
    values: dict[str, Any] = {
        "fullnameOverride": settings.release_name,
        "mode": settings.topology.mode,
        "image": {"repository": settings.image.repository, "tag": image_tag, "pullPolicy": "IfNotPresent"},
        "existingSecret": names.root_credentials,
        "rootUser": "",
        "rootPassword": "",
        # The chart's mc post-install jobs never delete or rotate; tenancy is managed by the MinIO provider.
        "users": [],
        "policies": [],
        "buckets": [],
        "svcaccts": [],
        "customCommands": [],
        "persistence": {
            "enabled": True,
            "storageClass": settings.storage.storage_class_name,
            "size": settings.storage.size_per_drive,
            "accessMode": "ReadWriteOnce",
        },
        "resources": {"requests": dict(settings.resources.requests), "limits": dict(settings.resources.limits)},
        "environment": server_environment(settings),
        "metrics": {"serviceMonitor": {"enabled": False, "public": False}},
        "service": {"type": "ClusterIP"},
        "consoleService": {"type": "ClusterIP"},
        "ingress": {"enabled": False},
        "consoleIngress": {"enabled": False},
        "tls": {
            "enabled": settings.tls.enabled,
            "certSecret": settings.tls.cert_secret or "",
            "publicCrt": "tls.crt",
            "privateKey": "tls.key",
        },
        "nodeSelector": dict(settings.scheduling.node_selector),
        "tolerations": [dict(t) for t in settings.scheduling.tolerations],
    }
    if names.server_env:
        values["extraSecret"] = names.server_env
    if names.kes_client_tls:
        values["extraVolumes"] = [{"name": "kes-client", "secret": {"secretName": names.kes_client_tls}}]
        values["extraVolumeMounts"] = [{"name": "kes-client", "mountPath": KES_CLIENT_MOUNT, "readOnly": True}]
    if settings.topology.mode == "distributed":
        values.update(
            {
                "replicas": settings.topology.servers_per_pool,
                "drivesPerNode": settings.topology.drives_per_server,
                "pools": settings.topology.pools,
                "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
                "topologySpreadConstraints": pod_spread(settings),
            }
        )
    else:
        values["podDisruptionBudget"] = {"enabled": False}
    return values
