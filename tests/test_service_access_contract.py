"""What every service's Secret promises its consumers, read straight from the pure layer (issue 18: the mutation run
of components/model/tenancy.py found these pinned only by the slow program tests, which `make mutate` no longer
runs for it).

The contract, from the README's tenancy section and the consumers' own conventions: one Secret per (service,
tenant) named `minio-<service>-<tenant>` in the service's namespace, labelled with the service (and the
integration it feeds: MLflow for ml-service, Trino's Iceberg catalog for trino); the tenant id and the S3 region
under the names the AWS SDKs read (`AWS_REGION`; boto3, under MLflow, reads `AWS_DEFAULT_REGION`).
"""

from __future__ import annotations

import json

import pytest

from components.model.config import load_settings
from components.model.tenancy import service_accesses
from tools.engine import project_config_values

PROD = project_config_values("prod")


# Function-scoped on purpose: mutmut runs, for a mutant, only the tests whose own run called the function.
@pytest.fixture
def accesses():
    settings = load_settings(PROD, "prod")
    (tenant,) = [t for t in settings.tenants if t.id == "acme-corp"]
    return {a.service_id: a for a in service_accesses(settings, tenant)}


def test_each_secret_is_named_for_its_service_and_tenant_in_the_services_namespace(accesses):
    for service, access in accesses.items():
        assert access.tenant_id == "acme-corp"
        assert access.secret_name == f"minio-{service}-acme-corp"
        assert access.namespace == PROD["services"][service]


def test_labels_name_the_service_and_the_integration_it_feeds(accesses):
    integrations = {"ml-service": "mlflow", "trino": "trino-iceberg"}
    for service, access in accesses.items():
        expected = {"matih.io/service": service}
        if service in integrations:
            expected["matih.io/integration"] = integrations[service]
        assert access.labels == expected, service


def test_the_tenant_and_region_reach_every_service_under_the_sdks_names(accesses):
    for service, access in accesses.items():
        assert access.connection["MATIH_TENANT_ID"] == "acme-corp", service
        assert access.connection["AWS_REGION"] == "us-east-1", service
        assert access.connection["S3_SSE_KMS_KEY_ID"] == "tenant-acme-corp", service
    assert accesses["ml-service"].connection["AWS_DEFAULT_REGION"] == "us-east-1"


def test_mlflow_uploads_carry_the_tenants_key_as_boto3_extra_args(accesses):
    extra = accesses["ml-service"].connection["MLFLOW_S3_UPLOAD_EXTRA_ARGS"]
    assert json.loads(extra) == {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "tenant-acme-corp"}
    # Deterministic text: the Secret's digest (and so the plan diff) must not change from one run to the next.
    assert extra == '{"SSEKMSKeyId": "tenant-acme-corp", "ServerSideEncryption": "aws:kms"}'


def test_the_trino_catalog_uses_the_tenants_key(accesses):
    properties = dict(accesses["trino"].trino_catalog.properties)
    assert properties["s3.sse.type"] == "KMS"
    assert properties["s3.sse.kms-key-id"] == "tenant-acme-corp"


def test_every_writers_key_policy_pins_the_tenants_kms_key(accesses):
    # A writer's policy refuses uploads under any other tenant's key (components/model/iam.py, the foreign-key
    # Deny), so it names the tenant's own key; no policy falls back to the placeholder used without per-tenant keys.
    writers = [
        a for a in accesses.values() if "write" in {v for k, v in a.connection.items() if k.startswith("S3_ACCESS_")}
    ]
    assert writers
    for access in writers:
        assert "tenant-acme-corp" in access.policy, access.service_id
    assert all('"none"' not in access.policy for access in accesses.values())
