"""Stack configuration -> frozen, validated settings. No Pulumi here.

`load_settings(raw, stack)` takes the project's config (`matih-minio:*` keys without the namespace, values
already JSON-decoded) and either returns `Settings` or raises `ConfigError` listing every problem at once,
each naming the key, the value it got and what is allowed.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from components.catalog import BUCKET_NAMES, SERVICE_IDS, consuming_services, grants_of
from components.catalog import bucket as catalog_bucket
from components.model import erasure
from components.model.erasure import PARITY
from components.model.naming import DNS_LABEL, NAMESPACE_RULE, TENANT_KMS_KEY_PREFIX, fits_dns_label, tenant_id_problem
from components.model.quantity import parse_quantity
from components.model.rotation import retirement_problems
from components.model.versions import (
    COMMUNITY_IMAGE_REPOSITORY,
    EXACT_VERSION,
    OFFICIAL_CHART_REPO,
    OFFICIAL_CHART_VERSION,
)

PROJECT = "matih-minio"

DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
REGION = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
HOST_PORT = re.compile(r"^[A-Za-z0-9.-]+:\d{1,5}$")
TOLERATION_KEYS = {"key", "operator", "value", "effect", "tolerationSeconds"}
TRINO_CATALOG_TYPES = ("rest",)
MINIO_API_PORT = 9000  # the chart's minioAPIPort and service.port defaults, which we keep
# Kubernetes' default --service-node-port-range.
NODE_PORT_RANGE = (30000, 32767)
API_EXPOSURES = ("inCluster", "nodePort", "loadBalancer")
CIDR = re.compile(r"^[0-9a-fA-F.:]+/\d{1,3}$")
OPEN_TO_THE_WORLD = ("0.0.0.0/0", "::/0")


class ConfigError(ValueError):
    """Every problem of a stack configuration, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"invalid {PROJECT} stack configuration ({len(problems)} problem(s)):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )


@dataclass(frozen=True)
class KubernetesSettings:
    context: str | None = None
    kubeconfig: str | None = None


@dataclass(frozen=True)
class ChartSettings:
    repo: str
    name: str
    version: str


@dataclass(frozen=True)
class ImageSettings:
    repository: str
    tag: str
    digest: str | None

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}" + (f"@{self.digest}" if self.digest else "")

    @property
    def is_community_release(self) -> bool:
        return self.repository.rstrip("/").endswith("minio/minio") and self.tag.startswith("RELEASE.")


@dataclass(frozen=True)
class StorageSettings:
    kind: str  # "local" (static local volumes created here) | "provisioned" (a StorageClass's provisioner)
    size_per_drive: str
    size_per_drive_bytes: int
    storage_class_name: str
    create_storage_class: bool
    provisioner: str | None = None
    parameters: Mapping[str, str] = field(default_factory=dict)
    nodes: tuple[str, ...] = ()
    host_path: str | None = None


@dataclass(frozen=True)
class TopologySettings:
    mode: str  # "standalone" | "distributed"
    servers_per_pool: int
    drives_per_server: int
    pools: int

    @property
    def servers(self) -> int:
        return self.servers_per_pool * self.pools


@dataclass(frozen=True)
class ErasureSettings:
    standard_parity: int | None
    reduced_redundancy_parity: int | None
    set_drive_count: int | None


@dataclass(frozen=True)
class SecretKeyRef:
    """An existing Kubernetes Secret (and one of its data keys) that Pulumi reads at deploy time."""

    name: str
    key: str
    namespace: str | None = None  # None: MinIO's own namespace


@dataclass(frozen=True)
class KesSettings:
    endpoints: tuple[str, ...]
    api_key_secret: SecretKeyRef | None
    client_cert_secret: SecretKeyRef | None  # a kubernetes.io/tls Secret: tls.crt and tls.key
    ca_secret: SecretKeyRef | None


@dataclass(frozen=True)
class KmsSettings:
    mode: str  # "none" | "static" | "kes"
    key_name: str
    kes: KesSettings | None = None

    @property
    def per_tenant_keys(self) -> bool:
        """Only KES can create a key per tenant; a static key is exactly one key."""
        return self.mode == "kes"


@dataclass(frozen=True)
class ResourceSettings:
    requests: Mapping[str, str]
    limits: Mapping[str, str]


@dataclass(frozen=True)
class TlsSettings:
    enabled: bool
    cert_secret: str | None


@dataclass(frozen=True)
class ApiSettings:
    """How the S3 API is exposed, and so where the machine running Pulumi reaches it (`minioEndpoint`)."""

    exposure: str  # "inCluster" | "nodePort" | "loadBalancer"
    endpoint: str  # host:port for the MinIO provider
    node_port: int | None = None
    load_balancer_annotations: Mapping[str, str] = field(default_factory=dict)
    load_balancer_source_range: str | None = None
    ca_file: str | None = None  # the CA the MinIO provider trusts (minio_cacert_file), on the Pulumi machine


@dataclass(frozen=True)
class SchedulingSettings:
    node_selector: Mapping[str, str]
    tolerations: tuple[Mapping[str, Any], ...]


TENANT_STATES = ("active", "offboarding", "purge")
MAX_ROTATION = 1_000_000


@dataclass(frozen=True)
class TenantSettings:
    id: str
    isolation: str  # "prefix" | "bucket"
    quota: str | None = None
    quota_bytes: int | None = None
    # Day-2 lifecycle (components/model/offboarding.py): active, offboarding (access revoked, protection lifted, data
    # and key kept) or purge (acknowledged by naming the tenant id in purgeAcknowledged).
    state: str = "active"
    adopt: bool = False  # import the retained key and dedicated buckets of a returning tenant by id
    # Access-key rotation counters (components/model/rotation.py): bump one by one to rotate.
    key_rotation: int = 0
    service_key_rotation: Mapping[str, int] = field(default_factory=dict)
    # Retirement names a generation (components/model/rotation.py): every generation up to it is deleted.
    retire_keys_through: int = 0
    service_retire_keys_through: Mapping[str, int] = field(default_factory=dict)
    # Adopting under KES: the operator's check that the retained key exists (see adoption_problems).
    kms_key_verified: str | None = None

    @property
    def dedicated_buckets(self) -> bool:
        return self.isolation == "bucket"


@dataclass(frozen=True)
class BucketOptions:
    versioning: bool = False
    object_locking: bool = False
    expiry_days: int | None = None
    noncurrent_version_expiry_days: int | None = None


@dataclass(frozen=True)
class AccessKeySettings:
    """Platform-wide access-key rotation: bumping `rotation` rotates every tenant's keys."""

    rotation: int = 0
    retire_through: int = 0  # retire every generation up to this one (0: none)


@dataclass(frozen=True)
class TrinoSettings:
    catalog_type: str
    catalog_uri: str


@dataclass(frozen=True)
class MonitoringSettings:
    """Opt-in, since each object needs prometheus-operator's CRDs (or Grafana's dashboard sidecar) in the cluster."""

    service_monitor: bool = False  # a ServiceMonitor scraping with a generated bearer token
    rules: bool = False  # a PrometheusRule generated from the layout (components/model/alerts.py)
    dashboard: bool = False  # a Grafana dashboard ConfigMap for the sidecar
    labels: Mapping[str, str] = field(default_factory=dict)  # e.g. the label a Prometheus' ruleSelector matches

    @property
    def enabled(self) -> bool:
        return self.service_monitor or self.rules or self.dashboard


