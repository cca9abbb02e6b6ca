"""The plan diff shows exactly what a change of configuration changes, and the CLI works against a real git base."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.catalog import BUCKETS, SERVICE_IDS
from tools.engine import PROJECT_DIR, Inventory, ResourceRecord, load_stack_config, run_stack
from tools.inventory_diff import PlanDiff, SecretChange, diff_inventories
from tools.plan_diff_markdown import EXIT_REFUSED, Context, MissingStack, ProgramFailed, render_diff, render_report
from tools.value_diff import ABSENT, Change, diff_values

NEW_TENANT = "hooli"
BUCKET_NAMES = [b.name for b in BUCKETS]
CONTEXT = Context("prod", "`origin/main`")


def _with_tenant(tenant: Any) -> Inventory:
    tenants = load_stack_config("prod")["matih-minio:tenants"]
    return run_stack("prod", {"tenants": [*tenants, tenant]})


def _descendants(inventory: Inventory, urn: str) -> set[str]:
    return {urn}.union(*(_descendants(inventory, child.urn) for child in inventory.children(urn)))


def _tenant_subtree(inventory: Inventory, tenant_id: str) -> set[str]:
    component = next(r for r in inventory.of_type("matih:tenancy:Tenant") if r.name == tenant_id)
    return _descendants(inventory, component.urn)


def _assert_only_tenant_added(diff: PlanDiff, head: Inventory) -> None:
    assert {r.urn for r in diff.added} == _tenant_subtree(head, NEW_TENANT)
    assert diff.removed == ()
    assert diff.erasure == ()
    assert diff.other_outputs == ()
    assert list(diff.tenants.added) == [NEW_TENANT]
    assert not diff.tenants.removed
    assert not diff.tenants.changed


def _record(name: str, inputs: dict[str, Any], **options: Any) -> ResourceRecord:
    urn = f"urn:pulumi:prod::matih-minio::test:index:Thing::{name}"
    return ResourceRecord("test:index:Thing", name, urn, "", True, inputs, {"protect": False, **options})


def _inventory(*records: ResourceRecord, outputs: dict[str, Any] | None = None) -> Inventory:
    return Inventory("prod", "matih-minio", list(records), outputs or {})


# --- Known changes of the real program -------------------------------------------------------------------------------


def test_identical_inputs_are_no_changes(prod_inventory):
    diff = diff_inventories(prod_inventory, run_stack("prod"))
    assert diff.is_empty
    assert "**No changes.**" in render_diff(diff, CONTEXT)


def test_new_prefix_tenant_adds_its_resources_and_changes_nothing_else(prod_inventory):
    head = _with_tenant(NEW_TENANT)
    diff = diff_inventories(prod_inventory, head)

    _assert_only_tenant_added(diff, head)
    assert diff.changed == ()  # shared buckets: the parent policies already cover every prefix
    assert diff.tenants.policies == ()
    assert f"added `{NEW_TENANT}`" in render_diff(diff, CONTEXT)


def test_new_bucket_tenant_adds_its_resources_and_changes_nothing_else(prod_inventory):
    """The parent policies cover every tenant's dedicated buckets by pattern, so they stay as they are."""
    head = _with_tenant({"id": NEW_TENANT, "isolation": "bucket", "quota": "1Ti"})
    diff = diff_inventories(prod_inventory, head)

    _assert_only_tenant_added(diff, head)
    assert diff.changed == ()
    assert diff.tenants.policies == ()


