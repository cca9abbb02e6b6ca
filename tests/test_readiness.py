"""The readiness gate and the secrets checksum, pure: every decision of components/model/readiness.py and
chart_values."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest

from components.model import readiness
from components.model.chart_values import SECRETS_CHECKSUM_ANNOTATION, chart_values, pod_annotations, secrets_checksum
from components.model.config import Settings, load_settings
from tools.engine import project_config_values

KUBERNETES_VERSION = "1.31.0"
CHECKSUM = "0" * 64


@pytest.fixture(scope="module")
def dev() -> Settings:
    return load_settings(project_config_values("dev"), "dev")


@pytest.fixture(scope="module")
def prod() -> Settings:
    return load_settings(project_config_values("prod"), "prod")


def job(settings: Settings, checksum: str = CHECKSUM) -> dict:
    name = readiness.job_name(settings, readiness.release_fingerprint(settings, checksum))
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": readiness.job_metadata(settings, name),
        "spec": readiness.job_spec(settings),
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_job_is_a_valid_kubernetes_object(stack, request):
    kubernetes_validate.validate(job(request.getfixturevalue(stack)), KUBERNETES_VERSION, strict=True)


def test_the_pod_meets_the_restricted_pod_security_level(prod):
    # https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted, field by field.
    pod = readiness.job_spec(prod)["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0, "the MinIO image runs as root unless told otherwise"
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["readOnlyRootFilesystem"] is True
    assert not any(key in pod for key in ("hostNetwork", "hostPID", "hostIPC", "volumes"))
    assert pod["automountServiceAccountToken"] is False, "it talks to MinIO, not to the Kubernetes API"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_it_runs_a_curl_image_pinned_by_digest_not_the_server_image(stack, request):
    """The patched server build we ship (ghcr.io/coollabsio/minio, its Dockerfile copies only minio*, mc* and the
    entrypoint onto ubi-micro) has no curl, unlike the official `Dockerfile.release`; the gate must not depend on
    what a server build happens to carry."""
    settings = request.getfixturevalue(stack)
    (container,) = readiness.job_spec(settings)["template"]["spec"]["containers"]
    repository, _, digest = container["image"].partition("@")
    assert repository.split(":")[0].endswith("/curl"), container["image"]
    assert len(digest) == len("sha256:") + 64 and digest.startswith("sha256:"), container["image"]
    assert settings.image.repository not in container["image"]


def test_it_is_bounded_never_retried_and_never_garbage_collected(dev):
    spec = readiness.job_spec(dev)
    assert spec["backoffLimit"] == 0
    assert spec["activeDeadlineSeconds"] > dev.helm_timeout_seconds, "pull and scheduling come on top"
    assert "ttlSecondsAfterFinished" not in spec, "Pulumi would see the Job vanish and recreate it"
    assert readiness.await_timeout_seconds(dev) > spec["activeDeadlineSeconds"], "Kubernetes' failure comes first"
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    (container,) = spec["template"]["spec"]["containers"]
    assert container["terminationMessagePolicy"] == "FallbackToLogsOnError", "Pulumi reports the script's last words"


def test_pulumi_awaits_it_and_reruns_a_failed_one(dev):
    annotations = readiness.job_metadata(dev, "x")["annotations"]
    assert annotations == {"pulumi.com/replaceUnready": "true"}
    assert "pulumi.com/skipAwait" not in annotations


def environment(settings: Settings) -> dict[str, str]:
    (container,) = readiness.job_spec(settings)["template"]["spec"]["containers"]
    return {item["name"]: item["value"] for item in container["env"]}


def test_it_polls_both_health_endpoints_of_the_in_cluster_service(dev, prod):
    for settings in (dev, prod):
        env = environment(settings)
        assert env["MINIO_URL"] == "http://minio.minio.svc.cluster.local:9000"
        # cluster: object layer, IAM and write quorum; ready: the KMS answers (cmd/healthcheck-handler.go).
        assert env["HEALTH_PATHS"].split() == ["/minio/health/cluster", "/minio/health/ready"]
        assert env["TIMEOUT_SECONDS"] == str(settings.helm_timeout_seconds)
        assert env["CURL_TLS"] == ""


def test_with_tls_it_speaks_https(prod):
    tls = dataclasses.replace(prod, tls=dataclasses.replace(prod.tls, enabled=True, cert_secret="minio-tls"))
    env = environment(tls)
    assert env["MINIO_URL"] == "https://minio.minio.svc.cluster.local:9000"
    assert env["CURL_TLS"] == "--insecure"


def test_its_name_is_a_label_that_changes_with_the_release(dev, prod):
    names = {
        "dev": job(dev)["metadata"]["name"],
        "prod": job(prod)["metadata"]["name"],
        "rotated secret": job(prod, "1" * 64)["metadata"]["name"],
        "other chart": job(dataclasses.replace(prod, chart=dataclasses.replace(prod.chart, version="5.4.1")))[
            "metadata"
        ]["name"],
        "other values": job(dataclasses.replace(prod, region="eu-west-1"))["metadata"]["name"],
    }
    assert len(set(names.values())) == len(names), names
    assert job(prod)["metadata"]["name"] == names["prod"], "the same release keeps its gate"
    long_release = dataclasses.replace(prod, release_name="r" * 53)
    name = job(long_release)["metadata"]["name"]
    assert len(name) <= 63 and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name)


def test_the_fingerprint_covers_the_values_the_release_gets(prod):
    values = chart_values(prod, pod_annotations(CHECKSUM))
    assert values["podAnnotations"] == {SECRETS_CHECKSUM_ANNOTATION: CHECKSUM}
    assert readiness.release_fingerprint(prod, CHECKSUM) != readiness.release_fingerprint(prod, "f" * 64)


# --- The script itself, run with a stand-in curl ------------------------------------------------------------------

MINIO_URL = "http://minio.minio.svc.cluster.local:9000"


def run_script(tmp_path: Path, curl_body: str, timeout: int) -> subprocess.CompletedProcess[str]:
    """Run the gate's script with a `curl` that records each URL in `calls` and prints what `curl_body` prints
    (curl's --write-out of the HTTP status)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    curl = bin_dir / "curl"
    curl.write_text(f'#!/bin/sh\nfor a; do url="$a"; done\necho "$url" >> {tmp_path}/calls\n{curl_body}\n')
    curl.chmod(0o755)
    for tool in ("date", "sleep", "cat", "wc"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    env = {
        "PATH": str(bin_dir),
        "MINIO_URL": MINIO_URL,
        "HEALTH_PATHS": " ".join(readiness.HEALTH_PATHS),
        "TIMEOUT_SECONDS": str(timeout),
        "POLL_INTERVAL_SECONDS": "0",
        "CURL_TLS": "",
        "NAMESPACE": "minio",
        "RELEASE": "minio",
    }
    sh = shutil.which("sh")
    assert sh is not None
    return subprocess.run([sh, "-c", readiness.SCRIPT], env=env, capture_output=True, text=True, timeout=30)


def test_script_succeeds_once_both_endpoints_answer_200(tmp_path):
    result = run_script(tmp_path, "printf 200", timeout=5)
    assert result.returncode == 0, result.stdout + result.stderr
    calls = (tmp_path / "calls").read_text().split()
    assert calls == [f"{MINIO_URL}{path}" for path in readiness.HEALTH_PATHS]


def test_script_waits_while_minio_is_starting(tmp_path):
    # 503 for the first two calls, then 200.
    body = f'if [ "$(cat {tmp_path}/calls | wc -l)" -le 2 ]; then printf 503; else printf 200; fi'
    result = run_script(tmp_path, body, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(f"waiting for {MINIO_URL}/minio/health/cluster (HTTP 503)") == 2
    assert f"{MINIO_URL}/minio/health/ready: healthy" in result.stdout


def test_script_gives_up_with_a_message_naming_the_url_and_status(tmp_path):
    result = run_script(tmp_path, "printf 503", timeout=0)
    assert result.returncode == 1
    last_line = result.stdout.strip().splitlines()[-1]
    assert f"MinIO is not healthy: {MINIO_URL}/minio/health/cluster answered HTTP 503" in last_line
    assert "kubectl -n minio logs -l app=minio,release=minio" in last_line


def test_script_reports_no_answer_when_curl_fails(tmp_path):
    # curl prints 000 for its --write-out and exits non-zero when nothing answers.
    result = run_script(tmp_path, "printf 000; exit 7", timeout=0)
    assert result.returncode == 1
    assert "answered HTTP 000 (000: no answer)" in result.stdout


# --- The secrets checksum -----------------------------------------------------------------------------------------


def test_the_checksum_changes_with_any_secret_value_and_reveals_none():
    before = {"minio-root-credentials": {"rootUser": "u" * 20, "rootPassword": "p" * 40}}
    rotated = {"minio-root-credentials": {"rootUser": "u" * 20, "rootPassword": "q" + "p" * 39}}
    with_env = {**before, "minio-server-env": {"config.env": "MINIO_KMS_SECRET_KEY=k:abc\n"}}
    checksums = {secrets_checksum(before), secrets_checksum(rotated), secrets_checksum(with_env)}
    assert len(checksums) == 3
    assert all(re.fullmatch(r"[0-9a-f]{64}", c) for c in checksums)
    assert all("p" * 8 not in c for c in checksums)
    reordered = {"minio-root-credentials": {"rootPassword": "p" * 40, "rootUser": "u" * 20}}
    assert secrets_checksum(reordered) == secrets_checksum(before), "key order is not content"


def test_a_release_option_that_redeploys_nothing_keeps_the_gate(prod):
    # helm's timeout is no value of the chart: the pods stay as they are, so the gate need not run again.
    assert job(dataclasses.replace(prod, helm_timeout_seconds=600))["metadata"]["name"] == job(prod)["metadata"]["name"]
