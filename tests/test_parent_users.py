"""Parent users and their policies (issue 15, finding D).

MinIO's `DeleteUser` deletes every service account whose parent is that user (RELEASE.2024-12-18T13-15-44Z
cmd/iam-store.go `IAMStoreSys.DeleteUser`), i.e. one service's access key of every tenant; and a replacement of a
same-name user is create-before-delete, so the create upserts (`AddUser`) and the delete that follows removes the
user the new resource stands for. Deleting the policy or its attachment leaves the parent without grants, so every
key under it (parent AND embedded policy) loses access.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from tools.change_risks import assess
from tools.engine import Inventory, ResourceRecord

SERVICE_USERS = "matih:tenancy:ServiceUsers"
USER = "minio:index/iamUser:IamUser"
POLICY = "minio:index/iamPolicy:IamPolicy"
ATTACHMENT = "minio:index/iamUserPolicyAttachment:IamUserPolicyAttachment"


def parents(inventory: Inventory) -> list[ResourceRecord]:
    by_urn = inventory.by_urn()
    return [
        r
        for r in inventory
        if r.type in (USER, POLICY, ATTACHMENT) and by_urn.get(r.parent) and by_urn[r.parent].type == SERVICE_USERS
    ]


def test_prod_protects_its_parent_users_their_policies_and_attachments(prod_inventory):
    found = parents(prod_inventory)
    assert {r.type for r in found} == {USER, POLICY, ATTACHMENT}
    assert all(r.options["protect"] for r in found), [r.name for r in found if not r.options["protect"]]


def test_dev_follows_its_protect_setting(dev_inventory):
    assert parents(dev_inventory) and not any(r.options["protect"] for r in parents(dev_inventory))


def _without(inventory: Inventory, name: str) -> Inventory:
    head = copy.deepcopy(inventory)
    head.resources = [r for r in head.resources if r.name != name]
    return head


def _changed(inventory: Inventory, resource: str, **inputs: object) -> Inventory:
    head = copy.deepcopy(inventory)
    head.resources = [replace(r, inputs={**r.inputs, **inputs}) if r.name == resource else r for r in head.resources]
    return head


def _parent_risks(base: Inventory, head: Inventory) -> list[tuple[str, str]]:
    return sorted((r.severity, r.subject) for r in assess(base, head).risks if r.rule == "parent-user")


@pytest.mark.parametrize("stack_fixture", ["dev_inventory", "prod_inventory"])
@pytest.mark.parametrize("name", ["spark-parent", "spark-parent-policy", "spark-parent-policy-attachment"])
def test_the_plan_diff_refuses_deleting_a_parent_user_or_its_grants(request, stack_fixture, name):
    base = request.getfixturevalue(stack_fixture)
    assert _parent_risks(base, _without(base, name)) == [("refused", name)]


def test_the_plan_diff_refuses_replacing_a_parent_user(prod_inventory):
    head = _changed(prod_inventory, "spark-parent", name="matih-spark-2")  # `name` is ForceNew
    assert _parent_risks(prod_inventory, head) == [("refused", "spark-parent")]


def test_a_parent_policy_updated_in_place_is_not_refused(prod_inventory):
    head = _changed(prod_inventory, "spark-parent-policy", policy='{"Version": "2012-10-17", "Statement": []}')
    assert _parent_risks(prod_inventory, head) == []
