"""`make plan STACK=dev`: what the program would declare, offline, as a tree (and optionally as JSON).

Runs the real program under the mock engine (tools.engine), so it needs no Pulumi CLI, cluster or
credentials. Secret values never appear: the engine masks them before they reach this module.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from components import tokens
from components.catalog import is_secret_key
from components.model.quantity import format_bytes
from tools.cli import reports_errors
from tools.engine import Inventory, ResourceRecord, run_stack


def _release(inputs: dict[str, Any]) -> str:
    values = inputs.get("values", {})
    layout = (
        f"{values.get('pools')} pool(s) x {values.get('replicas')} servers x {values.get('drivesPerNode')} drives"
        if values.get("mode") == "distributed"
        else "1 server x 1 drive"
    )
    image = values.get("image", {})
    return (
        f"chart {inputs.get('chart')}@{inputs.get('version')}, {values.get('mode')}, {layout}, "
        f"image {image.get('repository')}:{image.get('tag')}"
    )


def _job(inputs: dict[str, Any]) -> str:
    spec = inputs.get("spec", {})
    env = {e.get("name"): e.get("value") for c in _containers(spec) for e in c.get("env", [])}
    waits = f"polls {env['MINIO_URL']} " if "MINIO_URL" in env else ""
    return f"{inputs.get('metadata', {}).get('name')}: {waits}for at most {spec.get('activeDeadlineSeconds')}s"


def _containers(job_spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job_spec.get("template", {}).get("spec", {}).get("containers", []))


def _claim(inputs: dict[str, Any]) -> str:
    meta, spec = inputs.get("metadata", {}), inputs.get("spec", {})
    size = spec.get("resources", {}).get("requests", {}).get("storage")
    return f"{meta.get('namespace')}/{meta.get('name')} {size} of class {spec.get('storageClassName')}"


def _secret(record: ResourceRecord) -> str:
    """The keys a Secret holds, the secret ones marked (components/catalog.py `is_secret_key`); never a value. Masked
    data has its keys in the runner's digests (tools.engine `secretDigests`)."""
    meta = record.inputs.get("metadata", {})
    keys: set[str] = set()
    for path in ("stringData", "data"):
        data = record.inputs.get(path)
        digests = record.secretDigests.get(path)
        keys |= set(data) if isinstance(data, dict) else set(digests) if isinstance(digests, dict) else set()
    listed = [f"{key} (secret)" if is_secret_key(key) else key for key in sorted(keys)]
    return f"{meta.get('namespace')}/{meta.get('name')} keys: {', '.join(listed) or '-'}"


def _volume(inputs: dict[str, Any]) -> str:
    spec = inputs.get("spec", {})
    node = spec["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"][0]
    return f"{spec.get('local', {}).get('path')} on {node}, {spec.get('capacity', {}).get('storage')}"


# Summaries that need more than the inputs.
RECORD_SUMMARIES: dict[str, Callable[[ResourceRecord], str]] = {tokens.SECRET: _secret}

SUMMARIES: dict[str, Callable[[dict[str, Any]], str]] = {
    tokens.HELM_RELEASE: _release,
    tokens.JOB: _job,
    tokens.PERSISTENT_VOLUME_CLAIM: _claim,
    tokens.PERSISTENT_VOLUME: _volume,
    tokens.NAMESPACE: lambda i: str(i.get("metadata", {}).get("name")),
    tokens.STORAGE_CLASS: lambda i: (
        f"{i.get('metadata', {}).get('name')} ({i.get('provisioner')}, reclaim {i.get('reclaimPolicy')}, "
        f"{i.get('volumeBindingMode')})"
    ),
    "minio:index/s3Bucket:S3Bucket": lambda i: (
        f"{i.get('bucket')} acl={i.get('acl')}"
        + (f" quota={format_bytes(i['quota'])}" if i.get("quota") else "")
        + (" object-locking" if i.get("objectLocking") else "")
    ),
    "minio:index/s3BucketServerSideEncryption:S3BucketServerSideEncryption": lambda i: (
        f"{i.get('encryptionType')} key {i.get('kmsKeyId')}"
    ),
    "minio:index/s3BucketVersioning:S3BucketVersioning": lambda i: str(
        i.get("versioningConfiguration", {}).get("status")
    ),
    tokens.ILM_POLICY: lambda i: "rules: " + ", ".join(r.get("id", "?") for r in i.get("rules", [])),
    tokens.IAM_SERVICE_ACCOUNT: lambda i: f"parent {i.get('targetUser')}, policy {len(i.get('policy', ''))} bytes",
    tokens.IAM_USER: lambda i: str(i.get("name")),
    tokens.IAM_POLICY: lambda i: str(i.get("name")),
    tokens.KMS_KEY: lambda i: str(i.get("keyId")),
    tokens.MINIO_PROVIDER: lambda i: f"server {i.get('minioServer')}",
}


