"""The CrossGuard pack: each policy on hand-made resources, then the real dev/prod programs and mutations of them."""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE

from components import tokens
from components.model import readiness
from components.model.config import load_settings
from components.model.iam import TenantPlacement, policy_json, service_account_policy, service_parent_policy
from components.model.lifecycle import TEMPORARY_TAG_KEY, TEMPORARY_TAG_VALUE
from policies import engine_values, supply_chain, tenancy
from policies import matih_policies as mp
from tools.engine import (
    PROJECT_DIR,
    SECRET_MASK,
    Inventory,
    ResourceRecord,
    available_stacks,
    load_stack_config,
    project_config_values,
    project_name,
    run_stack,
)
from tools.policy_check import (
    NotApplicableError,
    PolicyConfigError,
    Violation,
    check_inventory,
    engine_props,
    load_pack_config,
    parse_pack_config,
    platform_rules,
)
from tools.stack_reference import platform_of

POLICIES = {policy.name: policy for policy in mp.POLICIES}
PRODUCTION = {"production": True, "minimumParity": 4}
TENANT_URN = "urn:pulumi:test::matih-minio::pulumi:pulumi:Stack$matih:tenancy:Tenant::acme-corp"
DIGEST = "sha256:" + "a" * 64


# --- One helper builds the SDK's own argument objects -----------------------------------------------------------


def resource(
    resource_type: str, props: dict[str, Any], name: str = "subject", *, protect: bool = False, parent: str = ""
) -> PolicyResource:
    options = PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent or None)
    urn = f"urn:pulumi:test::matih-minio::{resource_type}::{name}"
    return PolicyResource(resource_type, engine_props(props), urn, name, options, None, None, [], {})


def violations(policy_name: str, *resources: PolicyResource, config: dict[str, Any] | None = None) -> list[str]:
    """The messages one policy reports for the given resources (each one for a resource policy, all for a stack one)."""
    policy = POLICIES[policy_name]
    messages: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        messages.append(message)

    if isinstance(policy, ResourceValidationPolicy):
        for subject in resources:
            args = ResourceValidationArgs(
                subject.resource_type, subject.props, subject.urn, subject.name, subject.opts, None, config
            )
            policy.validate(args, report)
    elif isinstance(policy, StackValidationPolicy):
        policy.validate(StackValidationArgs(list(resources), config), report)
    return messages


def assert_reports(messages: list[str], *fragments: str) -> None:
    for fragment in fragments:
        assert any(fragment in message for message in messages), f"no message mentions {fragment!r}: {messages}"


# --- Compliant building blocks ----------------------------------------------------------------------------------

RELEASE: dict[str, Any] = {
    "chart": "minio",
    "version": "5.4.0",
    "values": {
        "mode": "distributed",
        "replicas": 4,
        "drivesPerNode": 4,
        "pools": 1,
        "image": {"repository": "registry.example/minio-patched", "tag": f"RELEASE.2025-10-15T17-29-55Z@{DIGEST}"},
        "existingSecret": "minio-root-credentials",
        "extraSecret": "minio-server-env",
        "rootUser": "",
        "rootPassword": "",
        "environment": {
            "MINIO_STORAGE_CLASS_STANDARD": "EC:4",
            "MINIO_STORAGE_CLASS_RRS": "EC:2",
            "MINIO_KMS_KES_ENDPOINT": "https://kes.kes.svc:7373",
            "MINIO_KMS_KES_KEY_NAME": "matih-platform",
        },
        "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
        "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule"}
        ],
        "metrics": {"serviceMonitor": {"enabled": False, "public": False}},
        # A file name, not a credential: must not trip the secret check.
        "tls": {"enabled": False, "privateKey": "tls.key", "publicCrt": "tls.crt"},
        "resources": {"requests": {"cpu": "4", "memory": "16Gi"}, "limits": {"cpu": "8", "memory": "32Gi"}},
        "users": [],
        "policies": [],
        "buckets": [],
        "svcaccts": [],
        "customCommands": [],
    },
}


def release(version: str = "5.4.0", **values: Any) -> PolicyResource:
    props = copy.deepcopy(RELEASE)
    props["version"] = version
    props["values"].update(values)
    return resource(tokens.HELM_RELEASE, props, "minio-release")


def environment(**changes: str | None) -> dict[str, str]:
    """The compliant environment with some variables changed (None removes one)."""
    merged = {**RELEASE["values"]["environment"], **changes}
    return {name: value for name, value in merged.items() if value is not None}


def bucket(name: str, *, protect: bool = True, acl: str = "private", force_destroy: bool = False) -> PolicyResource:
    return resource(
        tokens.S3_BUCKET, {"bucket": name, "acl": acl, "forceDestroy": force_destroy}, name, protect=protect
    )


def encryption(bucket_name: str, key: str = "matih-platform") -> PolicyResource:
    props = {"bucket": bucket_name, "encryptionType": "aws:kms", "kmsKeyId": key}
    return resource(tokens.S3_BUCKET_ENCRYPTION, props, f"{bucket_name}-sse")


TEMPORARY_RULE = {
    "id": "expire-temporary-objects",
    "status": "Enabled",
    "expiration": "7d",
    "tags": {TEMPORARY_TAG_KEY: TEMPORARY_TAG_VALUE},
}


def lifecycle(bucket_name: str, *rules: dict[str, Any], name: str = "") -> PolicyResource:
    props = {"bucket": bucket_name, "rules": list(rules or [TEMPORARY_RULE])}
    return resource(tokens.ILM_POLICY, props, name or f"{bucket_name}-lifecycle")


def tenant_key_document(tenant: str = "acme-corp", *, dedicated: bool = False) -> dict[str, Any]:
    # pipeline-service writes lakehouse and pipeline-outputs: listing, object and Deny statements.
    return service_account_policy("pipeline-service", TenantPlacement(tenant, dedicated), f"tenant-{tenant}")


def access_key(document: dict[str, Any] | str | None, tenant: str = "acme-corp") -> PolicyResource:
    policy = document if document is None or isinstance(document, str) else policy_json(document)
    props = {"targetUser": "matih-pipeline-service", **({"policy": policy} if policy is not None else {})}
    return resource(tokens.IAM_SERVICE_ACCOUNT, props, f"{tenant}-key", parent=TENANT_URN.replace("acme-corp", tenant))


def parent_policy(document: dict[str, Any]) -> PolicyResource:
    return resource(tokens.IAM_POLICY, {"name": "matih-spark-all-tenants", "policy": policy_json(document)})


# --- The pack itself --------------------------------------------------------------------------------------------


def test_pack_policies_are_named_described_and_levelled():
    assert len(POLICIES) == len(mp.POLICIES), "policy names must be unique"
    for policy in mp.POLICIES:
        assert policy.description and policy.enforcement_level in (
            EnforcementLevel.MANDATORY,
            EnforcementLevel.ADVISORY,
        )
    advisory = {p.name for p in mp.POLICIES if p.enforcement_level is EnforcementLevel.ADVISORY}
    assert advisory == {
        "image-provenance",
        "temporary-objects-expire",
        "pod-resources-set",
        "unknown-server-build",
        "stack-within-shard-size",
    }


