"""The MinIO release: its pool layout, drive sizes and server build."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from components import tokens
from components.model.quantity import parse_quantity
from tools.risks.model import DATA_STAYS, Record, Risk, Rule, Snapshot, get_path

POOL_LAYOUT = Rule("pool-layout", "Pool layout changed", ("refused",))
DRIVE_SIZE = Rule("drive-size", "Drive size changed", ("refused", "warning"))
SERVER_UPGRADE = Rule("server-upgrade", "MinIO server build changed", ("warning",))


def release_risks(before: Record, after: Record, base: Snapshot, head: Snapshot) -> list[Risk]:
    old, new = before.inputs.get("values") or {}, after.inputs.get("values") or {}
    name = after.name
    risks: list[Risk] = []
    mirror = (
        "deploy the new layout as a second release (or stack) beside this one, `mc mirror --preserve` every bucket "
        "into it, switch `minioEndpoint` and the consumers, then remove the old release"
    )
    if old.get("mode") != new.get("mode"):
        risks.append(
            POOL_LAYOUT.risk(
                "refused",
                name,
                f"mode `{old.get('mode')}` -> `{new.get('mode')}`: a server with a different data layout starts on "
                "the old drives; MinIO cannot convert between standalone and distributed",
                "keep `topology.mode`; " + mirror,
            )
        )
    elif new.get("mode") == "distributed":
        # The chart's value -> what it means and the stack-file key that sets it (components/model/chart_values.py).
        layout = (
            ("replicas", "servers per pool", "topology.serversPerPool"),
            ("drivesPerNode", "drives per server", "topology.drivesPerServer"),
        )
        for key, what, setting in layout:
            if old.get(key) != new.get(key):
                risks.append(
                    POOL_LAYOUT.risk(
                        "refused",
                        name,
                        f"{what} {old.get(key)} -> {new.get(key)}: MinIO cannot change the servers or drives of an "
                        "existing pool (its erasure sets are fixed when the pool is formatted)",
                        f"keep `{setting}` as it is and grow by adding a pool of the same shape (`topology.pools`), or "
                        + mirror,
                    )
                )
        was_set, now_set = (get_path(v, "environment.MINIO_ERASURE_SET_DRIVE_COUNT") for v in (old, new))
        if was_set != now_set and not risks:
            risks.append(
                POOL_LAYOUT.risk(
                    "refused",
                    name,
                    f"erasure set drive count {was_set or 'default'} -> {now_set or 'default'}: MinIO refuses to "
                    'start ("drive is already formatted with N drives per erasure set. This cannot be changed")',
                    "keep `erasure.setDriveCount`; a new set size needs a new pool or deployment and `mc mirror`",
                )
            )
        old_pools, new_pools = int(old.get("pools") or 1), int(new.get("pools") or 1)
        if new_pools < old_pools:
            risks.append(
                POOL_LAYOUT.risk(
                    "refused",
                    name,
                    f"pools {old_pools} -> {new_pools}: the objects on the removed pool would be lost",
                    "decommission the pool first (`mc admin decommission start <alias>/ <pool>`, wait for "
                    "`mc admin decommission status` to report it complete), then lower `topology.pools`",
                )
            )
        elif new_pools > old_pools:
            risks.append(
                DATA_STAYS.risk(
                    "notice",
                    name,
                    f"pools {old_pools} -> {new_pools}: new objects go to the pool with the most free space; existing "
                    "objects stay where they are unless you run `mc admin rebalance start`",
                )
            )
    risks += drive_size_risks(name, old, new, base, head)
    for variable, what in (("MINIO_STORAGE_CLASS_STANDARD", "standard"), ("MINIO_STORAGE_CLASS_RRS", "RRS")):
        was, now = get_path(old, f"environment.{variable}"), get_path(new, f"environment.{variable}")
        if was != now and old.get("mode") == new.get("mode"):
            risks.append(
                DATA_STAYS.risk(
                    "notice",
                    name,
                    f"{what} parity `{was}` -> `{now}` applies to objects written from now on; existing objects keep "
                    "the parity they were written with",
                )
            )
    return risks


def _storage_class(snapshot: Snapshot, name: Any) -> Record | None:
    return next(
        (
            r
            for r in snapshot.resources
            if r.type == tokens.STORAGE_CLASS and get_path(r.inputs, "metadata.name") == name
        ),
        None,
    )


def drive_size_risks(
    name: str, old: Mapping[str, Any], new: Mapping[str, Any], old_snapshot: Snapshot, head: Snapshot
) -> list[Risk]:
    # Standalone may use the program's own claim (`persistence.existingClaim`): its size is the drive's size.
    claim = get_path(new, "persistence.existingClaim")
    if claim:
        was, now = claim_size(claim, old_snapshot), claim_size(claim, head)
        class_name = claim_class(claim, head)
    else:
        was, now = get_path(old, "persistence.size"), get_path(new, "persistence.size")
        class_name = get_path(new, "persistence.storageClass")
    if was == now or old.get("mode") != new.get("mode"):
        return []
    change = f"drive size `{was}` -> `{now}`"
    if new.get("mode") == "distributed":
        return [
            DRIVE_SIZE.risk(
                "refused",
                name,
                f"{change}: the StatefulSet's volumeClaimTemplates are immutable, so the Helm upgrade fails "
                "(and `atomic` rolls it back)",
                "keep `storage.sizePerDrive`; if the StorageClass allows expansion, grow each of the release's claims "
                "directly (`kubectl -n <namespace> patch pvc export-<drive>-<release>-<pod> -p "
                '\'{"spec":{"resources":{"requests":{"storage":"<size>"}}}}\'`); otherwise add a pool',
            )
        ]
    old_bytes, new_bytes = parse_quantity(was), parse_quantity(now)
    if old_bytes is None or new_bytes is None or old_bytes == new_bytes:
        return []
    storage_class = _storage_class(head, class_name)
    if new_bytes < old_bytes:
        reason = "a PersistentVolumeClaim can only grow"
    elif storage_class is not None and storage_class.inputs.get("allowVolumeExpansion") is not True:
        reason = f"StorageClass `{get_path(storage_class.inputs, 'metadata.name')}` does not allow volume expansion"
    elif storage_class is None:
        # A class this program does not declare (kind's `standard`, an existing cloud class): only the cluster knows.
        return [
            DRIVE_SIZE.risk(
                "warning",
                name,
                f"{change}: the claim grows in place only if StorageClass `{class_name}` allows volume expansion "
                f"(`kubectl get storageclass {class_name} -o jsonpath='{{.allowVolumeExpansion}}'`); otherwise the "
                "update fails",
            )
        ]
    else:
        return []
    return [
        DRIVE_SIZE.risk(
            "refused",
            name,
            f"{change}: {reason}, so the update fails",
            "keep `storage.sizePerDrive`; move the data to a larger volume (a new release and `mc mirror`), or use "
            "a StorageClass that allows expansion",
        )
    ]


def _claim(name: Any, snapshot: Snapshot) -> Record | None:
    return next(
        (
            r
            for r in snapshot.resources
            if r.type == tokens.PERSISTENT_VOLUME_CLAIM and get_path(r.inputs, "metadata.name") == name
        ),
        None,
    )


def claim_size(name: Any, snapshot: Snapshot) -> Any:
    claim = _claim(name, snapshot)
    return get_path(claim.inputs, "spec.resources.requests.storage") if claim is not None else None


def claim_class(name: Any, snapshot: Snapshot) -> Any:
    claim = _claim(name, snapshot)
    return get_path(claim.inputs, "spec.storageClassName") if claim is not None else None


# Read in minio/minio at both tags: the erasure format (`cmd/format-erasure.go`, formatErasureVersionV3), the object
# metadata (`cmd/xl-storage-format-v2.go`, xl.meta 1.3) and the IAM store (`cmd/iam-store.go`, iamFormatVersion1) are
# the same, so a server of the later release reads the drives and the IAM data of the earlier one as they are.
SERVER_RELEASE = re.compile(r"RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z")


FORMAT_COMPATIBLE_UPGRADES = frozenset({("RELEASE.2024-12-18T13-15-44Z", "RELEASE.2025-10-15T17-29-55Z")})


def server_image(values: Mapping[str, Any]) -> tuple[str, str | None]:
    image = values.get("image") or {}
    reference = f"{image.get('repository')}:{image.get('tag')}"
    match = SERVER_RELEASE.match(str(image.get("tag") or ""))
    return reference, match.group(0) if match else None


def server_build_risks(before: Record, after: Record) -> list[Risk]:
    """A new server image restarts every MinIO pod; what that costs, and whether the data carries over.

    Chart 5.4.0: a StatefulSet with `RollingUpdate` and no readiness probe (the controller moves to the next pod as
    soon as the last one runs), or a standalone Deployment with maxSurge 100% / maxUnavailable 0. MinIO
    (`cmd/bootstrap-peer-server.go` `verifyServerSystemConfig`, `ServerSystemConfig.Diff`): a starting server waits
    until at least half of its peers run a binary with the same checksum."""
    old_values, new_values = before.inputs.get("values") or {}, after.inputs.get("values") or {}
    (old_ref, old_release), (new_ref, new_release) = server_image(old_values), server_image(new_values)
    if old_ref == new_ref:
        return []
    if new_values.get("mode") == "standalone":
        restart = (
            "the Deployment (chart 5.4.0 RollingUpdate, maxSurge 100%, maxUnavailable 0) starts the new server "
            "beside the old one on the same claim until the old pod stops"
        )
    else:
        servers = int(new_values.get("replicas") or 0) * int(new_values.get("pools") or 1)
        restart = (
            f"the StatefulSet restarts its {servers} servers one after the other without waiting for readiness (no "
            "probe); a restarted server waits for half its peers to run the same binary checksum, so from the "
            "second restart until every server runs the new build the pool has no quorum: a short outage of the "
            "S3 and admin APIs, after which the readiness gate re-runs"
        )
    if old_release and new_release and old_release == new_release:
        data = "same release, another build: same on-disk and IAM formats"
    elif old_release and new_release and new_release < old_release:
        data = (
            f"a downgrade ({old_release} -> {new_release}): the older server must read what the newer one wrote; "
            "not read in the sources here, and it brings back the advisories fixed in between"
        )
    elif (old_release, new_release) in FORMAT_COMPATIBLE_UPGRADES:
        data = (
            "format.json (erasure V3), xl.meta (1.3) and the IAM format (1) are the same in both releases: objects, "
            "users, policies and access keys carry over as they are"
        )
    else:
        data = (
            "whether the on-disk and IAM formats stay readable was not read in the sources for this pair of releases: "
            "read cmd/format-erasure.go, cmd/xl-storage-format-v2.go and cmd/iam-store.go at both tags"
        )
    releases = (
        f" ({old_release} -> {new_release})" if old_release and new_release and old_release != new_release else ""
    )
    return [
        SERVER_UPGRADE.risk(
            "warning",
            after.name,
            f"image `{old_ref}` -> `{new_ref}`{releases}: {restart}; {data}",
        )
    ]
