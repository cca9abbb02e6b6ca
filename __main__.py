"""MinIO for the MATIH data platform: the cluster, the platform buckets and every tenant's access.

A stack whose config names a `platformStack` is a tenant shard: it declares only Tenant components and reads the
platform from that stack (see README, Tenant shards).
"""

from collections.abc import Callable
from functools import partial

import pulumi

from components.platform import declare_platform
from components.settings import PROJECT, ConfigError, is_shard_config, load_settings, load_shard_settings
from components.shard import declare_shard
from components.stack_config import project_config

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
