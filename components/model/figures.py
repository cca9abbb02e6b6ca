"""A validated stack's erasure figures (capacity, tolerance): planning, not configuration.

`load_settings` has already refused any layout MinIO would refuse (it calls the same `erasure` functions as its
cross-key rule), so here the figures are only computed, for the chart's environment, the alerts, the dashboard and
the `erasure` output.
"""

from __future__ import annotations

from components.model import erasure
from components.model.config import Settings
from components.model.erasure import ErasureFigures


def layout_figures(settings: Settings) -> ErasureFigures:
    topology, ec = settings.topology, settings.erasure
    if topology.mode != "distributed":
        return erasure.standalone_figures(settings.storage.size_per_drive_bytes)
    return erasure.distributed_figures(
        topology.servers_per_pool,
        topology.drives_per_server,
        topology.pools,
        settings.storage.size_per_drive_bytes,
        ec.standard_parity,
        ec.reduced_redundancy_parity,
        ec.set_drive_count,
    )
