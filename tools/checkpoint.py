"""How many bytes of checkpoint the diy backend writes for an `up`, from the program's inventories.

The diy (file or S3) backend keeps no journal: it writes the whole checkpoint at the start and at the end of every
step that changes something (pulumi/pulumi v3.259.0 `pkg/backend/snapshot.go`: `BeginMutation` and each
mutation's `End` go through `mutate` -> `saveSnapshot`; only a same step with no meaningful change is elided,
`sameSnapshotMutation.mustWrite`; `pkg/backend/diy/backend.go` builds a plain `backend.NewSnapshotManager`, while
only the Pulumi Cloud backend uses `engine.NewJournalSnapshotManager`). The writes are serialised (`mutate` is
"the serialization point"), so a change costs about (changing steps x 2) x checkpoint size, one after another.

A checkpoint entry is modelled as `pkg/resource/stack/deployment.go` `SerializeResource` writes it: URN, type, id,
parent, provider, dependencies and property dependencies, options, inputs, and outputs. Outputs are the inputs
plus what the providers add: for pulumi-minio every attribute of terraform-provider-minio v1.20.1's schema
(`tools/schemas/tf-minio-v1.20.1.json`; unset ones as empty values, computed ones with values of their real
length: a 20-character access key, a 40-character secret key, an ARN) and the id; for Kubernetes objects the
server's metadata (uid, resourceVersion, creationTimestamp, one managedFields entry), and a Secret's `data` (the
base64 of its string data). Secret values are stored encrypted, `{"<sig.Key>": "<sig.Secret>", "ciphertext":
"v1:<nonce>:<ciphertext>"}` (`sdk/go/common/resource/sig/sig.go`, `config/crypt.go` `symmetricCrypter`,
AES-256-GCM: 12-byte nonce, 16-byte tag, base64). Stack traces and source positions (which newer SDKs record)
are left out, so every figure is a lower bound.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from tools import sdk_private
from tools.engine import SECRET_MASK, Inventory, ResourceRecord
from tools.engine_steps import Step
from tools.fidelity.minio_schema import minio_schema

# What the server adds to every Kubernetes object's metadata (a uid, a resourceVersion, a timestamp, and the one
# managedFields entry of the field manager), as an object of about this size.
KUBERNETES_SERVER_METADATA = {
    "uid": "0" * 36,
    "resourceVersion": "12345678",
    "creationTimestamp": "2026-01-01T00:00:00Z",
    "managedFields": [{"manager": "pulumi-kubernetes", "operation": "Update", "time": "2026-01-01T00:00:00Z"}],
}
COMPUTED_VALUES = {"access_key": "A" * 20, "secret_key": "S" * 40, "status": "on", "arn": "arn:aws:s3:::" + "b" * 20}
DEFAULT_SECRET_BYTES = 64  # a masked value of unknown length (generated passwords are 32 to 40 characters)


def compact(value: Any) -> int:
    return len(json.dumps(value, sort_keys=True, separators=(",", ":")).encode())


def encrypted_bytes(plaintext_bytes: int) -> int:
    """Bytes of an encrypted secret value in the checkpoint, envelope included."""
    nonce = math.ceil(12 / 3) * 4
    body = math.ceil((plaintext_bytes + 16) / 3) * 4
    envelope = compact({sdk_private.SIG_KEY: sdk_private.SECRET_SIG, "ciphertext": ""})
    return envelope + len("v1::") + nonce + body


def _secret_values(value: Any, sizes: Mapping[str, int], path: str = "") -> int:
    """Extra bytes of the masked values in `value`: each mask becomes its encrypted envelope."""
    if value == SECRET_MASK:
        return encrypted_bytes(sizes.get(path, DEFAULT_SECRET_BYTES)) - compact(SECRET_MASK)
    if isinstance(value, Mapping):
        return sum(_secret_values(v, sizes, f"{path}.{k}" if path else str(k)) for k, v in value.items())
    if isinstance(value, list):
        return sum(_secret_values(v, sizes, f"{path}.{i}" if path else str(i)) for i, v in enumerate(value))
    return 0


def entry_bytes(record: ResourceRecord, secret_sizes: Mapping[str, int] | None = None) -> int:
    """Bytes of one resource's checkpoint entry. `secret_sizes`: input path -> plaintext bytes of a masked value."""
    sizes = dict(secret_sizes or {})
    inputs = dict(record.inputs)
    outputs: dict[str, Any] = dict(inputs)
    extra = 0
    if record.type.startswith("minio:"):
        resource = minio_schema().get(record.type)
        for spec in resource.fields.values() if resource else ():
            name = spec.tf_name
            camel = name.split("_")[0] + "".join(p.title() for p in name.split("_")[1:])
            if camel not in outputs:
                outputs[camel] = COMPUTED_VALUES.get(name, "") if spec.computed else None
        if "secretKey" in outputs:
            outputs["secretKey"] = SECRET_MASK
            sizes["secretKey"] = len(COMPUTED_VALUES["secret_key"])
    elif record.type.startswith("kubernetes:") and record.custom:
        outputs["metadata"] = {**(inputs.get("metadata") or {}), **KUBERNETES_SERVER_METADATA}
        if "stringData" in inputs:
            # `data` holds the same values base64-encoded, a third larger.
            outputs["data"] = SECRET_MASK
            sizes["data"] = math.ceil(sizes.get("stringData", DEFAULT_SECRET_BYTES) * 4 / 3)
    if record.custom:
        outputs["id"] = f"{record.name}-id"
    extra += _secret_values(inputs, sizes) + _secret_values(outputs, sizes)
    entry = {
        "urn": record.urn,
        "custom": record.custom,
        "id": outputs.get("id", ""),
        "type": record.type,
        "parent": record.parent,
        "provider": record.options.get("provider") or "",
        "dependencies": record.options.get("dependsOn", []),
        # One list per input that carries a dependency: about the dependencies once more.
        "propertyDependencies": {"_": record.options.get("dependsOn", [])},
        "protect": record.options.get("protect", False),
        "retainOnDelete": record.options.get("retainOnDelete", False),
        "additionalSecretOutputs": record.options.get("additionalSecretOutputs", []),
        "created": "2026-01-01T00:00:00.000000000Z",
        "modified": "2026-01-01T00:00:00.000000000Z",
        "inputs": inputs,
        "outputs": outputs,
    }
    return compact(entry) + extra


