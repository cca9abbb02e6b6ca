"""Helpers of test_isolation: the program's IAM policies loaded into moto's S3/IAM emulation, and probes against it.

The policies under test come from the real program (`tools.engine.run_stack`); what each credential should reach
comes from the catalog (`components.catalog`) and the tenants of the stack configuration. Nothing here builds a
policy with `components.model.iam`: moto is the evaluator.

What moto 5.2.5 judges (moto/iam/access_control.py): actions, resource wildcards and explicit Deny, for IAM
users' inline and managed policies. Conditions it does not judge: an S3 request hands it no condition values,
and it only implements `StringEquals`, so every condition counts as met. Two consequences shape the harness:

- A `StringLike s3:prefix` on ListBucket is treated as met: moto lets a key list any prefix of a bucket it may
  list. Prefix-level listing is therefore checked structurally; moto only tells which buckets can be listed.
- A conditional Deny fires unconditionally: the foreign-KMS-key Deny would refuse every PutObject. Such
  statements are dropped before loading (`moto_evaluable`) and checked structurally. Dropping a Deny only ever
  lets more through, so no denial the tests observe can come from this step. Our probes send no SSE header, for
  which MinIO ignores that Deny too (its `Null: false` guard), so allowed writes are not an artefact either.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import enable_iam_authentication

from components.catalog import BUCKET_NAMES, Access, consuming_services, grants_of
from tools.engine import Inventory, load_stack_config, project_name, run_stack
from tools.stack_reference import platform_of

REGION = "us-east-1"
SERVICE_ACCOUNT = "minio:index/iamServiceAccount:IamServiceAccount"
IAM_POLICY = "minio:index/iamPolicy:IamPolicy"
POLICY_ATTACHMENT = "minio:index/iamUserPolicyAttachment:IamUserPolicyAttachment"
TENANT_COMPONENT = "matih:tenancy:Tenant"
SEED_OBJECT = "seed.txt"
SCRATCH_OBJECT = "scratch.txt"
# Services that appear in the catalog get one access key per tenant.
CONSUMING_SERVICES = consuming_services()

GET = "s3:GetObject"
PUT = "s3:PutObject"
DELETE = "s3:DeleteObject"
LOCATE = "s3:GetBucketLocation"
LIST = "s3:ListBucket"
LIST_UPLOADS = "s3:ListBucketMultipartUploads"


# --- scenarios: a stack, optionally with other tenants ------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    stack: str
    tenants: tuple[str | dict[str, str], ...] | None = None  # a `tenants` config override; None: the stack file's
    # Offboarded bucket-mode tenants: their buckets outlive them (retainOnDelete) and still match the parents'
    # `<bucket>-*`, but no key of theirs exists any more.
    departed: tuple[str, ...] = ()
    # A tenant shard's world also holds these tenants of its platform stack (a `tenants` override of the platform).
    platform_tenants: tuple[str | dict[str, str], ...] = ()

    def tenant_entries(self) -> list[Any]:
        own = self.tenants if self.tenants is not None else load_stack_config(self.stack)[f"{project_name()}:tenants"]
        return [*self.platform_tenants, *own]

    def platform(self) -> str | None:
        """The platform stack of a tenant shard (its `platformStack`), None for a platform stack."""
        return platform_of(load_stack_config(self.stack), project_name())

    def dedicated(self) -> dict[str, bool]:
        """Tenant id -> whether it has buckets of its own (`isolation: bucket`), read from the configuration."""
        result = {}
        for entry in self.tenant_entries():
            if isinstance(entry, str):
                result[entry] = False
            else:
                result[entry["id"]] = entry.get("isolation", "prefix") == "bucket"
        return result

    def run(self) -> Inventory:
        overrides = {"tenants": list(self.tenants)} if self.tenants is not None else None
        inventory = run_stack(self.stack, overrides)
        platform = self.platform()
        if platform is None:
            return inventory
        # A shard's keys hang off the platform's parent users: judge both stacks' tenants in one world.
        base = run_stack(platform, {"tenants": list(self.platform_tenants)})
        tenants = {**base.outputs["tenants"], **inventory.outputs["tenants"]}
        outputs = {**inventory.outputs, "tenants": tenants}
        return Inventory(self.stack, inventory.project, base.resources + inventory.resources, outputs)


SCENARIOS = {
    scenario.name: scenario
    for scenario in (
        Scenario("dev", "dev"),
        Scenario("prod", "prod"),
        # The committed tenant shard of prod (prefix tenants and a bucket tenant) under prod's parent users, beside
        # a bucket tenant of prod whose buckets the shard's `umbrella` buckets prefix (`lakehouse-umbrella` and
        # `lakehouse-umbrella-corp` both match the parents' `lakehouse-*`).
        Scenario("prod-shard", "prod-tenants-1", platform_tenants=({"id": "umbrella-corp", "isolation": "bucket"},)),
        # `acme/` must not be a way into `acme-corp/`, nor the other way round.
        Scenario("prefix-collision", "dev", ("acme", "acme-corp")),
        # Two bucket tenants side by side (prod has one, beside prefix tenants), on the static-key stack.
        Scenario(
            "bucket-tenants",
            "dev",
            ({"id": "hooli", "isolation": "bucket"}, {"id": "pied-piper", "isolation": "bucket"}),
        ),
        # `lakehouse-acme` must not be a way into `lakehouse-acme-corp` (all three match the parents' `lakehouse-*`).
        Scenario(
            "bucket-prefix-collision",
            "prod",
            ({"id": "acme", "isolation": "bucket"}, {"id": "acme-corp", "isolation": "bucket"}),
            departed=("acme-corp-old",),
        ),
    )
}


@functools.cache
def inventory_of(scenario_name: str) -> Inventory:
    return SCENARIOS[scenario_name].run()


# --- what the program declares ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessKey:
    tenant: str
    service: str
    parent_user: str
    policy: str  # the embedded policy, as declared


@dataclass(frozen=True)
class ParentUser:
    name: str
    policy_name: str
    policy: str


def access_keys(inventory: Inventory) -> dict[tuple[str, str], AccessKey]:
    """(tenant, service) -> the access key the program declares, found under its Tenant component."""
    tenants_by_urn = {r.urn: r.name for r in inventory.of_type(TENANT_COMPONENT)}
    keys = {}
    for record in inventory.of_type(SERVICE_ACCOUNT):
        tenant = tenants_by_urn[record.parent]
        suffix = "-access-key"
        assert record.name.startswith(f"{tenant}-") and record.name.endswith(suffix), record.name
        service = record.name[len(tenant) + 1 : -len(suffix)]
        keys[(tenant, service)] = AccessKey(tenant, service, record.inputs["targetUser"], record.inputs["policy"])
    return keys


def parent_users(inventory: Inventory) -> dict[str, ParentUser]:
    """User name -> the user with the policy attached to it (followed through the attachment, not by naming)."""
    policies = {r.inputs["name"]: r.inputs["policy"] for r in inventory.of_type(IAM_POLICY)}
    users = {}
    for attachment in inventory.of_type(POLICY_ATTACHMENT):
        user, policy_name = attachment.inputs["userName"], attachment.inputs["policyName"]
        assert user not in users, f"{user} has more than one policy attached"
        users[user] = ParentUser(user, policy_name, policies[policy_name])
    return users


def statements(policy: str) -> list[dict[str, Any]]:
    return json.loads(policy)["Statement"]


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def moto_evaluable(policy: str) -> str:
    """The policy without its conditional Deny statements, which moto would apply unconditionally, and without its
    admin Deny, which moto's validator refuses (no Resource) and no S3 probe could reach: tests/minio_admin_model.py
    judges that one."""
    document = json.loads(policy)
    document["Statement"] = [
        s for s in document["Statement"] if not (s["Effect"] == "Deny" and ("Condition" in s or "Resource" not in s))
    ]
    return json.dumps(document)


# --- placement, credentials and probes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A tenant's objects of one catalog bucket: a prefix of the shared bucket, or a whole dedicated bucket."""

    tenant: str
    catalog_bucket: str
    bucket: str
    prefix: str

    @property
    def shared(self) -> bool:
        return self.bucket == self.catalog_bucket


