"""Values for the official MinIO chart (5.4.0) and the server environment, pure.

Only keys the chart really has are used (see shared docs, platform facts §1). Nothing secret ever lands here:
root credentials come through `existingSecret`, KMS secrets through `extraSecret`'s `config.env`, and the pods
carry only a SHA-256 of those Secrets (`secrets_checksum`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.model.config import Settings
from components.model.figures import layout_figures

KES_CLIENT_MOUNT = "/etc/minio/kes"
# Chart labels of the MinIO pods (`app: <chart name>`, `release: <release>`), used to spread them.
CHART_APP_LABEL = "minio"
# The chart hashes only its own secrets.yaml/configmap.yaml into the pod template (templates/deployment.yaml,
# statefulset.yaml: checksum/secrets), both empty of ours with existingSecret/extraSecret; this one rolls the pods
# when the Secrets they read change.
SECRETS_CHECKSUM_ANNOTATION = "matih.io/secrets-checksum"


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


@dataclass(frozen=True)
class DataClaim:
    """The standalone server's claim, owned by the program (`persistence.existingClaim`), not by the release: an
    atomic rollback of a failed install deletes the release's own claim and strands a Retain volume with a stale
    claimRef, so every retry would hang until the timeout."""

    name: str
    storage_class: str
    size: str
    volume_name: str | None  # the static local volume it is bound to; None when a provisioner provides one


def local_volume_name(settings: Settings, node: str, drive: int) -> str:
    suffix = node if settings.topology.drives_per_server == 1 else f"{node}-drive-{drive}"
    return f"{settings.release_name}-{suffix}"


def standalone_claim(settings: Settings) -> DataClaim | None:
    if settings.topology.mode != "standalone":
        return None  # the StatefulSet's volumeClaimTemplates make one claim per drive and pod
    storage = settings.storage
    local = storage.kind == "local" and storage.nodes
    return DataClaim(
        name=f"{settings.release_name}-data",
        storage_class=storage.storage_class_name,
        size=storage.size_per_drive,
        volume_name=local_volume_name(settings, storage.nodes[0], 0) if local else None,
    )


def secrets_checksum(contents: Mapping[str, Mapping[str, str]]) -> str:
    """SHA-256 over the data of the Secrets the pods read ({secret name: {key: value}}), in a stable order."""
    canonical = json.dumps(contents, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def pod_annotations(checksum: str) -> dict[str, str]:
    return {SECRETS_CHECKSUM_ANNOTATION: checksum}


def service_values(settings: Settings) -> dict[str, Any]:
    """The S3 Service, exposed as `api.exposure` says (the console stays inside the cluster)."""
    api = settings.api
    if api.exposure == "nodePort":
        # With service.nodePort set the chart renders nodePort and no targetPort, which then defaults to the
        # service port 9000 = minioAPIPort (templates/service.yaml).
        return {"type": "NodePort", "nodePort": api.node_port}
    if api.exposure == "loadBalancer":
        return {
            "type": "LoadBalancer",
            "annotations": dict(api.load_balancer_annotations),
            "loadBalancerSourceRanges": [api.load_balancer_source_range],
        }
    return {"type": "ClusterIP"}


def persistence_values(settings: Settings) -> dict[str, Any]:
    claim = standalone_claim(settings)
    if claim is not None:
        return {"enabled": True, "existingClaim": claim.name}
    return {
        "enabled": True,
        "storageClass": settings.storage.storage_class_name,
        "size": settings.storage.size_per_drive,
        "accessMode": "ReadWriteOnce",
    }


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
    figures = layout_figures(settings)
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


def chart_values(settings: Settings, annotations: object) -> dict[str, Any]:
    """The complete `values` of the Helm release. `annotations` become the pods' `podAnnotations` untouched: a
    mapping, or a deferred value that resolves to one (the checksum of secrets exists only at deploy time)."""
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
        "persistence": persistence_values(settings),
        "podAnnotations": annotations,
        "resources": {"requests": dict(settings.resources.requests), "limits": dict(settings.resources.limits)},
        "environment": server_environment(settings),
        "metrics": {"serviceMonitor": {"enabled": False, "public": False}},
        "service": service_values(settings),
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
        # One server on one ReadWriteOnce claim: chart 5.4.0's default deploymentUpdate (RollingUpdate, maxSurge
        # 100%, maxUnavailable 0; values.yaml, templates/deployment.yaml `strategy`) would start a second standalone
        # server on the same claim during every release change. Recreate stops the old pod first.
        values["deploymentUpdate"] = {"type": "Recreate"}
    return values