def test_parity_change_shows_the_helm_env_and_the_erasure_figures_only(prod_inventory):
    head = run_stack("prod", {"erasure": {"standard": "EC:3", "reducedRedundancy": "EC:2"}})
    diff = diff_inventories(prod_inventory, head)

    assert (diff.added, diff.removed) == ((), ())
    assert not diff.tenants
    # The alerts follow the layout: EC:3 of 16 has write quorum 13 and 13 TiB usable.
    thresholds = {c.path: c.after for c in diff.other_outputs}
    assert thresholds["monitoring.alerts[1].threshold"] == "online == 13"
    assert all(path.startswith("monitoring.alerts[") for path in thresholds)
    changed = {c.type: c for c in diff.changed}
    assert changed.keys() == {
        "kubernetes:helm.sh/v3:Release",
        "kubernetes:batch/v1:Job",
        "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
        "kubernetes:core/v1:ConfigMap",
    }
    release = changed["kubernetes:helm.sh/v3:Release"]
    assert release.inputs == (Change("values.environment.MINIO_STORAGE_CLASS_STANDARD", "EC:4", "EC:3"),)
    assert release.options == ()
    # A new release means a new readiness gate (its name hashes the release), which waits for the new layout.
    assert [c.path for c in changed["kubernetes:batch/v1:Job"].inputs] == ["metadata.name"]
    figures = {c.path: (c.before, c.after) for c in diff.erasure}
    assert figures.keys() == {
        "standardParity",
        "dataDrivesPerSet",
        "driveFailuresToleratedPerSet",
        "usableCapacityBytes",
        "usableRatio",
        "survivesServerLoss",
    }
    assert figures["standardParity"] == (4, 3)
    assert figures["survivesServerLoss"] == (True, False)
    markdown = render_diff(diff, CONTEXT)
    assert "no longer survives the loss of a whole server" in markdown
    assert "| `usableCapacityBytes` | `12 TiB` | `13 TiB` |" in markdown
    assert "| `usableRatio` | `75 %` | `81 %` |" in markdown
    # Parity applies to new objects: a notice, not a refusal.
    assert [(r.rule, r.severity) for r in diff.risks] == [("data-stays", "notice")]


def test_unprotecting_shows_option_changes_only(prod_inventory):
    diff = diff_inventories(prod_inventory, run_stack("prod", {"protect": False}))

    protected = {r.urn for r in prod_inventory if r.options["protect"]}
    assert protected and {c.urn for c in diff.changed} == protected
    assert {(c.inputs, c.options) for c in diff.changed} == {((), (Change("protect", True, False),))}
    assert "`protect` *(option)*" in render_diff(diff, CONTEXT)


def _prod(key: str) -> Any:
    return load_stack_config("prod")[f"matih-minio:{key}"]


def _tenant_ids(stack: str) -> list[str]:
    return [t if isinstance(t, str) else t["id"] for t in load_stack_config(stack)["matih-minio:tenants"]]


def test_a_trino_catalog_change_shows_each_tenants_catalog_uri_in_clear_and_never_a_key(prod_inventory):
    old_uri = _prod("trino")["catalogUri"]
    catalog_uri = "http://iceberg-rest.lakehouse.svc.cluster.local:8181"
    head = run_stack("prod", {"trino": {**_prod("trino"), "catalogUri": catalog_uri}})
    diff = diff_inventories(prod_inventory, head)

    tenants = _tenant_ids("prod")
    # The Trino catalog travels in each tenant's trino credentials Secret.
    assert {c.name for c in diff.changed} == {f"{t}-trino-credentials" for t in tenants}
    for change in diff.changed:
        tenant = change.name.removesuffix("-trino-credentials")
        assert (change.inputs, change.options) == ((), ())
        path = f'stringData["{tenant.replace("-", "_")}.properties"] iceberg.rest-catalog.uri'
        assert change.secrets == (SecretChange(path, "changed", old_uri, catalog_uri, masked=False),)
        assert not change.replaced  # the Kubernetes provider updates Secret data in place (enableSecretMutable)
    markdown = render_diff(diff, CONTEXT)
    assert f"**0 to add, 0 to remove, {len(tenants)} to change, 0 to replace**" in markdown
    row = f'| `stringData["acme_corp.properties"] iceberg.rest-catalog.uri` | `{old_uri}` | `{catalog_uri}` |'
    assert row in markdown
    assert "mock-" not in markdown and "aws-secret-key" not in markdown
    assert "Secrets re-created" not in markdown


