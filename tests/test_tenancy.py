"""Pure tenancy planning: names, grants, policy documents and what each service is told."""

from __future__ import annotations

import json

import pytest

from components import catalog
from components.model import iam, naming, tenancy
from components.model.config import ConfigError, load_settings
from tools.engine import project_config_values as stack_config


@pytest.fixture(scope="module")
def prod():
    return load_settings(stack_config("prod"), "prod")


@pytest.fixture(scope="module")
def dev():
    return load_settings(stack_config("dev"), "dev")


def test_catalog_grants_follow_the_table():
    grants = {(g.service, g.bucket): g.access.value for g in catalog.grants()}
    assert grants[("ml-service", "mlflow-artifacts")] == "write"
    assert grants[("ray-serve", "mlflow-artifacts")] == "read"
    assert grants[("spark", "lakehouse")] == "write"
    assert grants[("trino", "lakehouse")] == "read"
    assert ("trino", "backups") not in grants
    # A writer that also reads (ML Service) is granted once, as a writer.
    assert sum(1 for g in catalog.grants() if g.service == "ml-service") == 1


def test_tenant_bucket_names_never_collide():
    names = {naming.tenant_bucket_name(b, t) for b in catalog.BUCKET_NAMES for t in ("a1", "outputs", "artifacts")}
    assert len(names) == 3 * len(catalog.BUCKET_NAMES)
    assert not names & set(catalog.BUCKET_NAMES)


def test_statement_ids_are_unique_per_policy(prod):
    for tenant in prod.tenants:
        for access in tenancy.service_accesses(prod, tenant):
            sids = [s["Sid"] for s in json.loads(access.policy)["Statement"]]
            assert len(sids) == len(set(sids)), access.service_id


def test_policy_json_is_byte_stable():
    where = iam.TenantPlacement("acme", dedicated_buckets=False)
    document = iam.service_account_policy("pipeline-service", where, "tenant-acme")
    # The same document with every mapping's keys in reverse order must give the same bytes: pulumi-minio diffs the
    # policy as a string, so an insertion-order dependence would be a phantom change on the next `up`.
    reordered = json.loads(json.dumps(document), object_pairs_hook=lambda pairs: dict(reversed(pairs)))
    assert list(reordered) == list(reversed(list(document)))
    first = iam.policy_json(document)
    assert iam.policy_json(reordered) == first
    assert iam.policy_json({"b": 1, "a": {"d": [2, 1], "c": "x"}}) == '{"a":{"c":"x","d":[2,1]},"b":1}'
    assert json.loads(first)["Statement"] == sorted(json.loads(first)["Statement"], key=lambda s: s["Sid"])
    assert ", " not in first and ": " not in first


# S3 bucket names hold at most 63 characters (MinIO cmd/object-api-utils.go IsValidBucketName), and a tenant's own
# bucket is `<catalog bucket>-<tenant>`; the longest catalog buckets have 16 characters: 63 - 1 - 16.
LONGEST_TENANT_ID = 46
# MinIO cmd/iam.go maxSVCSessionPolicySize (RELEASE.2024-12-18T13-15-44Z and RELEASE.2025-10-15T17-29-55Z): bytes.
MINIO_EMBEDDED_POLICY_LIMIT = 4096


def test_policies_fit_minio_service_account_limit_for_the_longest_tenant_id():
    config = stack_config("prod")
    longest = "t" * LONGEST_TENANT_ID
    # Through the real validation: the longest id the config accepts, in bucket mode (the longest documents).
    settings = load_settings({**config, "tenants": [{"id": longest, "isolation": "bucket"}]}, "prod")
    (tenant,) = settings.tenants
    assert max(len(naming.tenant_bucket_name(b, tenant.id)) for b in catalog.BUCKET_NAMES) == 63
    accesses = tenancy.service_accesses(settings, tenant)
    assert {a.service_id for a in accesses} == set(catalog.consuming_services())
    for access in accesses:
        assert longest in access.policy
        assert len(access.policy.encode("utf-8")) <= MINIO_EMBEDDED_POLICY_LIMIT, access.service_id
    with pytest.raises(ConfigError, match=r"tenants\[0\]\.id.*it has 47"):
        load_settings({**config, "tenants": [{"id": longest + "t", "isolation": "bucket"}]}, "prod")


def test_readers_get_no_kms_deny_and_no_write_actions(prod):
    (tenant,) = [t for t in prod.tenants if t.id == "acme-corp"]
    accesses = {a.service_id: json.loads(a.policy) for a in tenancy.service_accesses(prod, tenant)}
    # Every key also carries the own-account admin Deny (components.model.iam.own_account_admin_deny); S3 is judged
    # here.
    s3 = {
        service: [s for s in policy["Statement"] if s["Sid"] != iam.OWN_ACCOUNT_ADMIN_DENY_SID]
        for service, policy in accesses.items()
    }
    trino_actions = {action for s in s3["trino"] for action in s["Action"]}
    assert trino_actions == {"s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject", "s3:GetObjectVersion"}
    assert all(s["Effect"] == "Allow" for s in s3["trino"])
    (deny,) = [s for s in s3["spark"] if s["Effect"] == "Deny"]
    assert deny["Resource"] == ["arn:aws:s3:::lakehouse/acme-corp/*"]


