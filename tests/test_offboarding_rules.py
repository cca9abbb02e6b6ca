"""The day-2 rules of components/model/offboarding.py, called directly (fast enough for `make mutate`; issue 18).

Written from the rules in that module's docstring: offboarding revokes access and lifts protection but keeps every
bucket; purge alone drops retention and force-destroys; the KMS key is never protected and always retained (MinIO
RELEASE.2024-12-18T13-15-44Z routes no key deletion, cmd/kms-router.go); import ids are the provider's resource ids
(terraform-provider-minio v1.20.1 `minioCreateKMSKey` SetId(keyID), `minioCreateBucket` SetId(bucket)).
"""

from __future__ import annotations

import pytest

from components.model import offboarding
from components.model.config import TenantSettings, load_settings
from tools.engine import project_config_values


@pytest.fixture(scope="module")
def prod():
    return load_settings(project_config_values("prod"), "prod")


@pytest.fixture(scope="module")
def dev():
    return load_settings(project_config_values("dev"), "dev")


def test_a_tenant_without_adopt_imports_nothing(prod):
    plan = offboarding.tenant_lifecycle(prod, TenantSettings("acme", "bucket"), ("exports",))
    assert plan.key.import_id is None
    assert plan.buckets["exports-acme"].import_id is None
    assert plan.key.protect is False and plan.key.force_destroy is False


def test_offboarding_keeps_buckets_unprotected_and_undestroyed_even_unprotected_stacks(dev):
    plan = offboarding.tenant_lifecycle(dev, TenantSettings("acme", "bucket", state="offboarding"), ("exports",))
    assert plan.grants_access is False
    assert plan.buckets == {"exports-acme": offboarding.Retention(protect=False, retain_on_delete=True)}


def test_a_purged_prefix_tenant_declares_no_bucket_and_keeps_its_key(prod):
    plan = offboarding.tenant_lifecycle(prod, TenantSettings("acme", "prefix", state="purge"), ("exports",))
    assert plan.buckets == {}
    assert plan.key == offboarding.Retention(protect=False, retain_on_delete=True)
    assert plan.state == "purge" and plan.grants_access is False


def test_children_are_retained_with_a_retained_bucket():
    assert offboarding.Retention(protect=False, retain_on_delete=True).children_retain_on_delete
    assert not offboarding.Retention(protect=False, retain_on_delete=False).children_retain_on_delete


def test_platform_buckets_may_be_force_destroyed_only_as_the_stack_says(dev):
    retention = offboarding.platform_bucket_retention(dev)
    assert retention.retain_on_delete is False
    assert retention.protect is dev.protect and retention.force_destroy is dev.force_destroy_buckets


def test_a_purge_without_per_tenant_keys_ends_with_the_removal(dev):
    assert not dev.kms.per_tenant_keys
    tenant = TenantSettings("acme", "bucket", state="purge")
    steps = offboarding.purge_steps(dev, tenant, ("exports",))
    assert len(steps) == 3
    assert steps[0].startswith("mc rm --recursive --force --versions --bypass <alias>/exports-acme (every version")
    assert "COMPLIANCE" in steps[0] and "legalhold clear" in steps[0]
    assert steps[1] == "mc ls --recursive --versions <alias>/exports-acme prints nothing"
    assert steps[2].startswith("remove tenant 'acme' from matih-minio:tenants and run `pulumi up` (deletes its ")
    assert "RemoveBucket succeeds on its first try" in steps[2]


def test_a_prefix_purge_with_per_tenant_keys_shreds_the_key_last(prod):
    assert prod.kms.per_tenant_keys
    steps = offboarding.purge_steps(prod, TenantSettings("acme", "prefix", state="purge"), ("exports",))
    assert steps[:2] == [
        "remove tenant 'acme' from matih-minio:tenants and run `pulumi up`",
        "mc rm --recursive --force --versions <alias>/exports/acme/",
    ]
    assert len(steps) == 3 and steps[2].startswith("kes key rm tenant-acme (last: crypto-shreds")
