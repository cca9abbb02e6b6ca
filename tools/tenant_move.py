"""Print the procedure that moves a tenant between a platform stack and its shards without touching its data.

    python -m tools.tenant_move --tenant hooli --source prod --dest prod-tenants-1

`pulumi state move` moves resources between the states of two stacks of one backend and changes nothing in MinIO or
Kubernetes (pulumi/pulumi v3.259.0, pkg/cmd/pulumi/state/state_move.go). It rewrites only the stack in each URN, so a
tenant keeps its resources when both stacks declare it with the same types, parents and names, which the Tenant
component does wherever it lives. The tool lists every URN of the tenant's subtree (the command also collects
children, but only direct ones reliably: it adds them while iterating a Go map) from the source stack's program
under the mock engine, whose URNs are the engine's.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from components import tokens
from components.model.config import PROJECT
from tools import stack_reference
from tools.engine import Inventory, StackFileError, load_stack_config, project_config_values, run_stack

DEFAULT_ORGANIZATION = "organization"  # the self-managed backend's only organization


class MoveError(ValueError):
    pass


def platform_of(stack: str) -> str:
    """The platform stack a stack belongs to: its `platformStack`, or itself."""
    return stack_reference.platform_of(load_stack_config(stack), PROJECT) or stack


def tenant_entry(stack: str, tenant: str) -> Any:
    for entry in project_config_values(stack).get("tenants", []):
        if (entry if isinstance(entry, str) else entry.get("id")) == tenant:
            return entry
    raise MoveError(f"stack {stack} holds no tenant {tenant!r} (matih-minio:tenants of Pulumi.{stack}.yaml)")


def subtree_urns(inventory: Inventory, tenant: str) -> list[str]:
    """The Tenant component's URN and every descendant's, parents first."""
    (root,) = [r.urn for r in inventory.of_type(tokens.TENANT) if r.name == tenant]
    urns, frontier = [root], [root]
    while frontier:
        frontier = [child.urn for urn in frontier for child in inventory.children(urn)]
        urns += sorted(frontier)
    return urns


def procedure(tenant: str, source: str, dest: str, organization: str = DEFAULT_ORGANIZATION) -> str:
    if source == dest:
        raise MoveError("source and destination are the same stack")
    if platform_of(source) != platform_of(dest):
        raise MoveError(
            f"{source} belongs to platform {platform_of(source)} and {dest} to {platform_of(dest)}: a tenant moves "
            "only within one platform (its access keys hang off that platform's parent users)"
        )
    entry = tenant_entry(source, tenant)
    urns = subtree_urns(run_stack(source), tenant)
    qualified = {stack: f"{organization}/{PROJECT}/{stack}" for stack in (source, dest)}
    # A shard refuses a tenant that its platform's outputs still list, so the source goes first.
    order = ", before the shard: it refuses a tenant its platform still lists" if platform_of(dest) == source else ""
    listed = " \\\n".join(f"  '{urn}'" for urn in urns)
    return f"""\
# Move tenant {tenant} from {source} to {dest}: {len(urns)} resources change stacks; nothing in MinIO or Kubernetes.
# 0. Both stacks must be up to date (an empty `pulumi preview` each) and in the same backend.
# 1. Move the state:
pulumi state move --source {qualified[source]} --dest {qualified[dest]} \\
{listed}
# 2. In one commit: remove this entry from matih-minio:tenants in Pulumi.{source}.yaml and add it to Pulumi.{dest}.yaml:
#    - {json.dumps(entry)}
# 3. `pulumi preview --stack {qualified[source]}`: no change to the tenant's resources (only the tenants output).
#    Then `pulumi up` it{order}.
# 4. `pulumi preview --stack {qualified[dest]}`: nothing created, deleted or replaced for
#    {tenant}, only its provider reference and dependencies change. Then `pulumi up` it.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.tenant_move", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--source", required=True, help="stack that holds the tenant now, e.g. prod")
    parser.add_argument("--dest", required=True, help="stack that will hold it, e.g. prod-tenants-1")
    parser.add_argument("--organization", default=DEFAULT_ORGANIZATION, help="backend organization of both stacks")
    args = parser.parse_args(argv)
    try:
        print(procedure(args.tenant, args.source, args.dest, args.organization), end="")
    except (MoveError, StackFileError) as error:
        print(f"tenant move: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
