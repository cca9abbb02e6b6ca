"""MinIO policy documents (IAM and bucket policies): statements, actions, S3 ARNs and what a grant reaches."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from components.catalog import BUCKET_NAMES
from components.catalog import bucket as catalog_bucket
from components.model.naming import tenant_bucket_pattern, tenant_id_problem, tenant_prefix
from policies.engine_values import OFFLINE_SECRET_MASK, as_list, as_mapping

S3_ARN_PREFIX = "arn:aws:s3:::"


LIST_BUCKET = "s3:listbucket"


# The only bucket-level actions a tenant key may hold on a shared bucket; anything else (ListBucketVersions,
# ListBucketMultipartUploads, bucket configuration) sees or changes every tenant's objects.
SHARED_BUCKET_TENANT_ACTIONS = frozenset({"s3:getbucketlocation", LIST_BUCKET})


LIST_MULTIPART_UPLOADS = "s3:listbucketmultipartuploads"


# `admin:*` statements ignore Resource, `kms:*` reaches every tenant's keys: neither can be scoped to a tenant.
UNSCOPABLE_ACTION_PREFIXES = ("admin:", "kms:")


class PolicyDocumentError(ValueError):
    """A `policy` input that is not an IAM policy document."""


def policy_statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of a policy document given as JSON text (the provider's input) or as an object."""
    if isinstance(document, str):
        if document == OFFLINE_SECRET_MASK:
            raise PolicyDocumentError("the policy document is a secret, so it cannot be reviewed")
        try:
            document = json.loads(document)
        except json.JSONDecodeError as error:
            raise PolicyDocumentError(f"the policy is not valid JSON ({error.msg})") from None
    if not isinstance(document, Mapping) or "Statement" not in document:
        raise PolicyDocumentError("the policy is not a policy document with a Statement list")
    statements = as_list(document["Statement"])
    if not all(isinstance(statement, Mapping) for statement in statements):
        raise PolicyDocumentError("every Statement must be an object")
    return statements


