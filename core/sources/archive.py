"""ZIP source: archive members read in memory, never extracted to disk.

Members are yielded in archive order as :class:`SourceItem` whose ``read()``
returns the decompressed bytes. Nested ZIPs are opened in memory (or a
spooled temporary file) and labelled ``outer.zip!inner.zip!file.dcm``.
Path traversal, zip bombs (declared and actual size, ratio, total, nesting,
member count), encryption and damaged members each give a clear, per-member
reason; the rest of the archive goes on.

``read()`` must be called before the iterator is advanced past the nested
archive that holds the member (the import pipeline calls it at once).
"""
from __future__ import annotations

import os
import re
import stat
import struct
import tempfile
import zipfile
import zlib
from functools import partial
from typing import IO, Iterator

from . import names
from .base import SourceError, SourceEvent, SourceItem, SourceProblem
from .limits import MIB, ArchiveLimits, human_bytes

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
AES_METHOD = 99
ENCRYPTED_NO_PASSWORD = "encrypted archive: run again with --password"
_CHUNK = MIB
_SPOOL_IN_MEMORY = 32 * MIB
_DRIVE = re.compile(r"^[A-Za-z]:")


class MemberReadError(SourceError):
    """An archive member could not be read (damaged, too large, bad password)."""


class _CannotOpen(MemberReadError):
    """The archive's table of contents cannot be read."""


