"""MinIO for the MATIH data platform: the cluster, the platform buckets and every tenant's access.

A stack whose config names a `platformStack` is a tenant shard: it declares only Tenant components and reads the
platform from that stack (see README, Tenant shards).
"""

import gc
from collections.abc import Callable
from functools import partial

import pulumi

from components.model.config import PROJECT, ConfigError, is_shard_config, load_settings, load_shard_settings
from components.programs.platform import declare_platform
from components.programs.shard import declare_shard
from components.programs.stack_config import project_config

# A batch program: it declares every resource up front, and nearly every object it and the SDK make (the pending
# Outputs, their tasks and contexts) lives until the deployment ends, so the cyclic collector only walks them again
# and again. Measured on the prod program with 1,000 tenants (mock engine, `make bench`, this 2-core machine):
# collection took 62% of the CPU time with the default thresholds, 33% with full collections held off
# (700/10/1000), 9% more than off with young collections only (gc.freeze() and 700/10/10**6); switched off, the
# cost per resource grows x1.09 from 10 to 1,000 tenants and peak memory is about 1.7 GB at 1,000 tenants. The
# real engine runs this program in a process of its own, which pays the same cost; reference counting still
# frees everything that is not a cycle.
gc.disable()

config = project_config(PROJECT)
stack = pulumi.get_stack()
program: Callable[[], None]
try:
    if is_shard_config(config):
        program = partial(declare_shard, load_shard_settings(config, stack))
    else:
        program = partial(declare_platform, load_settings(config, stack))
except ConfigError as error:
    # A clean message, before any resource is declared.
    raise pulumi.RunError(str(error)) from None
program()
