"""Day-2 operations: offboarding, purge, re-onboarding (adopt) and rotation, as pure decisions and as plans."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.catalog import BUCKET_NAMES
from components.model import offboarding, rotation
from components.model.config import ConfigError, Settings, load_settings
from policies.matih_policies import POLICIES
from tools.engine import Inventory, ProgramError, ResourceRecord, run_stack
from tools.engine import project_config_values as stack_config
from tools.policy_check import check_inventory, load_pack_config, parse_pack_config

SERVICE_ACCOUNT = "minio:index/iamServiceAccount:IamServiceAccount"
K8S_SECRET = "kubernetes:core/v1:Secret"
BUCKET = "minio:index/s3Bucket:S3Bucket"
KMS_KEY = "minio:index/kmsKey:KmsKey"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
BUCKET_CHILDREN = {
    "minio:index/s3BucketServerSideEncryption:S3BucketServerSideEncryption",
    "minio:index/s3BucketVersioning:S3BucketVersioning",
    "minio:index/ilmPolicy:IlmPolicy",
}
PROD_TENANTS = ["acme-corp", "globex", {"id": "initech", "isolation": "bucket", "quota": "2Ti"}]


def initech(**fields: Any) -> list[Any]:
    """prod's tenants with initech (the bucket-mode tenant) changed."""
    return [*PROD_TENANTS[:2], {**PROD_TENANTS[2], **fields}]


def settings_with(stack: str = "prod", **changes: Any) -> Settings:
    config = copy.deepcopy(stack_config(stack))
    config.update(changes)
    return load_settings(config, stack)


def problems_with(**changes: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        settings_with(**changes)
    return caught.value.problems


def under(inventory: Inventory, tenant: str) -> list[ResourceRecord]:
    """Every custom resource whose parent chain reaches the Tenant component `tenant`."""
    by_urn = inventory.by_urn()
    found = []
    for record in inventory:
        parent = by_urn.get(record.parent)
        while parent is not None and parent.type != "matih:tenancy:Tenant":
            parent = by_urn.get(parent.parent)
        if record.custom and parent is not None and parent.name == tenant:
            found.append(record)
    return found


# --- Settings -------------------------------------------------------------------------------------------------------


def test_tenant_entries_default_to_active_with_no_rotation():
    tenant = settings_with().tenants[2]
    assert (tenant.state, tenant.adopt, tenant.key_rotation, tenant.retire_keys_through) == (
        "active",
        False,
        0,
        0,
    )
    assert dict(tenant.service_key_rotation) == {}


@pytest.mark.parametrize(
    ("fields", "key", "fragment"),
    [
        ({"state": "gone"}, "tenants[2].state", "one of active, offboarding, purge"),
        ({"state": "purge"}, "tenants[2].purgeAcknowledged", 'the tenant\'s own id "initech"'),
        ({"state": "purge", "purgeAcknowledged": "globex"}, "tenants[2].purgeAcknowledged", '"initech"'),
        ({"purgeAcknowledged": "initech"}, "tenants[2].purgeAcknowledged", "absent unless state is purge"),
        ({"adopt": "yes"}, "tenants[2].adopt", "true or false"),
        ({"keyRotation": -1}, "tenants[2].keyRotation", "an integer from 0"),
        ({"keyRotation": True}, "tenants[2].keyRotation", "an integer from 0"),
        ({"serviceKeyRotation": {"web": 1}}, "tenants[2].serviceKeyRotation.web", "allowed: backup-jobs"),
        # A quoted integer is an integer, as the CLI reads it (components/model/config.py _integer_value); "1.0" is not.
        ({"serviceKeyRotation": {"trino": "1.0"}}, "tenants[2].serviceKeyRotation.trino", "an integer"),
        ({"retireKeysThrough": True}, "tenants[2].retireKeysThrough", "an integer from 0"),
        ({"sate": "offboarding"}, "tenants[2].sate", "unknown keys are usually typos"),
    ],
)
def test_bad_tenant_lifecycle_fields_are_refused(fields, key, fragment):
    (problem,) = problems_with(tenants=initech(**fields))
    assert problem.startswith(f"matih-minio:{key}: "), problem
    assert fragment in problem, problem


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"accessKeys": {"rotation": -1}}, "accessKeys.rotation"),
        ({"accessKeys": {"rotate": 1}}, "accessKeys.rotate"),
        # A quoted integer is an integer, as the CLI reads it (components/model/config.py _integer_value); "1.0" is not.
        ({"accessKeys": {"retireThrough": "1.0"}}, "accessKeys.retireThrough"),
        ({"rootCredentialsRotation": "one"}, "rootCredentialsRotation"),
    ],
)
def test_bad_platform_rotation_settings_are_refused(changes, key):
    (problem,) = problems_with(**changes)
    assert problem.startswith(f"matih-minio:{key}: "), problem


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_platform_key_can_never_be_a_tenant_key(stack):
    config = copy.deepcopy(stack_config(stack))
    config["kms"] = {**config["kms"], "keyName": "tenant-globex"}
    with pytest.raises(ConfigError) as caught:
        load_settings(config, stack)
    (problem,) = caught.value.problems
    assert problem.startswith('matih-minio:kms.keyName: got "tenant-globex"'), problem
    assert "not starting with 'tenant-'" in problem


