"""A purge empties a tenant's dedicated buckets before Pulumi deletes them (issue 15, finding E).

terraform-provider-minio v1.20.1 `minioDeleteBucket` (minio/resource_minio_s3_bucket.go): when RemoveBucket fails
because the bucket is not empty and force_destroy is set, it lists every version into RemoveObjects, checks the
returned error channel (capacity 1) at once, and calls itself again: versions it cannot delete (under retention)
make it loop until the delete timeout, and a listing error ends the provider (`log.Fatalln`). So the procedure
empties versions and retention first and the provider's RemoveBucket succeeds on its first try.
"""

from __future__ import annotations

import copy
from typing import Any

from components.catalog import BUCKET_NAMES
from components.model import offboarding
from components.model.config import load_settings
from components.model.naming import tenant_bucket_name
from tools.engine import project_config_values, run_stack

PURGED = [
    "acme-corp",
    "globex",
    {"id": "initech", "isolation": "bucket", "quota": "2Ti", "state": "purge", "purgeAcknowledged": "initech"},
]


def prod_with(**changes: Any):
    config = copy.deepcopy(project_config_values("prod"))
    config.update(changes)
    return load_settings(config, "prod")


def test_a_bucket_tenant_is_emptied_of_every_version_before_its_buckets_are_deleted():
    settings = prod_with(tenants=PURGED)
    steps = offboarding.purge_steps(settings, settings.tenants[2], BUCKET_NAMES)
    removal = next(i for i, s in enumerate(steps) if s.startswith("remove tenant 'initech'"))
    buckets = [tenant_bucket_name(name, "initech") for name in BUCKET_NAMES]
    emptied = [f"mc rm --recursive --force --versions --bypass <alias>/{b}" for b in buckets]
    checked = [f"mc ls --recursive --versions <alias>/{b}" for b in buckets]
    for bucket, rm, ls in zip(buckets, emptied, checked, strict=True):
        [rm_at] = [i for i, s in enumerate(steps) if s.startswith(rm + " ") or s == rm]
        [ls_at] = [i for i, s in enumerate(steps) if s.startswith(ls)]
        assert rm_at < ls_at < removal, bucket
    assert "retention" in steps[removal - 1] or any("COMPLIANCE" in s for s in steps[:removal])
    assert steps[-1].startswith("kes key rm tenant-initech")


def test_a_prefix_tenant_has_no_bucket_of_its_own_to_empty():
    settings = prod_with(tenants=["acme-corp", {"id": "globex", "state": "purge", "purgeAcknowledged": "globex"}])
    steps = offboarding.purge_steps(settings, settings.tenants[1], BUCKET_NAMES)
    assert not any("--bypass" in s or s.startswith("mc ls") for s in steps)


def test_the_purge_warning_says_to_empty_the_buckets_first():
    inventory = run_stack("prod", {"tenants": PURGED})
    (warning,) = [d["message"] for d in inventory.diagnostics if "being purged" in d["message"]]
    first = tenant_bucket_name(BUCKET_NAMES[0], "initech")
    assert warning.startswith(
        f"tenant initech is being purged; then: 1. mc rm --recursive --force --versions --bypass <alias>/{first}"
    ), warning
    assert "RemoveBucket succeeds on its first try" in warning
