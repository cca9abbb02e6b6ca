"""Stack configuration validation: every bad input is refused, with the key, the value and what is allowed."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from components.model.config import ConfigError, load_settings
from components.model.figures import layout_figures
from tools.engine import project_config_values as stack_config


def with_changes(stack: str, **changes: Any) -> dict[str, Any]:
    """The stack's config with top-level keys replaced (None removes a key)."""
    config = copy.deepcopy(stack_config(stack))
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    return config


def problems_of(config: dict[str, Any], stack: str = "prod") -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(config, stack)
    return caught.value.problems


def assert_one_problem(config: dict[str, Any], *fragments: str) -> None:
    problems = problems_of(config)
    assert len(problems) == 1, problems
    for fragment in fragments:
        assert fragment in problems[0], problems[0]


def prod_with(section: str, **fields: Any) -> dict[str, Any]:
    config = with_changes("prod")
    config[section] = {**config[section], **fields}
    return config


def test_both_stack_files_are_valid():
    dev = load_settings(stack_config("dev"), "dev")
    prod = load_settings(stack_config("prod"), "prod")
    assert (dev.topology.mode, layout_figures(dev).total_drives, dev.kms.mode) == ("standalone", 1, "static")
    assert (prod.topology.mode, layout_figures(prod).total_drives, prod.kms.mode) == ("distributed", 16, "kes")
    assert layout_figures(prod).standard_parity == 4 and layout_figures(prod).survives_server_loss


def test_every_problem_is_reported_at_once():
    config = with_changes("prod", namespace="Bad_NS", region="US EAST")
    config["topology"] = {**config["topology"], "serversPerPool": 0}
    problems = problems_of(config)
    keys = " ".join(problems)
    assert "matih-minio:namespace" in keys and "matih-minio:region" in keys
    assert "matih-minio:topology.serversPerPool" in keys


def test_unknown_keys_are_typos():
    assert_one_problem(with_changes("prod", tenant=["x"]), "matih-minio:tenant", "unknown keys are usually typos")
    assert_one_problem(prod_with("topology", drivesPerNode=4), "matih-minio:topology.drivesPerNode", "allowed:")


def test_parity_above_half_the_set():
    assert_one_problem(
        prod_with("erasure", standard="EC:9"),
        "matih-minio:topology/erasure",
        '"standard": "EC:9"',
        "exceeds half the erasure set of 16 (max EC:8)",
    )


def test_four_drives_reject_ec4():
    config = prod_with("topology", serversPerPool=4, drivesPerServer=1)
    assert_one_problem(config, "exceeds half the erasure set of 4 (max EC:2)")


def test_rrs_above_standard():
    assert_one_problem(prod_with("erasure", standard="EC:2", reducedRedundancy="EC:3"), "above standard parity EC:2")


def test_parity_must_look_like_ec_n():
    assert_one_problem(prod_with("erasure", standard="4"), "matih-minio:erasure.standard", 'got "4"', "EC:N")


def test_erasure_coding_on_a_single_drive():
    config = with_changes("dev", erasure={"standard": "EC:1"})
    problems = problems_of(config, "dev")
    assert problems == [
        'matih-minio:erasure.standard: got "EC:1"; must be none or absent: a single drive cannot be erasure-coded '
        "(EC:0 only)"
    ]


@pytest.mark.parametrize(
    ("topology", "fragment"),
    [
        ({"mode": "distributed", "serversPerPool": 1, "drivesPerServer": 1}, "at least 2 drives"),
        ({"mode": "distributed", "serversPerPool": 17, "drivesPerServer": 1}, "cannot be split into erasure sets"),
        ({"mode": "distributed", "serversPerPool": 1, "drivesPerServer": 17}, "cannot be split into erasure sets"),
    ],
)
def test_distributed_layouts_minio_refuses(topology, fragment):
    config = with_changes("prod", topology=topology, erasure={})
    assert_one_problem(config, "matih-minio:topology/erasure", fragment)


def test_distributed_needs_its_layout():
    problems = problems_of(with_changes("prod", topology={"mode": "distributed"}))
    assert any("topology.serversPerPool: missing" in p for p in problems)
    assert any("topology.drivesPerServer: missing" in p for p in problems)


LOCAL_STORAGE = {"kind": "local", "sizePerDrive": "20Gi", "nodes": ["node-a"], "hostPath": "/var/lib/matih/minio"}


