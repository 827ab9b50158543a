"""A DICOM storage SCP (pynetdicom) that spools what arrives, one folder per association.

The caller imports each folder when its association ends (:meth:`Listener.next_batch`), so
an archive's C-MOVE or a modality's C-STORE lands through the library's ordinary import.
"""
from __future__ import annotations

import queue
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Callable

from .archives import ArchiveError

#: the listener's default port (the registered DICOM port 104 needs privileges)
DEFAULT_PORT = 11112


class Listener:
    """A running storage SCP.

    Parameters
    ----------
    aet : str
        Its AE title (what the sender's C-MOVE destination or configuration names).
    port : int
    host : str
        The address to bind (all interfaces by default: a modality or an archive sends to it).
    spool : pathlib.Path or None
        An existing folder for the batch folders (default: a new temporary folder, removed by
        :meth:`close`; a given one is left to its owner).
    on_file : callable or None
        Called with each instance's path and size once it is written (on pynetdicom's thread).
    """

    def __init__(self, aet: str, port: int, host: str = "", spool: Path | None = None,
                 on_file: Callable[[Path, int], None] | None = None) -> None:
        from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, evt
        from pynetdicom.sop_class import Verification

        self._own_spool = spool is None
        self._stopped = False
        self._on_file = on_file
        self.spool = Path(tempfile.mkdtemp(prefix="dosetrail-receive-")) if spool is None else spool
        self._batches: queue.Queue[tuple[Path, int, int]] = queue.Queue()
        self._open: dict[int, list] = {}  # association id -> [folder, instances, bytes]
        self._lock = threading.Lock()
        ae = AE(ae_title=aet)
        for cx in AllStoragePresentationContexts:
            ae.add_supported_context(cx.abstract_syntax, ALL_TRANSFER_SYNTAXES)
        ae.add_supported_context(Verification)
        ae.maximum_associations = 4
        handlers = [(evt.EVT_C_STORE, self._on_store), (evt.EVT_RELEASED, self._on_end),
                    (evt.EVT_ABORTED, self._on_end), (evt.EVT_CONN_CLOSE, self._on_end)]
        try:
            self._server = ae.start_server((host, port), block=False, evt_handlers=handlers)
        except OSError as exc:
            self.close()
            raise ArchiveError(f"cannot listen on port {port} ({exc.strerror or exc}); choose another --port") from None

    def _on_store(self, event) -> int:
        data = event.encoded_dataset(include_meta=True)
        with self._lock:
            entry = self._open.get(id(event.assoc))
            if entry is None:
                folder = Path(tempfile.mkdtemp(dir=self.spool))
                entry = self._open[id(event.assoc)] = [folder, 0, 0]
            path = entry[0] / f"{entry[1]:06d}.dcm"
            entry[1] += 1
            entry[2] += len(data)
        path.write_bytes(data)
        if self._on_file is not None:
            self._on_file(path, len(data))
        return 0x0000

    def _on_end(self, event) -> None:
        with self._lock:
            entry = self._open.pop(id(event.assoc), None)
        if entry is not None:
            self._batches.put((entry[0], entry[1], entry[2]))

    def next_batch(self, timeout: float) -> tuple[Path, int, int] | None:
        """The folder of an ended association, its instances and bytes; None after ``timeout`` s."""
        try:
            return self._batches.get(timeout=timeout)
        except queue.Empty:
            return None

    def stop(self) -> list[tuple[Path, int, int]]:
        """Stop listening (the port is free again); the batches not yet taken (ended or cut short).

        Calling it again gives the batches left, if any.
        """
        if not self._stopped:
            self._stopped = True
            self._server.shutdown()
        with self._lock:
            for entry in self._open.values():
                self._batches.put((entry[0], entry[1], entry[2]))
            self._open.clear()
        out = []
        while True:
            batch = self.next_batch(0)
            if batch is None:
                return out
            out.append(batch)

    def done_with(self, folder: Path) -> None:
        """Delete a batch's folder (imported)."""
        shutil.rmtree(folder, ignore_errors=True)

    def close(self) -> None:
        if self._own_spool:
            shutil.rmtree(self.spool, ignore_errors=True)
