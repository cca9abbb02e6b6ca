"""Scaling to many tenants: a platform whose resources do not depend on the tenants, a cheap tenant, MinIO's limits.

Timing is never asserted here: `make bench` measures it.
"""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest

from components.catalog import (
    BUCKET_NAMES,
    BUCKETS,
    SERVICE_IDS,
    Bucket,
    CatalogError,
    check_catalog,
    consuming_services,
)
from components.model import iam, naming
from components.model.config import load_settings
from components.model.tenancy import service_accesses
from tools.engine import Inventory, ResourceRecord, project_config_values, run_stack

TENANT_TYPE = "matih:tenancy:Tenant"
SERVICE_ACCOUNT = "minio:index/iamServiceAccount:IamServiceAccount"
IAM_USER = "minio:index/iamUser:IamUser"
SECRET = "kubernetes:core/v1:Secret"
# Published MinIO limits (cmd/iam.go maxSVCSessionPolicySize; cmd/bucket-policy-handlers.go maxBucketPolicySize,
# applied by AddCannedPolicy), written out here rather than read from components.model.iam.
MINIO_EMBEDDED_POLICY_LIMIT = 4096
MINIO_CANNED_POLICY_LIMIT = 20 * 1024


@pytest.fixture(scope="module")
def prod_inventory() -> Inventory:
    return run_stack("prod")


def owning_tenant(record: ResourceRecord, by_urn: dict[str, ResourceRecord]) -> str | None:
    """The Tenant component a resource is declared under, however deep (a dedicated bucket's SSE is two down)."""
    current: ResourceRecord | None = record
    while current is not None:
        if current.type == TENANT_TYPE:
            return current.name
        current = by_urn.get(current.parent)
    return None


def tenant_records(inventory: Inventory, tenant: str) -> list[ResourceRecord]:
    by_urn = inventory.by_urn()
    return [r for r in inventory if owning_tenant(r, by_urn) == tenant]


# --- the catalog: `<bucket>-*` must cover exactly one catalog bucket's tenant copies ------------------------------


def test_catalog_refuses_a_bucket_inside_another_buckets_tenant_family():
    exports = next(b for b in BUCKETS if b.name == "exports")
    archive = Bucket("exports-archive", "Archived exports", ("render-service",), ("bi-workbench",))
    with pytest.raises(CatalogError, match="exports-\\* also matches exports-archive"):
        check_catalog((exports, archive), SERVICE_IDS)


def test_catalog_accepts_names_that_share_a_prefix_without_the_hyphen():
    """`export-*` does not match `exports`: only `<name>-` as a prefix of another name collides."""
    exports = next(b for b in BUCKETS if b.name == "exports")
    export = Bucket("export", "Exports, singular", ("render-service",), ("bi-workbench",))
    check_catalog((exports, export), SERVICE_IDS)


def test_the_catalog_itself_has_no_overlapping_bucket_families():
    for name in BUCKET_NAMES:
        assert not [other for other in BUCKET_NAMES if other.startswith(f"{name}-")], name


# --- adding or removing a tenant touches that tenant only ---------------------------------------------------------


@pytest.mark.parametrize(
    "newcomer",
    [
        pytest.param("newco", id="prefix"),
        pytest.param({"id": "newco", "isolation": "bucket", "quota": "1Ti"}, id="bucket"),
    ],
)
def test_adding_or_removing_a_tenant_changes_nothing_outside_its_own_resources(prod_inventory, newcomer):
    """N tenants and N+1: every resource of the N-tenant program is declared again with identical inputs and
    options (dependencies included); everything else belongs to the newcomer. Read backwards, removing it
    changes nothing else either."""
    tenants = project_config_values("prod")["tenants"]
    grown = run_stack("prod", {"tenants": [*tenants, newcomer]})
    before, after = prod_inventory.by_urn(), grown.by_urn()

    assert set(before) <= set(after), f"gone: {sorted(set(before) - set(after))}"
    changed = [urn for urn, r in before.items() if (after[urn].inputs, after[urn].options) != (r.inputs, r.options)]
    assert not changed
    added = [after[urn] for urn in sorted(set(after) - set(before))]
    assert added
    assert {owning_tenant(record, after) for record in added} == {"newco"}
    assert {k: v for k, v in grown.outputs["tenants"].items() if k != "newco"} == prod_inventory.outputs["tenants"]


def test_parent_policies_name_no_tenant(prod_inventory):
    for policy in prod_inventory.of_type("minio:index/iamPolicy:IamPolicy"):
        for tenant in prod_inventory.outputs["tenants"]:
            assert tenant not in policy.inputs["policy"], policy.name


# --- what one tenant costs ----------------------------------------------------------------------------------------