def test_local_storage_needs_a_node():
    config = with_changes("dev", storage={k: v for k, v in LOCAL_STORAGE.items() if k != "nodes"})
    problems = problems_of(config, "dev")
    assert len(problems) == 1 and "matih-minio:storage.nodes" in problems[0], problems
    assert "non-empty list of Kubernetes node names" in problems[0]


@pytest.mark.parametrize("size", ["20 Gi", "lots", "-5Gi", "0", "1.5.5Gi", True])
def test_sizes_must_be_kubernetes_quantities(size):
    config = with_changes("prod")
    config["storage"] = {**config["storage"], "sizePerDrive": size}
    assert_one_problem(config, "matih-minio:storage.sizePerDrive", "Kubernetes quantity")


def test_resource_quantities_and_limits_at_least_requests():
    config = prod_with("resources", limits={"cpu": "2", "memory": "8Gi"})
    problems = problems_of(config)
    assert any("resources.limits.cpu" in p and 'request "4"' in p for p in problems)
    assert any("resources.limits.memory" in p and 'request "24Gi"' in p for p in problems)
    assert_one_problem(prod_with("resources", requests={"cpu": "4"}), "resources.requests.memory: missing")


def test_kes_needs_endpoint_and_key_name():
    config = with_changes("prod", kms={"mode": "kes", "kes": {"apiKeySecret": {"name": "kes", "key": "api-key"}}})
    problems = problems_of(config)
    assert any("matih-minio:kms.kes.endpoints: got null" in p for p in problems)
    assert any("matih-minio:kms.keyName: missing" in p for p in problems)


def test_kes_needs_exactly_one_credential():
    config = prod_with("kms")
    config["kms"] = {**config["kms"], "kes": {"endpoints": ["https://kes.matih.io:7373"]}}
    assert_one_problem(config, "exactly one of apiKeySecret", "clientCertSecret")


def _kes_endpoint(endpoint: str, *, ca: bool) -> dict[str, Any]:
    config = prod_with("kms")
    kes = {key: value for key, value in config["kms"]["kes"].items() if key != "caSecret"}
    if ca:
        kes["caSecret"] = {"namespace": "kes", "name": "kes-ca", "key": "ca.crt"}
    config["kms"] = {**config["kms"], "kes": {**kes, "endpoints": [endpoint]}}
    return config


# No public CA issues a certificate for these (CA/Browser Forum Baseline Requirements 4.2.2: no Internal Names or
# Reserved IP Addresses), and MinIO trusts only the system roots and the CA it is given (internal/kms/config.go
# `Connect`, `certs.GetRootCAs(MINIO_KMS_KES_CAPATH or certs/CAs)`): without the CA the servers stop at start.
PRIVATE_NAMES = [
    "https://kes.kes.svc.cluster.local:7373",
    "https://kes.kes.svc:7373",
    "https://kes.kes.svc.matih.example:7373",  # a custom cluster domain: still a Service name
    "https://kes:7373",
    "https://kes.internal:7373",
    "https://kes.corp.local:7373",
    "https://10.0.12.7:7373",
    "https://[fd00::7]:7373",
]


@pytest.mark.parametrize("endpoint", PRIVATE_NAMES)
def test_kes_at_a_name_no_public_ca_vouches_for_needs_its_ca(endpoint):
    assert_one_problem(
        _kes_endpoint(endpoint, ca=False), "matih-minio:kms.kes.caSecret: missing", endpoint, "internal/kms/config.go"
    )
    load_settings(_kes_endpoint(endpoint, ca=True), "prod")


@pytest.mark.parametrize(
    "endpoint", ["https://kes.matih.io:7373", "https://kes.eu-west-1.matih.cloud", "https://8.8.8.8:7373"]
)
def test_kes_at_a_public_name_may_rely_on_the_system_roots(endpoint):
    load_settings(_kes_endpoint(endpoint, ca=False), "prod")


def test_prod_gives_minio_the_ca_of_its_in_cluster_kes():
    kes = stack_config("prod")["kms"]["kes"]
    assert any(".svc" in endpoint for endpoint in kes["endpoints"])
    assert kes["caSecret"]["key"] == "ca.crt"


def test_kes_endpoints_must_be_https():
    config = prod_with("kms")
    config["kms"] = {**config["kms"], "kes": {**config["kms"]["kes"], "endpoints": ["http://kes:7373"]}}
    assert_one_problem(config, "matih-minio:kms.kes.endpoints", "https://")


@pytest.mark.parametrize("tag", ["latest", ""])
def test_image_tag_must_be_pinned(tag):
    config = prod_with("image", tag=tag)
    assert_one_problem(config, "matih-minio:image.tag", "other than 'latest'")