@dataclass(frozen=True)
class Settings:
    stack: str
    namespace: str
    release_name: str
    kubernetes: KubernetesSettings
    chart: ChartSettings
    image: ImageSettings
    storage: StorageSettings
    topology: TopologySettings
    erasure: ErasureSettings
    kms: KmsSettings
    resources: ResourceSettings
    tls: TlsSettings
    scheduling: SchedulingSettings
    region: str
    api: ApiSettings
    protect: bool
    force_destroy_buckets: bool
    create_service_namespaces: bool
    helm_timeout_seconds: int
    tenants: tuple[TenantSettings, ...]
    service_namespaces: Mapping[str, str]
    buckets: Mapping[str, BucketOptions]
    temporary_object_expiry_days: int
    trino: TrinoSettings
    access_keys: AccessKeySettings = AccessKeySettings()
    root_credentials_rotation: int = 0  # a keeper of the generated root credentials: bump to rotate them
    monitoring: MonitoringSettings = MonitoringSettings()
    # Services whose parent user, policy and attachment are unprotected so that a later `up` may delete them, once
    # the service has left the catalog (README "Retiring a service").
    retiring_services: tuple[str, ...] = ()

    @property
    def consumer_namespaces(self) -> tuple[str, ...]:
        """The namespaces the services run in, each once."""
        return tuple(sorted(set(self.service_namespaces.values())))

    @property
    def s3_endpoint_url(self) -> str:
        """The in-cluster S3 endpoint that workloads use."""
        scheme = "https" if self.tls.enabled else "http"
        return f"{scheme}://{in_cluster_endpoint(self.release_name, self.namespace)}"


def in_cluster_endpoint(release_name: str, namespace: str) -> str:
    """host:port of the chart's S3 Service (fullnameOverride is the release name)."""
    return f"{release_name}.{namespace}.svc.cluster.local:{MINIO_API_PORT}"


_MISSING = object()


# The CLI's rule for quoted scalars, applied at every level. pulumi v3.259.0 sdk/go/common/workspace/project.go
# `ValidateConfigValue` accepts for a declared integer a string strconv.Atoi reads, and for a boolean "true"/"false";
# every value reaches the program as a string and sdk/python/lib/pulumi/config.py `_get_int` is `int(v)`. So at the
# top level `helmTimeoutSeconds: "600"` is 600 whatever we do; inside an object the same quoted value is read alike.
_ATOI = re.compile(r"[+-]?[0-9]+")


