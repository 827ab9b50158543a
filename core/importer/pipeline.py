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
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from threading import Event
from typing import Callable, Generator, Iterable, Iterator

from ..records import ImportProgress, ImportSummary, ParsedInstance, Rejection, RejectionCode
from ..sources.base import SourceError, SourceItem, SourceProblem, SourceProgress
from .worker import Task, init_worker, process_chunk

INLINE_THRESHOLD = 48  # fewer files than this are parsed in-process (no pool start-up)
CHUNK = 48  # files per worker task
WRITE_BATCH = 500  # instances per database transaction


def _iter_tasks(paths: Iterable[str], password: str | None, link: bool,
                problems: list[Rejection]) -> Iterator[tuple["Task | SourceProgress", int]]:
    """Tasks from every source, in order; source problems go to ``problems``."""
    from ..sources.discover import iter_source

    for path in paths:
        try:
            for event in iter_source(str(path), password=password, link_mode=link):
                if isinstance(event, SourceItem):
                    if event.local_path is not None:
                        yield Task(event.label, local_path=event.local_path), 0
                    else:
                        try:
                            data = event.read() if event.read else b""
                        except Exception as exc:  # noqa: BLE001 - archive member errors
                            _raise_if_disk_full(exc)
                            problems.append(Rejection(event.label, str(exc) or type(exc).__name__,
                                                      code=RejectionCode.SOURCE))
                            continue
                        yield Task(event.label, data=data), len(data)
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
    from ..library_errors import FULL, write_fault

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
        for uid in res.studies_touched:
            studies.setdefault(uid)
        for key in res.patients_touched:
            patients.setdefault(key)

    def drain_problems() -> None:
        source_problems[0] = len(problems)
        for p in problems + parse_problems:
            (summary.files_skipped_not_dicom if p.kind == "skipped" else summary.files_rejected).append(p)
        problems.clear()
        parse_problems.clear()

    tasks = _iter_tasks(paths, password, link, problems)
    buffered: list[Task] = []
    try:
        for task, nbytes in tasks:
            if isinstance(task, SourceProgress):
                yield ImportProgress(summary.files_seen, summary.bytes_read, "", task.message)
                continue
            summary.bytes_read += nbytes
            buffered.append(task)
            if len(buffered) >= INLINE_THRESHOLD:
                break
        pool_needed = len(buffered) >= INLINE_THRESHOLD
        if not pool_needed:
            for task in buffered:
                if cancel.is_set():
                    status = "cancelled"
                    break
                summary.files_seen += 1
                take(process_chunk([task], store, link)[0])
                yield ImportProgress(summary.files_seen, summary.bytes_read, task.label)
            flush()
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
        drain_problems()
        summary.files_seen += source_problems[0]
        summary.cancelled = status == "cancelled"
        summary.studies_touched = list(studies)
        summary.patients_touched = list(patients)
        try:
            record_issues(session_factory, run_id, summary.files_rejected + summary.files_skipped_not_dicom)
            finish_run(session_factory, run_id, summary, status)
        except Exception:  # noqa: BLE001 - a full database: the fault that stopped the import is the news
            if status != "failed":
                raise
    if summary.studies_touched:
        yield ImportProgress(summary.files_seen, summary.bytes_read, "", "estimating doses")
        from ..dose.service import refresh_estimates

        refresh_estimates(session_factory, summary.studies_touched, settings)
    yield ImportProgress(summary.files_seen, summary.bytes_read, "", "done", done=True)
    return summary


def flush_safely(flush: Callable[[], None]) -> None:
    try:
        flush()
    except Exception:  # noqa: BLE001 - the original error is re-raised
        pass


def _run_pool(buffered, tasks, store, link, workers, cancel, summary, take, flush, batch_full):
    n = workers or max(1, min(os.cpu_count() or 1, 8))
    ctx = multiprocessing.get_context(_start_method())
    in_flight: deque[tuple[Future, list[Task]]] = deque()
    limit = n * 6  # chunks queued ahead: workers keep busy while this process writes a batch
    source = _chain(buffered, tasks, summary)
    last = time.monotonic()
    with ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=init_worker) as pool:
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < limit and not cancel.is_set():
                chunk = []
                for task in source:
                    chunk.append(task)
                    if len(chunk) >= CHUNK:
                        break
                if len(chunk) < CHUNK:
                    exhausted = True
                if chunk:
                    in_flight.append((pool.submit(process_chunk, chunk, store, link), chunk))
            if not in_flight:
                break
            future, chunk = in_flight.popleft()
            for outcome in future.result():
                summary.files_seen += 1
                take(outcome)
            if batch_full():
                flush()
            now = time.monotonic()
            if now - last > 0.05 or not in_flight:
                last = now
                yield ImportProgress(summary.files_seen, summary.bytes_read, chunk[-1].label)
            if cancel.is_set():
                for f, _ in in_flight:
                    f.cancel()
                for f, ch in in_flight:  # finish what already started; count the rest as not seen
                    if not f.cancelled():
                        for outcome in f.result():
                            summary.files_seen += 1
                            take(outcome)
                in_flight.clear()
                break


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