def _short_type(token: str) -> str:
    return token.split(":")[-1]


def _flags(record: ResourceRecord) -> str:
    flags = [name for name in ("protect", "retainOnDelete") if record.options.get(name)]
    if record.options.get("readId"):
        flags.append(f"read {record.options['readId']}")
    return f" [{', '.join(flags)}]" if flags else ""


def _summary(record: ResourceRecord) -> str:
    if record.type in RECORD_SUMMARIES:
        return RECORD_SUMMARIES[record.type](record)
    return SUMMARIES.get(record.type, lambda _i: "")(record.inputs)


def render_tree(inventory: Inventory) -> str:
    """Components with their resources, indented by parentage, each with its key settings."""
    lines = [f"Stack {inventory.stack} ({len(inventory.resources)} resources)"]

    def walk(parent: str, depth: int) -> None:
        for record in inventory.children(parent):
            # A read (`Secret.get`) has no inputs: its flag names what it reads.
            summary = "" if record.options.get("readId") else _summary(record)
            detail = f": {summary}" if summary else ""
            lines.append(f"{'  ' * depth}- {_short_type(record.type)} {record.name}{detail}{_flags(record)}")
            walk(record.urn, depth + 1)

    stack_urns = {r.parent for r in inventory.resources if r.parent not in inventory.by_urn()}
    for root in sorted(stack_urns):
        walk(root, 1)
    return "\n".join(lines)


def render_figures(outputs: dict[str, Any]) -> str:
    figures = outputs.get("erasure", {})
    if not figures:
        return ""
    lines = [
        "Erasure coding and capacity",
        f"  mode {figures['mode']}: {figures['totalDrives']} drive(s) in {figures['erasureSetCount']} set(s) of "
        f"{figures['erasureSetSize']}",
        f"  parity standard EC:{figures['standardParity']}, reduced redundancy EC:{figures['reducedRedundancyParity']}"
        f" ({figures['dataDrivesPerSet']} data drives per set)",
        f"  raw {format_bytes(figures['rawCapacityBytes'])}, usable {format_bytes(figures['usableCapacityBytes'])} "
        f"({figures['usableRatio']:.0%})",
        f"  tolerates {figures['driveFailuresToleratedPerSet']} lost drive(s) per set; "
        f"survives the loss of a server: {'yes' if figures['survivesServerLoss'] else 'no'}",
    ]
    kms = outputs.get("kms", {})
    if kms:
        lines.append(f"KMS: {kms.get('mode')} (per-tenant keys: {'yes' if kms.get('perTenantKeys') else 'no'})")
    return "\n".join(lines)


def render_alerts(outputs: dict[str, Any]) -> str:
    """The alerts the PrometheusRule declares, with the layout's thresholds (the `monitoring` output)."""
    alerts = outputs.get("monitoring", {}).get("alerts", [])
    if not alerts:
        return "Alerts: none declared (monitoring.rules is off)"
    lines = ["Alerts (PrometheusRule, from the erasure layout)"]
    width = max(len(a["alert"]) for a in alerts)
    for alert in alerts:
        lines.append(f"  {alert['severity']:<8} {alert['alert']:<{width}}  {alert['threshold']} for {alert['for']}")
    return "\n".join(lines)


@reports_errors("plan")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--json", type=Path, help="also write the inventory (resources and outputs) as JSON here")
    args = parser.parse_args(argv)
    inventory = run_stack(args.stack)
    print(render_tree(inventory))
    print()
    print(render_figures(inventory.outputs))
    print(render_alerts(inventory.outputs))
    for diagnostic in inventory.diagnostics:
        print(f"{diagnostic['severity']}: {diagnostic['message']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(inventory.to_json(), indent=2, sort_keys=True) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