class _Budget:
    """Decompressed bytes used by one archive and the archives inside it."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.used = 0

    def add(self, n: int, label: str) -> None:
        self.used += n
        if self.used > self.limits.max_total_bytes:
            raise MemberReadError(
                f"the archive unpacks to more than the {human_bytes(self.limits.max_total_bytes)} "
                f"total limit (zip bomb?); stopped at {label}")


def unsafe_member_name(name: str) -> bool:
    """Whether a member name would climb out of the archive's folder.

    Parameters
    ----------
    name
        The member name as stored in the archive.

    Returns
    -------
    bool
        ``True`` for absolute paths, drive letters, UNC paths and ``..``.
    """
    norm = name.replace("\\", "/")
    if norm.startswith("/") or _DRIVE.match(norm) or "\x00" in norm:
        return True
    return any(part == ".." for part in norm.split("/"))


def _describe_read_error(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, MemberReadError):
        return text
    if isinstance(exc, RuntimeError) and "password" in text.lower():
        return "wrong password for encrypted member"
    if isinstance(exc, NotImplementedError):
        return f"unsupported compression method in archive ({text})"
    if isinstance(exc, zipfile.BadZipFile) and "crc" in text.lower():
        return "damaged member: bad CRC-32 (the archive is corrupt)"
    if isinstance(exc, EOFError):
        return "truncated member (the archive is incomplete)"
    if isinstance(exc, (zipfile.BadZipFile, zlib.error)):
        return f"damaged member: {text or type(exc).__name__}"
    return f"cannot read member: {type(exc).__name__}: {text}"


def _copy_capped(fh: IO[bytes], sink, info: zipfile.ZipInfo, limits: ArchiveLimits,
                 budget: _Budget, label: str) -> int:
    """Copy a member stream into ``sink`` (``write``) enforcing every cap."""
    count = 0
    while True:
        chunk = fh.read(_CHUNK)
        if not chunk:
            return count
        count += len(chunk)
        if count > limits.max_member_bytes:
            raise MemberReadError(
                f"member unpacks to more than the {human_bytes(limits.max_member_bytes)} "
                "per-file limit (zip bomb?)")
        if count > limits.ratio_floor_bytes and count > limits.max_ratio * max(info.compress_size, 1):
            raise MemberReadError(
                f"member unpacks more than {limits.max_ratio:g} times its compressed size "
                "(zip bomb?)")
        budget.add(len(chunk), label)
        sink(chunk)


class _ZipHandle:
    """An open archive; one on disk is reopened if read after the iterator ended."""

    def __init__(self, zf: zipfile.ZipFile, source: str | IO[bytes]) -> None:
        self.zf = zf
        self.source = source

    def get(self) -> zipfile.ZipFile:
        if self.zf.fp is None:
            if not isinstance(self.source, str) and self.source.closed:
                raise MemberReadError("member of a nested archive read after the source moved past "
                                      "it (call read() before advancing the iterator)")
            self.zf = zipfile.ZipFile(self.source)
        return self.zf


def _read_member(handle: _ZipHandle, info: zipfile.ZipInfo, pwd: bytes | None,
                 limits: ArchiveLimits, budget: _Budget, label: str) -> bytes:
    parts: list[bytes] = []
    try:
        with handle.get().open(info, pwd=pwd) as fh:
            _copy_capped(fh, parts.append, info, limits, budget, label)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one clear reason
        raise MemberReadError(_describe_read_error(exc)) from exc
    return b"".join(parts)


def _declared_problem(info: zipfile.ZipInfo, limits: ArchiveLimits, budget: _Budget) -> str | None:
    size, packed = info.file_size, max(info.compress_size, 1)
    if size > limits.max_member_bytes:
        return (f"member declares {human_bytes(size)}, more than the "
                f"{human_bytes(limits.max_member_bytes)} per-file limit (zip bomb?)")
    if size > limits.ratio_floor_bytes and size > limits.max_ratio * packed:
        return (f"member declares a compression ratio of {size / packed:.0f}:1, more than "
                f"{limits.max_ratio:g}:1 (zip bomb?)")
    if budget.used + size > limits.max_total_bytes:
        return (f"the archive unpacks to more than the {human_bytes(limits.max_total_bytes)} "
                "total limit (zip bomb?)")
    return None


def _skip_reason(name: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> str | None:
    norm = name.replace("\\", "/")
    *dirs, base = norm.split("/")
    if any(names.skip_reason_for_dir(d) == names.MACOS for d in dirs) or base.startswith("._"):
        return names.MACOS
    if stat.S_ISLNK(info.external_attr >> 16):
        return "symbolic link in archive (not followed)"
    if names.is_dicomdir_name(base):
        return names.INDEX_ARCHIVE
    reason = names.skip_reason_for_file(base) or names.folder_context(dirs)
    if reason is None:
        return None
    if not info.flag_bits & 0x1 and reason != names.SYSTEM:
        try:  # hand on DICOM that merely has an odd name
            with zf.open(info) as fh:
                if names.has_dicm_marker(fh.read(132)):
                    return None
        except Exception:  # noqa: BLE001 - the skip reason stands
            pass
    return reason


def _fast_head(zf: zipfile.ZipFile, info: zipfile.ZipInfo, n: int) -> bytes | None:
    """First ``n`` bytes of an unencrypted stored/deflated member, read cheaply.

    Inflates only the start of the member instead of opening a full stream
    (which decompresses a whole first block). ``None`` when not applicable.
    """
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    fp = zf.fp
    if fp is None:
        return None
    try:
        fp.seek(info.header_offset)
        header = fp.read(30)
        if len(header) < 30 or header[:4] != b"PK\x03\x04":
            return None
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        fp.seek(info.header_offset + 30 + name_len + extra_len)
        raw = fp.read(min(info.compress_size, 2048))
        if info.compress_type == zipfile.ZIP_STORED:
            return raw[:n]
        return zlib.decompressobj(-15).decompress(raw, n)
    except (OSError, ValueError, struct.error, zlib.error):
        return None


def _looks_like_zip(zf: zipfile.ZipFile, info: zipfile.ZipInfo, pwd: bytes | None) -> bool:
    if names.is_zip_name(info.filename):
        return True
    if info.file_size < 22:
        return False
    head = _fast_head(zf, info, 4)
    if head is not None:
        return head in ZIP_MAGIC
    try:
        with zf.open(info, pwd=pwd) as fh:
            return fh.read(4) in ZIP_MAGIC
    except Exception:  # noqa: BLE001 - the member read reports the problem later
        return False


def _open_zip(source: str | IO[bytes], label: str, limits: ArchiveLimits) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(source)
    except zipfile.BadZipFile as exc:
        raise _CannotOpen(f"not a ZIP archive, or damaged beyond reading ({exc})") from exc
    except NotImplementedError as exc:
        raise _CannotOpen(f"unsupported ZIP feature ({exc})") from exc
    except Exception as exc:  # noqa: BLE001 - damaged headers raise many kinds of errors
        raise _CannotOpen(f"cannot open archive: {type(exc).__name__}: {exc}") from exc
    if len(zf.infolist()) > limits.max_members:
        count = len(zf.infolist())
        zf.close()
        raise MemberReadError(f"archive lists {count} entries, more than the limit of "
                              f"{limits.max_members} (zip bomb?)")
    return zf


def iter_zip(
    source: str | IO[bytes],
    label: str,
    *,
    password: str | None = None,
    limits: ArchiveLimits | None = None,
    origin: str = "zip",
    depth: int = 1,
    budget: _Budget | None = None,
) -> Iterator[SourceEvent]:
    """Yield the members of a ZIP archive (and of ZIPs inside it).

    Parameters
    ----------
    source
        Path of the archive, or a seekable binary file holding it.
    label
        How the archive is shown; members are ``label!member/name``.
    password
        Password for ZipCrypto-encrypted members (AES is not supported).
    limits
        Caps against zip bombs; defaults to :class:`ArchiveLimits`.
    origin
        :attr:`SourceItem.origin` of the members (``"zip"`` or ``"link"``).
    depth
        Nesting level of this archive (1 for the outermost).
    budget
        Shared decompressed-bytes counter (internal, for nested archives).

    Yields
    ------
    SourceItem, SourceProblem
        Members with a ``read()`` callable; refused or skipped members with a
        reason. An archive that cannot be opened at all is one rejected
        problem labelled ``label``.
    """
    limits = limits or ArchiveLimits()
    budget = budget or _Budget(limits)
    try:
        zf = _open_zip(source, label, limits)
    except MemberReadError as exc:
        if depth == 1 and isinstance(source, str) and isinstance(exc, _CannotOpen):
            from .zip_recover import salvage_truncated  # local: rare path

            salvaged = salvage_truncated(source, label, password=password, limits=limits, origin=origin)
            if salvaged is not None:
                yield from salvaged
                return
        yield SourceProblem(label, str(exc))
        return
    pwd = password.encode("utf-8") if password else None
    handle = _ZipHandle(zf, source)
    with zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            name = info.filename
            mlabel = f"{label}!{name}"
            if unsafe_member_name(name):
                yield SourceProblem(mlabel, f"unsafe path in archive (leaves the archive's folder): {name}")
                continue
            encrypted = bool(info.flag_bits & 0x1)
            reason = _skip_reason(name, zf, info)
            if reason:
                yield SourceProblem(mlabel, reason, kind="skipped")
                continue
            unsupported = names.unsupported_archive_reason(name.replace("\\", "/").rsplit("/", 1)[-1])
            if unsupported:
                yield SourceProblem(mlabel, unsupported)
                continue
            if encrypted and pwd is None:
                yield SourceProblem(mlabel, ENCRYPTED_NO_PASSWORD)
                continue
            if encrypted and info.compress_type == AES_METHOD:
                yield SourceProblem(mlabel, "AES-encrypted member: not supported (only ZipCrypto "
                                            "passwords can be read); unpack it with 7-Zip first")
                continue
            problem = _declared_problem(info, limits, budget)
            if problem:
                yield SourceProblem(mlabel, problem)
                continue
            if _looks_like_zip(zf, info, pwd):
                yield from _iter_nested(zf, info, pwd, mlabel, limits, origin, depth, budget)
                continue
            if names.is_gzip_name(name):
                from .gzip_source import gunzip_capped  # local: avoids an import cycle

                data_reader = partial(_read_member, handle, info, pwd, limits, budget, mlabel)
                yield SourceItem(label=mlabel, read=lambda r=data_reader: gunzip_capped(r(), limits),
                                 size=None, origin=origin)
                continue
            reader = partial(_read_member, handle, info, pwd, limits, budget, mlabel)
            yield SourceItem(label=mlabel, read=reader, size=info.file_size, origin=origin)


def _iter_nested(zf: zipfile.ZipFile, info: zipfile.ZipInfo, pwd: bytes | None, label: str,
                 limits: ArchiveLimits, origin: str, depth: int, budget: _Budget) -> Iterator[SourceEvent]:
    if depth >= limits.max_nesting:
        yield SourceProblem(label, f"archives nested more than {limits.max_nesting} levels deep (zip bomb?)")
        return
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY, prefix="dosetrail-nested-")
    try:
        try:
            with zf.open(info, pwd=pwd) as fh:
                _copy_capped(fh, spool.write, info, limits, budget, label)
        except Exception as exc:  # noqa: BLE001 - one clear reason for the nested archive
            yield SourceProblem(label, _describe_read_error(exc))
            return
        spool.seek(0)
        yield from iter_zip(spool, label, password=None if pwd is None else pwd.decode("utf-8"),
                            limits=limits, origin=origin, depth=depth + 1, budget=budget)
    finally:
        spool.close()


def is_zip_file(path: str) -> bool:
    """Whether a file starts with the ZIP magic bytes.

    Parameters
    ----------
    path
        A file on disk.

    Returns
    -------
    bool
        ``True`` for a ZIP local header or an empty archive's end record.
    """
    try:
        with open(path, "rb") as fh:
            return fh.read(4) in ZIP_MAGIC
    except OSError:
        return False


def archive_label(path: str) -> str:
    """The label of an archive on disk (its absolute path)."""
    return os.path.abspath(path)
