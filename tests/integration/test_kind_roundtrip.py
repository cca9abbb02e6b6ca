"""The README's dev path on a real kind cluster, step by step, with nothing added for the test:

    kind create cluster --config kind/cluster.yaml   # the workflow (helm/kind-action) or you
    export PULUMI_BACKEND_URL=file://<dir> PULUMI_CONFIG_PASSPHRASE=<passphrase>
    make up STACK=dev
    # write and read an object as a tenant's service, with the credentials from its Kubernetes Secret,
    # at the stack's minioEndpoint (localhost:30900: kind maps MinIO's NodePort there)
    pulumi destroy --stack dev

No port-forward, no config change: the stack file is used as committed (the dev stack creates the services'
namespaces itself). The project is copied to a temp dir only because `pulumi stack init` writes the passphrase's
salt into Pulumi.dev.yaml, and the state lives in a temp dir. PULUMI_SKIP_CONFIRMATIONS stands in for the "yes" a
person types at `pulumi up`/`destroy`'s prompt (there is no terminal here).

Needs the Pulumi CLI, kubectl, make and the kind cluster (context kind-matih). A missing prerequisite skips the
tests, or fails them when MATIH_REQUIRE_INTEGRATION=1 (CI, where a silent skip would hide a broken setup).

    kind create cluster --config kind/cluster.yaml && make venv && .venv/bin/pytest -m integration tests/integration -v
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tools.engine import PROJECT_DIR, load_stack_config

pytestmark = pytest.mark.integration

STACK = "dev"
CONFIG = load_stack_config(STACK)
KUBE_CONTEXT: str = CONFIG["matih-minio:kubernetes"]["context"]
ENDPOINT: str = CONFIG["matih-minio:minioEndpoint"]  # where the stack's own MinIO provider reaches MinIO, too
TENANT, OTHER_TENANT = "acme-corp", "globex"
PAYLOAD = b"written by the kind round trip"
UP_TIMEOUT_SECONDS = 30 * 60


# --- Prerequisites and the README's commands -------------------------------------------------------------------------


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("MATIH_REQUIRE_INTEGRATION") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _kubectl(*args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    command = ["kubectl", "--context", KUBE_CONTEXT, *args]
    return subprocess.run(command, capture_output=True, text=True, check=check, timeout=timeout)


def _cluster_reachable() -> bool:
    try:
        return _kubectl("get", "--raw", "/readyz", check=False, timeout=10).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def _project_copy(destination: Path) -> Path:
    """The project as committed, modification times kept (so make sees the linked virtualenvs as up to date)."""
    ignore = shutil.ignore_patterns(".git", ".venv", "venv", ".pulumi-state", "__pycache__", ".*_cache", "build")
    shutil.copytree(PROJECT_DIR, destination, ignore=ignore)
    for venv in (".venv", "policies/venv"):
        if (PROJECT_DIR / venv).exists():
            (destination / venv).symlink_to((PROJECT_DIR / venv).resolve())
    return destination


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = UP_TIMEOUT_SECONDS) -> str:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    print(result.stdout, result.stderr)  # pytest shows it when a test fails
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


# --- The deployed stack and the services' view of it -----------------------------------------------------------------


@dataclass(frozen=True)
class ServiceAccess:
    """One tenant's credentials for one service, exactly as the service reads them from its Secret."""

    env: dict[str, str]
    s3: Any

    def prefix(self, bucket: str) -> tuple[str, str]:
        """(bucket name, key prefix) of the tenant's share of a catalog bucket."""
        suffix = bucket.upper().replace("-", "_")
        return self.env[f"S3_BUCKET_{suffix}"], self.env[f"S3_PREFIX_{suffix}"]

    def location(self, bucket: str, name: str) -> tuple[str, str]:
        bucket_name, prefix = self.prefix(bucket)
        return bucket_name, prefix + name

    def put(self, bucket: str, key: str) -> None:
        kms_key = self.env.get("S3_SSE_KMS_KEY_ID")
        encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key} if kms_key else {}
        self.s3.put_object(Bucket=bucket, Key=key, Body=PAYLOAD, **encryption)

    def get(self, bucket: str, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())


@dataclass(frozen=True)
class Deployment:
    tenants: dict[str, Any]  # the stack's `tenants` output
    endpoint: str

    def access(self, tenant: str, service: str) -> ServiceAccess:
        namespace, name = self.tenants[tenant]["secrets"][service].split("/")
        secret = json.loads(_kubectl("get", "secret", name, "-n", namespace, "-o", "json").stdout)
        env = {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}
        return ServiceAccess(env, _s3_client(env, self.endpoint))


def _s3_client(env: dict[str, str], endpoint: str) -> Any:
    boto3 = pytest.importorskip("boto3")
    config = pytest.importorskip("botocore.config").Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5})
    return boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        config=config,
    )


def _assert_denied(call: Callable[[], object]) -> None:
    client_error = pytest.importorskip("botocore.exceptions").ClientError
    with pytest.raises(client_error) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == "AccessDenied"


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    _require(
        shutil.which("pulumi") is not None, "the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/"
    )
    _require(all(shutil.which(tool) for tool in ("kubectl", "make")), "kubectl and make are needed")
    _require(
        _cluster_reachable(),
        f"no cluster behind context {KUBE_CONTEXT!r} (kind create cluster --config kind/cluster.yaml)",
    )
    pytest.importorskip("boto3")

    root = tmp_path_factory.mktemp("kind-roundtrip")
    (root / "state").mkdir()
    env = {
        **os.environ,
        "PULUMI_BACKEND_URL": f"file://{root / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": uuid.uuid4().hex,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_SKIP_CONFIRMATIONS": "true",
    }
    project = _project_copy(root / "project")
    try:
        _run(["make", "up", f"STACK={STACK}"], project, env)
        tenants = json.loads(_run(["pulumi", "stack", "output", "tenants", "--json", "--stack", STACK], project, env))
        yield Deployment(tenants, ENDPOINT)
    finally:
        _run(["pulumi", "destroy", "--stack", STACK, "--yes"], project, env)


# --- What the real MinIO enforces ------------------------------------------------------------------------------------


def test_a_writer_writes_and_reads_its_tenants_prefix(deployed):
    writer = deployed.access(TENANT, "pipeline-service")
    bucket, key = writer.location("pipeline-outputs", "roundtrip/own.txt")

    writer.put(bucket, key)

    assert writer.get(bucket, key) == PAYLOAD


def test_another_tenants_prefix_is_refused(deployed):
    writer = deployed.access(TENANT, "pipeline-service")
    bucket, foreign_prefix = deployed.access(OTHER_TENANT, "pipeline-service").prefix("pipeline-outputs")
    key = foreign_prefix + "roundtrip/foreign.txt"

    _assert_denied(lambda: writer.put(bucket, key))
    _assert_denied(lambda: writer.get(bucket, key))
    _assert_denied(lambda: writer.s3.list_objects_v2(Bucket=bucket, Prefix=foreign_prefix))


def test_a_reader_reads_but_cannot_write(deployed):
    writer = deployed.access(TENANT, "pipeline-service")
    reader = deployed.access(TENANT, "data-workbench")
    bucket, key = writer.location("pipeline-outputs", "roundtrip/for-the-reader.txt")
    writer.put(bucket, key)

    assert reader.get(bucket, key) == PAYLOAD
    _assert_denied(lambda: reader.put(bucket, key))
    _assert_denied(lambda: reader.put(*reader.location("pipeline-outputs", "roundtrip/by-the-reader.txt")))