def test_platform_key_names_merely_containing_tenant_pass():
    assert settings_with(kms={**stack_config("prod")["kms"], "keyName": "platform-tenant-keys"}).kms.key_name


# --- Pure decisions -------------------------------------------------------------------------------------------------


def generations(settings: Settings, service: str = "trino", tenant: int = 2) -> list[tuple[int, bool, str]]:
    return [
        (g.generation, g.current, g.resource_name)
        for g in rotation.access_key_generations(settings, settings.tenants[tenant], service)
    ]


def test_first_generation_keeps_the_name_keys_had_before_rotation():
    assert generations(settings_with()) == [(1, True, "initech-trino-access-key")]


def test_a_tenant_rotation_adds_a_current_key_and_keeps_the_previous():
    settings = settings_with(tenants=initech(keyRotation=1))
    assert generations(settings) == [(1, False, "initech-trino-access-key"), (2, True, "initech-trino-access-key-g2")]
    assert generations(settings, service="spark") == [
        (1, False, "initech-spark-access-key"),
        (2, True, "initech-spark-access-key-g2"),
    ]
    assert generations(settings, tenant=0) == [(1, True, "acme-corp-trino-access-key")]


def test_the_next_rotation_keeps_every_unretired_generation():
    # Nothing is retired implicitly: a pod that has not restarted since the first rotation still holds generation 1.
    assert [g for g, _, _ in generations(settings_with(tenants=initech(keyRotation=2)))] == [1, 2, 3]


def test_a_service_rotation_rotates_that_service_only():
    settings = settings_with(tenants=initech(serviceKeyRotation={"trino": 1}))
    assert [g for g, _, _ in generations(settings)] == [1, 2]
    assert [g for g, _, _ in generations(settings, service="spark")] == [1]


def test_rotation_counters_add_up():
    settings = settings_with(
        accessKeys={"rotation": 1},
        tenants=initech(keyRotation=1, serviceKeyRotation={"trino": 1}, retireKeysThrough=1),
    )
    assert [g for g, _, _ in generations(settings)] == [2, 3, 4]  # retireKeysThrough: 1
    assert [g for g, _, _ in generations(settings, service="spark")] == [2, 3]
    assert [g for g, _, _ in generations(settings, tenant=0)] == [1, 2]


@pytest.mark.parametrize(
    "changes",
    [
        {"tenants": initech(keyRotation=1, retireKeysThrough=1)},
        {"tenants": initech(serviceKeyRotation={"trino": 1}, serviceRetireKeysThrough={"trino": 1})},
        {"tenants": initech(), "accessKeys": {"rotation": 1, "retireThrough": 1}},
    ],
)
def test_retiring_through_the_previous_generation_keeps_only_the_current_key(changes):
    assert generations(settings_with(**changes)) == [(2, True, "initech-trino-access-key-g2")]


def lifecycle_of(**fields: Any) -> offboarding.TenantLifecycle:
    settings = settings_with(tenants=initech(**fields))
    return offboarding.tenant_lifecycle(settings, settings.tenants[2], BUCKET_NAMES)


