"""The CI workflows: valid against GitHub's workflow schema (vendored in check-jsonschema, so offline) and wired
as the review and release flow needs them: PR -> tests, policy checks, plan diff, prod preview -> merge -> approval
-> up prod; dev (a local kind stack) is brought up by the kind integration job. Every Pulumi run can really run:
the policy pack's virtualenv exists first, a missing stack is created, and the runner reaches the stack's cluster.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.engine import PROJECT_DIR, available_stacks, load_stack_config
from tools.stack_reference import platform_of

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.y*ml"))
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"
# owner/repo[/path]@vX[.Y[.Z]] or @<commit sha>: a tag or commit, never a branch.
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")
INPUT_EXPRESSION = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")
MATRIX_EXPRESSION = re.compile(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}")


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
    value = MATRIX_EXPRESSION.sub(lambda m: str(inputs[f"matrix.{m.group(1)}"]), str(value or ""))
    return INPUT_EXPRESSION.sub(lambda m: str(inputs[m.group(1)]), value)


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


def test_pull_requests_run_the_tests_and_the_policy_checks_of_every_stack(pull_request):
    assert "pull_request" in pull_request["on"]
    runs = _runs(pull_request)
    for command in ("make test", *(f"make policy-check STACK={stack}" for stack in available_stacks())):
        assert command in runs


def test_the_plan_diff_of_each_stack_is_a_sticky_comment_of_its_own(pull_request):
    job = pull_request["jobs"]["plan-diff"]
    assert sorted(job["strategy"]["matrix"]["stack"]) == sorted(available_stacks())  # tenant shards too
    assert _step_using(job, "actions/checkout")["with"]["fetch-depth"] == 0  # the base ref must be there
    [diff] = [s for s in _steps(job) if s.get("run", "").startswith("make --silent plan-diff")]
    assert diff["env"]["BASE"] == "origin/${{ github.base_ref }}"
    assert diff["run"].endswith("> plan-diff.md")
    comment = _step_using(job, "marocchino/sticky-pull-request-comment")
    assert comment["with"]["path"] == "plan-diff.md"
    assert "matrix.stack" in comment["with"]["header"]  # one comment per stack, not one overwriting the other
    assert SAME_REPOSITORY in comment["if"]  # fork PRs have a read-only token


def test_the_preview_runs_for_prod_but_never_for_forks(pull_request):
    job = _job_running(pull_request, "pulumi/actions", "preview")
    assert job["if"] == SAME_REPOSITORY
    stacks = job["strategy"]["matrix"]["stack"]
    assert "prod" in stacks and job["strategy"]["fail-fast"] is False
    # One preview of a stack at a time per PR; the stacks of a PR do not cancel each other.
    assert "${{ matrix.stack }}" in job["concurrency"]["group"]
    options = _step_using(job, "pulumi/actions")["with"]
    assert options["stack-name"] == "${{ matrix.stack }}"
    assert options["cloud-url"] == "${{ secrets.PULUMI_BACKEND_URL }}"
    assert (options["comment-on-pr"], options["diff"], options["policyPacks"]) == (True, True, "policies")
    for stack in stacks:
        assert (PROJECT_DIR / _resolve(options["policyPackConfigs"], {"matrix.stack": stack})).is_file()
    assert job["env"]["PULUMI_CONFIG_PASSPHRASE"] == "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"


def test_main_deploys_prod_behind_the_production_environment_without_waiting_on_dev(deploy):
    assert deploy["on"]["push"]["branches"] == ["main"]
    deployments = {}
    for job_id, caller, job, inputs in _expanded_jobs(deploy):
        up = _pulumi_step(job, "up")
        assert (up["command"], up["policyPacks"]) == ("up", "policies")
        assert (PROJECT_DIR / _resolve(up["policyPackConfigs"], inputs)).is_file()  # the stack's own policy config
        assert "inputs.stack" in job["concurrency"]["group"] and job["concurrency"]["cancel-in-progress"] is False
        deployments[_resolve(up["stack-name"], inputs)] = (job_id, _resolve(job.get("environment"), inputs), caller)

    # dev is the kind job's (test_no_workflow_deploys_a_stack_...); prod's shards follow prod
    assert set(deployments) == {"prod", *_shards_of("prod")}
    _, prod_environment, prod_caller = deployments["prod"]
    assert prod_environment == "production"
    assert _needs(prod_caller) == []


def _pulumi_step(job: dict[str, Any], command: str) -> dict[str, Any]:
    [options] = [
        s["with"]
        for s in _steps(job)
        if s.get("uses", "").startswith("pulumi/actions@") and s.get("with", {}).get("command") == command
    ]
    return options


def test_every_up_is_verified_by_a_preview_that_expects_no_changes():
    """terraform-provider-minio v1.20.1 `minioUpdateILMPolicy` ignores the error of its re-create and reads the old
    rules back: only a preview after the up shows that the lifecycle change did not apply."""
    [job] = _load(WORKFLOWS / "pulumi-up.yml")["jobs"].values()
    steps = [s for s in _steps(job) if s.get("uses", "").startswith("pulumi/actions@")]
    assert [s["with"]["command"] for s in steps] == ["up", "preview"]
    up, verify = (s["with"] for s in steps)
    assert verify["expect-no-changes"] is True and "refresh" not in verify
    assert (verify["stack-name"], verify["cloud-url"]) == (up["stack-name"], up["cloud-url"])


def _shards_of(platform: str) -> list[str]:
    return [s for s in available_stacks() if platform_of(load_stack_config(s), "matih-minio") == platform]


def test_every_shard_is_deployed_after_its_platform_in_the_same_run(deploy):
    """A shard reads its platform's rotation counter (tenantPlatform): deployed in the same run, right after."""
    jobs = {
        _resolve(_pulumi_step(job, "up")["stack-name"], inputs): (job_id, caller, job, inputs)
        for job_id, caller, job, inputs in _expanded_jobs(deploy)
    }
    shards = _shards_of("prod")
    assert shards  # Pulumi.prod-tenants-1.yaml
    platform_job, _, platform_runner, platform_inputs = jobs["prod"]
    for shard in shards:
        _, caller, job, inputs = jobs[shard]
        assert platform_job in _needs(caller), shard
        assert _runner_labels(job, inputs) == _runner_labels(platform_runner, platform_inputs), shard
        assert _resolve(job.get("environment"), inputs) == "production", shard


