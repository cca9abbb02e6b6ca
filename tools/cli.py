"""How the command-line tools fail: one clean message on stderr and exit status 2, never a traceback.

Every tool (`plan`, `policy_check`, `plan_diff`, `bench`) wraps its `main` in `reports_errors`. The messages are
already written for people: `StackFileError` names the stack file and line (or lists the stacks), and a
`ProgramError` carries the program's own refusal (every config problem at once, each with key, value and what is
allowed, or a provider rule), so printing them is all that is left to do.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Protocol

import pulumi

from tools.engine import ProgramError, StackFileError

USAGE_ERROR = 2  # unusable input (a stack file, a config value, a saved plan): as argparse exits on bad arguments


class Main(Protocol):
    def __call__(self, argv: list[str] | None = None) -> int: ...


def describe(error: Exception) -> str:
    """The message a person needs; for a program failure, which stack (and its file), and the kind of error unless it
    was the program's own deliberate refusal (pulumi.RunError carries a finished message)."""
    if not isinstance(error, ProgramError):
        return str(error)
    cause = error.__cause__
    kind = "" if cause is None or isinstance(cause, pulumi.RunError) else f"{type(cause).__name__}: "
    stack = error.inventory.stack
    return f"stack {stack} (Pulumi.{stack}.yaml): {kind}{error}"


def reports_errors(tool: str, *expected: type[Exception]) -> Callable[[Main], Main]:
    """Decorate a tool's `main`: stack-file and program errors (and the tool's own `expected` input errors) become
    `<tool>: <message>` on stderr and exit status 2."""

    handled: tuple[type[Exception], ...] = (StackFileError, ProgramError, *expected)

    def decorate(main: Main) -> Main:
        @functools.wraps(main)
        def wrapped(argv: list[str] | None = None) -> int:
            try:
                return main(argv)
            except handled as error:
                print(f"{tool}: {describe(error)}", file=sys.stderr)
                return USAGE_ERROR

        return wrapped

    return decorate
