"""The Pulumi SDK internals the runner relies on, in one place, with the SDK version they were read at.

The mock engine speaks the engine's wire form of property values (a secret or a resource reference is a map with a
signature key; sdk/python/lib/pulumi/runtime/rpc.py `_special_sig_key`, `_special_secret_sig`,
`_special_resource_sig`) and drives the program's event loop as the SDK's own mocks do
(runtime/sync_await.py `_sync_await`). None of these is public API: tests/test_sdk_private.py fails when the
installed SDK is not the version below, so an upgrade is read here first.
"""

from __future__ import annotations

from pulumi.runtime.rpc import _special_resource_sig, _special_secret_sig, _special_sig_key
from pulumi.runtime.sync_await import _sync_await

# requirements.txt pins it; the symbols were read in pulumi/pulumi sdk/python at this tag.
PULUMI_SDK_VERSION = "3.272.0"

SIG_KEY: str = _special_sig_key
SECRET_SIG: str = _special_secret_sig
RESOURCE_SIG: str = _special_resource_sig
sync_await = _sync_await
