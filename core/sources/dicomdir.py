"""DICOMDIR media source: files the media index lists, then everything else.

Patient CDs and USB sticks carry a DICOMDIR (the media index). Its file IDs
are upper-case ISO 9660 names, while the disk may show them in another case
(or with ``;1`` version suffixes), so every ID is resolved case-insensitively
against the real folder listing. The record tree is read with pydicom's
``FileSet``, and every directory record is read as well, whatever tree its
lower-level offsets build, so broken offset chains lose nothing.
A DICOMDIR that cannot be read, or lists files that are not there, falls back
to a folder scan; files on the medium that the index does not list are
yielded too. Each file is yielded exactly once.
"""
from __future__ import annotations

import os
import warnings
from typing import Iterator

from . import skip_rules
from .base import SourceEvent, SourceItem, SourceProblem, SourceProgress
from .folder import ArchiveHandler, iter_folder

_MAX_LISTED_MISSING = 3


def find_dicomdir(folder: str) -> str | None:
    """The DICOMDIR file at the root of ``folder`` (any case), or ``None``.

    Parameters
    ----------
    folder
        A folder, typically a medium's mount point.

    Returns
    -------
    str or None
        The DICOMDIR's path as spelled on disk.
    """
    try:
        with os.scandir(folder) as it:
            for entry in sorted(it, key=lambda e: e.name):
                if skip_rules.is_dicomdir_name(entry.name) and entry.is_file():
                    return entry.path
    except OSError:
        return None
    return None


def read_file_ids(dicomdir_path: str) -> list[tuple[str, ...]]:
    """Every Referenced File ID in a DICOMDIR (see :func:`read_index`)."""
    return read_index(dicomdir_path)[0]


def read_index(dicomdir_path: str) -> tuple[list[tuple[str, ...]], str | None]:
    """Every Referenced File ID in a DICOMDIR, in index order, without repeats.

    Parameters
    ----------
    dicomdir_path
        Path of the DICOMDIR file.

    Returns
    -------
    (list of tuple of str, str or None)
        Each file ID as its path components (e.g. ``("PT0", "ST0", "IM1")``),
        and what is wrong with the index when it is damaged but readable
        (cut short, a record tree pydicom's ``FileSet`` cannot follow), or None.

    Raises
    ------
    ValueError
        When the file is not a readable DICOMDIR (no directory records).
    """
    import pydicom  # imported here: folder-only imports stay light

    with warnings.catch_warnings(record=True) as caught:  # "end of file reached before delimiter"...
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", ResourceWarning)  # an earlier FileSet's staging folder
        ds = pydicom.dcmread(dicomdir_path)
        records = ds.get("DirectoryRecordSequence")
    damage = f"damaged ({caught[0].message})" if caught else None
    if records is None:
        raise ValueError("no directory records (not a DICOMDIR)")
    seen: set[tuple[str, ...]] = set()
    ids: list[tuple[str, ...]] = []

    def add(value) -> None:
        raw = [value] if isinstance(value, str) else list(value)
        parts = tuple(p.strip() for item in raw for p in str(item).replace("\\", "/").split("/")
                      if p.strip())
        if parts and parts not in seen:
            seen.add(parts)
            ids.append(parts)

    # pydicom's FileSet walks the record tree (patient, study, series, image) the way the
    # standard means it; it refuses a broken offset chain, so every record is read as well
    try:
        from pydicom.fileset import FileSet

        with warnings.catch_warnings():
            warnings.simplefilter("error")  # FileSet only warns about some damage: treat it as damage
            warnings.simplefilter("ignore", ResourceWarning)  # its staging folder, cleaned up when freed
            fs = FileSet(ds)
            root = os.path.abspath(fs.path) if fs.path else os.path.dirname(os.path.abspath(dicomdir_path))
            # .path is the referenced file (.FileID is the ID FileSet would give it when writing)
            tree = [os.path.relpath(instance.path, root).split(os.sep) for instance in fs]
    except Exception as exc:  # noqa: BLE001 - a damaged tree: the flat walk below still finds the files
        tree = []
        if not isinstance(exc, Warning):  # a warning (an implicit VR index, a missing file) is no damage
            damage = damage or (f"damaged: its record tree cannot be followed "
                                f"({type(exc).__name__}: {str(exc)[:120]})")
    for parts in tree:
        add(parts)
    for record in records:
        value = record.get("ReferencedFileID")
        if value is not None:
            add(value)
    return ids, damage


