"""`make preview` and `make up` create the policy pack's virtualenv before the CLI needs it, and only when missing.

The Pulumi CLI runs a local Python pack from the virtualenv PulumiPolicy.yaml names and never creates it. The
targets run for real here, in a temporary copy of the Makefile and requirement files, with stand-ins on PATH that
record what they are asked to do: a `python` whose `-m venv` makes a venv whose `pip` only records, a `pulumi` and a
`kubectl`. Fast and offline; what pip really installs is pinned by policies/requirements.txt and constraints.txt.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.engine import PROJECT_DIR

POLICY_REQUIREMENTS = "policies/requirements.txt"

RECORDING_PIP = """#!/bin/sh
echo "{venv}/bin/pip $*" >> "$COMMAND_LOG"
"""

FAKE_PYTHON = """#!{python}
import os, pathlib, sys
with open(os.environ["COMMAND_LOG"], "a") as log:
    log.write("python " + " ".join(sys.argv[1:]) + "\\n")
if sys.argv[1:3] == ["-m", "venv"]:
    pip = pathlib.Path(sys.argv[3], "bin", "pip")
    pip.parent.mkdir(parents=True, exist_ok=True)
    pip.write_text({recording_pip!r}.replace("{{venv}}", sys.argv[3]))
    pip.chmod(0o755)
"""

RECORDING_TOOL = """#!/bin/sh
echo "$(basename "$0") $*" >> "$COMMAND_LOG"
"""

# `pulumi login file://DIR` as the diy backend answers it: pulumi pkg/backend/diy/backend.go `New` turns the URL into
# an absolute fileblob URL (`massageBlobPath`) and opens it (`blobmux.OpenBucket`) with no MkdirAll; gocloud's fileblob
# refuses a directory that does not exist (read at v3.259.0, pulumi/pulumi#15841). Every other command only records.
STRICT_PULUMI = """#!/bin/sh
echo "pulumi $*" >> "$COMMAND_LOG"
if [ "$1" = login ]; then
  case "$2" in
    file://*)
      dir="${2#file://}"; dir="${dir%%\\?*}"
      [ -d "$dir" ] || { echo "error: unable to open bucket $2: stat $dir: no such file or directory" >&2; exit 255; }
      ;;
  esac
fi
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    names = ("Makefile", "requirements.txt", "requirements-plan.txt", "requirements-dev.txt", "constraints.txt")
    for name in (*names, POLICY_REQUIREMENTS, *(p.name for p in PROJECT_DIR.glob("Pulumi.*.yaml"))):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_DIR / name, tmp_path / name)
    fake_bin = tmp_path / "fake-bin"
    fake_bin.mkdir()
    (fake_bin / "python").write_text(FAKE_PYTHON.format(python=sys.executable, recording_pip=RECORDING_PIP))
    (fake_bin / "pulumi").write_text(STRICT_PULUMI)
    (fake_bin / "kubectl").write_text(RECORDING_TOOL)
    for script in fake_bin.iterdir():
        script.chmod(0o755)
    return tmp_path


