"""Folder source: every regular file under a folder, recursively.

DICOM-ness is left to the importer; only files that are clearly something
else (viewer programs, autorun files, IHE PDI web pages, documents) are
skipped by name, and even those are handed on when they carry the DICOM
``DICM`` marker. Nothing is ever executed. Symbolic links to folders are
followed once (loops end), and the order is deterministic (sorted by name).
"""
from __future__ import annotations

import os
import stat
from typing import Callable, Iterator

from . import skip_rules
from .base import SourceEvent, SourceItem, SourceProblem

#: called for archives found in a folder: ``(path) -> events``
ArchiveHandler = Callable[[str], Iterator[SourceEvent]]


def _peek(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(132)
    except OSError:
        return b""


def _scandir_sorted(path: str) -> list[os.DirEntry]:
    with os.scandir(path) as it:
        return sorted(it, key=lambda e: (e.name.lower(), e.name))


def _is_archive(name: str) -> bool:
    return (skip_rules.is_zip_name(name) or skip_rules.is_gzip_name(name)
            or skip_rules.unsupported_archive_reason(name) is not None)


def classify_file(path: str, name: str, parts: tuple[str, ...]) -> str | None:
    """Why a file found in a folder is skipped, or ``None`` to hand it on.

    Parameters
    ----------
    path
        The file's path (read only to look for the ``DICM`` marker when the
        name says "skip").
    name
        The file's base name.
    parts
        Folder names from the source root down to the file's folder.

    Returns
    -------
    str or None
        The skip reason, or ``None``.
    """
    reason = skip_rules.skip_reason_for_file(name) or skip_rules.folder_context(parts)
    if reason is None:
        return None
    if reason not in (skip_rules.MACOS, skip_rules.SYSTEM) and skip_rules.has_dicm_marker(_peek(path)):
        return None
    return reason


def iter_folder(
    root: str,
    *,
    origin: str = "folder",
    exclude: set[str] | None = None,
    on_archive: ArchiveHandler | None = None,
) -> Iterator[SourceEvent]:
    """Yield every file under ``root`` (recursively, sorted) as a source event.

    Parameters
    ----------
    root
        The folder to walk.
    origin
        The :attr:`SourceItem.origin` of the items (``"folder"`` or
        ``"dicomdir"``).
    exclude
        Normalised paths (``os.path.normcase(os.path.abspath(p))``) already
        handed on by the caller; they are not yielded again.
    on_archive
        Called for ``.zip``/``.gz`` files; its events are yielded instead of
        the archive file. ``None`` hands archives on as ordinary files.

    Yields
    ------
    SourceItem, SourceProblem
        Files (``local_path`` set) and files or folders skipped or refused,
        with a reason.
    """
    root = os.path.abspath(root)
    exclude = exclude or set()
    visited: set[tuple[int, int]] = set()
    try:
        st = os.stat(root)
        visited.add((st.st_dev, st.st_ino))
        entries = _scandir_sorted(root)
    except OSError as exc:
        yield SourceProblem(root, f"cannot read folder: {exc.strerror or exc}")
        return
    stack: list[tuple[Iterator[os.DirEntry], tuple[str, ...]]] = [(iter(entries), ())]
    while stack:
        it, parts = stack[-1]
        entry = next(it, None)
        if entry is None:
            stack.pop()
            continue
        path = entry.path
        is_link = False
        try:
            is_link = entry.is_symlink()
            st = entry.stat()  # follows links
        except OSError as exc:
            if is_link:
                yield SourceProblem(path, "broken symbolic link (target missing)")
            else:
                yield SourceProblem(path, f"cannot read: {exc.strerror or exc}")
            continue
        if stat.S_ISDIR(st.st_mode):
            reason = skip_rules.skip_reason_for_dir(entry.name)
            key = (st.st_dev, st.st_ino)
            if reason:
                yield SourceProblem(path + os.sep, reason, kind="skipped")
            elif key in visited:
                yield SourceProblem(path + os.sep, "folder already scanned (symbolic link loop or repeat)",
                                    kind="skipped")
            else:
                visited.add(key)
                try:
                    sub = _scandir_sorted(path)
                except OSError as exc:
                    yield SourceProblem(path + os.sep, f"cannot read folder: {exc.strerror or exc}")
                    continue
                stack.append((iter(sub), parts + (entry.name,)))
            continue
        if not stat.S_ISREG(st.st_mode):
            yield SourceProblem(path, "not a regular file (device, pipe or socket)", kind="skipped")
            continue
        if os.path.normcase(path) in exclude:
            continue
        if skip_rules.is_dicomdir_name(entry.name):
            yield SourceProblem(path, skip_rules.INDEX_UNREAD, kind="skipped")
            continue
        reason = classify_file(path, entry.name, parts)
        if reason:
            yield SourceProblem(path, reason, kind="skipped")
        elif on_archive is not None and _is_archive(entry.name):
            yield from on_archive(path)
        else:
            yield SourceItem(label=path, local_path=path, size=st.st_size, origin=origin)