def test_secret_digests_are_keyed_so_a_low_entropy_value_cannot_be_looked_up(prod_inventory):
    region_digest = prod_inventory.named("acme-corp-spark-credentials").secretDigests["stringData"]["AWS_REGION"]
    assert re.fullmatch("[0-9a-f]{16}", region_digest)
    for candidate in ("us-east-1", json.dumps("us-east-1")):
        assert hashlib.sha256(candidate.encode()).hexdigest()[:16] != region_digest
    assert run_stack("prod").named("acme-corp-spark-credentials").secretDigests["stringData"]["AWS_REGION"] == (
        region_digest
    )


def _initech_without_quota() -> list[Any]:
    return [t if not isinstance(t, dict) else {k: v for k, v in t.items() if k != "quota"} for t in _prod("tenants")]


def _acme_in_bucket_mode() -> list[Any]:
    return [{"id": t, "isolation": "bucket"} if t == "acme-corp" else t for t in _prod("tenants")]


REFUSED_PROD_CHANGES = {
    "servers per pool": (
        {"topology": {**_prod("topology"), "serversPerPool": 8}},
        {("pool-layout", "minio-release")},
    ),
    "drive size": ({"storage": {**_prod("storage"), "sizePerDrive": "2Ti"}}, {("drive-size", "minio-release")}),
    "object locking": (
        {"buckets": {**_prod("buckets"), "backups": {"versioning": True, "noncurrentVersionExpiryDays": 35}}},
        {("object-locking", "backups"), ("object-locking", "initech-backups")},
    ),
    "isolation mode": ({"tenants": _acme_in_bucket_mode()}, {("isolation-move", "acme-corp")}),
}


@pytest.mark.parametrize("change", REFUSED_PROD_CHANGES)
def test_changes_minio_cannot_apply_to_prod_are_refused_with_a_procedure(prod_inventory, change):
    overrides, expected = REFUSED_PROD_CHANGES[change]
    head = run_stack("prod", overrides)
    diff = diff_inventories(prod_inventory, head)

    assert {(r.rule, r.subject) for r in diff.refused} == expected
    assert all(r.instead for r in diff.refused)
    report = render_report(CONTEXT, prod_inventory, head)
    assert report.exit_status == EXIT_REFUSED
    markdown = report.markdown
    assert f"**{len(expected)} refused change" in markdown and "**Instead:**" in markdown
    assert markdown.index("### Risks") < markdown.index("### Details")


def _bucket_options(**changes: dict[str, Any]) -> dict[str, Any]:
    return {"buckets": {**_prod("buckets"), **changes}}


def _initech_quota(quota: str) -> list[Any]:
    return [{**t, "quota": quota} if isinstance(t, dict) and t["id"] == "initech" else t for t in _prod("tenants")]


