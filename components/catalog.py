"""The MATIH bucket catalog and service access matrix: the one source of truth.

Components, IAM documents, the policy pack, tests and the README's access table all read this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Access(StrEnum):
    READ = "read"
    WRITE = "write"


@dataclass(frozen=True)
class Service:
    id: str
    title: str


@dataclass(frozen=True)
class Bucket:
    name: str
    purpose: str
    writers: tuple[str, ...]
    readers: tuple[str, ...]
    # Iceberg owns its data and metadata files (snapshot expiry, orphan-file removal); ILM must never expire them.
    table_format_managed: bool = False


@dataclass(frozen=True)
class Grant:
    service: str
    bucket: str
    access: Access


SERVICES: tuple[Service, ...] = (
    Service("ml-service", "ML Service"),
    Service("ray-serve", "Ray Serve"),
    Service("pipeline-service", "Pipeline Service"),
    Service("data-workbench", "Data Workbench"),
    Service("bi-service", "BI Service"),
    Service("render-service", "Render Service"),
    Service("bi-workbench", "BI Workbench"),
    Service("spark", "Spark"),
    Service("trino", "Trino (Iceberg connector)"),
    Service("backup-jobs", "Backup jobs"),
    Service("recovery", "Recovery procedures"),
)

BUCKETS: tuple[Bucket, ...] = (
    Bucket("mlflow-artifacts", "ML model artifacts", ("ml-service",), ("ml-service", "ray-serve")),
    Bucket("pipeline-outputs", "Pipeline outputs", ("pipeline-service",), ("data-workbench", "bi-service")),
    Bucket("exports", "Exported reports", ("render-service",), ("bi-workbench",)),
    Bucket("thumbnails", "Dashboard thumbnails", ("render-service",), ("bi-workbench",)),
    Bucket("lakehouse", "Iceberg lakehouse", ("pipeline-service", "spark"), ("trino",), table_format_managed=True),
    Bucket("backups", "Backups", ("backup-jobs",), ("recovery",)),
)

SERVICE_IDS: tuple[str, ...] = tuple(service.id for service in SERVICES)
BUCKET_NAMES: tuple[str, ...] = tuple(bucket.name for bucket in BUCKETS)
# The integrations hand these services ready-made client settings.
TRINO_SERVICE = "trino"
MLFLOW_SERVICE = "ml-service"
LAKEHOUSE_BUCKET = "lakehouse"
MLFLOW_BUCKET = "mlflow-artifacts"


# What a service's credential Secret holds (components/model/tenancy.py) and which of it is secret, decided here once
# for the Secrets, the plan, the plan diff and their tests. Only the access key pair is secret (and the two properties
# of the Trino catalog file that repeat it); the rest is connection settings (tenant, region, endpoint, bucket, prefix,
# URL, access, key id, MLflow settings, catalog URI), which a reviewer must see. Fail-closed: a key not named here
# is secret, so the root-credential and server-env Secrets, whose keys are none of these, stay masked whole.
ACCESS_KEY_ID = "AWS_ACCESS_KEY_ID"
SECRET_ACCESS_KEY = "AWS_SECRET_ACCESS_KEY"
TRINO_ACCESS_KEY_PROPERTY = "s3.aws-access-key"
TRINO_SECRET_KEY_PROPERTY = "s3.aws-secret-key"
SECRET_PROPERTIES = frozenset({TRINO_ACCESS_KEY_PROPERTY, TRINO_SECRET_KEY_PROPERTY})
CONNECTION_SETTING_KEY = re.compile(
    r"(MATIH_TENANT_ID|AWS_REGION|AWS_DEFAULT_REGION|AWS_ENDPOINT_URL_S3|S3_FORCE_PATH_STYLE|S3_SSE_KMS_KEY_ID"
    r"|S3_(BUCKET|PREFIX|URL|ACCESS)_[A-Z0-9_]+|MLFLOW_S3_ENDPOINT_URL|MLFLOW_DEFAULT_ARTIFACT_ROOT"
    r"|MLFLOW_S3_UPLOAD_EXTRA_ARGS)"
)
CATALOG_FILE_KEY = re.compile(r"[a-z0-9_]+\.properties")  # Trino's catalog file: `<tenant_with_underscores>.properties`
MASKED = "[secret]"


def is_secret_key(key: str) -> bool:
    """A credential-Secret key whose whole value is secret (the key pair, and every key this module does not know)."""
    return not (CONNECTION_SETTING_KEY.fullmatch(key) or CATALOG_FILE_KEY.fullmatch(key))


def shown_value(key: str, value: str) -> str | None:
    """A credential-Secret value as a plan may show it: a connection setting as it is, a catalog file with its
    credential properties masked, None for a secret key."""
    if is_secret_key(key):
        return None
    if CATALOG_FILE_KEY.fullmatch(key):
        lines = []
        for line in value.splitlines():
            name, sep, _ = line.partition("=")
            # A line that is no `name=value` property could be anything: masked too.
            lines.append(line if sep and name not in SECRET_PROPERTIES else f"{name if sep else ''}={MASKED}")
        return "\n".join(lines) + ("\n" if value.endswith("\n") else "")
    return value


def service(service_id: str) -> Service:
    return next(s for s in SERVICES if s.id == service_id)


def bucket(name: str) -> Bucket:
    return next(b for b in BUCKETS if b.name == name)


def grants() -> tuple[Grant, ...]:
    """Every (service, bucket, access) pair; a writer's grant implies reading, so it is not listed twice."""
    result = []
    for entry in BUCKETS:
        for writer in entry.writers:
            result.append(Grant(writer, entry.name, Access.WRITE))
        for reader in entry.readers:
            if reader not in entry.writers:
                result.append(Grant(reader, entry.name, Access.READ))
    return tuple(result)