def _norm(name: str) -> str:
    """ISO 9660 names: case-insensitive, ``;1`` version and trailing dot dropped."""
    return name.split(";")[0].rstrip(".").upper()


class CaseInsensitiveResolver:
    """Resolves DICOMDIR file IDs against the real file system, ignoring case.

    Parameters
    ----------
    root
        The medium's root folder (where the DICOMDIR is).
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self._listings: dict[str, dict[str, str]] = {}

    def _listing(self, folder: str) -> dict[str, str]:
        listing = self._listings.get(folder)
        if listing is None:
            listing = {}
            try:
                with os.scandir(folder) as it:
                    for name in sorted(e.name for e in it):
                        listing.setdefault(_norm(name), name)
                        listing.setdefault(name, name)  # exact spelling wins
            except OSError:
                pass
            self._listings[folder] = listing
        return listing

    def resolve(self, parts: tuple[str, ...]) -> str | None:
        """The on-disk path for a file ID, or ``None`` when it is not there.

        Parameters
        ----------
        parts
            The file ID's components.

        Returns
        -------
        str or None
            An existing path below ``root`` (``..`` never matches).
        """
        current = self.root
        for part in parts:
            listing = self._listing(current)
            real = listing.get(part) or listing.get(_norm(part))
            if real is None:
                return None
            current = os.path.join(current, real)
        return current


def iter_dicomdir(root: str, *, on_archive: ArchiveHandler | None = None) -> Iterator[SourceEvent]:
    """Yield the files of a DICOMDIR medium, each once.

    Parameters
    ----------
    root
        The folder holding the DICOMDIR (a medium's mount point or a copy).
    on_archive
        Passed to the folder scan for ``.zip``/``.gz`` files found on it.

    Yields
    ------
    SourceItem, SourceProblem, SourceProgress
        The DICOMDIR itself as a skipped index; the listed files that exist
        (in index order); a progress note about an unreadable index or stale
        references; then every other file from a folder scan. Items have
        ``origin="dicomdir"``.
    """
    root = os.path.abspath(root)
    dicomdir = find_dicomdir(root)
    done: set[str] = set()
    if dicomdir is not None:
        done.add(os.path.normcase(dicomdir))
        reason = skip_rules.INDEX_READ
        try:
            ids, damage = read_index(dicomdir)
            if damage:
                reason = (f"{skip_rules.INDEX_READ[:-1]}; the index is {damage}; every record was read "
                          "and the folder scanned)")
        except Exception as exc:  # noqa: BLE001 - any parse failure means "scan instead"
            ids = []
            problem = f"could not be read ({type(exc).__name__}: {str(exc)[:160]})"
            reason = f"DICOMDIR (media index, {problem}; the folder was scanned instead)"
            yield SourceProgress(f"DICOMDIR {problem}; scanning the folder instead")
        resolver = CaseInsensitiveResolver(root)
        missing: list[str] = []
        for parts in ids:
            path = resolver.resolve(parts)
            if path is None or not os.path.isfile(path):
                missing.append("/".join(parts))
                continue
            key = os.path.normcase(path)
            if key in done:
                continue
            done.add(key)
            yield SourceItem(label=path, local_path=path, size=os.path.getsize(path),
                             origin="dicomdir")
        if missing:
            shown = ", ".join(missing[:_MAX_LISTED_MISSING])
            extra = len(missing) - _MAX_LISTED_MISSING
            more = f" and {extra} more" if extra > 0 else ""
            stale = f"lists {len(missing)} file(s) that are not on the medium (stale index): {shown}{more}"
            reason = f"{skip_rules.INDEX_READ[:-1]}; it {stale}; the folder was scanned for the rest)"
            yield SourceProgress(f"DICOMDIR {stale}; scanning the folder for the rest")
        # the index is accounted for as skipped, with what was wrong with it (the import report keeps it)
        yield SourceProblem(dicomdir, reason, kind="skipped")
    yield from iter_folder(root, origin="dicomdir", exclude=done, on_archive=on_archive)
