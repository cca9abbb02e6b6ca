"""Running Prometheus' own rule engine (`promtool`, Debian package `prometheus`) from the tests.

Locally a missing promtool skips these tests; under CI (CI=true, where `.ci/run` installs the package) it fails them,
so the rule tests can never pass by not running.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        message = "promtool not found: apt-get install -y --no-install-recommends prometheus (see README, Monitoring)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + "; CI must run the real rule engine")
        pytest.skip(message)
    return path


def run_promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def write_yaml(path: Path, document: Any) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False, width=200))
    return path
