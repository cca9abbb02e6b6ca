"""The README's dev path on a real kind cluster, step by step, with nothing added for the test (kind_support):
`make up STACK=dev` on a fresh kind cluster, then write and read objects as the tenants' services, with the
credentials from their Kubernetes Secrets, at the stack's minioEndpoint, and `pulumi destroy`.

No config change: the stack file is used as committed.

    kind create cluster --config kind/cluster.yaml && make venv && .venv/bin/pytest -m integration tests/integration -v
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.integration.kind_support import DevStack, deployed_dev_stack, error_code

pytestmark = pytest.mark.integration

TENANT, OTHER_TENANT = "acme-corp", "globex"
PAYLOAD = b"written by the kind round trip"


def _assert_denied(call: Callable[[], object]) -> None:
    assert error_code(call) == "AccessDenied"


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    with deployed_dev_stack(tmp_path_factory.mktemp("kind-roundtrip")) as stack:
        yield stack


# --- What the real MinIO enforces ------------------------------------------------------------------------------------


def test_the_readmes_verification_step_works_as_written(deployed):
    # Its last command prints the object it wrote: this README, read back through MinIO.
    assert "# matih-minio: MinIO object storage" in deployed.run_readme_verification()


def test_a_writer_writes_and_reads_its_tenants_prefix(deployed):
    writer = deployed.access(TENANT, "pipeline-service")
    bucket, key = writer.location("pipeline-outputs", "roundtrip/own.txt")

    writer.put(bucket, key, PAYLOAD)

    assert writer.get(bucket, key) == PAYLOAD


def test_another_tenants_prefix_is_refused(deployed):
    writer = deployed.access(TENANT, "pipeline-service")
    bucket, foreign_prefix = deployed.access(OTHER_TENANT, "pipeline-service").prefix("pipeline-outputs")
    key = foreign_prefix + "roundtrip/foreign.txt"

    _assert_denied(lambda: writer.put(bucket, key, PAYLOAD))
    _assert_denied(lambda: writer.get(bucket, key))
    _assert_denied(lambda: writer.s3.list_objects_v2(Bucket=bucket, Prefix=foreign_prefix))


def test_a_reader_reads_but_cannot_write(deployed):
    writer = deployed.access(TENANT, "pipeline-service")
    reader = deployed.access(TENANT, "data-workbench")
    bucket, key = writer.location("pipeline-outputs", "roundtrip/for-the-reader.txt")
    writer.put(bucket, key, PAYLOAD)

    assert reader.get(bucket, key) == PAYLOAD
    _assert_denied(lambda: reader.put(bucket, key, PAYLOAD))
    _assert_denied(lambda: reader.put(*reader.location("pipeline-outputs", "roundtrip/by-the-reader.txt"), PAYLOAD))