def declared_state_bytes(records: list[ResourceRecord]) -> int:
    """Inputs plus dependency URNs, the part of a checkpoint that the program decides."""
    inputs = sum(len(json.dumps(r.inputs, sort_keys=True, separators=(",", ":"))) for r in records)
    return inputs + sum(len(urn) for r in records for urn in r.options["dependsOn"])


@pytest.mark.parametrize("tenant", ["acme-corp", "globex"])
def test_a_prefix_tenant_costs_at_most_23_resources_and_20_kb_of_declared_state(prod_inventory, tenant):
    records = tenant_records(prod_inventory, tenant)
    custom = [r for r in records if r.custom]
    services = len(consuming_services())
    # Its KES key, then per service an access key and the Secret that hands it over.
    assert len(custom) == 1 + 2 * services <= 23
    assert declared_state_bytes(records) <= 20_000


def test_each_tenant_resource_depends_only_on_what_creating_it_needs(prod_inventory):
    """An access key needs its parent user (MinIO's AddServiceAccount checks it exists), nothing else: not the
    buckets or the key its policy names. Its Secret needs the key pair."""
    by_urn = prod_inventory.by_urn()
    users = {r.inputs["name"]: r.urn for r in prod_inventory.of_type(IAM_USER)}
    keys = {r.name: r for r in prod_inventory.of_type(SERVICE_ACCOUNT)}
    assert keys
    for key in keys.values():
        assert key.options["dependsOn"] == [users[key.inputs["targetUser"]]], key.name
    for secret in prod_inventory.of_type(SECRET):
        if owning_tenant(secret, by_urn):
            key_name = secret.name.removesuffix("-credentials") + "-access-key"
            assert secret.options["dependsOn"] == [keys[key_name].urn], secret.name


def test_stack_outputs_give_a_consumer_its_secret_and_no_more(prod_inventory):
    for tenant, output in prod_inventory.outputs["tenants"].items():
        assert set(output) == {"secrets", "kmsKey"}, tenant
        assert set(output["secrets"]) == set(consuming_services())


# --- MinIO's size limits with a thousand tenants (pure layer, no engine) ------------------------------------------


# S3 bucket names hold at most 63 characters (MinIO cmd/object-api-utils.go IsValidBucketName); a tenant's bucket is
# `<catalog bucket>-<tenant>` and the longest catalog buckets (mlflow-artifacts, pipeline-outputs) have 16: 63 - 1 - 16.
LONGEST_TENANT_ID = 46


def generated_tenants(count: int) -> list[dict[str, Any]]:
    """The longest tenant ids allowed, half of them in bucket mode: the largest policies the program can make."""
    width = LONGEST_TENANT_ID - len("t-") - 4
    return [
        {"id": f"t{index:04d}-{'x' * width}", "isolation": "bucket" if index % 2 else "prefix"}
        for index in range(count)
    ]


def test_minio_size_limits_hold_for_a_thousand_tenants():
    """prod: KES, so every key's Deny names the tenant's own key id, the longest documents of both stacks."""
    config = {**project_config_values("prod"), "tenants": generated_tenants(1000)}
    settings = load_settings(config, "prod")
    assert len(settings.tenants) == 1000
    assert {len(t.id) for t in settings.tenants} == {LONGEST_TENANT_ID}
    longest_bucket = max(len(naming.tenant_bucket_name(b, t.id)) for t in settings.tenants for b in BUCKET_NAMES)
    assert longest_bucket == 63
    largest = max(len(a.policy.encode()) for tenant in settings.tenants for a in service_accesses(settings, tenant))
    assert largest <= MINIO_EMBEDDED_POLICY_LIMIT
    for service in consuming_services():
        assert len(iam.parent_policy_json(service).encode()) <= MINIO_CANNED_POLICY_LIMIT, service


def test_a_policy_over_minio_limit_is_refused_before_any_resource():
    document = iam.service_parent_policy("pipeline-service")
    size = len(iam.policy_json(document))
    assert iam.sized_policy_json(document, size, "the parent policy") == iam.policy_json(document)
    with pytest.raises(iam.PolicyTooLargeError, match=f"the parent policy is {size} bytes; MinIO accepts at most"):
        iam.sized_policy_json(document, size - 1, "the parent policy")


# --- the program's collector setting stays in the program ---------------------------------------------------------


@pytest.mark.parametrize("collecting", [True, False])
def test_the_runner_gives_the_caller_back_its_garbage_collector_setting(collecting):
    """The program switches the collector off for a process of its own; a test process must not inherit that."""
    was = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    try:
        run_stack("dev")
        assert gc.isenabled() is collecting
    finally:
        (gc.enable if was else gc.disable)()
