"""`make mutate`: mutation testing of the pure layer and the plan-diff risk rules, one module at a time (mutmut 3).

Each module is named by its path and runs only the test files that pin it, in a scratch copy of the project under
build/mutate/<module>/ (mutmut reads its settings from pyproject.toml in the directory it runs in, so each module gets
its own). A surviving mutant either becomes a test or gets a one-line note in tests/mutation_equivalents.txt saying
why no test can tell it from the original; the score counts those as not applicable. Not part of `make test`: slow.

    python -m tools.mutate                         # every module
    python -m tools.mutate components/model/erasure.py   # one module
    python -m tools.mutate --jobs 2 ...            # mutmut worker processes (default 1: the machine is shared)
    python -m tools.mutate --every 4 ...           # a repeatable sample: every 4th mutant in name order
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
WORK_DIR = PROJECT_DIR / "build" / "mutate"
EQUIVALENTS_FILE = PROJECT_DIR / "tests" / "mutation_equivalents.txt"
TARGET_SCORE = 90.0

# Module path -> the test files that pin it. mutmut then runs, for each mutant, only the tests among these that
# call the mutated function (it records that in a first, traced run of these files).
MODULES: dict[str, tuple[str, ...]] = {
    "components/model/config.py": (
        "tests/test_settings.py",
        "tests/test_boundaries.py",
        "tests/test_erasure.py",
    ),
    "components/model/erasure.py": ("tests/test_erasure.py", "tests/test_boundaries.py"),
    # iam, tenancy, rotation and offboarding: the fast pure tests that pin them directly (a mutant in a few seconds);
    # the slow program runs (test_isolation, test_day2, test_policies) pin the same rules end to end.
    "components/model/iam.py": ("tests/test_boundaries.py", "tests/test_tenancy.py", "tests/test_iam_rules.py"),
    "components/model/naming.py": ("tests/test_tenancy.py", "tests/test_boundaries.py"),
    "components/model/tenancy.py": (
        "tests/test_tenancy.py",
        "tests/test_boundaries.py",
        "tests/test_service_access_contract.py",
    ),
    "components/model/lifecycle.py": ("tests/test_policies.py", "tests/test_day2.py", "tests/test_boundaries.py"),
    "components/model/rotation.py": (
        "tests/test_rotation_rules.py",
        "tests/test_key_retirement.py",
        "tests/test_boundaries.py",
    ),
    "components/model/offboarding.py": (
        "tests/test_boundaries.py",
        "tests/test_purge_procedure.py",
        "tests/test_offboarding_rules.py",
    ),
    **{
        f"tools/risks/{module}.py": ("tests/test_change_risks.py", "tests/test_risk_rules.py")
        for module in ("model", "replacements", "layout", "tenants", "settings")
    },
    "tools/change_risks.py": ("tests/test_change_risks.py", "tests/test_risk_rules.py"),
}

# mutmut's exit-code meanings (mutmut/stats.py status_by_exit_code, mutmut 3.8.1).
KILLED = {1, 3, 37}
SURVIVED = {0}
TIMEOUT = {24, -24, 36, 152, 255}
NO_TESTS = {5, 33}


@dataclass
class Score:
    module: str
    killed: int
    survived: list[str]
    equivalent: list[str]
    no_tests: list[str]
    timeout: int
    other: list[str]
    seconds: float

    @property
    def applicable(self) -> int:
        return self.killed + self.timeout + len(self.survived) + len(self.no_tests) + len(self.other)

    @property
    def percent(self) -> float:
        # A timeout is a mutant the tests stopped (an endless loop): caught, as mutmut counts it.
        return 100.0 * (self.killed + self.timeout) / self.applicable if self.applicable else 100.0


def load_equivalents(path: Path = EQUIVALENTS_FILE) -> dict[str, str]:
    """Mutant name -> why it is equivalent; lines are `name  reason`, `#` starts a comment."""
    notes: dict[str, str] = {}
    if not path.exists():
        return notes
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        if not reason.strip():
            raise SystemExit(f"{path.name}: {name} has no reason; every equivalent mutant needs one")
        notes[name] = reason.strip()
    return notes


def module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def project_files() -> list[str]:
    """Tracked and new (not ignored) files, so uncommitted tests count too."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [name for name in out.splitlines() if (PROJECT_DIR / name).is_file()]


