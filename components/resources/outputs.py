"""Small typed helpers around pulumi.Output."""

from __future__ import annotations

from typing import TypeVar, cast

import pulumi

T = TypeVar("T")


def secret(value: pulumi.Output[T]) -> pulumi.Output[T]:
    """`pulumi.Output.secret` with the type mypy cannot infer through the SDK's overloads."""
    return cast("pulumi.Output[T]", pulumi.Output.secret(value))
