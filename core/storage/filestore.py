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
import tempfile
from pathlib import Path


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
        ``"ab/cd/<sha1>.dcm"`` where ``<sha1>`` is the hex SHA-1 of the UID
        and ``ab``/``cd`` are its first two byte pairs (always ``/``
        separated, whatever the platform).

    Raises
    ------
    ValueError
        If the UID is empty.
    """
    uid = sop_instance_uid.strip().strip("\x00").strip()
    if not uid:
        raise ValueError("empty SOP Instance UID")
    digest = hashlib.sha1(uid.encode("ascii", "backslashreplace")).hexdigest()
    return f"{digest[:2]}/{digest[2:4]}/{digest}.dcm"


def write_atomic(root: Path, rel: str, data: bytes) -> None:
    """Write ``data`` to ``root / rel`` atomically.

    Parameters
    ----------
    root : pathlib.Path
        The store's root folder (created when missing).
    rel : str
        Store-relative path, e.g. from :func:`store_path_for`.
    data : bytes
        The file's content.

    Notes
    -----
    When the destination already exists with the same size the write is
    skipped (the same instance imported again). Otherwise the bytes go to a
    temporary file in the destination folder, are flushed to disk, and the
    file is renamed over the destination with :func:`os.replace`.
    """
    dest = resolve(Path(root), rel)
    try:
        if dest.stat().st_size == len(data):
            return
    except FileNotFoundError:
        pass
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


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