def test_offline_secret_mask_matches_the_engine_runner():
    assert engine_values.OFFLINE_SECRET_MASK == SECRET_MASK


# --- no-public-access -------------------------------------------------------------------------------------------


def test_private_buckets_deny_only_policies_and_authenticated_metrics_pass():
    deny_anonymous = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": ["s3:*"], "Resource": ["*"]}]}
    bucket_policy = resource(tokens.S3_BUCKET_POLICY, {"bucket": "exports", "policy": json.dumps(deny_anonymous)})
    assert violations("no-public-access", bucket("exports"), bucket_policy, release()) == []


@pytest.mark.parametrize("acl", ["public-read", "public-read-write", "public"])
def test_public_bucket_acl_is_caught(acl):
    assert_reports(violations("no-public-access", bucket("exports", acl=acl)), f"acl '{acl}'")


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["*"]}])
def test_bucket_policy_for_anonymous_principals_is_caught(principal):
    document = {"Statement": [{"Sid": "Open", "Effect": "Allow", "Principal": principal, "Action": "s3:GetObject"}]}
    bucket_policy = resource(tokens.S3_BUCKET_POLICY, {"bucket": "exports", "policy": json.dumps(document)})
    assert_reports(violations("no-public-access", bucket_policy), "'Open' allows anonymous principals")


def test_public_metrics_are_caught_including_the_chart_default():
    assert_reports(violations("no-public-access", release(metrics={})), "serviceMonitor.public must be false")


# --- tenant-scoped-credentials ----------------------------------------------------------------------------------


def test_generated_tenant_keys_and_parent_policies_pass():
    shared, dedicated = tenant_key_document(), tenant_key_document("initech", dedicated=True)
    parent = service_parent_policy("pipeline-service")
    assert violations("tenant-scoped-credentials", access_key(shared), parent_policy(parent)) == []
    assert violations("tenant-scoped-credentials", access_key(dedicated, "initech")) == []


def retarget(old: str, new: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda document: json.loads(json.dumps(document).replace(old, new))


def with_statement(**statement: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda document: {**document, "Statement": [*document["Statement"], {"Effect": "Allow", **statement}]}


def without_list_condition(document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "Statement": [{k: v for k, v in s.items() if k != "Condition"} for s in document["Statement"]]}


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (retarget("acme-corp/", "globex/"), "belongs to tenant 'acme-corp' but grants globex's data"),
        (retarget('acme-corp/*"', 'acme*"'), "not confined to one tenant's prefix"),
        (
            with_statement(Sid="Peek", Action=["s3:GetObject"], Resource=["arn:aws:s3:::lakehouse/globex/*"]),
            "spans tenants acme-corp, globex",
        ),
        (without_list_condition, "lists the shared bucket 'lakehouse' without StringLike s3:prefix"),
        (with_statement(Sid="All", Action=["s3:*"], Resource=["arn:aws:s3:::lakehouse/acme-corp/*"]), "wildcard"),
        (with_statement(Sid="Any", Action=["s3:GetObject"], Resource=["arn:aws:s3:::*"]), "every bucket"),
        (with_statement(Sid="Admin", Action=["admin:ServerInfo"], Resource=["*"]), "no resource or tenant can scope"),
        (
            with_statement(
                Sid="Uploads", Action=["s3:ListBucketMultipartUploads"], Resource=["arn:aws:s3:::lakehouse"]
            ),
            "ListBucketMultipartUploads on the shared bucket 'lakehouse'",
        ),
        (
            with_statement(Sid="Other", Action=["s3:GetObject"], Resource=["arn:aws:s3:::someone-elses/acme-corp/*"]),
            "no catalog bucket",
        ),
    ],
)
def test_tenant_key_reaching_beyond_its_tenant_is_caught(mutate, expected):
    assert_reports(violations("tenant-scoped-credentials", access_key(mutate(tenant_key_document()))), expected)


@pytest.mark.parametrize(("document", "expected"), [(None, "no embedded policy"), ("{not json", "not valid JSON")])
def test_tenant_key_without_a_readable_policy_is_caught(document, expected):
    assert_reports(violations("tenant-scoped-credentials", access_key(document)), expected)


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Action": "*", "Resource": "arn:aws:s3:::lakehouse/*"}, "wildcard action '*'"),
        ({"Action": ["kms:CreateKey"], "Resource": ["*"]}, "'kms:createkey', which no resource or tenant can scope"),
        ({"Action": ["s3:ListBucketMultipartUploads"], "Resource": ["arn:aws:s3:::exports"]}, "shared bucket"),
    ],
)
def test_parent_policy_still_has_no_unscoped_grants(statement, expected):
    document = with_statement(Sid="Extra", **statement)(service_parent_policy("spark"))
    assert_reports(violations("tenant-scoped-credentials", parent_policy(document)), expected)


def test_parent_policy_may_list_multipart_uploads_of_a_dedicated_bucket():
    document = with_statement(
        Sid="Uploads", Action=["s3:ListBucketMultipartUploads"], Resource=["arn:aws:s3:::lakehouse-initech"]
    )(service_parent_policy("spark"))
    assert violations("tenant-scoped-credentials", parent_policy(document)) == []


def test_only_a_parent_policy_may_name_every_tenants_copy_of_a_catalog_bucket():
    """`lakehouse-*` keeps a parent the same size for any number of tenants; in a key it reaches every tenant."""
    family = {"Sid": "Family", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::lakehouse-*/*"]}
    assert (
        violations("tenant-scoped-credentials", parent_policy(with_statement(**family)(service_parent_policy("spark"))))
        == []
    )
    key_document = with_statement(**family)(tenant_key_document("initech", dedicated=True))
    assert_reports(
        violations("tenant-scoped-credentials", access_key(key_document, "initech")),
        "every tenant's copy of 'lakehouse'",
    )
    group = resource(tokens.IAM_GROUP_POLICY, {"policy": policy_json(with_statement(**family)({"Statement": []}))})
    assert_reports(violations("tenant-scoped-credentials", group), "every tenant's copy of 'lakehouse'")


@pytest.mark.parametrize("bucket", ["lakehouse-acme*", "*-initech", "lake*", "someone-elses-*"])
def test_parent_policy_wildcards_other_than_a_catalog_family_are_caught(bucket):
    document = with_statement(Sid="Wild", Action=["s3:GetObject"], Resource=[f"arn:aws:s3:::{bucket}/*"])(
        service_parent_policy("spark")
    )
    assert_reports(violations("tenant-scoped-credentials", parent_policy(document)), "every bucket")


# --- no-plaintext-secrets and no-secret-stack-outputs -----------------------------------------------------------


