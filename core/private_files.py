"""Files and folders only their owner can read: the library holds patient data.

``DOSETRAIL_HOME``, ``store/`` and ``thumbnails/`` are folders of mode 0700;
the SQLite database and its ``-wal``/``-shm`` files, exports and reports are
files of mode 0600, whatever the process umask. On Windows (no POSIX modes)
these calls only create what is missing.
"""
from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _tighten(path: Path) -> None:
    """Remove group and other permissions from ``path`` when this user owns it."""
    if os.name == "nt":
        return
    try:
        st = path.stat()
    except OSError:
        return
    if st.st_uid != os.geteuid() or not st.st_mode & 0o077:
        return
    with contextlib.suppress(OSError):  # a read-only mount: nothing to tighten there
        os.chmod(path, stat.S_IMODE(st.st_mode) & ~0o077)


def private_dir(path: str | os.PathLike, tighten: bool = True) -> Path:
    """Create ``path`` (and missing parents) as a private folder, or tighten it.

    Parameters
    ----------
    path : str or os.PathLike
    tighten : bool
        Whether an existing folder loses its group and other permissions
        (False for a folder the user chose that is not only DoseTrail's).

    Returns
    -------
    pathlib.Path
        The folder (mode 0700 when created; an existing folder of this user
        loses its group and other permissions).

    Raises
    ------
    OSError
        When the folder cannot be created (``NotADirectoryError`` when a
        file is in the way).
    """
    path = Path(path)
    if path.is_dir():
        if tighten:
            _tighten(path)
        return path
    parent = path.parent
    if parent != path and not parent.exists():
        parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:
        if not path.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "a file is in the way, not a folder", str(path)) from None
        return path  # made by another process meanwhile
    if os.name != "nt":
        os.chmod(path, DIR_MODE)  # whatever the umask
    return path


def private_sqlite_file(database: str | os.PathLike) -> None:
    """Make a SQLite database file and its ``-wal``/``-shm`` files private.

    Creates an empty database file of mode 0600 when there is none: SQLite
    then creates its ``-wal`` and ``-shm`` files with the database file's
    mode. Existing files (a library made by an older version) are tightened.

    Parameters
    ----------
    database : str or os.PathLike
        The database file's path.
    """
    path = Path(database)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    except OSError:
        return  # a read-only or missing folder: SQLite reports it in its own words when it opens
    os.close(fd)
    for p in [path] + [path.with_name(path.name + s) for s in SQLITE_SIDE_FILES]:
        _tighten(p)


def write_private(path: str | os.PathLike, data: bytes | str) -> None:
    """Write an export or report readable by its owner only (mode 0600).

    Parameters
    ----------
    path : str or os.PathLike
        The file; an existing one is truncated (and tightened when this user
        owns it). Devices and pipes (``/dev/stdout``) are written as they are.
    data : bytes or str
        Text is written as UTF-8.

    Raises
    ------
    OSError
        As ``open`` does. A regular file this call created is removed when
        the write fails (a disk full leaves no half export behind).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with open_private(path, binary=True) as fh:
        fh.write(raw)


@contextlib.contextmanager
def open_private(path: str | os.PathLike, binary: bool = False):
    """Open an export for streaming, readable by its owner only (mode 0600).

    Parameters
    ----------
    path : str or os.PathLike
        The file; an existing one is truncated (and tightened when this user
        owns it). Devices and pipes are written as they are.
    binary : bool
        A binary file instead of UTF-8 text (text is written with ``newline=""``:
        bytes as given on every platform).

    Yields
    ------
    file object
        Closed on exit; a regular file this call created is removed when the
        block raises (a disk full or a cancel leaves no half export behind).
    """
    path = Path(path)
    existed = path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        st = os.fstat(fd)
        if os.name != "nt" and stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and st.st_mode & 0o077:
            os.fchmod(fd, stat.S_IMODE(st.st_mode) & ~0o077)
        f = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
    except BaseException:
        os.close(fd)
        raise
    try:
        with f:
            yield f
    except BaseException:
        if not existed and path.is_file():
            with contextlib.suppress(OSError):
                path.unlink()
        raise
