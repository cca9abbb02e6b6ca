"""Day-2 round trip on a throwaway kind cluster: rotate a key and keep using the old one until it is retired,
offboard a tenant, remove it, add it back (adopt), destroy.

Needs the Pulumi CLI, kubectl, docker and a kind cluster behind the dev stack's context (`kind-matih`, i.e.
`kind create cluster --name matih`). A missing prerequisite skips, or fails when MATIH_REQUIRE_INTEGRATION=1 (CI).
Self-contained on purpose (tests/integration/test_kind_roundtrip.py is its own suite): a copy of the project, a
local state backend in a temp dir, the services' namespaces; a fresh tenant id per run, because the tenant's
buckets are retained and outlive the stack on the node's volume.

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
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tools.engine import PROJECT_DIR, load_stack_config

pytestmark = pytest.mark.integration

STACK = "dev"
CONFIG = load_stack_config(STACK)
KUBE_CONTEXT: str = CONFIG["matih-minio:kubernetes"]["context"]
NAMESPACE: str = CONFIG["matih-minio:namespace"]
SERVICE: str = CONFIG["matih-minio:releaseName"]  # the chart's S3 Service is named after the release
LOCAL_PORT = 19001
TENANT = f"day2-{uuid.uuid4().hex[:8]}"
WRITER = "pipeline-service"
PAYLOAD = b"written before the tenant left"
REVOKED_CODES = {"InvalidAccessKeyId", "AccessDenied"}


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("MATIH_REQUIRE_INTEGRATION") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _kubectl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["kubectl", "--context", KUBE_CONTEXT, *args], capture_output=True, text=True, check=check)


def _cluster_reachable() -> bool:
    try:
        return (
            subprocess.run(
                ["kubectl", "--context", KUBE_CONTEXT, "get", "--raw", "/readyz"], capture_output=True, timeout=10
            ).returncode
            == 0
        )
    except subprocess.TimeoutExpired:
        return False


@contextlib.contextmanager
def _service_namespaces() -> Iterator[None]:
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
def _port_forward() -> Iterator[str]:
    """`kubectl port-forward` to MinIO, restarted whenever it drops (pods roll during `up`)."""
    stop = threading.Event()
    command = ["kubectl", "--context", KUBE_CONTEXT, "-n", NAMESPACE, "port-forward", f"svc/{SERVICE}"]
    command.append(f"{LOCAL_PORT}:9000")

    def keep_forwarding() -> None:
        while not stop.is_set():
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while process.poll() is None and not stop.is_set():
                stop.wait(1)
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
            stop.wait(1)

    thread = threading.Thread(target=keep_forwarding, name="minio-port-forward-day2", daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{LOCAL_PORT}"
    finally:
        stop.set()
        thread.join(timeout=15)


@dataclass
class Day2Stack:
    stack: Any
    automation: Any
    endpoint: str
    outputs: dict[str, Any]

    def up(self, tenant: dict[str, Any] | None) -> None:
        """`pulumi up` with TENANT's entry (or without it)."""
        tenants = [tenant] if tenant is not None else []
        self.stack.set_config("matih-minio:tenants", self.automation.ConfigValue(json.dumps(tenants)))
        self.outputs = {k: v.value for k, v in self.stack.up(color="never", on_output=print).outputs.items()}

    def secret_ref(self) -> tuple[str, str]:
        namespace, name = self.outputs["tenants"][TENANT]["secrets"][WRITER].split("/")
        return namespace, name

    def credentials(self) -> dict[str, str]:
        namespace, name = self.secret_ref()
        secret = json.loads(_kubectl("get", "secret", name, "-n", namespace, "-o", "json").stdout)
        return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


def _s3(env: dict[str, str], endpoint: str) -> Any:
    boto3 = pytest.importorskip("boto3")
    config = pytest.importorskip("botocore.config").Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3})
    return boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        config=config,
    )


def _object(env: dict[str, str]) -> tuple[str, str]:
    return env["S3_BUCKET_PIPELINE_OUTPUTS"], env["S3_PREFIX_PIPELINE_OUTPUTS"] + "day2/kept.txt"


