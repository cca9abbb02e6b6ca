"""The Pulumi SDK internals the runner relies on, in one place, with the SDK version they were read at.

The mock engine speaks the engine's wire form of property values (a secret or a resource reference is a map with a
signature key; sdk/python/lib/pulumi/runtime/rpc.py `_special_sig_key`, `_special_secret_sig`,
`_special_resource_sig`) and drives the program's event loop as the SDK's own mocks do
(runtime/sync_await.py `_sync_await`). It records registrations by subclassing the SDK's mock monitor
(runtime/mocks.py `MockMonitor`, which `pulumi.runtime` does not export) and, between stacks run in one process,
clears the SDK's per-process state (runtime/settings.py `SETTINGS.rpc_manager`, `SETTINGS.outputs`, the `ROOT`
resource context variable). An unknown value's class (output.py `Unknown`; only its instance `pulumi.UNKNOWN` is
exported) tells a value not yet known at preview; the tests read an args class's wire names as the SDK does
(_types.py `input_type_py_to_pulumi_names`). None of these is public API: tests/test_sdk_private.py fails when the
installed SDK is not the version below, so an upgrade is read here first.
"""

from __future__ import annotations

from pulumi._types import input_type_py_to_pulumi_names as _input_type_py_to_pulumi_names
from pulumi.output import Unknown as _Unknown
from pulumi.runtime.mocks import MockMonitor as _MockMonitor
from pulumi.runtime.rpc import _special_resource_sig, _special_secret_sig, _special_sig_key
from pulumi.runtime.settings import ROOT as _ROOT
from pulumi.runtime.settings import SETTINGS as _SETTINGS
from pulumi.runtime.sync_await import _sync_await

# requirements.txt pins it; the symbols were read in pulumi/pulumi sdk/python at this tag.
PULUMI_SDK_VERSION = "3.272.0"

SIG_KEY: str = _special_sig_key
SECRET_SIG: str = _special_secret_sig
RESOURCE_SIG: str = _special_resource_sig
sync_await = _sync_await
MockMonitor = _MockMonitor
Unknown = _Unknown
input_type_py_to_pulumi_names = _input_type_py_to_pulumi_names


def clear_root_resource() -> None:
    """Forget the stack resource `set_mocks` registered, so the program runs in a fresh one."""
    _ROOT.set(None)


def clear_pending_outputs() -> None:
    """Drop the RPCs and outputs a previous stack left in this process (runtime/settings.py `Settings`)."""
    _SETTINGS.rpc_manager.clear()
    _SETTINGS.outputs.clear()