def test_release_with_secret_references_only_passes():
    assert violations("no-plaintext-secrets", release()) == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"rootPassword": "hunter2"}, "values.rootPassword holds a literal credential"),
        ({"rootUser": "admin"}, "values.rootUser holds a literal credential"),
        ({"existingSecret": ""}, "existingSecret is not set"),
        ({"environment": environment(MINIO_ROOT_PASSWORD="x")}, "MINIO_ROOT_PASSWORD looks like a credential"),
        ({"environment": environment(MINIO_KMS_SECRET_KEY="k:AAAA")}, "MINIO_KMS_SECRET_KEY looks like a credential"),
        ({"environment": environment(MINIO_KMS_KES_API_KEY="kes:v1:x")}, "MINIO_KMS_KES_API_KEY looks like"),
        ({"users": [{"accessKey": "console", "secretKey": "console123"}]}, "values.users[0].secretKey holds"),
        ({"oidc": {"clientSecret": "s3cr3t"}}, "values.oidc.clientSecret holds"),
    ],
)
def test_plaintext_credentials_in_helm_values_are_caught(values, expected):
    assert_reports(violations("no-plaintext-secrets", release(**values)), expected)


def test_values_unknown_at_preview_do_not_hide_the_secret_scan():
    # A fresh stack's preview: the pods' checksum of generated secrets is not known yet (an unknown object).
    preview = release(podAnnotations=UNKNOWN_OBJECT_VALUE)
    assert violations("no-plaintext-secrets", preview) == []
    leaky = release(podAnnotations=UNKNOWN_OBJECT_VALUE, rootPassword="hunter2")
    assert_reports(violations("no-plaintext-secrets", leaky), "values.rootPassword holds a literal credential")


def stack_outputs(outputs: dict[str, Any]) -> PolicyResource:
    return resource(tokens.STACK, outputs, "matih-minio-test")


def test_outputs_naming_secrets_pass():
    outputs = {"rootCredentialsSecret": "minio-root-credentials", "tenants": {"acme-corp": {"secrets": {"s": "n/s"}}}}
    assert violations("no-secret-stack-outputs", stack_outputs(outputs)) == []


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        ({"root": {"credentials": SECRET_MASK}}, "stack output root.credentials is a secret"),
        ({"minioPassword": "plain"}, "stack output minioPassword exports a credential"),
    ],
)
def test_secret_outputs_are_caught(outputs, expected):
    assert_reports(violations("no-secret-stack-outputs", stack_outputs(outputs)), expected)


def test_stack_outputs_policy_is_not_applicable_without_the_stack_resource():
    with pytest.raises(NotApplicableError):
        violations("no-secret-stack-outputs", bucket("exports"))


# --- pinned-chart-and-image and image-provenance ----------------------------------------------------------------


def test_exact_chart_version_and_digest_pinned_patched_image_pass():
    assert violations("pinned-chart-and-image", release("5.4.0"), release("5.4.1-rc.1")) == []
    assert violations("image-provenance", release()) == []


@pytest.mark.parametrize("version", ["^5.4.0", "", "5.4", "~5.4.0", "latest", ">=5.0.0"])
def test_unpinned_chart_version_is_caught(version):
    assert_reports(violations("pinned-chart-and-image", release(version)), "not an exact semantic version")


@pytest.mark.parametrize("tag", ["", "latest", f"latest@{DIGEST}"])
def test_unpinned_image_tag_is_caught(tag):
    image = {"repository": "registry.example/minio-patched", "tag": tag}
    assert_reports(violations("pinned-chart-and-image", release(image=image)), "is not pinned")


def test_community_image_without_digest_gets_both_advisories():
    image = {"repository": "quay.io/minio/minio", "tag": "RELEASE.2024-12-18T13-15-44Z"}
    messages = violations("image-provenance", release(image=image))
    assert_reports(messages, "has no digest", "community MinIO image", "CVE-2025-31489", "CVE-2026-41145")


# --- known-vulnerable-server and unknown-server-build -------------------------------------------------------------

OLD_RELEASE = "RELEASE.2024-12-18T13-15-44Z"
FIXED_RELEASE = "RELEASE.2025-10-15T17-29-55Z"
OLD_OFFICIAL_DIGEST = "sha256:1dce27c494a16bae114774f1cec295493f3613142713130c2d22dd5696be6ad3"
SHIPPED = {
    "repository": "ghcr.io/coollabsio/minio",
    "tag": f"{FIXED_RELEASE}@sha256:69b55a1c1c5dc285ce04db96689f5b2102317fc77a50680a1874ca6efd1c87f9",
}


def image_release(repository: str, tag: str) -> PolicyResource:
    return release(image={"repository": repository, "tag": tag})


def test_the_old_community_release_is_refused_naming_each_advisory_and_the_first_fixed_release():
    messages = violations("known-vulnerable-server", image_release("quay.io/minio/minio", f"{OLD_RELEASE}@{DIGEST}"))
    assert len(messages) == 1, messages
    assert_reports(
        messages,
        "GHSA-jjjj-jwhf-8rgr (CVE-2025-62506)",
        "GHSA-wg47-6jq2-q2hh (CVE-2025-31489)",
        "minio/minio#20929",
        f"first fixed in {FIXED_RELEASE}",
    )
    assert "CVE-2026-41145" not in messages[0], "no release fixes it: unknown-server-build names it, not this rule"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        # Both sides of each fixed-in release: the last affected names the advisory, the fixing release does not.
        ("RELEASE.2025-10-15T17-29-54Z", ["GHSA-jjjj-jwhf-8rgr"]),
        (FIXED_RELEASE, []),
        ("RELEASE.2025-04-03T14-56-27Z", ["GHSA-jjjj-jwhf-8rgr", "GHSA-wg47-6jq2-q2hh"]),
        ("RELEASE.2025-04-03T14-56-28Z", ["GHSA-jjjj-jwhf-8rgr"]),
        ("RELEASE.2025-02-18T16-25-54Z", ["GHSA-jjjj-jwhf-8rgr", "GHSA-wg47-6jq2-q2hh", "minio/minio#20929"]),
        ("RELEASE.2025-02-18T16-25-55Z", ["GHSA-jjjj-jwhf-8rgr", "GHSA-wg47-6jq2-q2hh"]),
        # A hotfix or CPU-variant suffix keeps its base release: the table cannot tell what the hotfix adds.
        ("RELEASE.2025-09-07T16-13-09Z.hotfix.7aa24e772", ["GHSA-jjjj-jwhf-8rgr"]),
        ("RELEASE.2025-09-07T16-13-09Z-cpuv1", ["GHSA-jjjj-jwhf-8rgr"]),
    ],
)
def test_each_advisory_is_judged_against_its_fixed_in_release(tag, expected):
    messages = violations("known-vulnerable-server", image_release("registry.example/minio", f"{tag}@{DIGEST}"))
    named = [advisory.id for advisory in supply_chain.ADVISORIES if any(advisory.id in m for m in messages)]
    assert named == expected, messages


