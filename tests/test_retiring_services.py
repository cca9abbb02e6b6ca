"""Retiring a service (issue 15, finding D's missing procedure): a protected prod parent user can be removed in two
`up`s, never by accident.

MinIO's `DeleteUser` deletes every service account of the user (RELEASE.2024-12-18T13-15-44Z cmd/iam-store.go
`IAMStoreSys.DeleteUser`): one service's key of every tenant. The engine refuses to delete a protected resource, and
protection is read from the state, so lifting it and deleting in the same `up` fails. Hence: first
`retiringServices: [<service>]` (the acknowledgement, naming the service) lifts the protection; then the service
leaves the catalog and the stack files, and the plan diff lets the deletion through as a warning.
"""

from __future__ import annotations

import copy

import pytest

from components.model.config import ConfigError, load_settings
from tools.change_risks import assess
from tools.engine import Inventory, run_stack
from tools.engine import project_config_values as stack_config

SERVICE_USERS = "matih:tenancy:ServiceUsers"
PARENT_NAMES = ("trino-parent", "trino-parent-policy", "trino-parent-policy-attachment")


def _problems(retiring: object) -> list[str]:
    config = {**copy.deepcopy(stack_config("prod")), "retiringServices": retiring}
    with pytest.raises(ConfigError) as caught:
        load_settings(config, "prod")
    return caught.value.problems


def test_a_listed_service_is_read():
    config = {**copy.deepcopy(stack_config("prod")), "retiringServices": ["trino"]}
    assert load_settings(config, "prod").retiring_services == ("trino",)
    assert load_settings(stack_config("prod"), "prod").retiring_services == ()


def test_an_unknown_service_is_refused_with_a_did_you_mean():
    (problem,) = _problems(["trinoo"])
    assert problem.startswith('matih-minio:retiringServices[0]: got "trinoo"; must be a service of the catalog')
    assert "(did you mean trino?)" in problem
    assert "drop it from retiringServices" in problem


def test_a_service_listed_twice_is_refused():
    (problem,) = _problems(["trino", "trino"])
    assert problem.startswith('matih-minio:retiringServices[1]: got "trino"; must be unique')


@pytest.mark.parametrize("value", ["trino", [1]])
def test_anything_but_a_list_of_ids_is_refused(value):
    (problem,) = _problems(value)
    assert problem.startswith("matih-minio:retiringServices: got ")
    assert problem.endswith("must be a list of service ids of the catalog")


def test_a_shard_may_not_retire_the_platforms_services():
    with pytest.raises(Exception, match="retiringServices"):
        run_stack("prod-tenants-1", {"retiringServices": ["trino"]})


@pytest.fixture(scope="module")
def retiring_prod() -> Inventory:
    return run_stack("prod", {"retiringServices": ["trino"]})


def test_the_first_up_lifts_protection_of_that_services_parent_only(retiring_prod):
    parents = {r.name: r for r in retiring_prod if r.parent.endswith("::service-users")}
    assert all(not parents[name].options["protect"] for name in PARENT_NAMES)
    others = [r for name, r in parents.items() if name not in PARENT_NAMES and not name.endswith("-parent-secret")]
    assert others and all(r.options["protect"] for r in others)
    (component,) = retiring_prod.of_type(SERVICE_USERS)
    assert component.outputs["retiring"] == ["trino"]


def _without_trino_parent(inventory: Inventory) -> Inventory:
    head = copy.deepcopy(inventory)
    head.resources = [r for r in head.resources if r.name not in PARENT_NAMES]
    return head


def _parent_risks(base: Inventory, head: Inventory) -> list[tuple[str, str]]:
    return sorted((r.severity, r.subject) for r in assess(base, head).risks if r.rule == "parent-user")


def test_the_second_up_may_delete_the_acknowledged_parent_with_a_warning(retiring_prod):
    risks = _parent_risks(retiring_prod, _without_trino_parent(retiring_prod))
    assert risks == [("warning", name) for name in sorted(PARENT_NAMES)]


def test_without_the_acknowledgement_the_deletion_stays_refused(prod_inventory):
    risks = _parent_risks(prod_inventory, _without_trino_parent(prod_inventory))
    assert risks == [("refused", name) for name in sorted(PARENT_NAMES)]


def test_acknowledging_and_deleting_in_one_up_is_refused(prod_inventory, retiring_prod):
    # The base is what is deployed: still protected. The engine would refuse the delete, so the plan diff does.
    risks = _parent_risks(prod_inventory, _without_trino_parent(retiring_prod))
    assert {severity for severity, _ in risks} == {"refused"}


def test_the_acknowledgement_covers_only_the_service_it_names(retiring_prod):
    head = copy.deepcopy(retiring_prod)
    head.resources = [r for r in head.resources if r.name != "spark-parent"]
    assert _parent_risks(retiring_prod, head) == [("refused", "spark-parent")]
