"""What MinIO, KES and Kubernetes do when the engine's steps (tools/engine_steps.py) reach them, as a small model.

Only what decides whether a consumer keeps working or data survives is modelled; everything else a step does
(policies, lifecycle, versioning, Helm) succeeds without effect here. Each behaviour names its source:

- Buckets (terraform-provider-minio v1.20.1 `minio/resource_minio_s3_bucket.go`): `minioCreateBucket` fails with
  "bucket already exists!" when the bucket exists; `minioDeleteBucket` calls RemoveBucket, which MinIO refuses for a
  bucket that is not empty, unless `force_destroy` lists and removes every object version first.
- KMS keys: a KES `CreateKey` of an existing key fails (409, MinIO RELEASE.2024-12-18T13-15-44Z
  `internal/kms/kes.go` `CreateKey`); that release routes no key deletion (`cmd/kms-router.go`, `cmd/admin-router.go`:
  status, create, list and key status only), so the provider's `minioDeleteKMSKey` fails.
- IAM (MinIO RELEASE.2024-12-18T13-15-44Z `cmd/iam-store.go`): `AddUser` on an existing name upserts (no error);
  `DeleteUser` also deletes every service account whose parent is that user; `AddServiceAccount` needs its parent
  user and makes a new access key (the provider never chooses it: `minioCreateServiceAccount` reads it back);
  `DeleteServiceAccount` revokes the key at once. A service account's policy change is an update in place that
  keeps the key (`minioUpdateServiceAccount`, resource_minio_service_account.go).
- Kubernetes Secrets: created, updated in place (`enableSecretMutable`) or deleted as the steps say; a pod reads a
  Secret's data at start and keeps it until it restarts (environment variables and mounted keys alike for our
  consumers, which read credentials once).
- Imports: the engine reads the object by id and fails when it does not exist (pulumi v3.259.0 `step.go`
  `ImportStep.Apply`, "resource '<id>' does not exist").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from components import tokens
from tools.engine_steps import Step


class StepFailed(RuntimeError):
    """A provider or the engine refused a step: `up` stops there, what ran before stays done."""

    def __init__(self, step: Step, message: str, *, collision: bool = False, continues: bool = False):
        super().__init__(f"{step.op} {step.urn}: {message}")
        self.step = step
        self.collision = collision  # a create of an object that already exists (retained and forgotten)
        # The engine goes on past a refused delete of a protected resource (nothing was attempted) and fails the
        # `up` at its end (pulumi v3.259.0 step_executor.go `cancelDueToError`, deleteProtectedError).
        self.continues = continues


@dataclass
class Bucket:
    has_data: bool = True  # tenants' services write into their buckets as soon as they can


@dataclass
class ServiceAccount:
    parent: str  # the MinIO user name


@dataclass
class World:
    """MinIO, KES and the cluster's Secrets, shared by every stack of one platform."""

    buckets: dict[str, Bucket] = field(default_factory=dict)
    kms_keys: set[str] = field(default_factory=set)
    users: set[str] = field(default_factory=set)
    service_accounts: dict[str, ServiceAccount] = field(default_factory=dict)  # access key -> account
    secrets: dict[str, str] = field(default_factory=dict)  # "namespace/name" -> the access key it carries
    # (stack, URN) of a service account -> the access key MinIO made for it
    access_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    # the same for the old account of a service account being replaced, until its delete-replaced step
    replaced_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    deleted_buckets_with_data: list[str] = field(default_factory=list)
    _next_key: count[int] = field(default_factory=lambda: count(1))

    def apply(self, stack: str, step: Step) -> None:
        """Apply one step of `stack`'s `up`; StepFailed when MinIO, KES or the engine refuses it."""
        refusal = step.refusal
        if refusal:
            raise StepFailed(step, refusal, continues=step.op == "delete")
        if step.op == "same" or step.forgets or not step.record.custom:
            return
        record = step.record
        if step.op in ("create", "create-replacement"):
            self._create(stack, step)
        elif step.op == "import":
            self._import(stack, step)
        elif step.op == "update":
            if record.type == tokens.SECRET:
                self.secrets[_secret_id(record)] = self._carried_key(stack, step)
            # A service account's policy update keeps its key; a user's update keeps its accounts.
        elif step.op in ("delete", "delete-replaced"):
            self._delete(stack, step)

    def _create(self, stack: str, step: Step) -> None:
        record = step.record
        inputs = record.inputs
        if record.type == tokens.S3_BUCKET:
            name = str(inputs["bucket"])
            if name in self.buckets:
                raise StepFailed(step, f"bucket already exists! ({name})", collision=True)
            self.buckets[name] = Bucket()
        elif record.type == tokens.KMS_KEY:
            key = str(inputs["keyId"])
            if key in self.kms_keys:
                raise StepFailed(step, f"KES: key {key} already exists (409)", collision=True)
            self.kms_keys.add(key)
        elif record.type == tokens.IAM_USER:
            self.users.add(str(inputs["name"]))  # AddUser upserts
        elif record.type == tokens.IAM_SERVICE_ACCOUNT:
            parent = str(inputs["targetUser"])
            if parent not in self.users:
                raise StepFailed(step, f"the parent user {parent} does not exist")
            access_key = f"AK{next(self._next_key):06d}"
            if step.op == "create-replacement" and (stack, step.urn) in self.access_keys:
                self.replaced_keys[(stack, step.urn)] = self.access_keys[(stack, step.urn)]
            self.service_accounts[access_key] = ServiceAccount(parent)
            self.access_keys[(stack, step.urn)] = access_key
        elif record.type == tokens.SECRET:
            self.secrets[_secret_id(record)] = self._carried_key(stack, step)

    def _import(self, stack: str, step: Step) -> None:
        record = step.record
        import_id = str(record.options.get("importId"))
        exists = {tokens.S3_BUCKET: import_id in self.buckets, tokens.KMS_KEY: import_id in self.kms_keys}.get(
            record.type, True
        )
        if not exists:
            raise StepFailed(step, f"resource '{import_id}' does not exist")

    def _delete(self, stack: str, step: Step) -> None:
        record = step.record
        inputs = step.old.inputs if step.old is not None else record.inputs
        if record.type == tokens.S3_BUCKET:
            name = str(inputs["bucket"])
            bucket = self.buckets.get(name)
            if bucket is not None and bucket.has_data and not inputs.get("forceDestroy"):
                raise StepFailed(step, f"unable to remove bucket {name}: the bucket is not empty")
            if bucket is not None and bucket.has_data:
                self.deleted_buckets_with_data.append(name)
            self.buckets.pop(name, None)
        elif record.type == tokens.KMS_KEY:
            raise StepFailed(step, "unable to remove KMS key: MinIO routes no key deletion")
        elif record.type == tokens.IAM_USER:
            name = str(inputs["name"])
            # Within one up a create-before-delete replacement of a same-name user has just upserted it: the
            # deletion still removes the user and, with it, every service account under it.
            self.users.discard(name)
            for access_key in [k for k, a in self.service_accounts.items() if a.parent == name]:
                del self.service_accounts[access_key]
        elif record.type == tokens.IAM_SERVICE_ACCOUNT:
            key = (stack, step.urn)
            held = (
                self.replaced_keys if step.op == "delete-replaced" and key in self.replaced_keys else self.access_keys
            )
            self.service_accounts.pop(held.pop(key, ""), None)
        elif record.type == tokens.SECRET:
            self.secrets.pop(_secret_id(record), None)

    def _carried_key(self, stack: str, step: Step) -> str:
        """The access key a Secret's data holds: that of the service account its data comes from (the Secret's
        dependency on it is the Output it was built from)."""
        record = step.record
        keys = [u for u in record.options.get("dependsOn", []) if f"{tokens.IAM_SERVICE_ACCOUNT}::" in u]
        if len(keys) != 1:
            return ""
        return self.access_keys.get((stack, keys[0]), "")


def _secret_id(record: object) -> str:
    metadata = getattr(record, "inputs", {}).get("metadata") or {}
    return f"{metadata.get('namespace')}/{metadata.get('name')}"
