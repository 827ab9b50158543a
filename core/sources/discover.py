"""The one entry point of import sources: what a path or link holds.

:func:`iter_source` decides what kind of source a path is (link, ZIP, gzip,
DICOMDIR medium, folder or single file) and yields its events.
"""
from __future__ import annotations

import os
import threading
from typing import Iterator

from . import skip_rules
from .archive import archive_label, is_zip_file, iter_zip
from .base import SourceError, SourceEvent, SourceItem, SourceProblem
from .dicomdir import find_dicomdir, iter_dicomdir
from .folder import ArchiveHandler, iter_folder
from .gzip_source import is_gzip_file, iter_gzip
from .limits import ArchiveLimits
from .link import is_link, iter_link
from .media import RemovableVolume, list_removable_media

__all__ = ["ArchiveLimits", "RemovableVolume", "iter_source", "list_removable_media", "source_kind"]

LINK_MODE_REFUSED = ("--link keeps files where they are; it cannot be used for archives or links "
                     "(import them without --link)")
ARCHIVE_IN_FOLDER_LINK = ("archive inside the folder: --link keeps files where they are and cannot "
                          "keep archive members; import it without --link")


def _has_dicm(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return skip_rules.has_dicm_marker(fh.read(132))
    except OSError:
        return False


def source_kind(path: str) -> str:
    """What kind of source ``path`` is.

    Parameters
    ----------
    path
        A file system path or an ``http(s)://`` link.

    Returns
    -------
    str
        ``"link"``, ``"zip"``, ``"gzip"``, ``"dicomdir"``, ``"folder"``,
        ``"unsupported"`` (tar, RAR, 7-Zip), ``"file"`` or ``"missing"``.
        Files are judged by their magic bytes first (a DICOM file is a
        ``"file"`` whatever its name), then by name.
    """
    if is_link(path):
        return "link"
    if os.path.isdir(path):
        return "dicomdir" if find_dicomdir(path) else "folder"
    if not os.path.isfile(path):
        return "missing"
    name = os.path.basename(path)
    if skip_rules.is_dicomdir_name(name):
        return "dicomdir"
    if _has_dicm(path):
        return "file"
    if is_zip_file(path):
        return "zip"
    if skip_rules.unsupported_archive_reason(name):
        return "unsupported"
    if is_gzip_file(path):
        return "gzip"
    if skip_rules.is_zip_name(name):
        return "zip"  # not a ZIP inside: the ZIP source says so, per file
    if skip_rules.is_gzip_name(name):
        return "gzip"
    return "file"


def _archive_handler(password: str | None, limits: ArchiveLimits, link_mode: bool) -> ArchiveHandler:
    def handle(path: str) -> Iterator[SourceEvent]:
        kind = source_kind(path)
        if kind == "file":
            yield SourceItem(label=path, local_path=path, size=os.path.getsize(path), origin="folder")
        elif kind == "unsupported":
            yield SourceProblem(path, skip_rules.unsupported_archive_reason(os.path.basename(path)) or "")
        elif link_mode:
            yield SourceProblem(path, ARCHIVE_IN_FOLDER_LINK)
        elif kind == "zip":
            yield from iter_zip(path, archive_label(path), password=password, limits=limits)
        else:
            yield from iter_gzip(path, archive_label(path), limits=limits)

    return handle


def iter_source(
    path: str,
    *,
    password: str | None = None,
    limits: ArchiveLimits | None = None,
    link_mode: bool = False,
    cancel: threading.Event | None = None,
) -> Iterator[SourceEvent]:
    """Yield the candidate files of one import source.

    Parameters
    ----------
    path
        An ``http(s)://`` link to a ZIP; a ``.zip`` (or any file whose magic
        says ZIP); a ``.gz`` file; a folder (a DICOMDIR medium when a
        DICOMDIR is at its root); a DICOMDIR file (its folder is read as the
        medium); or any single file.
    password
        Password for encrypted (ZipCrypto) archive members.
    limits
        Caps against zip bombs; :class:`ArchiveLimits` defaults. Links are
        also capped at ``limits.max_total_bytes`` downloaded.
    link_mode
        ``--link``: files are kept where they are, so archives and links
        are refused.
    cancel
        The import's cancel event: a download in progress stops at once
        when it is set (other sources are stopped by the caller between files).

    Yields
    ------
    SourceItem, SourceProblem, SourceProgress
        See :mod:`dosetrail.core.sources.base`. ``SourceItem.read()`` must be
        called before the iterator is advanced further.

    Raises
    ------
    SourceError
        For a missing path, an HTTP failure, a download that is not a ZIP,
        an archive or link with ``link_mode``, and so on, with a clear message.
    """
    limits = limits or ArchiveLimits()
    kind = source_kind(path)
    if kind == "missing":
        raise SourceError(f"no such file or folder: {path}")
    if link_mode and kind in ("link", "zip", "gzip"):
        raise SourceError(LINK_MODE_REFUSED)
    if kind == "link":
        yield from iter_link(path, password=password, limits=limits, max_bytes=limits.max_total_bytes,
                             cancel=cancel)
        return
    full = os.path.abspath(path)
    handler = _archive_handler(password, limits, link_mode)
    if kind == "zip":
        yield from iter_zip(full, archive_label(full), password=password, limits=limits)
    elif kind == "gzip":
        yield from iter_gzip(full, full, limits=limits)
    elif kind == "unsupported":
        yield SourceProblem(full, skip_rules.unsupported_archive_reason(os.path.basename(full)) or "")
    elif kind == "dicomdir":
        yield from iter_dicomdir(full if os.path.isdir(full) else os.path.dirname(full), on_archive=handler)
    elif kind == "folder":
        yield from iter_folder(full, on_archive=handler)
    else:
        try:
            size = os.path.getsize(full)
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from None
        yield SourceItem(label=full, local_path=full, size=size, origin="folder")
