"""Resources on one side only: deletions, retained objects, tenants that move or leave, keys in use, parent users."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components import tokens
from components.catalog import BUCKET_NAMES
from components.model.iam import TenantPlacement
from components.model.naming import identity_resource_names
from tools.risks.model import DATA_STAYS, Record, Risk, Rule, Snapshot, kind_of, tenant_of, urn_type

ISOLATION_MOVE = Rule("isolation-move", "Tenant moved between isolation modes", ("refused",))
PROTECTED_DELETE = Rule("protected-delete", "Protected resources deleted", ("refused",))
KEY_ADDED = Rule("key-added", "Access keys added for an existing tenant", ("notice",))
KEY_IN_USE = Rule("key-in-use", "Access keys deleted while a Secret carries them", ("refused",))
PARENT_USER = Rule("parent-user", "Parent users or their policies deleted or replaced", ("refused", "warning"))
KEY_RETIRED = Rule("key-retired", "Access keys deleted for a remaining tenant", ("warning",))
RETAINED_DELETE = Rule("retained-delete", "Retained resources left behind", ("warning",))


def removed_risks(record: Record, head_tenants: Mapping[str, Any]) -> list[Risk]:
    if record.options.get("protect"):
        return [
            PROTECTED_DELETE.risk(
                "refused",
                record.name,
                "Pulumi refuses to delete a protected resource: `up` stops part-way through the change",
                "unprotect it in a change of its own first (for a tenant: the offboarding procedure), apply that, "
                "then remove it",
            )
        ]
    risks: list[Risk] = []
    if record.options.get("retainOnDelete"):
        risks.append(
            RETAINED_DELETE.risk(
                "warning",
                record.name,
                f"Pulumi forgets this {kind_of(record.type)} and leaves it in place: adding it back must adopt it "
                "(creating it again fails: it already exists)"
                + (
                    # KES refuses an existing key (RELEASE.2024-12-18T13-15-44Z internal/kms/kes.go CreateKey):
                    # every tenant has one, so a prefix tenant coming back needs adopt as much as a bucket tenant.
                    "; every returning tenant, prefix or bucket mode, needs adopt: true (KES answers a second create "
                    "with 409) and kmsKeyVerified: <the key> once `mc admin kms key status --json <alias> "
                    "tenant-<id>` printed it with no encryptionError or decryptionError (a missing key answers too, "
                    "with an encryptionError)"
                    if record.type == tokens.KMS_KEY
                    else ""
                ),
            )
        )
    tenant = tenant_of(record)
    if record.type == tokens.IAM_SERVICE_ACCOUNT and tenant in head_tenants:
        risks.append(
            KEY_RETIRED.risk(
                "warning",
                record.name,
                f"tenant `{tenant}` stays, this key is deleted: consumers still using it lose access",
            )
        )
    return risks


def added_risks(record: Record, base_tenants: Mapping[str, Any]) -> list[Risk]:
    tenant = tenant_of(record)
    if record.type == tokens.IAM_SERVICE_ACCOUNT and tenant in base_tenants:
        return [
            KEY_ADDED.risk(
                "notice",
                record.name,
                f"a new access key for existing tenant `{tenant}`: consumers get it from their Secret when they "
                "next read it (pods read environment at start)",
            )
        ]
    return []


def tenant_locations(snapshot: Snapshot) -> dict[str, dict[str, str]]:
    """Where each tenant's objects live, per catalog bucket: from the Tenant component's `isolation` input, or from
    the `locations` a tenant output had before tenants stopped exporting them."""
    locations: dict[str, dict[str, str]] = {}
    for record in snapshot.resources:
        if record.type == tokens.TENANT and "isolation" in record.inputs:
            where = TenantPlacement(record.name, record.inputs["isolation"] == "bucket")
            locations[record.name] = {bucket: where.s3_url(bucket) for bucket in BUCKET_NAMES}
    for tenant, outputs in (snapshot.outputs.get("tenants") or {}).items():
        if tenant not in locations and isinstance(outputs, Mapping) and outputs.get("locations"):
            locations[tenant] = dict(outputs["locations"])
    return locations


def tenant_risks(base: Snapshot, head: Snapshot) -> list[Risk]:
    risks: list[Risk] = []
    base_tenants, head_tenants = tenant_locations(base), tenant_locations(head)
    for tenant in sorted(base_tenants.keys() & head_tenants.keys()):
        old, new = base_tenants[tenant], head_tenants[tenant]
        moved = [f"`{old[b]}` -> `{new[b]}`" for b in sorted(old.keys() & new.keys()) if old[b] != new[b]]
        if moved:
            risks.append(
                ISOLATION_MOVE.risk(
                    "refused",
                    tenant,
                    f"{', '.join(moved)}: the data does not move; the tenant's services would see empty locations",
                    "remove the tenant in one change (access revoked, data and key kept), `mc mirror --preserve` its "
                    "objects from the old locations into the new ones, then add it back in the new mode adopting "
                    "what exists",
                )
            )
    for tenant in sorted(base_tenants.keys() - head_tenants.keys()):
        locations = ", ".join(f"`{v}`" for v in base_tenants[tenant].values())
        risks.append(
            DATA_STAYS.risk(
                "notice",
                tenant,
                f"tenant removed: its objects stay in {locations or 'its locations'} and its KMS key is kept; "
                "purging them is a separate, deliberate step",
            )
        )
    return risks


def key_in_use_risks(base: Snapshot, head: Snapshot) -> list[Risk]:
    """A key that a base Secret carries (the Secret's data is the key's output, so the Secret depends on it) must
    not be deleted while that Secret stays: the consumers read it, and MinIO's `DeleteServiceAccount` revokes the key
    at once (RELEASE.2024-12-18T13-15-44Z cmd/iam.go `DeleteServiceAccount`). The program has no memory of the last
    `up`, so only a comparison with the base can see a retirement that reaches the generation in use
    (components/model/rotation.py)."""
    head_urns = {r.urn for r in head.resources}
    keys = {r.urn: r for r in base.resources if r.type == tokens.IAM_SERVICE_ACCOUNT}
    risks: list[Risk] = []
    for secret in base.resources:
        if secret.type != tokens.SECRET or secret.urn not in head_urns:
            continue
        for urn in secret.options.get("dependsOn") or ():
            if urn in keys and urn not in head_urns:
                risks.append(
                    KEY_IN_USE.risk(
                        "refused",
                        keys[urn].name,
                        f"Secret `{secret.name}` carries this key now, and every consumer that has not restarted "
                        "since the last `up` holds it: deleting it revokes their access at once",
                        "retire only generations older than the one the Secrets carry: apply the rotation first, let "
                        "the consumers restart on the new Secret, then raise the retirement (retireKeysThrough, "
                        "serviceRetireKeysThrough, accessKeys.retireThrough) in a later change",
                    )
                )
    return risks


PARENT_GRANT_TYPES = (
    tokens.IAM_USER,
    tokens.IAM_POLICY,
    tokens.IAM_USER_POLICY_ATTACHMENT,
)


def parent_user_risks(base: Snapshot, head: Snapshot, replaced: frozenset[str]) -> list[Risk]:
    """A service's parent user, its policy and their attachment hold every tenant's key of that service: MinIO's
    `DeleteUser` deletes all the user's service accounts (RELEASE.2024-12-18T13-15-44Z cmd/iam-store.go
    `IAMStoreSys.DeleteUser`); a replacement is create-before-delete, and since `AddUser` of an existing name
    upserts, the delete that follows removes the user the new resource stands for; without the policy or the
    attachment the parent grants nothing, and a key is its parent's rights narrowed by its own policy."""
    head_urns = {r.urn for r in head.resources}
    retiring = _retiring_parent_resources(base)
    risks: list[Risk] = []
    for record in base.resources:
        if record.type not in PARENT_GRANT_TYPES or urn_type(record.parent) != tokens.SERVICE_USERS:
            continue
        if record.urn not in head_urns:
            what = "deleted"
        elif record.urn in replaced:
            what = "replaced (create, then delete: the delete removes what the create upserted)"
        else:
            continue
        service = retiring.get(record.name)
        if service is not None and what == "deleted" and not record.options.get("protect"):
            # Acknowledged on the base side and already unprotected there: the second step of retiring a service.
            risks.append(
                PARENT_USER.risk(
                    "warning",
                    record.name,
                    f"deleted as retiringServices acknowledged: every tenant's access key of {service} is revoked "
                    "with it, in this stack and in every shard of it",
                )
            )
            continue
        risks.append(
            PARENT_USER.risk(
                "refused",
                record.name,
                f"{what}: every tenant's access key under this parent user is revoked (MinIO deletes a user's "
                "service accounts with it, and a parent without its policy grants none of them anything)",
                "keep parent users, their names and their policy attachments; to change a parent, add a new one "
                "beside it, rotate every tenant's key of that service onto it, retire the old keys, then remove it. "
                "To retire a service: first list it in retiringServices and `up` (that lifts the protection), then "
                "remove it from the catalog and the stack files (README, Retiring a service)",
            )
        )
    return risks


def _retiring_parent_resources(snapshot: Snapshot) -> dict[str, str]:
    """Resource name -> service, for the parent resources of the services the ServiceUsers component lists as
    retiring (components/resources/service_users.py names them <service>-parent[-policy[-attachment]])."""
    found: dict[str, str] = {}
    for record in snapshot.resources:
        if record.type == tokens.SERVICE_USERS:
            for service in record.outputs.get("retiring") or ():
                # The user is the prefix itself (components/resources/service_users.py); the secret is no grant.
                _, policy, attachment = identity_resource_names(f"{service}-parent")
                for name in (f"{service}-parent", policy, attachment):
                    found[name] = service
    return found