# Settings whose change a reviewer must be told about: (overrides, expected (rule, subject) pairs, words the line has).
SETTING_RISKS_PROD = {
    "root credential rotation": (
        {"rootCredentialsRotation": 1},
        {("root-rotation", "minio-release")},
        "short outage",
    ),
    "shorter expiryDays": (
        _bucket_options(exports={"expiryDays": 30}),
        {("retention-shortened", "exports"), ("retention-shortened", "exports-initech")},
        "90 -> 30 days (`buckets.exports.expiryDays`)",
    ),
    "new expiryDays": (
        _bucket_options(**{"mlflow-artifacts": {"expiryDays": 365}}),
        {("retention-shortened", "mlflow-artifacts"), ("retention-shortened", "mlflow-artifacts-initech")},
        "365 days (kept until now)",
    ),
    "shorter temporaryObjects.expiryDays": (
        {"temporaryObjects": {"expiryDays": 3}},
        {("retention-shortened", b) for name in BUCKET_NAMES if name != "lakehouse" for b in (name, f"{name}-initech")},
        "7 -> 3 days (`temporaryObjects.expiryDays`)",
    ),
    "shorter noncurrent-version expiry": (
        _bucket_options(backups={"versioning": True, "objectLocking": True, "noncurrentVersionExpiryDays": 7}),
        {("retention-shortened", "backups"), ("retention-shortened", "backups-initech")},
        "35 -> 7 days (`buckets.backups.noncurrentVersionExpiryDays`)",
    ),
    "versioning off": (
        _bucket_options(lakehouse={}),
        # initech's copy is protected like its bucket: that part is refused (protected-delete), not suspended.
        {("versioning-suspended", "lakehouse")},
        "`buckets.lakehouse.versioning`",
    ),
    "KES default key renamed": (
        {"kms": {**_prod("kms"), "keyName": "matih-platform-2"}},
        {("kms-changed", "kms")},
        "`MINIO_KMS_KES_KEY_NAME` `matih-platform` -> `matih-platform-2`",
    ),
    "lower quota": (
        {"tenants": _initech_quota("1Ti")},
        {("quota-lowered", f"{name}-initech") for name in BUCKET_NAMES},
        "2 TiB -> 1 TiB",
    ),
}


@pytest.mark.parametrize("change", SETTING_RISKS_PROD)
def test_settings_that_delete_data_sooner_or_interrupt_service_are_named_risks_in_prod(prod_inventory, change):
    overrides, expected, words = SETTING_RISKS_PROD[change]
    diff = diff_inventories(prod_inventory, run_stack("prod", overrides))
    rules = {rule for rule, _ in expected}

    assert {(r.rule, r.subject) for r in diff.risks if r.rule in rules} == expected
    assert {r.rule for r in diff.refused} <= {"protected-delete"}
    markdown = render_diff(diff, CONTEXT)
    assert "None found" not in markdown and words in markdown


def test_unprotecting_prod_and_force_destroying_its_buckets_is_a_warning_per_bucket(prod_inventory):
    diff = diff_inventories(prod_inventory, run_stack("prod", {"protect": False, "forceDestroyBuckets": True}))
    platform_buckets = {r.inputs["bucket"] for r in prod_inventory.of_type("minio:index/s3Bucket:S3Bucket")}

    assert {r.subject for r in diff.risks if r.rule == "force-destroy"} == set(BUCKET_NAMES)
    lifted = {r.subject for r in diff.risks if r.rule == "protection-lifted"}
    assert "minio-namespace" in lifted and set(BUCKET_NAMES) <= lifted
    assert platform_buckets >= set(BUCKET_NAMES)


def test_a_dev_root_rotation_restarts_the_single_server_and_dropping_namespaces_deletes_them(dev_inventory):
    [rotation] = diff_inventories(dev_inventory, run_stack("dev", {"rootCredentialsRotation": 1})).risks
    assert rotation.rule == "root-rotation" and "single server restarts" in rotation.what

    diff = diff_inventories(dev_inventory, run_stack("dev", {"createServiceNamespaces": False}))
    namespaces = set(load_stack_config("dev")["matih-minio:services"].values())
    assert {r.subject for r in diff.risks if r.rule == "namespace-deleted"} == namespaces


def test_removing_a_quota_from_prod_is_applied_in_place_with_a_notice(prod_inventory):
    head = run_stack("prod", {"tenants": _initech_without_quota()})
    report = render_report(CONTEXT, prod_inventory, head)

    assert report.exit_status == 0
    assert "#### Notice: Bucket quota removed (unlimited) (6)" in report.markdown
    assert "| `quota` | `2 TiB` | *(absent)* |" in report.markdown