def _read(env: dict[str, str], endpoint: str) -> bytes:
    bucket, key = _object(env)
    return bytes(_s3(env, endpoint).get_object(Bucket=bucket, Key=key)["Body"].read())


def _assert_revoked(env: dict[str, str], endpoint: str) -> None:
    client_error = pytest.importorskip("botocore.exceptions").ClientError
    with pytest.raises(client_error) as raised:
        _read(env, endpoint)
    assert raised.value.response["Error"]["Code"] in REVOKED_CODES


@pytest.fixture(scope="module")
def day2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day2Stack]:
    _require(
        shutil.which("pulumi") is not None, "the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/"
    )
    _require(all(shutil.which(tool) for tool in ("kubectl", "docker")), "kubectl and docker (for kind) are needed")
    _require(_cluster_reachable(), f"no cluster behind context {KUBE_CONTEXT!r} (kind create cluster --name matih)")
    pytest.importorskip("boto3")
    automation = pytest.importorskip("pulumi.automation")

    root = tmp_path_factory.mktemp("kind-day2")
    (root / "state").mkdir()
    work_dir = root / "project"
    ignore = shutil.ignore_patterns(".git", ".venv", ".pulumi-state", "__pycache__", ".*_cache", "build", "tests")
    shutil.copytree(PROJECT_DIR, work_dir, ignore=ignore)
    (work_dir / ".venv").symlink_to(PROJECT_DIR / ".venv")
    env = {
        "PULUMI_BACKEND_URL": f"file://{root / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": uuid.uuid4().hex,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
    }
    stack = automation.create_or_select_stack(
        STACK, work_dir=str(work_dir), opts=automation.LocalWorkspaceOptions(env_vars=env)
    )
    node = _kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}").stdout.strip()
    subprocess.run(["docker", "exec", node, "mkdir", "-p", CONFIG["matih-minio:storage"]["hostPath"]], check=True)
    stack.set_config("matih-minio:storage.nodes[0]", automation.ConfigValue(node), path=True)
    with _service_namespaces(), _port_forward() as endpoint:
        stack.set_config("matih-minio:minioEndpoint", automation.ConfigValue(endpoint))
        try:
            yield Day2Stack(stack, automation, endpoint, {})
        finally:
            stack.destroy(color="never", on_output=print, remove=True)


def test_rotate_retire_offboard_remove_and_adopt(day2: Day2Stack) -> None:
    tenant: dict[str, Any] = {"id": TENANT, "isolation": "bucket"}
    day2.up(tenant)
    first = day2.credentials()
    bucket, key = _object(first)
    _s3(first, day2.endpoint).put_object(
        Bucket=bucket, Key=key, Body=PAYLOAD, ServerSideEncryption="aws:kms", SSEKMSKeyId=first["S3_SSE_KMS_KEY_ID"]
    )

    # Rotation: the Secret carries a new key; a pod still holding the old one keeps working.
    day2.up({**tenant, "keyRotation": 1})
    second = day2.credentials()
    assert second["AWS_ACCESS_KEY_ID"] != first["AWS_ACCESS_KEY_ID"]
    assert _read(first, day2.endpoint) == PAYLOAD
    assert _read(second, day2.endpoint) == PAYLOAD

    # Retire: only now does the old key stop working.
    day2.up({**tenant, "keyRotation": 1, "retirePreviousKeys": True})
    _assert_revoked(first, day2.endpoint)
    assert _read(second, day2.endpoint) == PAYLOAD

    # Offboarding revokes access in one up and deletes the tenant's Secrets.
    namespace, name = day2.secret_ref()
    day2.up({**tenant, "state": "offboarding"})
    _assert_revoked(second, day2.endpoint)
    assert _kubectl("get", "secret", name, "-n", namespace, check=False).returncode != 0

    # Removing the line only makes Pulumi forget the retained buckets and their configuration.
    day2.up(None)

    # Re-onboarding adopts the retained buckets (a plain create would fail: "bucket already exists!").
    day2.up({**tenant, "adopt": True})
    assert _read(day2.credentials(), day2.endpoint) == PAYLOAD
