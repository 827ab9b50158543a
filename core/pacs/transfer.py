"""A retrieve's transfer, study by study on a thread of its own, with counters and Cancel.

Each study lands in a folder of its own that is handed over (:meth:`Transfer.take`) as
soon as the study has arrived, so the caller imports it while the next one is fetched:
the patient's timeline fills as studies arrive. The counters (instances and bytes
received of the instances expected) make the progress determinate; a set ``cancel``
stops the transfer between instances (DIMSE: a C-CANCEL, DICOMweb: the stream closed).
"""
from __future__ import annotations

import queue
import threading
from pathlib import Path

from . import dimse
from .retrieve import Plan, Retrieved, fetch


class Transfer(threading.Thread):
    """Fetch ``plan``'s studies into numbered folders under ``dest``.

    Parameters
    ----------
    plan : Plan
    dest : pathlib.Path
        An existing, empty folder.
    cancel : threading.Event or None
        Set by the user: no further instance is asked for (:meth:`stop` does the same).
    move_port : int or None
        DIMSE: C-MOVE to a listener started here on this port (under the archive's calling
        AE title) instead of C-GET; each association's instances are handed over when it ends.

    Attributes
    ----------
    expected, received, bytes_received : int
        Instances expected, instances and bytes received so far.
    error : BaseException or None
        What stopped the transfer (raised again by the caller once what arrived is imported).
    """

    def __init__(self, plan: Plan, dest: Path, cancel: threading.Event | None = None,
                 move_port: int | None = None) -> None:
        super().__init__(name="dosetrail-retrieve", daemon=True)
        self.plan = plan
        self.dest = dest
        self._halt = threading.Event()
        self.cancel = _Either(self._halt, cancel)
        self.move_port = move_port if plan.archive.kind == "dimse" else None
        self.expected = plan.expected
        self.received = 0
        self.bytes_received = 0
        self.error: BaseException | None = None
        self._ready: queue.Queue[Path | None] = queue.Queue()
        self._lock = threading.Lock()

    # the transfer's thread ------------------------------------------------------
    def _count(self, _path: Path, size: int) -> None:
        with self._lock:
            self.received += 1
            self.bytes_received += size

    def run(self) -> None:  # noqa: D102 - threading API
        try:
            if self.move_port is not None:
                self._run_move()
            else:
                self._run_get()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            self.error = exc
        finally:
            self._ready.put(None)

    def _run_get(self) -> None:
        for n, uid in enumerate(self.plan.study_uids):
            if self.cancel.is_set():
                return
            folder = self.dest / f"{n:05d}"
            folder.mkdir()
            try:
                fetch(self.plan, uid, folder, on_file=self._count, cancel=self.cancel)
            finally:  # a study cut short is handed over too: what arrived is imported
                self._ready.put(folder)

    def _run_move(self) -> None:
        from .listener import Listener

        archive = self.plan.archive
        spool = self.dest / "move"
        spool.mkdir()
        listener = Listener(archive.calling_aet, self.move_port, spool=spool, on_file=self._count)
        try:
            for uid in self.plan.study_uids:
                if self.cancel.is_set():
                    break
                dimse.move(archive, self.plan.instances[uid], archive.calling_aet, self.plan.whole_studies,
                           cancel=self.cancel)
                while (batch := listener.next_batch(0)) is not None:
                    self._ready.put(batch[0])
        finally:  # every C-STORE was answered before the C-MOVE's final status: its file is written
            for batch in listener.stop():
                self._ready.put(batch[0])
            listener.close()

    # the caller's side ----------------------------------------------------------
    def take(self, timeout: float) -> tuple[list[Path], bool]:
        """The study folders that arrived (waiting up to ``timeout`` s for the first), and whether
        the transfer has ended (no folder will follow)."""
        out: list[Path] = []
        try:
            item = self._ready.get(timeout=timeout)
            while True:
                if item is None:
                    return out, True
                out.append(item)
                item = self._ready.get_nowait()
        except queue.Empty:
            return out, False

    def stop(self, timeout: float | None = None) -> None:
        """Cancel the transfer (not the caller's ``cancel``) and wait for its thread (``timeout`` s at most)."""
        self._halt.set()
        if self.is_alive():
            self.join(timeout)

    def retrieved(self) -> Retrieved:
        """What the transfer brought so far."""
        return Retrieved(len(self.plan.study_uids), self.expected, self.received, self.bytes_received)


class _Either:
    """Set when any of the events is (what the protocol code asks of a cancel event)."""

    def __init__(self, *events: threading.Event | None) -> None:
        self.events = [e for e in events if e is not None]

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)
