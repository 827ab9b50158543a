"""Salvage a truncated ZIP: read members from their local headers, in order.

A ZIP's table of contents (central directory) is at its end, so an
interrupted download or copy loses it and :mod:`zipfile` cannot open the
archive at all. The members before the cut are still intact; this module
walks the local file headers from the start, hands on every member whose
data is complete and checks out (CRC-32), and rejects the member that was
cut off with a clear reason.
"""
from __future__ import annotations

import io
import struct
import zlib
from typing import IO, Iterator

from . import skip_rules
from .archive import ENCRYPTED_NO_PASSWORD, MemberReadError, iter_zip, unsafe_member_name
from .base import SourceEvent, SourceItem, SourceProblem, SourceProgress
from .limits import MIB, ArchiveLimits, UnpackGuard, human_bytes

_LOCAL = b"PK\x03\x04"
_DESCRIPTOR = b"PK\x07\x08"
_HEADER = struct.Struct("<4sHHHHHIIIHH")
_STORED, _DEFLATED = 0, 8


class _Stop(Exception):
    """The rest of the archive cannot be read."""


def _inflate(fh: IO[bytes], csize: int | None, limits: ArchiveLimits) -> tuple[bytes, int]:
    """Decompress one deflated member; returns (data, compressed bytes used).

    At most 1 MiB comes out per step and the caps are checked after each,
    against the compressed bytes used so far (see :class:`UnpackGuard`).
    """
    inflater = zlib.decompressobj(-15)
    guard = UnpackGuard(limits, csize if csize is not None else 1 << 62)
    out: list[bytes] = []
    total = used = 0
    pending = b""
    while not inflater.eof:
        if not pending:
            want = MIB if csize is None else min(MIB, csize - used)
            pending = fh.read(want) if want > 0 else b""
            used += len(pending)
        if pending:
            piece = inflater.decompress(pending, MIB)
            pending = b"" if inflater.eof else inflater.unconsumed_tail
        else:
            piece = inflater.flush()  # what zlib held back for lack of room
            if not inflater.eof:
                raise EOFError
        total += len(piece)
        problem = guard.problem(total, used - len(pending))
        if problem:
            raise MemberReadError(problem)
        out.append(piece)
    if inflater.unused_data:  # read past the member: step back
        fh.seek(-len(inflater.unused_data), io.SEEK_CUR)
        used -= len(inflater.unused_data)
    problem = UnpackGuard(limits, used).problem(total, used)
    if problem:
        raise MemberReadError(problem)
    return b"".join(out), used


def _stored_until_descriptor(fh: IO[bytes], limits: ArchiveLimits) -> bytes:
    """A stored member whose size follows it: find the descriptor that matches.

    A candidate ``PK\\x07\\x08`` counts only when the compressed size it
    records equals the distance from the member's start, so the signature
    bytes occurring inside the data do not end it early. The file is left at
    the descriptor.
    """
    start = fh.tell()
    data = bytearray()
    pos = 0
    while True:
        idx = data.find(_DESCRIPTOR, pos)
        if idx >= 0 and idx + 16 <= len(data):
            if struct.unpack("<I", data[idx + 8:idx + 12])[0] == idx:
                fh.seek(start + idx)
                return bytes(data[:idx])
            pos = idx + 1
            continue
        if idx < 0:
            pos = max(0, len(data) - 3)
        chunk = fh.read(MIB)
        if not chunk:
            raise EOFError
        data += chunk
        if len(data) > limits.max_member_bytes + 16:
            raise MemberReadError(f"member is larger than the {human_bytes(limits.max_member_bytes)} "
                                  "per-file limit (zip bomb?)")


def _read_one(fh: IO[bytes], flags: int, method: int, csize: int, usize: int,
              limits: ArchiveLimits) -> bytes:
    has_descriptor = bool(flags & 0x8)
    if method == _STORED:
        if has_descriptor:
            return _stored_until_descriptor(fh, limits)
        if usize > limits.max_member_bytes:
            raise MemberReadError(f"member declares {human_bytes(usize)}, more than the "
                                  f"{human_bytes(limits.max_member_bytes)} per-file limit (zip bomb?)")
        data = fh.read(csize)
        if len(data) < csize:
            raise EOFError
        return data
    if method != _DEFLATED:
        raise _Stop(f"compression method {method} cannot be salvaged")
    data, _used = _inflate(fh, None if has_descriptor else csize, limits)
    return data


