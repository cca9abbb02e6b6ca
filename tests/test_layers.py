"""The layout's promises: the pure layer never imports Pulumi, and layers import only downwards.

components/model/ (with components/catalog.py and components/tokens.py) is plain Python that a unit test calls
directly; components/resources/ builds Pulumi resources from it; components/programs/ chooses which components a
stack declares. A module that imported against that order would hide a decision where a pure test cannot see it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = ROOT / "components"
PURE = [*sorted((COMPONENTS / "model").glob("*.py")), COMPONENTS / "catalog.py", COMPONENTS / "tokens.py"]
RESOURCES = sorted((COMPONENTS / "resources").glob("*.py"))


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            modules |= {f"{node.module}.{alias.name}" for alias in node.names}
    return modules


def test_the_pure_layer_has_modules() -> None:
    # Guards the globs below: an empty list would make every layer test pass.
    assert len(PURE) > 10 and len(RESOURCES) > 5


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_pure_layer_never_imports_pulumi(path: Path) -> None:
    offending = {m for m in imported_modules(path) if m == "pulumi" or m.startswith(("pulumi.", "pulumi_"))}
    assert not offending, f"{path.relative_to(ROOT)} imports {sorted(offending)}"


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_pure_layer_imports_no_component_or_program(path: Path) -> None:
    upward = {m for m in imported_modules(path) if m.startswith(("components.resources", "components.programs"))}
    assert not upward, f"{path.relative_to(ROOT)} imports {sorted(upward)}"


@pytest.mark.parametrize("path", RESOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_components_import_no_program(path: Path) -> None:
    upward = {m for m in imported_modules(path) if m.startswith("components.programs")}
    assert not upward, f"{path.relative_to(ROOT)} imports {sorted(upward)}"


def test_the_checker_sees_an_import_of_pulumi(tmp_path: Path) -> None:
    # The checks above pass vacuously if imported_modules missed the forms the program uses.
    module = tmp_path / "m.py"
    module.write_text("import pulumi_minio as minio\nfrom pulumi import Output\n")
    assert {"pulumi_minio", "pulumi", "pulumi.Output"} <= imported_modules(module)


POLICY_MODULES = sorted((ROOT / "policies").glob("*.py"))


def test_the_pack_has_one_module_per_concern():
    assert {p.stem for p in POLICY_MODULES} >= {"isolation", "credentials", "supply_chain", "durability", "lifecycle"}


@pytest.mark.parametrize("path", POLICY_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_policy_pack_reads_the_pure_layer_not_the_config_reader_or_the_program(path: Path) -> None:
    # The pack judges what the engine hands it; were it to import the config reader, it would judge the stack file
    # by the program's own rules instead of the declared resources.
    imported = imported_modules(path)
    forbidden = {
        m
        for m in imported
        if m.startswith(("components.model.config", "components.resources", "components.programs", "tools"))
        or m == "pulumi"
        or m.startswith(("pulumi.", "pulumi_kubernetes", "pulumi_minio", "pulumi_random"))
    }
    assert not forbidden, f"{path.relative_to(ROOT)} imports {sorted(forbidden)}"
