"""Desired-state diff of a stack between a git ref and the working tree, as Markdown for a sticky PR comment.

    python -m tools.plan_diff --base origin/main --stack prod [--output plan-diff.md] [--full-output all.md]

Both sides run the real program under the mock engine (tools.engine), so the diff shows what the program *declares*
differently; what `pulumi preview` would do against the live state is the preview job's comment. Each side runs in
its own interpreter: the `components` packages of two trees must never meet in one `sys.modules`.

The comment leads with risk: the counts (added, removed, changed in place, replaced), then the Risks section from
`tools.change_risks` (refused changes first, each with the procedure that works), erasure and capacity, tenant
access, and last the per-resource details, which are dropped whole from the bottom when the comment would exceed
GitHub's limit (`--full-output` keeps them all). Secret values are never shown: changes inside a masked value are
found by the runner's keyed digests and shown per key.

Exit status: 0; 2 when this branch's program fails or for a usage or git problem; 3 (EXIT_REFUSED) when the
change holds a refused change. The diff (`diff_inventories`) and its rendering (`render_report`) are pure functions
of two `Inventory` objects; git and the child processes are confined to the bottom of this module.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import subprocess
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools.cli import reports_errors
from tools.engine import (
    PROJECT_DIR,
    SECRET_DIGEST_KEY_ENV,
    Inventory,
    available_stacks,
    run_stack,
)
from tools.plan_diff_markdown import (
    ERROR_TAIL_LINES,
    Context,
    MissingStack,
    ProgramFailed,
    Report,
    Side,
    render_report,
)

PROGRAM_TIMEOUT_SECONDS = 600


class PlanDiffError(RuntimeError):
    """A usage or git problem: no comment can be produced."""


def _git(*args: str, cwd: Path = PROJECT_DIR) -> bytes:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    if result.returncode != 0:
        raise PlanDiffError(f"git {' '.join(args)}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


def _git_text(*args: str, cwd: Path = PROJECT_DIR) -> str:
    return _git(*args, cwd=cwd).decode().strip()


def export_tree(ref: str, destination: Path, project_dir: Path = PROJECT_DIR) -> tuple[Path, str]:
    """Extract the project as of `ref` into `destination`: (its project directory, short commit id)."""
    try:
        commit = _git_text("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=project_dir)
    except PlanDiffError:
        raise PlanDiffError(f"unknown git ref {ref!r} (in CI, check out with fetch-depth: 0)") from None
    top = Path(_git_text("rev-parse", "--show-toplevel", cwd=project_dir))
    prefix = project_dir.resolve().relative_to(top.resolve()).as_posix()
    pathspec = [] if prefix == "." else ["--", prefix]
    archive = _git("archive", "--format=tar", commit, *pathspec, cwd=top)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")
    return destination / prefix, _git_text("rev-parse", "--short", commit, cwd=project_dir)


@reports_errors("plan_diff")
def write_inventory(argv: list[str] | None = None) -> int:
    """Child-process entry point (`stack project_dir output`): run one tree's program with this tree's engine and
    write the inventory JSON; a stack-file or program error is one clean message on stderr, which the parent shows."""
    stack, project_dir, output = argv if argv is not None else sys.argv[1:]
    if Path(project_dir).resolve() != PROJECT_DIR.resolve():
        # This module's imports (tools.change_risks, tools.engine) loaded this tree's `components`; the other tree's
        # program must import its own, or a change to components/ would never show in the diff.
        for name in [m for m in sys.modules if m == "components" or m.startswith("components.")]:
            del sys.modules[name]
    inventory = run_stack(stack, project_dir=Path(project_dir))
    Path(output).write_text(json.dumps(inventory.to_json()))
    return 0


_CHILD = "import sys; from tools.plan_diff import write_inventory; sys.exit(write_inventory())"


def run_side(stack: str, project_dir: Path, digest_key: str) -> Side:
    """Inventory of `stack` in the tree at `project_dir`, computed in a fresh interpreter.

    Both sides get the same `digest_key`, so that their digests of masked values compare (tools.engine)."""
    if not (project_dir / f"Pulumi.{stack}.yaml").exists():
        return MissingStack()
    with tempfile.TemporaryDirectory(prefix="plan-diff-") as scratch:
        output = Path(scratch) / "inventory.json"
        # cwd = this tree, so that `tools` is ours; run_stack puts project_dir first for `components`.
        command = [sys.executable, "-c", _CHILD, stack, str(project_dir), str(output)]
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", SECRET_DIGEST_KEY_ENV: digest_key}
        try:
            result = subprocess.run(
                command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=PROGRAM_TIMEOUT_SECONDS
            )
        except subprocess.TimeoutExpired:
            return ProgramFailed(f"the program did not finish within {PROGRAM_TIMEOUT_SECONDS} s")
        if result.returncode != 0 or not output.exists():
            tail = (result.stderr or result.stdout).strip().splitlines()[-ERROR_TAIL_LINES:]
            return ProgramFailed("\n".join(tail) or f"exit status {result.returncode}")
        return Inventory.from_json(json.loads(output.read_text()))


def plan_diff(base_ref: str, stack: str, project_dir: Path = PROJECT_DIR) -> Report:
    if not stack:
        stacks = ", ".join(available_stacks(project_dir))
        raise PlanDiffError(f"no stack given (an empty STACK=); stacks here: {stacks}")
    if not (project_dir / f"Pulumi.{stack}.yaml").exists():
        raise PlanDiffError(f"no stack {stack!r} here; stacks: {', '.join(available_stacks(project_dir))}")
    with tempfile.TemporaryDirectory(prefix="plan-diff-base-") as scratch:
        base_dir, commit = export_tree(base_ref, Path(scratch), project_dir)
        digest_key = secrets.token_hex(32)  # lives only as long as this comparison
        with ThreadPoolExecutor(max_workers=2) as pool:
            base = pool.submit(run_side, stack, base_dir, digest_key)
            head = pool.submit(run_side, stack, project_dir, digest_key)
            sides = base.result(), head.result()
    label = f"`{base_ref}`" if base_ref.startswith(commit) else f"`{base_ref}` ({commit})"
    return render_report(Context(stack, label), *sides)


@reports_errors("plan_diff", PlanDiffError)
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan_diff", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git ref to compare with, e.g. origin/main")
    parser.add_argument("--stack", required=True, help="stack name, e.g. dev or prod")
    parser.add_argument("--output", type=Path, help="write the Markdown here instead of stdout")
    parser.add_argument(
        "--full-output", type=Path, help="also write the whole diff here (the comment drops details to fit)"
    )
    args = parser.parse_args(argv)
    report = plan_diff(args.base, args.stack)
    if args.output:
        args.output.write_text(report.markdown)
    else:
        sys.stdout.write(report.markdown)
    if args.full_output:
        args.full_output.write_text(report.full)
    return report.exit_status


if __name__ == "__main__":
    sys.exit(main())
