"""Day 2 on the real dev stack (issue 8, part F): rotate a tenant's access keys and keep using the old one until it
is retired, remove the tenant, add it back, destroy.

The README's dev path (kind_support): a fresh kind cluster from kind/cluster.yaml, `make up STACK=dev` after every
change. A change edits `matih-minio:tenants` in the temp project copy's stack file, as an operator edits
Pulumi.dev.yaml; the repository's stack file is never touched. The tenant is the committed `acme-corp`: prefix
isolation under dev's static KMS key.

    kind create cluster --config kind/cluster.yaml && make venv && .venv/bin/pytest -m integration tests/integration -v
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.kind_support import (
    CONFIG,
    TENANTS_KEY,
    DevStack,
    deployed_dev_stack,
    error_code,
    secret_exists,
)

pytestmark = pytest.mark.integration

TENANT, OTHER_TENANT = "acme-corp", "globex"
WRITER = "pipeline-service"
PAYLOAD = b"written before the tenant left"
# MinIO's answer to an access key it does not know (a deleted service account): RELEASE.2024-12-18T13-15-44Z
# cmd/signature-v4-utils.go checkKeyValid -> ErrInvalidAccessKeyID (403, cmd/api-errors.go).
UNKNOWN_KEY = "InvalidAccessKeyId"


def _entry_id(entry: Any) -> str:
    return str(entry["id"] if isinstance(entry, dict) else entry)


def _tenants_with(entry: dict[str, Any] | None) -> list[Any]:
    """The committed tenants, with TENANT's line replaced by `entry`, or removed."""
    return [
        entry if _entry_id(committed) == TENANT else committed
        for committed in CONFIG[TENANTS_KEY]
        if _entry_id(committed) != TENANT or entry is not None
    ]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    with deployed_dev_stack(tmp_path_factory.mktemp("kind-day2")) as deployed:
        yield deployed


def test_rotate_retire_remove_readd_and_destroy(stack: DevStack) -> None:
    # Adoption imports a tenant's KES key (per-tenant keys only) and its dedicated buckets (bucket isolation only):
    # components/model/offboarding.py tenant_lifecycle, components/resources/tenant.py. dev's tenant has neither, so
    # step 4 expects no import; were dev's stack file to change that, these lines say why step 4 must change too.
    committed = next(entry for entry in CONFIG[TENANTS_KEY] if _entry_id(entry) == TENANT)
    assert CONFIG["matih-minio:kms"]["mode"] == "static"
    assert not isinstance(committed, dict) or committed.get("isolation", "prefix") == "prefix"

    first = stack.access(TENANT, WRITER)
    other = stack.access(OTHER_TENANT, WRITER)
    bucket, key = first.location("pipeline-outputs", "day2/kept.txt")
    first.put(bucket, key, PAYLOAD)
    foreign = other.location("pipeline-outputs", "day2/foreign.txt")

    # 1. Rotation: the Secret carries a new key, updated in place; a pod still holding the old one keeps working,
    #    in its tenant's prefix and nowhere else.
    stack.set_tenants(_tenants_with({"id": TENANT, "keyRotation": 1}))
    stack.up()
    second = stack.access(TENANT, WRITER)
    assert second.access_key != first.access_key
    assert second.secret_uid == first.secret_uid
    by_old_key = first.location("pipeline-outputs", "day2/by-the-previous-key.txt")
    first.put(*by_old_key, PAYLOAD)
    assert first.get(bucket, key) == PAYLOAD
    assert second.get(*by_old_key) == PAYLOAD
    assert error_code(lambda: first.get(*foreign)) == "AccessDenied"

    # 2. Retire: only now does the old key stop working; the current one is untouched.
    stack.set_tenants(_tenants_with({"id": TENANT, "keyRotation": 1, "retireKeysThrough": 1}))
    stack.up()
    assert error_code(lambda: first.get(bucket, key)) == UNKNOWN_KEY
    assert stack.access(TENANT, WRITER).access_key == second.access_key
    assert second.get(bucket, key) == PAYLOAD

    # 3. Removal revokes every key of the tenant and deletes its Secrets in one `up`; its objects stay (MinIO's root
    #    still reads them), and the other tenant keeps its key.
    services = sorted(stack.outputs["tenants"][TENANT]["secrets"])
    keys = {service: stack.access(TENANT, service) for service in services}
    secrets = [stack.secret_ref(TENANT, service) for service in services]
    stack.set_tenants(_tenants_with(None))
    stack.up()
    assert TENANT not in stack.outputs["tenants"]
    assert {service: error_code(access.s3.list_buckets) for service, access in keys.items()} == dict.fromkeys(
        services, UNKNOWN_KEY
    )
    assert [ref for ref in secrets if secret_exists(*ref)] == []
    root = stack.root_s3(first.env["AWS_REGION"])
    assert root.get_object(Bucket=bucket, Key=key)["Body"].read() == PAYLOAD
    assert stack.access(OTHER_TENANT, WRITER).access_key == other.access_key

    # 4. Adding it back with adopt: true imports nothing here (see above): the `up` creates
    #    new keys and Secrets, and the tenant finds its objects where they were.
    stack.set_tenants(_tenants_with({"id": TENANT, "adopt": True}))
    stack.up()
    changes = stack.last_update_changes()
    assert changes.get("import", 0) == 0, changes
    assert changes.get("create", 0) > 0, changes
    back = stack.access(TENANT, WRITER)
    assert back.access_key not in {first.access_key, second.access_key}
    assert back.location("pipeline-outputs", "day2/kept.txt") == (bucket, key)
    assert back.get(bucket, key) == PAYLOAD
    back.put(*back.location("pipeline-outputs", "day2/after-readding.txt"), PAYLOAD)

    # 5. Destroy leaves nothing in the stack, the tenant's Secret included.
    stack.destroy()
    assert stack.resources() == []
    assert not secret_exists(*stack.secret_ref(TENANT, WRITER))