def test_removing_a_bucket_tenant_from_prod_in_one_step_is_refused_by_protection(prod_inventory):
    head = run_stack("prod", {"tenants": [t for t in _prod("tenants") if t != _prod("tenants")[-1]]})
    diff = diff_inventories(prod_inventory, head)

    buckets = {f"initech-{b}" for b in BUCKET_NAMES}
    assert buckets <= {r.subject for r in diff.refused if r.rule == "protected-delete"}
    assert {r.rule for r in diff.refused} == {"protected-delete"}
    markdown = render_diff(diff, CONTEXT)
    assert "- removed `initech`" in markdown
    assert markdown.index("### Risks") < markdown.index("### Tenant access") < markdown.index("### Details")


def test_dev_drive_growth_on_an_external_class_warns_that_only_the_cluster_knows(dev_inventory):
    storage = load_stack_config("dev")["matih-minio:storage"]
    head = run_stack("dev", {"storage": {**storage, "sizePerDrive": "40Gi"}})
    diff = diff_inventories(dev_inventory, head)
    assert diff.refused == ()
    [warning] = [r for r in diff.risks if r.rule == "drive-size"]
    assert (warning.severity, warning.subject) == ("warning", "minio-release")
    assert "`20Gi` -> `40Gi`" in warning.what and "StorageClass `standard` allows volume expansion" in warning.what


STATIC_LOCAL = {"kind": "local", "sizePerDrive": "20Gi", "nodes": ["matih-control-plane"], "hostPath": "/srv/minio"}


def test_a_static_local_volume_cannot_grow():
    base = run_stack("dev", {"storage": STATIC_LOCAL})
    head = run_stack("dev", {"storage": {**STATIC_LOCAL, "sizePerDrive": "40Gi"}})
    [refused] = diff_inventories(base, head).refused
    assert (refused.rule, refused.subject) == ("drive-size", "minio-release")
    assert "does not allow volume expansion" in refused.what


def test_a_claim_never_shrinks(dev_inventory):
    storage = load_stack_config("dev")["matih-minio:storage"]
    head = run_stack("dev", {"storage": {**storage, "sizePerDrive": "10Gi"}})
    [refused] = diff_inventories(dev_inventory, head).refused
    assert refused.rule == "drive-size" and "can only grow" in refused.what


def test_removing_a_dev_tenant_is_allowed_and_says_its_data_stays(dev_inventory):
    head = run_stack("dev", {"tenants": _tenant_ids("dev")[:1]})
    report = render_report(Context("dev", "`origin/main`"), dev_inventory, head)

    assert report.exit_status == 0
    removed = _tenant_ids("dev")[1]
    assert f"- removed `{removed}`" in report.markdown
    assert f"- `{removed}`: tenant removed: its objects stay in `s3://" in report.markdown


def test_a_new_tenant_has_no_risks(prod_inventory):
    diff = diff_inventories(prod_inventory, _with_tenant(NEW_TENANT))
    assert diff.risks == ()
    assert "### Risks\n\nNone found" in render_diff(diff, CONTEXT)


# --- Fitting the comment ---------------------------------------------------------------------------------------------

MANY_TENANTS = [f"tenant-{i:02d}" for i in range(12)]


@pytest.fixture(scope="module")
def many_tenants_diff(prod_inventory) -> PlanDiff:
    return diff_inventories(prod_inventory, run_stack("prod", {"tenants": [*_prod("tenants"), *MANY_TENANTS]}))


def test_details_that_do_not_fit_are_dropped_whole_from_the_bottom(many_tenants_diff):
    full = render_diff(many_tenants_diff, CONTEXT, limit=sys.maxsize)
    limit = len(full) // 3
    fitted = render_diff(many_tenants_diff, CONTEXT, limit=limit)

    assert len(fitted) <= limit < len(full)
    note = re.search(r"\n\*(\d+) detail sections omitted", fitted)
    assert note is not None
    kept = fitted[: note.start()]
    assert full.startswith(kept)  # whole sections from the top, nothing cut inside one
    assert kept.count("\n#### ") + int(note[1]) == full.count("\n#### ")
    assert "the job summary and the `plan-diff` artifact have the whole diff" in fitted[note.start() :]
    for tenant in MANY_TENANTS:
        assert f"- added `{tenant}`" in fitted
    assert "### Risks" in fitted