def test_an_active_tenant_keeps_protected_retained_buckets_and_a_retained_key():
    plan = lifecycle_of()
    assert plan.grants_access
    assert sorted(plan.buckets) == sorted(f"{name}-initech" for name in BUCKET_NAMES)
    assert {(r.protect, r.retain_on_delete, r.force_destroy, r.import_id) for r in plan.buckets.values()} == {
        (True, True, False, None)
    }
    assert (plan.key.protect, plan.key.retain_on_delete, plan.key.import_id) == (False, True, None)


def test_offboarding_revokes_access_and_lifts_protection_but_keeps_everything():
    plan = lifecycle_of(state="offboarding")
    assert not plan.grants_access
    assert {(r.protect, r.retain_on_delete, r.force_destroy) for r in plan.buckets.values()} == {(False, True, False)}
    assert all(r.children_retain_on_delete for r in plan.buckets.values())
    assert plan.key.retain_on_delete


def test_a_purge_deletes_the_dedicated_buckets_and_still_retains_their_configuration_and_the_key():
    plan = lifecycle_of(state="purge", purgeAcknowledged="initech")
    assert not plan.grants_access
    assert {(r.protect, r.retain_on_delete, r.force_destroy) for r in plan.buckets.values()} == {(False, False, True)}
    assert all(r.children_retain_on_delete for r in plan.buckets.values())
    assert plan.key.retain_on_delete  # MinIO RELEASE.2024-12-18 cannot delete a KES key: a manual last step


def test_adopting_imports_the_key_and_each_bucket_by_the_providers_id():
    plan = lifecycle_of(adopt=True, kmsKeyVerified="tenant-initech")
    assert plan.key.import_id == "tenant-initech"
    assert {name: r.import_id for name, r in plan.buckets.items()} == {name: name for name in plan.buckets}


def test_platform_buckets_are_not_retained():
    retention = offboarding.platform_bucket_retention(settings_with())
    assert (retention.protect, retention.retain_on_delete, retention.children_retain_on_delete) == (True, False, False)


def test_purge_steps_of_a_prefix_tenant_remove_its_prefixes_and_delete_the_key_last():
    settings = settings_with(tenants=["acme-corp", {"id": "globex", "state": "purge", "purgeAcknowledged": "globex"}])
    steps = offboarding.purge_steps(settings, settings.tenants[1], BUCKET_NAMES)
    assert steps[0].startswith("remove tenant 'globex'")
    assert [s for s in steps if s.startswith("mc rm")] == [
        f"mc rm --recursive --force --versions <alias>/{name}/globex/" for name in BUCKET_NAMES
    ]
    assert steps[-1].startswith("kes key rm tenant-globex")


def test_purge_steps_of_a_bucket_tenant_need_no_prefix_removal_and_static_kms_has_no_key_to_delete():
    prod = settings_with(tenants=initech(state="purge", purgeAcknowledged="initech"))
    steps = offboarding.purge_steps(prod, prod.tenants[2], BUCKET_NAMES)
    assert not any(s.startswith("mc rm") and s.split()[-1].endswith("/initech/") for s in steps)
    [removal] = [s for s in steps if s.startswith("remove tenant 'initech'")]
    assert "dedicated buckets" in removal and steps[-1].startswith("kes key rm tenant-initech")
    dev = settings_with("dev", tenants=[{"id": "globex", "state": "purge", "purgeAcknowledged": "globex"}])
    assert not any("kes" in step for step in offboarding.purge_steps(dev, dev.tenants[0], BUCKET_NAMES))


# --- Plans: retention of descendants ----------------------------------------------------------------------------------


def retained_ancestor(inventory: Inventory, record: ResourceRecord) -> ResourceRecord | None:
    by_urn = inventory.by_urn()
    parent = by_urn.get(record.parent)
    while parent is not None:
        if parent.options.get("retainOnDelete"):
            return parent
        parent = by_urn.get(parent.parent)
    return None


def test_every_descendant_of_a_retained_resource_is_retained(prod_inventory):
    descendants = [r for r in prod_inventory if retained_ancestor(prod_inventory, r) is not None]
    # initech's 6 buckets carry 6 encryption, 3 versioning and 5 lifecycle resources.
    assert len(descendants) == 14
    assert {r.type for r in descendants} == BUCKET_CHILDREN
    assert [r.name for r in descendants if not r.options["retainOnDelete"]] == []


