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
        Most entries one archive may list; more refuses the whole archive
        (checked on the archive's end record, before its table of contents
        is read into memory).
    ratio_floor_bytes
        Members larger than this are refused above ``max_ratio``.
    small_ratio_allowance_bytes
        Members up to ``ratio_floor_bytes`` that exceed ``max_ratio`` (a
        blank image can legitimately compress far better than 200:1) are
        accepted until their unpacked sizes add up to this much per archive;
        past it they are refused too (a thousand 1 MiB blocks of zeros is a
        bomb, not a study).
    running_ratio_floor_bytes
        Once a member has unpacked more than this, its ratio so far (bytes
        out / compressed bytes used) is held to ``max_ratio`` too, so a bomb
        is stopped early, at bounded memory, instead of at the per-file limit.
        Below it only the ratio to the whole compressed size counts, which
        leaves room for a legitimate file that starts with blank frames. A
        member whose declared size (ZIP header, gzip trailer) gives a modest
        whole ratio is not held to it until it unpacks past that size: a
        long blank start (zeros compress over 200:1) is then data, and the
        declared size already bounds what is held.
    """

    max_member_bytes: int = 2 * GIB
    max_total_bytes: int = 20 * GIB
    max_ratio: float = 200.0
    max_nesting: int = 4
    max_members: int = 100_000
    ratio_floor_bytes: int = MIB
    small_ratio_allowance_bytes: int = 16 * MIB
    running_ratio_floor_bytes: int = 32 * MIB


@dataclass
class UnpackGuard:
    """Checks one file's caps while it is unpacked, chunk by chunk.

    Attributes
    ----------
    limits
        The caps.
    packed_size
        The file's whole compressed size.
    what
        How the file is named in reasons: ``"member"`` or ``"gzip file"``.
    declared_size
        The unpacked size the archive declares (ZIP header, gzip trailer), or
        None when unknown.
    """

    def _running_check(self, out: int) -> bool:
        declared = self.declared_size
        if declared is None or out > declared:
            return True
        # a declared whole ratio above a quarter of the cap: be strict from the start
        return declared > self.limits.max_ratio / 4 * max(self.packed_size, 1)


    limits: ArchiveLimits
    packed_size: int
    what: str = "member"
    declared_size: int | None = None  # what the headers say it unpacks to, when they say

    def problem(self, out: int, consumed: int) -> str | None:
        """Why unpacking must stop, or ``None``.

        Parameters
        ----------
        out
            Bytes unpacked so far.
        consumed
            Compressed bytes used to produce them (at most ``packed_size``;
            pass ``packed_size`` when unknown, which checks the whole ratio only).

        Returns
        -------
        str or None
            A reason in the style of the other archive reasons.
        """
        lim = self.limits
        if out > lim.max_member_bytes:
            return (f"{self.what} unpacks to more than the {human_bytes(lim.max_member_bytes)} "
                    "per-file limit (zip bomb?)")
        if out <= lim.ratio_floor_bytes:
            return None
        allowed = lim.max_ratio * max(self.packed_size, 1)
        if out > lim.running_ratio_floor_bytes and self._running_check(out):
            allowed = min(allowed, lim.max_ratio * max(consumed, 1))
        if out > allowed:
            return f"{self.what} unpacks more than {lim.max_ratio:g} times its compressed size (zip bomb?)"
        return None


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