def test_the_digest_decides_the_release_over_the_tag():
    """A retag cannot hide the old bytes: the table knows the official 2024-12-18 image by its digest."""
    messages = violations(
        "known-vulnerable-server", image_release("mirror.example/minio", f"{FIXED_RELEASE}@{OLD_OFFICIAL_DIGEST}")
    )
    assert_reports(messages, f"runs MinIO {OLD_RELEASE}", "GHSA-jjjj-jwhf-8rgr")


@pytest.mark.parametrize(
    "repository",
    ["minio/minio", "docker.io/minio/minio", "index.docker.io/minio/minio", "registry-1.docker.io/minio/minio"],
)
def test_docker_hub_minio_images_are_refused(repository):
    messages = violations("known-vulnerable-server", image_release(repository, SHIPPED["tag"]))
    assert_reports(messages, "deleted (2026-09)", "cannot be pulled")


@pytest.mark.parametrize(
    "repository",
    ["docker.io/coollabsio/minio", "coollabsio/minio", "quay.io/minio/minio", "localhost:5000/minio/minio"],
)
def test_other_registries_and_docker_hub_organisations_are_not_the_deleted_one(repository):
    messages = violations("known-vulnerable-server", image_release(repository, SHIPPED["tag"]))
    assert not [m for m in messages if "deleted" in m], messages


def test_a_stack_declares_the_fixes_its_own_build_carries():
    patched = image_release("registry.example/minio", f"{OLD_RELEASE}-matih1@{DIGEST}")
    every_fix = ["GHSA-jjjj-jwhf-8rgr", "GHSA-wg47-6jq2-q2hh", "minio/minio#20929"]
    config = {"declaredBuilds": [{"digest": DIGEST, "fixes": every_fix}]}
    assert violations("known-vulnerable-server", patched, config=config) == []
    partial = {"declaredBuilds": [{"digest": DIGEST, "fixes": every_fix[:2]}]}
    messages = violations("known-vulnerable-server", patched, config=partial)
    assert_reports(messages, "minio/minio#20929", "first fixed in RELEASE.2025-02-18T16-25-55Z")
    assert "GHSA-jjjj" not in messages[0]
    # A declaration names one digest: another build of the same tag is judged by the table alone.
    other = {"declaredBuilds": [{"digest": "sha256:" + "b" * 64, "fixes": every_fix}]}
    assert_reports(violations("known-vulnerable-server", patched, config=other), "GHSA-jjjj-jwhf-8rgr")


@pytest.mark.parametrize(
    ("entry", "expected", "allowed"),
    [
        ({"digest": "sha256:abc", "fixes": []}, "declaredBuilds[0].digest 'sha256:abc'", "sha256:<64 hex digits>"),
        (
            {"digest": DIGEST, "fixes": ["CVE-2025-62506"]},
            "declaredBuilds[0].fixes names unknown advisories ['CVE-2025-62506']",
            "known: GHSA-jjjj-jwhf-8rgr, GHSA-wg47-6jq2-q2hh",
        ),
    ],
)
def test_a_malformed_declaration_is_reported_with_its_key_and_what_is_allowed(entry, expected, allowed):
    messages = violations("known-vulnerable-server", release(image=SHIPPED), config={"declaredBuilds": [entry]})
    assert_reports(messages, f"policy config known-vulnerable-server.{expected}", allowed)


def test_an_unknown_build_is_asked_to_declare_its_fixes():
    unknown = image_release("registry.example/minio", f"{FIXED_RELEASE}@{DIGEST}")
    assert_reports(
        violations("unknown-server-build", unknown),
        "does not know (release RELEASE.2025-10-15T17-29-55Z)",
        "declaredBuilds",
    )
    declared = {"declaredBuilds": [{"digest": DIGEST, "fixes": []}]}
    assert not [m for m in violations("unknown-server-build", unknown, config=declared) if "does not know" in m]
    untagged = image_release("registry.example/minio", f"matih-build-7@{DIGEST}")
    assert_reports(violations("unknown-server-build", untagged), "does not know, nor its release")


def test_the_shipped_build_is_known_and_only_the_unfixed_advisories_are_named():
    assert violations("known-vulnerable-server", release(image=SHIPPED)) == []
    (message,) = violations("unknown-server-build", release(image=SHIPPED))
    assert_reports(
        [message],
        "GHSA-hv4r-mvr4-25vw (CVE-2026-41145)",
        "GHSA-9c4q-hq6p-c237 (CVE-2026-40344)",
        "no community release fixes",
    )
    declared = {
        "declaredBuilds": [
            {"digest": SHIPPED["tag"].split("@")[1], "fixes": ["GHSA-hv4r-mvr4-25vw", "GHSA-9c4q-hq6p-c237"]}
        ]
    }
    assert violations("unknown-server-build", release(image=SHIPPED), config=declared) == []


def test_the_advisory_table_is_well_formed():
    assert len(set(supply_chain.ADVISORY_IDS)) == len(supply_chain.ADVISORY_IDS)
    for advisory in supply_chain.ADVISORIES:
        assert advisory.fixed_in is None or supply_chain.RELEASE_TAG.fullmatch(advisory.fixed_in), advisory
        assert advisory.source.startswith("https://"), advisory
    for build in supply_chain.KNOWN_BUILDS:
        assert supply_chain.IMAGE_DIGEST.match(build.digest) and supply_chain.RELEASE_TAG.fullmatch(build.release), (
            build
        )


# --- production-durability --------------------------------------------------------------------------------------

PERSISTENT_VOLUME_SPEC = {"capacity": {"storage": "1Ti"}, "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "v"}}


def durable_resources() -> list[PolicyResource]:
    return [
        release(),
        resource(tokens.PERSISTENT_VOLUME, {"spec": PERSISTENT_VOLUME_SPEC}),
        resource(tokens.STORAGE_CLASS, {"provisioner": "ebs.csi.aws.com", "reclaimPolicy": "Retain"}),
        bucket("lakehouse", protect=True),
        resource(tokens.NAMESPACE, {"metadata": {"name": "minio"}}, protect=True),
    ]


def test_durable_production_layout_passes():
    assert violations("production-durability", *durable_resources(), config=PRODUCTION) == []


def test_durability_rules_apply_only_in_production():
    standalone = release(mode="standalone", podDisruptionBudget={"enabled": False})
    assert violations("production-durability", standalone, bucket("exports", protect=False), config={}) == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"environment": environment(MINIO_STORAGE_CLASS_STANDARD="EC:0", MINIO_STORAGE_CLASS_RRS="EC:0")}, "EC:0"),
        ({"environment": environment(MINIO_STORAGE_CLASS_STANDARD="EC:3")}, "EC:3 on erasure sets of 16 drives"),
        ({"environment": environment(MINIO_STORAGE_CLASS_STANDARD="EC:9")}, "MinIO would refuse this layout"),
        ({"environment": environment(MINIO_STORAGE_CLASS_STANDARD="four")}, "expected 'EC:<parity>'"),
        ({"environment": environment(MINIO_ERASURE_SET_DRIVE_COUNT="4")}, "exceeds half the erasure set of 4"),
        ({"environment": environment(MINIO_STORAGE_CLASS_RRS="EC:6")}, "above standard parity EC:4"),
        ({"mode": "standalone"}, "values.mode is 'standalone'"),
        ({"replicas": 2, "drivesPerNode": 8}, "at least 4 servers"),
        ({"podDisruptionBudget": {"enabled": False}}, "podDisruptionBudget.enabled must be true"),
        (
            {
                "topologySpreadConstraints": [
                    {"topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway"}
                ]
            },
            "no topologySpreadConstraint on kubernetes.io/hostname",
        ),
    ],
)
def test_fragile_production_release_is_caught(values, expected):
    assert_reports(violations("production-durability", release(**values), config=PRODUCTION), expected)


