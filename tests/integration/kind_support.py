"""What the kind integration tests share: the README's dev path, run for real, and the services' view of MinIO.

    kind create cluster --config kind/cluster.yaml   # the workflow (helm/kind-action) or you
    export PULUMI_CONFIG_PASSPHRASE=<passphrase>
    make up STACK=dev                                # state in the project's .pulumi-state, which make creates
    # S3 at the stack's minioEndpoint (localhost:30900: kind maps MinIO's NodePort there), with the credentials
    # from a tenant's Kubernetes Secret
    pulumi destroy --stack dev

No port-forward, no namespace created by hand (the dev stack creates the services' namespaces itself), nothing run
on the node. The project is copied to a temp dir because `pulumi stack init` writes the passphrase's salt into
Pulumi.dev.yaml, and because a day-2 change edits the copy's stack file, never the repository's; the state lives in
the project's default `.pulumi-state` (in the copy, so a fresh one), as a user's does: no backend URL, no directory made
by the test. PULUMI_SKIP_CONFIRMATIONS stands in for the "yes" a person types at `pulumi up`/`destroy`'s prompt
(there is no terminal here).

Needs the Pulumi CLI, kubectl, make and the kind cluster (context kind-matih). A missing prerequisite skips the
tests, or fails them when MATIH_REQUIRE_INTEGRATION=1 (CI, where a silent skip would hide a broken setup).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.engine import PROJECT_DIR, load_stack_config

STACK = "dev"
CONFIG = load_stack_config(STACK)
KUBE_CONTEXT: str = CONFIG["matih-minio:kubernetes"]["context"]
ENDPOINT: str = CONFIG["matih-minio:minioEndpoint"]  # where the stack's own MinIO provider reaches MinIO, too
TENANTS_KEY = "matih-minio:tenants"
UP_TIMEOUT_SECONDS = 30 * 60


# --- Prerequisites and the README's commands -------------------------------------------------------------------------


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("MATIH_REQUIRE_INTEGRATION") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def kubectl(*args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    command = ["kubectl", "--context", KUBE_CONTEXT, *args]
    return subprocess.run(command, capture_output=True, text=True, check=check, timeout=timeout)


def _cluster_reachable() -> bool:
    try:
        return kubectl("get", "--raw", "/readyz", check=False, timeout=10).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def require_prerequisites() -> None:
    require(shutil.which("pulumi") is not None, "the Pulumi CLI is not installed: https://www.pulumi.com/docs/install/")
    require(all(shutil.which(tool) for tool in ("kubectl", "make")), "kubectl and make are needed")
    require(shutil.which("aws") is not None, "the AWS CLI (the README's verification step) is not installed")
    require(
        _cluster_reachable(),
        f"no cluster behind context {KUBE_CONTEXT!r} (kind create cluster --config kind/cluster.yaml)",
    )
    pytest.importorskip("boto3")


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


def secret_json(namespace: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(kubectl("get", "secret", name, "-n", namespace, "-o", "json").stdout)
    return result


def secret_exists(namespace: str, name: str) -> bool:
    return kubectl("get", "secret", name, "-n", namespace, check=False).returncode == 0


def _decoded(secret: dict[str, Any]) -> dict[str, str]:
    return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


# --- S3 as a service sees it -----------------------------------------------------------------------------------------


def s3_client(region: str, access_key: str, secret_key: str, endpoint: str = ENDPOINT) -> Any:
    boto3 = pytest.importorskip("boto3")
    config = pytest.importorskip("botocore.config").Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5})
    return boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=config,
    )


def error_code(call: Callable[[], object]) -> str:
    """The S3 error code of a request that must fail."""
    client_error = pytest.importorskip("botocore.exceptions").ClientError
    with pytest.raises(client_error) as raised:
        call()
    return str(raised.value.response["Error"]["Code"])


@dataclass(frozen=True)
class ServiceAccess:
    """One tenant's credentials for one service, exactly as the service reads them from its Secret."""

    env: dict[str, str]
    s3: Any
    secret_uid: str  # the Secret object the credentials came from

    @classmethod
    def from_secret(cls, namespace: str, name: str, endpoint: str = ENDPOINT) -> ServiceAccess:
        secret = secret_json(namespace, name)
        env = _decoded(secret)
        client = s3_client(env["AWS_REGION"], env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], endpoint)
        return cls(env, client, secret["metadata"]["uid"])

    @property
    def access_key(self) -> str:
        return self.env["AWS_ACCESS_KEY_ID"]

    def prefix(self, bucket: str) -> tuple[str, str]:
        """(bucket name, key prefix) of the tenant's share of a catalog bucket."""
        suffix = bucket.upper().replace("-", "_")
        return self.env[f"S3_BUCKET_{suffix}"], self.env[f"S3_PREFIX_{suffix}"]

    def location(self, bucket: str, name: str) -> tuple[str, str]:
        bucket_name, prefix = self.prefix(bucket)
        return bucket_name, prefix + name

    def put(self, bucket: str, key: str, body: bytes) -> None:
        kms_key = self.env.get("S3_SSE_KMS_KEY_ID")
        encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key} if kms_key else {}
        self.s3.put_object(Bucket=bucket, Key=key, Body=body, **encryption)

    def get(self, bucket: str, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())


