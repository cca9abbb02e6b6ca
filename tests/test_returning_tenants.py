"""Returning tenants under KES (issue 15, finding F).

A removed tenant's key `tenant-<id>` is retained in KES, so adding the tenant back without `adopt` creates it again
and fails: KES refuses an existing key (RELEASE.2024-12-18T13-15-44Z internal/kms/kes.go `CreateKey`:
ErrKeyExists, HTTP 409) - for prefix tenants too, since every tenant has a key under KES. And `adopt` alone proves
nothing about the key: the provider imports a KmsKey by passing the id through (v1.20.1 resource_minio_kms_key.go
`ImportStatePassthroughContext`) and reads it with the `key_id` input still empty, which MinIO answers with its
default key (cmd/kms-handlers.go `KMSKeyStatusHandler`: an empty key-id is `GlobalKMS.DefaultKey`): the import
succeeds for a key that does not exist. So adopting a KES key needs the operator's check, named in the stack file.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from components.model.config import ConfigError, load_settings, load_shard_settings
from components.model.platform_ref import shard_context, tenant_platform
from tests.test_change_risks import Rec, _risks
from tools.engine import project_config_values, run_stack

KMS_KEY = "minio:index/kmsKey:KmsKey"


def load(stack: str, tenants: list[Any]):
    config = copy.deepcopy(project_config_values(stack))
    config["tenants"] = tenants
    return load_settings(config, stack)


def problems(stack: str, tenants: list[Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(stack, tenants)
    return caught.value.problems


@pytest.mark.parametrize("isolation", ["prefix", "bucket"])
def test_adopting_under_kes_needs_the_verified_key_named(isolation):
    (problem,) = problems("prod", [{"id": "globex", "isolation": isolation, "adopt": True}])
    assert problem.startswith('matih-minio:tenants[id=globex].kmsKeyVerified: got null; must be "tenant-globex"')
    assert "mc admin kms key status --json <alias> tenant-globex" in problem
    tenant = {"id": "globex", "isolation": isolation, "adopt": True, "kmsKeyVerified": "tenant-globex"}
    assert load("prod", [tenant]).tenants[0].kms_key_verified == "tenant-globex"


@pytest.mark.parametrize(
    ("stack", "tenant", "fragment"),
    [
        ("prod", {"id": "globex", "adopt": True, "kmsKeyVerified": "tenant-acme"}, 'must be "tenant-globex"'),
        ("prod", {"id": "globex", "kmsKeyVerified": "tenant-globex"}, "absent unless adopt is true"),
        ("dev", {"id": "globex", "adopt": True, "kmsKeyVerified": "tenant-globex"}, "absent unless kms.mode is kes"),
    ],
)
def test_a_verification_that_does_not_fit_is_refused(stack, tenant, fragment):
    (problem,) = problems(stack, [tenant])
    assert problem.startswith("matih-minio:tenants[id=globex].kmsKeyVerified: got "), problem
    assert fragment in problem, problem


def test_dev_adopts_without_a_kms_key_to_verify():
    assert load("dev", [{"id": "globex", "adopt": True}]).tenants[0].adopt


def test_a_shard_under_a_kes_platform_needs_the_verification_too():
    config = copy.deepcopy(project_config_values("prod-tenants-1"))
    config["tenants"] = [{"id": "hooli", "adopt": True}]
    shard = load_shard_settings(config, "prod-tenants-1")
    with pytest.raises(ConfigError) as caught:
        shard_context(shard, tenant_platform(load("prod", ["acme-corp"])), [])
    (problem,) = caught.value.problems
    assert problem.startswith('matih-minio:tenants[id=hooli].kmsKeyVerified: got null; must be "tenant-hooli"')


def test_an_adopted_key_is_imported_by_its_name():
    tenant = {"id": "globex", "adopt": True, "kmsKeyVerified": "tenant-globex"}
    inventory = run_stack("prod", {"tenants": ["acme-corp", tenant]})
    [key] = [r for r in inventory.of_type(KMS_KEY) if r.name == "globex-kms-key"]
    assert key.options["importId"] == "tenant-globex" and key.inputs["keyId"] == "tenant-globex"


def test_the_retained_key_warning_says_every_returning_tenant_must_adopt():
    key = Rec(KMS_KEY, "acme-kms-key", {"keyId": "tenant-acme"}, {"retainOnDelete": True})
    [risk] = _risks([key], [])
    assert risk.rule == "retained-delete"
    assert "every returning tenant" in risk.what and "adopt: true" in risk.what and "409" in risk.what
    assert "kmsKeyVerified" in risk.what


def _kms_check_texts() -> dict[str, str]:
    (problem,) = problems("prod", [{"id": "globex", "adopt": True}])
    [risk] = _risks([Rec(KMS_KEY, "globex-kms-key", {"keyId": "tenant-globex"}, {"retainOnDelete": True})], [])
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    [paragraph] = [p for p in readme.split("\n- ") if p.startswith("**Re-onboarding**")]
    return {"settings": problem, "retained-delete": risk.what, "README": " ".join(paragraph.split())}


@pytest.mark.parametrize("where", ["settings", "retained-delete", "README"])
def test_the_key_check_names_the_answer_that_proves_the_key_exists(where):
    """A missing key answers too: MinIO's KMSKeyStatusHandler (RELEASE.2025-10-15T17-29-55Z cmd/kms-handlers.go and
    cmd/admin-handlers.go) writes HTTP 200 with the key id and `encryptionError` set when GenerateKey fails, and mc
    RELEASE.2024-11-21T17-21-54Z `mainAdminKMSKeyStatus` prints it and exits 0. Only an answer without an
    encryption or decryption error shows the key exists, so "it answered" must not be the check."""
    text = _kms_check_texts()[where]
    assert "mc admin kms key status --json <alias> tenant-" in text, text
    assert "encryptionError" in text and "decryptionError" in text, text
    assert "a missing key answers too" in text, text
