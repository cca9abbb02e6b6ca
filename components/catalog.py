"""The MATIH bucket catalog and service access matrix: the one source of truth.

Components, IAM documents, the policy pack, tests and the README's access table all read this module.
"""

from __future__ import annotations

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
