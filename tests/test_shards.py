"""Tenant shards: stacks that declare only Tenants and read the platform from its stack through a StackReference."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.model.config import (
    CLI_DEFAULTED_PLATFORM_KEYS,
    PLATFORM_STACK_KEY,
    SHARD_KEYS,
    TOP_LEVEL_KEYS,
    ConfigError,
    load_shard_settings,
)
from components.model.platform_ref import CONTRACT_VERSION, TENANT_PLATFORM_OUTPUT, PlatformOutputError, shard_context
from tests.test_plan_diff import _copy_project, _git
from tests.test_settings import with_changes
from tools.engine import (
    PROJECT_DIR,
    Inventory,
    ProgramError,
    StackFileError,
    available_stacks,
    load_stack_config,
    project_config_values,
    run_stack,
)
from tools.policy_check import check_inventory, load_pack_config
from tools.policy_check import main as policy_check_main
from tools.stack_reference import platform_of
from tools.tenant_move import main as tenant_move_main

SHARD = "prod-tenants-1"
PLATFORM = "prod"
PLATFORM_REFERENCE = "organization/matih-minio/prod"
TENANT = "matih:tenancy:Tenant"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
# What a shard needs besides its Tenants: the providers they use and the reads that configure them.
SUPPORT = {"pulumi:providers:kubernetes", "pulumi:providers:minio", STACK_REFERENCE, "kubernetes:core/v1:Secret"}


@pytest.fixture(scope="module")
def shard() -> Inventory:
    return run_stack(SHARD)


def shard_config(**changes: Any) -> dict[str, Any]:
    return with_changes(SHARD, **changes)


def shard_problems(config: dict[str, Any], stack: str = SHARD) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_shard_settings(config, stack)
    return caught.value.problems


def tenant_of(inventory: Inventory, urn: str) -> str | None:
    """The Tenant component a resource belongs to (itself or an ancestor), if any."""
    by_urn = inventory.by_urn()
    while urn in by_urn:  # the stack itself is not recorded
        record = by_urn[urn]
        if record.type == TENANT:
            return record.name
        urn = record.parent
    return None


def relative_urn(urn: str) -> str:
    """A URN without its stack: `pulumi state move` changes only that part."""
    return urn.split("::", 2)[2]


# --- What a shard declares ------------------------------------------------------------------------------------------


def test_the_shard_declares_only_tenants_and_what_they_need(shard):
    configured = [entry if isinstance(entry, str) else entry["id"] for entry in project_config_values(SHARD)["tenants"]]
    assert sorted(r.name for r in shard.of_type(TENANT)) == sorted(configured)
    outside = [(r.type, r.name) for r in shard if tenant_of(shard, r.urn) is None]
    assert {t for t, _ in outside} <= SUPPORT, outside
    # The only Secret outside a Tenant is a read (the root credentials), never a declared one.
    reads = {(r.type, r.options.get("readId")) for r in shard if r.options.get("readId")}
    root_secret = ("kubernetes:core/v1:Secret", "minio/minio-root-credentials")
    assert reads == {(STACK_REFERENCE, PLATFORM_REFERENCE), root_secret}
    assert len(outside) == len(SUPPORT)


def test_the_shard_reaches_minio_with_the_platforms_root_credentials_kept_secret(shard):
    (provider,) = shard.of_type("pulumi:providers:minio")
    assert provider.inputs["minioUser"] == provider.inputs["minioPassword"] == "[secret]"
    assert provider.inputs["minioServer"] == project_config_values(SHARD)["minioEndpoint"]


def test_a_shard_names_the_ca_its_minio_provider_trusts():
    (provider,) = run_stack(SHARD, {"minioCaFile": "/etc/matih/minio-ca.pem"}).of_type("pulumi:providers:minio")
    assert provider.inputs["minioCacertFile"] == "/etc/matih/minio-ca.pem"
    (problem,) = shard_problems(shard_config(minioCaFile="ca.pem"))
    assert problem.startswith('matih-minio:minioCaFile: got "ca.pem"') and "absolute path" in problem, problem


def test_shard_tenants_use_the_platforms_facts(shard, prod_inventory):
    platform = prod_inventory.outputs[TENANT_PLATFORM_OUTPUT]
    # prod runs KES: each shard tenant gets its own key, as it would on the platform.
    assert {r.name for r in shard.of_type("minio:index/kmsKey:KmsKey")} == {
        f"{t.name}-kms-key" for t in shard.of_type(TENANT)
    }
    parents = {r.inputs["targetUser"] for r in shard.of_type("minio:index/iamServiceAccount:IamServiceAccount")}
    assert parents == set(platform["parentUsers"].values())
    assert shard.outputs["platformStack"] == PLATFORM_REFERENCE


def test_neither_the_platform_nor_the_shard_exports_a_secret(shard, prod_inventory):
    for inventory in (prod_inventory, shard):
        text = json.dumps(inventory.to_json())
        assert "mock-" not in text
        assert "[secret]" not in json.dumps(inventory.outputs), inventory.stack
        # Nothing a StackReference would hand over as secret either.
        assert "mock-" not in json.dumps(inventory.wire_outputs)


def test_the_shard_updates_secrets_in_place_as_the_platform_does(shard, prod_inventory):
    """A moved tenant's Secrets must not be replaced (deleted, then created) by the shard's provider."""
    for inventory in (prod_inventory, shard):
        (provider,) = inventory.of_type("pulumi:providers:kubernetes")
        assert provider.inputs["enableSecretMutable"] in (True, "true"), inventory.stack


@pytest.mark.parametrize(
    "entry", project_config_values(SHARD)["tenants"], ids=lambda e: e if isinstance(e, str) else e["id"]
)
def test_a_tenant_in_a_shard_is_the_same_resources_as_on_the_platform(shard, entry):
    """What `pulumi state move` relies on: same types, parents, names and inputs, so nothing is replaced."""
    tenant = entry if isinstance(entry, str) else entry["id"]
    on_platform = run_stack(PLATFORM, {"tenants": [*load_stack_config(PLATFORM)["matih-minio:tenants"], entry]})

    def subtree(inventory: Inventory) -> dict[str, dict[str, Any]]:
        return {relative_urn(r.urn): r.inputs for r in inventory if tenant_of(inventory, r.urn) == tenant}

    moved, original = subtree(shard), subtree(on_platform)
    assert moved.keys() == original.keys()
    assert moved == original


# --- Configuration of a shard ---------------------------------------------------------------------------------------


def test_the_committed_shard_is_valid():
    settings = load_shard_settings(project_config_values(SHARD), SHARD)
    assert settings.platform_stack == PLATFORM_REFERENCE
    assert len(settings.tenants) >= 2


@pytest.mark.parametrize("key", sorted(TOP_LEVEL_KEYS - SHARD_KEYS))
def test_every_platform_key_is_refused_in_a_shard(key):
    if key in CLI_DEFAULTED_PLATFORM_KEYS:
        value: Any = "not-the-default"
    else:
        value = project_config_values(PLATFORM).get(key, {"enabled": True})
    (problem,) = shard_problems(shard_config(**{key: value}))
    assert problem.startswith(f"matih-minio:{key}: got ")
    assert "absent in a tenant shard" in problem and PLATFORM_STACK_KEY in problem


def test_cli_defaults_of_platform_keys_are_tolerated_and_other_values_refused():
    load_shard_settings(shard_config(**CLI_DEFAULTED_PLATFORM_KEYS), SHARD)
    (problem,) = shard_problems(shard_config(namespace="storage"))
    assert problem.startswith('matih-minio:namespace: got "storage"; must be absent in a tenant shard')


def test_cli_defaulted_keys_are_exactly_pulumi_yaml_defaults_of_platform_keys():
    declared = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]
    defaults = {key: spec["default"] for key, spec in declared.items() if "default" in spec}
    assert {k: v for k, v in defaults.items() if k not in SHARD_KEYS} == dict(CLI_DEFAULTED_PLATFORM_KEYS)


def test_unknown_keys_and_every_problem_are_reported_at_once():
    problems = shard_problems(shard_config(tenant=["x"], storage={"kind": "local"}, tenants=["Bad_Id"], trino=None))
    assert any(p.startswith('matih-minio:tenant: got ["x"]; must be a known key') for p in problems), problems
    assert any(p.startswith("matih-minio:storage: got") for p in problems), problems
    assert any(p.startswith('matih-minio:tenants[0].id: got "Bad_Id"') for p in problems), problems
    assert any(p.startswith("matih-minio:trino.catalogUri: missing") for p in problems), problems
    assert len(problems) == 4


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("prod", "must be the platform stack as <organization>/matih-minio/<stack>"),
        ("organization/other-project/prod", "must be a stack of this project, matih-minio"),
        (f"organization/matih-minio/{SHARD}", "must be another stack: a shard cannot be its own platform"),
        ("", "must be the platform stack as"),
    ],
)
def test_platform_stack_must_name_another_stack_of_this_project(reference, expected):
    (problem,) = shard_problems(shard_config(platformStack=reference))
    assert problem.startswith(f"matih-minio:{PLATFORM_STACK_KEY}: got ") and expected in problem, problem


def test_shard_config_errors_stop_the_program_before_any_resource():
    with pytest.raises(ProgramError) as caught:
        run_stack(SHARD, {"storage": {"kind": "cloud"}})
    assert "matih-minio:storage: got" in str(caught.value)
    assert caught.value.inventory.resources == []


# --- Resolving the platform stack -----------------------------------------------------------------------------------


def test_an_unknown_platform_stack_names_the_stacks_that_exist():
    with pytest.raises(StackFileError) as caught:
        run_stack(SHARD, {PLATFORM_STACK_KEY: "organization/matih-minio/staging"})
    message = str(caught.value)
    assert "organization/matih-minio/staging" in message and "no stack file Pulumi.staging.yaml" in message
    assert f"stacks here: {', '.join(available_stacks())}" in message


def test_a_platform_stack_of_another_project_cannot_be_resolved_locally():
    with pytest.raises(StackFileError, match="names project 'elsewhere'; only stacks of matih-minio"):
        run_stack(SHARD, {PLATFORM_STACK_KEY: "organization/elsewhere/prod"})


def test_a_tenant_in_both_the_platform_and_a_shard_fails_the_shard_naming_both_stacks():
    platform_tenant = load_stack_config(PLATFORM)["matih-minio:tenants"][0]
    with pytest.raises(ProgramError) as caught:
        run_stack(SHARD, {"tenants": ["hooli", platform_tenant]})
    message = str(caught.value)
    assert f"got {platform_tenant!r}" in message
    assert PLATFORM_REFERENCE in message and f"shard {SHARD}" in message
    assert "hooli" not in message
    assert caught.value.inventory.of_type(TENANT) == []


def test_kms_decisions_follow_the_platform_stack():
    """The same shard on the static-key dev platform: no per-tenant keys, every tenant on dev's one key."""
    on_dev = run_stack(SHARD, {PLATFORM_STACK_KEY: "organization/matih-minio/dev"})
    assert on_dev.of_type("minio:index/kmsKey:KmsKey") == []
    static_key = load_stack_config("dev")["matih-minio:kms"].get("keyName", "matih-static")
    assert {t["kmsKey"] for t in on_dev.outputs["tenants"].values()} == {static_key}