def test_parity_defaults_follow_minio_and_the_configured_minimum():
    # No explicit storage class: MinIO's default for a set of 16 is EC:4.
    default_parity = release(environment=environment(MINIO_STORAGE_CLASS_STANDARD=None, MINIO_STORAGE_CLASS_RRS=None))
    assert violations("production-durability", default_parity, config=PRODUCTION) == []
    ec3 = release(environment=environment(MINIO_STORAGE_CLASS_STANDARD="EC:3"))
    assert violations("production-durability", ec3, config={"production": True, "minimumParity": 3}) == []


def test_required_pod_anti_affinity_also_spreads_servers():
    term = {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "minio"}}}
    anti_affinity = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    spread = release(topologySpreadConstraints=[], affinity=anti_affinity)
    assert violations("production-durability", spread, config=PRODUCTION) == []


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        (resource(tokens.PERSISTENT_VOLUME, {"spec": {"local": {"path": "/data"}}}), "spec.local"),
        (resource(tokens.PERSISTENT_VOLUME, {"spec": {"hostPath": {"path": "/data"}}}), "spec.hostPath"),
        (resource(tokens.STORAGE_CLASS, {"provisioner": "ebs.csi.aws.com"}), "reclaimPolicy is 'Delete'"),
        (bucket("lakehouse", protect=False), "the bucket is not protected"),
        (bucket("lakehouse", force_destroy=True), "'lakehouse' has forceDestroy"),
        (resource(tokens.NAMESPACE, {"metadata": {"name": "minio"}}), "the namespace is not protected"),
    ],
)
def test_volatile_production_storage_is_caught(subject, expected):
    assert_reports(violations("production-durability", subject, config=PRODUCTION), expected)


def test_force_destroyable_dev_buckets_are_fine_outside_production():
    dev_bucket = bucket("exports", protect=False, force_destroy=True)
    assert violations("production-durability", dev_bucket, config={"production": False}) == []


# --- api-exposure -------------------------------------------------------------------------------------------------

TLS_ON = {"enabled": True, "certSecret": "minio-tls", "privateKey": "tls.key", "publicCrt": "tls.crt"}
INTERNAL_BALANCER = {"type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.0/8"]}


def test_in_cluster_and_tls_balancer_exposures_pass():
    for production in (False, True):
        config = {"production": production}
        assert violations("api-exposure", release(service={"type": "ClusterIP"}), config=config) == []
        assert violations("api-exposure", release(service=INTERNAL_BALANCER, tls=TLS_ON), config=config) == []
    node_port = release(service={"type": "NodePort", "nodePort": 30900})
    assert violations("api-exposure", node_port, config={"production": False}) == []


@pytest.mark.parametrize(
    ("values", "production", "expected"),
    [
        ({"service": INTERNAL_BALANCER}, False, "LoadBalancer without values.tls.enabled"),
        ({"service": {"type": "LoadBalancer"}, "tls": TLS_ON}, False, "would admit any address"),
        (
            {"service": {**INTERNAL_BALANCER, "loadBalancerSourceRanges": ["0.0.0.0/0"]}, "tls": TLS_ON},
            False,
            "would admit any address",
        ),
        ({"service": {"type": "NodePort", "nodePort": 30900}}, True, "values.service.type is NodePort"),
        ({"consoleService": {"type": "LoadBalancer"}}, False, "consoleService.type is LoadBalancer"),
        ({"ingress": {"enabled": True, "hosts": ["s3.example.com"]}}, False, "values.ingress is enabled without tls"),
    ],
)
def test_wide_open_api_is_caught(values, production, expected):
    assert_reports(violations("api-exposure", release(**values), config={"production": production}), expected)


# --- bounded-restricted-jobs and minio-waits-for-readiness ----------------------------------------------------------


def gate_job(mutate: Callable[[dict[str, Any]], None] | None = None) -> PolicyResource:
    settings = load_settings(project_config_values("prod"), "prod")
    props = {
        "metadata": readiness.job_metadata(settings, "minio-ready-0123456789ab"),
        "spec": readiness.job_spec(settings),
    }
    if mutate:
        mutate(props)
    return resource(tokens.JOB, props, "minio-ready")


def test_the_readiness_gate_is_a_bounded_restricted_job():
    assert violations("bounded-restricted-jobs", gate_job()) == []


def pod_of(props: dict[str, Any]) -> dict[str, Any]:
    return props["spec"]["template"]["spec"]


def container_of(props: dict[str, Any]) -> dict[str, Any]:
    return pod_of(props)["containers"][0]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda p: p["metadata"]["annotations"].update({"pulumi.com/skipAwait": "true"}), "pulumi.com/skipAwait"),
        (lambda p: p["spec"].update(ttlSecondsAfterFinished=60), "ttlSecondsAfterFinished"),
        (lambda p: p["spec"].pop("activeDeadlineSeconds"), "activeDeadlineSeconds is not set"),
        (lambda p: p["spec"].pop("backoffLimit"), "backoffLimit is not set"),
        (lambda p: pod_of(p)["securityContext"].pop("runAsNonRoot"), "may run as root"),
        (lambda p: pod_of(p)["securityContext"].pop("seccompProfile"), "seccompProfile"),
        (lambda p: container_of(p)["securityContext"].pop("allowPrivilegeEscalation"), "allowPrivilegeEscalation"),
        (lambda p: container_of(p)["securityContext"].update(privileged=True), "is privileged"),
        (lambda p: container_of(p)["securityContext"].update(capabilities={}), "does not drop ALL"),
        (
            lambda p: container_of(p)["securityContext"].update(capabilities={"drop": ["ALL"], "add": ["SYS_ADMIN"]}),
            "adds capabilities ['SYS_ADMIN']",
        ),
        (lambda p: pod_of(p).update(hostNetwork=True), "sets hostNetwork"),
        (lambda p: pod_of(p).update(volumes=[{"name": "node", "hostPath": {"path": "/"}}]), "'node' is a hostPath"),
    ],
)
def test_unbounded_or_unrestricted_jobs_are_caught(mutate, expected):
    assert_reports(violations("bounded-restricted-jobs", gate_job(mutate)), expected)


