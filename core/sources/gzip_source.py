"""gzip source: one compressed file (``study.dcm.gz``) as one item."""
from __future__ import annotations

import gzip
import io
import os
import zlib
from typing import Iterator

from .archive import MemberReadError
from .base import SourceEvent, SourceItem
from .limits import MIB, ArchiveLimits, human_bytes

GZIP_MAGIC = b"\x1f\x8b"


def _gunzip_stream(fh, packed_size: int, limits: ArchiveLimits) -> bytes:
    parts: list[bytes] = []
    count = 0
    try:
        with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
            while True:
                chunk = gz.read(MIB)
                if not chunk:
                    break
                count += len(chunk)
                if count > limits.max_member_bytes:
                    raise MemberReadError(
                        f"gzip file unpacks to more than the {human_bytes(limits.max_member_bytes)} "
                        "per-file limit (zip bomb?)")
                if count > limits.ratio_floor_bytes and count > limits.max_ratio * max(packed_size, 1):
                    raise MemberReadError(
                        f"gzip file unpacks more than {limits.max_ratio:g} times its compressed size "
                        "(zip bomb?)")
                parts.append(chunk)
    except MemberReadError:
        raise
    except EOFError as exc:
        raise MemberReadError("truncated gzip file (the download or copy is incomplete)") from exc
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise MemberReadError(f"damaged or not gzip data ({exc})") from exc
    return b"".join(parts)


def gunzip_capped(data: bytes, limits: ArchiveLimits) -> bytes:
    """Decompress gzip ``data`` within the per-file and ratio limits.

    Parameters
    ----------
    data
        The compressed bytes.
    limits
        The caps to enforce while decompressing.

    Returns
    -------
    bytes
        The decompressed bytes.

    Raises
    ------
    MemberReadError
        When the data is damaged, truncated or exceeds a limit.
    """
    return _gunzip_stream(io.BytesIO(data), len(data), limits)


def read_gzip_file(path: str, limits: ArchiveLimits) -> bytes:
    """Decompress a ``.gz`` file on disk within the limits.

    Parameters
    ----------
    path
        The gzip file.
    limits
        The caps to enforce while decompressing.

    Returns
    -------
    bytes
        The decompressed bytes.

    Raises
    ------
    MemberReadError
        When the file is damaged, truncated, unreadable or too large.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            return _gunzip_stream(fh, size, limits)
    except OSError as exc:
        raise MemberReadError(f"cannot read file: {exc.strerror or exc}") from exc


def iter_gzip(path: str, label: str, *, limits: ArchiveLimits | None = None) -> Iterator[SourceEvent]:
    """Yield one item: the decompressed content of a gzip file.

    Parameters
    ----------
    path
        The ``.gz`` file.
    label
        How it is shown to the user (its path).
    limits
        Caps for the decompressed size and ratio.

    Yields
    ------
    SourceItem
        ``origin="gzip"``; ``read()`` decompresses (size-capped) and raises
        :class:`MemberReadError` with a clear reason when it cannot.
    """
    limits = limits or ArchiveLimits()
    yield SourceItem(label=label, read=lambda: read_gzip_file(path, limits), size=None, origin="gzip")


def is_gzip_file(path: str) -> bool:
    """Whether a file starts with the gzip magic bytes."""
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == GZIP_MAGIC
    except OSError:
        return False
