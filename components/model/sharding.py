"""How many tenants one stack should hold: the shard size the README states and the policy pack advises on.

Derived from `make bench` (tools/bench.py `shard_size`, the checkpoint model in tools/checkpoint.py): the diy
backend writes the whole checkpoint at the start and end of every changing step, one write after another, so a
change that touches every tenant costs steps x state, which grows with the square of the tenants. A platform-wide
key rotation (11 new keys and 11 updated Secrets per tenant) is the largest routine change; it should write at most
WRITE_BUDGET_BYTES, about ten minutes of checkpoint uploads at 100 MB/s (one S3 PUT stream from the runner; every
write waits for the previous one). The bench measured about 4.8 MB x tenants² for it (10 to 100 tenants), which
puts the budget at 106 to 111 tenants (the 10- and the 100-tenant row); MAX_TENANTS_PER_STACK rounds that down.
"""

WRITE_BUDGET_BYTES = 60 * 10**9
MAX_TENANTS_PER_STACK = 100