def test_the_minio_provider_must_wait_for_a_readiness_job():
    gate = gate_job()
    waiting = resource(tokens.MINIO_PROVIDER, {"minioServer": "minio.minio.svc.cluster.local:9000"}, "minio-provider")
    waiting.dependencies = [gate]
    server = release()
    assert violations("minio-waits-for-readiness", server, waiting, gate) == []
    eager = resource(tokens.MINIO_PROVIDER, {"minioServer": "minio.minio.svc.cluster.local:9000"}, "minio-provider")
    eager.dependencies = [server]
    assert_reports(violations("minio-waits-for-readiness", server, eager, gate), "does not depend on a readiness Job")
    # A tenant shard deploys no server: it reaches its platform's MinIO, which that stack's update waited for.
    with pytest.raises(NotApplicableError):
        violations("minio-waits-for-readiness", eager)


# --- kms-configured and bucket-default-encryption ---------------------------------------------------------------


def test_kes_passes_in_production_and_a_static_key_secret_passes_elsewhere():
    assert violations("kms-configured", release(), config={"production": True}) == []
    static = release(environment=environment(MINIO_KMS_KES_ENDPOINT=None, MINIO_KMS_KES_KEY_NAME=None))
    assert violations("kms-configured", static, config={"production": False}) == []


@pytest.mark.parametrize(
    ("values", "production", "expected"),
    [
        ({"environment": environment(MINIO_KMS_KES_ENDPOINT=None)}, True, "production needs KES"),
        ({"environment": environment(MINIO_KMS_KES_ENDPOINT=None), "extraSecret": ""}, False, "no KMS"),
        ({"environment": environment(MINIO_KMS_KES_KEY_NAME=None)}, False, "without MINIO_KMS_KES_KEY_NAME"),
    ],
)
def test_missing_or_weak_kms_is_caught(values, production, expected):
    assert_reports(violations("kms-configured", release(**values), config={"production": production}), expected)


def test_every_bucket_needs_kms_default_encryption():
    assert violations("bucket-default-encryption", bucket("exports"), encryption("exports")) == []
    messages = violations("bucket-default-encryption", bucket("exports"), bucket("backups"), encryption("exports"))
    assert messages == ["bucket 'backups' has no aws:kms default encryption"]
    keyless = violations("bucket-default-encryption", bucket("exports"), encryption("exports", key=""))
    assert_reports(keyless, "is not aws:kms with a key id", "bucket 'exports' has no aws:kms default encryption")


# --- Lifecycle --------------------------------------------------------------------------------------------------


def test_one_lifecycle_per_bucket():
    assert violations("single-lifecycle-per-bucket", lifecycle("exports"), lifecycle("backups")) == []
    second = lifecycle("exports", name="exports-more-rules")
    assert_reports(
        violations("single-lifecycle-per-bucket", lifecycle("exports"), second),
        "bucket 'exports' has 2 IlmPolicy resources (exports-lifecycle, exports-more-rules)",
    )


@pytest.mark.parametrize("bucket_name", ["lakehouse", "lakehouse-initech"])
def test_iceberg_buckets_never_expire(bucket_name):
    expire = {"id": "expire-objects", "status": "Enabled", "expiration": "30d"}
    assert_reports(violations("lakehouse-never-expires", lifecycle(bucket_name, expire)), "'expire-objects' expires")
    assert violations("lakehouse-never-expires", lifecycle(bucket_name, {**expire, "status": "Disabled"})) == []
    assert violations("lakehouse-never-expires", lifecycle("exports", expire)) == []


def test_temporary_objects_expire_outside_the_lakehouse():
    assert violations("temporary-objects-expire", bucket("exports"), lifecycle("exports"), bucket("lakehouse")) == []
    narrowed = {**TEMPORARY_RULE, "filter": "tmp/"}
    for resources in ([bucket("exports")], [bucket("exports"), lifecycle("exports", narrowed)]):
        assert_reports(violations("temporary-objects-expire", *resources), "bucket 'exports' has no lifecycle rule")


# --- chart-provisioning-disabled and pod-resources-set ----------------------------------------------------------


def test_chart_provisioning_lists_are_set_and_empty():
    assert violations("chart-provisioning-disabled", release()) == []
    props = copy.deepcopy(RELEASE)
    del props["values"]["users"]
    props["values"]["buckets"] = [{"name": "exports"}]
    messages = violations("chart-provisioning-disabled", resource(tokens.HELM_RELEASE, props))
    assert_reports(messages, "values.users is not set", "values.buckets is not empty")


def test_pod_resources_are_requested_and_limited():
    assert violations("pod-resources-set", release()) == []
    messages = violations("pod-resources-set", release(resources={"requests": {"memory": "16Gi"}}))
    assert_reports(messages, "requests.cpu", "limits.cpu", "limits.memory")


# --- Policy config files ----------------------------------------------------------------------------------------


def test_stack_config_files_parse_and_switch_production_on_only_for_prod():
    assert load_pack_config("prod").properties["production-durability"] == PRODUCTION
    assert load_pack_config("dev").properties["production-durability"]["production"] is False
    for policy in ("kms-configured", "api-exposure"):
        assert load_pack_config("prod").properties[policy]["production"] is True, policy
        assert load_pack_config("dev").properties[policy]["production"] is False, policy


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"no-such-policy": {}}, "unknown policy 'no-such-policy'"),
        ({"production-durability": {"minimumParty": 4}}, "unknown property 'minimumParty'"),
        ({"production-durability": {"production": "yes"}}, "production must be a boolean"),
        ({"production-durability": {"minimumParity": True}}, "minimumParity must be a integer"),
        ({"kms-configured": "sometimes"}, "unknown enforcementLevel"),
    ],
)
def test_bad_policy_config_fails_loudly(document, expected):
    with pytest.raises(PolicyConfigError, match=expected):
        parse_pack_config(document)


# --- The real program, and mutations of it ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def inventories() -> dict[str, Inventory]:
    return {stack: run_stack(stack) for stack in ("dev", "prod")}


def check(inventory: Inventory) -> list[Violation]:
    return check_inventory(inventory, load_pack_config(inventory.stack))


def describe(violation: Violation) -> str:
    return f"{violation.policy}: {violation.name}: {violation.message}"


def mandatory(found: list[Violation]) -> list[str]:
    return [describe(v) for v in found if v.mandatory]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_real_program_has_no_mandatory_violation(inventories, stack):
    assert mandatory(check(inventories[stack])) == []


