"""The managed file store: one file per DICOM instance, named by its UID.

Pure functions with no database access, safe to call from several worker
processes at once: every write goes to a private temporary file in the
destination folder and is moved into place with :func:`os.replace`, which is
atomic, so a reader never sees half a file and two workers writing the same
instance simply leave one complete copy.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path, PureWindowsPath
from typing import BinaryIO, Callable

from ..config import STORE_ENV, StoreLocation
from ..model.library_errors import LibraryError
from ..private_files import private_dir


_made_dirs: set[Path] = set()  # folders this process already created


def store_path_for(sop_instance_uid: str) -> str:
    """Return the store-relative path for an instance.

    Parameters
    ----------
    sop_instance_uid : str
        The instance's SOP Instance UID (surrounding whitespace and the
        DICOM padding NUL are ignored).

    Returns
    -------
    str
        ``"ab/<sha1>.dcm"`` where ``<sha1>`` is the hex SHA-1 of the UID
        and ``ab`` its first byte (always ``/`` separated, whatever the
        platform). One level of 256 folders: creating a folder costs more
        than writing a small file, and a million instances still make only
        about 4,000 files per folder.

    Raises
    ------
    ValueError
        If the UID is empty.
    """
    uid = sop_instance_uid.strip().strip("\x00").strip()
    if not uid:
        raise ValueError("empty SOP Instance UID")
    digest = hashlib.sha1(uid.encode("ascii", "backslashreplace")).hexdigest()
    return f"{digest[:2]}/{digest}.dcm"


def write_atomic(root: Path, rel: str, data: bytes,
                 keep_existing: Callable[[Path], bool] | None = None) -> None:
    """Write ``data`` to ``root / rel`` atomically.

    Parameters
    ----------
    root : pathlib.Path
        The store's root folder (created when missing).
    rel : str
        Store-relative path, e.g. from :func:`store_path_for`.
    data : bytes
        The file's content.
    keep_existing : callable or None
        Asked with the destination's path when a file of another size is
        already there; True keeps that file (an intact copy of the instance
        imported before: another file with the same SOP Instance UID must
        not replace what the library describes). Without it, or when it
        says False (an empty or broken copy), the file is rewritten.

    Notes
    -----
    When the destination already exists with the same size the write is
    skipped (the same instance imported again). Otherwise (nothing there, or
    a copy that ``keep_existing`` does not keep) the bytes go to a
    temporary file in the destination folder and the file is renamed over
    the destination with :func:`os.replace`, so a killed import never leaves
    half a file. There is no fsync per file (it cost 8 ms a file, more than
    parsing): after a power loss a file may be empty, and importing the
    source again rewrites it, since its size no longer matches.
    """
    dest = resolve(Path(root), rel)
    if _keeps_stored_copy(dest, len(data), keep_existing):
        return
    _replace_atomically(dest, lambda fh: fh.write(data))


def _keeps_stored_copy(dest: Path, length: int, keep_existing: Callable[[Path], bool] | None) -> bool:
    """True when the copy at ``dest`` stays (same size, or one ``keep_existing`` keeps); else the
    destination folder is made ready for a new copy."""
    try:
        size = dest.stat().st_size
    except FileNotFoundError:
        size = None
    if size == length:
        return True
    if size and keep_existing is not None and keep_existing(dest):
        return True
    if dest.parent not in _made_dirs:
        dest.parent.mkdir(parents=True, exist_ok=True)
        _made_dirs.add(dest.parent)
    return False


def _replace_atomically(dest: Path, write: Callable[[BinaryIO], object]) -> None:
    """``write`` the new content into a temporary file beside ``dest``, then rename it over
    ``dest`` (a killed import never leaves half a file); the temporary file goes on failure."""
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


COPY_CHUNK = 1 << 20  # bytes copied at a time by :func:`copy_atomic`


def copy_atomic(root: Path, rel: str, src: str | Path,
                keep_existing: Callable[[Path], bool] | None = None) -> str | None:
    """Copy the file ``src`` to ``root / rel`` atomically, in chunks.

    The streaming twin of :func:`write_atomic` (same rules for a file already
    there): at most :data:`COPY_CHUNK` bytes are held at a time whatever the
    file's size, and the SHA-256 of the bytes is computed while they are
    copied (no second read).

    Parameters
    ----------
    root : pathlib.Path
        The store's root folder (created when missing).
    rel : str
        Store-relative path, e.g. from :func:`store_path_for`.
    src : str or pathlib.Path
        The file to copy.
    keep_existing : callable or None
        As for :func:`write_atomic`.

    Returns
    -------
    str or None
        The hex SHA-256 of the copied bytes, or ``None`` when the copy already
        in the store was kept (nothing written).
    """
    dest = resolve(Path(root), rel)
    with open(src, "rb") as fin:
        if _keeps_stored_copy(dest, os.fstat(fin.fileno()).st_size, keep_existing):
            return None
        digest = hashlib.sha256()

        def copy(fh: BinaryIO) -> None:
            while chunk := fin.read(COPY_CHUNK):
                digest.update(chunk)
                fh.write(chunk)

        _replace_atomically(dest, copy)
    return digest.hexdigest()


def resolve(root: Path, rel_or_abs: str | Path) -> Path:
    """Return the file an instance path refers to.

    Parameters
    ----------
    root : pathlib.Path
        The store's root folder.
    rel_or_abs : str or pathlib.Path
        A store-relative path (as in ``Instance.path`` for copied files) or an
        absolute path (linked files, returned unchanged).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        If a relative path would leave the store (``..``) or is empty.
    """
    path = Path(rel_or_abs)
    if path.is_absolute():
        return path
    if not str(rel_or_abs).strip() or ".." in path.parts:
        raise ValueError(f"not a path inside the store: {rel_or_abs!r}")
    return Path(root) / path


_STORED_NAME = re.compile(r"[0-9a-f]{2}/[0-9a-f]{40}\.dcm")


def store_relative(path: str) -> str | None:
    """The store-relative path inside an absolute path into some file store, or None.

    Libraries may hold absolute paths to copies in a store (written by older
    versions, or by hand): their last two parts (``ab/<sha1>.dcm``, see
    :func:`store_path_for`) name the copy in whatever place the store is now.

    Parameters
    ----------
    path : str
        An absolute path, POSIX or Windows style.

    Returns
    -------
    str or None
        ``"ab/<sha1>.dcm"``, or None when ``path`` does not end like a stored copy.
    """
    parts = path.replace("\\", "/").rsplit("/", 2)
    if len(parts) < 3:
        return None
    tail = f"{parts[1]}/{parts[2]}"
    return tail if _STORED_NAME.fullmatch(tail) else None


def instance_file(root: Path, path: str, linked: bool) -> str:
    """The file an instance row refers to, on this machine.

    Parameters
    ----------
    root : pathlib.Path
        This machine's store folder.
    path : str
        ``Instance.path``: store-relative for a copy, absolute for a linked file.
    linked : bool
        ``Instance.linked``.

    Returns
    -------
    str
        A linked file's own path; a copy's path under ``root``, also when the row holds an
        absolute path into the place the store had before (:func:`store_relative`).
    """
    if linked:
        return path
    if os.path.isabs(path) or PureWindowsPath(path).is_absolute():
        rel = store_relative(path)
        return path if rel is None else os.path.join(root, rel)
    return os.path.join(root, path)


def open_store(where: StoreLocation, holds_copies: Callable[[], bool]) -> Path:
    """Check (or make) the file store's folder before the library uses it.

    Parameters
    ----------
    where : dosetrail.core.config.StoreLocation
        The store's place and what chose it.
    holds_copies : callable
        True when the library records copies in the store (asked only when the folder is
        missing or empty).

    Returns
    -------
    pathlib.Path
        The store's folder.

    Raises
    ------
    dosetrail.core.model.library_errors.LibraryError
        One line: the store cannot be created; a chosen store (setting or ``DOSETRAIL_STORE``) is
        not there, not a folder, not readable, or empty while the library has copies in it (an
        unmounted shared folder, a moved store): never silently replaced by an empty folder.
    """
    path = where.path
    if not where.chosen:  # HOME/store: made when missing, as always (each desktop of a shared database may
        try:              # keep its own; only a chosen place is where a shared folder should be mounted)
            return private_dir(path)
        except OSError as exc:
            raise LibraryError(f"the library's store folder {path} cannot be created "
                               f"({exc.strerror or exc})") from None
    how = "DOSETRAIL_STORE" if where.source == STORE_ENV else "the store setting"
    fix = ("mount the shared folder, or set DOSETRAIL_STORE to the store's folder" if where.source == STORE_ENV
           else "mount the shared folder, or point the library at the store with `dosetrail settings --store PATH`")
    if not path.exists():
        if path.parent.is_dir() and not holds_copies():  # a new library's first store: made here
            try:  # made private (0700); an existing chosen folder (maybe shared) keeps its mode
                return private_dir(path, tighten=False)
            except OSError as exc:
                raise LibraryError(f"the file store {path} ({how}) cannot be created ({exc.strerror or exc})") from None
        raise LibraryError(f"the file store {path} ({how}) is not there: {fix}")
    if not path.is_dir():
        raise LibraryError(f"the file store {path} ({how}) is not a folder: {fix}")
    if not os.access(path, os.R_OK | os.X_OK):
        raise LibraryError(f"the file store {path} ({how}) cannot be read: check its permissions")
    if _is_empty(path) and holds_copies():
        raise LibraryError(f"the file store {path} ({how}) is empty but the library has files in it: {fix}")
    return path


def _is_empty(folder: Path) -> bool:
    with os.scandir(folder) as entries:
        return next(entries, None) is None
