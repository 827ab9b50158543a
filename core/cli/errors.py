"""Every fault of a command becomes an exit status and one line on standard error.

The contract's exit statuses: 0 success, 1 files rejected, 2 bad usage (an
unknown patient, a bad ``--db`` URL, an output path that is a folder), 3 the
command could not do its work (the database unreachable, the library or an
output not writable, a disk full), 130 cancelled. Never a traceback: an
unexpected error is one line too (``DOSETRAIL_DEBUG=1`` shows the traceback).
"""
from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Callable

from ..model.library_errors import FULL, NOT_WRITABLE, LibraryError
from .terminal import JsonTerminalStream, terminal_print

EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 2, 3, 130
_PATH_SHAPE = {errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG, errno.ELOOP}


class UsageError(Exception):
    """Bad usage (exit 2); the message is the line shown."""


def run_command(name: str, command: Callable[[object], int], args, passthrough: tuple = ()) -> int:
    """Run ``command(args)`` and turn any fault into an exit status and one line.

    Parameters
    ----------
    name : str
        The command's name (``"export"``), the prefix of the line.
    command : callable
        Takes the parsed arguments, returns the exit status.
    args : argparse.Namespace
    passthrough : tuple of exception classes
        Raised on unchanged (the caller handles them; a broken pipe, say).

    Returns
    -------
    int
        The command's status, or 2, 3 or 130 with one line on standard error.
    """
    real_stdout = sys.stdout
    if _prints_json(args):
        sys.stdout = JsonTerminalStream(real_stdout)  # type: ignore[assignment]
    try:
        check_output(getattr(args, "output", None),
                     folder=getattr(args, "format", None) in FOLDER_FORMATS)
        code = command(args)
        sys.stdout.flush()  # stdout on a full disk fails here, inside the net
        return code
    except passthrough:
        raise
    except KeyboardInterrupt:
        terminal_print(f"\ndosetrail {name}: cancelled", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the point: no traceback, ever
        if os.environ.get("DOSETRAIL_DEBUG") and not isinstance(exc, (UsageError, LibraryError)):
            raise
        code, line = describe(exc, args)
        terminal_print(f"dosetrail {name}: {line}", file=sys.stderr)
        return code
    finally:
        sys.stdout = real_stdout


def _prints_json(args) -> bool:
    """A JSON document goes to standard output (``--json``, or ``export`` JSON/FHIR without ``-o``)."""
    return bool(getattr(args, "json", False)) or (
        getattr(args, "format", None) in ("json", "fhir", "fhir-ndjson") and not getattr(args, "output", None))


#: export formats whose ``-o`` names a folder (the data lake, FHIR bulk-data files)
FOLDER_FORMATS = ("parquet", "fhir-ndjson")


def check_output(output: str | None, folder: bool = False) -> None:
    """Refuse an ``-o`` that cannot be a file (or, with ``folder``, a folder) before any work is done.

    Raises
    ------
    UsageError
        When ``output`` is an existing folder (a file, with ``folder``) or its parent is a file.
    """
    if not output:
        return
    path = Path(output)
    if folder and path.exists() and not path.is_dir():
        raise UsageError(f"-o {output} is a file; give a folder")
    if path.is_dir() and not folder:
        raise UsageError(f"-o {output} is a folder; give a file name")
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise UsageError(f"-o {output}: {parent} is a file, not a folder")


def describe(exc: BaseException, args) -> tuple[int, str]:
    """The exit status and the one line for ``exc``.

    Parameters
    ----------
    exc : BaseException
    args : argparse.Namespace
        For the ``--db`` URL and the ``-o`` path the message names.

    Returns
    -------
    tuple of (int, str)
    """
    if isinstance(exc, UsageError):
        return EXIT_USAGE, str(exc)
    if isinstance(exc, LibraryError):
        return EXIT_FAILED, str(exc)
    database = _database_fault(exc, getattr(args, "db", None))
    if database is not None:
        return database
    if isinstance(exc, OSError):
        return _os_fault(exc, getattr(args, "output", None))
    if isinstance(exc, MemoryError):
        return EXIT_FAILED, "not enough memory"
    first = (str(exc).strip().splitlines() or [""])[0]
    return EXIT_FAILED, (f"internal error ({type(exc).__name__}: {first[:200]}); "
                         "run again with DOSETRAIL_DEBUG=1 to see the details")


def _os_fault(exc: OSError, output: str | None) -> tuple[int, str]:
    name = exc.filename if exc.filename is not None else output
    # a write without a file name and no -o: the command's output to standard output
    where = f": {os.fsdecode(name)}" if name is not None else ": standard output"
    reason = exc.strerror or str(exc)
    is_output = output is not None and name is not None and _on_the_way(os.fsdecode(name), output)
    if is_output and exc.errno in _PATH_SHAPE:
        return EXIT_USAGE, f"cannot write -o {output} ({reason})"
    if exc.errno in FULL:
        return EXIT_FAILED, f"the disk is full ({reason}){where}"
    if exc.errno in NOT_WRITABLE:
        return EXIT_FAILED, f"not writable ({reason}){where}"
    return EXIT_FAILED, f"{reason}{where}"


def _on_the_way(name: str, output: str) -> bool:
    """True when ``name`` is the ``-o`` file or one of its folders (a failed ``mkdir`` of its parent)."""
    target, failed = Path(os.path.abspath(output)), Path(os.path.abspath(name))
    return failed == target or failed in target.parents


def _database_fault(exc: BaseException, url: str | None) -> tuple[int, str] | None:
    """Faults of the library database (SQLAlchemy, its drivers), or None for anything else."""
    if type(exc).__module__.split(".")[0] != "sqlalchemy" and not _driver_missing(exc):
        return None
    from sqlalchemy import exc as sa_exc

    shown = _shown_url(url)
    if isinstance(exc, (sa_exc.ArgumentError, sa_exc.NoSuchModuleError)):
        return EXIT_USAGE, f"not a usable database URL: {url} ({_first_line(exc)})"
    if _driver_missing(exc):
        return EXIT_FAILED, (f"the database driver {exc.name} is not installed "  # type: ignore[attr-defined]
                             "(for PostgreSQL: pip install 'dosetrail[postgres]')")
    orig = getattr(exc, "orig", None)
    detail = _first_line(orig if orig is not None else exc)
    low = detail.lower()
    if "disk is full" in low or "no space" in low:
        return EXIT_FAILED, f"the library database is full ({detail}): {shown}; free some space"
    if "readonly" in low or "read-only" in low:
        return EXIT_FAILED, f"the library database is not writable ({detail}): {shown}"
    if "unable to open database file" in low:
        return EXIT_FAILED, f"cannot open the library database ({detail}): {shown}"
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return EXIT_FAILED, f"cannot use the library database {shown}: {detail}"
    return EXIT_FAILED, f"library database error ({detail}): {shown}"


def _driver_missing(exc: BaseException) -> bool:
    return isinstance(exc, ModuleNotFoundError) and (exc.name or "").split(".")[0] in {
        "psycopg", "psycopg2", "pymysql", "MySQLdb", "mysqlclient", "asyncpg", "pg8000", "cx_Oracle", "oracledb"}


def _shown_url(url: str | None) -> str:
    """The database as the message names it: a file path, or a URL without its password."""
    if not url:
        from ..config import default_db_url

        try:
            url = default_db_url()
        except Exception:  # noqa: BLE001 - DOSETRAIL_HOME itself is the fault
            return "the library in DOSETRAIL_HOME"
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            return parsed.database
        return parsed.render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "the library database"


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    text = lines[0] if lines else type(exc).__name__
    if text.startswith("(") and ") " in text:  # "(sqlite3.OperationalError) database is locked"
        text = text.split(") ", 1)[1]
    return text[:300]
