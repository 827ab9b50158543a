"""The import: sources -> worker processes (parse, store) -> one database writer.

:func:`import_paths` is a generator of :class:`ImportProgress` whose return
value is the :class:`ImportSummary`; :func:`run_import` drives it with a
callback. Cancellation is honoured between files; every batch commits on its
own, so a crash, kill or Cancel leaves the library consistent and running the
import again completes it.
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import deque
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from threading import Event
from typing import Callable, Generator, Iterable, Iterator

from ..model.import_records import ImportProgress, ImportSummary, ParsedInstance, Rejection, RejectionCode
from ..sources.base import SourceError, SourceItem, SourceProblem, SourceProgress
from .worker import Task, init_worker, process_chunk

INLINE_THRESHOLD = 48  # fewer files than this are parsed in-process (no pool start-up)
CHUNK = 48  # files per worker task
# Chunks queued ahead per worker. This process writes a batch and estimates the studies
# before it takes the next results; the queue must hold more work than that takes (about
# 0.15 s for 500 small files), or the workers stop meanwhile: with 6 chunks per worker an
# import of small studies used little more than one of two cores. Memory stays bounded by
# bytes (IN_FLIGHT_BYTES, IN_FLIGHT_DISK_BYTES) whatever this is.
READ_AHEAD_CHUNKS = 40
WRITE_BATCH = 500  # instances per database transaction
MIB = 1 << 20
# Memory is bounded by bytes, not by file counts. An archive member up to MEMBER_IN_MEMORY
# travels to a worker in memory; a bigger one (or one of unknown size past that) is streamed
# to a temporary file that the worker parses in place and copies in chunks.
MEMBER_IN_MEMORY = 4 * MIB
CHUNK_BYTES = 16 * MIB  # in-memory bytes per worker task (a chunk closes at CHUNK files or this)
IN_FLIGHT_BYTES = 48 * MIB  # in-memory bytes read ahead (buffered, queued or being parsed)
IN_FLIGHT_DISK_BYTES = 1 << 30  # temporary copies of big members waiting for a worker


class _Spool:
    """Collects one member's bytes: in memory up to ``limit``, then in a temporary file."""

    def __init__(self, folder: "_SpoolFolder", limit: int) -> None:
        self._folder, self._limit = folder, limit
        self._parts: list[bytes] = []
        self._held = 0
        self._fh = None
        self.path: str | None = None

    def write(self, chunk: bytes) -> None:
        if self._fh is None and self._held + len(chunk) <= self._limit:
            self._parts.append(chunk)
            self._held += len(chunk)
            return
        if self._fh is None:
            fd, self.path = tempfile.mkstemp(prefix="member-", suffix=".dcm", dir=self._folder.path())
            self._fh = os.fdopen(fd, "wb")
            for part in self._parts:
                self._fh.write(part)
            self._parts.clear()
        self._fh.write(chunk)

    def task(self, label: str) -> "Task":
        """The task for the collected bytes (closes the temporary file)."""
        if self._fh is None:
            return Task(label, data=b"".join(self._parts))
        self._fh.close()
        return Task(label, local_path=self.path, spooled=True)

    def discard(self) -> None:
        self._parts.clear()
        if self._fh is not None:
            self._fh.close()
            try:
                os.unlink(self.path)  # type: ignore[arg-type]
            except OSError:
                pass


class _SpoolFolder:
    """A private temporary folder for big members, made on first use, removed at the end."""

    def __init__(self) -> None:
        self._path: str | None = None

    def path(self) -> str:
        if self._path is None:
            self._path = tempfile.mkdtemp(prefix="dosetrail-members-")
        return self._path

    def remove(self) -> None:
        if self._path is not None:
            shutil.rmtree(self._path, ignore_errors=True)
            self._path = None


def _member_task(event: SourceItem, spool_folder: _SpoolFolder) -> tuple[Task, int]:
    """An archive member as a task: streamed (``copy_to``) into memory or a temporary file."""
    if event.copy_to is None:
        data = event.read() if event.read else b""
        return Task(event.label, data=data), len(data)
    spool = _Spool(spool_folder, MEMBER_IN_MEMORY)
    try:
        n = event.copy_to(spool.write)
    except BaseException:
        spool.discard()
        raise
    return spool.task(event.label), n


