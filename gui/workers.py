"""Run blocking core calls on Qt's thread pool and get the answer back as signals.

Modelled on the worker helpers of napari (``thread_worker``) and Orange3
(``concurrent.FutureWatcher``): a :class:`Worker` wraps a plain callable, runs
it on :meth:`QThreadPool.globalInstance`, and reports through
:class:`WorkerSignals`, which live in the GUI thread so connected slots run
there (queued connections). No ``processEvents()`` loops. A failure reaches the
GUI as the exception object (Orange3's ``exceptionReady``), never as text to be
searched; :func:`error_text` words it. A :class:`GeneratorWorker` drives a
generator (superqt's ``GeneratorWorker``, napari's ``thread_worker``): what it
yields is progress (throttled), what it returns is the result, and a cancel is
seen at the next yield.
"""
from __future__ import annotations

import inspect
import logging
import threading
import time
import traceback
from typing import Any, Callable, Generator

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from dosetrail.core.api import LibraryError

log = logging.getLogger(__name__)

#: The global pool gets at least this many threads: the work is mostly I/O,
#: SQLite or decoding in C, and a long import must not hold up the rest.
MIN_POOL_THREADS = 4

# Workers that are queued or running: a QRunnable (and its signals) must stay
# referenced until it has finished, or Python may collect it mid-run.
_ACTIVE: set["Worker"] = set()


class WorkerSignals(QObject):
    """Signals of a :class:`Worker` (emitted from the pool thread, delivered queued)."""

    progress = Signal(object)
    result = Signal(object)
    error = Signal(object)  # the exception object (see error_text)
    finished = Signal()