def mutmut_config(module: str, tests: tuple[str, ...], top_level: list[str]) -> str:
    source_dir = module.split("/")[0]
    also_copy = sorted(name for name in top_level if name != source_dir)
    lines = [
        "",
        "[tool.mutmut]",
        f"source_paths = {json.dumps([source_dir])}",
        f"only_mutate = {json.dumps([module])}",
        f"also_copy = {json.dumps(also_copy)}",
        f"pytest_add_cli_args_test_selection = {json.dumps(list(tests))}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider"]',
        # Tests that run the program under the mock engine leave gRPC and asyncio threads behind; a worker forked
        # from such a process can deadlock. Fork workers from a clean server instead (mutmut's advice for grpc).
        'process_isolation = "forkserver"',
        # The scratch copy is no git repository; judge staleness by content, not by git.
        "use_git_change_detection = false",
    ]
    return "\n".join(lines) + "\n"


def prepare(module: str, tests: tuple[str, ...]) -> Path:
    scratch = WORK_DIR / module_name(module)
    if scratch.exists():
        shutil.rmtree(scratch)
    files = project_files()
    for name in files:
        target = scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_DIR / name, target)
    missing = [test for test in tests if not (scratch / test).exists()]
    if missing:
        raise SystemExit(f"{module}: test files not found: {', '.join(missing)}")
    top_level = sorted({name.split("/")[0] for name in files})
    with (scratch / "pyproject.toml").open("a") as pyproject:
        pyproject.write(mutmut_config(module, tests, top_level))
    return scratch


def results(scratch: Path, module: str) -> dict[str, int | None]:
    meta = scratch / "mutants" / (module + ".meta")
    if not meta.exists():
        return {}
    data: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    return data


def score(module: str, codes: dict[str, int | None], equivalents: dict[str, str], seconds: float) -> Score:
    result = Score(module, 0, [], [], [], 0, [], seconds)
    for name, code in sorted(codes.items()):
        if code in KILLED:
            result.killed += 1
        elif code in TIMEOUT:
            result.timeout += 1
        elif code in SURVIVED and name in equivalents:
            result.equivalent.append(name)
        elif code in SURVIVED:
            result.survived.append(name)
        elif code in NO_TESTS:
            result.no_tests.append(name)
        else:
            result.other.append(f"{name} (exit {code})")
    return result


def run_module(module: str, jobs: int, mutmut: str, every: int = 1) -> Score:
    scratch = prepare(module, MODULES[module])
    started = time.monotonic()
    run = [mutmut, "run", "--max-children", str(jobs)]
    if every == 1:
        proc = subprocess.run([*run, module_name(module) + ".*"], cwd=scratch)
    else:
        # Generate the mutants and record which tests call what (a pattern no mutant matches), then test every
        # `every`-th mutant in name order: a bounded, repeatable sample.
        subprocess.run([*run, module_name(module) + ".x_no_such_function__mutmut_*"], cwd=scratch)
        sample = sorted(results(scratch, module))[::every]
        proc = subprocess.run([*run, *sample], cwd=scratch)
    seconds = time.monotonic() - started
    codes: dict[str, int | None] = {n: c for n, c in results(scratch, module).items() if c is not None}
    if proc.returncode != 0 and not codes:
        raise SystemExit(f"{module}: mutmut failed (exit {proc.returncode}); see its output above")
    return score(module, codes, load_equivalents(), seconds)


def report(scores: list[Score]) -> str:
    lines = [
        "| module | mutants | equivalent | killed | survived | score | time |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in scores:
        total = s.applicable + len(s.equivalent)
        lines.append(
            f"| `{s.module}` | {total} | {len(s.equivalent)} | {s.killed + s.timeout} | "
            f"{len(s.survived) + len(s.no_tests) + len(s.other)} | {s.percent:.1f}% | {s.seconds / 60:.1f} min |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help="module paths (default: all of them)")
    parser.add_argument("--jobs", type=int, default=1, help="mutmut worker processes (default 1)")
    parser.add_argument("--every", type=int, default=1, help="test only every N-th mutant (default 1: all)")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"not a configured module: {', '.join(unknown)}; configured: {', '.join(MODULES)}")
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    equivalents = load_equivalents()
    scores = []
    for module in args.modules or list(MODULES):
        s = run_module(module, args.jobs, mutmut, args.every)
        scores.append(s)
        for name in s.survived + s.no_tests + s.other:
            print(f"surviving: {name}   (show it: cd {WORK_DIR / module_name(module)} && mutmut show {name})")
    listed_elsewhere = {
        name for name in equivalents if any(name.startswith(module_name(s.module) + ".") for s in scores)
    } - {name for s in scores for name in s.equivalent}
    for name in sorted(listed_elsewhere):
        print(f"stale note in {EQUIVALENTS_FILE.name}: {name} did not survive or no longer exists")
    print(report(scores))
    return 0 if all(s.percent >= TARGET_SCORE for s in scores) else 1


if __name__ == "__main__":
    raise SystemExit(main())