def _iter_tasks(paths: Iterable[str], password: str | None, link: bool,
                problems: list[Rejection], spool_folder: _SpoolFolder | None = None,
                cancel: Event | None = None) -> Iterator[tuple["Task | SourceProgress", int]]:
    """Tasks from every source, in order; source problems go to ``problems``."""
    from ..sources.discover import iter_source

    spool_folder = spool_folder or _SpoolFolder()
    for path in paths:
        try:
            for event in iter_source(str(path), password=password, link_mode=link, cancel=cancel):
                if isinstance(event, SourceItem):
                    if event.local_path is not None:
                        yield Task(event.label, local_path=event.local_path), 0
                    else:
                        try:
                            task, nbytes = _member_task(event, spool_folder)
                        except Exception as exc:  # noqa: BLE001 - archive member errors
                            _raise_if_disk_full(exc)
                            problems.append(Rejection(event.label, str(exc) or type(exc).__name__,
                                                      code=RejectionCode.SOURCE))
                            continue
                        yield task, nbytes
                elif isinstance(event, SourceProblem):
                    kind = "skipped" if event.kind == "skipped" else "rejected"
                    problems.append(Rejection(event.label, event.reason, kind=kind,
                                              code=event.code or (None if kind == "skipped" else RejectionCode.SOURCE)))
                elif isinstance(event, SourceProgress):
                    yield event, 0
        except SourceError as exc:
            problems.append(Rejection(_display(str(path)), str(exc), code=RejectionCode.SOURCE))
        except OSError as exc:
            _raise_if_disk_full(exc)
            raise


def _raise_if_disk_full(exc: BaseException) -> None:
    """A full disk while reading a source is the temporary folder's (downloads, nested archives)."""
    from ..model.library_errors import FULL, write_fault

    if isinstance(exc, OSError) and exc.errno in FULL:
        import tempfile

        raise write_fault(exc, "the temporary folder (TMPDIR)", tempfile.gettempdir()) from None


def _display(path: str) -> str:
    """A path as stored in reports: links without credentials or query (portal tokens)."""
    if path.lower().startswith(("http://", "https://")):
        from ..sources.link import display_url

        return display_url(path)
    return path


def import_paths(
    session_factory,
    paths: list[str],
    *,
    store_root: Path,
    link: bool = False,
    password: str | None = None,
    cancel: Event | None = None,
    workers: int | None = None,
    settings=None,
) -> Generator[ImportProgress, None, ImportSummary]:
    """Import ``paths`` into the library, yielding progress.

    Parameters
    ----------
    session_factory
        SQLAlchemy ``sessionmaker`` bound to the library.
    paths
        Folders, files, DICOMDIR media roots, ``.zip``/``.gz`` archives or http(s) links.
    store_root
        The managed store (ignored for files imported with ``link``).
    link
        Keep folder files where they are instead of copying them.
    cancel
        Set it to stop between files; what was imported stays.
    """
    from ..storage.conflicts import conflict_issue
    from ..storage.estimates import refresh_estimates, refresh_stale_estimates
    from ..storage.writer import LibraryWriter, finish_run, record_issues, start_run

    cancel = cancel or Event()
    summary = ImportSummary()
    run_id = start_run(session_factory, [_display(str(p)) for p in paths], link)
    summary.import_run_id = run_id
    writer = LibraryWriter(session_factory, run_id=run_id)
    problems: list[Rejection] = []
    parse_problems: list[Rejection] = []
    pending: list[ParsedInstance] = []
    studies: dict[str, None] = {}
    patients: dict[str, None] = {}
    store = None if link else str(store_root)
    status = "completed"
    # Studies are estimated while the workers read on: a study is estimated once a batch has
    # been written that did not touch it (its files are usually together, so it is complete);
    # one touched again later waits again (the writer marks it not current).
    waiting: dict[str, None] = {}  # the studies the last batch touched, in order

    source_problems = [0]  # files a source refused or skipped (never reached a worker)

    def take(outcome) -> None:
        result, nbytes = outcome
        summary.bytes_read += nbytes
        if isinstance(result, Rejection):
            parse_problems.append(result)
        else:
            pending.append(result)

    def flush() -> None:
        if not pending:
            return
        res = writer.write_batch(list(pending))
        pending.clear()
        summary.instances_imported += len(res.imported)
        summary.instances_already_present += len(res.already_present)
        parse_problems.extend(getattr(res, "rejected", []))  # files the database refused, with the reason
        summary.instances_conflicting.extend(res.conflicts)
        for uid in res.studies_touched:
            studies.setdefault(uid)
        for key in res.patients_touched:
            patients.setdefault(key)
        ready = [uid for uid in waiting if uid not in res.studies_touched]
        waiting.clear()
        waiting.update(dict.fromkeys(res.studies_touched))
        if ready:
            refresh_estimates(session_factory, ready, settings)

    def drain_problems() -> None:
        source_problems[0] = len(problems)
        for p in problems + parse_problems:
            (summary.files_skipped_not_dicom if p.kind == "skipped" else summary.files_rejected).append(p)
        problems.clear()
        parse_problems.clear()

    spool_folder = _SpoolFolder()
    tasks = _iter_tasks(paths, password, link, problems, spool_folder, cancel)
    buffered: list[Task] = []
    pool_needed = False
    try:
        held = 0
        for task, nbytes in tasks:
            if isinstance(task, SourceProgress):
                yield ImportProgress(summary.files_seen, summary.bytes_read, "", task.message)
                if cancel.is_set():  # e.g. Ctrl-C during a download: stop reading sources
                    break
                continue
            summary.bytes_read += nbytes
            buffered.append(task)
            held += task.weight
            if cancel.is_set():
                break
            if len(buffered) >= INLINE_THRESHOLD or held >= IN_FLIGHT_BYTES:
                pool_needed = True  # many files, or big ones: parse in parallel, read ahead by bytes
                break
        if not pool_needed:
            for task in buffered:
                if cancel.is_set():
                    status = "cancelled"
                    break
                summary.files_seen += 1
                take(process_chunk([task], store, link)[0])
                yield ImportProgress(summary.files_seen, summary.bytes_read, task.label)
            flush()
            if cancel.is_set():
                status = "cancelled"
        else:
            yield from _run_pool(buffered, tasks, store, link, workers, cancel, summary, take, flush,
                                 lambda: len(pending) >= WRITE_BATCH)
            flush()
            if cancel.is_set():
                status = "cancelled"
    except BaseException:
        status = "failed"
        flush_safely(flush)
        raise
    finally:
        tasks.close()  # a source's temporary files (a download) go now
        spool_folder.remove()
        drain_problems()
        summary.files_seen += source_problems[0]
        summary.cancelled = status == "cancelled"
        summary.studies_touched = list(studies)
        summary.patients_touched = list(patients)
        try:
            record_issues(session_factory, run_id, summary.files_rejected + summary.files_skipped_not_dicom
                          + [conflict_issue(c) for c in summary.instances_conflicting])
            finish_run(session_factory, run_id, summary, status)
        except Exception:  # noqa: BLE001 - a full database: the fault that stopped the import is the news
            if status != "failed":
                raise
    if waiting:  # the studies of the last batches (and any touched again after their estimate)
        yield ImportProgress(summary.files_seen, summary.bytes_read, "", "estimating doses")
        refresh_estimates(session_factory, list(waiting), settings)
    # and any study an earlier, killed import stored without estimating (one query when none)
    refresh_stale_estimates(session_factory, settings)
    yield ImportProgress(summary.files_seen, summary.bytes_read, "", "done", done=True)
    return summary