def test_committed_stacks_hold_each_tenant_once_per_platform():
    """The runner sees every stack file: a tenant listed in two stacks of one platform would be declared twice."""
    owners: dict[tuple[str, str], list[str]] = {}
    for stack in available_stacks():
        platform = platform_of(load_stack_config(stack), "matih-minio") or stack
        for entry in project_config_values(stack).get("tenants", []):
            tenant = entry if isinstance(entry, str) else entry["id"]
            owners.setdefault((platform, tenant), []).append(stack)
    assert {key: stacks for key, stacks in owners.items() if len(stacks) > 1} == {}


@pytest.mark.parametrize(
    ("exported", "expected"),
    [
        (None, f"no output {TENANT_PLATFORM_OUTPUT}"),
        ({"version": CONTRACT_VERSION + 1}, f"output {TENANT_PLATFORM_OUTPUT}.version: got {CONTRACT_VERSION + 1}"),
        ("text", f"no output {TENANT_PLATFORM_OUTPUT} (got 'text')"),
    ],
)
def test_an_unreadable_platform_output_is_a_clear_error(exported, expected):
    settings = load_shard_settings(project_config_values(SHARD), SHARD)
    with pytest.raises(PlatformOutputError, match=f"cannot read the platform stack {PLATFORM_REFERENCE}") as caught:
        shard_context(settings, exported, [])
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_every_malformed_field_of_the_platform_output_is_reported(prod_inventory):
    settings = load_shard_settings(project_config_values(SHARD), SHARD)
    exported = copy.deepcopy(prod_inventory.outputs[TENANT_PLATFORM_OUTPUT])
    exported["kms"]["mode"] = "vault"
    exported["region"] = 7
    del exported["parentUsers"]["trino"]
    with pytest.raises(PlatformOutputError) as caught:
        shard_context(settings, exported, [])
    assert caught.value.problems == [
        "output tenantPlatform.kms.mode: got 'vault'; expected one of none, static, kes",
        "output tenantPlatform.parentUsers.trino: got None; expected the MinIO user name of the service's parent",
        "output tenantPlatform.region: got 7; expected an S3 region",
    ]