def test_image_is_required():
    problems = problems_of(with_changes("prod", image=None))
    assert any(p.startswith("matih-minio:image: missing") for p in problems)


@pytest.mark.parametrize("version", ["^5.4.0", "5.x", "latest", "5.4"])
def test_chart_version_must_be_exact(version):
    assert_one_problem(prod_with("chart", version=version), "matih-minio:chart.version", "exact chart version")


def test_digest_format():
    assert_one_problem(prod_with("image", digest="sha256:abc"), "matih-minio:image.digest", "sha256:<64 hex digits>")


def test_cloud_storage_needs_exactly_one_class_source():
    config = with_changes("prod")
    config["storage"] = {**config["storage"], "existingStorageClass": "gp3"}
    assert_one_problem(config, "exactly one of existingStorageClass")


def test_local_volumes_need_one_node_per_server():
    config = with_changes("prod")
    config["storage"] = {"kind": "local", "sizePerDrive": "1Ti", "nodes": ["a", "b"], "hostPath": "/data"}
    assert_one_problem(config, "matih-minio:storage.nodes: got 2 node(s) for 4 MinIO server(s)")


@pytest.mark.parametrize(
    "tenant_id",
    ["Acme", "acme_corp", "-acme", "acme-", "a", "acme/corp", "acme*", "ac--me", "x" * 47, 42, ""],
)
def test_bad_tenant_ids(tenant_id):
    problems = problems_of(with_changes("prod", tenants=[tenant_id]))
    assert len(problems) == 1
    assert problems[0].startswith("matih-minio:tenants[0].id: got ")
    assert "lowercase DNS label of 2..46 characters" in problems[0]


def test_longest_tenant_id_keeps_bucket_names_valid():
    tenant = "t" * 46
    settings = load_settings(with_changes("prod", tenants=[{"id": tenant, "isolation": "bucket"}]), "prod")
    assert settings.tenants[0].id == tenant
    assert len(f"pipeline-outputs-{tenant}") == 63


def test_duplicate_tenants():
    assert_one_problem(with_changes("prod", tenants=["acme", "globex", "acme"]), "tenants[2].id", "listed twice")


def test_quota_only_for_dedicated_buckets():
    assert_one_problem(
        with_changes("prod", tenants=[{"id": "acme", "quota": "1Ti"}]), "tenants[0].quota", "whole buckets"
    )


def test_every_service_needs_a_namespace():
    config = with_changes("prod")
    config["services"] = {k: v for k, v in config["services"].items() if k != "trino"}
    assert_one_problem(config, "matih-minio:services.trino: missing")


def test_lakehouse_data_never_expires():
    config = with_changes("prod")
    config["buckets"] = {**config["buckets"], "lakehouse": {"versioning": True, "expiryDays": 30}}
    assert_one_problem(config, "matih-minio:buckets.lakehouse.expiryDays", "Iceberg")


def test_object_locking_needs_versioning():
    config = with_changes("prod")
    config["buckets"] = {**config["buckets"], "backups": {"objectLocking": True}}
    assert_one_problem(config, "buckets.backups.objectLocking", "versioning: true")


def test_unknown_bucket_in_bucket_options():
    config = with_changes("prod")
    config["buckets"] = {**config["buckets"], "backup": {"versioning": True}}
    assert_one_problem(config, "matih-minio:buckets.backup", "allowed: backups")


# --- Where Pulumi reaches MinIO (api, minioEndpoint) -------------------------------------------------------------

IN_CLUSTER = "minio.minio.svc.cluster.local:9000"
LOAD_BALANCER = {"exposure": "loadBalancer", "loadBalancer": {"sourceRanges": ["10.0.0.0/8"]}}
TLS_ON = {"enabled": True, "certSecret": "minio-tls"}


def test_the_stacks_choose_their_exposure_explicitly():
    dev = load_settings(stack_config("dev"), "dev").api
    prod = load_settings(stack_config("prod"), "prod").api
    assert (dev.exposure, dev.endpoint, dev.node_port) == ("nodePort", "localhost:30900", 30900)
    assert (prod.exposure, prod.endpoint) == ("inCluster", IN_CLUSTER)


def test_exposure_and_endpoint_are_required():
    assert_one_problem(with_changes("prod", api=None), "matih-minio:api.exposure: missing", "inCluster, nodePort")
    assert_one_problem(with_changes("prod", minioEndpoint=None), "matih-minio:minioEndpoint: missing")


