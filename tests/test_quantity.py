"""Byte counts as people read them (plan tree, plan diff)."""

from __future__ import annotations

from components.model.quantity import format_bytes


def test_byte_counts_read_in_the_largest_binary_unit():
    assert format_bytes(12 * 2**40) == "12 TiB"
    assert format_bytes(3 * 2**29) == "1.5 GiB"
    assert format_bytes(20 * 2**30) == "20 GiB"
    assert format_bytes(1023) == "1023 B"
