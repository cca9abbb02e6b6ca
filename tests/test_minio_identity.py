"""One helper declares every MinIO user that holds a policy (components/resources/minio_identity.py).

The service parent users and the metrics identity are the same four resources (password, user, policy, attachment);
declared in one place, a secrecy or ownership option cannot be set on one kind and forgotten on the other.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tools.engine import Inventory

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = sorted((ROOT / "components" / "resources").glob("*.py"))
DECLARED_BY_THE_HELPER = {"IamUser", "IamPolicy", "IamUserPolicyAttachment"}

USER = "minio:index/iamUser:IamUser"
POLICY = "minio:index/iamPolicy:IamPolicy"
ATTACHMENT = "minio:index/iamUserPolicyAttachment:IamUserPolicyAttachment"
PASSWORD = "random:index/randomPassword:RandomPassword"


def minio_iam_calls(path: Path) -> set[str]:
    calls = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        func = node.func if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "minio":
            calls |= {func.attr} & DECLARED_BY_THE_HELPER
    return calls


def test_only_the_helper_declares_users_policies_and_attachments() -> None:
    declaring = {p.name: minio_iam_calls(p) for p in RESOURCES}
    assert declaring["minio_identity.py"] == DECLARED_BY_THE_HELPER  # guards the walk: it finds the helper's calls
    others = {name: calls for name, calls in declaring.items() if calls and name != "minio_identity.py"}
    assert not others, others


def test_every_policy_user_keeps_its_password_secret_and_its_grants_beside_it(prod_inventory: Inventory) -> None:
    users = [r for r in prod_inventory if r.type == USER]
    # Every consuming service's parent and the metrics identity (prod scrapes): both callers are covered.
    assert {r.inputs["name"] for r in users} >= {"matih-metrics"} and len(users) >= 2, [r.name for r in users]
    for user in users:
        siblings = [r for r in prod_inventory if r.parent == user.parent]
        password = [r for r in siblings if r.type == PASSWORD and r.name == user.name.removesuffix("-user") + "-secret"]
        policies = [r for r in siblings if r.type == POLICY and r.name == user.name.removesuffix("-user") + "-policy"]
        attachments = [r for r in siblings if r.type == ATTACHMENT and r.inputs.get("userName") == user.inputs["name"]]
        assert len(password) == 1 and "result" in password[0].options["additionalSecretOutputs"], user.name
        assert "secret" in user.options["additionalSecretOutputs"], user.name
        assert user.inputs["forceDestroy"] is False, user.name
        assert len(policies) == 1 and len(attachments) == 1, user.name
        assert attachments[0].inputs["policyName"] == policies[0].inputs["name"], user.name
        for grant in (policies[0], attachments[0]):
            assert grant.options["provider"] == user.options["provider"], (user.name, grant.name)
            assert grant.options["protect"] == user.options["protect"], (user.name, grant.name)
