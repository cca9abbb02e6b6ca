"""Tenant isolation, judged by an independent evaluator: moto's IAM/S3 emulation with authorization enforced.

The access keys' embedded policies and the parent users' policies come from the real program (run under the mock
engine); the expectations come from the catalog and the stack configuration. A request counts as allowed only if
moto serves it for that credential. What moto cannot judge (conditions) is checked by the `test_structural_*`
tests on the declared JSON; tests/isolation_support.py explains the split.

MinIO evaluates an access key as parent AND embedded policy. The key tests load the embedded policy alone; the
parent tests show that the parent allows everything its keys are allowed, so the AND never narrows further.
"""

from __future__ import annotations

import fnmatch
import json

import pytest
from botocore.exceptions import ClientError

from components.catalog import BUCKET_NAMES, Access
from tests import minio_admin_model
from tests.isolation_support import (
    CONSUMING_SERVICES,
    DELETE,
    GET,
    LIST,
    LIST_UPLOADS,
    LOCATE,
    PUT,
    SCENARIOS,
    SEED_OBJECT,
    Credential,
    Probe,
    World,
    access_keys,
    as_list,
    bucket_probes,
    granted,
    inventory_of,
    is_allowed,
    object_probes,
    open_world,
    parent_users,
    shared_place,
    statements,
    survey_of,
)

KMS_KEY_ID = "s3:x-amz-server-side-encryption-aws-kms-key-id"
ALL_SCENARIOS = tuple(SCENARIOS)


def key_cases(scenarios: tuple[str, ...] = ALL_SCENARIOS, *, dedicated: bool | None = None, writers: bool = False):
    """(scenario, tenant, service) for every access key the configuration calls for."""
    return [
        pytest.param(name, tenant, service, id=f"{name}:{tenant}:{service}")
        for name in scenarios
        for tenant, is_dedicated in SCENARIOS[name].dedicated().items()
        if dedicated in (None, is_dedicated)
        for service in CONSUMING_SERVICES
        if not writers or Access.WRITE in granted(service).values()
    ]


def service_cases(scenarios: tuple[str, ...] = ALL_SCENARIOS):
    return [pytest.param(name, service, id=f"{name}:{service}") for name in scenarios for service in CONSUMING_SERVICES]


EVERY_KEY = pytest.mark.parametrize(("scenario", "tenant", "service"), key_cases())
EVERY_PARENT = pytest.mark.parametrize(("scenario", "service"), service_cases())


@pytest.fixture
def live_world():
    """A world of its own for a test that adds users; the access tests read `survey_of` instead."""
    with open_world(SCENARIOS["dev"]) as world:
        yield world


def shown(probes) -> str:
    return "\n  " + "\n  ".join(str(p) for p in sorted(probes)) if probes else " (none)"


# --- the harness --------------------------------------------------------------------------------------------------


def test_harness_enforces_authorization(live_world: World):
    """Without enforcement every denial below would be vacuous: a user without S3 object rights must be refused."""
    unrelated = {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}
    nobody = live_world.client_for("nobody", "nobody", json.dumps({"Version": "2012-10-17", "Statement": [unrelated]}))
    seed = Probe(GET, "lakehouse", "globex/seed.txt")
    assert not is_allowed(nobody, seed)
    assert is_allowed(live_world.admin_client("s3"), seed)


def test_moto_limits_that_the_structural_tests_cover(live_world: World):
    """moto ignores conditions: the declared policy, loaded unmodified, lists a foreign prefix and cannot write.

    If this starts failing, moto has learned to judge these conditions: move the structural checks to moto.
    """
    declared = json.loads(live_world.keys[("acme-corp", "spark")].policy)
    # moto refuses a statement without Resource, which is how MinIO takes admin statements: it cannot judge those.
    with pytest.raises(ClientError, match="must contain resources"):
        live_world.client_for("admin-deny", "admin-deny", json.dumps(declared))
    declared["Statement"] = [s for s in declared["Statement"] if "Resource" in s]
    raw = live_world.client_for("raw-key", "raw-key", json.dumps(declared))
    assert is_allowed(raw, Probe(LIST, "lakehouse", "globex/")), "moto now judges StringLike s3:prefix"
    assert not is_allowed(raw, Probe(PUT, "lakehouse", "acme-corp/no-sse-header")), "moto now judges Null"