def test_platform_bucket_children_are_not_retained(prod_inventory):
    by_urn = prod_inventory.by_urn()
    platform = [
        r
        for r in prod_inventory
        if r.type in BUCKET_CHILDREN and by_urn[by_urn[r.parent].parent].type == "matih:storage:PlatformBuckets"
    ]
    assert platform and not any(r.options["retainOnDelete"] for r in platform)


# --- Plans: offboarding, purge and the policy pack ----------------------------------------------------------------


@pytest.fixture(scope="module")
def offboarded() -> Inventory:
    return run_stack("prod", {"tenants": initech(state="offboarding")})


def test_offboarding_revokes_access_in_one_up(prod_inventory, offboarded):
    kept = under(offboarded, "initech")
    assert not [r.name for r in kept if r.type in (SERVICE_ACCOUNT, K8S_SECRET)]
    before = {r.urn for r in under(prod_inventory, "initech")}
    revoked = before - {r.urn for r in kept}
    assert len(revoked) == 11 + 11  # the access keys and their Secrets (which carry the Trino and MLflow settings)
    assert offboarded.outputs["tenants"]["initech"]["secrets"] == {}


def test_offboarding_leaves_nothing_protected_and_everything_retained(offboarded):
    kept = under(offboarded, "initech")
    assert {r.type for r in kept} == {BUCKET, KMS_KEY, *BUCKET_CHILDREN}
    assert len(kept) == 1 + 6 + 14
    # So removing the line next only makes Pulumi forget: nothing trips on protection, nothing is deleted.
    assert [r.name for r in kept if r.options["protect"]] == []
    assert [r.name for r in kept if not r.options["retainOnDelete"]] == []


def test_offboarding_touches_no_other_tenant(prod_inventory, offboarded):
    others = {r.urn: r.options for r in prod_inventory if "initech" not in r.urn}
    assert {r.urn: r.options for r in offboarded if "initech" not in r.urn} == others


def mandatory_violations(inventory: Inventory, config: dict[str, Any] | None = None) -> list[str]:
    pack_config = load_pack_config(inventory.stack) if config is None else parse_pack_config(config, POLICIES)
    return [f"{v.policy}: {v.message}" for v in check_inventory(inventory, pack_config) if v.mandatory]


def test_offboarding_passes_the_production_policy_pack(offboarded):
    assert mandatory_violations(offboarded) == []


def test_purge_without_acknowledgement_declares_nothing():
    with pytest.raises(ProgramError) as caught:
        run_stack("prod", {"tenants": initech(state="purge")})
    assert 'matih-minio:tenants[2].purgeAcknowledged: got null; must be the tenant\'s own id "initech"' in str(
        caught.value
    )
    assert caught.value.inventory.resources == []


@pytest.fixture(scope="module")
def purged() -> Inventory:
    return run_stack("prod", {"tenants": initech(state="purge", purgeAcknowledged="initech")})


def test_a_purge_force_destroys_unretained_buckets_and_keeps_their_configuration_and_key(purged):
    kept = under(purged, "initech")
    buckets = [r for r in kept if r.type == BUCKET]
    assert len(buckets) == 6
    assert all(r.inputs["forceDestroy"] and not r.options["retainOnDelete"] for r in buckets)
    assert not any(r.options["protect"] for r in kept)
    children = [r for r in kept if r.type in BUCKET_CHILDREN]
    assert len(children) == 14 and all(r.options["retainOnDelete"] for r in children)
    (key,) = [r for r in kept if r.type == KMS_KEY]
    assert key.options["retainOnDelete"]
    # Pulumi deletes dependants first: every bucket goes before the key it depends on.
    assert all(key.urn in r.options["dependsOn"] for r in buckets)


def test_a_purge_tells_the_operator_what_is_left_with_the_key_last(purged):
    (warning,) = [d["message"] for d in purged.diagnostics if "purged" in d["message"]]
    assert warning.startswith("tenant initech is being purged; then: 1. mc rm --recursive --force --versions")
    assert f"{2 * len(BUCKET_NAMES) + 1}. remove tenant 'initech'" in warning
    assert warning.endswith(
        f"{2 * len(BUCKET_NAMES) + 2}. kes key rm tenant-initech (last: crypto-shreds every object still encrypted "
        "with it; objects a client wrote without naming the tenant key are under the platform key and stay readable)"
    )


