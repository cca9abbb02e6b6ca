"""The README stays true: its access table is the catalog's, and its two commands are the real ones."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from components.catalog import BUCKETS, service
from tools.readme import README, with_access_table

ROOT = Path(__file__).resolve().parent.parent


def test_access_table_is_generated_from_the_catalog():
    text = README.read_text()
    assert with_access_table(text) == text, "README access table is stale: run python -m tools.readme"
    for bucket in BUCKETS:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{bucket.name}` |"))
        for writer in bucket.writers:
            assert service(writer).title in row.split("|")[3]


def test_readme_starts_with_the_two_commands_ci_and_users_run():
    text = README.read_text()
    first_block = re.search(r"```(?:bash|sh)?\n(.*?)```", text, re.S)
    assert first_block is not None
    commands = [line.strip() for line in first_block.group(1).splitlines() if line.strip() and not line.startswith("#")]
    assert commands == ["make plan STACK=dev", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text().splitlines()[-1]


def test_makefile_has_the_documented_targets():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("plan", "test", "preview", "up", "policy-check", "plan-diff", "bench"):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_preview_without_the_pulumi_cli_says_how_to_get_it(tmp_path):
    # A PATH holding only make and a shell: whatever is installed on this machine, there is no pulumi on it.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("make", "sh"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    result = subprocess.run(
        ["make", "-s", "check-cli"],
        cwd=ROOT,
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "The Pulumi CLI is not installed" in result.stdout
    assert "make plan works without it" in result.stdout
