"""`make bench`: how the prod program scales with the number of tenants, under the mock engine.

A benchmark, not a test: for 10, 100, 500 and 1,000 generated prefix tenants it prints a Markdown table of
resources per tenant, seconds (wall and CPU), milliseconds per resource, declared state per tenant, stack output
bytes, the largest canned and embedded IAM policy against MinIO's limits, and the dependency graph's critical
path and width (what a first `pulumi up` can do in parallel). Imports are not measured (a warm-up run comes
first), and a short run is repeated until the row has measured at least MIN_MEASURED_RESOURCES resources.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from functools import cache

from components import tokens
from components.model.config import load_settings
from components.model.iam import MAX_CANNED_POLICY_BYTES, MAX_SERVICE_ACCOUNT_POLICY_BYTES
from components.model.sharding import MAX_TENANTS_PER_STACK, WRITE_BUDGET_BYTES
from components.model.tenancy import service_accesses
from tools.checkpoint import COMPUTED_VALUES, bytes_written, checkpoint_bytes
from tools.cli import reports_errors
from tools.engine import Inventory, ResourceRecord, project_config_values, run_stack
from tools.engine_steps import plan_steps
from tools.risks.model import provider_urn

DEFAULT_COUNTS = (10, 100, 500, 1000)
# A long run's time is a sum over thousands of registrations, so it carries the machine's average noise; a short
# run's carries whatever happened in its half second. Each row therefore measures about as many resources (short
# runs repeated) and takes their mean, the long run's statistic. The fastest of three short runs, which this
# bench took before, compared a lucky draw with an average: on this shared machine it read 10 tenants 13% below
# their median (1.62 against 1.87 CPU ms per resource, five runs), which alone made the cost look like it grew.
MIN_MEASURED_RESOURCES = 5_000


def generated_tenants(count: int) -> list[str]:
    return [f"tenant-{index:04d}" for index in range(count)]


def compact_bytes(value: object) -> int:
    return len(json.dumps(value, sort_keys=True, separators=(",", ":")).encode())


def declared_state_bytes(record: ResourceRecord) -> int:
    """What the program decides of a resource's checkpoint entry: its inputs and the URNs it depends on."""
    return compact_bytes(record.inputs) + sum(len(urn) for urn in record.options["dependsOn"])


def tenant_of(inventory: Inventory) -> dict[str, str]:
    """URN -> the Tenant component it is declared under (at any depth), for every tenant resource."""
    by_urn = inventory.by_urn()

    @cache
    def owner(urn: str) -> str:
        record = by_urn.get(urn)
        if record is None:
            return ""
        return record.name if record.type == tokens.TENANT else owner(record.parent)

    return {urn: owner(urn) for urn in by_urn if owner(urn)}


def graph_shape(inventory: Inventory) -> tuple[int, int]:
    """(critical path, width) of a first `up`: the longest chain of resources that wait for one another (explicit
    and implicit dependencies, provider, parent), counted in custom resources (components cost no step), and the
    most custom resources at one depth of that chain."""
    by_urn = inventory.by_urn()

    @cache
    def depth(urn: str) -> int:
        record = by_urn[urn]
        waits_for = [*record.options["dependsOn"], provider_urn(record.options.get("provider")), record.parent]
        before = max((depth(u) for u in waits_for if u in by_urn), default=0)
        return before + (1 if record.custom else 0)

    depths = Counter(depth(r.urn) for r in inventory if r.custom)
    return max(depths), max(depths.values())


@dataclass(frozen=True)
class Measurement:
    tenants: int
    resources: int
    custom_per_tenant: float
    wall_seconds: float
    cpu_seconds: float
    state_bytes_per_tenant: float
    output_bytes: int
    largest_canned_policy: int
    largest_embedded_policy: int
    critical_path: int
    width: int

    @property
    def ms_per_resource(self) -> float:
        return 1000 * self.wall_seconds / self.resources

    @property
    def cpu_ms_per_resource(self) -> float:
        return 1000 * self.cpu_seconds / self.resources