def test_very_many_tenants_are_listed_by_id_when_their_lines_do_not_fit(many_tenants_diff):
    fitted = render_diff(many_tenants_diff, CONTEXT, limit=1200)
    assert f"- added ({len(MANY_TENANTS)}): " + ", ".join(f"`{t}`" for t in MANY_TENANTS) in fitted


# --- The comparison rules --------------------------------------------------------------------------------------------


def test_json_strings_are_compared_as_documents():
    before = '{"Statement": [{"Sid": "Read", "Action": ["s3:GetObject"]}], "Version": "2012-10-17"}'
    after = '{"Version": "2012-10-17", "Statement": [{"Action": ["s3:GetObject", "s3:PutObject"], "Sid": "Read"}]}'
    assert diff_values({"policy": before}, {"policy": before.replace(", ", ",")}) == []
    assert diff_values({"policy": before}, {"policy": after}) == [
        Change("policy.Statement[Sid=Read].Action", ["s3:GetObject"], ["s3:GetObject", "s3:PutObject"])
    ]


def test_keys_that_are_not_identifiers_are_quoted_and_absent_sides_marked():
    assert diff_values({"labels": {}}, {"labels": {"matih.io/tenant": "acme"}}) == [
        Change('labels["matih.io/tenant"]', ABSENT, "acme")
    ]


def test_secrets_are_compared_masked_and_never_revealed():
    base = _inventory(_record("creds", {"stringData": "[secret]", "type": "Opaque"}))
    same = _inventory(_record("creds", {"stringData": "[secret]", "type": "Opaque"}))
    assert diff_inventories(base, same).is_empty

    leaked = _inventory(_record("creds", {"stringData": {"password": "hunter2"}, "type": "Opaque"}))
    [change] = diff_inventories(leaked, base).changed
    assert change.inputs == (Change("stringData", {"password": "hunter2"}, "[secret]"),)


def test_service_account_policy_changes_are_summarised_per_tenant_and_service():
    account_type = "minio:index/iamServiceAccount:IamServiceAccount"
    urn = f"urn:pulumi:prod::matih-minio::matih:tenancy:Tenant${account_type}::acme-spark-access-key"
    tenant_urn = "urn:pulumi:prod::matih-minio::pulumi:pulumi:Stack$matih:tenancy:Tenant::acme"
    tenants = {"tenants": {"acme": {"secrets": {}, "locations": {}}}}

    def inventory(policy: str) -> Inventory:
        key = ResourceRecord(account_type, "acme-spark-access-key", urn, tenant_urn, True, {"policy": policy})
        return _inventory(key, outputs=tenants)

    before = inventory('{"Statement": [{"Sid": "Write", "Resource": ["arn:aws:s3:::lakehouse/acme/*"]}]}')
    after = inventory('{"Statement": [{"Sid": "Write", "Resource": []}, {"Sid": "Read", "Resource": []}]}')
    diff = diff_inventories(before, after)

    [policy] = diff.tenants.policies
    assert (policy.tenant, policy.service) == ("acme", "spark")
    assert policy.summary == "+ statement `Read`; ~ `Write` Resource -`arn:aws:s3:::lakehouse/acme/*`"


def test_the_access_policy_table_names_the_tenant_and_the_service_of_a_rotated_key(prod_inventory):
    head = run_stack("prod", {"accessKeys": {"rotation": 1}})
    diff = diff_inventories(prod_inventory, head)

    services = {service for service in SERVICE_IDS}
    assert diff.tenants.policies
    for policy in diff.tenants.policies:
        assert policy.tenant in _tenant_ids("prod")
        assert policy.service.removesuffix(" (key generation 2)") in services, policy.service
    markdown = render_diff(diff, CONTEXT)
    assert "| `acme-corp` | `backup-jobs (key generation 2)` |" in markdown
    assert "access-key" not in markdown.split("#### Access policies")[1].split("####")[0]


