"""The SDK internals tools/sdk_private.py relies on were read at one SDK version; an upgrade must be read again."""

from __future__ import annotations

import importlib.metadata

from tools import sdk_private


def test_the_installed_pulumi_sdk_is_the_version_its_internals_were_read_at():
    assert importlib.metadata.version("pulumi") == sdk_private.PULUMI_SDK_VERSION


def test_the_pinned_sdk_is_the_one_requirements_install():
    from pathlib import Path

    pins = (Path(__file__).resolve().parent.parent / "requirements.txt").read_text().split()
    assert f"pulumi=={sdk_private.PULUMI_SDK_VERSION}" in pins


def test_the_wire_signatures_are_the_engines():
    # The engine's own constants (sdk/go/common/resource/sig/sig.go Key, Secret, ResourceReference): the same in
    # every SDK, so a mismatch means the SDK moved them, not that they changed.
    assert sdk_private.SIG_KEY == "4dabf18193072939515e22adb298388d"
    assert sdk_private.SECRET_SIG == "1b47061264138c4ac30d75fd1eb44270"
    assert sdk_private.RESOURCE_SIG == "5cf8f73096256a8f31e491e813e4eb8e"


def test_the_installed_policy_sdk_is_the_version_its_internals_were_read_at():
    from tools.policy_check import PULUMI_POLICY_VERSION

    assert importlib.metadata.version("pulumi-policy") == PULUMI_POLICY_VERSION


# The public Python SDK is what `pulumi` and its packages `runtime`, `dynamic`, `provider` and `automation` list in
# `__all__` (sdk/python/lib/pulumi/*/__init__.py). Anything else (runtime.rpc, runtime.settings, runtime.mocks,
# output.Unknown, _types, ...) is an internal, read only through tools/sdk_private.py.
_PUBLIC_PULUMI_MODULES = ("pulumi", "pulumi.runtime", "pulumi.dynamic", "pulumi.provider", "pulumi.automation")


def _private_pulumi_imports(source: str) -> list[str]:
    import ast
    import importlib

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pulumi":
            public = importlib.import_module(node.module).__all__ if node.module in _PUBLIC_PULUMI_MODULES else ()
            found += [f"{node.lineno}: from {node.module} import {a.name}" for a in node.names if a.name not in public]
        elif isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name.startswith("pulumi.")]
    return found


def test_only_sdk_private_imports_pulumi_internals():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = {
        str(path.relative_to(root)): found
        for folder in ("tools", "tests", "policies")
        for path in sorted((root / folder).rglob("*.py"))
        if path != root / "tools" / "sdk_private.py" and (found := _private_pulumi_imports(path.read_text()))
    }
    assert offenders == {}


def test_the_guard_sees_each_kind_of_private_import():
    assert _private_pulumi_imports("from pulumi.runtime.settings import SETTINGS") != []
    assert _private_pulumi_imports("from pulumi.runtime import _sync_await") != []
    assert _private_pulumi_imports("import pulumi.output") != []
    assert _private_pulumi_imports("from pulumi.runtime import mocks") != []
    assert _private_pulumi_imports("import pulumi\nfrom pulumi.runtime import run_in_stack, set_mocks") == []