def allow_statements(statements: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    # Deny statements only ever take access away, so they need no scoping.
    return (statement for statement in statements if statement.get("Effect") != "Deny")


def statement_actions(statement: Mapping[str, Any]) -> list[str]:
    """Actions lower-cased: IAM compares them without case."""
    return [str(action).lower() for action in as_list(statement.get("Action"))]


def statement_label(statement: Mapping[str, Any]) -> str:
    return f"statement {statement['Sid']!r}" if statement.get("Sid") else "a statement"


@dataclass(frozen=True)
class S3Arn:
    bucket: str
    key_pattern: str | None  # None: the bucket itself

    @classmethod
    def parse(cls, resource: str) -> S3Arn | None:
        if not resource.startswith(S3_ARN_PREFIX):
            return None
        bucket, slash, key = resource[len(S3_ARN_PREFIX) :].partition("/")
        return cls(bucket, key if slash else None)


def catalog_owner(bucket: str) -> tuple[str, str | None] | None:
    """(catalog bucket, tenant) for a tenant's dedicated `<catalog>-<tenant>`, (catalog, None) for a shared one."""
    if bucket in BUCKET_NAMES:
        return bucket, None
    for name in sorted(BUCKET_NAMES, key=len, reverse=True):
        tenant = bucket.removeprefix(f"{name}-")
        if tenant != bucket and tenant_id_problem(tenant) is None:
            return name, tenant
    return None


def is_table_format_bucket(bucket: str) -> bool:
    owner = catalog_owner(bucket)
    return owner is not None and catalog_bucket(owner[0]).table_format_managed


def tenant_bucket_family(bucket: str) -> str | None:
    """The catalog bucket whose tenant copies `<catalog>-*` names, or None for any other bucket name."""
    return next((name for name in BUCKET_NAMES if bucket == tenant_bucket_pattern(name)), None)


def unscoped_grant_problems(statements: list[Mapping[str, Any]], *, bucket_families: bool = False) -> list[str]:
    """What no MinIO policy of ours may grant, tenant key or service parent alike.

    `bucket_families`: the document may name a catalog bucket's tenant copies as `<catalog>-*`. Only a parent's
    canned policy may: nobody holds a parent's credentials, and MinIO allows its access keys only what the
    parent AND the key's embedded policy allow, which names one tenant's buckets exactly.
    """
    problems = []
    for statement in allow_statements(statements):
        label = statement_label(statement)
        if "NotAction" in statement or "NotResource" in statement:
            problems.append(f"{label} allows with NotAction/NotResource, i.e. everything not listed")
        actions = statement_actions(statement)
        for action in actions:
            if "*" in action:
                problems.append(f"{label} grants the wildcard action {action!r}; list the actions it needs")
            if action.startswith(UNSCOPABLE_ACTION_PREFIXES):
                problems.append(f"{label} grants {action!r}, which no resource or tenant can scope")
        for resource in as_list(statement.get("Resource")):
            arn = S3Arn.parse(str(resource))
            family = tenant_bucket_family(arn.bucket) if arn is not None else None
            if family is not None and not bucket_families:
                problems.append(
                    f"{label} grants on {resource!r}: every tenant's copy of {family!r}; an access key names "
                    "its own tenant's bucket"
                )
            elif family is None and (resource == "*" or (arn is not None and "*" in arn.bucket)):
                problems.append(f"{label} grants on {resource!r}: every bucket, including ones not yet created")
            elif arn is not None and arn.key_pattern is None and LIST_MULTIPART_UPLOADS in actions:
                owner = catalog_owner(arn.bucket)
                if owner is not None and owner[1] is None:
                    problems.append(
                        f"{label} grants s3:ListBucketMultipartUploads on the shared bucket {arn.bucket!r}: "
                        "it lists every tenant's uploads and cannot be limited to a prefix"
                    )
    return problems


def listing_tenant(statement: Mapping[str, Any]) -> str | None:
    """The tenant a shared-bucket ListBucket is limited to: StringLike s3:prefix exactly [`T/`, `T/*`]."""
    condition = as_mapping(as_mapping(statement.get("Condition")).get("StringLike"))
    prefixes = {str(p) for p in as_list(condition.get("s3:prefix"))}
    for prefix in prefixes:
        tenant = prefix.removesuffix("/")
        if tenant_id_problem(tenant) is None and prefixes == {tenant_prefix(tenant), f"{tenant_prefix(tenant)}*"}:
            return tenant
    return None


def tenant_scope_problems(statements: list[Mapping[str, Any]], owner_tenant: str | None) -> list[str]:
    """Why a tenant access key's embedded policy reaches beyond one tenant (empty when it does not)."""
    problems = []
    tenants: set[str] = set()
    for statement in allow_statements(statements):
        label = statement_label(statement)
        actions = statement_actions(statement)
        for resource in as_list(statement.get("Resource")):
            arn = S3Arn.parse(str(resource))
            owner = catalog_owner(arn.bucket) if arn else None
            if arn is None or owner is None:
                problems.append(f"{label} grants on {resource!r}, which is no catalog bucket or tenant copy of one")
                continue
            shared_bucket, dedicated_tenant = owner
            if dedicated_tenant is not None:
                tenants.add(dedicated_tenant)
            elif arn.key_pattern is not None:
                tenant = arn.key_pattern.split("/", 1)[0]
                if "/" not in arn.key_pattern or tenant_id_problem(tenant) is not None:
                    problems.append(
                        f"{label} grants objects {resource!r}, which is not confined to one tenant's prefix "
                        f"'arn:aws:s3:::{shared_bucket}/<tenant>/*'"
                    )
                else:
                    tenants.add(tenant)
            else:
                for action in sorted(set(actions) - SHARED_BUCKET_TENANT_ACTIONS):
                    problems.append(f"{label} grants {action!r} on the whole shared bucket {shared_bucket!r}")
                if LIST_BUCKET in actions:
                    listed = listing_tenant(statement)
                    if listed is None:
                        problems.append(
                            f"{label} lists the shared bucket {shared_bucket!r} without StringLike s3:prefix "
                            "['<tenant>/', '<tenant>/*']"
                        )
                    else:
                        tenants.add(listed)
    if len(tenants) > 1:
        problems.append(f"the policy spans tenants {', '.join(sorted(tenants))}; one access key serves one tenant")
    foreign = sorted(tenants - {owner_tenant}) if owner_tenant is not None else []
    if foreign:
        problems.append(f"this key belongs to tenant {owner_tenant!r} but grants {', '.join(foreign)}'s data")
    return problems


def is_anonymous(principal: Any) -> bool:
    if principal is None or principal == "*":
        return True
    return "*" in as_list(as_mapping(principal).get("AWS"))


PROMETHEUS_ACTION = "admin:prometheus"  # minio/pkg policy/admin-action.go PrometheusAdminAction, lower-cased


def is_metrics_only(statements: list[Mapping[str, Any]]) -> bool:
    """The metrics identity's policy (components/model/monitoring_objects.py): every Allow statement allows exactly
    admin:Prometheus, which reads metrics and nothing of any tenant; Deny statements only narrow it."""
    allows = [statement for statement in statements if statement.get("Effect") != "Deny"]
    return bool(allows) and all(
        statement.get("Effect") == "Allow"
        and statement_actions(statement) == [PROMETHEUS_ACTION]
        and set(statement) <= {"Sid", "Effect", "Action"}
        for statement in allows
    )
