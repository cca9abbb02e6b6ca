"""The readiness gate between the Helm release and the MinIO provider, as a plain Kubernetes Job manifest. Pure.

Chart 5.4.0 has no probes, so Helm's wait (and `atomic`) returns once the containers have started, while MinIO
may still be formatting drives, loading IAM or reaching KES. pulumi-kubernetes awaits a `batch/v1` Job until its
`Complete` condition and fails the resource at once on `Failed` with reason BackoffLimitExceeded or
DeadlineExceeded (pulumi-kubernetes v4.32.0, newest tag in our mirror, `provider/pkg/await/job.go`
`jobInitAwaiter`, `provider/pkg/await/checker/job/check.go` `jobComplete`), for at most the resource's create
timeout (`DefaultJobTimeoutMins` = 10 otherwise). So a Job that polls MinIO's health endpoints is a gate a real
`pulumi up` waits on, and the MinIO provider depends on it.

Decisions, each visible to the tests of this module:
- Both health endpoints (MinIO RELEASE.2024-12-18T13-15-44Z, `cmd/healthcheck-handler.go`): `/minio/health/cluster`
  answers 200 only once the object layer, bucket metadata and IAM are initialised and the pool has write quorum
  (`ClusterCheckHandler`); `/minio/health/ready` answers 200 even before the object layer exists, but fails while
  the configured KMS cannot generate a key (`ReadinessCheckHandler`). Standalone and distributed alike need both.
- The image is a curl image pinned by digest (`CURL_IMAGE`), not the server's: the official `Dockerfile.release`
  copies a static curl into /usr/bin, but the patched build we ship (ghcr.io/coollabsio/minio, its `Dockerfile`
  at ab88ac1) copies only `minio*`, `mc*` and the entrypoint onto ubi-micro, which has no curl. The pod sets a
  non-root uid: the securityContext passes the `restricted` Pod Security level (the namespace enforces
  `baseline`).
- Bounded: the script gives up after `timeout` seconds with a message naming the URL and the last status, which
  `FallbackToLogsOnError` turns into the container's termination message, which pulumi-kubernetes reports
  (`checker/pod/check.go` `containerTerminatedError`); `backoffLimit: 0` because a second pod would only repeat
  the same wait; `activeDeadlineSeconds` bounds image pull and scheduling too.
- Never `ttlSecondsAfterFinished`: Pulumi would find the Job gone and recreate it on the next `up`.
- Job specs are immutable, and the gate must run again whenever the release changes: its name carries a hash of
  the chart and values (which include the secrets' checksum), so a change replaces it (create the new one, then
  delete the old); a change of the Job's own template (e.g. the timeout) replaces it under the same name, deleting
  first (pulumi-kubernetes `provider/pkg/provider/diff.go`: `.spec.template` of a Job forces replacement).
  `pulumi.com/replaceUnready` re-runs a gate that failed in an earlier `up` although nothing
  changed (pulumi-kubernetes `provider/pkg/provider/provider.go` Diff: an unready Job is replaced). The
  `pulumi.com/skipAwait` annotation would turn the gate off; it is never set.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from components.model.chart_values import chart_values, pod_annotations
from components.model.config import Settings, in_cluster_endpoint

HEALTH_PATHS = ("/minio/health/cluster", "/minio/health/ready")
POLL_INTERVAL_SECONDS = 5
# Scheduling and pulling the image come on top of the script's own wait.
START_GRACE_SECONDS = 120
# Pulumi's own wait ends after Kubernetes' deadline, so the failure it reports is the Job's, with its message.
AWAIT_GRACE_SECONDS = 60
NON_ROOT_UID = 1000  # the uid the chart runs MinIO as (values.yaml securityContext.runAsUser)
MAX_NAME_PREFIX = 40  # + "-ready-" + 12 hex digits stays within a 63-character label (the pods' job-name label)

REPLACE_UNREADY_ANNOTATION = "pulumi.com/replaceUnready"
# curl's own image (busybox sh, date, sleep): the digest that public projects pin for tag 8.16.0 (found by the code
# index in a Kubernetes manifest, a Dockerfile FROM and CI workflows); `crane digest` it before mirroring.
CURL_IMAGE = "docker.io/curlimages/curl:8.16.0@sha256:463eaf6072688fe96ac64fa623fe73e1dbe25d8ad6c34404a669ad3ce1f104b6"

SCRIPT = """\
deadline=$(( $(date +%s) + TIMEOUT_SECONDS ))
for path in $HEALTH_PATHS; do
  url="$MINIO_URL$path"
  while :; do
    status=$(curl $CURL_TLS --silent --max-time 10 --output /dev/null --write-out '%{http_code}' "$url" || true)
    [ "$status" = 200 ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "MinIO is not healthy: $url answered HTTP $status (000: no answer) for ${TIMEOUT_SECONDS}s." \\
        "Check the MinIO pods: kubectl -n $NAMESPACE logs -l app=minio,release=$RELEASE"
      exit 1
    fi
    echo "waiting for $url (HTTP $status)"
    sleep $POLL_INTERVAL_SECONDS
  done
  echo "$url: healthy"
done
"""


def release_fingerprint(settings: Settings, secrets_checksum: str) -> str:
    """SHA-256 of everything the release deploys: chart coordinates and values (with the secrets' checksum)."""
    release = {"chart": asdict(settings.chart), "values": chart_values(settings, pod_annotations(secrets_checksum))}
    return hashlib.sha256(json.dumps(release, sort_keys=True).encode()).hexdigest()


def job_name(settings: Settings, fingerprint: str) -> str:
    return f"{settings.release_name[:MAX_NAME_PREFIX]}-ready-{fingerprint[:12]}"


def minio_url(settings: Settings) -> str:
    scheme = "https" if settings.tls.enabled else "http"
    return f"{scheme}://{in_cluster_endpoint(settings.release_name, settings.namespace)}"


def await_timeout_seconds(settings: Settings) -> int:
    """Pulumi's create timeout of the Job: longer than Kubernetes' deadline for it."""
    return job_spec(settings)["activeDeadlineSeconds"] + AWAIT_GRACE_SECONDS


def job_metadata(settings: Settings, name: Any) -> dict[str, Any]:
    """`name` is `job_name(...)`, or a deferred value resolving to it."""
    return {
        "name": name,
        "namespace": settings.namespace,
        "labels": {
            "app.kubernetes.io/part-of": "matih",
            "app.kubernetes.io/component": "readiness-gate",
            "matih.io/release": settings.release_name,
        },
        "annotations": {REPLACE_UNREADY_ANNOTATION: "true"},
    }


def job_spec(settings: Settings) -> dict[str, Any]:
    timeout = settings.helm_timeout_seconds
    environment = {
        "MINIO_URL": minio_url(settings),
        "HEALTH_PATHS": " ".join(HEALTH_PATHS),
        "TIMEOUT_SECONDS": str(timeout),
        "POLL_INTERVAL_SECONDS": str(POLL_INTERVAL_SECONDS),
        # Health endpoints are unauthenticated and the gate sends no credentials, so like the kubelet's HTTPS
        # probes it does not verify the server certificate (whose CA the pod does not have).
        "CURL_TLS": "--insecure" if settings.tls.enabled else "",
        "NAMESPACE": settings.namespace,
        "RELEASE": settings.release_name,
    }
    return {
        "backoffLimit": 0,
        "activeDeadlineSeconds": timeout + START_GRACE_SECONDS,
        "template": {
            "metadata": {"labels": {"app.kubernetes.io/component": "readiness-gate"}},
            "spec": {
                "restartPolicy": "Never",
                "automountServiceAccountToken": False,
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": NON_ROOT_UID,
                    "runAsGroup": NON_ROOT_UID,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [
                    {
                        "name": "wait-for-minio",
                        "image": CURL_IMAGE,
                        "imagePullPolicy": "IfNotPresent",
                        "command": ["/bin/sh", "-c", SCRIPT],
                        "env": [{"name": key, "value": value} for key, value in environment.items()],
                        "terminationMessagePolicy": "FallbackToLogsOnError",
                        "resources": {
                            "requests": {"cpu": "10m", "memory": "16Mi"},
                            "limits": {"cpu": "100m", "memory": "64Mi"},
                        },
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                    }
                ],
            },
        },
    }