def shared_place(tenant: str, catalog_bucket: str) -> Place:
    return Place(tenant, catalog_bucket, catalog_bucket, f"{tenant}/")


def dedicated_place(tenant: str, catalog_bucket: str) -> Place:
    return Place(tenant, catalog_bucket, f"{catalog_bucket}-{tenant}", "")


@dataclass(frozen=True)
class Credential:
    service: str
    tenant: str | None = None  # None: the service's parent user


@dataclass(frozen=True, order=True)
class Probe:
    """One S3 request, named by the IAM action it needs. `key` is the object key, or the prefix of a listing."""

    action: str
    bucket: str
    key: str = ""

    def __str__(self) -> str:
        return f"{self.action} {self.bucket}/{self.key}"


def object_probes(place: Place) -> list[Probe]:
    """Read the place's seed object; write, then delete, a scratch object beside it."""
    scratch = f"{place.prefix}{SCRATCH_OBJECT}"
    return [
        Probe(GET, place.bucket, place.prefix + SEED_OBJECT),
        Probe(PUT, place.bucket, scratch),
        Probe(DELETE, place.bucket, scratch),
    ]


def bucket_probes(bucket: str, list_prefixes: list[str]) -> list[Probe]:
    listings = [Probe(LIST, bucket, prefix) for prefix in list_prefixes]
    return [Probe(LOCATE, bucket), *listings, Probe(LIST_UPLOADS, bucket)]