def make(workspace: Path, target: str) -> list[str]:
    """Run `make <target> STACK=dev` with the stand-ins; the commands they received, in order."""
    log = workspace / "commands.log"
    log.write_text("")
    env = {
        "PATH": f"{workspace / 'fake-bin'}{os.pathsep}{os.environ['PATH']}",
        "COMMAND_LOG": str(log),
        "PULUMI_CONFIG_PASSPHRASE": "not-a-real-passphrase",
        "HOME": str(workspace),
    }
    command = ["make", "--no-print-directory", target, "STACK=dev", f"PYTHON={workspace / 'fake-bin' / 'python'}"]
    result = subprocess.run(command, cwd=workspace, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return log.read_text().splitlines()


def _index(commands: list[str], *words: str) -> int:
    [index] = [i for i, command in enumerate(commands) if all(word in command.split() for word in words)]
    return index


def test_policy_pack_virtualenv_is_the_one_pulumi_policy_yaml_names():
    pack = yaml.safe_load((PROJECT_DIR / "policies" / "PulumiPolicy.yaml").read_text())
    assert pack["runtime"]["options"]["virtualenv"] == "venv"  # relative to the pack: policies/venv
    makefile = (PROJECT_DIR / "Makefile").read_text()
    assert "POLICY_VENV := policies/venv" in makefile.splitlines()


@pytest.mark.parametrize("target", ["preview", "up"])
def test_the_policy_venv_is_created_from_pinned_requirements_before_the_cli_runs(workspace, target):
    commands = make(workspace, target)

    created = _index(commands, "-m", "venv", "policies/venv")
    installed = _index(commands, "policies/venv/bin/pip", "install", "-r", POLICY_REQUIREMENTS)
    assert "-c constraints.txt" in commands[installed]
    pulumi = _index(commands, "pulumi", target)
    assert created < installed < pulumi
    assert "--policy-pack policies" in commands[pulumi]


def test_an_existing_policy_venv_is_reused_and_rebuilt_when_its_requirements_change(workspace):
    make(workspace, "preview")

    again = make(workspace, "preview")
    assert not [c for c in again if "policies/venv" in c], "the stamp file keeps an installed venv"

    requirements = workspace / POLICY_REQUIREMENTS
    later = (workspace / "policies" / "venv" / ".installed").stat().st_mtime + 10
    os.utime(requirements, (later, later))
    changed = make(workspace, "preview")
    assert [c for c in changed if c.startswith("policies/venv/bin/pip install") and POLICY_REQUIREMENTS in c]


def test_the_pinned_policy_requirements_match_the_constraints():
    constraints = dict(
        line.lower().replace("_", "-").split("==")
        for line in (PROJECT_DIR / "constraints.txt").read_text().splitlines()
        if "==" in line
    )
    requirements = [
        line.split("==")
        for line in (PROJECT_DIR / POLICY_REQUIREMENTS).read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for name, version in requirements:
        assert constraints[name.lower().replace("_", "-")] == version


def _make_status(workspace: Path, target: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{workspace / 'fake-bin'}{os.pathsep}{os.environ['PATH']}",
        "COMMAND_LOG": str(workspace / "commands.log"),
        "PULUMI_CONFIG_PASSPHRASE": "not-a-real-passphrase",
        "HOME": str(workspace),
        **extra_env,
    }
    command = ["make", "--no-print-directory", target, "STACK=prod", f"PYTHON={workspace / 'fake-bin' / 'python'}"]
    return subprocess.run(command, cwd=workspace, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_up_needs_a_kube_context_outside_the_cluster_and_none_inside_it(workspace):
    # kubectl without a current context (a fresh in-cluster runner has no kubeconfig).
    (workspace / "fake-bin" / "kubectl").write_text("#!/bin/sh\nexit 1\n")
    outside = _make_status(workspace, "check-cli")
    assert outside.returncode == 2 and "No Kubernetes context" in outside.stdout, outside.stdout + outside.stderr
    inside = _make_status(workspace, "check-cli", KUBERNETES_SERVICE_HOST="10.96.0.1")
    assert inside.returncode == 0, inside.stdout + inside.stderr


@pytest.mark.parametrize("target", ["preview", "up"])
def test_the_file_state_directory_exists_before_pulumi_logs_in(workspace, target):
    # A fresh clone has no .pulumi-state: the stand-in refuses the login as the diy backend does.
    assert not (workspace / ".pulumi-state").exists()
    commands = make(workspace, target)
    assert (workspace / ".pulumi-state").is_dir()
    assert _index(commands, "pulumi", "login", f"file://{workspace}/.pulumi-state") < _index(commands, "pulumi", target)
    # The second run finds it and keeps what is in it.
    (workspace / ".pulumi-state" / "kept").write_text("state")
    make(workspace, target)
    assert (workspace / ".pulumi-state" / "kept").read_text() == "state"


def test_a_file_backend_elsewhere_is_created_and_a_bucket_url_is_left_alone(workspace):
    elsewhere = workspace / "state" / "nested"
    commands = _make_status(workspace, "preview", PULUMI_BACKEND_URL=f"file://{elsewhere}")
    assert commands.returncode == 0, commands.stdout + commands.stderr
    assert elsewhere.is_dir()
    bucket = _make_status(workspace, "preview", PULUMI_BACKEND_URL="s3://matih-state/minio")
    assert bucket.returncode == 0, bucket.stdout + bucket.stderr
    assert not (workspace / "s3:").exists()


def test_the_stand_in_refuses_a_missing_state_directory_like_the_diy_backend(workspace):
    missing = workspace / "no-such-dir"
    login = subprocess.run(
        [str(workspace / "fake-bin" / "pulumi"), "login", f"file://{missing}?no_tmp_dir=true"],
        env={**os.environ, "COMMAND_LOG": str(workspace / "commands.log")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert login.returncode != 0 and "no such file or directory" in login.stderr
    missing.mkdir()
    login = subprocess.run(
        [str(workspace / "fake-bin" / "pulumi"), "login", f"file://{missing}?no_tmp_dir=true"],
        env={**os.environ, "COMMAND_LOG": str(workspace / "commands.log")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert login.returncode == 0, login.stderr


# --- A newcomer's first hour -----------------------------------------------------------------------------------------


def _run_make(workspace: Path, *args: str, python: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{workspace / 'fake-bin'}{os.pathsep}{os.environ['PATH']}",
        "COMMAND_LOG": str(workspace / "commands.log"),
        "PULUMI_CONFIG_PASSPHRASE": "not-a-real-passphrase",
        "HOME": str(workspace),
    }
    (workspace / "commands.log").touch()
    command = ["make", "--no-print-directory", *args, f"PYTHON={python or workspace / 'fake-bin' / 'python'}"]
    return subprocess.run(command, cwd=workspace, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_make_alone_lists_every_documented_target(workspace):
    listed = _run_make(workspace)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == _run_make(workspace, "help").stdout
    makefile = (PROJECT_DIR / "Makefile").read_text()
    documented = re.findall(r"^## ([^:]+):", makefile, re.M)
    assert {"help", "plan", "test", "policy-check", "plan-diff", "bench", "tenant-move", "venv"} <= set(documented)
    for target in documented:
        assert re.search(rf"^  {re.escape(target)} +\S", listed.stdout, re.M), target
    assert "stacks: dev prod prod-tenants-1" in listed.stdout


def test_make_plan_installs_the_planning_requirements_only(workspace):
    make(workspace, "plan-venv")
    installs = [c for c in (workspace / "commands.log").read_text().splitlines() if " install " in c]
    assert installs == [
        ".venv/bin/pip install --quiet --disable-pip-version-check -r requirements-plan.txt -c constraints.txt"
    ]
    makefile = (PROJECT_DIR / "Makefile").read_text()
    assert re.search(r"^plan: check-stack plan-venv$", makefile, re.M)


def _requirements(name: str) -> set[str]:
    """Distributions a requirements file names, following `-r`, normalised."""
    names: set[str] = set()
    for line in (PROJECT_DIR / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            names |= _requirements(line[3:].strip())
        elif line:
            names.add(re.split(r"[=<>\[ ]", line)[0].lower().replace("_", "-"))
    return names


def _closure(names: set[str]) -> set[str]:
    """The distributions and everything they require, as installed here (importlib.metadata)."""
    import importlib.metadata as metadata

    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [re.split(r"[=<>!~;\[ (]", r)[0].lower().replace("_", "-") for r in requires if "extra ==" not in r]
    return seen


def test_the_planning_requirements_cover_every_module_the_planning_tools_import_and_no_test_tool():
    probe = (
        "import sys, importlib.metadata as m, tools.plan, tools.plan_diff, tools.tenant_move, tools.engine;"
        "tops = {n.split('.')[0] for n in sys.modules};"
        "dists = m.packages_distributions();"
        "print('\\n'.join(sorted({d for t in tops for d in dists.get(t, [])})))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    imported = {line.lower().replace("_", "-") for line in result.stdout.split()}
    plan = _closure(_requirements("requirements-plan.txt"))
    seeded = {"pip", "setuptools"}  # what `python3.11 -m venv` puts in every venv
    assert imported and imported <= plan | seeded, sorted(imported - plan)
    assert not {"pytest", "ruff", "mypy", "moto", "boto3", "check-jsonschema", "pulumi-policy"} & plan
    # The test toolchain builds on it: requirements-dev.txt keeps its role.
    assert _requirements("requirements-plan.txt") <= _requirements("requirements-dev.txt")


FAKE_OLD_PYTHON = """#!/bin/sh
if [ "$1" = "-V" ]; then echo "Python 3.10.12"; exit 0; fi
if [ "$1" = "-c" ]; then exit 1; fi
echo "python $*" >> "$COMMAND_LOG"
"""


def test_an_old_python_gets_one_line_naming_3_11_before_anything_is_installed(workspace):
    old = workspace / "fake-bin" / "python3.10"
    old.write_text(FAKE_OLD_PYTHON)
    old.chmod(0o755)
    for target in ("plan", "venv"):
        result = _run_make(workspace, target, "STACK=dev", python=str(old))
        assert result.returncode == 2
        [line] = result.stdout.splitlines()
        assert "needs Python 3.11 or newer" in line and "Python 3.10.12" in line
        assert (workspace / "commands.log").read_text() == ""
    pyproject = (PROJECT_DIR / "pyproject.toml").read_text()
    assert re.search(r'^requires-python = ">=3.11"$', pyproject, re.M)


@pytest.mark.parametrize("target", ["preview", "up", "plan", "plan-diff"])
@pytest.mark.parametrize("stack", ["", "prdo"])
def test_a_stack_without_a_stack_file_is_refused_with_the_list_before_any_login(workspace, target, stack):
    result = _run_make(workspace, target, f"STACK={stack}")
    assert result.returncode == 2
    assert result.stdout.strip().endswith("stacks: dev prod prod-tenants-1")
    assert ("STACK is empty" if not stack else "No stack file Pulumi.prdo.yaml") in result.stdout
    assert (workspace / "commands.log").read_text() == "", "nothing ran: no venv, no pulumi login"


def test_a_failing_tools_status_and_reason_survive_make():
    # The real Makefile and venv: make stops with the tool's status in its last line, the tool's reason above it.
    result = subprocess.run(
        ["make", "--no-print-directory", "plan-diff", "STACK=dev", "BASE=no-such-ref"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-2].startswith("plan_diff: unknown git ref 'no-such-ref'")
    assert lines[-1].endswith("plan-diff] Error 2")


def test_the_readme_tenant_move_command_is_a_make_target_that_works_on_a_fresh_clone():
    readme = (PROJECT_DIR / "README.md").read_text()
    command = "make tenant-move TENANT=initech SOURCE=prod DEST=prod-tenants-1"
    assert command in readme
    result = subprocess.run(
        [*command.split(), "--no-print-directory", "-s"], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    urns = [line for line in result.stdout.splitlines() if line.strip().startswith("'urn:pulumi:")]
    [count] = re.findall(r"with the (\d+) URNs the tool lists", readme)
    assert int(count) == len(urns)
