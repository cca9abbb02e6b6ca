"""MinIO erasure-coding rules as plain functions.

Mirrors what the MinIO server does at start (cmd/endpoint-ellipses.go): each pool's drives are split into
erasure sets of 2..16 drives, the set size being the largest allowed divisor of the pool's drive count that
is "symmetric" with the number of servers (or `MINIO_ERASURE_SET_DRIVE_COUNT` when set). From that follow the
data/parity split, usable capacity and how many drives or servers may fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A parity as the stack file and MinIO's storage-class setting write it (EC:N).
PARITY = re.compile(r"^EC:(\d{1,2})$")

MIN_SET_SIZE = 2
MAX_SET_SIZE = 16
SET_SIZES = tuple(range(MIN_SET_SIZE, MAX_SET_SIZE + 1))


class ErasureLayoutError(ValueError):
    """A layout or parity MinIO itself would refuse at start."""


def default_parity(set_size: int) -> int:
    """MinIO's default standard parity for a set size (used when EC:N is not configured)."""
    if set_size <= 1:
        return 0
    if set_size <= 3:
        return 1
    if set_size <= 5:
        return 2
    if set_size <= 7:
        return 3
    return 4


def max_parity(set_size: int) -> int:
    """The highest parity MinIO accepts for a set: half of it (a single drive allows none)."""
    return set_size // 2


def allowed_set_sizes(drives: int) -> tuple[int, ...]:
    """Set sizes 2..16 that divide a pool's drive count."""
    return tuple(size for size in SET_SIZES if drives % size == 0)


def _symmetric(set_size: int, servers: int) -> bool:
    # MinIO only looks at the first ellipsis of the argument (the server range) when judging symmetry.
    if servers > set_size:
        return servers % set_size == 0
    return set_size % servers == 0


def erasure_set_size(servers: int, drives_per_server: int, set_drive_count: int | None = None) -> int:
    """The set size MinIO picks for one pool of `servers` x `drives_per_server` drives.

    Raises ErasureLayoutError with MinIO's reason when the server would refuse to start.
    """
    drives = servers * drives_per_server
    if drives < MIN_SET_SIZE:
        raise ErasureLayoutError(f"{drives} drive(s) in a pool: distributed MinIO needs at least {MIN_SET_SIZE} drives")
    candidates = allowed_set_sizes(drives)
    if not candidates:
        raise ErasureLayoutError(
            f"{drives} drives cannot be split into erasure sets of {MIN_SET_SIZE}..{MAX_SET_SIZE} drives"
        )
    if set_drive_count is not None:
        if set_drive_count not in candidates:
            raise ErasureLayoutError(
                f"set drive count {set_drive_count} does not divide {drives} drives; "
                f"allowed: {', '.join(map(str, candidates))}"
            )
        return set_drive_count
    symmetric = [size for size in candidates if _symmetric(size, servers)]
    if not symmetric:
        raise ErasureLayoutError(
            f"{drives} drives on {servers} servers cannot be spread symmetrically over erasure sets "
            f"of {MIN_SET_SIZE}..{MAX_SET_SIZE} drives"
        )
    return max(symmetric)


def drives_per_server_in_set(servers: int, drives_per_server: int, set_size: int) -> int:
    """The most drives one server holds in any single erasure set.

    MinIO expands `host{..}/export{..}` with the drive index outermost, so consecutive endpoints walk across
    servers; sets are consecutive runs of `set_size` endpoints.
    """
    endpoints = [server for _drive in range(drives_per_server) for server in range(servers)]
    worst = 0
    for start in range(0, len(endpoints), set_size):
        members = endpoints[start : start + set_size]
        worst = max(worst, max(members.count(server) for server in set(members)))
    return worst


def write_quorum(set_size: int, parity: int) -> int:
    data = set_size - parity
    # With parity == data MinIO needs one extra drive to break ties between two halves.
    return data + 1 if data == parity else data


@dataclass(frozen=True)
class PoolFigures:
    servers: int
    drives_per_server: int
    drives: int
    set_size: int
    set_count: int
    drives_per_server_in_set: int


