"""What a tenant gets, as plain data: placement, key, policies, and what each service is told to connect.

The Tenant component turns this into resources; tests and the plan diff read it directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from components.catalog import (
    LAKEHOUSE_BUCKET,
    MLFLOW_BUCKET,
    SERVICE_IDS,
    grants_of,
)
from components.iam import (
    MAX_SERVICE_ACCOUNT_POLICY_BYTES,
    TenantPlacement,
    policy_json,
    service_account_policy,
)
from components.naming import service_credentials_secret, tenant_kms_key_name
from components.settings import TenantContext, TenantSettings


def tenant_kms_key(settings: TenantContext, tenant_id: str) -> str | None:
    """The key a tenant's objects are encrypted with: its own under KES, the single static key otherwise."""
    if settings.kms.mode == "kes":
        return tenant_kms_key_name(tenant_id)
    if settings.kms.mode == "static":
        return settings.kms.key_name
    return None


def placement(tenant: TenantSettings) -> TenantPlacement:
    return TenantPlacement(tenant.id, tenant.dedicated_buckets)


def consuming_services() -> tuple[str, ...]:
    """Services that appear in the catalog and therefore get credentials for each tenant."""
    return tuple(s for s in SERVICE_IDS if grants_of(s))


@dataclass(frozen=True)
class ServiceAccess:
    service_id: str
    tenant_id: str
    policy: str  # deterministic JSON of the access key's embedded policy
    namespace: str
    secret_name: str
    connection: dict[str, str]  # non-secret settings; the keys are added by the component


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


class PolicyTooLargeError(ValueError):
    pass


def service_accesses(settings: TenantContext, tenant: TenantSettings) -> tuple[ServiceAccess, ...]:
    where = placement(tenant)
    key = tenant_kms_key(settings, tenant.id)
    accesses = []
    for service_id in consuming_services():
        document = policy_json(service_account_policy(service_id, where, key or "none"))
        if len(document) > MAX_SERVICE_ACCOUNT_POLICY_BYTES:
            raise PolicyTooLargeError(
                f"the policy of {service_id} for tenant {tenant.id} is {len(document)} bytes; MinIO accepts at most "
                f"{MAX_SERVICE_ACCOUNT_POLICY_BYTES}"
            )
        accesses.append(
            ServiceAccess(
                service_id=service_id,
                tenant_id=tenant.id,
                policy=document,
                namespace=settings.service_namespaces[service_id],
                secret_name=service_credentials_secret(service_id, tenant.id),
                connection=service_connection(settings, service_id, where, key),
            )
        )
    return tuple(accesses)


def trino_catalog_properties(
    settings: TenantContext, where: TenantPlacement, kms_key: str | None, access_key: str, secret_key: str
) -> str:
    """A Trino Iceberg catalog for one tenant: native S3 file system on MinIO, SSE-KMS with the tenant's key."""
    lines = [
        "connector.name=iceberg",
        f"iceberg.catalog.type={settings.trino.catalog_type}",
        f"iceberg.rest-catalog.uri={settings.trino.catalog_uri}",
        f"iceberg.rest-catalog.warehouse={where.s3_url(LAKEHOUSE_BUCKET)}",
        "fs.native-s3.enabled=true",
        f"s3.endpoint={settings.s3_endpoint_url}",
        f"s3.region={settings.region}",
        "s3.path-style-access=true",
        f"s3.aws-access-key={access_key}",
        f"s3.aws-secret-key={secret_key}",
    ]
    if kms_key:
        lines += ["s3.sse.type=KMS", f"s3.sse.kms-key-id={kms_key}"]
    return "\n".join(lines) + "\n"


def mlflow_settings(
    settings: TenantContext, where: TenantPlacement, kms_key: str | None, access_key: str, secret_key: str
) -> dict[str, str]:
    """Environment of an MLflow tracking server (or client) storing one tenant's artifacts in MinIO."""
    env = {
        "MLFLOW_S3_ENDPOINT_URL": settings.s3_endpoint_url,
        "MLFLOW_DEFAULT_ARTIFACT_ROOT": where.s3_url(MLFLOW_BUCKET),
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_DEFAULT_REGION": settings.region,
    }
    if kms_key:
        # boto3 ExtraArgs for every artifact upload, so objects carry the tenant's key.
        env["MLFLOW_S3_UPLOAD_EXTRA_ARGS"] = json.dumps(
            {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key}, sort_keys=True
        )
    return env