def test_a_secret_platform_output_is_refused(prod_inventory):
    settings = load_shard_settings(project_config_values(SHARD), SHARD)
    with pytest.raises(PlatformOutputError, match="is a secret"):
        shard_context(settings, prod_inventory.outputs[TENANT_PLATFORM_OUTPUT], [], secret=True)


# --- The policy pack and the plan diff per shard ------------------------------------------------------------------


def test_the_policy_pack_passes_the_shard_and_judges_its_keys(shard):
    assert [v for v in check_inventory(shard, load_pack_config(SHARD)) if v.mandatory] == []
    mutated = copy.deepcopy(shard)
    key = next(r for r in mutated.of_type("minio:index/iamServiceAccount:IamServiceAccount"))
    key.inputs["policy"] = key.inputs["policy"].replace(f"/{tenant_of(shard, key.urn)}/", "/")
    found = [v for v in check_inventory(mutated, load_pack_config(SHARD)) if v.mandatory]
    assert {v.policy for v in found} == {"tenant-scoped-credentials"}


def test_the_policy_check_cli_takes_a_shard_stack(capsys):
    assert policy_check_main(["--stack", SHARD]) == 0
    assert f"policy check of stack {SHARD}:" in capsys.readouterr().out


def _plan_diff_cli(repo: Path, stack: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tools.plan_diff", "--base", "HEAD", "--stack", stack]
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300)