# --- The Pulumi CLI in CI: stacks, policy pack, runners ----------------------------------------------------------


def _pulumi_runs() -> Iterator[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(workflow file, job, pulumi/actions step, caller inputs) for every step that runs a Pulumi command; reusable
    workflows are seen through their callers, with the inputs they get."""
    for path in WORKFLOW_FILES:
        workflow = _load(path)
        if set(workflow["on"]) == {"workflow_call"}:
            continue
        for _, _, job, inputs in _expanded_jobs(workflow):
            # A matrix job runs once per value: each run is one Pulumi run, seen with its matrix values.
            matrix = (job.get("strategy") or {}).get("matrix") or {}
            combinations = [
                {f"matrix.{key}": value for key, value in entry.items()} for entry in matrix.get("include", [])
            ] + [{f"matrix.{key}": value} for key, values in matrix.items() if key != "include" for value in values]
            combinations = combinations or [{}]
            for combination in combinations:
                for step in _steps(job):
                    if step.get("uses", "").startswith("pulumi/actions@") and "command" in step.get("with", {}):
                        yield path.name, job, step, {**inputs, **combination}


def _runner_labels(job: dict[str, Any], inputs: dict[str, Any]) -> list[str]:
    runs_on = job["runs-on"]
    if isinstance(runs_on, str) and runs_on.startswith("${{ fromJSON(inputs."):
        return list(json.loads(inputs[runs_on.split("inputs.")[1].split(")")[0]]))
    return [runs_on] if isinstance(runs_on, str) else list(runs_on)


def _sdk_version() -> str:
    [pin] = [
        line for line in (PROJECT_DIR / "requirements.txt").read_text().splitlines() if line.startswith("pulumi==")
    ]
    return pin.split("==")[1]


def test_pulumi_runs_are_found():
    assert {(name, step["with"]["command"]) for name, _, step, _ in _pulumi_runs()} >= {
        ("pull-request.yml", "preview"),
        ("deploy.yml", "up"),
        ("deploy.yml", "preview"),  # the verification after each up
        ("drift.yml", "preview"),
    }


def test_every_stack_but_dev_is_previewed_on_pull_requests_with_its_own_policy_config():
    # dev is a local kind stack no hosted runner reaches: the kind integration workflow brings it up on PRs.
    previews = {
        _resolve(step["with"]["stack-name"], inputs): _resolve(step["with"]["policyPackConfigs"], inputs)
        for name, _, step, inputs in _pulumi_runs()
        if name == "pull-request.yml" and step["with"]["command"] == "preview"
    }
    assert set(previews) == set(available_stacks()) - {"dev"}
    for stack, config in previews.items():
        assert config == f"policies/config.{stack}.json", stack


def test_every_pulumi_run_creates_a_missing_stack_with_the_cli_of_the_pinned_sdk():
    # pulumi/actions v7.0.0 action.yml: `upsert` "Create the stack if it currently does not exist", default 'false'
    # (src/main.ts: LocalWorkspace.createOrSelectStack only with upsert, selectStack otherwise).
    for name, _, step, _ in _pulumi_runs():
        # The drift preview must touch no state, not even by creating a stack (test_drift_detection_...).
        assert step["with"]["upsert"] is (name != "drift.yml"), name
        assert step["with"]["pulumi-version"] == _sdk_version(), name
    for path in WORKFLOW_FILES:
        for job in _load(path)["jobs"].values():
            for step in _steps(job):
                if step.get("uses", "").startswith("pulumi/actions@"):
                    assert step["with"]["pulumi-version"] == _sdk_version(), path.name


def test_the_policy_venv_is_created_before_every_pulumi_run():
    for name, job, step, _ in _pulumi_runs():
        assert step["with"]["policyPacks"] == "policies", name
        steps = _steps(job)
        [venv] = [i for i, s in enumerate(steps) if s.get("run", "").strip() == "make policy-venv"]
        assert venv < steps.index(step), name


def test_no_workflow_deploys_a_stack_its_runner_cannot_reach():
    for name, job, step, inputs in _pulumi_runs():
        for stack in _matrix_stacks(job, _resolve(step["with"]["stack-name"], inputs)):
            host = load_stack_config(stack)["matih-minio:minioEndpoint"].rsplit(":", 1)[0]
            labels = _runner_labels(job, inputs)
            # A laptop-local endpoint (dev on kind) is reached by no CI runner but the kind job's own cluster.
            assert host not in {"localhost", "127.0.0.1"}, (name, stack)
            if host.endswith((".svc", ".svc.cluster.local")) or "." not in host:
                assert "self-hosted" in labels, (name, stack, labels)  # a runner inside the cluster


def _matrix_stacks(job: dict[str, Any], stack: str) -> list[str]:
    """The stacks a step's stack-name stands for: a matrix job's every `include` entry."""
    if stack != "${{ matrix.stack }}":
        return [stack]
    return [entry["stack"] for entry in job["strategy"]["matrix"]["include"]]


def test_the_pr_preview_runs_where_the_prod_deploy_runs(pull_request, deploy):
    preview = _job_running(pull_request, "pulumi/actions", "preview")
    [(_, _, up, inputs)] = [j for j in _expanded_jobs(deploy) if j[3]["stack"] == "prod"]
    assert _runner_labels(preview, {}) == _runner_labels(up, inputs)


def test_the_integration_test_runs_on_a_kind_cluster_the_dev_stack_can_reach():
    integration = _load(WORKFLOWS / "integration.yml")
    assert integration["on"]["push"]["branches"] == ["main"]  # dev's deploy: every merge
    [job] = integration["jobs"].values()
    kind = _step_using(job, "helm/kind-action")["with"]
    # helm/kind-action v1.10.0 action.yml: `config` is the kind config file; kind.sh passes --name=<cluster_name>,
    # which overrides the config's name, so both must say the same.
    assert kind["config"] == "kind/cluster.yaml"
    assert f"kind-{kind['cluster_name']}" == load_stack_config("dev")["matih-minio:kubernetes"]["context"]
    installer = _step_using(job, "pulumi/actions")
    assert "command" not in installer.get("with", {})  # installs the CLI; `make up` runs it
    [run] = [s for s in _steps(job) if "pytest" in s.get("run", "")]
    assert "-m integration" in run["run"]
    assert run["env"]["MATIH_REQUIRE_INTEGRATION"] == "1"


def test_the_kind_config_matches_the_workflow_and_the_dev_endpoint():
    config_file = PROJECT_DIR / "kind" / "cluster.yaml"
    if not config_file.exists():
        pytest.skip("kind/cluster.yaml is not in this tree yet (the cluster part commits it)")
    config = yaml.safe_load(config_file.read_text())
    [job] = _load(WORKFLOWS / "integration.yml")["jobs"].values()
    assert config["name"] == _step_using(job, "helm/kind-action")["with"]["cluster_name"]
    host, port = load_stack_config("dev")["matih-minio:minioEndpoint"].rsplit(":", 1)
    mappings = [m for node in config["nodes"] for m in node.get("extraPortMappings", [])]
    assert any(
        m["hostPort"] == int(port) and m.get("listenAddress", "0.0.0.0") in {"127.0.0.1", "0.0.0.0"} for m in mappings
    ), mappings
    assert host == "localhost"


# --- Refresh and drift (terraform-provider-minio v1.20.1 forgets what it fails to read) -----------------------------


def test_no_workflow_refreshes_blindly():
    """A refresh that cannot reach MinIO drops buckets and keys from the state (`minioReadBucket` SetId("") on a
    BucketExists error): the only refresh allowed is a preview's, which writes no state, with expect-no-changes."""
    for path in WORKFLOW_FILES:
        for job in _load(path)["jobs"].values():
            for step in _steps(job):
                run = step.get("run", "")
                assert "pulumi refresh" not in run and "--refresh" not in run, path.name
                if step.get("uses", "").startswith("pulumi/actions@"):
                    options = step.get("with", {})
                    if str(options.get("refresh", "false")).lower() == "true":
                        assert options["command"] == "preview", path.name
                        assert options["expect-no-changes"] is True, path.name


@pytest.fixture(scope="module")
def drift() -> dict[str, Any]:
    return _load(WORKFLOWS / "drift.yml")


def test_drift_detection_previews_every_deployed_stack_where_it_is_deployed(drift, deploy):
    assert drift["on"]["schedule"] and "workflow_dispatch" in drift["on"]
    [job] = drift["jobs"].values()
    stacks = [entry["stack"] for entry in job["strategy"]["matrix"]["include"]]
    deployed = {
        _resolve(_pulumi_step(j, "up")["stack-name"], inputs): _runner_labels(j, inputs)
        for _, _, j, inputs in _expanded_jobs(deploy)
    }
    assert sorted(stacks) == sorted(deployed)
    assert job["strategy"]["fail-fast"] is False  # one stack's drift does not hide another's
    for labels in deployed.values():
        assert _runner_labels(job, {}) == labels
    preview = _step_using(job, "pulumi/actions")["with"]
    assert (preview["command"], preview["refresh"], preview["expect-no-changes"]) == ("preview", True, True)
    assert preview["upsert"] is False and preview["stack-name"] == "${{ matrix.stack }}"


def test_drift_detection_can_never_cancel_a_pending_up(drift, deploy):
    """GitHub keeps at most one running and one pending job per concurrency group and cancels the pending one when
    another is queued (docs "Using concurrency"), cancel-in-progress or not: a drift run queued in an up's group
    would cancel a deploy's pending up, a shard's too, leaving it behind its platform. A preview takes no lock and
    writes no state (pulumi v3.259.0 pkg/backend/diy/backend.go: `Preview` calls no `Lock`, `Update` does), so beside
    an up it can at worst report the half-done update as drift."""
    [job] = drift["jobs"].values()
    up_groups = {_resolve(j["concurrency"]["group"], inputs).lower() for _, _, j, inputs in _expanded_jobs(deploy)} | {
        deploy["concurrency"]["group"].lower()
    }
    group = job["concurrency"]["group"]
    assert "matrix.stack" in group and job["concurrency"]["cancel-in-progress"] is False
    for entry in job["strategy"]["matrix"]["include"]:
        assert group.replace("${{ matrix.stack }}", entry["stack"]).lower() not in up_groups, entry["stack"]


def test_drift_detection_probes_the_endpoint_the_stack_uses_before_the_preview(drift):
    [job] = drift["jobs"].values()
    steps = _steps(job)
    [probe] = [i for i, s in enumerate(steps) if "curl" in s.get("run", "")]
    preview = steps.index(_step_using(job, "pulumi/actions"))
    assert probe < preview
    assert "--fail" in steps[probe]["run"] and "--max-time" in steps[probe]["run"]
    for entry in job["strategy"]["matrix"]["include"]:
        config = load_stack_config(entry["stack"])
        endpoint = config["matih-minio:minioEndpoint"]
        platform = platform_of(config, "matih-minio") or entry["stack"]
        tls = (load_stack_config(platform).get("matih-minio:tls") or {}).get("enabled", False)
        # MinIO's cluster health endpoint (RELEASE.2024-12-18T13-15-44Z cmd/healthcheck-router.go).
        assert entry["health"] == f"{'https' if tls else 'http'}://{endpoint}/minio/health/cluster", entry