def test_the_shard_as_committed_has_no_mandatory_violation_under_its_own_config():
    # What `make policy-check STACK=prod-tenants-1` and the shard's PR preview run: its config with prod's rules.
    assert mandatory(check(run_stack("prod-tenants-1"))) == []


Mutation = Callable[[Inventory], None]


def mutated(inventory: Inventory, mutation: Mutation) -> Inventory:
    copied = copy.deepcopy(inventory)
    mutation(copied)
    return copied


def set_input(name: str, key: str, value: Any) -> Mutation:
    return lambda inventory: inventory.named(name).inputs.__setitem__(key, value)


def set_values(**values: Any) -> Mutation:
    return lambda inventory: inventory.named("minio-release").inputs["values"].update(values)


def set_environment(**variables: str) -> Mutation:
    return lambda inventory: inventory.named("minio-release").inputs["values"]["environment"].update(variables)


def rewrite_policy(name: str, old: str, new: str) -> Mutation:
    def mutation(inventory: Inventory) -> None:
        record = inventory.named(name)
        assert old in record.inputs["policy"]
        record.inputs["policy"] = record.inputs["policy"].replace(old, new)

    return mutation


def copy_resource(name: str, new_name: str) -> Mutation:
    """Declare a second resource like `name`, next to it."""

    def mutation(inventory: Inventory) -> None:
        original = inventory.named(name)
        urn = original.urn.removesuffix(f"::{name}") + f"::{new_name}"
        inventory.resources.append(dataclasses.replace(original, name=new_name, urn=urn))

    return mutation


def add_local_volume(inventory: Inventory) -> None:
    """A node-local PersistentVolume in the cluster component, as the dev stack declares one."""
    cluster = inventory.named("minio")
    name = "minio-pv-storage-node-1"
    spec = {"capacity": {"storage": "1Ti"}, "local": {"path": "/var/lib/minio"}, "storageClassName": "matih-minio"}
    inventory.resources.append(
        ResourceRecord(
            type=tokens.PERSISTENT_VOLUME,
            name=name,
            urn=f"urn:pulumi:{inventory.stack}::{inventory.project}::{cluster.type}${tokens.PERSISTENT_VOLUME}::{name}",
            parent=cluster.urn,
            custom=True,
            inputs={"apiVersion": "v1", "kind": "PersistentVolume", "spec": spec},
        )
    )


MUTATIONS: list[tuple[str, str, Mutation, str, str]] = [
    ("prod", "public bucket", set_input("lakehouse", "acl", "public-read"), "no-public-access", "'public-read'"),
    (
        "prod",
        "acme-corp key on globex's prefix",
        rewrite_policy("acme-corp-ml-service-access-key", "/acme-corp/", "/globex/"),
        "tenant-scoped-credentials",
        "belongs to tenant 'acme-corp' but grants globex",
    ),
    (
        "dev",
        "acme* wildcard prefix",
        rewrite_policy("acme-corp-spark-access-key", "acme-corp/*", "acme*"),
        "tenant-scoped-credentials",
        "not confined to one tenant's prefix",
    ),
    (
        "prod",
        "plaintext root password",
        set_values(rootPassword="hunter2"),
        "no-plaintext-secrets",
        "values.rootPassword holds a literal credential",
    ),
    (
        "prod",
        "erasure coding off",
        set_environment(MINIO_STORAGE_CLASS_STANDARD="EC:0", MINIO_STORAGE_CLASS_RRS="EC:0"),
        "production-durability",
        "EC:0",
    ),
    ("prod", "standalone mode", set_values(mode="standalone"), "production-durability", "'standalone'"),
    (
        "prod",
        "local persistent volume",
        add_local_volume,
        "production-durability",
        "spec.local",
    ),
    (
        "dev",
        "caret chart version",
        set_input("minio-release", "version", "^5.4.0"),
        "pinned-chart-and-image",
        "'^5.4.0'",
    ),
    ("prod", "no chart version", set_input("minio-release", "version", ""), "pinned-chart-and-image", "exact semantic"),
    (
        "prod",
        "force-destroyable bucket",
        set_input("lakehouse", "forceDestroy", True),
        "production-durability",
        "'lakehouse' has forceDestroy",
    ),
    (
        "prod",
        "S3 API on a NodePort",
        set_values(service={"type": "NodePort", "nodePort": 30900}),
        "api-exposure",
        "values.service.type is NodePort",
    ),
    (
        "dev",
        "gate not awaited",
        lambda inventory: (
            inventory.named("minio-ready").inputs["metadata"].update(annotations={"pulumi.com/skipAwait": "true"})
        ),
        "bounded-restricted-jobs",
        "pulumi.com/skipAwait",
    ),
    (
        "prod",
        "provider not gated",
        lambda inventory: inventory.named("minio-minio-provider").options.update(dependsOn=[]),
        "minio-waits-for-readiness",
        "does not depend on a readiness Job",
    ),
    (
        "prod",
        "the old community release",
        set_values(image={"repository": "quay.io/minio/minio", "tag": f"{OLD_RELEASE}@{OLD_OFFICIAL_DIGEST}"}),
        "known-vulnerable-server",
        f"first fixed in {FIXED_RELEASE}",
    ),
    (
        "prod",
        "a Docker Hub minio image",
        set_values(image={"repository": "minio/minio", "tag": SHIPPED["tag"]}),
        "known-vulnerable-server",
        "cannot be pulled",
    ),
    (
        "prod",
        "second lifecycle policy",
        copy_resource("exports-lifecycle", "exports-lifecycle-again"),
        "single-lifecycle-per-bucket",
        "bucket 'exports' has 2 IlmPolicy resources",
    ),
]


@pytest.mark.parametrize(
    ("stack", "mutation", "policy", "expected"),
    [
        pytest.param(stack, mutation, policy, expected, id=label)
        for stack, label, mutation, policy, expected in MUTATIONS
    ],
)
def test_mutated_real_plan_is_caught_by_the_right_policy(inventories, stack, mutation, policy, expected):
    # Only what the mutation adds counts: the assertion names the one policy that must catch it.
    baseline = set(mandatory(check(inventories[stack])))
    new = [v for v in check(mutated(inventories[stack], mutation)) if v.mandatory and describe(v) not in baseline]
    assert {v.policy for v in new} == {policy}, mandatory(new)
    assert_reports([v.message for v in new], expected)


def test_the_old_release_is_only_advisory_in_dev(inventories):
    old = set_values(image={"repository": "quay.io/minio/minio", "tag": f"{OLD_RELEASE}@{OLD_OFFICIAL_DIGEST}"})
    found = [v for v in check(mutated(inventories["dev"], old)) if v.policy == "known-vulnerable-server"]
    assert found and all(v.level is EnforcementLevel.ADVISORY for v in found)
    assert_reports([v.message for v in found], "GHSA-jjjj-jwhf-8rgr")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_both_stacks_ship_a_server_with_the_2025_fixes(inventories, stack):
    assert [v for v in check(inventories[stack]) if v.policy == "known-vulnerable-server"] == []
    unknown = [v.message for v in check(inventories[stack]) if v.policy == "unknown-server-build"]
    assert not [m for m in unknown if "does not know" in m], unknown