def timed_run(stack: str, count: int) -> tuple[Inventory, float, float]:
    """One run of the program: its inventory, wall and CPU seconds."""
    gc.collect()  # the previous run's leftovers are not this run's cost
    # The program runs with the collector off (__main__.py) and its process would exit without collecting; the
    # runner re-enables it on return unless it was off already, so the cleanup falls after the clocks stop.
    gc.disable()
    wall, cpu = time.perf_counter(), time.process_time()
    inventory = run_stack(stack, {"tenants": generated_tenants(count)})
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    gc.enable()
    return inventory, wall, cpu


def measure(stack: str, count: int) -> Measurement:
    """Runs until at least MIN_MEASURED_RESOURCES resources are measured; seconds are the mean of those runs."""
    runs: list[tuple[float, float]] = []
    measured = 0
    while measured < MIN_MEASURED_RESOURCES:
        inventory, wall, cpu = timed_run(stack, count)
        runs.append((wall, cpu))
        measured += len(inventory.resources)

    owners = tenant_of(inventory)
    tenant_records = [r for r in inventory if r.urn in owners]
    critical_path, width = graph_shape(inventory)
    return Measurement(
        tenants=count,
        resources=len(inventory.resources),
        custom_per_tenant=sum(1 for r in tenant_records if r.custom) / count,
        wall_seconds=sum(wall for wall, _ in runs) / len(runs),
        cpu_seconds=sum(cpu for _, cpu in runs) / len(runs),
        state_bytes_per_tenant=sum(declared_state_bytes(r) for r in tenant_records) / count,
        output_bytes=compact_bytes(inventory.outputs),
        largest_canned_policy=max(len(r.inputs["policy"].encode()) for r in inventory.of_type(tokens.IAM_POLICY)),
        largest_embedded_policy=max(
            len(r.inputs["policy"].encode()) for r in inventory.of_type(tokens.IAM_SERVICE_ACCOUNT)
        ),
        critical_path=critical_path,
        width=width,
    )


@dataclass(frozen=True)
class CheckpointCost:
    """What the diy backend writes (tools/checkpoint.py) for three changes of a stack of `tenants` tenants."""

    tenants: int
    checkpoint: int  # bytes of the whole checkpoint after a first `up`
    first_up: tuple[int, int]  # (writes, bytes)
    add_tenant: tuple[int, int]
    rotation: tuple[int, int]  # a platform-wide key rotation (accessKeys.rotation + 1)


def secret_sizes(stack: str, count: int, inventory: Inventory) -> dict[str, dict[str, int]]:
    """URN -> plaintext bytes of each tenant Secret's string data, from the pure layer the program uses
    (components/model/tenancy.py `ServiceAccess.secret_data`) with keys of the real lengths."""
    config = {**project_config_values(stack), "tenants": generated_tenants(count)}
    settings = load_settings(config, stack)
    urns = {r.name: r.urn for r in inventory.of_type(tokens.SECRET)}
    sizes: dict[str, dict[str, int]] = {}
    for tenant in settings.tenants:
        for access in service_accesses(settings, tenant):
            data = access.secret_data(COMPUTED_VALUES["access_key"], COMPUTED_VALUES["secret_key"])
            urn = urns.get(f"{tenant.id}-{access.service_id}-credentials")
            if urn:
                sizes[urn] = {"stringData": len(json.dumps(data).encode())}
    return sizes


def checkpoint_cost(stack: str, count: int, inventory: Inventory) -> CheckpointCost:
    added = run_stack(stack, {"tenants": generated_tenants(count + 1)})
    rotated = run_stack(stack, {"tenants": generated_tenants(count), "accessKeys": {"rotation": 1}})
    sizes = secret_sizes(stack, count + 1, added)
    return CheckpointCost(
        tenants=count,
        checkpoint=checkpoint_bytes(inventory.resources, sizes),
        first_up=bytes_written(None, plan_steps(None, inventory), sizes),
        add_tenant=bytes_written(inventory, plan_steps(inventory, added), sizes),
        rotation=bytes_written(inventory, plan_steps(inventory, rotated), sizes),
    )


