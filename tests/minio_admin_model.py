"""MinIO's authorisation of an access key's own-account admin requests, modelled for the isolation tests.

moto has no MinIO admin API (and its IAM validator refuses a statement without Resource, which is how MinIO wants
admin statements), so it cannot judge whether a tenant's key may create an access key. This model can: it is a
transcription of the evaluation path, not of our policies, and it is read from the sources at both releases:

- minio/pkg `policy/policy.go` `Policy.IsAllowed` (v3.0.23 and v3.1.3): every Deny statement first, a match is a
  refusal; then `DenyOnly` answers "allowed"; then `IsOwner`; then any matching Allow.
- minio/pkg `policy/statement.go` `Statement.IsAllowed`: an admin statement ignores Resource; its Action matches
  by wildcard (`policy/action-set.go` `ActionSet.Match`). Conditions are not modelled: the model refuses a
  policy whose admin statement has one, so it never guesses.
- minio/minio `cmd/admin-handlers-users.go` `commonAddServiceAccount`: creating a key for oneself (target user is
  the caller or its parent) asks `IsAllowed` with `DenyOnly` for admin:CreateServiceAccount.
- minio/minio `cmd/iam.go` `IsAllowedServiceAccount`: a key with an embedded policy is allowed when the embedded
  policy AND the parent's policies allow. `isAllowedBySessionPolicyForServiceAccount` kept the caller's
  `DenyOnly` up to RELEASE.2024-12-18T13-15-44Z (and every release before RELEASE.2025-10-15T17-29-55Z), and forces
  it to false from commit c1a49490 (#21642), the fix of CVE-2025-62506; the parent's policies keep `DenyOnly`.
"""

from __future__ import annotations

import fnmatch
import json
from enum import Enum
from typing import Any

CREATE_SERVICE_ACCOUNT = "admin:CreateServiceAccount"


class Server(Enum):
    VULNERABLE = "RELEASE.2024-12-18T13-15-44Z"  # embedded policy judged with the caller's DenyOnly
    FIXED = "RELEASE.2025-10-15T17-29-55Z"  # embedded policy judged with DenyOnly = false


def _actions(statement: dict[str, Any]) -> list[str]:
    value = statement.get("Action", [])
    return [value] if isinstance(value, str) else list(value)


def _matches(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        raise AssertionError(f"the model does not judge NotAction: {statement}")
    matched = any(fnmatch.fnmatchcase(action, pattern) for pattern in _actions(statement))
    if matched and "Condition" in statement:
        raise AssertionError(f"the model does not judge conditions on admin statements: {statement}")
    return matched


def policy_allows(policy: str, action: str, *, deny_only: bool, is_owner: bool = False) -> bool:
    """minio/pkg `Policy.IsAllowed` for an admin action (no bucket, no object, no condition values)."""
    statements = json.loads(policy)["Statement"]
    if any(s["Effect"] == "Deny" and _matches(s, action) for s in statements):
        return False
    if deny_only or is_owner:
        return True
    return any(s["Effect"] == "Allow" and _matches(s, action) for s in statements)


def key_may_create_own_access_key(embedded: str, parent: str, server: Server) -> bool:
    """Whether an access key with embedded policy `embedded`, under a parent holding `parent`, may create another
    access key for its own parent user (`commonAddServiceAccount` with DenyOnly, via `IsAllowedServiceAccount`)."""
    deny_only = True  # the target user is the caller's parent: an own-account request
    session_deny_only = deny_only if server is Server.VULNERABLE else False
    embedded_allows = policy_allows(embedded, CREATE_SERVICE_ACCOUNT, deny_only=session_deny_only)
    return embedded_allows and policy_allows(parent, CREATE_SERVICE_ACCOUNT, deny_only=deny_only)


def parent_may_create_own_access_key(parent: str) -> bool:
    """A parent user's own request (`IsAllowed` -> `IsAllowedPolicy` with the caller's DenyOnly) on any release."""
    return policy_allows(parent, CREATE_SERVICE_ACCOUNT, deny_only=True)