def grants_of(service_id: str) -> tuple[Grant, ...]:
    return tuple(grant for grant in grants() if grant.service == service_id)


def consuming_services() -> tuple[str, ...]:
    """The services with grants: each gets a parent user and one access key (and Secret) per tenant."""
    return tuple(s for s in SERVICE_IDS if grants_of(s))


def access_table_markdown() -> str:
    """The README's access table, generated so that it cannot drift from the catalog."""
    lines = ["| bucket | purpose | written by | read by |", "|---|---|---|---|"]
    for entry in BUCKETS:
        writers = ", ".join(service(s).title for s in entry.writers)
        readers = ", ".join(service(s).title for s in entry.readers)
        lines.append(f"| `{entry.name}` | {entry.purpose} | {writers} | {readers} |")
    return "\n".join(lines)


def bucket_family_overlaps(names: tuple[str, ...]) -> list[str]:
    """Pairs of catalog buckets where one's tenant-bucket family `<name>-*` also covers the other.

    A parent policy grants a service `arn:aws:s3:::<bucket>-*` (every tenant's dedicated copy) so that it stays
    the same size for any number of tenants. Were `exports-archive` a catalog bucket beside `exports`, the
    `exports-*` grant would reach it too, and `exports-archive-acme` would be two tenants' bucket at once.
    """
    return [
        f"{name}-* also matches {other}"
        for name in names
        for other in names
        if other != name and other.startswith(f"{name}-")
    ]


class CatalogError(ValueError):
    """The catalog itself is inconsistent: a programming error, caught when the module is imported."""


def check_catalog(buckets: tuple[Bucket, ...], service_ids: tuple[str, ...]) -> None:
    """Refuse a catalog the rest of the project cannot serve safely (run on import, on the catalog above)."""
    known = set(service_ids)
    for entry in buckets:
        unknown = (set(entry.writers) | set(entry.readers)) - known
        if unknown:
            raise CatalogError(f"catalog bucket {entry.name} names unknown services {sorted(unknown)}")
    overlaps = bucket_family_overlaps(tuple(entry.name for entry in buckets))
    if overlaps:
        raise CatalogError(f"catalog bucket names overlap as tenant-bucket families: {'; '.join(overlaps)}")


check_catalog(BUCKETS, SERVICE_IDS)
