"""Work done per file in the import's worker processes.

Each task is read once: the same bytes are parsed and, in copy mode, written
to the managed store. In ``--link`` mode only the header is read.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from ..library_errors import LibraryError, is_write_fault, write_fault
from ..records import ParsedInstance, Rejection, RejectionCode
from .parse import describe, parse_bytes, parse_path


@dataclass
class Task:
    label: str
    local_path: str | None = None
    data: bytes | None = None


Outcome = tuple["ParsedInstance | Rejection", int]  # (result, bytes read from the source)


def init_worker() -> None:
    """Set up an import worker process.

    Ctrl-C goes to the whole process group: the main process turns it into a
    cancel, so workers ignore it and finish their chunk. On Linux a worker
    also dies with the process that started it (a killed import or a crashed
    app leaves no workers behind).
    """
    import signal
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def process_task(task: Task, store_root: str | None, link: bool) -> Outcome:
    """Parse one file and (copy mode) store its bytes; never raises."""
    try:
        with warnings.catch_warnings():
            # pydicom warns about every non-conformant value; the import reports its own reasons
            warnings.simplefilter("ignore")
            return _process(task, store_root, link)
    except LibraryError:
        raise  # the store's disk is full or read-only: not this file's fault, the import stops
    except MemoryError:
        return Rejection(task.label, "file too large to read into memory", code=RejectionCode.TOO_LARGE), 0
    except OSError as exc:
        return Rejection(task.label, f"cannot read file: {exc.strerror or exc}", code=RejectionCode.READ_ERROR), 0
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the import
        return Rejection(task.label, f"unexpected error while reading: {type(exc).__name__}: {exc}"[:300]), 0


def _process(task: Task, store_root: str | None, link: bool) -> Outcome:
    if link and task.local_path:
        ds, rejection, size = parse_path(task.label, task.local_path)
        if ds is None:
            return rejection, 0
        rec = describe(ds, task.label)
        rec.stored_path = os.path.abspath(task.local_path)  # no realpath: one lstat per component per file
        rec.linked = True
        rec.size = size
        return rec, 0
    data = task.data
    nbytes = 0  # archive members were counted when the main process read them
    if data is None:
        with open(task.local_path, "rb") as fh:  # type: ignore[arg-type]
            data = fh.read()
        nbytes = len(data)
    ds, rejection = parse_bytes(task.label, data)
    if ds is None:
        return rejection, nbytes
    rec = describe(ds, task.label)
    rec.size = len(data)
    if store_root is not None:
        from ..storage.filestore import store_path_for, write_atomic

        rel = store_path_for(rec.sop_instance_uid)
        try:
            write_atomic(Path(store_root), rel, data, keep_existing=_intact)
        except OSError as exc:
            if is_write_fault(exc):  # disk full, read-only: the library's fault, never the file's
                raise write_fault(exc, "the file store", store_root) from None
            raise
        rec.stored_path = rel
    return rec, nbytes


def _intact(path: Path) -> bool:
    """True when a stored copy parses as a whole DICOM file (it is kept; the library describes it)."""
    ds, _rejection, _size = parse_path(str(path), str(path))
    return ds is not None


def process_chunk(tasks: list[Task], store_root: str | None, link: bool) -> list[Outcome]:
    return [process_task(t, store_root, link) for t in tasks]