def error_text(exc: BaseException) -> str:
    """A worker's exception as the GUI words it.

    A :class:`LibraryError` (full disk, read-only library) is its own one-line
    message; anything else is ``"ExceptionType: message"``.
    """
    if isinstance(exc, LibraryError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _accepts(fn: Callable, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params


def _accepts_progress(fn: Callable) -> bool:
    return _accepts(fn, "progress")


class Worker(QRunnable):
    """One call of ``fn(*args, **kwargs)`` on a pool thread.

    Parameters
    ----------
    fn
        The blocking callable. When it has a ``progress`` keyword parameter
        (and the caller did not pass one), it receives a callable that emits
        :attr:`WorkerSignals.progress` with whatever object it is given.
    *args, **kwargs
        Passed to ``fn``.

    Notes
    -----
    The result goes to ``signals.result``; an exception to ``signals.error``
    as the exception object (the traceback is logged; :func:`error_text` words
    it); ``signals.finished`` follows either. :attr:`exception` keeps it too.
    """

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.setAutoDelete(False)  # Python owns the runnable (kept in _ACTIVE)
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.signals = WorkerSignals()
        self.exception: BaseException | None = None
        self.result: Any = None
        self._done = threading.Event()  # set when run() has returned (see wait())
        if "progress" not in kwargs and _accepts_progress(fn):
            self.kwargs["progress"] = self.signals.progress.emit

    @Slot()
    def run(self) -> None:  # noqa: D102 - QRunnable API
        try:
            self.result = self._call()
        except BaseException as exc:  # noqa: BLE001 - reported to the GUI, never lost
            self.exception = exc
            name = getattr(self.fn, "__name__", self.fn)
            if isinstance(exc, LibraryError):  # a full disk, a read-only library: one line, not a bug
                log.warning("worker %r stopped: %s", name, exc)
            else:
                log.error("worker %r failed:\n%s", name, traceback.format_exc())
            self._emit(self.signals.error, exc)
        else:
            self._emit(self.signals.result, self.result)
        finally:
            self._emit(self.signals.finished)
            self._done.set()

    def _call(self) -> Any:
        return self.fn(*self.args, **self.kwargs)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until :meth:`run` has returned (or ``timeout`` seconds); True when it has.

        For shutting down only (the window closing): the calling thread's
        events wait meanwhile. A worker never started has nothing to wait for.
        """
        if self not in _ACTIVE:
            return True
        return self._done.wait(timeout)

    def _emit(self, signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the signals object was deleted (app shutting down)
            pass


class GeneratorWorker(Worker):
    """Drive the generator ``fn(*args, **kwargs)`` returns, on a pool thread.

    Each yielded value goes to ``signals.progress``, at most once per
    ``throttle`` seconds (a value whose ``done`` attribute is true always goes);
    the generator's return value goes to ``signals.result``.

    Parameters
    ----------
    fn
        A generator function (e.g. ``library.import_iter``). When it has a
        ``cancel`` keyword parameter (and the caller did not pass one), it
        receives :attr:`abort`, so it can end early and still return its
        result (an import returns its summary, marked cancelled).
    *args, **kwargs
        Passed to ``fn``.
    throttle
        Seconds between progress signals (0: every value).

    Notes
    -----
    :meth:`quit` sets :attr:`abort`; the worker looks at it at the next yield:
    a generator that took ``cancel`` is driven on until it returns, any other
    is closed there (its result is then None).
    """

    def __init__(self, fn: Callable[..., Generator], *args: Any, throttle: float = 0.0, **kwargs: Any) -> None:
        super().__init__(fn, *args, **kwargs)
        self.throttle = throttle
        self.abort = threading.Event()
        self._passes_cancel = "cancel" not in kwargs and _accepts(fn, "cancel")
        if self._passes_cancel:
            self.kwargs["cancel"] = self.abort
        elif isinstance(kwargs.get("cancel"), threading.Event):
            self.abort = kwargs["cancel"]
            self._passes_cancel = True

    def quit(self) -> None:
        """Ask the generator to stop (seen at its next yield)."""
        self.abort.set()

    def _call(self) -> Any:
        gen = self.fn(*self.args, **self.kwargs)
        last = None
        while True:
            try:
                item = next(gen)
            except StopIteration as stop:
                return stop.value
            if self.abort.is_set() and not self._passes_cancel:
                gen.close()
                return None
            now = time.monotonic()
            if getattr(item, "done", False) or last is None or now - last >= self.throttle:
                last = now
                self._emit(self.signals.progress, item)


def run_in_pool(
    fn: Callable[..., Any],
    *args: Any,
    on_result: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    on_progress: Callable[[Any], None] | None = None,
    on_finished: Callable[[], None] | None = None,
    owner: QObject | None = None,
    **kwargs: Any,
) -> Worker:
    """Start ``fn(*args, **kwargs)`` on the global thread pool.

    Parameters
    ----------
    fn
        A blocking callable (e.g. ``library.import_report``).
    *args, **kwargs
        Its arguments.
    on_result, on_error, on_progress, on_finished
        Slots called in the GUI thread with the result, the exception object
        (:func:`error_text` words it), each progress object, or nothing at the end.
    owner
        The QObject the slots belong to, when they are lambdas or closures:
        they are skipped once it has been deleted (its window closed while
        the job ran). Bound methods of a QObject need none: Qt drops them.

    Returns
    -------
    Worker
        The started worker. Pass every slot here: the worker may finish
        before this function returns, and a signal connected after its
        emission is never delivered. To connect other slots, build a
        :class:`Worker`, connect, then call :func:`start_worker`.
    """
    return connect_and_start(Worker(fn, *args, **kwargs), on_result=on_result, on_error=on_error,
                             on_progress=on_progress, on_finished=on_finished, owner=owner)


def connect_and_start(worker: Worker, *, on_result=None, on_error=None, on_progress=None, on_finished=None,
                      owner: QObject | None = None) -> Worker:
    """Connect the slots (see :func:`run_in_pool`) and start ``worker`` (any :class:`Worker`)."""
    if owner is not None:
        on_result, on_error, on_progress, on_finished = (
            _while_alive(owner, cb) for cb in (on_result, on_error, on_progress, on_finished))
    if on_result is not None:
        worker.signals.result.connect(on_result)
    if on_error is not None:
        worker.signals.error.connect(on_error)
    if on_progress is not None:
        worker.signals.progress.connect(on_progress)
    if on_finished is not None:
        worker.signals.finished.connect(on_finished)
    return start_worker(worker)


def _while_alive(owner: QObject, slot: Callable | None) -> Callable | None:
    if slot is None:
        return None

    def call(*args):
        if shiboken6.isValid(owner):
            slot(*args)
    return call


def start_worker(worker: Worker) -> Worker:
    """Keep ``worker`` referenced until it has finished and start it on the global pool.

    Connect the worker's signals before calling this.
    """
    _ACTIVE.add(worker)
    # release the worker only after every slot of ``finished`` has run: dropping
    # the last reference inside its own signal would delete the signals object
    # in the middle of the emission
    worker.signals.finished.connect(lambda w=worker: QTimer.singleShot(0, lambda: _ACTIVE.discard(w)))
    pool = QThreadPool.globalInstance()
    if pool.maxThreadCount() < MIN_POOL_THREADS:
        # the default is one thread per core: on a 2-core machine an import and
        # the thumbnails would leave a patient's history waiting in the queue
        pool.setMaxThreadCount(MIN_POOL_THREADS)
    pool.start(worker)
    return worker


def active_workers() -> int:
    """How many workers started by :func:`run_in_pool` have not finished."""
    return len(_ACTIVE)
