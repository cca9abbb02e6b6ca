"""components/tokens.py against the SDKs: each provider token is the one the installed SDK's class registers.

A token retyped wrong would make a policy, a risk rule or the runner look for resources that never exist, and every
test that uses the same constant would still pass. The SDK's generated `_internal_init` passes the token literally
(pulumi-minio, pulumi-kubernetes and pulumi-random at the versions requirements.txt pins).
"""

from __future__ import annotations

import inspect
import re

import pulumi_kubernetes as k8s
import pulumi_minio as minio
import pulumi_random as random
import pytest

from components import tokens

SDK_CLASSES = {
    tokens.S3_BUCKET: minio.S3Bucket,
    tokens.S3_BUCKET_POLICY: minio.S3BucketPolicy,
    tokens.S3_BUCKET_ENCRYPTION: minio.S3BucketServerSideEncryption,
    tokens.S3_BUCKET_VERSIONING: minio.S3BucketVersioning,
    tokens.ILM_POLICY: minio.IlmPolicy,
    tokens.IAM_USER: minio.IamUser,
    tokens.IAM_POLICY: minio.IamPolicy,
    tokens.IAM_USER_POLICY_ATTACHMENT: minio.IamUserPolicyAttachment,
    tokens.IAM_GROUP_POLICY: minio.IamGroupPolicy,
    tokens.IAM_SERVICE_ACCOUNT: minio.IamServiceAccount,
    tokens.KMS_KEY: minio.KmsKey,
    tokens.HELM_RELEASE: k8s.helm.v3.Release,
    tokens.SECRET: k8s.core.v1.Secret,
    tokens.SERVICE: k8s.core.v1.Service,
    tokens.NAMESPACE: k8s.core.v1.Namespace,
    tokens.PERSISTENT_VOLUME: k8s.core.v1.PersistentVolume,
    tokens.PERSISTENT_VOLUME_CLAIM: k8s.core.v1.PersistentVolumeClaim,
    tokens.STORAGE_CLASS: k8s.storage.v1.StorageClass,
    tokens.JOB: k8s.batch.v1.Job,
    tokens.STATEFUL_SET: k8s.apps.v1.StatefulSet,
    tokens.DEPLOYMENT: k8s.apps.v1.Deployment,
    tokens.RANDOM_PASSWORD: random.RandomPassword,
    tokens.RANDOM_BYTES: random.RandomBytes,
}
REGISTERED = re.compile(r"super\(\w+, __self__\)\.__init__\(\s*'([^']+)'")


@pytest.mark.parametrize("token", sorted(SDK_CLASSES))
def test_provider_token_is_the_one_the_sdk_registers(token: str) -> None:
    source = inspect.getsource(SDK_CLASSES[token]._internal_init)  # type: ignore[attr-defined]
    assert REGISTERED.findall(source) == [token]


def test_custom_resource_tokens_follow_api_version_and_kind() -> None:
    # CustomResource registers kubernetes:<apiVersion>:<kind> (pulumi-kubernetes apiextensions CustomResource).
    assert tokens.SERVICE_MONITOR == "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
    assert tokens.PROMETHEUS_RULE == "kubernetes:monitoring.coreos.com/v1:PrometheusRule"


@pytest.mark.parametrize(
    ("token", "provider"), [(tokens.MINIO_PROVIDER, minio.Provider), (tokens.KUBERNETES_PROVIDER, k8s.Provider)]
)
def test_provider_token_is_pulumi_providers_and_the_package_the_sdk_registers(token: str, provider: type) -> None:
    # A ProviderResource registers its package; the engine types it pulumi:providers:<package> (sdk/python
    # lib/pulumi/resource.py ProviderResource).
    (package,) = REGISTERED.findall(inspect.getsource(provider._internal_init))  # type: ignore[attr-defined]
    assert token == f"pulumi:providers:{package}"