def test_unknown_exposure():
    assert_one_problem(with_changes("prod", api={"exposure": "ingress"}), "matih-minio:api.exposure", '"ingress"')


@pytest.mark.parametrize("endpoint", ["minio.minio.svc:9000", "localhost:9000", "minio.other.svc.cluster.local:9000"])
def test_in_cluster_endpoint_is_the_services_address(endpoint):
    assert_one_problem(
        with_changes("prod", minioEndpoint=endpoint), "matih-minio:minioEndpoint", f'"{IN_CLUSTER}"', "inCluster"
    )


def test_in_cluster_endpoint_follows_release_and_namespace():
    settings = load_settings(
        with_changes("prod", namespace="storage", releaseName="s3", minioEndpoint="s3.storage.svc.cluster.local:9000"),
        "prod",
    )
    assert settings.api.endpoint == "s3.storage.svc.cluster.local:9000"


@pytest.mark.parametrize("endpoint", ["http://localhost:30900", "localhost", "localhost:"])
def test_endpoint_is_host_and_port(endpoint):
    problems = problems_of(with_changes("dev", minioEndpoint=endpoint), "dev")
    assert problems == [
        f"matih-minio:minioEndpoint: got {json.dumps(endpoint)}; must be host:port where Pulumi reaches the MinIO API "
        "(no scheme)"
    ]


@pytest.mark.parametrize(
    ("api", "endpoint", "fragments"),
    [
        ({"exposure": "nodePort"}, "localhost:30900", ["matih-minio:api.nodePort: missing", "30000 to 32767"]),
        ({"exposure": "nodePort", "nodePort": 9000}, "localhost:9000", ["matih-minio:api.nodePort: got 9000"]),
        ({"exposure": "nodePort", "nodePort": 30900}, "localhost:31000", ["minioEndpoint", "port 30900"]),
        ({"exposure": "nodePort", "nodePort": 30900}, "minio.minio.svc.cluster.local:30900", ["outside the cluster"]),
        ({"exposure": "inCluster", "nodePort": 30900}, IN_CLUSTER, ["api.nodePort", "unless exposure is nodePort"]),
    ],
)
def test_node_port_exposure(api, endpoint, fragments):
    problems = problems_of(with_changes("dev", api=api, minioEndpoint=endpoint), "dev")
    assert len(problems) == 1, problems
    assert all(fragment in problems[0] for fragment in fragments), problems[0]


def test_load_balancer_needs_tls():
    config = with_changes("prod", api=LOAD_BALANCER, minioEndpoint="s3.internal.example.com:9000")
    assert_one_problem(config, "matih-minio:tls.enabled: got false", "cross the network in clear")
    settings = load_settings({**config, "tls": TLS_ON}, "prod")
    assert settings.api.load_balancer_source_range == "10.0.0.0/8"


@pytest.mark.parametrize(
    "ranges",
    [None, [], ["10.0.0.0/8", "192.168.0.0/16"], ["0.0.0.0/0"], ["::/0"], ["ten"], "10.0.0.0/8"],
)
def test_load_balancer_takes_exactly_one_closed_source_range(ranges):
    api = {"exposure": "loadBalancer", "loadBalancer": {} if ranges is None else {"sourceRanges": ranges}}
    config = with_changes("prod", api=api, tls=TLS_ON, minioEndpoint="s3.internal.example.com:9000")
    assert_one_problem(config, "matih-minio:api.loadBalancer.sourceRanges", "exactly one CIDR")


def test_load_balancer_endpoint_is_an_outside_name_on_the_service_port():
    base = with_changes("prod", api=LOAD_BALANCER, tls=TLS_ON)
    assert_one_problem({**base, "minioEndpoint": "s3.example.com:443"}, "minioEndpoint", "port 9000")
    assert_one_problem({**base, "minioEndpoint": IN_CLUSTER}, "minioEndpoint", "outside the cluster")


def test_ca_file_only_with_tls():
    config = with_changes("prod", api={"exposure": "inCluster", "caFile": "/etc/ssl/minio-ca.pem"})
    assert_one_problem(config, "matih-minio:api.caFile", "unless tls.enabled")
    with_tls = load_settings({**config, "tls": TLS_ON}, "prod")
    assert with_tls.api.ca_file == "/etc/ssl/minio-ca.pem"
    relative = {**config, "tls": TLS_ON, "api": {"exposure": "inCluster", "caFile": "ca.pem"}}
    assert_one_problem(relative, "matih-minio:api.caFile", "absolute path")


# --- Destroying and namespaces -----------------------------------------------------------------------------------


