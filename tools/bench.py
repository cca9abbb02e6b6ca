"""`make bench`: how the prod program scales with the number of tenants, under the mock engine.

Not a timed test: it reports resources per tenant, total resources and seconds for 1, 10, 100 and 500
generated tenants, and the marginal cost of one more tenant.
"""

from __future__ import annotations

import argparse
import sys
import time

from tools.cli import reports_errors
from tools.engine import run_stack


def generated_tenants(count: int) -> list[str]:
    return [f"tenant-{index:04d}" for index in range(count)]


def measure(stack: str, count: int) -> tuple[int, float]:
    started = time.perf_counter()
    inventory = run_stack(stack, {"tenants": generated_tenants(count)})
    return len(inventory.resources), time.perf_counter() - started


@reports_errors("bench")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--tenants", type=int, nargs="+", default=[1, 10, 100, 500])
    args = parser.parse_args(argv)

    baseline, _ = measure(args.stack, 0)
    print(f"stack {args.stack}: {baseline} resources with no tenant")
    print(f"{'tenants':>8} {'resources':>10} {'per tenant':>11} {'seconds':>8} {'ms/tenant':>10}")
    for count in args.tenants:
        resources, seconds = measure(args.stack, count)
        per_tenant = (resources - baseline) / count
        print(f"{count:>8} {resources:>10} {per_tenant:>11.1f} {seconds:>8.2f} {1000 * seconds / count:>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
