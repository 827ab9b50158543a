"""gzip source: one compressed file (``study.dcm.gz``) as one item."""
from __future__ import annotations

import io
import os
import tempfile
import zlib
from typing import Callable, Iterator

from .archive import MemberReadError
from .base import SourceEvent, SourceItem
from .limits import MIB, ArchiveLimits, UnpackGuard

GZIP_MAGIC = b"\x1f\x8b"


_IN_CHUNK = 64 * 1024


def _trailer_size(fh, packed_size: int) -> int | None:
    """ISIZE of the last gzip member (unpacked size mod 4 GiB), read without moving ``fh``."""
    if packed_size < 18:
        return None
    here = fh.tell()
    try:
        fh.seek(packed_size - 4)
        tail = fh.read(4)
    finally:
        fh.seek(here)
    return int.from_bytes(tail, "little") if len(tail) == 4 else None


Sink = Callable[[bytes], object]
_SPOOL_IN_MEMORY = 8 * MIB


def _gunzip_stream(fh, packed_size: int, limits: ArchiveLimits, sink: Sink) -> int:
    """Inflate a gzip stream (one member or several) into ``sink``, checking the caps as it goes.

    Returns the number of bytes unpacked; at most 1 MiB is held at a time.

    zlib is driven directly rather than through :class:`gzip.GzipFile` so the
    compressed bytes used so far are known exactly: a bomb is refused once its
    ratio so far is too high, long before the per-file limit is held in memory.
    Like ``GzipFile``: zero padding between/after members is allowed, anything
    else after a member is damage, and an empty file unpacks to nothing.
    """
    # the trailer's size is only a hint (a bomb can forge it): past it the strict check applies
    guard = UnpackGuard(limits, packed_size, "gzip file", declared_size=_trailer_size(fh, packed_size))
    out = read_in = 0
    inflater = None  # decompressor of the current member; None between members
    pending = b""  # compressed bytes read but not yet used
    after_member = False
    try:
        while True:
            if not pending:
                pending = fh.read(_IN_CHUNK)
                read_in += len(pending)
            if not pending:  # end of the file
                if inflater is None:
                    break
                piece = inflater.flush()  # output zlib held back for lack of room
                if not inflater.eof:
                    raise MemberReadError("truncated gzip file (the download or copy is incomplete)")
            else:
                if inflater is None:
                    if after_member:
                        pending = pending.lstrip(b"\0")
                        if not pending:
                            continue
                    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                piece = inflater.decompress(pending, MIB)
            if inflater.eof:
                pending, inflater, after_member = inflater.unused_data, None, True
            else:
                pending = inflater.unconsumed_tail
            out += len(piece)
            problem = guard.problem(out, read_in - len(pending))
            if problem:
                raise MemberReadError(problem)
            if piece:
                sink(piece)
    except zlib.error as exc:
        raise MemberReadError(f"damaged or not gzip data ({exc})") from exc
    return out


def _collect(stream: Callable[[Sink], int]) -> bytes:
    parts: list[bytes] = []
    stream(parts.append)
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
    return _collect(lambda sink: _gunzip_stream(io.BytesIO(data), len(data), limits, sink))


def gunzip_stream_to(copy_packed: Callable[[Sink], int], limits: ArchiveLimits, sink: Sink) -> int:
    """Unpack gzip data that is itself streamed (an archive member) into ``sink``.

    The compressed bytes go to a spooled temporary file first (in memory up
    to 8 MiB), so neither the packed nor the unpacked file is held whole.

    Parameters
    ----------
    copy_packed
        Streams the compressed bytes into the sink it is given.
    limits
        The caps to enforce while decompressing.
    sink
        Called with each unpacked chunk.

    Returns
    -------
    int
        Bytes unpacked.
    """
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY, prefix="dosetrail-gz-") as spool:
        packed = copy_packed(spool.write)
        spool.seek(0)
        return _gunzip_stream(spool, packed, limits, sink)


def copy_gzip_file(path: str, limits: ArchiveLimits, sink: Sink) -> int:
    """Unpack a ``.gz`` file on disk into ``sink`` within the limits (see :func:`read_gzip_file`)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            return _gunzip_stream(fh, size, limits, sink)
    except OSError as exc:
        raise MemberReadError(f"cannot read file: {exc.strerror or exc}") from exc


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
    return _collect(lambda sink: copy_gzip_file(path, limits, sink))


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
    yield SourceItem(label=label, read=lambda: read_gzip_file(path, limits), size=None, origin="gzip",
                     copy_to=lambda sink: copy_gzip_file(path, limits, sink))


def is_gzip_file(path: str) -> bool:
    """Whether a file starts with the gzip magic bytes."""
    try:
        with open(path, "rb") as fh:
            return fh.read(2) == GZIP_MAGIC
    except OSError:
        return False