def test_the_plan_diff_of_a_shard_shows_only_its_new_tenant(shard, tmp_path):
    _copy_project(tmp_path)
    _git(tmp_path, "init", "--quiet")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "--quiet", "-m", "base")
    stack_file = tmp_path / f"Pulumi.{SHARD}.yaml"
    document = yaml.safe_load(stack_file.read_text())
    document["config"]["matih-minio:tenants"].append("massive-dynamic")
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))

    result = _plan_diff_cli(tmp_path, SHARD)

    assert result.returncode == 0, result.stderr
    per_tenant = len([r for r in shard if tenant_of(shard, r.urn) == "hooli"])
    assert f"**{per_tenant} to add, 0 to remove, 0 to change" in result.stdout
    assert "massive-dynamic" in result.stdout and "hooli" not in result.stdout


# --- The engine's StackReference, on a project of its own -------------------------------------------------------------

REFERENCING_PROGRAM = """
import pulumi

if pulumi.get_stack() == "base":
    pulumi.export("endpoint", "http://base:9000")
    pulumi.export("password", pulumi.Output.secret("mock-password"))
else:
    base = pulumi.StackReference("base", stack_name=pulumi.Config().require("platformStack"))
    pulumi.export("endpoint", base.get_output("endpoint"))
    pulumi.export("password", base.require_output("password"))
    pulumi.export("missing", base.get_output("nothing"))
"""