def flush_safely(flush: Callable[[], None]) -> None:
    try:
        flush()
    except Exception:  # noqa: BLE001 - the original error is re-raised
        pass


def _next_chunk(source: Iterator[Task]) -> tuple[list[Task], int, int, bool]:
    """(tasks, bytes in memory, bytes on disk, source used up) for one worker task.

    A chunk closes at :data:`CHUNK` files, :data:`CHUNK_BYTES` in memory or one
    big spooled member's worth on disk, so a chunk of big members is small.
    """
    chunk: list[Task] = []
    mem = disk = 0
    for task in source:
        chunk.append(task)
        if task.spooled:
            disk += task.weight
        else:
            mem += task.weight
        if len(chunk) >= CHUNK or mem >= CHUNK_BYTES or disk:
            return chunk, mem, disk, False
    return chunk, mem, disk, True


WORKER_DIED = "the reader process died on this file"


def _run_pool(buffered, tasks, store, link, workers, cancel, summary, take, flush, batch_full):
    """Parse in worker processes; a worker that dies costs only the file it was reading.

    When a worker dies (killed, out of memory, a crash in a decoder) the pool is
    broken and every chunk still in flight fails. Those files are read again, one
    at a time in a new pool: the file on which a worker dies again is rejected
    (:data:`WORKER_DIED`), the pool is rebuilt and the import goes on.
    """
    n = workers or max(1, min(os.cpu_count() or 1, 8))
    ctx = multiprocessing.get_context(_start_method())
    state = _PoolState(_chain(buffered, tasks, summary))
    while True:
        pool = ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=init_worker)
        try:
            finished = yield from _pump(pool, n, state, store, link, cancel, summary, take, flush, batch_full)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if finished:
            return


class _PoolState:
    """What outlives one process pool: the task source and the files to retry one by one."""

    def __init__(self, source: Iterator[Task]) -> None:
        self.source = source
        self.exhausted = False
        self.suspects: deque[Task] = deque()  # in flight when a worker died
        self.mem_ahead = 0  # bytes read ahead: in memory, and in temporary copies of big members
        self.disk_ahead = 0
        self.died_alone: set[int] = set()  # ids of tasks a worker died on when read alone
        self.last = time.monotonic()


