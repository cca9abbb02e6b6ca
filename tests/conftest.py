"""Shared fixtures: the real program run once per stack under the mock engine."""

from __future__ import annotations

import pytest

from tools.engine import Inventory, run_stack


@pytest.fixture(scope="session")
def dev_inventory() -> Inventory:
    return run_stack("dev")


@pytest.fixture(scope="session")
def prod_inventory() -> Inventory:
    return run_stack("prod")