# --- The dev stack in a temp copy of the project ---------------------------------------------------------------------


@dataclass
class DevStack:
    project: Path
    env: dict[str, str]
    outputs: dict[str, Any] = field(default_factory=dict)

    def pulumi(self, *args: str) -> str:
        return _run(["pulumi", *args, "--stack", STACK], self.project, self.env)

    def up(self) -> None:
        """`make up STACK=dev`, as the README says, then the stack's outputs."""
        _run(["make", "up", f"STACK={STACK}"], self.project, self.env)
        self.outputs = json.loads(self.pulumi("stack", "output", "--json"))

    def destroy(self) -> None:
        self.pulumi("destroy", "--yes")

    def run_readme_verification(self) -> str:
        """The README's verification commands, as a user pastes them into bash in the project directory."""
        script = "set -euo pipefail\n" + readme_verification_script()
        return _run(["bash", "-c", script], self.project, self.env, timeout=300)

    def last_update_changes(self) -> dict[str, int]:
        """Resource operations of the latest update by kind ("create", "import", ...); the diy backend lists the
        newest first (pulumi v3.259.0 pkg/backend/diy/state.go getHistory; we pin 3.272)."""
        latest = json.loads(self.pulumi("stack", "history", "--json", "--page-size", "1"))[0]
        changes: dict[str, int] = latest["resourceChanges"]
        return changes

    def resources(self) -> list[dict[str, Any]]:
        resources: list[dict[str, Any]] = json.loads(self.pulumi("stack", "export"))["deployment"].get("resources")
        return resources or []

    def set_tenants(self, tenants: list[Any]) -> None:
        """Replace `matih-minio:tenants` in the copy's stack file (which also holds the salt `stack init` wrote)."""
        path = self.project / f"Pulumi.{STACK}.yaml"
        document = yaml.safe_load(path.read_text())
        document["config"][TENANTS_KEY] = tenants
        path.write_text(yaml.safe_dump(document, sort_keys=False))

    def access(self, tenant: str, service: str) -> ServiceAccess:
        """A service's view of a tenant, read from the Secret the stack's `tenants` output points to."""
        namespace, name = self.secret_ref(tenant, service)
        return ServiceAccess.from_secret(namespace, name)

    def secret_ref(self, tenant: str, service: str) -> tuple[str, str]:
        namespace, name = self.outputs["tenants"][tenant]["secrets"][service].split("/")
        return namespace, name

    def root_s3(self, region: str) -> Any:
        """An S3 client with MinIO's root credentials, from the Secret the chart reads them from."""
        secret = _decoded(secret_json(self.outputs["namespace"], self.outputs["rootCredentialsSecret"]))
        return s3_client(region, secret["rootUser"], secret["rootPassword"])


DEV_SECTION = "### dev on kind, from zero"


def readme_dev_commands(readme: Path = PROJECT_DIR / "README.md") -> list[str]:
    """The command lines of the README's dev path (its first bash block), comments dropped."""
    section = readme.read_text().split(DEV_SECTION, 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    lines = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    return [line.split("  #", 1)[0].rstrip() for line in lines]


def readme_verification_script(readme: Path = PROJECT_DIR / "README.md") -> str:
    """The README's verification step: every command between `make up STACK=dev` and `pulumi destroy`."""
    commands = readme_dev_commands(readme)
    start = commands.index(f"make up STACK={STACK}") + 1
    end = next(i for i, command in enumerate(commands) if command.startswith("pulumi destroy"))
    return "\n".join(commands[start:end])


# What the README's dev path has a user set, and the one stand-in for a person at the prompt.
README_VARIABLES = {"PULUMI_CONFIG_PASSPHRASE"}
PROMPT_STAND_IN = {"PULUMI_SKIP_CONFIRMATIONS": "true"}


def readme_environment(inherited: dict[str, str]) -> dict[str, str]:
    """The environment of the README's dev path: the caller's, without a backend URL of its own (the Makefile's
    default, the project's .pulumi-state, is the README's), plus what the README has a user export."""
    env = {key: value for key, value in inherited.items() if key != "PULUMI_BACKEND_URL"}
    return {**env, "PULUMI_CONFIG_PASSPHRASE": uuid.uuid4().hex, **PROMPT_STAND_IN}


@contextlib.contextmanager
def deployed_dev_stack(root: Path) -> Iterator[DevStack]:
    """The dev stack after `make up STACK=dev`, destroyed on exit; `root` is an empty temp dir."""
    require_prerequisites()
    stack = DevStack(_project_copy(root / "project"), readme_environment(dict(os.environ)))
    try:
        stack.up()
        yield stack
    finally:
        stack.destroy()
