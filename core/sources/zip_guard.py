"""Archive-wide checks against zip bombs, made before any member is unpacked.

Declared sizes and ratios (with a per-archive allowance for small, very
compressible members), overlapping entries (the "zip bomb without
recursion"), and the entry count from the end record.
"""
from __future__ import annotations

import struct
import zipfile
from typing import IO

from .base import SourceError
from .limits import ArchiveLimits, human_bytes


class MemberReadError(SourceError):
    """An archive member could not be read (damaged, too large, bad password)."""


class Budget:
    """Decompressed bytes used by one archive and the archives inside it."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.used = 0
        self.small_high_ratio = 0  # unpacked bytes of small members above the ratio cap

    def add(self, n: int, label: str) -> None:
        self.used += n
        if self.used > self.limits.max_total_bytes:
            raise MemberReadError(
                f"the archive unpacks to more than the {human_bytes(self.limits.max_total_bytes)} "
                f"total limit (zip bomb?); stopped at {label}")


def declared_problem(info: zipfile.ZipInfo, limits: ArchiveLimits, budget: Budget) -> str | None:
    """Why a member is refused on what its headers declare, or ``None``.

    Parameters
    ----------
    info
        The member.
    limits
        The caps.
    budget
        The archive's running counts (a small member above the ratio cap is
        counted against the allowance here when it is accepted).

    Returns
    -------
    str or None
        The reason.
    """
    size, packed = info.file_size, max(info.compress_size, 1)
    if size > limits.max_member_bytes:
        return (f"member declares {human_bytes(size)}, more than the "
                f"{human_bytes(limits.max_member_bytes)} per-file limit (zip bomb?)")
    if size > limits.max_ratio * packed:
        if size > limits.ratio_floor_bytes:
            return (f"member declares a compression ratio of {size / packed:.0f}:1, more than "
                    f"{limits.max_ratio:g}:1 (zip bomb?)")
        if budget.small_high_ratio + size > limits.small_ratio_allowance_bytes:
            return (f"member declares a compression ratio of {size / packed:.0f}:1, more than "
                    f"{limits.max_ratio:g}:1, and the archive already holds "
                    f"{human_bytes(budget.small_high_ratio)} of such members (zip bomb?)")
        budget.small_high_ratio += size
    if budget.used + size > limits.max_total_bytes:
        return (f"the archive unpacks to more than the {human_bytes(limits.max_total_bytes)} "
                "total limit (zip bomb?)")
    return None


OVERLAP = "overlapping entry: its data overlaps another entry of the archive (zip bomb?)"
OVERLAPS_LISTED = 16  # more overlapping entries than this refuse the whole archive


def overlapping_entries(zf: zipfile.ZipFile) -> set[int]:
    """Indexes (in ``infolist()``) of entries whose local data overlaps another entry's.

    A "zip bomb without recursion" points many entries at one compressed
    kernel (same offset, or each entry's data running over the next ones'
    headers): every entry then unpacks the kernel again. An entry spans its
    local header, name, extra field and compressed data; in a sound archive
    no two spans meet. Reads 30 bytes per entry.
    """
    fp = zf.fp
    spans: list[tuple[int, int, int]] = []
    for index, info in enumerate(zf.infolist()):
        start = info.header_offset
        fp.seek(start)
        header = fp.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            continue  # damaged: reading the member reports it
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        spans.append((start, start + 30 + name_len + extra_len + info.compress_size, index))
    spans.sort()
    overlapping: set[int] = set()
    reach, owner = -1, -1
    for start, end, index in spans:
        if start < reach:
            overlapping.update((index, owner))
        if end > reach:
            reach, owner = end, index
    return overlapping


def declared_entries(source: str | IO[bytes]) -> int | None:
    """The entry count the archive's end record declares (read before the table of contents)."""
    try:
        if isinstance(source, str):
            with open(source, "rb") as fh:
                end = zipfile._EndRecData(fh)  # noqa: SLF001 - the stdlib's own end-record reader
        else:
            here = source.tell()
            try:
                end = zipfile._EndRecData(source)  # noqa: SLF001
            finally:
                source.seek(here)
        return int(end[zipfile._ECD_ENTRIES_TOTAL]) if end else None  # noqa: SLF001
    except Exception:  # noqa: BLE001 - opening the archive reports what is wrong
        return None
