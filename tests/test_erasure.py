"""Erasure-set math against MinIO's own cases (cmd/endpoint-ellipses_test.go) and its parity rules."""

from __future__ import annotations

import pytest

from components.model import erasure


@pytest.mark.parametrize(
    ("servers", "drives_per_server", "set_drive_count", "expected_set_size", "expected_sets"),
    [
        (1, 16, None, 16, 1),  # 16 drives -> one set of 16
        (1, 24, None, 12, 2),  # data{1...24} -> 2 x 12
        (1, 64, None, 16, 4),  # data{1...64} -> 4 x 16
        (1, 64, 8, 8, 8),  # MINIO_ERASURE_SET_DRIVE_COUNT=8 -> 8 x 8
        (1, 27, None, 9, 3),  # data{1...27} -> 3 x 9
        (3, 180, None, 15, 36),  # host{1...3}/data{1...180}: 16 does not divide 540
        (2, 180, None, 12, 30),  # host{1...2}/data{1...180}: 15 is not symmetric with 2 hosts
        (8, 180, None, 16, 90),  # 1440 drives -> 90 x 16
        (11, 8, None, 11, 8),  # controller{1...11}/export{1...8} -> 8 x 11
        (4, 4, None, 16, 1),  # the prod layout
        (1, 4, None, 4, 1),
    ],
)
def test_set_size_matches_minio(servers, drives_per_server, set_drive_count, expected_set_size, expected_sets):
    size = erasure.erasure_set_size(servers, drives_per_server, set_drive_count)
    assert size == expected_set_size
    assert servers * drives_per_server // size == expected_sets


@pytest.mark.parametrize(("servers", "drives"), [(1, 1), (17, 1), (1, 17)])
def test_layouts_minio_refuses(servers, drives):
    with pytest.raises(erasure.ErasureLayoutError):
        erasure.erasure_set_size(servers, drives)


def test_custom_set_drive_count_must_divide_the_pool():
    with pytest.raises(erasure.ErasureLayoutError, match="allowed: 2, 3, 4, 6, 7, 8, 12, 14"):
        erasure.erasure_set_size(6, 28, 10)


@pytest.mark.parametrize(("set_size", "parity"), [(2, 1), (3, 1), (4, 2), (5, 2), (6, 3), (7, 3), (8, 4), (16, 4)])
def test_default_parity(set_size, parity):
    assert erasure.default_parity(set_size) == parity


def test_four_drives_allow_at_most_ec2():
    assert erasure.distributed_figures(4, 1, 1, 2**40, 2, 1).standard_parity == 2
    with pytest.raises(erasure.ErasureLayoutError, match="exceeds half the erasure set of 4"):
        erasure.distributed_figures(4, 1, 1, 2**40, 3, 1)


def test_rrs_parity_above_standard_is_refused():
    with pytest.raises(
        erasure.ErasureLayoutError, match="reduced-redundancy parity EC:4 is above standard parity EC:2"
    ):
        erasure.distributed_figures(4, 4, 1, 2**40, 2, 4)


def test_prod_layout_figures():
    figures = erasure.distributed_figures(4, 4, 1, 2**40, 4, 2)
    assert (figures.set_size, figures.set_count, figures.data_drives_per_set) == (16, 1, 12)
    assert figures.raw_capacity_bytes == 16 * 2**40
    assert figures.usable_capacity_bytes == 12 * 2**40
    assert figures.drive_failures_tolerated_per_set == 4
    # Each server holds 4 of the set's 16 drives; losing one leaves 12, exactly the write quorum.
    assert figures.pools[0].drives_per_server_in_set == 4
    assert figures.survives_server_loss


def test_server_loss_not_survived_when_a_server_holds_more_drives_than_parity():
    # 2 servers x 8 drives, EC:4: a server holds 8 of the 16 drives of the set.
    figures = erasure.distributed_figures(2, 8, 1, 2**40, 4, 2)
    assert figures.pools[0].drives_per_server_in_set == 8
    assert not figures.survives_server_loss


def test_half_parity_needs_one_more_drive_to_write():
    assert erasure.write_quorum(16, 8) == 9
    assert erasure.write_quorum(16, 4) == 12
    # 4 servers x 2 drives with EC:4 (set of 8, 2 drives per server): 6 drives left >= quorum 5.
    assert erasure.distributed_figures(4, 2, 1, 2**40, 4, 2).survives_server_loss


def test_pools_multiply_capacity():
    figures = erasure.distributed_figures(4, 4, 2, 2**40, 4, 2)
    assert figures.total_drives == 32
    assert figures.set_count == 2
    assert figures.usable_capacity_bytes == 24 * 2**40


def test_standalone_has_no_redundancy():
    figures = erasure.standalone_figures(20 * 2**30)
    assert figures.as_output()["driveFailuresToleratedPerSet"] == 0
    assert not figures.survives_server_loss
