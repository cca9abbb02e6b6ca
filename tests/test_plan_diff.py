"""The plan diff shows exactly what a change of configuration changes, and the CLI works against a real git base."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.engine import PROJECT_DIR, Inventory, ResourceRecord, load_stack_config, run_stack
from tools.plan_diff import (
    ABSENT,
    Change,
    Context,
    MissingStack,
    PlanDiff,
    ProgramFailed,
    diff_inventories,
    diff_values,
    render_diff,
    render_report,
)

NEW_TENANT = "hooli"
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

    assert (diff.added, diff.removed, diff.other_outputs) == ((), (), ())
    assert not diff.tenants
    [release] = diff.changed
    assert release.type == "kubernetes:helm.sh/v3:Release"
    assert release.inputs == (Change("values.environment.MINIO_STORAGE_CLASS_STANDARD", "EC:4", "EC:3"),)
    assert release.options == ()
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
    assert "(12 TiB)" in markdown and "(13 TiB)" in markdown


def test_unprotecting_shows_option_changes_only(prod_inventory):
    diff = diff_inventories(prod_inventory, run_stack("prod", {"protect": False}))

    protected = {r.urn for r in prod_inventory if r.options["protect"]}
    assert protected and {c.urn for c in diff.changed} == protected
    assert {(c.inputs, c.options) for c in diff.changed} == {((), (Change("protect", True, False),))}
    assert "`protect` *(option)*" in render_diff(diff, CONTEXT)


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
    assert report.ok
    assert "has no `Pulumi.prod.yaml`" in report.markdown
    assert f"**{len(prod_inventory.resources)} to add, 0 to remove, 0 to change**" in report.markdown


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


def _plan_diff_cli(repo: Path, stack: str, base: str = "HEAD") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tools.plan_diff", "--base", base, "--stack", stack]
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=120)


def _edit_prod_config(repo: Path, key: str, value: Any) -> None:
    stack_file = repo / "Pulumi.prod.yaml"
    document = yaml.safe_load(stack_file.read_text())
    document["config"][f"matih-minio:{key}"] = value
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with two commits (a broken prod, then the real one) and, in the working tree,
    prod's standard parity lowered to EC:3 and a new qa stack."""
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
    shutil.copy(root / "Pulumi.dev.yaml", root / "Pulumi.qa.yaml")
    return root


def test_cli_diffs_the_working_tree_against_a_git_ref(repo):
    result = _plan_diff_cli(repo, "prod")

    assert result.returncode == 0, result.stderr
    assert "**0 to add, 0 to remove, 1 to change**" in result.stdout
    assert "| `values.environment.MINIO_STORAGE_CLASS_STANDARD` | `EC:4` | `EC:3` |" in result.stdout
    assert "### Erasure coding and capacity" in result.stdout


def test_cli_says_when_the_base_has_no_such_stack(repo):
    result = _plan_diff_cli(repo, "qa")

    assert result.returncode == 0, result.stderr
    assert "`HEAD`" in result.stdout and "has no `Pulumi.qa.yaml`" in result.stdout


def test_cli_says_when_the_base_program_fails(repo):
    result = _plan_diff_cli(repo, "prod", base="HEAD~1")

    assert result.returncode == 0, result.stderr
    assert "The program fails on `HEAD~1`" in result.stdout
    assert 'matih-minio:tenants[0].id: got "Not_A_Tenant"' in result.stdout
