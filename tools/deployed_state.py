"""Refuse an `up` that deletes an access key a deployed Secret still carries, read from the stack's exported state.

The plan diff (tools/risks/tenants.py `key_in_use_risks`) compares the base commit's inventory with the head's: it
cannot see what is deployed. After a failed `up` (its Secrets may still carry an older generation than the commit
declared), or when one deploy applies two merges, the base commit says less than the state. So the deploy exports
the stack's state before `pulumi up` and this tool compares the head's inventory with it.

What the export holds: `pulumi stack export` writes an `apitype.UntypedDeployment` ({"version": 3, "deployment":
DeploymentV3}); each entry of `deployment.resources` is a `ResourceV3` with `urn`, `type`, `custom`, `delete`,
`dependencies` (pulumi/pulumi v3.259.0 sdk/go/common/apitype/core.go). No plaintext is needed: a Secret's
`dependencies` list the URN of the service account whose outputs fill its data (the engine records the URNs an
input depends on, pkg/resource/deploy/step_generator.go), and URNs are never secret, whereas the key id and the
secret key are `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": ...}` in an
export without `--show-secrets`. This tool never reads inputs or outputs, so it needs no passphrase either.
Entries with `delete: true` are pending deletions of an earlier replacement, not what a Secret carries.

Usage (pulumi-up.yml): `python -m tools.deployed_state --stack prod --state state.json`; exit 1 with the refusals
on stderr, 0 when no deployed Secret loses its key, 2 on unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from components import tokens
from tools.cli import reports_errors
from tools.risks.model import Risk, Snapshot, urn_name
from tools.risks.tenants import KEY_IN_USE

# pulumi/pulumi v3.259.0 sdk/go/common/apitype/core.go: DeploymentSchemaVersionCurrent is 3; `pulumi stack import`
# still reads 1 and 2, and the fields read here (urn, type, delete, dependencies) are the same in all three.
SUPPORTED_VERSIONS = (1, 2, 3)


class DeployedStateError(Exception):
    """The export cannot be read: the message names the file and what is wrong."""


@dataclass(frozen=True)
class DeployedResource:
    urn: str
    type: str
    dependencies: tuple[str, ...]


def read_export(text: str, source: str = "the export") -> list[DeployedResource]:
    """The live resources of a `pulumi stack export` document (pending deletions left out)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise DeployedStateError(f"{source}: not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(document, Mapping) or not isinstance(document.get("deployment"), Mapping):
        raise DeployedStateError(
            f'{source}: expected the output of `pulumi stack export` ({{"version": 3, "deployment": {{...}}}})'
        )
    version = document.get("version")
    if version not in SUPPORTED_VERSIONS:
        raise DeployedStateError(f"{source}: version {version!r}; this tool reads versions {SUPPORTED_VERSIONS}")
    entries = document["deployment"].get("resources") or []
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) and "urn" in e for e in entries):
        raise DeployedStateError(f"{source}: deployment.resources must be a list of resources, each with a urn")
    return [
        DeployedResource(str(e["urn"]), str(e.get("type", "")), tuple(str(d) for d in e.get("dependencies") or ()))
        for e in entries
        if not e.get("delete")
    ]


def carried_keys(deployed: Iterable[DeployedResource]) -> dict[str, tuple[str, ...]]:
    """Deployed Secret URN -> the URNs of the deployed access keys it carries."""
    resources = list(deployed)
    keys = {r.urn for r in resources if r.type == tokens.IAM_SERVICE_ACCOUNT}
    return {
        r.urn: tuple(d for d in r.dependencies if d in keys)
        for r in resources
        if r.type == tokens.SECRET and any(d in keys for d in r.dependencies)
    }


def deployed_key_in_use_risks(deployed: Iterable[DeployedResource], head: Snapshot) -> list[Risk]:
    """A key a deployed Secret carries must not leave while that Secret stays (MinIO's `DeleteServiceAccount`
    revokes at once: RELEASE.2024-12-18T13-15-44Z cmd/iam.go `IAMSys.DeleteServiceAccount`). A Secret the head
    drops (offboarding, purge) revokes on purpose, as in the plan diff's rule."""
    head_urns = {r.urn for r in head.resources}
    risks = []
    for secret, keys in sorted(carried_keys(deployed).items()):
        if secret not in head_urns:
            continue
        for key in keys:
            if key not in head_urns:
                risks.append(
                    KEY_IN_USE.risk(
                        "refused",
                        urn_name(key),
                        f"the deployed Secret `{urn_name(secret)}` carries this key (the stack's state, not the base "
                        "commit: an earlier up may have failed before the Secret moved on), and every consumer "
                        "that has not restarted since holds it: deleting it revokes their access at once",
                        "keep this generation: lower the retirement (retireKeysThrough, serviceRetireKeysThrough, "
                        "accessKeys.retireThrough) below it, deploy so the Secret carries the current key, let the "
                        "consumers restart, then retire it in a later change",
                    )
                )
    return risks


def render(stack: str, risks: Sequence[Risk]) -> str:
    lines = [f"deployed_state: {stack}: the up would delete {len(risks)} access key(s) a deployed Secret carries:"]
    lines += [f"- {r.subject}: {r.what}. What to do: {r.instead}" for r in risks]
    return "\n".join(lines)


@reports_errors("deployed_state", DeployedStateError)
def main(argv: list[str] | None = None) -> int:
    from tools.engine import run_stack  # the mock engine is heavy; the readers above need none of it

    parser = argparse.ArgumentParser(prog="python -m tools.deployed_state", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the stack about to be updated, e.g. prod")
    parser.add_argument("--state", required=True, type=Path, help="the file `pulumi stack export` wrote")
    args = parser.parse_args(argv)
    try:
        text = args.state.read_text()
    except OSError as error:
        raise DeployedStateError(f"{args.state}: cannot read it ({error.strerror})") from None
    deployed = read_export(text, str(args.state))
    risks = deployed_key_in_use_risks(deployed, run_stack(args.stack))
    if risks:
        print(render(args.stack, risks), file=sys.stderr)
        return 1
    print(f"deployed_state: {args.stack}: every access key a deployed Secret carries stays declared")
    return 0


if __name__ == "__main__":
    sys.exit(main())