def _skip_descriptor(fh: IO[bytes]) -> tuple[int | None]:
    head = fh.read(4)
    if head == _DESCRIPTOR:
        return struct.unpack("<I", fh.read(12)[:4])[0:1]
    rest = fh.read(8)
    return struct.unpack("<I", head)[0:1] if len(head) == 4 and len(rest) == 8 else (None,)


def _walk(fh: IO[bytes], label: str, password: str | None, limits: ArchiveLimits,
          origin: str) -> Iterator[SourceEvent]:
    yield SourceProgress(f"{label}: the archive is damaged or incomplete (no table of contents); "
                         "reading the members that remain")
    total = 0
    while True:
        raw = fh.read(_HEADER.size)
        if len(raw) < _HEADER.size or not raw.startswith(_LOCAL):
            if raw and not raw.startswith(b"PK\x01\x02"):
                yield SourceProblem(label, "truncated archive: the end of the file is missing")
            return
        _sig, _ver, flags, method, _t, _d, crc, csize, usize, nlen, xlen = _HEADER.unpack(raw)
        raw_name = fh.read(nlen)
        fh.read(xlen)
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        mlabel = f"{label}!{name}"
        if len(raw_name) < nlen:
            yield SourceProblem(mlabel, "truncated member (the archive is incomplete)")
            return
        if flags & 0x1:
            reason = ENCRYPTED_NO_PASSWORD if password is None else \
                "encrypted member of a damaged archive: cannot be read"
            yield SourceProblem(mlabel, reason, code="password-needed" if password is None else None)
            if flags & 0x8:
                return
            fh.seek(csize, io.SEEK_CUR)
            continue
        try:
            data = _read_one(fh, flags, method, csize, usize, limits)
            if flags & 0x8:
                (crc,) = _skip_descriptor(fh)
        except EOFError:
            yield SourceProblem(mlabel, "truncated member (the archive is incomplete)")
            return
        except _Stop as stop:
            yield SourceProblem(mlabel, f"damaged archive: {stop}; the rest cannot be read")
            return
        except MemberReadError as exc:
            yield SourceProblem(mlabel, str(exc))
            return
        except zlib.error as exc:
            yield SourceProblem(mlabel, f"damaged member: {exc}")
            return
        if name.endswith("/"):
            continue
        total += len(data)
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        if unsafe_member_name(name):
            yield SourceProblem(mlabel, f"unsafe path in archive (leaves the archive's folder): {name}")
        elif crc is not None and zlib.crc32(data) != crc:
            yield SourceProblem(mlabel, "damaged member: bad CRC-32 (the archive is corrupt)")
        elif total > limits.max_total_bytes:
            yield SourceProblem(mlabel, f"the archive unpacks to more than the "
                                        f"{human_bytes(limits.max_total_bytes)} total limit (zip bomb?)")
            return
        elif skip_rules.skip_reason_for_file(base) and not skip_rules.has_dicm_marker(data[:132]):
            yield SourceProblem(mlabel, skip_rules.skip_reason_for_file(base) or "", kind="skipped")
        elif skip_rules.is_dicomdir_name(base):
            yield SourceProblem(mlabel, skip_rules.INDEX_ARCHIVE, kind="skipped")
        elif data[:4] == _LOCAL or skip_rules.is_zip_name(base):
            yield from iter_zip(io.BytesIO(data), mlabel, password=password, limits=limits,
                                origin=origin, depth=2)
        else:
            yield SourceItem(label=mlabel, read=lambda d=data: d, size=len(data), origin=origin)


def salvage_truncated(path: str, label: str, *, password: str | None, limits: ArchiveLimits,
                      origin: str = "zip") -> Iterator[SourceEvent] | None:
    """Events for a ZIP whose central directory is missing, or ``None``.

    Parameters
    ----------
    path
        The archive on disk.
    label
        How the archive is shown.
    password
        Password given by the user (encrypted members of a damaged archive
        are refused either way).
    limits
        Caps against zip bombs.
    origin
        :attr:`SourceItem.origin` of the members.

    Returns
    -------
    iterator or None
        ``None`` when the file does not start with a ZIP local header (it is
        not a ZIP at all); else the salvaged members and the problems.
    """
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != _LOCAL:
                return None
    except OSError:
        return None

    def events() -> Iterator[SourceEvent]:
        with open(path, "rb") as fh:
            yield from _walk(fh, label, password, limits, origin)

    return events()
