"""The CI workflows: valid against GitHub's workflow schema (vendored in check-jsonschema, so offline) and wired
as the review and release flow needs them: PR -> tests, policy checks, plan diff, preview -> merge -> up dev ->
approval -> up prod.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.engine import PROJECT_DIR, load_stack_config

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.y*ml"))
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"
# owner/repo[/path]@vX[.Y[.Z]] or @<commit sha>: a tag or commit, never a branch.
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")
INPUT_EXPRESSION = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")


def _load(path: Path) -> dict[str, Any]:
    workflow = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as the boolean True.
    workflow["on"] = workflow.pop(True, workflow.get("on"))
    return workflow


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job.get("steps") or [])


def _runs(workflow: dict[str, Any]) -> list[str]:
    return [step["run"] for job in workflow["jobs"].values() for step in _steps(job) if "run" in step]


def _step_using(job: dict[str, Any], action: str) -> dict[str, Any]:
    [step] = [s for s in _steps(job) if s.get("uses", "").startswith(f"{action}@")]
    return step


def _job_running(workflow: dict[str, Any], action: str, command: str) -> dict[str, Any]:
    [job] = [
        job
        for job in workflow["jobs"].values()
        if any(s.get("uses", "").startswith(f"{action}@") and s["with"].get("command") == command for s in _steps(job))
    ]
    return job


def _expanded_jobs(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(job id, calling job, job that runs, inputs): local reusable workflows are opened."""
    for job_id, job in workflow["jobs"].items():
        uses = job.get("uses", "")
        if uses.startswith("./"):
            for called in _load(PROJECT_DIR / uses)["jobs"].values():
                yield job_id, job, called, dict(job.get("with") or {})
        else:
            yield job_id, job, job, {}


def _resolve(value: Any, inputs: dict[str, Any]) -> str:
    if isinstance(value, dict):  # environment: {name, url}
        value = value.get("name", "")
    return INPUT_EXPRESSION.sub(lambda m: str(inputs[m.group(1)]), str(value or ""))


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)


@pytest.fixture(scope="module")
def pull_request() -> dict[str, Any]:
    return _load(WORKFLOWS / "pull-request.yml")


@pytest.fixture(scope="module")
def deploy() -> dict[str, Any]:
    return _load(WORKFLOWS / "deploy.yml")


def test_the_workflows_exist():
    names = {path.name for path in WORKFLOW_FILES}
    assert {"pull-request.yml", "deploy.yml", "pulumi-up.yml", "integration.yml"} <= names


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_matches_githubs_schema(path):
    command = [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_version_or_commit(path):
    jobs = _load(path)["jobs"].values()
    steps = [step for job in jobs for step in _steps(job)]
    uses = [item["uses"] for item in (*jobs, *steps) if "uses" in item]
    unpinned = [u for u in uses if not u.startswith("./") and not PINNED.match(u)]
    assert not unpinned


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_token_permissions_are_least_privilege(path):
    workflow = _load(path)
    assert workflow["permissions"] == {"contents": "read"}
    for job in workflow["jobs"].values():
        granted = job.get("permissions", {})
        assert isinstance(granted, dict), "no read-all / write-all"
        assert {scope for scope, level in granted.items() if level == "write"} <= {"pull-requests"}


def test_pull_requests_run_the_tests_and_the_policy_checks_of_both_stacks(pull_request):
    assert "pull_request" in pull_request["on"]
    runs = _runs(pull_request)
    for command in ("make test", "make policy-check STACK=dev", "make policy-check STACK=prod"):
        assert command in runs


def test_the_plan_diff_of_each_stack_is_a_sticky_comment_of_its_own(pull_request):
    job = pull_request["jobs"]["plan-diff"]
    assert job["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    assert _step_using(job, "actions/checkout")["with"]["fetch-depth"] == 0  # the base ref must be there
    [diff] = [s for s in _steps(job) if s.get("run", "").startswith("make --silent plan-diff")]
    assert diff["env"]["BASE"] == "origin/${{ github.base_ref }}"
    assert diff["run"].endswith("> plan-diff.md")
    comment = _step_using(job, "marocchino/sticky-pull-request-comment")
    assert comment["with"]["path"] == "plan-diff.md"
    assert "matrix.stack" in comment["with"]["header"]  # one comment per stack, not one overwriting the other
    assert SAME_REPOSITORY in comment["if"]  # fork PRs have a read-only token


def test_the_preview_runs_for_both_stacks_but_never_for_forks(pull_request):
    job = _job_running(pull_request, "pulumi/actions", "preview")
    assert job["if"] == SAME_REPOSITORY
    assert [entry["stack"] for entry in job["strategy"]["matrix"]["include"]] == ["dev", "prod"]
    assert "matrix.stack" in job["concurrency"]["group"]
    options = _step_using(job, "pulumi/actions")["with"]
    assert options["stack-name"] == "${{ matrix.stack }}"
    assert options["cloud-url"] == "${{ secrets.PULUMI_BACKEND_URL }}"
    assert (options["comment-on-pr"], options["diff"], options["policyPacks"]) == (True, True, "policies")
    for entry in job["strategy"]["matrix"]["include"]:
        assert (PROJECT_DIR / options["policyPackConfigs"].replace("${{ matrix.stack }}", entry["stack"])).is_file()
    assert job["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"


def test_main_deploys_dev_then_prod_behind_the_production_environment(deploy):
    assert deploy["on"]["push"]["branches"] == ["main"]
    deployments = {}
    for job_id, caller, job, inputs in _expanded_jobs(deploy):
        up = _step_using(job, "pulumi/actions")["with"]
        assert (up["command"], up["policyPacks"]) == ("up", "policies")
        assert (PROJECT_DIR / _resolve(up["policyPackConfigs"], inputs)).is_file()  # the stack's own policy config
        assert "inputs.stack" in job["concurrency"]["group"] and job["concurrency"]["cancel-in-progress"] is False
        deployments[_resolve(up["stack-name"], inputs)] = (job_id, _resolve(job.get("environment"), inputs), caller)

    assert set(deployments) == {"dev", "prod"}
    dev_job, dev_environment, _ = deployments["dev"]
    _, prod_environment, prod_caller = deployments["prod"]
    assert prod_environment == "production"
    assert dev_environment != "production"
    assert dev_job in _needs(prod_caller)


def test_the_integration_test_runs_on_a_kind_cluster_the_dev_stack_can_reach():
    [job] = _load(WORKFLOWS / "integration.yml")["jobs"].values()
    cluster = _step_using(job, "helm/kind-action")["with"]["cluster_name"]
    assert f"kind-{cluster}" == load_stack_config("dev")["matih-minio:kubernetes"]["context"]
    _step_using(job, "pulumi/actions")  # installs the CLI
    [run] = [s for s in _steps(job) if "pytest" in s.get("run", "")]
    assert "-m integration" in run["run"]
    assert run["env"]["MATIH_REQUIRE_INTEGRATION"] == "1"