def test_force_destroyable_buckets_only_without_protection():
    assert_one_problem(
        with_changes("prod", forceDestroyBuckets=True), "matih-minio:forceDestroyBuckets: got true", "protect is true"
    )
    assert load_settings(stack_config("dev"), "dev").force_destroy_buckets is True
    assert load_settings(stack_config("prod"), "prod").force_destroy_buckets is False


def test_service_namespaces_are_created_only_when_asked():
    assert load_settings(stack_config("dev"), "dev").create_service_namespaces is True
    prod = load_settings(stack_config("prod"), "prod")
    assert prod.create_service_namespaces is False
    assert prod.consumer_namespaces == ("matih-bi", "matih-data", "matih-ml", "matih-ops", "matih-query")
    assert_one_problem(with_changes("prod", createServiceNamespaces="yes"), "createServiceNamespaces", "true or false")


def test_storage_kinds():
    assert_one_problem(prod_with("storage", kind="cloud"), "matih-minio:storage.kind", "local, provisioned")


# --- Messages a person can act on (issue 17) ------------------------------------------------------------------------


def test_a_quoted_integer_is_read_as_the_cli_reads_it_at_every_level():
    # The top level reaches the program as a string either way (pulumi sdk config `_get_int`: int(value)) ...
    top = load_settings(with_changes("prod", helmTimeoutSeconds="600"), "prod")
    assert top.helm_timeout_seconds == 600
    # ... so a quoted integer inside an object is the same integer.
    quoted = load_settings(prod_with("topology", serversPerPool="4", drivesPerServer="4", pools="1"), "prod")
    assert (quoted.topology.servers_per_pool, quoted.topology.drives_per_server) == (4, 4)
    buckets = with_changes("prod")
    buckets["buckets"] = {**buckets["buckets"], "exports": {"expiryDays": "90"}}
    assert load_settings(buckets, "prod").buckets["exports"].expiry_days == 90
    quoted_flag = with_changes("prod", tls={"enabled": "false"})
    assert load_settings(quoted_flag, "prod").tls.enabled is False
    assert_one_problem(with_changes("prod", tls={"enabled": "no"}), "tls.enabled", "true or false")
    # What strconv.Atoi refuses stays refused, quoted or not, and the bounds hold either way.
    for value in ("4.0", "four", " 4", "0x4", 4.5, True):
        assert_one_problem(prod_with("topology", serversPerPool=value), "topology.serversPerPool", "an integer")
    assert_one_problem(prod_with("topology", serversPerPool="0"), "an integer from 1 to 1024")
    assert_one_problem(with_changes("prod", helmTimeoutSeconds="59"), "helmTimeoutSeconds", "from 60 to 3600")
    assert load_settings(with_changes("prod", helmTimeoutSeconds="60"), "prod").helm_timeout_seconds == 60


@pytest.mark.parametrize("tenant_id", [2024, 123.0, 1000.0])
def test_a_tenant_id_read_as_a_number_says_so(tenant_id):
    assert_one_problem(with_changes("prod", tenants=[tenant_id]), "tenants[0].id", "read it as a number", "quote")
    # A string id of digits is still a valid DNS label: quoting is the fix.
    assert load_settings(with_changes("prod", tenants=["2024"]), "prod").tenants[0].id == "2024"


def test_a_bad_string_tenant_id_does_not_claim_it_was_a_number():
    [problem] = problems_of(with_changes("prod", tenants=["Acme"]))
    assert "number" not in problem


def test_a_removed_image_is_one_problem():
    assert_one_problem(with_changes("prod", image=None), "matih-minio:image: missing")


@pytest.mark.parametrize(
    ("section", "typo", "meant"),
    [("topology", "drivesPerNode", "drivesPerServer"), ("topology", "serverPerPool", "serversPerPool")],
)
def test_an_unknown_key_gets_a_did_you_mean(section, typo, meant):
    config = with_changes("prod")
    config[section] = {**config[section], typo: 4}
    problems = problems_of(config)
    [unknown] = [p for p in problems if f"{section}.{typo}" in p]
    assert f"did you mean {meant}?" in unknown


def test_a_top_level_typo_gets_a_did_you_mean_and_a_stranger_only_the_list():
    [typo] = problems_of(with_changes("prod", helmTimeoutSecond=600))
    assert "did you mean helmTimeoutSeconds?" in typo
    [stranger] = problems_of(with_changes("prod", colour="blue"))
    assert "did you mean" not in stranger and "allowed: accessKeys" in stranger