def test_every_tenant_has_one_key_per_consuming_service():
    for name, scenario in SCENARIOS.items():
        expected = {(tenant, service) for tenant in scenario.dedicated() for service in CONSUMING_SERVICES}
        assert set(access_keys(inventory_of(name))) == expected, name


# --- access keys: one tenant, one service -------------------------------------------------------------------------


@EVERY_KEY
def test_key_reads_its_tenant_data_in_every_granted_bucket(scenario: str, tenant: str, service: str):
    survey, key = survey_of(scenario), Credential(service, tenant)
    wanted = []
    for catalog_bucket in granted(service):
        home = survey.home(tenant, catalog_bucket)
        wanted += [Probe(GET, home.bucket, home.prefix + SEED_OBJECT), Probe(LOCATE, home.bucket)]
        wanted.append(Probe(LIST, home.bucket, home.prefix))
    assert not survey.denied_of(key, wanted), f"refused:{shown(survey.denied_of(key, wanted))}"


@EVERY_KEY
def test_key_writes_its_tenant_data_exactly_where_its_service_writes(scenario: str, tenant: str, service: str):
    survey, key = survey_of(scenario), Credential(service, tenant)
    for catalog_bucket, access in granted(service).items():
        writes = [p for p in object_probes(survey.home(tenant, catalog_bucket)) if p.action in (PUT, DELETE)]
        allowed = survey.allowed_of(key, writes)
        if access is Access.WRITE:
            assert allowed == writes, f"a writer of {catalog_bucket} is refused:{shown(set(writes) - set(allowed))}"
        else:
            assert not allowed, f"a reader of {catalog_bucket} may write:{shown(allowed)}"


@EVERY_KEY
def test_key_cannot_reach_another_tenants_data(scenario: str, tenant: str, service: str):
    survey, key = survey_of(scenario), Credential(service, tenant)
    foreign = [place for place in survey.places() if place.tenant != tenant]
    probes = [p for place in foreign for p in object_probes(place)]
    probes += [p for place in foreign if not place.shared for p in bucket_probes(place.bucket, [""])]
    assert not survey.allowed_of(key, probes), f"reaches other tenants:{shown(survey.allowed_of(key, probes))}"


@EVERY_KEY
def test_key_cannot_reach_a_bucket_its_service_has_no_grant_on(scenario: str, tenant: str, service: str):
    survey, key = survey_of(scenario), Credential(service, tenant)
    ungranted = [place for place in survey.places() if place.catalog_bucket not in granted(service)]
    probes = [p for place in ungranted for p in object_probes(place)]
    buckets = sorted({place.bucket for place in ungranted})
    probes += [p for bucket in buckets for p in bucket_probes(bucket, survey.list_prefixes(key, bucket))]
    assert not survey.allowed_of(key, probes), f"reaches ungranted buckets:{shown(survey.allowed_of(key, probes))}"


@EVERY_KEY
def test_key_cannot_list_multipart_uploads_of_a_shared_bucket(scenario: str, tenant: str, service: str):
    """Upload listings show every tenant's keys; the action is condition-free, so moto judges it."""
    survey, key = survey_of(scenario), Credential(service, tenant)
    probes = [Probe(LIST_UPLOADS, bucket) for bucket in BUCKET_NAMES]
    assert not survey.allowed_of(key, probes), shown(survey.allowed_of(key, probes))


@pytest.mark.parametrize(("scenario", "tenant", "service"), key_cases(dedicated=True))
def test_bucket_tenant_key_reaches_only_its_own_buckets(scenario: str, tenant: str, service: str):
    """Not the shared buckets (not even its own prefix there), not another tenant's: only `<bucket>-<tenant>`."""
    survey, key = survey_of(scenario), Credential(service, tenant)
    own_buckets = {f"{catalog_bucket}-{tenant}" for catalog_bucket in granted(service)}
    reached = survey.allowed_of(key, survey.probes(key))
    assert reached, "reaches nothing at all"
    assert {p.bucket for p in reached} <= own_buckets, f"outside {sorted(own_buckets)}:{shown(reached)}"


@pytest.mark.parametrize("service", CONSUMING_SERVICES)
@pytest.mark.parametrize(("tenant", "neighbour"), [("acme", "acme-corp"), ("acme-corp", "acme")])
def test_prefix_collision_tenants_cannot_reach_each_other(tenant: str, neighbour: str, service: str):
    survey, key = survey_of("prefix-collision"), Credential(service, tenant)
    probes = [p for bucket in BUCKET_NAMES for p in object_probes(shared_place(neighbour, bucket))]
    assert not survey.allowed_of(key, probes), f"{tenant} reaches {neighbour}:{shown(survey.allowed_of(key, probes))}"