def test_the_production_policy_pack_refuses_a_purge_it_has_not_acknowledged(purged):
    assert mandatory_violations(purged) == [
        "tenant-offboarding-and-purge: tenant 'initech' is purged in production, but the policy config's "
        "acknowledgedPurges does not list it: a purge deletes its dedicated buckets with every object"
    ]
    config = {
        "production-durability": {"production": True},
        "kms-configured": {"production": True},
        "tenant-offboarding-and-purge": {"production": True, "acknowledgedPurges": ["initech"]},
    }
    assert mandatory_violations(purged, config) == []


def test_a_dev_purge_needs_only_the_stack_acknowledgement():
    dev = run_stack(
        "dev", {"tenants": ["acme-corp", {"id": "globex", "state": "purge", "purgeAcknowledged": "globex"}]}
    )
    assert mandatory_violations(dev) == []
    assert not [r for r in under(dev, "globex") if r.type in (SERVICE_ACCOUNT, K8S_SECRET)]


def with_input(inventory: Inventory, name: str, **changes: Any) -> Inventory:
    copied = copy.deepcopy(inventory)
    # Declared by the program, so seen by resource policies (inputs) and, as the provider keeps it, by stack ones.
    copied.named(name).inputs.update(changes)
    copied.named(name).outputs.update(changes)
    return copied


def with_option(inventory: Inventory, name: str, **changes: Any) -> Inventory:
    copied = copy.deepcopy(inventory)
    copied.named(name).options.update(changes)
    return copied


@pytest.mark.parametrize(
    ("mutate", "rule", "expected"),
    [
        (
            lambda inv: with_option(inv, "initech-backups", protect=False),
            "tenant-offboarding-and-purge",
            "bucket 'backups-initech' of active tenant 'initech' is not protected",
        ),
        (
            # A platform bucket's forceDestroy is dev's alone: production-durability refuses it in prod.
            lambda inv: with_input(inv, "backups", forceDestroy=True),
            "production-durability",
            "bucket 'backups' has forceDestroy",
        ),
        (
            lambda inv: with_input(inv, "initech-lakehouse", forceDestroy=True),
            "tenant-offboarding-and-purge",
            "bucket 'lakehouse-initech' has forceDestroy",
        ),
    ],
)
def test_mutated_plans_are_caught_by_the_purge_rule(prod_inventory, mutate, rule, expected):
    assert mandatory_violations(prod_inventory) == []
    found = mandatory_violations(mutate(prod_inventory))
    assert len(found) == 1 and found[0].startswith(f"{rule}: ") and expected in found[0], found


def test_a_purge_state_without_its_acknowledgement_is_caught_in_any_stack(purged):
    copied = copy.deepcopy(purged)
    (tenant,) = [r for r in copied if r.type == "matih:tenancy:Tenant" and r.name == "initech"]
    del tenant.inputs["purgeAcknowledged"]
    del tenant.outputs["purgeAcknowledged"]  # the stack policy reads what the component registered
    dev_config = {"tenant-offboarding-and-purge": {"production": False}}
    assert "tenant-offboarding-and-purge: tenant 'initech' is purged without purgeAcknowledged naming it" in (
        mandatory_violations(copied, dev_config)
    )


# --- Plans: re-onboarding -------------------------------------------------------------------------------------------


def test_adopting_a_returning_tenant_imports_its_retained_resources_by_id():
    inventory = run_stack("prod", {"tenants": initech(adopt=True, kmsKeyVerified="tenant-initech")})
    imported = {r.name: r.options["importId"] for r in inventory if "importId" in r.options}
    expected = {"initech-kms-key": "tenant-initech"}
    for bucket in inventory.of_type(BUCKET):
        if bucket.name.startswith("initech-"):
            for record in [bucket, *inventory.children(bucket.urn)]:
                expected[record.name] = bucket.inputs["bucket"]
    assert imported == expected
    assert len(imported) == 1 + 6 + 14


def test_without_adopt_nothing_is_imported(prod_inventory):
    assert [r.name for r in prod_inventory if "importId" in r.options] == []