def test_policy_levels_can_be_overridden_by_config(inventories):
    inventory = mutated(inventories["prod"], set_values(mode="standalone"))
    config = parse_pack_config({"production-durability": {"enforcementLevel": "advisory", **PRODUCTION}})
    durability = [v for v in check_inventory(inventory, config) if v.policy == "production-durability"]
    assert durability and all(v.level is EnforcementLevel.ADVISORY for v in durability)


# --- The command line -------------------------------------------------------------------------------------------


def run_policy_check(plan: Inventory, tmp_path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan.to_json()))
    command = [sys.executable, "-m", "tools.policy_check", "--plan", str(path)]
    return subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120, check=False)


def test_command_line_passes_the_real_prod_plan(inventories, tmp_path):
    result = run_policy_check(inventories["prod"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 mandatory" in result.stdout


def test_command_line_fails_a_mutated_plan(inventories, tmp_path):
    result = run_policy_check(mutated(inventories["prod"], set_input("lakehouse", "acl", "public-read")), tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[mandatory] no-public-access: lakehouse" in result.stdout


def test_command_line_rejects_a_plan_without_policy_config(inventories, tmp_path):
    plan = copy.deepcopy(inventories["dev"])
    plan.stack = "staging"
    result = run_policy_check(plan, tmp_path)
    assert result.returncode == 2 and "config.staging.json" in result.stderr


# --- What the engine hands each kind of policy ------------------------------------------------------------------
# Resource policies see a resource's inputs; stack policies its outputs: pulumi v3.259.0
# pkg/resource/deploy/step_generator.go `AnalyzeResources` (`Properties: v.Outputs`), and for a component the
# outputs it registered (step_executor.go `executeRegisterResourceOutputs`).


def _seen_by(policy: Policy, inventory: Inventory) -> dict[str, dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    original = policy.validate

    def recording(args: Any, report: Any) -> None:
        if isinstance(args, StackValidationArgs):
            seen.update({r.urn: dict(r.props) for r in args.resources})
        else:
            seen[args.urn] = dict(args.props)

    policy.validate = recording  # type: ignore[method-assign]
    try:
        check_inventory(inventory, parse_pack_config({}), [policy])
    finally:
        policy.validate = original  # type: ignore[method-assign]
    return seen


def test_stack_policies_see_outputs_and_resource_policies_inputs(inventories):
    inventory = inventories["prod"]
    stack_policy = StackValidationPolicy(name="probe-stack", description="d", validate=lambda args, report: None)
    resource_policy = ResourceValidationPolicy(name="probe-resource", description="d", validate=lambda a, r: None)
    as_stack, as_resource = _seen_by(stack_policy, inventory), _seen_by(resource_policy, inventory)
    [key] = [r for r in inventory.of_type("minio:index/iamServiceAccount:IamServiceAccount")][:1]
    # The access key is computed by the provider: an output, never an input.
    assert "accessKey" in as_stack[key.urn] and "accessKey" not in as_resource[key.urn]
    [tenant] = [r for r in inventory.of_type(tokens.TENANT) if r.name == "initech"]
    assert as_resource[tenant.urn] == engine_props(tenant.inputs)
    assert as_stack[tenant.urn] == engine_props(tenant.outputs) != {}


@pytest.mark.parametrize("stack", ["dev", "prod", "prod-tenants-1"])
def test_every_component_registers_the_outputs_its_stack_policies_read(stack):
    inventory = run_stack(stack)
    components = [r for r in inventory if not r.custom]
    assert components
    for record in components:
        assert record.outputs, f"{record.type} {record.name} registers no outputs"
    for tenant in inventory.of_type(tokens.TENANT):
        assert tenant.outputs["state"] in tenancy.TENANT_STATES
        assert tenant.outputs["isolation"] in ("prefix", "bucket")


# --- A shard holds its platform's production rules ---------------------------------------------------------------


def _shards() -> list[tuple[str, str]]:
    shards = []
    for stack in available_stacks():
        platform = platform_of(load_stack_config(stack), project_name())
        if platform is not None:
            shards.append((stack, platform))
    return shards


def test_there_are_shards_to_check():
    assert ("prod-tenants-1", "prod") in _shards()


@pytest.mark.parametrize(("shard", "platform"), _shards())
def test_every_shard_switches_on_every_rule_its_platform_does(shard, platform):
    shard_config, platform_config = load_pack_config(shard), load_pack_config(platform)
    required = platform_rules(platform_config)
    assert required  # prod switches production rules on: the comparison is not vacuous
    for policy, properties in required.items():
        assert {k: shard_config.properties.get(policy, {}).get(k) for k in properties} == properties, policy


def test_a_shard_config_missing_a_platform_rule_is_refused(tmp_path):
    for name in ("config.prod.json", "config.prod-tenants-1.json"):
        (tmp_path / name).write_text((PROJECT_DIR / "policies" / name).read_text())
    shard = json.loads((tmp_path / "config.prod-tenants-1.json").read_text())
    del shard["api-exposure"]
    shard["production-durability"]["minimumParity"] = 2
    (tmp_path / "config.prod-tenants-1.json").write_text(json.dumps(shard))
    with pytest.raises(PolicyConfigError) as caught:
        load_pack_config("prod-tenants-1", tmp_path)
    message = str(caught.value)
    assert "api-exposure.production: got None; must be True as in config.prod.json" in message
    assert "production-durability.minimumParity: got 2; must be 4 as in config.prod.json" in message
    # The platform itself and a stack of its own (dev) are not compared with anything.
    assert load_pack_config("prod", tmp_path).properties["api-exposure"] == {"production": True}


def test_a_shard_keeps_its_own_acknowledged_purges():
    platform = parse_pack_config({"tenant-offboarding-and-purge": {"production": True, "acknowledgedPurges": ["a"]}})
    assert platform_rules(platform) == {"tenant-offboarding-and-purge": {"production": True}}


def test_a_purge_in_a_shard_needs_its_acknowledgement_as_on_the_platform():
    tenants = ["hooli", {"id": "umbrella", "isolation": "bucket", "state": "purge", "purgeAcknowledged": "umbrella"}]
    purged = run_stack("prod-tenants-1", {"tenants": tenants})
    found = mandatory(check(purged))
    assert [v for v in found if "tenant 'umbrella' is purged in production" in v], found
    acknowledged = parse_pack_config(
        {
            **json.loads((PROJECT_DIR / "policies" / "config.prod-tenants-1.json").read_text()),
            "tenant-offboarding-and-purge": {"production": True, "acknowledgedPurges": ["umbrella"]},
        }
    )
    assert [describe(v) for v in check_inventory(purged, acknowledged) if v.mandatory] == []
