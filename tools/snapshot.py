"""A snapshot of what the program declares and refuses, to prove a refactoring changes neither.

`python -m tools.snapshot DIR` writes, for every stack file, its inventory (resources, inputs, options, outputs,
diagnostics: `Inventory.to_json`, keys sorted) and the `make plan` text, and for a fixed set of bad stack files the
message a user sees. Run it before and after a structural change and compare: `diff -r BEFORE AFTER` must be empty
for the inventories and plans; for the messages it shows what got better.

It uses only the runner's public API (`run_stack`, `describe`), so the same script runs on both sides of a move.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

# Masked values are compared by keyed digests; a fixed key makes two snapshots comparable (before tools.engine
# draws one per process). Only mock values are digested here, never a real secret.
os.environ.setdefault("MATIH_SECRET_DIGEST_KEY", "00" * 32)

from tools.cli import describe
from tools.engine import PROJECT_DIR, ProgramError, StackFileError, available_stacks, run_stack
from tools.plan import render_alerts, render_figures, render_tree

# Each case: a stack to start from and the keys it changes (None drops a key). They cover one refusal per layer of
# validation: a value, a quantity, a tenant id, a cross-key rule, an unknown key, a removed key, a shard's keys.
BAD_OVERRIDES: dict[str, tuple[str, dict[str, Any]]] = {
    "parity-too-high": ("prod", {"erasure": {"standard": "EC:9", "reducedRedundancy": "EC:2"}}),
    "parity-not-ec": ("prod", {"erasure": {"standard": "4", "reducedRedundancy": "EC:2"}}),
    "tenant-id-invalid": ("prod", {"tenants": ["Acme_Corp", "globex"]}),
    "tenant-duplicate": ("prod", {"tenants": ["acme-corp", {"id": "acme-corp", "isolation": "bucket"}]}),
    "tenant-unknown-key": ("prod", {"tenants": [{"id": "acme-corp", "isolaton": "bucket"}]}),
    "quantity-bad": (
        "prod",
        {
            "storage": {
                "kind": "provisioned",
                "sizePerDrive": "1Tx",
                "storageClass": {"name": "x", "provisioner": "ebs.csi.aws.com", "parameters": {}},
            }
        },
    ),
    "topology-typo": (
        "prod",
        {"topology": {"mode": "distributed", "serversPerPool": 4, "drivesPerServer": 4, "pool": 1}},
    ),
    "topology-mode-unknown": ("prod", {"topology": {"mode": "cluster"}}),
    "kms-mode-unknown": ("prod", {"kms": {"mode": "vault", "keyName": "x"}}),
    "limits-below-requests": (
        "prod",
        {"resources": {"requests": {"cpu": "4", "memory": "24Gi"}, "limits": {"cpu": "2", "memory": "32Gi"}}},
    ),
    "namespace-64": ("prod", {"services": {"trino": "n" * 64}}),
    "old-retire-key": ("prod", {"accessKeys": {"rotation": 1, "retirePrevious": True}}),
    "load-balancer-without-tls": (
        "prod",
        {"api": {"exposure": "loadBalancer", "loadBalancer": {"sourceRanges": ["10.0.0.0/8"]}}},
    ),
    "many-at-once": ("dev", {"tenants": ["ok", "Bad!"], "erasure": {"standard": "EC:3"}, "helmTimeoutSeconds": -1}),
    "image-latest": ("dev", {"image": {"repository": "ghcr.io/coollabsio/minio", "tag": "latest"}}),
    "shard-platform-key": ("prod-tenants-1", {"erasure": {"standard": "EC:4", "reducedRedundancy": "EC:2"}}),
    "shard-bad-tenant": ("prod-tenants-1", {"tenants": ["-x-"]}),
}

# Stack-file texts the CLI reads (YAML level), made from dev's file: written into a copy of the project as
# Pulumi.bad.yaml.
_DEV = "Pulumi.dev.yaml"
BAD_FILES: dict[str, tuple[str, str]] = {  # name: (text of dev's file to replace, replacement)
    "duplicate-key": ("config:\n", "config:\n  matih-minio:namespace: a\n"),
    "yaml-1.1-bool": ("matih-minio:protect: false", "matih-minio:protect: no"),
    "undeclared-key": ("config:\n", "config:\n  matih-minio:namespce: minio\n"),
    "quoted-int": ("matih-minio:helmTimeoutSeconds: 600", 'matih-minio:helmTimeoutSeconds: "600s"'),
    "not-a-map": ("config:\n", "config: [1, 2]\nunused:\n"),
}


def _canonical(data: Any) -> str:
    return json.dumps(data, indent=1, sort_keys=True, default=str) + "\n"


def _message(stack: str, overrides: dict[str, Any] | None = None, project_dir: Path = PROJECT_DIR) -> str:
    try:
        run_stack(stack, overrides, project_dir=project_dir)
    except (StackFileError, ProgramError) as error:
        return describe(error) + "\n"
    return "(accepted)\n"


def _copy_project(target: Path) -> Path:
    ignore = shutil.ignore_patterns(".venv*", ".git", "__pycache__", ".mutmut*", "mutants", ".hypothesis")
    shutil.copytree(PROJECT_DIR, target, ignore=ignore, dirs_exist_ok=True)
    return target


def write_snapshot(out: Path) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for stack in available_stacks():
        inventory = run_stack(stack)
        (out / f"inventory-{stack}.json").write_text(_canonical(inventory.to_json()))
        plan = "\n".join([render_tree(inventory), render_figures(inventory.outputs), render_alerts(inventory.outputs)])
        (out / f"plan-{stack}.txt").write_text(plan + "\n")
        written += [f"inventory-{stack}.json", f"plan-{stack}.txt"]
    for name, (stack, overrides) in BAD_OVERRIDES.items():
        (out / f"error-{name}.txt").write_text(_message(stack, overrides))
        written.append(f"error-{name}.txt")
    with tempfile.TemporaryDirectory() as tmp:
        project = _copy_project(Path(tmp) / "project")
        dev = (project / _DEV).read_text()
        for name, (old, new) in BAD_FILES.items():
            assert old in dev, f"{_DEV} no longer contains {old!r}: update BAD_FILES[{name!r}]"
            (project / "Pulumi.bad.yaml").write_text(dev.replace(old, new, 1))
            message = _message("bad", project_dir=project)
            (out / f"error-file-{name}.txt").write_text(message.replace(str(project), "<project>"))
            written.append(f"error-file-{name}.txt")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.snapshot", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="directory to write the snapshot into")
    args = parser.parse_args(argv)
    written = write_snapshot(args.out)
    print(f"{len(written)} files in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