def checkpoint_bytes(resources: Iterable[ResourceRecord], sizes: Mapping[str, Mapping[str, int]]) -> int:
    """A whole checkpoint of these resources; `sizes`: URN -> its masked values' plaintext bytes."""
    return sum(entry_bytes(r, sizes.get(r.urn)) for r in resources if not r.options.get("readId"))


def bytes_written(
    base: Inventory | None, steps: Iterable[Step], sizes: Mapping[str, Mapping[str, int]]
) -> tuple[int, int]:
    """(checkpoint writes, bytes written) of an `up` that runs `steps` from the state `base`: each changing step
    writes the whole checkpoint when it begins and when it ends; the checkpoint grows or shrinks as steps end."""
    size = checkpoint_bytes(base.resources if base is not None else [], sizes)
    writes = written = 0
    for step in steps:
        if step.op == "same":
            continue
        old = entry_bytes(step.old, sizes.get(step.urn)) if step.old is not None else 0  # type: ignore[arg-type]
        new = entry_bytes(step.new, sizes.get(step.urn)) if step.new is not None else 0  # type: ignore[arg-type]
        written += size  # at its start
        if step.op in ("create", "import"):
            size += new
        elif step.op == "update":
            size += new - old
        elif step.op == "create-replacement":
            size += new  # the old one stays, pending deletion, until its delete-replaced step
        elif step.op in ("delete", "delete-replaced"):
            size -= old
        written += size  # at its end
        writes += 2
    return writes, written