_S3_CALLS = {
    GET: lambda s3, p: s3.get_object(Bucket=p.bucket, Key=p.key),
    PUT: lambda s3, p: s3.put_object(Bucket=p.bucket, Key=p.key, Body=b"probe"),
    DELETE: lambda s3, p: s3.delete_object(Bucket=p.bucket, Key=p.key),
    LOCATE: lambda s3, p: s3.get_bucket_location(Bucket=p.bucket),
    LIST: lambda s3, p: s3.list_objects_v2(Bucket=p.bucket, Prefix=p.key),
    LIST_UPLOADS: lambda s3, p: s3.list_multipart_uploads(Bucket=p.bucket),
}


def is_allowed(s3: Any, probe: Probe) -> bool:
    """Send the request: True if it succeeds, False on AccessDenied; any other error is a harness bug."""
    try:
        _S3_CALLS[probe.action](s3, probe)
    except ClientError as error:
        if error.response["Error"]["Code"] == "AccessDenied":
            return False
        raise
    return True


def granted(service: str) -> dict[str, Access]:
    """Catalog bucket -> the access the catalog gives the service."""
    return {grant.bucket: grant.access for grant in grants_of(service)}


# --- a scenario's layout, the moto world, and the survey of every credential ---------------------------------------


@dataclass
class Layout:
    """A scenario's tenants and credentials, and where each tenant's data lives (from the configuration)."""

    scenario: Scenario
    dedicated: dict[str, bool]
    keys: dict[tuple[str, str], AccessKey]
    parents: dict[str, ParentUser]

    @classmethod
    def of(cls, scenario: Scenario) -> Layout:
        inventory = inventory_of(scenario.name)
        return cls(scenario, scenario.dedicated(), access_keys(inventory), parent_users(inventory))

    @property
    def departed(self) -> tuple[str, ...]:
        return self.scenario.departed

    @property
    def tenants(self) -> list[str]:
        return list(self.dedicated)

    def home(self, tenant: str, catalog_bucket: str) -> Place:
        """Where the tenant's data of a catalog bucket lives."""
        maker = dedicated_place if self.dedicated[tenant] else shared_place
        return maker(tenant, catalog_bucket)

    def places(self) -> list[Place]:
        """Every seeded place: each tenant's prefix of every shared bucket (bucket tenants too), dedicated buckets,
        and the buckets departed tenants left behind."""
        result = []
        for tenant, dedicated in self.dedicated.items():
            for catalog_bucket in BUCKET_NAMES:
                result.append(shared_place(tenant, catalog_bucket))
                if dedicated:
                    result.append(dedicated_place(tenant, catalog_bucket))
        result += [
            dedicated_place(tenant, catalog_bucket) for tenant in self.departed for catalog_bucket in BUCKET_NAMES
        ]
        return result

    def buckets(self) -> list[str]:
        return sorted({place.bucket for place in self.places()})

    def credentials(self) -> list[Credential]:
        return [Credential(service) for service in CONSUMING_SERVICES] + [
            Credential(service, tenant) for tenant, service in self.keys
        ]

    def list_prefixes(self, credential: Credential, bucket: str) -> list[str]:
        """What a credential lists of a bucket: a key its tenant's prefix of a shared bucket (moto cannot judge
        other prefixes), a parent whatever its keys list as well as the whole bucket."""
        if bucket not in BUCKET_NAMES:
            return [""]
        if credential.tenant:
            return [f"{credential.tenant}/"]
        return ["", *(f"{tenant}/" for tenant in self.tenants)]

    def probes(self, credential: Credential) -> list[Probe]:
        """Every request the tests send for a credential, over every place and bucket of the scenario."""
        objects = [probe for place in self.places() for probe in object_probes(place)]
        buckets = [p for b in self.buckets() for p in bucket_probes(b, self.list_prefixes(credential, b))]
        return objects + buckets


