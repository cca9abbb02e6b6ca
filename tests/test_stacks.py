"""The real program for both stacks under the mock engine: what it declares, and what it must never declare."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from components.catalog import BUCKET_NAMES, SERVICE_IDS, grants_of
from tools.engine import PROJECT_DIR, SECRET_MASK, Inventory, ProgramError, ResourceRecord, run_stack

RELEASE = "kubernetes:helm.sh/v3:Release"
PV = "kubernetes:core/v1:PersistentVolume"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
SECRET = "kubernetes:core/v1:Secret"
BUCKET = "minio:index/s3Bucket:S3Bucket"
SERVICE_ACCOUNT = "minio:index/iamServiceAccount:IamServiceAccount"
KMS_KEY = "minio:index/kmsKey:KmsKey"


def release_values(inventory: Inventory) -> dict:
    (release,) = inventory.of_type(RELEASE)
    return release.inputs["values"]


def declared(inventory: Inventory) -> list[ResourceRecord]:
    """Resources created by the program (reads of existing objects excluded)."""
    return [r for r in inventory if "readId" not in r.options]


def test_dev_claims_its_drive_from_kinds_provisioner_outside_the_release(dev_inventory):
    assert dev_inventory.of_type(PV) == [] and dev_inventory.of_type(STORAGE_CLASS) == []
    (claim,) = dev_inventory.of_type(PVC)
    spec = claim.inputs["spec"]
    assert spec["storageClassName"] == "standard", "kind's local-path class creates the directory on the node"
    assert spec["resources"] == {"requests": {"storage": "20Gi"}}
    assert "volumeName" not in spec
    assert release_values(dev_inventory)["persistence"] == {
        "enabled": True,
        "existingClaim": claim.inputs["metadata"]["name"],
    }
    (release,) = dev_inventory.of_type(RELEASE)
    assert claim.urn in release.options["dependsOn"]


def test_a_local_standalone_claim_is_bound_to_its_volume_by_name():
    local = {"kind": "local", "sizePerDrive": "20Gi", "nodes": ["node-a"], "hostPath": "/var/lib/matih/minio"}
    inventory = run_stack("dev", {"storage": local})
    (volume,) = inventory.of_type(PV)
    spec = volume.inputs["spec"]
    assert spec["local"] == {"path": "/var/lib/matih/minio"}
    assert spec["persistentVolumeReclaimPolicy"] == "Retain"
    terms = spec["nodeAffinity"]["required"]["nodeSelectorTerms"]
    assert terms[0]["matchExpressions"][0]["values"] == ["node-a"]
    (storage_class,) = inventory.of_type(STORAGE_CLASS)
    assert storage_class.inputs["provisioner"] == "kubernetes.io/no-provisioner"
    assert storage_class.inputs["volumeBindingMode"] == "WaitForFirstConsumer"
    (claim,) = inventory.of_type(PVC)
    assert claim.inputs["spec"]["volumeName"] == volume.inputs["metadata"]["name"]
    assert (
        claim.inputs["spec"]["storageClassName"] == spec["storageClassName"] == storage_class.inputs["metadata"]["name"]
    )
    # Pre-bound, it may be Bound before pulumi-kubernetes' first look (which waits for Pending under WFFC).
    assert claim.inputs["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
    assert volume.urn in claim.options["dependsOn"]


def test_prod_uses_cloud_block_storage_and_no_host_volumes(prod_inventory):
    assert prod_inventory.of_type(PV) == []
    (storage_class,) = prod_inventory.of_type(STORAGE_CLASS)
    assert storage_class.inputs["provisioner"] == "ebs.csi.aws.com"
    assert storage_class.inputs["parameters"]["type"] == "gp3"
    assert storage_class.inputs["reclaimPolicy"] == "Retain"
    assert storage_class.inputs["allowVolumeExpansion"] is True
    assert "hostPath" not in json.dumps(prod_inventory.to_json())


def test_dev_release_is_standalone_with_a_static_key(dev_inventory):
    values = release_values(dev_inventory)
    assert values["mode"] == "standalone"
    assert "replicas" not in values and "drivesPerNode" not in values
    assert "MINIO_STORAGE_CLASS_STANDARD" not in values["environment"]
    assert values["environment"]["MINIO_KMS_AUTO_ENCRYPTION"] == "on"
    assert values["extraSecret"] == "minio-server-env"


def test_prod_release_layout_parity_and_kes(prod_inventory):
    values = release_values(prod_inventory)
    assert (values["mode"], values["replicas"], values["drivesPerNode"], values["pools"]) == ("distributed", 4, 4, 1)
    env = values["environment"]
    assert env["MINIO_STORAGE_CLASS_STANDARD"] == "EC:4"
    assert env["MINIO_STORAGE_CLASS_RRS"] == "EC:2"
    assert env["MINIO_KMS_KES_ENDPOINT"] == "https://kes.kes.svc.cluster.local:7373"
    assert env["MINIO_KMS_KES_KEY_NAME"] == "matih-platform"
    assert all(isinstance(v, str) for v in env.values()), "the chart renders environment values as strings"
    assert values["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1}
    hostname_spread = [c for c in values["topologySpreadConstraints"] if c["topologyKey"] == "kubernetes.io/hostname"]
    assert hostname_spread[0]["whenUnsatisfiable"] == "DoNotSchedule"
    assert hostname_spread[0]["labelSelector"]["matchLabels"] == {"app": "minio", "release": "minio"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_release_is_pinned_atomic_and_provisions_nothing_itself(stack, request):
    inventory = request.getfixturevalue(f"{stack}_inventory")
    (release,) = inventory.of_type(RELEASE)
    assert release.inputs["version"] == "5.4.0"
    assert release.inputs["repositoryOpts"] == {"repo": "https://charts.min.io/"}
    assert release.inputs["atomic"] is True
    assert 300 <= release.inputs["timeout"] <= 3600
    values = release.inputs["values"]
    for provisioning_list in ("users", "policies", "buckets", "svcaccts", "customCommands"):
        assert values[provisioning_list] == [], f"the chart's {provisioning_list} job must stay empty"
    assert values["existingSecret"] == "minio-root-credentials"
    assert values["rootUser"] == "" and values["rootPassword"] == ""
    assert values["metrics"]["serviceMonitor"]["public"] is False
    configured = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    assert values["resources"] == configured["matih-minio:resources"], "explicit, never the chart's 16Gi default"


def test_release_waits_for_its_secrets_and_storage(prod_inventory):
    (release,) = prod_inventory.of_type(RELEASE)
    depends = " ".join(release.options["dependsOn"])
    for name in ("minio-namespace", "minio-root-credentials", "minio-server-env", "minio-storage-class"):
        assert f"::{name}" in depends


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_secret_value_reaches_values_outputs_or_plan(stack, request):
    inventory = request.getfixturevalue(f"{stack}_inventory")
    plan_text = json.dumps(inventory.to_json())
    # The mocks hand out values starting with "mock-" for every generated or read secret.
    assert "mock-" not in plan_text
    assert SECRET_MASK in plan_text
    (root_secret,) = [r for r in inventory.of_type(SECRET) if r.name == "minio-root-credentials"]
    assert root_secret.inputs["stringData"] == SECRET_MASK
    (provider,) = inventory.of_type("pulumi:providers:minio")
    assert provider.inputs["minioPassword"] == SECRET_MASK
    assert provider.inputs["minioUser"] == SECRET_MASK


def test_stack_files_hold_no_secrets():
    for path in PROJECT_DIR.glob("Pulumi*.yaml"):
        text = path.read_text()
        assert "secure:" not in text, path.name
        flat = json.dumps(yaml.safe_load(text)).lower()
        for word in ("password", "secretkey", "secret_key", "rootuser"):
            assert word not in flat, f"{path.name} mentions {word}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_outputs_name_secrets_but_never_hold_them(stack, request):
    outputs = request.getfixturevalue(f"{stack}_inventory").outputs
    assert outputs["rootCredentialsSecret"] == "minio-root-credentials"
    assert outputs["s3Endpoint"] == "http://minio.minio.svc.cluster.local:9000"
    assert SECRET_MASK not in json.dumps(outputs), "no output should need to be secret"
    for tenant in outputs["tenants"].values():
        # One Secret per service: the Trino catalog and the MLflow settings ride in Trino's and ML Service's.
        assert set(tenant["secrets"]) == set(SERVICE_IDS)


def test_erasure_figures_are_exported(prod_inventory, dev_inventory):
    prod = prod_inventory.outputs["erasure"]
    assert (prod["erasureSetSize"], prod["standardParity"], prod["usableRatio"]) == (16, 4, 0.75)
    assert prod["survivesServerLoss"] is True
    assert prod["usableCapacityBytes"] == 12 * 2**40
    dev = dev_inventory.outputs["erasure"]
    assert (dev["mode"], dev["totalDrives"], dev["driveFailuresToleratedPerSet"]) == ("standalone", 1, 0)


def test_bad_config_declares_nothing():
    with pytest.raises(ProgramError) as caught:
        run_stack("prod", {"tenants": ["Acme"], "erasure": {"standard": "EC:12"}})
    message = str(caught.value)
    assert "matih-minio:tenants[0].id" in message and "exceeds half the erasure set" in message
    assert caught.value.inventory.resources == []


def test_every_tenant_and_service_gets_one_access_key_with_its_catalog_access(prod_inventory):
    keys = {r.name: r for r in prod_inventory.of_type(SERVICE_ACCOUNT)}
    tenants = prod_inventory.outputs["tenants"]
    assert len(keys) == len(tenants) * len(SERVICE_IDS)
    for tenant in tenants:
        for service in SERVICE_IDS:
            record = keys[f"{tenant}-{service}-access-key"]
            assert record.inputs["targetUser"] == f"matih-{service}"
            assert record.options["additionalSecretOutputs"] == ["secretKey"]
            policy = json.loads(record.inputs["policy"])
            allowed = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
            buckets = {res.split(":::")[1].split("/")[0] for s in allowed for res in s["Resource"]}
            dedicated = tenant == "initech"
            expected = {f"{g.bucket}-{tenant}" if dedicated else g.bucket for g in grants_of(service)}
            assert buckets == expected, (tenant, service)
            writes = any("s3:PutObject" in s["Action"] for s in allowed)
            assert writes == any(g.access.value == "write" for g in grants_of(service))


def test_credentials_secrets_go_to_each_service_namespace(prod_inventory):
    services = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())["config"]["matih-minio:services"]
    secrets = [r for r in prod_inventory.of_type(SECRET) if r.name.endswith("-credentials") and "minio-" not in r.name]
    assert len(secrets) == 3 * len(SERVICE_IDS)
    for record in secrets:
        labels = record.inputs["metadata"]["labels"]
        assert record.inputs["metadata"]["namespace"] == services[labels["matih.io/service"]]
        assert record.inputs["stringData"] == SECRET_MASK, "holds the secret key, so the whole map is secret"


def test_prod_buckets_are_private_protected_and_encrypted(prod_inventory):
    buckets = {r.inputs["bucket"]: r for r in prod_inventory.of_type(BUCKET)}
    for name in BUCKET_NAMES:
        assert buckets[name].options["protect"], name
        assert buckets[name].inputs["acl"] == "private"
        assert buckets[name].inputs.get("forceDestroy") is False
    dedicated = [b for b in buckets.values() if b.inputs["bucket"].endswith("-initech")]
    assert len(dedicated) == len(BUCKET_NAMES)
    for bucket in dedicated:
        # Protected like every prod bucket, and retained by MinIO even once unprotected and removed.
        assert bucket.options["retainOnDelete"] and bucket.options["protect"]
        assert bucket.inputs["quota"] == 2 * 2**40
    sse = {
        r.inputs["bucket"]: r.inputs["kmsKeyId"]
        for r in prod_inventory.of_type("minio:index/s3BucketServerSideEncryption:S3BucketServerSideEncryption")
    }
    assert sse["lakehouse"] == "matih-platform"
    assert sse["lakehouse-initech"] == "tenant-initech"
    assert set(sse) == set(buckets)


def test_prod_tenants_get_their_own_kms_keys_that_outlive_them(prod_inventory):
    keys = {r.inputs["keyId"]: r for r in prod_inventory.of_type(KMS_KEY)}
    assert set(keys) == {"tenant-acme-corp", "tenant-globex", "tenant-initech"}
    assert all(k.options["retainOnDelete"] for k in keys.values())


def test_dev_static_kms_has_no_per_tenant_keys(dev_inventory, prod_inventory):
    (warning,) = dev_inventory.diagnostics
    assert warning["severity"] == "warning"
    assert "per-tenant keys are unavailable" in warning["message"] and "'matih-dev'" in warning["message"]
    assert prod_inventory.diagnostics == []
    assert dev_inventory.of_type(KMS_KEY) == []
    assert dev_inventory.outputs["kms"] == {"mode": "static", "perTenantKeys": False}
    assert {t["kmsKey"] for t in dev_inventory.outputs["tenants"].values()} == {"matih-dev"}


def test_dev_and_prod_grant_the_same_access_to_a_prefix_tenant(dev_inventory, prod_inventory):
    def policies(inventory: Inventory) -> dict[str, str]:
        return {
            r.name: r.inputs["policy"].replace("matih-dev", "KEY").replace("tenant-acme-corp", "KEY")
            for r in inventory.of_type(SERVICE_ACCOUNT)
            if r.name.startswith("acme-corp-")
        }

    assert policies(dev_inventory) == policies(prod_inventory)


def test_lifecycle_rules_per_bucket(prod_inventory, dev_inventory):
    def rules(inventory: Inventory) -> dict[str, list[dict]]:
        return {r.inputs["bucket"]: r.inputs["rules"] for r in inventory.of_type("minio:index/ilmPolicy:IlmPolicy")}

    prod = rules(prod_inventory)
    assert "lakehouse" not in prod and "lakehouse-initech" not in prod
    assert [r["id"] for r in prod["exports"]] == ["expire-temporary-objects", "expire-objects"]
    assert prod["exports"][1]["expiration"] == "90d"
    # No `status`: Computed-only in terraform-provider-minio v1.20.1, which enables every rule it creates.
    assert prod["backups"][1] == {"id": "expire-noncurrent-versions", "noncurrentVersionExpirationDays": 35}
    dev = rules(dev_inventory)
    for bucket_rules in dev.values():
        (temporary,) = bucket_rules
        assert temporary["expiration"] == "30d"
        assert temporary["tags"] == {"matih-lifecycle": "temporary"}


def test_onboarding_a_tenant_is_one_line_of_config(prod_inventory):
    tenants = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())["config"]["matih-minio:tenants"]
    grown = run_stack("prod", {"tenants": [*tenants, "umbrella"]})
    before = {r.urn for r in prod_inventory}
    added = [r for r in grown if r.urn not in before]
    assert added and all("umbrella" in r.name for r in added)
    assert {r.urn for r in grown} >= before


def test_removing_a_tenant_revokes_access_but_keeps_data(prod_inventory):
    shrunk = run_stack("prod", {"tenants": ["acme-corp", "globex"]})
    gone = {r.name for r in prod_inventory} - {r.name for r in shrunk}
    assert any(name.endswith("-access-key") for name in gone)
    initech_data = [r for r in prod_inventory if r.name.startswith("initech") and r.type in (BUCKET, KMS_KEY)]
    # What disappears from the program is left in MinIO by Pulumi: retained, never deleted.
    assert initech_data and all(r.options["retainOnDelete"] for r in initech_data)
    assert {r.inputs["bucket"] for r in shrunk.of_type(BUCKET)} >= set(BUCKET_NAMES)


def test_resource_names_do_not_depend_on_tenant_order(prod_inventory):
    tenants = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())["config"]["matih-minio:tenants"]
    reordered = run_stack("prod", {"tenants": list(reversed(tenants))})
    assert {r.urn for r in reordered} == {r.urn for r in prod_inventory}


def test_components_parent_their_resources(prod_inventory):
    by_urn = prod_inventory.by_urn()
    components = {r.urn for r in prod_inventory if r.type.startswith("matih:")}
    assert {r.type for r in prod_inventory if r.type.startswith("matih:")} == {
        "matih:monitoring:Monitoring",
        "matih:storage:MinioCluster",
        "matih:storage:PlatformBuckets",
        "matih:tenancy:ServiceUsers",
        "matih:tenancy:Tenant",
    }
    for record in declared(prod_inventory):
        if record.type.startswith(("matih:", "pulumi:providers:kubernetes")):
            continue
        ancestor = record.parent
        while ancestor in by_urn and ancestor not in components:
            ancestor = by_urn[ancestor].parent
        assert ancestor in components, f"{record.name} is not inside a component"


def test_plan_json_is_deterministic(tmp_path: Path):
    first = json.dumps(run_stack("prod").to_json(), sort_keys=True)
    second = json.dumps(run_stack("prod").to_json(), sort_keys=True)
    assert first == second


def test_helm_values_never_carry_a_secret_output(dev_inventory, prod_inventory):
    for inventory in (dev_inventory, prod_inventory):
        (release,) = inventory.of_type(RELEASE)
        assert SECRET_MASK not in json.dumps(release.inputs), "secrets go through existingSecret/extraSecret only"


def test_kes_api_key_is_read_from_its_secret_and_lands_in_the_server_env(prod_inventory):
    reads = sorted(r.options["readId"] for r in prod_inventory.of_type(SECRET) if "readId" in r.options)
    assert reads == ["kes/kes-ca", "kes/minio-kes-api-key"]
    (server_env,) = [r for r in prod_inventory.of_type(SECRET) if r.name == "minio-server-env"]
    assert server_env.inputs["metadata"] == {"name": "minio-server-env", "namespace": "minio"}
    assert server_env.inputs["stringData"] == SECRET_MASK


def test_prod_mounts_the_kes_ca_and_points_minio_at_it(prod_inventory):
    # MinIO verifies KES with certs.GetRootCAs(MINIO_KMS_KES_CAPATH): a file or a directory of PEM certificates added
    # to the system roots (internal/kms/config.go Connect; minio/pkg certs/ca-certs.go GetRootCAs; both tags).
    (copy,) = [r for r in prod_inventory.of_type(SECRET) if r.name == "minio-kes-client"]
    assert copy.inputs["metadata"] == {"name": "minio-kes-client", "namespace": "minio"}
    assert set(copy.secretDigests["stringData"]) == {"ca.crt"}  # the certificate only: an API key needs no client pair
    [release] = prod_inventory.of_type("kubernetes:helm.sh/v3:Release")
    values = release.inputs["values"]
    assert {"name": "kes-client", "secret": {"secretName": "minio-kes-client"}} in values["extraVolumes"]
    [mount] = [m for m in values["extraVolumeMounts"] if m["name"] == "kes-client"]
    assert values["environment"]["MINIO_KMS_KES_CAPATH"] == f"{mount['mountPath']}/ca.crt"


def test_kes_with_a_client_certificate_mounts_a_copy_in_minio_namespace():
    kms = {
        "mode": "kes",
        "keyName": "matih-platform",
        "kes": {
            "endpoints": ["https://kes-0.kes:7373", "https://kes-1.kes:7373"],
            "clientCertSecret": {"namespace": "kes", "name": "minio-kes-client"},
            "caSecret": {"namespace": "kes", "name": "kes-ca", "key": "ca.crt"},
        },
    }
    inventory = run_stack("prod", {"kms": kms})
    reads = sorted(r.options["readId"] for r in inventory.of_type(SECRET) if "readId" in r.options)
    assert reads == ["kes/kes-ca", "kes/minio-kes-client"]
    (copy,) = [r for r in inventory.of_type(SECRET) if r.name == "minio-kes-client"]
    assert copy.inputs["metadata"]["namespace"] == "minio"
    values = release_values(inventory)
    assert "extraSecret" not in values, "no API key, so nothing secret goes into the server's env file"
    assert values["extraVolumes"] == [{"name": "kes-client", "secret": {"secretName": "minio-kes-client"}}]
    assert values["extraVolumeMounts"][0]["mountPath"] == "/etc/minio/kes"
    env = values["environment"]
    assert env["MINIO_KMS_KES_ENDPOINT"] == "https://kes-0.kes:7373,https://kes-1.kes:7373"
    assert env["MINIO_KMS_KES_CERT_FILE"] == "/etc/minio/kes/client.crt"
    assert env["MINIO_KMS_KES_KEY_FILE"] == "/etc/minio/kes/client.key"
    assert env["MINIO_KMS_KES_CAPATH"] == "/etc/minio/kes/ca.crt"


def test_kms_none_declares_no_encryption():
    inventory = run_stack("dev", {"kms": {"mode": "none"}})
    assert inventory.of_type("minio:index/s3BucketServerSideEncryption:S3BucketServerSideEncryption") == []
    values = release_values(inventory)
    assert "extraSecret" not in values
    assert not any(key.startswith("MINIO_KMS") for key in values["environment"])


# --- Reaching MinIO on the first up -------------------------------------------------------------------------------

JOB = "kubernetes:batch/v1:Job"
NAMESPACE = "kubernetes:core/v1:Namespace"
KIND_CONFIG = PROJECT_DIR / "kind" / "cluster.yaml"


def test_kind_config_is_the_cluster_the_dev_stack_reaches(dev_inventory):
    kind = yaml.safe_load(KIND_CONFIG.read_text())
    dev = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"]
    assert f"kind-{kind['name']}" == dev["matih-minio:kubernetes"]["context"]
    (node,) = kind["nodes"]
    (mapping,) = node["extraPortMappings"]
    service = release_values(dev_inventory)["service"]
    assert service == {"type": "NodePort", "nodePort": mapping["containerPort"]}
    assert mapping["listenAddress"] == "127.0.0.1", "the root-credential API stays on this machine"
    assert dev["matih-minio:minioEndpoint"] == f"localhost:{mapping['hostPort']}"
    (provider,) = dev_inventory.of_type("pulumi:providers:minio")
    assert provider.inputs["minioServer"] == f"localhost:{mapping['hostPort']}"


def test_prod_reaches_minio_inside_the_cluster_and_exposes_nothing(prod_inventory):
    values = release_values(prod_inventory)
    assert values["service"] == {"type": "ClusterIP"}
    assert values["ingress"] == {"enabled": False}
    (provider,) = prod_inventory.of_type("pulumi:providers:minio")
    assert provider.inputs["minioServer"] == "minio.minio.svc.cluster.local:9000"
    assert provider.inputs["minioSsl"] in (False, "false")


def test_a_load_balancer_exposure_speaks_tls_to_one_source_range():
    inventory = run_stack(
        "prod",
        {
            "tls": {"enabled": True, "certSecret": "minio-tls"},
            "minioEndpoint": "s3.storage.example.com:9000",
            "api": {
                "exposure": "loadBalancer",
                "caFile": "/etc/ssl/matih-ca.pem",
                "loadBalancer": {
                    "annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
                    "sourceRanges": ["10.20.0.0/16"],
                },
            },
        },
    )
    values = release_values(inventory)
    assert values["service"] == {
        "type": "LoadBalancer",
        "annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
        "loadBalancerSourceRanges": ["10.20.0.0/16"],
    }
    assert values["tls"]["enabled"] is True and values["tls"]["certSecret"] == "minio-tls"
    (provider,) = inventory.of_type("pulumi:providers:minio")
    assert provider.inputs["minioServer"] == "s3.storage.example.com:9000"
    assert provider.inputs["minioSsl"] in (True, "true")
    assert provider.inputs["minioCacertFile"] == "/etc/ssl/matih-ca.pem"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_minio_provider_waits_for_the_readiness_gate_which_waits_for_the_release(stack, request):
    inventory = request.getfixturevalue(f"{stack}_inventory")
    (gate,) = inventory.of_type(JOB)
    (release,) = inventory.of_type(RELEASE)
    (provider,) = inventory.of_type("pulumi:providers:minio")
    assert gate.urn in provider.options["dependsOn"]
    assert release.urn in gate.options["dependsOn"]
    assert gate.inputs["metadata"]["namespace"] == release.inputs["namespace"]
    container = gate.inputs["spec"]["template"]["spec"]["containers"][0]
    assert "@sha256:" in container["image"], "the gate's image is pinned by digest"


def pod_checksum(inventory: Inventory) -> str:
    return release_values(inventory)["podAnnotations"]["matih.io/secrets-checksum"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_pods_carry_a_checksum_of_their_secrets_never_a_secret(stack, request):
    inventory = request.getfixturevalue(f"{stack}_inventory")
    assert re.fullmatch(r"[0-9a-f]{64}", pod_checksum(inventory))
    values_text = json.dumps(release_values(inventory))
    assert "mock-" not in values_text and SECRET_MASK not in values_text


def test_a_changed_secret_rolls_the_pods_and_reruns_the_gate(prod_inventory):
    # The mocks read the KES API key as "mock-<key>": another key name is another API key in the server-env Secret.
    kms = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())["config"]["matih-minio:kms"]
    kms["kes"]["apiKeySecret"]["key"] = "api-key-2"
    rotated = run_stack("prod", {"kms": kms})
    assert pod_checksum(rotated) != pod_checksum(prod_inventory)
    before, after = release_values(prod_inventory), release_values(rotated)
    assert {k for k in before if before[k] != after[k]} == {"podAnnotations"}, "only the hash tells the pods"
    (gate_before,) = prod_inventory.of_type(JOB)
    (gate_after,) = rotated.of_type(JOB)
    assert gate_before.inputs["metadata"]["name"] != gate_after.inputs["metadata"]["name"]
    assert gate_before.urn == gate_after.urn, "same resource, new Job: Pulumi replaces it"


def test_the_same_program_keeps_its_checksum_and_gate(prod_inventory):
    again = run_stack("prod")
    assert pod_checksum(again) == pod_checksum(prod_inventory)
    assert again.of_type(JOB)[0].inputs["metadata"] == prod_inventory.of_type(JOB)[0].inputs["metadata"]


# --- Namespaces and destroying dev ------------------------------------------------------------------------------


def test_dev_creates_the_services_namespaces_before_their_secrets(dev_inventory):
    created = {
        r.inputs["metadata"]["name"]: r
        for r in dev_inventory.of_type(NAMESPACE)
        if r.parent.endswith("ServiceNamespaces::service-namespaces")
    }
    services = yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"]["matih-minio:services"]
    assert set(created) == set(services.values())
    tenant_secrets = [r for r in dev_inventory.of_type(SECRET) if "matih:tenancy:Tenant" in r.urn]
    assert tenant_secrets
    for secret in tenant_secrets:
        assert created[secret.inputs["metadata"]["namespace"]].urn in secret.options["dependsOn"], secret.name


def test_prod_leaves_the_services_namespaces_to_the_platform(prod_inventory):
    assert [r.inputs["metadata"]["name"] for r in prod_inventory.of_type(NAMESPACE)] == ["minio"]
    assert not [r for r in prod_inventory if r.type == "matih:platform:ServiceNamespaces"]


def test_dev_buckets_can_be_destroyed_with_their_objects(dev_inventory):
    buckets = dev_inventory.of_type(BUCKET)
    assert buckets and all(b.inputs["forceDestroy"] is True and not b.options["protect"] for b in buckets)
