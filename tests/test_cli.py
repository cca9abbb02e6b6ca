"""Every tool fails on unusable input the way a person can act on: one message naming the key and value (all
problems at once), or the stack file and line, or the stacks there are; a non-zero exit (2); never a traceback.

The tools run as people and CI run them (`python -m tools.<tool>`, `make plan`) in a temporary copy of the project,
whose extra stack files hold the broken input, so the real stack files are never touched.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pytest
import yaml

from tools.cli import describe
from tools.engine import PROJECT_DIR, Inventory, ProgramError

TIMEOUT = 300
GOOD = "dev"
# Two independent bad values: both must be reported by one run.
BAD_VALUES = {"matih-minio:storage": {"sizePerDrive": "lots"}, "matih-minio:topology": {"mode": "bogus"}}
# A sequence item where the config mapping continues: PyYAML marks the offending line.
MISPLACED_ITEM = "  - misplaced-item"


@dataclass(frozen=True)
class Broken:
    """The temporary project and where its YAML error is."""

    root: Path
    yaml_error_line: int


def _stack_with_bad_values() -> str:
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{GOOD}.yaml").read_text())
    for key, changes in BAD_VALUES.items():
        document["config"][key] = {**document["config"][key], **changes}
    return yaml.safe_dump(document, sort_keys=False)


def _stack_with_a_yaml_error() -> tuple[str, int]:
    lines = (PROJECT_DIR / f"Pulumi.{GOOD}.yaml").read_text().splitlines()
    after = next(i for i, line in enumerate(lines) if line.startswith("  matih-minio:protect:"))
    lines.insert(after + 1, MISPLACED_ITEM)
    return "\n".join(lines) + "\n", after + 2  # 1-based line of the inserted item


def _git(root: Path, *args: str) -> None:
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *identity, *args], cwd=root, check=True, capture_output=True)


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Broken:
    """A git repository holding a copy of the project plus:
    - `bad-values`: the dev stack with two bad values;
    - `bad-yaml`: the dev stack with a YAML syntax error;
    - `fixed`: committed with that YAML error, repaired in the working tree (only the plan diff's base side fails).
    """
    root = tmp_path_factory.mktemp("broken") / "project"
    ignore = shutil.ignore_patterns(
        ".git", ".venv", "venv", ".pulumi-state", "__pycache__", ".*_cache", "build", "tests"
    )
    shutil.copytree(PROJECT_DIR, root, ignore=ignore)
    yaml_error, line = _stack_with_a_yaml_error()
    (root / "Pulumi.bad-values.yaml").write_text(_stack_with_bad_values())
    (root / "Pulumi.bad-yaml.yaml").write_text(yaml_error)
    (root / "Pulumi.fixed.yaml").write_text(yaml_error)
    _git(root, "init", "--quiet")
    _git(root, "add", "--all")
    _git(root, "commit", "--quiet", "--message", "base")
    shutil.copy(PROJECT_DIR / f"Pulumi.{GOOD}.yaml", root / "Pulumi.fixed.yaml")
    return Broken(root, line)


TOOLS = {
    "plan": ["-m", "tools.plan"],
    "policy_check": ["-m", "tools.policy_check"],
    "bench": ["-m", "tools.bench"],
    "plan_diff": ["-m", "tools.plan_diff", "--base", "HEAD"],
}


def run_tool(broken: Broken, tool: str, stack: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, *TOOLS[tool], "--stack", stack]
    return subprocess.run(command, cwd=broken.root, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def assert_clean_failure(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    printed = result.stdout + result.stderr
    assert result.returncode == 2, printed
    assert "Traceback" not in printed
    for text in expected:
        assert text in printed


@pytest.mark.parametrize("tool", TOOLS)
def test_every_bad_value_is_reported_at_once_with_key_and_value(broken, tool):
    result = run_tool(broken, tool, "bad-values")
    assert_clean_failure(
        result,
        "Pulumi.bad-values.yaml",
        'matih-minio:storage.sizePerDrive: got "lots"',
        'matih-minio:topology.mode: got "bogus"',
        "standalone, distributed",  # what topology.mode allows
    )


@pytest.mark.parametrize("tool", TOOLS)
def test_a_yaml_syntax_error_names_the_file_and_line(broken, tool):
    result = run_tool(broken, tool, "bad-yaml")
    assert_clean_failure(result, f"Pulumi.bad-yaml.yaml:{broken.yaml_error_line}:")


@pytest.mark.parametrize("tool", TOOLS)
def test_an_unknown_stack_lists_the_stacks(broken, tool):
    result = run_tool(broken, tool, "staging")
    assert_clean_failure(result, "staging")
    stacks = next(line for line in result.stderr.splitlines() if "staging" in line)
    assert "dev" in stacks and "prod" in stacks


@pytest.mark.parametrize("tool", TOOLS)
def test_an_empty_stack_lists_the_stacks(broken, tool):
    result = run_tool(broken, tool, "")
    assert_clean_failure(result, "no stack given (an empty STACK=); stacks here: bad-values, bad-yaml, dev, fixed")


def test_the_plan_diff_says_which_side_fails(broken):
    head_fails = run_tool(broken, "plan_diff", "bad-values")
    assert_clean_failure(head_fails, "this branch", 'matih-minio:topology.mode: got "bogus"')

    base_fails = run_tool(broken, "plan_diff", "fixed")
    # The base's failure is a note, not a failure of the pull request: the working tree is fine.
    assert base_fails.returncode == 0, base_fails.stdout + base_fails.stderr
    assert "`HEAD`" in base_fails.stdout
    assert f"Pulumi.fixed.yaml:{broken.yaml_error_line}:" in base_fails.stdout
    assert "Traceback" not in base_fails.stdout + base_fails.stderr


def test_a_malformed_saved_plan_names_the_file(broken, tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text('{"stack": "dev",\n "resources": [}\n')
    command = [sys.executable, "-m", "tools.policy_check", "--plan", str(plan)]
    result = subprocess.run(command, cwd=broken.root, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert_clean_failure(result, f"{plan}:2:")


def test_make_plan_passes_the_clean_failure_on(broken):
    venv = PROJECT_DIR / ".venv"
    # -o: the shared virtualenv is used as it is, never reinstalled from the copy's (newer) requirement files.
    stamps = ["-o", f"{venv}/.installed", "-o", f"{venv}/.plan-installed"]
    command = ["make", "--no-print-directory", *stamps, f"VENV={venv}", "plan", "STACK=bad-yaml"]
    result = subprocess.run(command, cwd=broken.root, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert f"plan: Pulumi.bad-yaml.yaml:{broken.yaml_error_line}:" in result.stderr


def _program_error(cause: Exception) -> ProgramError:
    try:
        raise ProgramError(
            str(cause), Inventory(stack="dev", project="matih-minio", resources=[], outputs={})
        ) from cause
    except ProgramError as error:
        return error


def test_a_deliberate_refusal_is_shown_as_written_and_anything_else_with_its_kind():
    refusal = describe(_program_error(pulumi.RunError("invalid matih-minio stack configuration")))
    assert refusal == "stack dev (Pulumi.dev.yaml): invalid matih-minio stack configuration"
    assert describe(_program_error(KeyError("tenants"))) == "stack dev (Pulumi.dev.yaml): KeyError: 'tenants'"