def test_an_adopted_tenant_is_declared_exactly_as_before(prod_inventory):
    """Pulumi compares an imported resource's live state with the declared inputs: adoption changes no input."""
    adopted = run_stack("prod", {"tenants": initech(adopt=True, kmsKeyVerified="tenant-initech")})
    before = {r.urn: r.inputs for r in under(prod_inventory, "initech")}
    assert {r.urn: r.inputs for r in under(adopted, "initech")} == before


# --- Plans: rotation ------------------------------------------------------------------------------------------------


def credentials_secret(inventory: Inventory, tenant: str, service: str) -> ResourceRecord:
    (secret,) = [r for r in inventory.of_type(K8S_SECRET) if r.name == f"{tenant}-{service}-credentials"]
    return secret


def test_a_rotation_adds_one_key_per_service_and_points_the_secrets_at_it(prod_inventory):
    rotated = run_stack("prod", {"tenants": initech(keyRotation=1)})
    added = {r.name for r in rotated} - {r.name for r in prod_inventory}
    services = sorted(
        r.name.removeprefix("initech-").removesuffix("-access-key")
        for r in under(prod_inventory, "initech")
        if r.type == SERVICE_ACCOUNT
    )
    assert added == {f"initech-{s}-access-key-g2" for s in services}
    assert {r.name for r in prod_inventory} <= {r.name for r in rotated}  # the previous keys stay
    for service in services:
        # The Secret's data is secret as a whole; which key it carries shows in the dependency on that key.
        assert credentials_secret(rotated, "initech", service).options["dependsOn"] == [
            rotated.named(f"initech-{service}-access-key-g2").urn
        ]
        assert credentials_secret(prod_inventory, "initech", service).options["dependsOn"] == [
            prod_inventory.named(f"initech-{service}-access-key").urn
        ]
    new_key = rotated.named("initech-trino-access-key-g2")
    assert new_key.inputs["policy"] == rotated.named("initech-trino-access-key").inputs["policy"]


def test_retiring_drops_the_previous_keys(prod_inventory):
    retired = run_stack("prod", {"tenants": initech(keyRotation=1, retireKeysThrough=1)})
    keys = {r.name for r in under(retired, "initech") if r.type == SERVICE_ACCOUNT}
    assert keys and all(name.endswith("-access-key-g2") for name in keys)
    assert len(keys) == len([r for r in under(prod_inventory, "initech") if r.type == SERVICE_ACCOUNT])


def test_rotating_one_service_of_one_tenant_touches_only_that_key(prod_inventory):
    rotated = run_stack("prod", {"tenants": initech(serviceKeyRotation={"spark": 1})})
    assert {r.name for r in rotated} - {r.name for r in prod_inventory} == {"initech-spark-access-key-g2"}
    before = prod_inventory.by_urn()
    changed = {
        r.name
        for r in rotated
        if r.urn in before and (r.inputs, r.options) != (before[r.urn].inputs, before[r.urn].options)
    }
    assert changed == {"initech-spark-credentials"}


def test_a_platform_rotation_rotates_every_tenant(prod_inventory):
    rotated = run_stack("prod", {"accessKeys": {"rotation": 1}})
    before = [r for r in prod_inventory if r.type == SERVICE_ACCOUNT]
    added = [r for r in rotated if r.type == SERVICE_ACCOUNT and r.name.endswith("-g2")]
    assert len(added) == len(before) == 3 * 11
    assert len(rotated.resources) == len(prod_inventory.resources) + len(before)


def test_root_credentials_rotate_through_a_keeper(prod_inventory):
    def root(inventory: Inventory) -> list[ResourceRecord]:
        return [r for r in inventory.of_type(RANDOM_PASSWORD) if r.name.startswith("minio-root-")]

    assert len(root(prod_inventory)) == 2 and not any(r.inputs.get("keepers") for r in root(prod_inventory))
    rotated = run_stack("prod", {"rootCredentialsRotation": 1})
    assert [r.inputs["keepers"] for r in root(rotated)] == [{"rotation": "1"}] * 2
    # Only the root credentials: the service users' passwords are not theirs to rotate.
    others = [r for r in rotated.of_type(RANDOM_PASSWORD) if r not in root(rotated)]
    assert others and not any(r.inputs.get("keepers") for r in others)