def test_service_connection_names_every_bucket_it_may_use(prod):
    (tenant,) = [t for t in prod.tenants if t.id == "acme-corp"]
    env = tenancy.service_connection(prod, "pipeline-service", tenancy.placement(tenant), "tenant-acme-corp")
    assert env["S3_URL_LAKEHOUSE"] == "s3://lakehouse/acme-corp/"
    assert env["S3_URL_PIPELINE_OUTPUTS"] == "s3://pipeline-outputs/acme-corp/"
    assert env["S3_ACCESS_LAKEHOUSE"] == "write"
    assert "S3_URL_BACKUPS" not in env
    assert env["S3_SSE_KMS_KEY_ID"] == "tenant-acme-corp"
    assert env["AWS_ENDPOINT_URL_S3"] == "http://minio.minio.svc.cluster.local:9000"
    assert env["S3_FORCE_PATH_STYLE"] == "true"


def test_dedicated_bucket_tenant_connection(prod):
    (tenant,) = [t for t in prod.tenants if t.id == "initech"]
    env = tenancy.service_connection(prod, "trino", tenancy.placement(tenant), "tenant-initech")
    assert (env["S3_BUCKET_LAKEHOUSE"], env["S3_PREFIX_LAKEHOUSE"]) == ("lakehouse-initech", "")


def parse_properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def test_trino_iceberg_catalog_for_a_tenant(prod):
    where = iam.TenantPlacement("globex", dedicated_buckets=False)
    catalog_file = tenancy.trino_catalog(prod, where, "tenant-globex")
    assert catalog_file.file_name == "globex.properties"
    assert parse_properties(catalog_file.render("AK1", "SK1")) == {
        "connector.name": "iceberg",
        "iceberg.catalog.type": "rest",
        "iceberg.rest-catalog.uri": "http://iceberg-rest.matih-data.svc.cluster.local:8181",
        "iceberg.rest-catalog.warehouse": "s3://lakehouse/globex/",
        "fs.native-s3.enabled": "true",
        "s3.endpoint": "http://minio.minio.svc.cluster.local:9000",
        "s3.region": "us-east-1",
        "s3.path-style-access": "true",
        "s3.aws-access-key": "AK1",
        "s3.aws-secret-key": "SK1",
        "s3.sse.type": "KMS",
        "s3.sse.kms-key-id": "tenant-globex",
    }


def test_mlflow_settings_for_a_tenant(dev):
    where = iam.TenantPlacement("acme-corp", dedicated_buckets=False)
    env = tenancy.mlflow_settings(dev, where, "matih-dev")
    assert env["MLFLOW_DEFAULT_ARTIFACT_ROOT"] == "s3://mlflow-artifacts/acme-corp/"
    assert env["MLFLOW_S3_ENDPOINT_URL"] == "http://minio.minio.svc.cluster.local:9000"
    assert json.loads(env["MLFLOW_S3_UPLOAD_EXTRA_ARGS"]) == {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": "matih-dev",
    }


def secret_data_of(settings, tenant_id: str, service_id: str) -> dict[str, str]:
    (tenant,) = [t for t in settings.tenants if t.id == tenant_id]
    (access,) = [a for a in tenancy.service_accesses(settings, tenant) if a.service_id == service_id]
    return access.secret_data("AK1", "SK1")


def test_trino_secret_carries_the_tenant_catalog_with_the_trino_key(prod):
    data = secret_data_of(prod, "acme-corp", "trino")
    catalog_file = parse_properties(data["acme_corp.properties"])
    assert (catalog_file["s3.aws-access-key"], catalog_file["s3.aws-secret-key"]) == ("AK1", "SK1")
    assert catalog_file["iceberg.rest-catalog.warehouse"] == "s3://lakehouse/acme-corp/"
    assert (data["AWS_ACCESS_KEY_ID"], data["AWS_SECRET_ACCESS_KEY"]) == ("AK1", "SK1")
    assert not [key for key in secret_data_of(prod, "acme-corp", "spark") if key.endswith(".properties")]


def test_ml_service_secret_carries_the_mlflow_settings(prod):
    data = secret_data_of(prod, "initech", "ml-service")
    assert data["MLFLOW_DEFAULT_ARTIFACT_ROOT"] == "s3://mlflow-artifacts-initech/"
    assert json.loads(data["MLFLOW_S3_UPLOAD_EXTRA_ARGS"])["SSEKMSKeyId"] == "tenant-initech"
    assert (data["AWS_ACCESS_KEY_ID"], data["AWS_SECRET_ACCESS_KEY"]) == ("AK1", "SK1")
    assert data["S3_URL_MLFLOW_ARTIFACTS"] == data["MLFLOW_DEFAULT_ARTIFACT_ROOT"]
    assert not [key for key in secret_data_of(prod, "initech", "ray-serve") if key.startswith("MLFLOW_")]


def test_kms_key_per_mode(prod, dev):
    assert tenancy.tenant_kms_key(prod, "acme-corp") == "tenant-acme-corp"
    assert tenancy.tenant_kms_key(dev, "acme-corp") == "matih-dev"
