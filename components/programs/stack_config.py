"""Reads this project's stack configuration from the Pulumi runtime, as plain Python values.

`pulumi.Config` can only look keys up one by one; listing them all is what lets a typo'd key be reported
instead of silently ignored.
"""

from __future__ import annotations

from typing import Any

from pulumi.runtime.config import CONFIG, get_config_env

from components.model.config import decode_config_value


def project_config(project: str) -> dict[str, Any]:
    """All `<project>:*` keys without the prefix, structured values decoded from JSON."""
    merged = {**get_config_env(), **CONFIG.get()}
    prefix = f"{project}:"
    return {key[len(prefix) :]: decode_config_value(value) for key, value in merged.items() if key.startswith(prefix)}