@pytest.mark.parametrize(("scenario", "tenant", "service"), key_cases(("bucket-prefix-collision",)))
def test_key_is_confined_by_its_own_policy_where_its_parent_reaches_every_tenant(
    scenario: str, tenant: str, service: str
):
    """MinIO allows a key what its parent AND its embedded policy allow (cmd/iam.go `IsAllowedServiceAccount`).

    The parent names every tenant's dedicated buckets by `<bucket>-*`, so it reaches the neighbour whose id
    extends this tenant's and the buckets a departed tenant left behind; judged by moto, parent AND key still
    reach only this tenant's own buckets.
    """
    survey, key, parent = survey_of(scenario), Credential(service, tenant), Credential(service)
    probes = survey.probes(key)
    effective = [p for p in probes if survey.allowed(parent, p) and survey.allowed(key, p)]
    own = {survey.home(tenant, catalog_bucket).bucket for catalog_bucket in granted(service)}
    assert effective, "reaches nothing at all"
    assert {p.bucket for p in effective} <= own, f"outside {sorted(own)}:{shown(effective)}"
    others = [t for t in survey.tenants if t != tenant] + list(survey.departed)
    foreign = [
        Probe(GET, f"{catalog_bucket}-{other}", SEED_OBJECT) for other in others for catalog_bucket in granted(service)
    ]
    assert not survey.denied_of(parent, foreign), "the parent is narrower than expected: nothing left to confine"
    assert not survey.allowed_of(key, foreign)


# --- parent users: one service, all tenants -----------------------------------------------------------------------


@EVERY_PARENT
def test_parent_allows_every_request_its_tenant_keys_are_allowed(scenario: str, service: str):
    """MinIO grants a key parent AND embedded policy: the parent must never be the narrower one."""
    survey, parent = survey_of(scenario), Credential(service)
    for tenant in survey.tenants:
        key = Credential(service, tenant)
        needed = survey.allowed_of(key, survey.probes(key))
        assert needed, f"the key of {tenant} reaches nothing"
        refused = survey.denied_of(parent, needed)
        assert not refused, f"the parent refuses what the key of {tenant} may do:{shown(refused)}"


@EVERY_PARENT
def test_parent_reaches_exactly_what_the_catalog_grants(scenario: str, service: str):
    """Every tenant's data of the buckets the catalog names (shared and dedicated copies); writes only as a writer."""
    survey, parent = survey_of(scenario), Credential(service)
    actions = {access: {GET, LOCATE, LIST} | ({PUT, DELETE} if access is Access.WRITE else set()) for access in Access}
    reachable = {place.bucket: granted(service).get(place.catalog_bucket) for place in survey.places()}
    expected = {p for p in survey.probes(parent) if reachable[p.bucket] and p.action in actions[reachable[p.bucket]]}
    observed = set(survey.allowed_of(parent, survey.probes(parent)))
    assert not observed - expected, f"beyond the catalog:{shown(observed - expected)}"
    assert not expected - observed, f"refused:{shown(expected - observed)}"


def test_trino_parent_cannot_write_the_lakehouse():
    """The catalog's example: Trino reads the Iceberg tables that Spark and the pipelines write."""
    survey, trino = survey_of("prod"), Credential("trino")
    writes = [p for t in survey.tenants for p in object_probes(survey.home(t, "lakehouse")) if p.action != GET]
    assert writes
    assert not survey.allowed_of(trino, writes)


# --- structural: what moto cannot judge ---------------------------------------------------------------------------


def key_policy(scenario: str, tenant: str, service: str) -> list[dict]:
    return statements(access_keys(inventory_of(scenario))[(tenant, service)].policy)


def all_policies(scenario: str) -> list[str]:
    inventory = inventory_of(scenario)
    return [k.policy for k in access_keys(inventory).values()] + [p.policy for p in parent_users(inventory).values()]


def grants_action(statement: dict, action: str) -> bool:
    return statement["Effect"] == "Allow" and any(
        fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in as_list(statement["Action"])
    )


def normalised(condition: dict) -> dict:
    """Condition values as sorted lists, so that "x" and ["x"] compare equal."""
    return {op: {key: sorted(as_list(value)) for key, value in keys.items()} for op, keys in condition.items()}


