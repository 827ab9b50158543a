"""Faults of the library itself (not of an imported file): its folder, its disk, its database.

The command line turns :class:`LibraryError` into exit status 3 with its
message as the one line on standard error; the window shows the message.
"""
from __future__ import annotations

import errno
import os

# errno values that mean "the disk is full" and "this place cannot be written"
FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG}
NOT_WRITABLE = {errno.EROFS, errno.EACCES, errno.EPERM}


class LibraryError(Exception):
    """The library cannot do its work; ``str()`` is one line that says what and where.

    Parameters
    ----------
    message : str
        One line for the user (picklable: the only argument, so it crosses
        from an import worker process to the main process unchanged).
    """


def is_write_fault(exc: BaseException) -> bool:
    """True when ``exc`` is a disk full or a read-only/unwritable place (not a bad file)."""
    return isinstance(exc, OSError) and exc.errno in FULL | NOT_WRITABLE


def write_fault(exc: OSError, what: str, where: str | os.PathLike) -> LibraryError:
    """The :class:`LibraryError` for a failed write.

    Parameters
    ----------
    exc : OSError
        The failed write (``ENOSPC``, ``EDQUOT``, ``EROFS``, ``EACCES``...).
    what : str
        What was being written, e.g. ``"the file store"``.
    where : str or os.PathLike
        The folder or file it is written to.

    Returns
    -------
    LibraryError
        For example ``"the file store is full (No space left on device):
        /home/ann/.local/share/DoseTrail/store"``.
    """
    reason = exc.strerror or str(exc)
    if exc.errno in FULL:
        return LibraryError(f"{what} is full ({reason}): {os.fspath(where)}; free some space and import again")
    return LibraryError(f"{what} is not writable ({reason}): {os.fspath(where)}")
