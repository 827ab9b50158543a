"""Caps that protect an import from hostile or broken archives (zip bombs)."""
from __future__ import annotations

from dataclasses import dataclass

GIB = 1 << 30
MIB = 1 << 20


@dataclass(frozen=True)
class ArchiveLimits:
    """How much an archive may unpack to before its members are refused.

    Attributes
    ----------
    max_member_bytes
        Largest decompressed size of one member (declared or actually read).
    max_total_bytes
        Largest decompressed size of a whole archive, nested archives included.
    max_ratio
        Largest decompressed/compressed ratio of one member. Only checked for
        members larger than ``ratio_floor_bytes``: small, very regular files
        (a blank image) can legitimately compress far better than 200:1.
    max_nesting
        Deepest chain of archives inside archives (``a.zip!b.zip`` is 2).
    max_members
        Most entries one archive may list; more refuses the whole archive.
    ratio_floor_bytes
        Members smaller than this are not checked for their ratio.
    """

    max_member_bytes: int = 2 * GIB
    max_total_bytes: int = 20 * GIB
    max_ratio: float = 200.0
    max_nesting: int = 4
    max_members: int = 500_000
    ratio_floor_bytes: int = MIB


def human_bytes(n: int | float) -> str:
    """Format a byte count for messages, e.g. ``2.0 GiB``.

    Parameters
    ----------
    n
        Number of bytes.

    Returns
    -------
    str
        The size with a binary unit.
    """
    value = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover - loop always returns
