"""The README stays true: its access table is the catalog's, and its two commands are the real ones."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from components.catalog import BUCKETS, service
from components.model.config import SHARD_KEYS, TOP_LEVEL_KEYS
from tests.integration.kind_support import (
    DEV_SECTION,
    PROMPT_STAND_IN,
    README_VARIABLES,
    readme_dev_commands,
    readme_environment,
    readme_verification_script,
)
from tools.bench import checkpoint_table, markdown_table
from tools.engine import run_stack
from tools.readme import DIAGRAM_BEGIN, README, stack_diagram, with_access_table, with_stack_diagram

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
    for target in ("help", "plan", "test", "preview", "up", "policy-check", "plan-diff", "bench", "tenant-move"):
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


def _dev_section() -> str:
    return README.read_text().split(DEV_SECTION, 1)[1].split("\n### ", 1)[0]


def test_the_dev_path_names_its_real_prerequisites():
    section = _dev_section()
    for prerequisite in ("`kind`", "`docker`", "`kubectl`", "Pulumi CLI", "Python 3.11+", "venv", "`make`", "AWS CLI"):
        assert prerequisite in section, prerequisite
    # Each tool the path's commands call is one of them.
    tools = {line.split()[0] for line in readme_dev_commands() if not line.startswith(("export", "secret()", "AWS_"))}
    assert tools == {"kind", "make", "pulumi", "aws"}
    assert "aws --endpoint-url" in readme_verification_script() and "kubectl --context" in readme_verification_script()


def test_the_dev_path_says_where_the_state_and_the_passphrase_come_from():
    section = _dev_section()
    assert ".pulumi-state" in section and "PULUMI_BACKEND_URL" in section
    exported = {line.split()[1].split("=")[0] for line in readme_dev_commands() if line.startswith("export ")}
    # The integration test sets exactly what the README has a user export, and no backend of its own.
    assert exported == README_VARIABLES
    env = readme_environment({"PATH": "/bin", "PULUMI_BACKEND_URL": "s3://elsewhere"})
    assert set(env) - {"PATH"} == README_VARIABLES | set(PROMPT_STAND_IN)


def test_the_verification_step_reads_the_region_with_the_keys():
    # The AWS CLI signs with a region (MinIO's site region, in each tenant Secret): none configured on a fresh machine.
    for command in readme_verification_script().replace("\\\n", "").splitlines():
        if "aws " in command:
            assert "AWS_REGION=$(secret AWS_REGION)" in command, command


def test_the_stack_diagram_is_generated_from_the_committed_stacks(dev_inventory, prod_inventory):
    inventories = {"dev": dev_inventory, "prod": prod_inventory, "prod-tenants-1": run_stack("prod-tenants-1")}
    platforms = {"prod-tenants-1": "prod"}
    text = README.read_text()
    assert with_stack_diagram(text, inventories, platforms) == text, "stale diagram: run python -m tools.readme"
    diagram = stack_diagram(inventories, platforms)
    for tenant in ("acme-corp", "initech", "hooli"):
        assert f"tenant {tenant} (" in diagram
    assert 'prod_tenants_1_platform -- "StackReference: tenantPlatform" --> prod_platform' in diagram
    assert "Trino (Iceberg connector) reads matih-query/minio-trino-{tenant}" in diagram
    assert text.index(DIAGRAM_BEGIN) < text.index("### Buckets and who may touch them")


def test_the_diagram_follows_the_inventory_not_a_fixed_picture(dev_inventory):
    without_tenants = run_stack("dev", {"tenants": []})
    assert "tenant acme-corp" in stack_diagram({"dev": dev_inventory}, {})
    assert "tenant acme-corp" not in stack_diagram({"dev": without_tenants}, {})


def _config_table_keys(text: str) -> set[str]:
    section = text.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Za-z]+)` \|", section, re.M))


def test_the_configuration_table_has_every_key_a_stack_file_may_hold():
    assert _config_table_keys(README.read_text()) == TOP_LEVEL_KEYS | SHARD_KEYS


def test_the_bench_tables_have_the_columns_make_bench_prints():
    text = README.read_text()
    section = text.split("<!-- bench-table:begin -->", 1)[1].split("<!-- bench-table:end -->", 1)[0]
    # Each table is a run of `|` lines; make bench prints the timing table, then the checkpoint table.
    tables: list[list[str]] = []
    for line, previous in zip(section.splitlines(), ["", *section.splitlines()], strict=False):
        if line.startswith("|"):
            if not previous.startswith("|"):
                tables.append([])
            tables[-1].append(line)
    expected = [markdown_table([]).splitlines()[:2], checkpoint_table([]).splitlines()[:2]]
    assert [table[:2] for table in tables] == expected
    for table, (header, _) in zip(tables, expected, strict=True):
        columns = header.count("|") - 1
        assert table[2:] and all(row.count("|") - 1 == columns for row in table[2:]), table


def test_the_tenant_move_counts_match_the_tool():
    from tools.tenant_move import procedure

    printed = procedure("initech", "prod", "prod-tenants-1", "organization")
    urns = [line for line in printed.splitlines() if line.strip().startswith("'urn:pulumi:")]
    [moved] = re.findall(r"(\d+) resources change stacks", printed)
    [readme_count] = re.findall(r"with the (\d+) URNs the tool lists", README.read_text())
    assert int(readme_count) == len(urns) == int(moved)