@dataclass(frozen=True)
class ErasureFigures:
    """What MinIO will do with a layout, for outputs, previews and policy checks."""

    mode: str
    pools: tuple[PoolFigures, ...]
    set_size: int
    standard_parity: int
    reduced_redundancy_parity: int
    data_drives_per_set: int
    drive_size_bytes: int
    total_drives: int
    raw_capacity_bytes: int
    usable_capacity_bytes: int
    drive_failures_tolerated_per_set: int
    survives_server_loss: bool

    @property
    def set_count(self) -> int:
        return sum(pool.set_count for pool in self.pools)

    def as_output(self) -> dict[str, object]:
        """A flat, JSON-friendly view for stack outputs and plans."""
        return {
            "mode": self.mode,
            "pools": len(self.pools),
            "totalDrives": self.total_drives,
            "erasureSetSize": self.set_size,
            "erasureSetCount": self.set_count,
            "standardParity": self.standard_parity,
            "reducedRedundancyParity": self.reduced_redundancy_parity,
            "dataDrivesPerSet": self.data_drives_per_set,
            "rawCapacityBytes": self.raw_capacity_bytes,
            "usableCapacityBytes": self.usable_capacity_bytes,
            "usableRatio": round(self.usable_capacity_bytes / self.raw_capacity_bytes, 4)
            if self.raw_capacity_bytes
            else 0,
            "driveFailuresToleratedPerSet": self.drive_failures_tolerated_per_set,
            "survivesServerLoss": self.survives_server_loss,
        }


def standalone_figures(drive_size_bytes: int) -> ErasureFigures:
    """One drive, no erasure coding: nothing may fail."""
    return ErasureFigures(
        mode="standalone",
        pools=(PoolFigures(1, 1, 1, 1, 1, 1),),
        set_size=1,
        standard_parity=0,
        reduced_redundancy_parity=0,
        data_drives_per_set=1,
        drive_size_bytes=drive_size_bytes,
        total_drives=1,
        raw_capacity_bytes=drive_size_bytes,
        usable_capacity_bytes=drive_size_bytes,
        drive_failures_tolerated_per_set=0,
        survives_server_loss=False,
    )


def parity_problems(set_size: int, standard: int, reduced: int) -> list[str]:
    """MinIO's storage-class rules for a set size; empty when the parities are accepted."""
    problems = []
    limit = max_parity(set_size)
    if standard > limit:
        problems.append(f"standard parity EC:{standard} exceeds half the erasure set of {set_size} (max EC:{limit})")
    if reduced > limit:
        problems.append(
            f"reduced-redundancy parity EC:{reduced} exceeds half the erasure set of {set_size} (max EC:{limit})"
        )
    if standard > 0 and reduced > 0 and reduced > standard:
        problems.append(f"reduced-redundancy parity EC:{reduced} is above standard parity EC:{standard}")
    return problems


def distributed_figures(
    servers_per_pool: int,
    drives_per_server: int,
    pools: int,
    drive_size_bytes: int,
    standard_parity: int | None,
    reduced_redundancy_parity: int | None,
    set_drive_count: int | None = None,
) -> ErasureFigures:
    """Figures for `pools` identical pools; raises ErasureLayoutError when MinIO would refuse the layout."""
    set_size = erasure_set_size(servers_per_pool, drives_per_server, set_drive_count)
    standard = default_parity(set_size) if standard_parity is None else standard_parity
    # MinIO's RRS default is EC:1, never above the standard parity.
    reduced = min(1, standard) if reduced_redundancy_parity is None else reduced_redundancy_parity
    problems = parity_problems(set_size, standard, reduced)
    if problems:
        raise ErasureLayoutError("; ".join(problems))
    per_pool_drives = servers_per_pool * drives_per_server
    per_server = drives_per_server_in_set(servers_per_pool, drives_per_server, set_size)
    pool = PoolFigures(
        servers=servers_per_pool,
        drives_per_server=drives_per_server,
        drives=per_pool_drives,
        set_size=set_size,
        set_count=per_pool_drives // set_size,
        drives_per_server_in_set=per_server,
    )
    total_drives = per_pool_drives * pools
    data = set_size - standard
    remaining_after_server_loss = set_size - per_server
    return ErasureFigures(
        mode="distributed",
        pools=(pool,) * pools,
        set_size=set_size,
        standard_parity=standard,
        reduced_redundancy_parity=reduced,
        data_drives_per_set=data,
        drive_size_bytes=drive_size_bytes,
        total_drives=total_drives,
        raw_capacity_bytes=total_drives * drive_size_bytes,
        usable_capacity_bytes=total_drives * drive_size_bytes * data // set_size,
        drive_failures_tolerated_per_set=standard,
        survives_server_loss=servers_per_pool > 1 and remaining_after_server_loss >= write_quorum(set_size, standard),
    )
