"""Run blocking core calls on Qt's thread pool and get the answer back as signals.

Modelled on the worker helpers of napari (``thread_worker``) and Orange3
(``concurrent.FutureWatcher``): a :class:`Worker` wraps a plain callable, runs
it on :meth:`QThreadPool.globalInstance`, and reports through
:class:`WorkerSignals`, which live in the GUI thread so connected slots run
there (queued connections). No ``processEvents()`` loops.
"""
from __future__ import annotations

import inspect
import logging
import threading
import traceback
from typing import Any, Callable

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
    error = Signal(str)
    finished = Signal()


def _accepts_progress(fn: Callable) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "progress" in params


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
    as ``"ExceptionType: message"`` (the traceback is logged);
    ``signals.finished`` follows either. :attr:`exception` keeps the raised
    exception object for callers that need its type.
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
            self.result = self.fn(*self.args, **self.kwargs)
        except BaseException as exc:  # noqa: BLE001 - reported to the GUI, never lost
            self.exception = exc
            name = getattr(self.fn, "__name__", self.fn)
            if isinstance(exc, LibraryError):  # a full disk, a read-only library: one line, not a bug
                log.warning("worker %r stopped: %s", name, exc)
                self._emit(self.signals.error, str(exc))
            else:
                log.error("worker %r failed:\n%s", name, traceback.format_exc())
                self._emit(self.signals.error, f"{type(exc).__name__}: {exc}")
        else:
            self._emit(self.signals.result, self.result)
        finally:
            self._emit(self.signals.finished)
            self._done.set()

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


def run_in_pool(
    fn: Callable[..., Any],
    *args: Any,
    on_result: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    on_progress: Callable[[Any], None] | None = None,
    on_finished: Callable[[], None] | None = None,
    owner: QObject | None = None,
    **kwargs: Any,
) -> Worker:
    """Start ``fn(*args, **kwargs)`` on the global thread pool.

    Parameters
    ----------
    fn
        A blocking callable (e.g. ``library.run_import``).
    *args, **kwargs
        Its arguments.
    on_result, on_error, on_progress, on_finished
        Slots called in the GUI thread with the result, the error text
        (``"Type: message"``), each progress object, or nothing at the end.
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
    worker = Worker(fn, *args, **kwargs)
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