@pytest.mark.parametrize(("scenario", "tenant", "service"), key_cases(dedicated=False))
def test_structural_shared_bucket_listing_is_limited_to_the_tenant_prefix(scenario: str, tenant: str, service: str):
    """Exactly `T/` and `T/*`: `T*` would also match the prefix of a tenant called `T-other`."""
    listings = [s for s in key_policy(scenario, tenant, service) if grants_action(s, LIST)]
    assert {r for s in listings for r in as_list(s["Resource"])} == {f"arn:aws:s3:::{b}" for b in granted(service)}
    for statement in listings:
        assert normalised(statement.get("Condition", {})) == {
            "StringLike": {"s3:prefix": [f"{tenant}/", f"{tenant}/*"]}
        }


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_structural_no_policy_grants_multipart_upload_listing(scenario: str):
    """Including through wildcards such as `s3:*` or `s3:List*`, for keys and parents alike."""
    for policy in all_policies(scenario):
        assert not [s["Sid"] for s in statements(policy) if grants_action(s, LIST_UPLOADS)]


@pytest.mark.parametrize(("scenario", "tenant", "service"), key_cases(writers=True))
def test_structural_foreign_kms_key_deny_covers_every_written_prefix(scenario: str, tenant: str, service: str):
    """A write naming a key other than the tenant's (bare or as `arn:aws:kms:`) is refused, wherever it writes."""
    kms_key = inventory_of(scenario).outputs["tenants"][tenant]["kmsKey"]
    assert kms_key, "the program declares no key for the tenant"
    dedicated = SCENARIOS[scenario].dedicated()[tenant]
    written = {
        f"arn:aws:s3:::{b}-{tenant}/*" if dedicated else f"arn:aws:s3:::{b}/{tenant}/*"
        for b, access in granted(service).items()
        if access is Access.WRITE
    }
    (deny,) = [s for s in key_policy(scenario, tenant, service) if s["Effect"] == "Deny" and "Resource" in s]
    assert as_list(deny["Action"]) == [PUT]
    assert written <= set(as_list(deny["Resource"])), f"unguarded: {sorted(written - set(deny['Resource']))}"
    assert normalised(deny["Condition"]) == {
        "Null": {KMS_KEY_ID: ["false"]},
        "StringNotEquals": {KMS_KEY_ID: sorted([kms_key, f"arn:aws:kms:{kms_key}"])},
    }


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_structural_no_deny_fires_on_an_absent_key(scenario: str):
    """Multipart parts carry no SSE header: every key an S3 Deny tests must be required present (`Null: false`).
    (The admin Deny, which names no Resource, is meant to fire unconditionally: see the tests below.)"""
    for policy in all_policies(scenario):
        for deny in (s for s in statements(policy) if s["Effect"] == "Deny" and "Resource" in s):
            condition = deny.get("Condition", {})
            present = {key for key, value in condition.get("Null", {}).items() if value == "false"}
            tested = {key for op, keys in condition.items() if op != "Null" for key in keys}
            assert tested and tested <= present, f"{deny['Sid']} may fire without {sorted(tested - present)}"
            assert not [op for op in condition if "IfExists" in op], deny["Sid"]


# --- own-account admin requests: no key mints another (CVE-2025-62506) -------------------------------------------
# moto has no MinIO admin API: tests/minio_admin_model.py models MinIO's evaluation, from the sources it cites.


def test_admin_model_reproduces_the_advisory():
    """The model must show the bypass on the vulnerable release, or passing the tests below would prove nothing:
    an embedded policy that only allows S3 lets its key create a key there, and not on the fixed release."""
    read = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
    s3_only = json.dumps({"Statement": [read]})
    everything = json.dumps({"Statement": [{"Effect": "Allow", "Action": ["admin:*", "s3:*"]}]})
    assert minio_admin_model.key_may_create_own_access_key(s3_only, everything, minio_admin_model.Server.VULNERABLE)
    assert not minio_admin_model.key_may_create_own_access_key(s3_only, everything, minio_admin_model.Server.FIXED)


@EVERY_KEY
@pytest.mark.parametrize("server", list(minio_admin_model.Server), ids=lambda s: s.name.lower())
def test_key_cannot_create_an_access_key_even_on_a_vulnerable_server(
    scenario: str, tenant: str, service: str, server: minio_admin_model.Server
):
    inventory = inventory_of(scenario)
    key = access_keys(inventory)[(tenant, service)]
    parent = parent_users(inventory)[key.parent_user]
    assert not minio_admin_model.key_may_create_own_access_key(key.policy, parent.policy, server)
    # Each side alone refuses it: the key's Deny binds on a vulnerable server even under a permissive parent.
    permissive = json.dumps({"Statement": [{"Effect": "Allow", "Action": ["admin:*"]}]})
    assert not minio_admin_model.key_may_create_own_access_key(key.policy, permissive, server)