def test_tenant_output_changes_are_listed_per_tenant():
    before = {"tenants": {"acme": {"secrets": {"spark": "matih-data/minio-spark-acme"}, "kmsKey": "k1"}}}
    after = {"tenants": {"acme": {"secrets": {}, "kmsKey": "k2"}, "initech": {"secrets": {"spark": "x/y"}}}}
    tenants = diff_inventories(_inventory(outputs=before), _inventory(outputs=after)).tenants

    assert list(tenants.added) == ["initech"]
    assert tenants.changed == {
        "acme": (Change("kmsKey", "k1", "k2"), Change("secrets.spark", "matih-data/minio-spark-acme", ABSENT))
    }


# --- Reports for sides that could not run ----------------------------------------------------------------------------


def test_a_base_without_the_stack_file_shows_everything_added(prod_inventory):
    report = render_report(CONTEXT, MissingStack(), prod_inventory)
    assert report.ok and report.exit_status == 0
    assert "has no `Pulumi.prod.yaml`" in report.markdown
    assert f"**{len(prod_inventory.resources)} to add, 0 to remove, 0 to change, 0 to replace**" in report.markdown


def test_failing_programs_are_reported_and_only_the_branch_failing_is_an_error(prod_inventory):
    failure = ProgramFailed("invalid matih-minio stack configuration")
    base_failed = render_report(CONTEXT, failure, prod_inventory)
    head_failed = render_report(CONTEXT, prod_inventory, failure)

    assert base_failed.ok and "fails on `origin/main`" in base_failed.markdown
    assert not head_failed.ok and "fails on this branch" in head_failed.markdown
    assert "invalid matih-minio stack configuration" in head_failed.markdown


# --- The CLI against git ---------------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    identity = ["-c", "user.name=plan-diff test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *identity, *args], cwd=repo, check=True, capture_output=True)


