"""Work done per file in the import's worker processes.

A small file is read once: the same bytes are parsed and, in copy mode,
written to the managed store. A big file (over :data:`READ_WHOLE_UP_TO`) is
never read whole: its header is parsed in place and the file is copied to
the store in chunks, so memory stays bounded whatever its size. An archive
member small enough to travel in memory is handled like a small file; a
bigger one arrives as a temporary file (``spooled``), is handled like a big
file, then removed. In ``--link`` mode only the header is read.
"""
from __future__ import annotations

import contextlib
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

from ..model.library_errors import LibraryError, is_write_fault, write_fault
from ..model.import_records import ParsedInstance, Rejection, RejectionCode
from .parse import describe, parse_bytes, parse_path


@dataclass
class Task:
    """One file for a worker: on disk (``local_path``) or in memory (``data``).

    ``spooled`` marks a temporary copy of an archive member: it is never
    linked (``--link``) and the worker removes it when done.
    """

    label: str
    local_path: str | None = None
    data: bytes | None = None
    spooled: bool = False

    @property
    def weight(self) -> int:
        """Bytes this task holds in memory (its data) or on disk (a spooled copy), for in-flight caps."""
        if self.data is not None:
            return len(self.data)
        if self.spooled and self.local_path:
            try:
                return os.path.getsize(self.local_path)
            except OSError:
                return 0
        return 0


Outcome = tuple["ParsedInstance | Rejection", int]  # (result, bytes read from the source)
READ_WHOLE_UP_TO = 4 << 20  # a file on disk up to this size is read once, whole; a bigger one streams


def init_worker() -> None:
    """Set up an import worker process.

    Ctrl-C goes to the whole process group: the main process turns it into a
    cancel, so workers ignore it and finish their chunk. On Linux a worker
    also dies with the process that started it (a killed import or a crashed
    app leaves no workers behind).
    """
    import gc
    import signal
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A worker makes and drops a few hundred objects per file (data sets, elements); what it
    # inherited or imported lives on: out of the collector's way, and collections less often
    # (about 9 % of a worker's time on small files).
    gc.freeze()
    gc.set_threshold(20_000, 50, 50)
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
        return _process_task(task, store_root, link)
    finally:
        if task.spooled and task.local_path:
            try:
                os.unlink(task.local_path)
            except OSError:
                pass


def _process_task(task: Task, store_root: str | None, link: bool) -> Outcome:
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
    nbytes = 0  # archive members were counted when the main process read them
    data = task.data
    if data is None and task.local_path:
        if link or task.spooled or os.path.getsize(task.local_path) > READ_WHOLE_UP_TO:
            return _process_file(task, store_root, link)
        with open(task.local_path, "rb") as fh:  # small: one read serves the parse and the copy
            data = fh.read()
        nbytes = len(data)
    data = data or b""
    ds, rejection = parse_bytes(task.label, data)
    if ds is None:
        return rejection, nbytes
    rec = describe(ds, task.label)
    rec.size = len(data)
    if store_root is not None:
        from ..storage.filestore import resolve, store_path_for, write_atomic

        rel = store_path_for(rec.sop_instance_uid)
        with _store_faults(store_root):  # the copy in the store is read, replaced or written here
            if settle_stored_copy(resolve(Path(store_root), rel), rec, lambda: io.BytesIO(data), len(data)):
                write_atomic(Path(store_root), rel, data, keep_existing=lambda _path: False)
        rec.stored_path = rel
    return rec, nbytes


def _process_file(task: Task, store_root: str | None, link: bool) -> Outcome:
    """A file on disk: header parsed in place, then (copy mode) copied to the store in chunks."""
    path: str = task.local_path  # type: ignore[assignment]
    ds, rejection, size = parse_path(task.label, path)
    nbytes = 0 if (link or task.spooled) else size  # spooled members were counted when read
    if ds is None:
        return rejection, nbytes
    rec = describe(ds, task.label)
    rec.size = size
    if link and not task.spooled:
        rec.stored_path = os.path.abspath(path)  # no realpath: one lstat per component per file
        rec.linked = True
        return rec, 0
    if store_root is not None:
        from ..storage.filestore import copy_atomic, resolve, store_path_for

        rel = store_path_for(rec.sop_instance_uid)
        with open(path, "rb"):  # a source that cannot be opened is the file's fault, not the store's
            pass
        with _store_faults(store_root):  # the copy in the store is read, replaced or written here
            if settle_stored_copy(resolve(Path(store_root), rel), rec, lambda: open(path, "rb"), size):
                copy_atomic(Path(store_root), rel, path, keep_existing=lambda _path: False)
        rec.stored_path = rel
    return rec, nbytes


@contextlib.contextmanager
def _store_faults(store_root: str):
    """A store write that fails for a full disk or a read-only place is the library's fault,
    never the file's: it becomes a :class:`LibraryError` that stops the import."""
    try:
        yield
    except OSError as exc:
        if is_write_fault(exc):
            raise write_fault(exc, "the file store", store_root) from None
        raise


BOTH_COMPLETE = ("another object with this SOP Instance UID is already in the library: both copies are "
                 "complete and their bytes differ; the copy imported first is kept")
COMPARE_CHUNK = 1 << 20


def settle_stored_copy(dest: Path, rec: ParsedInstance, open_new: Callable[[], BinaryIO], new_size: int) -> bool:
    """Decide between the copy already in the store and a new, complete copy of the same instance.

    Parameters
    ----------
    dest : pathlib.Path
        Where the store keeps the instance.
    rec : ParsedInstance
        The new copy (it parsed completely); its ``conflict`` is set when the copies differ.
    open_new : callable
        Opens the new copy's bytes (read in chunks, only when the sizes are equal).
    new_size : int

    Returns
    -------
    bool
        True when the new copy must be written: nothing (or an empty file) is stored, or the
        stored copy is damaged (does not parse completely: conflict, ``kept`` "new"). False when
        the stored bytes are the same, or a different complete copy is stored (conflict, ``kept``
        "stored"): two objects sharing a SOP Instance UID, or two intact variants, are never
        dropped silently.
    """
    try:
        size = dest.stat().st_size
    except FileNotFoundError:
        return True
    if size == 0:
        return True  # left by a power cut: no copy to speak of
    if size == new_size and _same_bytes(dest, open_new):
        return False
    ds, damage, _size = parse_path(str(dest), str(dest))
    if ds is not None:
        rec.conflict = {"kept": "stored", "reason": BOTH_COMPLETE}
        return False
    reason = damage.reason if damage is not None else "unreadable"
    rec.conflict = {"kept": "new", "reason": f"the copy in the library was damaged ({reason}); this complete copy "
                                             "replaced it"}
    if size == new_size:
        dest.unlink()  # the store skips a file of the same size; a crash here only loses the damaged copy
    return True


def _same_bytes(dest: Path, open_new: Callable[[], BinaryIO]) -> bool:
    with open(dest, "rb") as old, open_new() as new:
        while True:
            a, b = old.read(COMPARE_CHUNK), new.read(COMPARE_CHUNK)
            if a != b:
                return False
            if not a:
                return True


def process_chunk(tasks: list[Task], store_root: str | None, link: bool) -> list[Outcome]:
    return [process_task(t, store_root, link) for t in tasks]