@EVERY_PARENT
def test_parent_cannot_create_an_access_key_for_itself(scenario: str, service: str):
    inventory = inventory_of(scenario)
    for parent in parent_users(inventory).values():
        assert not minio_admin_model.parent_may_create_own_access_key(parent.policy), parent.name
        # and it also stops any key under it, whatever that key's own policy says
        no_policy = json.dumps({"Statement": []})
        assert not minio_admin_model.key_may_create_own_access_key(
            no_policy, parent.policy, minio_admin_model.Server.VULNERABLE
        )


# Transcribed from minio/pkg v3.0.23 and v3.1.3 `policy/admin-action.go` (`supportedAdminActions`): the own-account
# actions a key could use on itself, and which a Deny must therefore name.
OWN_ACCOUNT_ACTIONS_IN_MINIO_PKG = {
    "admin:CreateServiceAccount",
    "admin:UpdateServiceAccount",
    "admin:RemoveServiceAccount",
    "admin:ListServiceAccounts",
    "admin:CreateUser",
    "admin:GetUser",
}


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_structural_every_policy_denies_own_account_admin_as_minio_accepts_it(scenario: str):
    """Every embedded and parent policy has one unconditional admin Deny naming each own-account action, with no
    Resource (minio/pkg `Statement.isValid`: an admin statement is valid without one; platform-facts §9: an admin
    resource ARN makes the whole policy invalid) and only admin actions (`ActionSet.ValidateAdmin`)."""
    inventory = inventory_of(scenario)
    documents = {f"key {k}": key.policy for k, key in access_keys(inventory).items()}
    documents |= {f"parent {p.name}": p.policy for p in parent_users(inventory).values()}
    for what, policy in documents.items():
        admin = [s for s in statements(policy) if any(a.startswith("admin:") for a in as_list(s["Action"]))]
        # The metrics parent also allows admin:Prometheus (components/model/monitoring_objects.py); nothing else may.
        allows = [s for s in admin if s["Effect"] != "Deny"]
        assert all(as_list(s["Action"]) == ["admin:Prometheus"] for s in allows), what
        denies = [s for s in admin if s["Effect"] == "Deny"]
        assert len(denies) == 1, what
        (deny,) = denies
        assert deny["Effect"] == "Deny" and "Resource" not in deny and "Condition" not in deny, what
        assert set(as_list(deny["Action"])) == OWN_ACCOUNT_ACTIONS_IN_MINIO_PKG, what


# --- unsigned-trailer uploads: refused for every identity (CVE-2026-41145, CVE-2026-40344 have no community fix) ---
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
CONTENT_SHA256 = "s3:x-amz-content-sha256"


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_structural_every_parent_refuses_unsigned_trailer_uploads_everywhere(scenario: str):
    """MinIO authorises a PutObject/UploadPart (cmd/auth-handler.go `isPutActionAllowed`) with the request headers
    as condition values before the unsigned-trailer reader runs, so this Deny binds on the identity an attacker
    claims; a key is judged parent AND embedded policy, so the parent's Deny covers every key under it."""
    for parent in parent_users(inventory_of(scenario)).values():
        allowed = [a for s in statements(parent.policy) if s["Effect"] == "Allow" for a in as_list(s["Action"])]
        if not any(action.startswith("s3:") for action in allowed):
            # The metrics identity may only scrape (admin:Prometheus): it can upload nothing, signed or not.
            assert allowed == ["admin:Prometheus"], parent.name
            continue
        denies = [
            s
            for s in statements(parent.policy)
            if s["Effect"] == "Deny" and CONTENT_SHA256 in json.dumps(s.get("Condition", {}))
        ]
        assert len(denies) == 1, parent.name
        (deny,) = denies
        assert as_list(deny["Action"]) == [PUT] and as_list(deny["Resource"]) == ["arn:aws:s3:::*"], deny
        assert normalised(deny["Condition"]) == {
            "Null": {CONTENT_SHA256: ["false"]},
            "StringEquals": {CONTENT_SHA256: [UNSIGNED_TRAILER]},
        }
