"""Round trip on a throwaway kind cluster: `pulumi up` the dev stack, use its generated credentials, `pulumi destroy`.

Needs the Pulumi CLI, kubectl, docker and a kind cluster reachable through the dev stack's kubeconfig context
(`kind-matih`, i.e. `kind create cluster --name matih`). Everything else belongs to the test and is removed after it:
a copy of the project, a local state backend in a temp dir, the services' namespaces. A missing prerequisite skips
the tests, or fails them when MATIH_REQUIRE_INTEGRATION=1 (CI, where a silent skip would hide a broken setup).

    kind create cluster --name matih && make venv && .venv/bin/pytest -m integration tests/integration -v
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tools.engine import PROJECT_DIR, load_stack_config

pytestmark = pytest.mark.integration

STACK = "dev"
CONFIG = load_stack_config(STACK)
KUBE_CONTEXT: str = CONFIG["matih-minio:kubernetes"]["context"]
NAMESPACE: str = CONFIG["matih-minio:namespace"]
SERVICE: str = CONFIG["matih-minio:releaseName"]  # the chart's S3 Service is named after the release
LOCAL_PORT = 19000
TENANT, OTHER_TENANT = "acme-corp", "globex"
PAYLOAD = b"written by the kind round trip"


# --- Prerequisites and cluster helpers -------------------------------------------------------------------------------


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


def _prepare_node() -> str:
    """The kind node's name; its local-volume directory is created (kind nodes are containers named after nodes)."""
    node = _kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}").stdout.strip()
    host_path = CONFIG["matih-minio:storage"]["hostPath"]  # standalone, one drive: the volume is the path itself
    subprocess.run(["docker", "exec", node, "mkdir", "-p", host_path], check=True, capture_output=True)
    return node


@contextlib.contextmanager
def _service_namespaces() -> Iterator[None]:
    """The namespaces the services' Secrets go to (owned by the platform, not by this stack) for the test's span."""
    existing = set(_kubectl("get", "namespaces", "-o", "jsonpath={.items[*].metadata.name}").stdout.split())
    created = sorted(set(CONFIG["matih-minio:services"].values()) - existing)
    for namespace in created:
        _kubectl("create", "namespace", namespace)
    try:
        yield
    finally:
        for namespace in created:
            _kubectl("delete", "namespace", namespace, "--wait=false", check=False)


@contextlib.contextmanager
def _port_forward(local_port: int, remote_port: int) -> Iterator[str]:
    """Keep `kubectl port-forward` to MinIO up for the block, restarting it: MinIO only appears during `up`."""
    stop = threading.Event()
    command = ["kubectl", "--context", KUBE_CONTEXT, "-n", NAMESPACE, "port-forward"]
    command += [f"svc/{SERVICE}", f"{local_port}:{remote_port}"]

    def keep_forwarding() -> None:
        while not stop.is_set():
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while process.poll() is None and not stop.is_set():
                stop.wait(1)
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
            stop.wait(1)

    thread = threading.Thread(target=keep_forwarding, name="minio-port-forward", daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{local_port}"
    finally:
        stop.set()
        thread.join(timeout=15)


def _project_copy(destination: Path) -> Path:
    """The project without its state; `pulumi config set` writes to the copy's stack file, not to ours."""
    ignore = shutil.ignore_patterns(".git", ".venv", ".pulumi-state", "__pycache__", ".*_cache", "build", "tests")
    shutil.copytree(PROJECT_DIR, destination, ignore=ignore)
    (destination / ".venv").symlink_to(PROJECT_DIR / ".venv")  # Pulumi.yaml: virtualenv: .venv
    return destination


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
def automation() -> ModuleType:
    _require(
        shutil.which("pulumi") is not None, "the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/"
    )
    _require(all(shutil.which(tool) for tool in ("kubectl", "docker")), "kubectl and docker (for kind) are needed")
    _require(_cluster_reachable(), f"no cluster behind context {KUBE_CONTEXT!r} (kind create cluster --name matih)")
    pytest.importorskip("boto3")
    return pytest.importorskip("pulumi.automation")


@pytest.fixture(scope="module")
def deployed(automation: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("kind-roundtrip")
    (root / "state").mkdir()
    env = {
        "PULUMI_BACKEND_URL": f"file://{root / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": uuid.uuid4().hex,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    work_dir = _project_copy(root / "project")
    stack = automation.create_or_select_stack(
        STACK, work_dir=str(work_dir), opts=automation.LocalWorkspaceOptions(env_vars=env)
    )
    stack.set_config("matih-minio:storage.nodes[0]", automation.ConfigValue(_prepare_node()), path=True)
    with _service_namespaces(), _port_forward(LOCAL_PORT, 9000) as endpoint:
        # Pulumi runs outside the cluster: the MinIO provider goes through the port-forward.
        stack.set_config("matih-minio:minioEndpoint", automation.ConfigValue(endpoint))
        try:
            result = stack.up(color="never", on_output=print)
            yield Deployment(result.outputs["tenants"].value, endpoint)
        finally:
            stack.destroy(color="never", on_output=print, remove=True)


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
