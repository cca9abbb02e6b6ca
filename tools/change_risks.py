"""Every risk of a change of the desired state, refused changes first: the rules of tools/risks/ in their order.

Pure: two snapshots in (anything with `resources` and `outputs`, such as `tools.engine.Inventory`), an `Assessment`
out. The plan diff renders it and exits non-zero when a risk is `refused`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tools.risks.layout import DRIVE_SIZE, POOL_LAYOUT, SERVER_UPGRADE
from tools.risks.model import DATA_STAYS, SEVERITIES, Risk, Rule, Snapshot
from tools.risks.replacements import (
    BUCKET_RENAME,
    IMMUTABLE_FIELD,
    KEY_REPLACED,
    NAMESPACE_REPLACED,
    OBJECT_LOCKING,
    PROTECTED_REPLACE,
    QUOTA_REMOVED,
    RELEASE_REPLACED,
    REPLACEMENT,
    SECRET_REPLACED,
    changed_risks,
    secret_mutable_providers,
)
from tools.risks.settings import (
    FORCE_DESTROY,
    ILM_UPDATE,
    KMS_CHANGED,
    NAMESPACE_DELETED,
    PROTECTION_LIFTED,
    QUOTA_LOWERED,
    RETENTION_SHORTENED,
    ROOT_ROTATION,
    SETTING_RULES,
    VERSIONING_SUSPENDED,
    ilm_update_risks,
)
from tools.risks.tenants import (
    ISOLATION_MOVE,
    KEY_ADDED,
    KEY_IN_USE,
    KEY_RETIRED,
    PARENT_USER,
    PROTECTED_DELETE,
    RETAINED_DELETE,
    added_risks,
    key_in_use_risks,
    parent_user_risks,
    removed_risks,
    tenant_risks,
)

# Every rule, in the order the Risks section lists them.
RULES: tuple[Rule, ...] = (
    POOL_LAYOUT,
    DRIVE_SIZE,
    OBJECT_LOCKING,
    ISOLATION_MOVE,
    BUCKET_RENAME,
    IMMUTABLE_FIELD,
    RELEASE_REPLACED,
    NAMESPACE_REPLACED,
    PROTECTED_DELETE,
    PROTECTED_REPLACE,
    REPLACEMENT,
    SECRET_REPLACED,
    KEY_REPLACED,
    KEY_ADDED,
    KEY_IN_USE,
    PARENT_USER,
    KEY_RETIRED,
    RETAINED_DELETE,
    QUOTA_REMOVED,
    ILM_UPDATE,
    DATA_STAYS,
    SERVER_UPGRADE,
    ROOT_ROTATION,
    RETENTION_SHORTENED,
    VERSIONING_SUSPENDED,
    FORCE_DESTROY,
    PROTECTION_LIFTED,
    NAMESPACE_DELETED,
    KMS_CHANGED,
    QUOTA_LOWERED,
)
RULE_TITLES: Mapping[str, str] = {rule.id: rule.title for rule in RULES}


@dataclass(frozen=True)
class Assessment:
    risks: tuple[Risk, ...]
    replaced: frozenset[str]  # URNs of resources present on both sides that the providers replace

    @property
    def refused(self) -> tuple[Risk, ...]:
        return tuple(r for r in self.risks if r.refused)


def assess(base: Snapshot, head: Snapshot) -> Assessment:
    """Every risk of going from `base` to `head`, refused changes first."""
    old = {r.urn: r for r in base.resources}
    new = {r.urn: r for r in head.resources}
    base_tenants: Mapping[str, Any] = base.outputs.get("tenants") or {}
    head_tenants: Mapping[str, Any] = head.outputs.get("tenants") or {}
    secret_mutable = secret_mutable_providers(head)
    risks: list[Risk] = []
    replaced = set()
    for urn in sorted(old.keys() & new.keys()):
        found, replaces = changed_risks(old[urn], new[urn], base, head, secret_mutable)
        risks += found
        if replaces:
            replaced.add(urn)
    for urn in sorted(old.keys() - new.keys()):
        risks += removed_risks(old[urn], head_tenants)
    for urn in sorted(new.keys() - old.keys()):
        risks += added_risks(new[urn], base_tenants)
    risks += tenant_risks(base, head)
    risks += key_in_use_risks(base, head)
    risks += parent_user_risks(base, head, frozenset(replaced))
    risks += ilm_update_risks(base, head, frozenset(replaced))
    for rule in SETTING_RULES:
        risks += rule(base, head)
    order = list(RULE_TITLES)
    risks.sort(key=lambda r: (SEVERITIES.index(r.severity), order.index(r.rule), r.subject))
    return Assessment(tuple(risks), frozenset(replaced))
