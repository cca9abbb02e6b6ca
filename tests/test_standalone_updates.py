"""dev's standalone server is replaced, never surged (issue 15, finding H).

Chart 5.4.0 renders the standalone Deployment's strategy from `deploymentUpdate` (templates/deployment.yaml:
`strategy.type: {{ .Values.deploymentUpdate.type }}`, a `rollingUpdate` block only when the type is RollingUpdate)
and defaults it to RollingUpdate with maxSurge 100% and maxUnavailable 0 (values.yaml): during any release change
a second MinIO server starts on the same single claim while the first still runs. Recreate stops the old pod first.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tools.engine import Inventory
from tools.fidelity.chart import unknown_chart_values
from tools.fidelity.registration import check_registration

RELEASE = "kubernetes:helm.sh/v3:Release"
# Chart 5.4.0 values.yaml `deploymentUpdate` defaults, which Helm merges under the release's values.
CHART_DEFAULT = {"type": "RollingUpdate", "maxUnavailable": 0, "maxSurge": "100%"}


def rendered_strategy(values: dict[str, Any]) -> dict[str, Any]:
    """What templates/deployment.yaml renders as the Deployment's `spec.strategy`."""
    update = {**CHART_DEFAULT, **(values.get("deploymentUpdate") or {})}
    strategy: dict[str, Any] = {"type": update["type"]}
    if update["type"] == "RollingUpdate":
        strategy["rollingUpdate"] = {"maxSurge": update["maxSurge"], "maxUnavailable": update["maxUnavailable"]}
    return strategy


def release_values(inventory: Inventory) -> dict[str, Any]:
    [release] = inventory.of_type(RELEASE)
    return dict(release.inputs["values"])


def test_the_standalone_server_is_recreated_so_no_second_server_shares_its_claim(dev_inventory):
    values = release_values(dev_inventory)
    assert values["mode"] == "standalone"
    assert rendered_strategy(values) == {"type": "Recreate"}


def test_the_chart_default_would_surge_a_second_server():
    # The outage this avoids: with nothing set, the chart surges one more pod while the old one runs.
    assert rendered_strategy({})["rollingUpdate"] == {"maxSurge": "100%", "maxUnavailable": 0}


def test_a_distributed_release_leaves_the_deployment_strategy_alone(prod_inventory):
    # The StatefulSet (statefulSetUpdate) replaces pods one by one; deploymentUpdate renders nothing there.
    assert "deploymentUpdate" not in release_values(prod_inventory)


def test_the_chart_value_checks_accept_the_strategy_and_refuse_a_typo():
    assert unknown_chart_values({"deploymentUpdate": {"type": "Recreate"}}) == []
    assert unknown_chart_values({"deploymentUpdate": {"strategy": "Recreate"}}) == ["deploymentUpdate.strategy"]


@pytest.mark.parametrize(("kind", "refused"), [("Recreate", False), ("RollingUpdate", False), ("Replace", True)])
def test_a_strategy_type_the_api_server_refuses_is_refused(dev_inventory, kind, refused):
    [release] = dev_inventory.of_type(RELEASE)
    inputs = copy.deepcopy(release.inputs)
    inputs["values"]["deploymentUpdate"] = {"type": kind}
    violations = [v for v in check_registration(RELEASE, release.name, inputs) if "deploymentUpdate" in v.path]
    assert bool(violations) is refused, violations
