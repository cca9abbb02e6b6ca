"""StackReferences under the mock engine, answered as the CLI answers them.

The CLI reads a StackReference (a `pulumi:pulumi:StackReference` resource, read by id = the stack name) from the
backend: the referenced stack's outputs, each still secret if it was, and the sorted names of those holding a
secret (pulumi/pulumi v3.259.0, pkg/resource/deploy/builtins.go, `builtinProvider.readStackReference`). What the
SDK reads of that state is `outputs` and `secretOutputNames` (pulumi/stack_reference.py, `StackReference`).

Here the referenced stack has no state, so its program runs under the mock engine first and its outputs are
captured; then the referencing stack runs. The SDK's mocks are global state, so the two runs never overlap.
A reference `<organization>/<project>/<stack>` maps to the local `Pulumi.<stack>.yaml`: the organization names a
tenant of a backend, which has no meaning for local files, so it is ignored; the project must be this one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from components.model.config import PLATFORM_STACK_KEY
from tools import sdk_private
from tools.fidelity.cli import StackFileError


@dataclass(frozen=True)
class StackOutputs:
    """A stack's outputs in the engine's wire form: secret values wrapped in the secret signature."""

    outputs: Mapping[str, Any]

    @property
    def secret_output_names(self) -> list[str]:
        return sorted(name for name, value in self.outputs.items() if _has_secret(value))

    def reference_state(self) -> dict[str, Any]:
        """What the CLI returns for a read of a StackReference to this stack."""
        return {"outputs": dict(self.outputs), "secretOutputNames": self.secret_output_names}


def _has_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get(sdk_private.SIG_KEY) == sdk_private.SECRET_SIG or any(_has_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secret(v) for v in value)
    return False


def local_stack_name(reference: str, project: str, available: list[str], referrer: str) -> str:
    """The stack file a reference names; StackFileError (naming the stacks that exist) when there is none."""
    parts = reference.split("/")
    where = f"Pulumi.{referrer}.yaml: stack reference {reference!r}"
    if len(parts) > 3 or not all(parts):
        raise StackFileError(f"{where}: not of the form <organization>/<project>/<stack>")
    if len(parts) == 3 and parts[1] != project:
        raise StackFileError(f"{where}: names project {parts[1]!r}; only stacks of {project} can be resolved here")
    name = parts[-1]
    if name not in available:
        raise StackFileError(f"{where}: no stack file Pulumi.{name}.yaml; stacks here: {', '.join(available)}")
    return name


def platform_of(config: Mapping[str, Any], project: str) -> str | None:
    """The local name of the platform stack a shard's config (full `<project>:` keys) names; None for a platform."""
    reference = config.get(f"{project}:{PLATFORM_STACK_KEY}")
    return str(reference).rsplit("/", 1)[-1] if reference else None


def referenced_stacks(config: Mapping[str, Any], project: str) -> list[str]:
    """The stacks a stack's program will reference: a tenant shard's platform stack."""
    reference = config.get(f"{project}:{PLATFORM_STACK_KEY}")
    return [reference] if isinstance(reference, str) else []


# Stacks whose references are being resolved, outermost first: a cycle would otherwise recurse forever.
_resolving: list[str] = []


def resolve_references(
    stack: str,
    config: Mapping[str, Any],
    project: str,
    available: list[str],
    run: Callable[[str], StackOutputs],
) -> dict[str, StackOutputs]:
    """Reference (as the program writes it) -> the referenced stack's outputs, each run with `run`."""
    resolved = {}
    for reference in referenced_stacks(config, project):
        name = local_stack_name(reference, project, available, stack)
        if name == stack or name in _resolving:
            chain = " -> ".join([*_resolving, stack, name])
            raise StackFileError(f"Pulumi.{stack}.yaml: stack references form a cycle: {chain}")
        _resolving.append(stack)
        try:
            resolved[reference] = run(name)
        finally:
            _resolving.pop()
    return resolved
