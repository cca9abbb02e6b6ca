"""Kubernetes resource quantities (`500Gi`, `1.5`, `250m`), parsed exactly as the API server does."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# k8s.io/apimachinery/pkg/api/resource: <signedNumber><suffix>, suffix binary (Ki..Ei), decimal (n u m k M G T P E)
# or a decimal exponent (e3, E-2).
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$"
)
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}


def parse_quantity(text: object) -> Decimal | None:
    """The quantity's value in base units, or None when `text` is not a Kubernetes quantity."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        return None
    match = _QUANTITY.match(str(text).strip()) if str(text) == str(text).strip() else None
    if not match:
        return None
    try:
        number = Decimal(match["number"])
    except InvalidOperation:
        return None
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    return number * (Decimal(10) ** int(suffix[1:]))


BYTE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def format_bytes(value: float) -> str:
    """A byte count in the largest binary unit that keeps it at least 1, to two decimals: `2 TiB`, `1.5 GiB`."""
    size, index = float(value), 0
    while size >= 1024 and index < len(BYTE_UNITS) - 1:
        size, index = size / 1024, index + 1
    return f"{size:.2f}".rstrip("0").rstrip(".") + f" {BYTE_UNITS[index]}"
