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