def _pump(pool, n, state: _PoolState, store, link, cancel, summary, take, flush, batch_full):
    """Feed ``pool`` until the tasks run out (returns True) or a worker dies (returns False)."""
    in_flight: deque[tuple[Future, list[Task]]] = deque()
    limit = n * READ_AHEAD_CHUNKS  # queued ahead: workers keep busy while this process writes and estimates
    weights: dict[int, tuple[int, int]] = {}  # id(chunk) -> (bytes in memory, bytes on disk)
    while True:
        if state.suspects:  # one file at a time, so that a death names its file
            if not in_flight and not cancel.is_set():
                task = state.suspects.popleft()
                in_flight.append((_submit(pool, [task], store, link), [task]))
        else:
            while (not state.exhausted and len(in_flight) < limit and not cancel.is_set()
                   and (not in_flight or (state.mem_ahead < IN_FLIGHT_BYTES
                                          and state.disk_ahead < IN_FLIGHT_DISK_BYTES))):
                chunk, mem, disk, state.exhausted = _next_chunk(state.source)
                if chunk:
                    state.mem_ahead += mem
                    state.disk_ahead += disk
                    weights[id(chunk)] = (mem, disk)
                    in_flight.append((_submit(pool, chunk, store, link), chunk))
        if not in_flight:
            return True
        future, chunk = in_flight.popleft()
        mem, disk = weights.pop(id(chunk), (0, 0))  # retried suspects were counted when first read
        state.mem_ahead -= mem
        state.disk_ahead -= disk
        try:
            outcomes = future.result()
        except BrokenProcessPool:
            if len(chunk) == 1 and not in_flight:  # read alone: the worker died on this file
                task = chunk[0]
                if id(task) in state.died_alone:  # twice: not a stray kill, the file does it
                    summary.files_seen += 1
                    take((Rejection(task.label, WORKER_DIED, code=RejectionCode.READER_DIED), 0))
                else:
                    state.died_alone.add(id(task))
                    state.suspects.appendleft(task)
            else:
                state.suspects.extend(chunk)
            for _f, ch in in_flight:  # their bytes leave the read-ahead whatever becomes of them
                mem, disk = weights.pop(id(ch), (0, 0))
                state.mem_ahead -= mem
                state.disk_ahead -= disk
            _salvage(in_flight, state, summary, take)
            return False
        for outcome in outcomes:
            summary.files_seen += 1
            take(outcome)
        if batch_full():
            flush()
        now = time.monotonic()
        if now - state.last > 0.05 or not in_flight:
            state.last = now
            yield ImportProgress(summary.files_seen, summary.bytes_read, chunk[-1].label)
        if cancel.is_set():
            for f, _ in in_flight:
                f.cancel()
            for f, _ch in in_flight:  # finish what already started; count the rest as not seen
                if not f.cancelled():
                    try:
                        outcomes = f.result()
                    except BrokenProcessPool:
                        continue
                    for outcome in outcomes:
                        summary.files_seen += 1
                        take(outcome)
            state.suspects.clear()
            return True


def _submit(pool, chunk: list[Task], store, link) -> Future:
    """``pool.submit`` of a chunk; a pool a worker death already broke gives a failed future."""
    try:
        return pool.submit(process_chunk, chunk, store, link)
    except BrokenProcessPool as exc:
        failed: Future = Future()
        failed.set_exception(exc)
        return failed


def _salvage(in_flight, state: _PoolState, summary, take) -> None:
    """After a worker died: keep the results that were complete, queue the other files again."""
    for f, ch in in_flight:
        try:
            outcomes = f.result()
        except (BrokenProcessPool, CancelledError):
            state.suspects.extend(ch)
            continue
        for outcome in outcomes:
            summary.files_seen += 1
            take(outcome)
    in_flight.clear()


def _start_method() -> str:
    """``fork`` (fast: no re-import) only where it is safe: Linux, and no other thread running
    (the command line). Otherwise (the GUI's worker threads, macOS, Windows) ``spawn``."""
    if sys.platform.startswith("linux") and threading.active_count() == 1 and not getattr(sys, "frozen", False):
        return "fork"
    return "spawn"


def _chain(buffered: list[Task], tasks, summary: ImportSummary) -> Iterator[Task]:
    yield from buffered
    for task, nbytes in tasks:
        if isinstance(task, SourceProgress):
            continue
        summary.bytes_read += nbytes
        yield task


def drive(gen: Generator[ImportProgress, None, ImportSummary],
          progress: Callable[[ImportProgress], None] | None = None) -> ImportSummary:
    """Run an :func:`import_paths` generator to the end, passing progress on; returns the summary."""
    while True:
        try:
            item = next(gen)
        except StopIteration as stop:
            return stop.value
        if progress is not None:
            progress(item)