def _copy_project(destination: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("components", "tools"):
        shutil.copytree(PROJECT_DIR / name, destination / name, ignore=ignore)
    for path in PROJECT_DIR.glob("Pulumi*.yaml"):
        shutil.copy(path, destination)
    shutil.copy(PROJECT_DIR / "__main__.py", destination)


def _plan_diff_cli(repo: Path, stack: str, base: str = "HEAD", *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tools.plan_diff", "--base", base, "--stack", stack, *options]
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=120)


def _edit_prod_config(repo: Path, key: str, value: Any, stack: str = "prod") -> None:
    stack_file = repo / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(stack_file.read_text())
    document["config"][f"matih-minio:{key}"] = value
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with two commits (a broken prod, then the real one) and, in the working tree,
    prod's standard parity lowered to EC:3 and its Trino catalog URI changed, dev's drive shrunk (refused: a claim
    only grows), and a new qa stack."""
    root = tmp_path_factory.mktemp("repo")
    _copy_project(root)
    prod = (root / "Pulumi.prod.yaml").read_text()
    _git(root, "init", "--quiet")
    _edit_prod_config(root, "tenants", ["Not_A_Tenant"])
    _git(root, "add", ".")
    _git(root, "commit", "--quiet", "-m", "broken")
    (root / "Pulumi.prod.yaml").write_text(prod)
    _git(root, "commit", "--quiet", "-am", "base")

    _edit_prod_config(root, "erasure", {"standard": "EC:3", "reducedRedundancy": "EC:2"})
    _edit_prod_config(root, "trino", {**_prod("trino"), "catalogUri": "http://catalog.example:8181"})
    storage = load_stack_config("dev")["matih-minio:storage"]
    _edit_prod_config(root, "storage", {**storage, "sizePerDrive": "10Gi"}, stack="dev")
    shutil.copy(root / "Pulumi.dev.yaml", root / "Pulumi.qa.yaml")
    return root


def test_the_base_side_runs_its_own_components_not_this_trees(tmp_path):
    # The child imports tools.plan_diff, which imports this tree's components; the base program must not use them.
    base = tmp_path / "base"
    shutil.copytree(PROJECT_DIR, base, ignore=shutil.ignore_patterns(".git", ".venv", "venv", "tests", "__pycache__"))
    lifecycle = base / "components" / "model" / "lifecycle.py"
    lifecycle.write_text(
        lifecycle.read_text().replace('TEMPORARY_TAG_VALUE = "temporary"', 'TEMPORARY_TAG_VALUE = "tmp"')
    )
    output = tmp_path / "inventory.json"
    child = "import sys; from tools.plan_diff import write_inventory; sys.exit(write_inventory())"
    command = [sys.executable, "-c", child, "dev", str(base), str(output)]
    subprocess.run(command, cwd=PROJECT_DIR, check=True, capture_output=True, timeout=300)
    inventory = Inventory.from_json(json.loads(output.read_text()))
    tags = {
        rule["tags"]["matih-lifecycle"]
        for r in inventory.of_type("minio:index/ilmPolicy:IlmPolicy")
        for rule in r.inputs["rules"]
        if "tags" in rule
    }
    assert tags == {"tmp"}


def test_cli_diffs_the_working_tree_against_a_git_ref(repo):
    result = _plan_diff_cli(repo, "prod")

    assert result.returncode == 0, result.stderr
    # The release and the Trino catalogs change (both sides' children digest masked values with one key); the
    # readiness gate (a Job named after the release inputs) is re-created; the alert rules and the dashboard follow
    # the new parity.
    assert f"**0 to add, 0 to remove, {len(_tenant_ids('prod')) + 3} to change, 1 to replace**" in result.stdout
    # A catalog URI is no secret: both sides' children show it in clear (components/catalog.py `shown_value`).
    uri = '| `stringData["acme_corp.properties"] iceberg.rest-catalog.uri` | `http://iceberg-rest.matih-data.svc'
    assert uri in result.stdout and "`http://catalog.example:8181` |" in result.stdout
    assert "mock-" not in result.stdout
    assert "| `values.environment.MINIO_STORAGE_CLASS_STANDARD` | `EC:4` | `EC:3` |" in result.stdout
    assert "### Erasure coding and capacity" in result.stdout


def test_cli_exits_with_the_refused_status_and_writes_the_whole_diff_on_request(repo, tmp_path):
    full = tmp_path / "full.md"
    result = _plan_diff_cli(repo, "dev", "HEAD", "--full-output", str(full))

    assert result.returncode == EXIT_REFUSED, result.stderr
    assert "#### Refused: Drive size changed (1)" in result.stdout
    assert full.read_text() == result.stdout  # small enough to need no fitting


def test_cli_says_when_the_base_has_no_such_stack(repo):
    result = _plan_diff_cli(repo, "qa")

    assert result.returncode == 0, result.stderr
    assert "`HEAD`" in result.stdout and "has no `Pulumi.qa.yaml`" in result.stdout


def test_cli_says_when_the_base_program_fails(repo):
    result = _plan_diff_cli(repo, "prod", base="HEAD~1")

    assert result.returncode == 0, result.stderr
    assert "The program fails on `HEAD~1`" in result.stdout
    assert 'matih-minio:tenants[0].id: got "Not_A_Tenant"' in result.stdout


def test_the_pull_request_job_publishes_the_whole_diff_beside_the_fitted_comment():
    workflow = yaml.safe_load((PROJECT_DIR / ".github/workflows/pull-request.yml").read_text())
    steps = workflow["jobs"]["plan-diff"]["steps"]
    [diff] = [s for s in steps if s.get("run", "").startswith("make --silent plan-diff")]
    assert "FULL=plan-diff-full.md" in diff["run"]
    assert any(s.get("run") == 'cat plan-diff-full.md >> "$GITHUB_STEP_SUMMARY"' for s in steps)
    [artifact] = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert artifact["with"]["path"] == "plan-diff-full.md" and artifact["if"].startswith("always()")
