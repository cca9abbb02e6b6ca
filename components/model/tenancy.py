"""What a tenant gets, as plain data: placement, key, policies, and what each service is told to connect.

The Tenant component turns this into resources; tests and the plan diff read it directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from components.catalog import (
    ACCESS_KEY_ID,
    LAKEHOUSE_BUCKET,
    MLFLOW_BUCKET,
    MLFLOW_SERVICE,
    SECRET_ACCESS_KEY,
    TRINO_ACCESS_KEY_PROPERTY,
    TRINO_SECRET_KEY_PROPERTY,
    TRINO_SERVICE,
    consuming_services,
    grants_of,
)
from components.model.config import TenantContext, TenantSettings
from components.model.iam import (
    MAX_SERVICE_ACCOUNT_POLICY_BYTES,
    TenantPlacement,
    service_account_policy,
    sized_policy_json,
)
from components.model.naming import service_credentials_secret, tenant_kms_key_name


def tenant_kms_key(settings: TenantContext, tenant_id: str) -> str | None:
    """The key a tenant's objects are encrypted with: its own under KES, the single static key otherwise."""
    if settings.kms.mode == "kes":
        return tenant_kms_key_name(tenant_id)
    if settings.kms.mode == "static":
        return settings.kms.key_name
    return None


def placement(tenant: TenantSettings) -> TenantPlacement:
    return TenantPlacement(tenant.id, tenant.dedicated_buckets)


@dataclass(frozen=True)
class TrinoCatalog:
    """A Trino Iceberg catalog for one tenant: native S3 file system on MinIO, SSE-KMS with the tenant's key."""

    file_name: str  # Trino names a catalog after its properties file in the catalog directory
    properties: tuple[tuple[str, str], ...]  # everything but the access key pair

    def render(self, access_key: str, secret_key: str) -> str:
        pairs = [*self.properties, (TRINO_ACCESS_KEY_PROPERTY, access_key), (TRINO_SECRET_KEY_PROPERTY, secret_key)]
        return "".join(f"{name}={value}\n" for name, value in pairs)


@dataclass(frozen=True)
class ServiceAccess:
    """One service's access to one tenant: its access key's policy and the Secret the service reads."""

    service_id: str
    tenant_id: str
    policy: str  # deterministic JSON of the access key's embedded policy
    namespace: str
    secret_name: str
    labels: dict[str, str]
    connection: dict[str, str]  # non-secret settings; the key pair is added by `secret_data`
    trino_catalog: TrinoCatalog | None = None  # Trino's Secret also carries the tenant's catalog file

    def secret_data(self, access_key: str, secret_key: str) -> dict[str, str]:
        """The whole content of the service's Secret, once the key pair exists."""
        data = {**self.connection, ACCESS_KEY_ID: access_key, SECRET_ACCESS_KEY: secret_key}
        if self.trino_catalog:
            data[self.trino_catalog.file_name] = self.trino_catalog.render(access_key, secret_key)
        return data


def _env_suffix(bucket: str) -> str:
    return bucket.upper().replace("-", "_")


def service_connection(
    settings: TenantContext, service_id: str, where: TenantPlacement, kms_key: str | None
) -> dict[str, str]:
    """Everything a service needs to reach its tenant's data, except the access key pair."""
    env = {
        "MATIH_TENANT_ID": where.tenant_id,
        "AWS_REGION": settings.region,
        "AWS_ENDPOINT_URL_S3": settings.s3_endpoint_url,
        "S3_FORCE_PATH_STYLE": "true",
    }
    if kms_key:
        env["S3_SSE_KMS_KEY_ID"] = kms_key
    for grant in grants_of(service_id):
        suffix = _env_suffix(grant.bucket)
        env[f"S3_BUCKET_{suffix}"] = where.bucket(grant.bucket)
        env[f"S3_PREFIX_{suffix}"] = where.prefix()
        env[f"S3_URL_{suffix}"] = where.s3_url(grant.bucket)
        env[f"S3_ACCESS_{suffix}"] = grant.access.value
    return env


def service_accesses(settings: TenantContext, tenant: TenantSettings) -> tuple[ServiceAccess, ...]:
    """Per consuming service: the key's policy and the Secret content (the Trino and MLflow integrations ride
    in the Trino and ML Service Secrets, so a tenant costs no Secret beyond one per service)."""
    where = placement(tenant)
    key = tenant_kms_key(settings, tenant.id)
    accesses = []
    for service_id in consuming_services():
        labels = {"matih.io/service": service_id}
        connection = service_connection(settings, service_id, where, key)
        catalog = None
        if service_id == MLFLOW_SERVICE:
            labels["matih.io/integration"] = "mlflow"
            connection |= mlflow_settings(settings, where, key)
        if service_id == TRINO_SERVICE:
            labels["matih.io/integration"] = "trino-iceberg"
            catalog = trino_catalog(settings, where, key)
        accesses.append(
            ServiceAccess(
                service_id=service_id,
                tenant_id=tenant.id,
                policy=sized_policy_json(
                    service_account_policy(service_id, where, key or "none"),
                    MAX_SERVICE_ACCOUNT_POLICY_BYTES,
                    f"the policy of {service_id} for tenant {tenant.id}",
                ),
                namespace=settings.service_namespaces[service_id],
                secret_name=service_credentials_secret(service_id, tenant.id),
                labels=labels,
                connection=connection,
                trino_catalog=catalog,
            )
        )
    return tuple(accesses)


def trino_catalog(settings: TenantContext, where: TenantPlacement, kms_key: str | None) -> TrinoCatalog:
    properties = [
        ("connector.name", "iceberg"),
        ("iceberg.catalog.type", settings.trino.catalog_type),
        ("iceberg.rest-catalog.uri", settings.trino.catalog_uri),
        ("iceberg.rest-catalog.warehouse", where.s3_url(LAKEHOUSE_BUCKET)),
        ("fs.native-s3.enabled", "true"),
        ("s3.endpoint", settings.s3_endpoint_url),
        ("s3.region", settings.region),
        ("s3.path-style-access", "true"),
    ]
    if kms_key:
        properties += [("s3.sse.type", "KMS"), ("s3.sse.kms-key-id", kms_key)]
    # A catalog name is an SQL identifier: `acme-corp` becomes the catalog `acme_corp`.
    return TrinoCatalog(f"{where.tenant_id.replace('-', '_')}.properties", tuple(properties))


def mlflow_settings(settings: TenantContext, where: TenantPlacement, kms_key: str | None) -> dict[str, str]:
    """Environment of an MLflow tracking server (or client) storing one tenant's artifacts in MinIO; it uses the
    ML Service's key pair (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`) of the same Secret."""
    env = {
        "MLFLOW_S3_ENDPOINT_URL": settings.s3_endpoint_url,
        "MLFLOW_DEFAULT_ARTIFACT_ROOT": where.s3_url(MLFLOW_BUCKET),
        # boto3 reads the region from AWS_DEFAULT_REGION.
        "AWS_DEFAULT_REGION": settings.region,
    }
    if kms_key:
        # boto3 ExtraArgs for every artifact upload, so objects carry the tenant's key.
        env["MLFLOW_S3_UPLOAD_EXTRA_ARGS"] = json.dumps(
            {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key}, sort_keys=True
        )
    return env