def test_a_stack_reference_hands_over_outputs_and_keeps_secrets_secret(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: refs\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(REFERENCING_PROGRAM)
    (tmp_path / "Pulumi.base.yaml").write_text("config: {}\n")
    (tmp_path / "Pulumi.shard.yaml").write_text("config:\n  refs:platformStack: some-org/refs/base\n")

    inventory = run_stack("shard", project_dir=tmp_path)

    assert inventory.outputs == {"endpoint": "http://base:9000", "password": "[secret]"}
    (reference,) = inventory.of_type(STACK_REFERENCE)
    assert reference.options["readId"] == "some-org/refs/base"


def test_stack_references_in_a_cycle_are_a_stack_file_error(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: refs\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(REFERENCING_PROGRAM)
    (tmp_path / "Pulumi.a.yaml").write_text("config:\n  refs:platformStack: organization/refs/b\n")
    (tmp_path / "Pulumi.b.yaml").write_text("config:\n  refs:platformStack: organization/refs/a\n")

    with pytest.raises(StackFileError, match="stack references form a cycle: a -> b -> a"):
        run_stack("a", project_dir=tmp_path)


# --- Moving a tenant between stacks ---------------------------------------------------------------------------------


def test_grandchildren_have_the_engines_fully_qualified_urn(prod_inventory):
    """`pulumi state move` and `state unprotect` take real URNs: the parent's whole type chain, as the engine makes."""
    encryption = prod_inventory.named("initech-lakehouse-sse")
    assert encryption.urn == (
        "urn:pulumi:prod::matih-minio::matih:tenancy:Tenant$minio:index/s3Bucket:S3Bucket"
        "$minio:index/s3BucketServerSideEncryption:S3BucketServerSideEncryption::initech-lakehouse-sse"
    )


def test_the_move_procedure_lists_every_resource_of_the_tenant_and_nothing_else(prod_inventory, capsys):
    assert tenant_move_main(["--tenant", "initech", "--source", PLATFORM, "--dest", SHARD]) == 0
    text = capsys.readouterr().out
    listed = [line.strip().strip("\\").strip().strip("'") for line in text.splitlines() if line.startswith("  'urn:")]
    subtree = [r.urn for r in prod_inventory if tenant_of(prod_inventory, r.urn) == "initech"]
    assert sorted(listed) == sorted(subtree) and len(listed) == len(subtree)
    assert f"pulumi state move --source {PLATFORM_REFERENCE} --dest organization/matih-minio/{SHARD}" in text
    assert '- {"id": "initech", "isolation": "bucket", "quota": "2Ti"}' in text
    assert "before the shard" in text


@pytest.mark.parametrize(
    ("tenant", "source", "dest", "expected"),
    [
        ("nobody", SHARD, PLATFORM, f"stack {SHARD} holds no tenant 'nobody'"),
        ("hooli", SHARD, "dev", f"{SHARD} belongs to platform prod and dev to dev"),
        ("hooli", SHARD, SHARD, "the same stack"),
        ("hooli", SHARD, "staging", "no stack file Pulumi.staging.yaml"),
    ],
)
def test_the_move_procedure_refuses_what_cannot_work(tenant, source, dest, expected, capsys):
    assert tenant_move_main(["--tenant", tenant, "--source", source, "--dest", dest]) == 2
    assert expected in capsys.readouterr().err


def test_a_stack_reference_the_config_does_not_name_is_a_clear_error(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: refs\nruntime: python\n")
    program = 'import pulumi\npulumi.StackReference("x", stack_name="organization/refs/x")\n'
    (tmp_path / "__main__.py").write_text(program)
    (tmp_path / "Pulumi.solo.yaml").write_text("config: {}\n")

    with pytest.raises(ProgramError, match="StackReference to 'organization/refs/x': the runner resolves only"):
        run_stack("solo", project_dir=tmp_path)


def test_platform_wide_key_rotation_reaches_shard_tenants(prod_inventory):
    """Key resource names follow the generation: a shard tenant must rotate with the platform, and keep its keys'
    names when it moves."""
    settings = load_shard_settings(project_config_values(SHARD), SHARD)
    exported = copy.deepcopy(prod_inventory.outputs[TENANT_PLATFORM_OUTPUT])
    exported["accessKeys"] = {"rotation": 2}
    context = shard_context(settings, exported, [])
    assert (context.access_keys.rotation, context.access_keys.retire_through) == (2, 0)