def _integer_value(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _ATOI.fullmatch(value):
        return int(value)
    return None


def _boolean_value(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(value) if isinstance(value, str) else None


def _did_you_mean(key: str, allowed: set[str]) -> str:
    """A close known key (a typo's likely intent), as a parenthesis after "must be a known key"."""
    close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
    if not close:
        lowered = {a.lower(): a for a in allowed}
        close = [lowered[key.lower()]] if key.lower() in lowered else []
    return f" (did you mean {close[0]}?)" if close else ""


def _show(value: object) -> str:
    try:
        return json.dumps(value, sort_keys=True)
    except TypeError:
        return repr(value)


class _Reader:
    """Reads one mapping of the config, recording problems instead of stopping at the first."""

    def __init__(self, problems: list[str], path: str, data: object, allowed: set[str]):
        self.problems = problems
        self.path = path
        self.data: dict[str, Any] = {}
        if data is None:
            return
        if not isinstance(data, dict):
            self.problem("", data, "a mapping of " + ", ".join(sorted(allowed)))
            return
        self.data = data
        for key in sorted(set(data) - allowed):
            self.problem(
                key,
                data[key],
                "a known key"
                + _did_you_mean(str(key), allowed)
                + ": unknown keys are usually typos; allowed: "
                + ", ".join(sorted(allowed)),
            )

    def key(self, name: str) -> str:
        return f"{PROJECT}:{self.path}{'.' if self.path and name else ''}{name}"

    def problem(self, name: str, value: object, allowed: str) -> None:
        self.problems.append(f"{self.key(name)}: got {_show(value)}; must be {allowed}")

    def has(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str, default: object = _MISSING) -> Any:
        return self.data.get(name, default)

    def string(
        self,
        name: str,
        default: str | None = None,
        *,
        required: bool = False,
        pattern: re.Pattern[str] | None = None,
        rule: str = "a non-empty string",
        choices: tuple[str, ...] | None = None,
        check: Callable[[str], bool] | None = None,
    ) -> str | None:
        value = self.data.get(name, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.problems.append(f"{self.key(name)}: missing; must be {rule}")
            return default
        if choices is not None:
            if value not in choices:
                self.problem(name, value, "one of " + ", ".join(choices))
                return default
            return str(value)
        if (
            not isinstance(value, str)
            or not value
            or (pattern is not None and not pattern.match(value))
            or (check is not None and not check(value))
        ):
            self.problem(name, value, rule)
            return default
        return value

    def integer(self, name: str, default: int | None, *, minimum: int, maximum: int) -> int | None:
        value = self.data.get(name, _MISSING)
        if value is _MISSING or value is None:
            return default
        number = _integer_value(value)
        if number is None or not minimum <= number <= maximum:
            self.problem(name, value, f"an integer from {minimum} to {maximum}")
            return default
        return number

    def boolean(self, name: str, default: bool) -> bool:
        value = self.data.get(name, _MISSING)
        if value is _MISSING or value is None:
            return default
        flag = _boolean_value(value)
        if flag is None:
            self.problem(name, value, "true or false")
            return default
        return flag

    def child(self, name: str, allowed: set[str]) -> _Reader:
        return _Reader(self.problems, f"{self.path}.{name}" if self.path else name, self.data.get(name), allowed)

    def string_map(self, name: str, *, value_rule: str = "strings") -> dict[str, str]:
        value = self.data.get(name, _MISSING)
        if value is _MISSING or value is None:
            return {}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and k and isinstance(v, str) for k, v in value.items()
        ):
            self.problem(
                name, value, f"a mapping of non-empty string keys to {value_rule} (quote numbers and booleans)"
            )
            return {}
        return dict(value)

    def quantity(self, name: str, default: str | None, *, required: bool = False) -> tuple[str | None, int | None]:
        value = self.data.get(name, _MISSING)
        rule = "a positive Kubernetes quantity such as 500Gi, 2, 500m"
        if value is _MISSING or value is None:
            if required:
                self.problems.append(f"{self.key(name)}: missing; must be {rule}")
                return None, None
            value = default
            if value is None:
                return None, None
        amount = parse_quantity(value)
        if amount is None or amount <= 0:
            self.problem(name, value, rule)
            return None, None
        return str(value), int(amount)


def _is_absolute_path(value: str) -> bool:
    return value.startswith("/") and "\x00" not in value and ".." not in value.split("/")


def _is_chart_repo(value: str) -> bool:
    return value.startswith(("https://", "oci://"))


def _read_kubernetes(root: _Reader) -> KubernetesSettings:
    k8s = root.child("kubernetes", {"context", "kubeconfig"})
    return KubernetesSettings(context=k8s.string("context"), kubeconfig=k8s.string("kubeconfig"))


def _read_chart(root: _Reader) -> ChartSettings:
    chart = root.child("chart", {"repo", "name", "version"})
    return ChartSettings(
        repo=chart.string(
            "repo", OFFICIAL_CHART_REPO, check=_is_chart_repo, rule="an https:// or oci:// chart repository URL"
        )
        or OFFICIAL_CHART_REPO,
        name=chart.string("name", "minio", pattern=DNS_LABEL, rule="a chart name") or "minio",
        version=chart.string(
            "version",
            OFFICIAL_CHART_VERSION,
            pattern=EXACT_VERSION,
            rule="an exact chart version such as 5.4.0 (no ranges: previews must be reproducible)",
        )
        or OFFICIAL_CHART_VERSION,
    )


def _read_image(root: _Reader) -> ImageSettings:
    image = root.child("image", {"repository", "tag", "digest"})
    if not root.has("image"):
        root.problems.append(
            f"{PROJECT}:image: missing; must pin repository and tag (e.g. {COMMUNITY_IMAGE_REPOSITORY} / a RELEASE.* "
            "tag, or a patched build from your registry)"
        )
        return ImageSettings(repository="", tag="", digest=None)  # one problem: its missing fields say nothing more
    tag = image.string(
        "tag",
        required=True,
        check=lambda t: t != "latest" and re.fullmatch(r"[\w][\w.-]{0,127}", t) is not None,
        rule="an explicit image tag other than 'latest' (e.g. RELEASE.2025-10-15T17-29-55Z)",
    )
    return ImageSettings(
        repository=image.string(
            "repository",
            required=True,
            pattern=re.compile(r"^[a-z0-9]+([._/:-][a-z0-9]+)*$"),
            rule="an image repository such as quay.io/minio/minio",
        )
        or "",
        tag=tag or "",
        digest=image.string("digest", pattern=DIGEST, rule="a digest sha256:<64 hex digits>"),
    )


def _read_storage(root: _Reader, release_name: str) -> StorageSettings:
    storage = root.child(
        "storage",
        {"kind", "sizePerDrive", "nodes", "hostPath", "storageClassName", "existingStorageClass", "storageClass"},
    )
    kind = storage.string("kind", required=True, choices=("local", "provisioned"), rule="local or provisioned")
    size, size_bytes = storage.quantity("sizePerDrive", None, required=True)
    if kind == "local":
        for key in ("existingStorageClass", "storageClass"):
            if storage.has(key):
                storage.problem(key, storage.raw(key), "absent for kind: local (it is for kind: provisioned)")
        nodes = storage.raw("nodes", None)
        if not isinstance(nodes, list) or not nodes:
            storage.problem("nodes", nodes, "a non-empty list of Kubernetes node names for the local volumes")
            nodes = []
        elif not all(isinstance(n, str) and DNS_SUBDOMAIN.match(n) for n in nodes) or len(set(nodes)) != len(nodes):
            storage.problem("nodes", nodes, "distinct Kubernetes node names (DNS subdomains)")
            nodes = []
        return StorageSettings(
            kind="local",
            size_per_drive=size or "",
            size_per_drive_bytes=size_bytes or 0,
            storage_class_name=storage.string(
                "storageClassName", f"{release_name}-local", pattern=DNS_SUBDOMAIN, rule="a StorageClass name"
            )
            or "",
            create_storage_class=True,
            nodes=tuple(nodes),
            host_path=storage.string(
                "hostPath", required=True, check=_is_absolute_path, rule="an absolute path on the nodes"
            ),
        )
    if kind == "provisioned":
        for key in ("nodes", "hostPath", "storageClassName"):
            if storage.has(key):
                storage.problem(key, storage.raw(key), "absent for kind: provisioned (it is for kind: local)")
        existing = storage.string("existingStorageClass", pattern=DNS_SUBDOMAIN, rule="a StorageClass name")
        created = storage.child("storageClass", {"name", "provisioner", "parameters"})
        if storage.has("existingStorageClass") == storage.has("storageClass"):
            storage.problems.append(
                f"{storage.key('')}: must set exactly one of existingStorageClass (a class that exists) or "
                "storageClass (name, provisioner, parameters: a class to create)"
            )
        if storage.has("storageClass"):
            return StorageSettings(
                kind="provisioned",
                size_per_drive=size or "",
                size_per_drive_bytes=size_bytes or 0,
                storage_class_name=created.string(
                    "name", required=True, pattern=DNS_SUBDOMAIN, rule="a StorageClass name"
                )
                or "",
                create_storage_class=True,
                provisioner=created.string(
                    "provisioner",
                    required=True,
                    pattern=re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(/[a-z0-9._-]+)?$"),
                    rule="a CSI provisioner name such as ebs.csi.aws.com or pd.csi.storage.gke.io",
                ),
                parameters=created.string_map("parameters"),
            )
        return StorageSettings(
            kind="provisioned",
            size_per_drive=size or "",
            size_per_drive_bytes=size_bytes or 0,
            storage_class_name=existing or "",
            create_storage_class=False,
        )
    return StorageSettings(
        kind="invalid", size_per_drive="", size_per_drive_bytes=0, storage_class_name="", create_storage_class=False
    )


def _read_topology(root: _Reader) -> TopologySettings:
    topology = root.child("topology", {"mode", "serversPerPool", "drivesPerServer", "pools"})
    mode = topology.string(
        "mode", required=True, choices=("standalone", "distributed"), rule="standalone or distributed"
    )
    if mode == "standalone":
        for key in ("serversPerPool", "drivesPerServer", "pools"):
            if topology.has(key) and _integer_value(topology.raw(key)) != 1:
                topology.problem(key, topology.raw(key), "1 or absent in standalone mode (one server, one drive)")
        return TopologySettings("standalone", 1, 1, 1)
    servers = topology.integer("serversPerPool", None, minimum=1, maximum=1024)
    drives = topology.integer("drivesPerServer", None, minimum=1, maximum=64)
    pools = topology.integer("pools", 1, minimum=1, maximum=64)
    for key, value in (("serversPerPool", servers), ("drivesPerServer", drives)):
        if value is None and not topology.has(key) and mode == "distributed":
            topology.problems.append(f"{topology.key(key)}: missing; must be an integer >= 1 in distributed mode")
    return TopologySettings(mode or "invalid", servers or 0, drives or 0, pools or 0)


def _parity(reader: _Reader, name: str, *, allow_none: bool) -> tuple[int | None, bool]:
    """(parity, explicitly 'none')."""
    value = reader.raw(name, None)
    if value is None:
        return None, False
    if allow_none and value == "none":
        return None, True
    match = PARITY.match(value) if isinstance(value, str) else None
    if not match:
        reader.problem(name, value, "a parity of the form EC:N (e.g. EC:4)" + (" or none" if allow_none else ""))
        return None, False
    return int(match[1]), False


def _read_erasure(root: _Reader, topology: TopologySettings) -> ErasureSettings:
    ec = root.child("erasure", {"standard", "reducedRedundancy", "setDriveCount"})
    standard, standard_none = _parity(ec, "standard", allow_none=True)
    reduced, _ = _parity(ec, "reducedRedundancy", allow_none=False)
    set_drive_count = ec.integer("setDriveCount", None, minimum=erasure.MIN_SET_SIZE, maximum=erasure.MAX_SET_SIZE)
    if topology.mode == "standalone":
        for key, parity in (("standard", standard), ("reducedRedundancy", reduced)):
            if parity:
                ec.problem(key, ec.raw(key), "none or absent: a single drive cannot be erasure-coded (EC:0 only)")
        if ec.has("setDriveCount"):
            ec.problem("setDriveCount", ec.raw("setDriveCount"), "absent in standalone mode")
    elif standard_none:
        ec.problem("standard", "none", "EC:N or absent (MinIO's default) in distributed mode: it always erasure-codes")
    return ErasureSettings(standard, reduced, set_drive_count)


def _layout_problems(problems: list[str], topology: TopologySettings, ec: ErasureSettings, drive_bytes: int) -> None:
    """The cross-key erasure rule: a distributed layout MinIO would refuse at start. The figures themselves are the
    planning layer's (components/model/figures.py)."""
    if topology.mode != "distributed":
        return
    if not (topology.servers_per_pool and topology.drives_per_server and topology.pools):
        return  # topology problems already recorded
    try:
        erasure.distributed_figures(
            topology.servers_per_pool,
            topology.drives_per_server,
            topology.pools,
            drive_bytes,
            ec.standard_parity,
            ec.reduced_redundancy_parity,
            ec.set_drive_count,
        )
    except erasure.ErasureLayoutError as err:
        layout = {
            "serversPerPool": topology.servers_per_pool,
            "drivesPerServer": topology.drives_per_server,
            "standard": f"EC:{ec.standard_parity}" if ec.standard_parity is not None else "default",
            "reducedRedundancy": f"EC:{ec.reduced_redundancy_parity}"
            if ec.reduced_redundancy_parity is not None
            else "default",
        }
        if ec.set_drive_count:
            layout["setDriveCount"] = ec.set_drive_count
        problems.append(f"{PROJECT}:topology/erasure: got {_show(layout)}; MinIO would refuse this layout: {err}")


def _secret_ref(reader: _Reader, name: str, *, with_key: bool = True) -> SecretKeyRef | None:
    if not reader.has(name):
        return None
    ref = reader.child(name, {"name", "key", "namespace"} if with_key else {"name", "namespace"})
    return SecretKeyRef(
        name=ref.string("name", required=True, pattern=DNS_SUBDOMAIN, rule="a Secret name") or "",
        key=(
            ref.string("key", required=True, pattern=re.compile(r"^[-._a-zA-Z0-9]+$"), rule="a Secret data key")
            if with_key
            else "tls.crt"
        )
        or "",
        namespace=ref.string(
            "namespace", pattern=DNS_LABEL, check=fits_dns_label, rule=f"a namespace name: {NAMESPACE_RULE}"
        ),
    )


def _is_platform_key_name(name: str) -> bool:
    # A tenant's purge deletes its key `tenant-<id>`: were that the server's default key, it would shred every
    # shared bucket's objects too.
    return KEY_NAME.match(name) is not None and not name.startswith(TENANT_KMS_KEY_PREFIX)


# Names no public CA may certify (CA/Browser Forum Baseline Requirements 4.2.2: no Internal Names or Reserved IP
# Addresses): a single label, a Kubernetes Service name (`<svc>.<ns>.svc[.<cluster domain>]`) and these suffixes
# (RFC 6761/6762/2606, ICANN's .internal and common private ones).
PRIVATE_NAME_SUFFIXES = ("local", "localhost", "internal", "test", "example", "invalid", "home.arpa", "lan", "corp")


def private_tls_name(endpoint: str) -> bool:
    """Whether a certificate for this https endpoint's host can only come from a private CA."""
    host = (urllib.parse.urlsplit(endpoint).hostname or "").rstrip(".").lower()
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        pass
    labels = host.split(".")
    return len(labels) < 2 or "svc" in labels[1:] or any(host.endswith(f".{s}") for s in PRIVATE_NAME_SUFFIXES)


def _kes_trust_problem(endpoints: list[str], ca_secret: SecretKeyRef | None, key: str) -> list[str]:
    # MinIO verifies KES against the system roots plus MINIO_KMS_KES_CAPATH (or certs/CAs) only, and a KES it cannot
    # verify stops the server at start (internal/kms/config.go `Connect`, certs.GetRootCAs; cmd/common-main.go
    # `handleKMSConfig`, logger.Fatal; RELEASE.2024-12-18T13-15-44Z and RELEASE.2025-10-15T17-29-55Z alike).
    private = [endpoint for endpoint in endpoints if private_tls_name(endpoint)]
    if ca_secret is not None or not private:
        return []
    return [
        f"{key}: missing; {', '.join(private)} has a name no public CA vouches for, so MinIO needs the CA that issued "
        "KES's certificate: name an existing Secret holding it (name, key, namespace), e.g. the issuer's ca.crt "
        "(MinIO trusts only the system roots and that CA, internal/kms/config.go Connect; without it every server "
        "stops at start)"
    ]


def _read_kms(root: _Reader) -> KmsSettings:
    kms = root.child("kms", {"mode", "keyName", "kes"})
    mode = kms.string("mode", required=True, choices=("none", "static", "kes"), rule="none, static or kes")
    key_rule = (
        f"a KMS key name of letters, digits, '.', '_' or '-', not starting with '{TENANT_KMS_KEY_PREFIX}' (the "
        "names of tenant keys, which a purge deletes)"
    )
    if mode == "kes":
        kes = kms.child("kes", {"endpoints", "apiKeySecret", "clientCertSecret", "caSecret"})
        endpoints = kes.raw("endpoints", None)
        if (
            not isinstance(endpoints, list)
            or not endpoints
            or not all(isinstance(e, str) and e.startswith("https://") for e in endpoints)
        ):
            kes.problem("endpoints", endpoints, "a non-empty list of https:// KES endpoints")
            endpoints = []
        api_key = _secret_ref(kes, "apiKeySecret")
        client_cert = _secret_ref(kes, "clientCertSecret", with_key=False)
        if (api_key is None) == (client_cert is None):
            kes.problems.append(
                f"{kes.key('')}: must set exactly one of apiKeySecret (name, key of an existing Secret holding the "
                "KES API key) or clientCertSecret (name of an existing kubernetes.io/tls Secret for mTLS)"
            )
        key_name = kms.string(
            "keyName", required=True, check=_is_platform_key_name, rule=key_rule + " (KES default key)"
        )
        ca_secret = _secret_ref(kes, "caSecret")
        kes.problems.extend(_kes_trust_problem(endpoints, ca_secret, kes.key("caSecret")))
        return KmsSettings("kes", key_name or "", KesSettings(tuple(endpoints), api_key, client_cert, ca_secret))
    if kms.has("kes"):
        kms.problem("kes", kms.raw("kes"), f"absent unless mode is kes (mode is {mode})")
    if mode == "static":
        return KmsSettings(
            "static", kms.string("keyName", "matih-static", check=_is_platform_key_name, rule=key_rule) or ""
        )
    if kms.has("keyName") and mode == "none":
        kms.problem("keyName", kms.raw("keyName"), "absent when mode is none")
    return KmsSettings(mode or "invalid", "")


def _read_resources(root: _Reader) -> ResourceSettings:
    resources = root.child("resources", {"requests", "limits"})
    parsed: dict[str, dict[str, str]] = {}
    amounts: dict[tuple[str, str], int] = {}
    for section in ("requests", "limits"):
        reader = resources.child(section, {"cpu", "memory"})
        parsed[section] = {}
        for resource in ("cpu", "memory"):
            text = reader.raw(resource, None)
            if text is None:
                reader.problems.append(
                    f"{reader.key(resource)}: missing; must be a Kubernetes quantity (MinIO pods need explicit "
                    "requests and limits; the chart's default asks for 16Gi)"
                )
                continue
            amount = parse_quantity(text)
            if amount is None or amount <= 0:
                reader.problem(resource, text, "a positive Kubernetes quantity such as 2, 500m, 8Gi")
                continue
            parsed[section][resource] = str(text)
            amounts[(section, resource)] = int(amount * 1000)
    for resource in ("cpu", "memory"):
        request, limit = amounts.get(("requests", resource)), amounts.get(("limits", resource))
        if request is not None and limit is not None and limit < request:
            resources.problems.append(
                f"{resources.key('limits.' + resource)}: got {_show(parsed['limits'][resource])}; must be at least "
                f"the request {_show(parsed['requests'][resource])}"
            )
    return ResourceSettings(parsed["requests"], parsed["limits"])


def _read_tls(root: _Reader) -> TlsSettings:
    tls = root.child("tls", {"enabled", "certSecret"})
    enabled = tls.boolean("enabled", False)
    cert = tls.string("certSecret", pattern=DNS_SUBDOMAIN, rule="a kubernetes.io/tls Secret name")
    if enabled and cert is None and not tls.has("certSecret"):
        tls.problems.append(f"{tls.key('certSecret')}: missing; must name a kubernetes.io/tls Secret when enabled")
    return TlsSettings(enabled, cert if enabled else None)


def _is_in_cluster_host(host: str) -> bool:
    return ".svc." in f"{host}."


def _read_api(root: _Reader, release_name: str, namespace: str, tls: TlsSettings) -> ApiSettings:
    """`api` and `minioEndpoint`: the exposure is chosen explicitly, and the endpoint must be where it leads."""
    endpoint = root.string(
        "minioEndpoint",
        required=True,
        pattern=HOST_PORT,
        rule="host:port where Pulumi reaches the MinIO API (no scheme)",
    )
    api = root.child("api", {"exposure", "nodePort", "loadBalancer", "caFile"})
    exposure = api.string(
        "exposure",
        required=True,
        choices=API_EXPOSURES,
        rule="one of " + ", ".join(API_EXPOSURES) + ": how the machine running Pulumi reaches the S3 API",
    )
    for key in ("nodePort", "loadBalancer"):  # each belongs to the exposure of its name
        if api.has(key) and exposure != key:
            api.problem(key, api.raw(key), f"absent unless exposure is {key} (exposure is {exposure})")
    ca_file = api.string(
        "caFile", check=_is_absolute_path, rule="an absolute path to a PEM CA file on the Pulumi machine"
    )
    if ca_file is not None and not tls.enabled:
        api.problem("caFile", ca_file, "absent unless tls.enabled is true (the API is plain HTTP)")
    host, _, port_text = (endpoint or "").rpartition(":")
    port = int(port_text) if port_text.isdigit() else 0
    in_cluster = in_cluster_endpoint(release_name, namespace)
    node_port, annotations, source_range = None, {}, None
    if exposure == "inCluster":
        if endpoint and endpoint != in_cluster:
            root.problem(
                "minioEndpoint",
                endpoint,
                f'"{in_cluster}" (the S3 Service\'s in-cluster address) when api.exposure is inCluster, i.e. when '
                "Pulumi runs inside the cluster",
            )
    elif exposure in ("nodePort", "loadBalancer") and endpoint and _is_in_cluster_host(host):
        root.problem(
            "minioEndpoint",
            endpoint,
            f"an address outside the cluster when api.exposure is {exposure} (in-cluster Service names resolve "
            "only inside the cluster: use exposure inCluster for them)",
        )
    if exposure == "nodePort":
        low, high = NODE_PORT_RANGE
        node_port = api.integer("nodePort", None, minimum=low, maximum=high)
        if not api.has("nodePort"):
            api.problems.append(f"{api.key('nodePort')}: missing; must be an integer from {low} to {high}")
        elif node_port is not None and endpoint and port != node_port:
            root.problem(
                "minioEndpoint",
                endpoint,
                f"a host:port on port {node_port}, the api.nodePort (kind/cluster.yaml maps it to the same host port)",
            )
    if exposure == "loadBalancer":
        if not tls.enabled:
            root.problems.append(
                f"{PROJECT}:tls.enabled: got {_show(tls.enabled)}; must be true when api.exposure is loadBalancer: "
                "the root credentials would cross the network in clear"
            )
        balancer = api.child("loadBalancer", {"annotations", "sourceRanges"})
        annotations = balancer.string_map("annotations")
        ranges = balancer.raw("sourceRanges", None)
        if (
            not isinstance(ranges, list)
            or len(ranges) != 1
            or not isinstance(ranges[0], str)
            or not CIDR.match(ranges[0])
            or ranges[0] in OPEN_TO_THE_WORLD
        ):
            # Chart 5.4.0 (templates/service.yaml) renders loadBalancerSourceRanges with Go's %v: two ranges would
            # become the one invalid string "a b", so exactly one is supported.
            balancer.problem(
                "sourceRanges",
                ranges,
                "a list of exactly one CIDR that is not open to the world (chart 5.4.0 renders only one), e.g. "
                '["10.0.0.0/8"]',
            )
        else:
            source_range = ranges[0]
        if endpoint and port != MINIO_API_PORT:
            root.problem("minioEndpoint", endpoint, f"a host:port on port {MINIO_API_PORT}, the load balancer's port")
    return ApiSettings(
        exposure=exposure or "invalid",
        endpoint=endpoint or "",
        node_port=node_port,
        load_balancer_annotations=annotations,
        load_balancer_source_range=source_range,
        ca_file=ca_file if tls.enabled else None,
    )


def _read_scheduling(root: _Reader) -> SchedulingSettings:
    scheduling = root.child("scheduling", {"nodeSelector", "tolerations"})
    tolerations = scheduling.raw("tolerations", [])
    if not isinstance(tolerations, list) or not all(
        isinstance(t, dict) and t and set(t) <= TOLERATION_KEYS for t in tolerations
    ):
        scheduling.problem(
            "tolerations", tolerations, "a list of tolerations with keys " + ", ".join(sorted(TOLERATION_KEYS))
        )
        tolerations = []
    return SchedulingSettings(scheduling.string_map("nodeSelector"), tuple(tolerations))


MONITORING_KEYS = {"serviceMonitor", "rules", "dashboard", "labels"}
# Kubernetes label syntax (apimachinery pkg/util/validation IsQualifiedName, IsValidLabelValue).
LABEL_NAME = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
)
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


def _read_monitoring(root: _Reader) -> MonitoringSettings:
    monitoring = root.child("monitoring", MONITORING_KEYS)
    service_monitor = monitoring.boolean("serviceMonitor", False)
    rules = monitoring.boolean("rules", False)
    dashboard = monitoring.boolean("dashboard", False)
    labels = monitoring.string_map("labels")
    rule = "Kubernetes label names (e.g. release, example.com/team) mapped to label values (at most 63 characters)"
    for key, value in labels.items():
        if not LABEL_NAME.match(key) or len(key.rpartition("/")[0]) > 253 or not LABEL_VALUE.match(value):
            monitoring.problem("labels", {key: value}, rule)
    if rules and not service_monitor:
        monitoring.problem(
            "rules",
            True,
            "false unless serviceMonitor is true: the rules select the job label our ServiceMonitor gives the "
            "series, and without a scrape they would only report the metrics absent",
        )
    return MonitoringSettings(service_monitor, rules, dashboard, labels)


# Keys this program no longer reads, each with what replaces it: a stack file still using one gets told, not ignored.
# A boolean "retire the previous generation" left set deleted, at the next rotation, the generation every pod held.
TENANT_RETIRED_KEYS: Mapping[str, str] = {
    "retirePreviousKeys": (
        "absent: replaced by retireKeysThrough: <generation> (every generation up to it is retired; a true left set "
        "deleted the keys every pod held at the next rotation). To keep what true did now, set retireKeysThrough to "
        "the current generation minus 1 (1 + accessKeys.rotation + keyRotation + serviceKeyRotation.<service>)"
    ),
}
ACCESS_KEYS_RETIRED_KEYS: Mapping[str, str] = {
    "retirePrevious": (
        "absent: replaced by accessKeys.retireThrough: <generation> (every tenant key up to that generation is "
        "retired; a true left set deleted the keys every pod held at the next rotation). To keep what true did now, "
        "set it to accessKeys.rotation"
    ),
}
MAX_GENERATION = 3 * MAX_ROTATION + 1


def _refuse_retired_keys(reader: _Reader, retired: Mapping[str, str]) -> None:
    for key, replacement in retired.items():
        if reader.has(key):
            reader.problem(key, reader.raw(key), replacement)


def _generation(reader: _Reader, name: str) -> int:
    return reader.integer(name, 0, minimum=0, maximum=MAX_GENERATION) or 0


TENANT_KEYS = {
    "id",
    "isolation",
    "quota",
    "state",
    "purgeAcknowledged",
    "adopt",
    "keyRotation",
    "serviceKeyRotation",
    "retireKeysThrough",
    "serviceRetireKeysThrough",
    "kmsKeyVerified",
    *TENANT_RETIRED_KEYS,
}


def _rotation(reader: _Reader, name: str) -> int:
    return reader.integer(name, 0, minimum=0, maximum=MAX_ROTATION) or 0


def _read_service_key_rotation(entry: _Reader) -> dict[str, int]:
    keyed = tuple(s for s in SERVICE_IDS if grants_of(s))  # services that hold an access key per tenant
    counters = entry.child("serviceKeyRotation", set(keyed))
    return {service: _rotation(counters, service) for service in keyed if counters.has(service)}


def adoption_problems(kms: KmsSettings, tenants: tuple[TenantSettings, ...]) -> list[str]:
    """Adopting a tenant's KES key needs `kmsKeyVerified: tenant-<id>`: the provider's import proves nothing.

    terraform-provider-minio v1.20.1 imports a KmsKey by passing the id through (resource_minio_kms_key.go,
    `ImportStatePassthroughContext`) and reads it with the `key_id` input still empty; MinIO answers an empty key-id
    with its default key (RELEASE.2024-12-18T13-15-44Z cmd/kms-handlers.go `KMSKeyStatusHandler`), so the import
    succeeds for a key that does not exist, and the tenant's buckets would then default to a missing key. What this
    proves: that someone asked KES for this very key before the `up`, not that it still exists during it."""
    problems = []
    for tenant in tenants:
        key_name = f"{TENANT_KMS_KEY_PREFIX}{tenant.id}"
        verified = tenant.kms_key_verified
        entry = f"{PROJECT}:tenants[id={tenant.id}].kmsKeyVerified"
        if verified is not None and not kms.per_tenant_keys:
            problems.append(
                f"{entry}: got {_show(verified)}; must be absent unless kms.mode is kes (mode {kms.mode} has no "
                "per-tenant key to adopt)"
            )
        elif verified is not None and not tenant.adopt:
            problems.append(f"{entry}: got {_show(verified)}; must be absent unless adopt is true")
        elif tenant.adopt and kms.per_tenant_keys and verified != key_name:
            problems.append(
                f"{entry}: got {_show(verified)}; must be {_show(key_name)} with adopt: true under KES, after you "
                f"checked that the key exists: `mc admin kms key status --json <alias> {key_name}` must print "
                f"keyId {key_name} with no encryptionError or decryptionError (a missing key answers too, exit "
                "status 0, with an encryptionError: cmd/kms-handlers.go KMSKeyStatusHandler; and the provider's "
                "import reads the key without its id, which MinIO answers with its default key, so the import alone "
                "proves nothing)"
            )
    return problems


def _read_service_retire_keys_through(entry: _Reader) -> dict[str, int]:
    keyed = tuple(s for s in SERVICE_IDS if grants_of(s))
    marks = entry.child("serviceRetireKeysThrough", set(keyed))
    return {service: _generation(marks, service) for service in keyed if marks.has(service)}


def _read_tenant_state(entry: _Reader, tenant_id: str) -> str:
    state = entry.string("state", "active", choices=TENANT_STATES) or "active"
    acknowledged = entry.raw("purgeAcknowledged", None)
    if state == "purge" and acknowledged != tenant_id:
        # Purging deletes the tenant's dedicated buckets with every object in them: a typo must not do that.
        entry.problem(
            "purgeAcknowledged",
            acknowledged,
            f"the tenant's own id {_show(tenant_id)} with state: purge (a purge deletes its dedicated buckets with "
            "every object in them)",
        )
        return "offboarding"
    if state != "purge" and acknowledged is not None:
        entry.problem("purgeAcknowledged", acknowledged, "absent unless state is purge")
    return state


def _read_tenants(root: _Reader) -> tuple[TenantSettings, ...]:
    raw = root.raw("tenants", [])
    if not isinstance(raw, list):
        root.problem("tenants", raw, "a list of tenant ids or {id, isolation, quota, ...} mappings")
        return ()
    tenants: list[TenantSettings] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        entry = _Reader(
            root.problems, f"tenants[{index}]", item if isinstance(item, dict) else {"id": item}, TENANT_KEYS
        )
        tenant_id = entry.raw("id", None)
        problem = tenant_id_problem(tenant_id)
        if problem:
            if isinstance(tenant_id, (int, float)) and not isinstance(tenant_id, bool):
                # YAML 1.2 reads 2024, 0123 or 1e3 as numbers (the CLI's gopkg.in/yaml.v3 does): say so.
                problem += '; the stack file\'s YAML read it as a number: quote the id as written (id: "...")'
            entry.problem("id", tenant_id, problem)
            continue
        assert isinstance(tenant_id, str)
        if tenant_id in seen:
            entry.problem("id", tenant_id, "unique: this tenant id is listed twice")
            continue
        seen.add(tenant_id)
        isolation = entry.string("isolation", "prefix", choices=("prefix", "bucket")) or "prefix"
        quota, quota_bytes = entry.quantity("quota", None)
        if quota is not None and isolation != "bucket":
            entry.problem(
                "quota",
                quota,
                "absent for prefix isolation: MinIO quotas apply to whole buckets (use isolation: bucket)",
            )
            quota, quota_bytes = None, None
        tenants.append(
            TenantSettings(
                tenant_id,
                isolation,
                quota,
                quota_bytes,
                state=_read_tenant_state(entry, tenant_id),
                adopt=entry.boolean("adopt", False),
                key_rotation=_rotation(entry, "keyRotation"),
                service_key_rotation=_read_service_key_rotation(entry),
                retire_keys_through=_generation(entry, "retireKeysThrough"),
                service_retire_keys_through=_read_service_retire_keys_through(entry),
                kms_key_verified=entry.raw("kmsKeyVerified", None),
            )
        )
        _refuse_retired_keys(entry, TENANT_RETIRED_KEYS)
    return tuple(tenants)


def _read_access_keys(root: _Reader) -> AccessKeySettings:
    access_keys = root.child("accessKeys", {"rotation", "retireThrough", "retirePrevious"})
    _refuse_retired_keys(access_keys, ACCESS_KEYS_RETIRED_KEYS)
    return AccessKeySettings(_rotation(access_keys, "rotation"), _generation(access_keys, "retireThrough"))


def _read_services(root: _Reader) -> dict[str, str]:
    services = root.child("services", set(SERVICE_IDS))
    namespaces = {}
    for service_id in SERVICE_IDS:
        namespace = services.string(
            service_id,
            required=True,
            pattern=DNS_LABEL,
            check=fits_dns_label,
            rule=f"the Kubernetes namespace {service_id} runs in: {NAMESPACE_RULE}",
        )
        if namespace:
            namespaces[service_id] = namespace
    return namespaces


def _read_buckets(root: _Reader) -> dict[str, BucketOptions]:
    buckets = root.child("buckets", set(BUCKET_NAMES))
    options = {}
    for name in BUCKET_NAMES:
        entry = buckets.child(name, {"versioning", "objectLocking", "expiryDays", "noncurrentVersionExpiryDays"})
        versioning = entry.boolean("versioning", False)
        locking = entry.boolean("objectLocking", False)
        expiry = entry.integer("expiryDays", None, minimum=1, maximum=36500)
        noncurrent = entry.integer("noncurrentVersionExpiryDays", None, minimum=1, maximum=36500)
        if locking and not versioning:
            entry.problem("objectLocking", True, "used with versioning: true (object locking needs versioning)")
        if noncurrent is not None and not versioning:
            entry.problem("noncurrentVersionExpiryDays", noncurrent, "used with versioning: true")
        if expiry is not None and catalog_bucket(name).table_format_managed:
            entry.problem(
                "expiryDays", expiry, f"absent: {name} holds Iceberg data and metadata, which table maintenance expires"
            )
        options[name] = BucketOptions(versioning, locking, expiry, noncurrent)
    return options


def _read_trino(root: _Reader) -> TrinoSettings:
    trino = root.child("trino", {"catalogType", "catalogUri"})
    return TrinoSettings(
        catalog_type=trino.string("catalogType", "rest", choices=TRINO_CATALOG_TYPES) or "rest",
        catalog_uri=trino.string(
            "catalogUri",
            required=True,
            check=lambda u: u.startswith(("http://", "https://")),
            rule="the http(s) URL of the Iceberg REST catalog Trino uses",
        )
        or "",
    )


TOP_LEVEL_KEYS = {
    "namespace",
    "releaseName",
    "kubernetes",
    "chart",
    "image",
    "storage",
    "topology",
    "erasure",
    "kms",
    "resources",
    "tls",
    "scheduling",
    "region",
    "minioEndpoint",
    "api",
    "protect",
    "forceDestroyBuckets",
    "createServiceNamespaces",
    "helmTimeoutSeconds",
    "tenants",
    "services",
    "buckets",
    "temporaryObjects",
    "trino",
    "accessKeys",
    "rootCredentialsRotation",
    "monitoring",
    "retiringServices",
}


def _read_retiring_services(root: _Reader) -> tuple[str, ...]:
    """`retiringServices: [<service id>]`: the acknowledgement, naming each service, that lifts the protection of its
    parent user (MinIO's DeleteUser takes every tenant's key of that service with it: cmd/iam-store.go)."""
    value = root.raw("retiringServices", [])
    consumers = set(consuming_services())
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        root.problem("retiringServices", value, "a list of service ids of the catalog")
        return ()
    for index, service in enumerate(value):
        if service not in consumers:
            root.problem(
                f"retiringServices[{index}]",
                service,
                f"a service of the catalog with a parent user{_did_you_mean(service, consumers)}: once a service "
                f"has left the catalog (and its parent user is deleted), drop it from retiringServices; services: "
                f"{', '.join(sorted(consumers))}",
            )
        elif value.index(service) != index:
            root.problem(f"retiringServices[{index}]", service, "unique: this service is listed twice")
    return tuple(v for v in value if v in consumers)


def load_settings(raw: Mapping[str, Any], stack: str) -> Settings:
    """Validate the whole stack configuration; raise ConfigError naming every problem."""
    problems: list[str] = []
    root = _Reader(problems, "", dict(raw), TOP_LEVEL_KEYS)
    namespace = root.string(
        "namespace",
        "minio",
        pattern=DNS_LABEL,
        check=fits_dns_label,
        rule=f"a Kubernetes namespace name: {NAMESPACE_RULE}",
    )
    release_name = root.string(
        "releaseName",
        "minio",
        pattern=re.compile(r"^[a-z]([-a-z0-9]{0,51}[a-z0-9])?$"),
        rule="a Helm release name (DNS label of at most 53 characters starting with a letter)",
    )
    assert namespace is not None and release_name is not None
    kubernetes = _read_kubernetes(root)
    chart = _read_chart(root)
    image = _read_image(root)
    storage = _read_storage(root, release_name)
    topology = _read_topology(root)
    ec = _read_erasure(root, topology)
    _layout_problems(problems, topology, ec, storage.size_per_drive_bytes)
    if storage.kind == "local" and storage.nodes and topology.servers and len(storage.nodes) != topology.servers:
        problems.append(
            f"{PROJECT}:storage.nodes: got {len(storage.nodes)} node(s) for {topology.servers} MinIO server(s); "
            "local volumes need exactly one node per server"
        )
    kms = _read_kms(root)
    resources = _read_resources(root)
    tls = _read_tls(root)
    scheduling = _read_scheduling(root)
    region = root.string("region", "us-east-1", pattern=REGION, rule="an S3 region name such as us-east-1")
    api = _read_api(root, release_name, namespace, tls)
    protect = root.boolean("protect", True)
    force_destroy = root.boolean("forceDestroyBuckets", False)
    create_namespaces = root.boolean("createServiceNamespaces", False)
    if force_destroy and protect:
        root.problem(
            "forceDestroyBuckets",
            True,
            "false while protect is true: a force-destroyable bucket loses its objects on delete (dev stacks only, "
            "with protect: false)",
        )
    timeout = root.integer("helmTimeoutSeconds", 900, minimum=60, maximum=3600)
    tenants = _read_tenants(root)
    access_keys = _read_access_keys(root)
    problems += retirement_problems(access_keys, tenants)
    problems += adoption_problems(kms, tenants)
    root_rotation = _rotation(root, "rootCredentialsRotation")
    services = _read_services(root)
    buckets = _read_buckets(root)
    temporary = root.child("temporaryObjects", {"expiryDays"})
    temporary_days = temporary.integer("expiryDays", 30, minimum=1, maximum=3650)
    trino_settings = _read_trino(root)
    monitoring = _read_monitoring(root)
    retiring_services = _read_retiring_services(root)
    if problems:
        raise ConfigError(problems)
    assert region is not None and timeout is not None and temporary_days is not None
    return Settings(
        stack=stack,
        namespace=namespace,
        release_name=release_name,
        kubernetes=kubernetes,
        chart=chart,
        image=image,
        storage=storage,
        topology=topology,
        erasure=ec,
        kms=kms,
        resources=resources,
        tls=tls,
        scheduling=scheduling,
        region=region,
        api=api,
        protect=protect,
        force_destroy_buckets=force_destroy,
        create_service_namespaces=create_namespaces,
        helm_timeout_seconds=timeout,
        tenants=tenants,
        service_namespaces=services,
        buckets=buckets,
        temporary_object_expiry_days=temporary_days,
        trino=trino_settings,
        access_keys=access_keys,
        root_credentials_rotation=root_rotation,
        monitoring=monitoring,
        retiring_services=retiring_services,
    )


# --- tenant shards ------------------------------------------------------------------------------------------------


class TenantContext(Protocol):
    """What a Tenant reads of its stack. A platform stack's `Settings` is one; a shard's comes from the platform
    stack's `tenantPlatform` output and its own config (`components.model.platform_ref.ShardContext`)."""

    @property
    def kms(self) -> KmsSettings: ...
    @property
    def region(self) -> str: ...
    @property
    def s3_endpoint_url(self) -> str: ...
    @property
    def protect(self) -> bool: ...
    @property
    def service_namespaces(self) -> Mapping[str, str]: ...
    @property
    def buckets(self) -> Mapping[str, BucketOptions]: ...
    @property
    def temporary_object_expiry_days(self) -> int: ...
    @property
    def trino(self) -> TrinoSettings: ...
    @property
    def access_keys(self) -> AccessKeySettings: ...


PLATFORM_STACK_KEY = "platformStack"
# A shard holds only what its tenants need; what the platform decides (endpoint, region, KMS, TLS, bucket options,
# protection) it reads from the platform stack, so that a tenant moved between stacks keeps every setting.
# `minioCaFile`: the CA the shard's MinIO provider trusts when the platform serves TLS (the platform's own is
# `api.caFile`, a path on the machine that runs the platform's Pulumi, which need not be this one).
# `accessKeys`: only `retireThrough`, since retiring keys is each shard's own decision (components/model/rotation.py);
# the rotation counter is the platform's and reaches the shard through `tenantPlatform`.
SHARD_KEYS = {
    PLATFORM_STACK_KEY,
    "tenants",
    "services",
    "trino",
    "kubernetes",
    "minioEndpoint",
    "minioCaFile",
    "accessKeys",
}
# Pulumi.yaml's `config:` defaults, which the CLI applies to every stack of the project, shards included
# (pulumi/pulumi ValidateStackConfigAndApplyProjectConfig). A shard cannot tell them from a value written in its
# file, so a platform key holding exactly its declared default is let through; any other value is refused.
# tests/test_shards.py checks this against Pulumi.yaml.
CLI_DEFAULTED_PLATFORM_KEYS: Mapping[str, object] = {
    "namespace": "minio",
    "releaseName": "minio",
    "region": "us-east-1",
    "protect": True,
    "forceDestroyBuckets": False,
    "createServiceNamespaces": False,
    "helmTimeoutSeconds": 900,
}
# `<organization>/<project>/<stack>`: the form a StackReference resolves on every backend (the self-managed
# backend wants the organization `organization`, Pulumi Cloud the real one).
STACK_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class ShardSettings:
    """A tenant shard: a stack that declares only Tenant components and reads the platform from another stack."""

    stack: str
    platform_stack: str  # <organization>/<project>/<stack>
    kubernetes: KubernetesSettings
    minio_endpoint: str
    tenants: tuple[TenantSettings, ...]
    service_namespaces: Mapping[str, str]
    trino: TrinoSettings
    minio_ca_file: str | None = None
    retire_through: int = 0  # the shard's own accessKeys.retireThrough, checked against the platform's rotation


def _read_shard_retirement(root: _Reader) -> int:
    access_keys = root.child("accessKeys", {"retireThrough", "rotation", *ACCESS_KEYS_RETIRED_KEYS})
    if access_keys.has("rotation"):
        access_keys.problem(
            "rotation",
            access_keys.raw("rotation"),
            "absent in a tenant shard: the platform stack's accessKeys.rotation rotates every shard's tenants "
            "(a shard decides only accessKeys.retireThrough)",
        )
    _refuse_retired_keys(access_keys, ACCESS_KEYS_RETIRED_KEYS)
    return _generation(access_keys, "retireThrough")


def is_shard_config(raw: Mapping[str, Any]) -> bool:
    return PLATFORM_STACK_KEY in raw


def load_shard_settings(raw: Mapping[str, Any], stack: str) -> ShardSettings:
    """Validate a shard's configuration; raise ConfigError naming every problem, platform keys included."""
    problems: list[str] = []
    platform_keys = TOP_LEVEL_KEYS - SHARD_KEYS
    shard_only = {key: value for key, value in raw.items() if key not in platform_keys}
    root = _Reader(problems, "", shard_only, SHARD_KEYS)
    for key in sorted(set(raw) & platform_keys):
        if key in CLI_DEFAULTED_PLATFORM_KEYS and raw[key] == CLI_DEFAULTED_PLATFORM_KEYS[key]:
            continue
        root.problem(
            key,
            raw[key],
            f"absent in a tenant shard: {key} is decided by the platform stack ({PLATFORM_STACK_KEY}); a shard "
            "may set only " + ", ".join(sorted(SHARD_KEYS)),
        )
    platform_stack = root.string(
        PLATFORM_STACK_KEY,
        required=True,
        pattern=STACK_REFERENCE,
        rule=f"the platform stack as <organization>/{PROJECT}/<stack> (e.g. organization/{PROJECT}/prod)",
    )
    if platform_stack is not None:
        project, name = platform_stack.split("/")[1:]
        if project != PROJECT:
            root.problem(PLATFORM_STACK_KEY, platform_stack, f"a stack of this project, {PROJECT}")
        elif name == stack:
            root.problem(PLATFORM_STACK_KEY, platform_stack, "another stack: a shard cannot be its own platform")
    endpoint = root.string(
        "minioEndpoint",
        required=True,
        pattern=HOST_PORT,
        rule="host:port where this shard's Pulumi reaches the MinIO API (no scheme)",
    )
    shard = ShardSettings(
        stack=stack,
        platform_stack=platform_stack or "",
        kubernetes=_read_kubernetes(root),
        minio_endpoint=endpoint or "",
        tenants=_read_tenants(root),
        service_namespaces=_read_services(root),
        trino=_read_trino(root),
        minio_ca_file=root.string(
            "minioCaFile", check=_is_absolute_path, rule="an absolute path to a PEM CA file on the Pulumi machine"
        ),
        retire_through=_read_shard_retirement(root),
    )
    if problems:
        raise ConfigError(problems)
    return shard


def decode_config_value(value: str) -> Any:
    """Pulumi hands every config value over as a string; structured values are JSON."""
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value