@dataclass
class World(Layout):
    """Buckets, seed objects, one IAM user per access key and per parent user, in moto with authorization on."""

    admin: tuple[str, str] = ("", "")  # access key and secret of a user allowed everything
    clients: dict[Credential, Any] = field(default_factory=dict)

    def admin_client(self, service: str) -> Any:
        return _session().client(service, aws_access_key_id=self.admin[0], aws_secret_access_key=self.admin[1])

    def client_for(self, user: str, policy_name: str, policy: str) -> Any:
        """An S3 client for a new IAM user holding one managed policy (managed: inline ones are capped at 2 KiB)."""
        iam = self.admin_client("iam")
        iam.create_user(UserName=user)
        arn = iam.create_policy(PolicyName=policy_name, PolicyDocument=policy)["Policy"]["Arn"]
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
        pair = iam.create_access_key(UserName=user)["AccessKey"]
        return s3_client(pair["AccessKeyId"], pair["SecretAccessKey"])

    def populate(self) -> None:
        s3 = self.admin_client("s3")
        for bucket in self.buckets():
            s3.create_bucket(Bucket=bucket)
        for place in self.places():
            s3.put_object(Bucket=place.bucket, Key=place.prefix + SEED_OBJECT, Body=place.tenant.encode())
        for service in CONSUMING_SERVICES:
            # The user every key of the service hangs off, with the policy attached to it.
            (user,) = {key.parent_user for key in self.keys.values() if key.service == service}
            parent = self.parents[user]
            self.clients[Credential(service)] = self.client_for(user, parent.policy_name, moto_evaluable(parent.policy))
        for (tenant, service), key in self.keys.items():
            user = f"{tenant}.{service}"  # IAM user names allow dots; tenant ids and service ids do not contain one
            self.clients[Credential(service, tenant)] = self.client_for(user, user, moto_evaluable(key.policy))


def s3_client(access_key: str, secret_key: str) -> Any:
    return _session().client("s3", aws_access_key_id=access_key, aws_secret_access_key=secret_key)


@functools.cache
def _session() -> boto3.Session:
    # One session for every client: it loads the service models once (a session per client costs seconds).
    return boto3.Session(region_name=REGION)


_open_worlds: list[str] = []


@contextmanager
def open_world(scenario: Scenario) -> Iterator[World]:
    """Build a scenario's world; authorization stays enforced until the context exits. One world at a time."""
    assert not _open_worlds, f"{_open_worlds[0]} is still open: worlds share moto's global state"
    with ExitStack() as stack:
        _open_worlds.append(scenario.name)
        stack.callback(_open_worlds.remove, scenario.name)
        stack.enter_context(mock_aws())
        # Authorization is off until enable_iam_authentication: bootstrap the admin, then do everything as it.
        iam = boto3.client("iam", region_name=REGION)
        iam.create_user(UserName="admin")
        everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_user_policy(UserName="admin", PolicyName="admin", PolicyDocument=json.dumps(everything))
        pair = iam.create_access_key(UserName="admin")["AccessKey"]
        stack.enter_context(enable_iam_authentication())
        layout = Layout.of(scenario)
        world = World(**vars(layout), admin=(pair["AccessKeyId"], pair["SecretAccessKey"]))
        world.populate()
        yield world


@dataclass
class Survey(Layout):
    """What moto answered to every probe of every credential of a scenario (the world is gone by then)."""

    results: dict[tuple[Credential, Probe], bool] = field(default_factory=dict)

    def allowed(self, credential: Credential, probe: Probe) -> bool:
        return self.results[(credential, probe)]

    def allowed_of(self, credential: Credential, probes: list[Probe]) -> list[Probe]:
        return [probe for probe in probes if self.allowed(credential, probe)]

    def denied_of(self, credential: Credential, probes: list[Probe]) -> list[Probe]:
        return [probe for probe in probes if not self.allowed(credential, probe)]


@functools.cache
def survey_of(scenario_name: str) -> Survey:
    """Send every probe of every credential once, so that tests need no live world and can run in any order."""
    with open_world(SCENARIOS[scenario_name]) as world:
        results = {
            (credential, probe): is_allowed(world.clients[credential], probe)
            for credential in world.credentials()
            for probe in world.probes(credential)
        }
    return Survey(world.scenario, world.dedicated, world.keys, world.parents, results)