def shard_size(costs: list[CheckpointCost], budget: int = WRITE_BUDGET_BYTES) -> int:
    """The most tenants a stack may hold so that a platform-wide rotation writes at most `budget` bytes: the
    rotation's bytes grow with the square of the tenants (steps x state), fitted through the measured rows."""
    # bytes = a * n**2 (+ lower-order terms, which only make the estimate conservative for large n).
    a = max(c.rotation[1] / c.tenants**2 for c in costs)
    return int((budget / a) ** 0.5)


def _mb(value: int) -> str:
    return f"{value / 1e6:,.1f} MB" if value < 1e9 else f"{value / 1e9:,.1f} GB"


def checkpoint_table(costs: list[CheckpointCost]) -> str:
    lines = [
        "| tenants | checkpoint | first up: writes, bytes | add one tenant | platform-wide key rotation |",
        "|---:|---:|---:|---:|---:|",
    ]
    for c in costs:
        cells = [f"{w:,} writes, {_mb(b)}" for w, b in (c.first_up, c.add_tenant, c.rotation)]
        lines.append(f"| {c.tenants:,} | {_mb(c.checkpoint)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown_table(rows: list[Measurement]) -> str:
    header = (
        "| tenants | resources | per tenant | seconds | CPU s | ms per resource | CPU ms per resource "
        "| state per tenant | outputs | largest canned policy | largest embedded policy | critical path | width |"
    )
    lines = [header, "|" + "---:|" * 13]
    for m in rows:
        lines.append(
            f"| {m.tenants:,} | {m.resources:,} | {m.custom_per_tenant:g} | {m.wall_seconds:.1f} | {m.cpu_seconds:.1f} "
            f"| {m.ms_per_resource:.2f} | {m.cpu_ms_per_resource:.2f} | {m.state_bytes_per_tenant / 1000:.1f} KB "
            f"| {m.output_bytes / 1000:.0f} KB | {m.largest_canned_policy:,} B of {MAX_CANNED_POLICY_BYTES:,} "
            f"| {m.largest_embedded_policy:,} B of {MAX_SERVICE_ACCOUNT_POLICY_BYTES:,} | {m.critical_path} "
            f"| {m.width:,} |"
        )
    return "\n".join(lines)


@reports_errors("bench")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--tenants", type=int, nargs="+", default=list(DEFAULT_COUNTS))
    args = parser.parse_args(argv)

    run_stack(args.stack, {"tenants": generated_tenants(1)})  # warm-up: imports and first-call caches
    rows = []
    costs = []
    for count in args.tenants:
        rows.append(measure(args.stack, count))
        costs.append(checkpoint_cost(args.stack, count, run_stack(args.stack, {"tenants": generated_tenants(count)})))
        print(f"measured {count} tenants", file=sys.stderr, flush=True)
    print(f"stack {args.stack}, mock engine; per tenant: custom resources of one prefix tenant")
    print()
    print(markdown_table(rows))
    if len(rows) > 1:
        growth = rows[-1].cpu_ms_per_resource / rows[0].cpu_ms_per_resource
        print()
        print(f"CPU cost per resource, {rows[0].tenants} -> {rows[-1].tenants} tenants: x{growth:.2f}")
    print()
    print("Checkpoint written by the diy backend (tools/checkpoint.py; a lower bound):")
    print()
    print(checkpoint_table(costs))
    derived = shard_size(costs)
    print()
    print(
        f"A platform-wide rotation writes at most {_mb(WRITE_BUDGET_BYTES)} up to {derived:,} tenants per stack "
        f"(components/model/sharding.py MAX_TENANTS_PER_STACK is {MAX_TENANTS_PER_STACK})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
