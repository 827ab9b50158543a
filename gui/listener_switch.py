"""File > Receive from archives: the storage listener (``dosetrail receive``) switched on and off.

The listener runs ``Library.receive_iter`` in a :class:`~.workers.GeneratorWorker` on the thread
pool (never the GUI thread); the status bar says "Listening as AET on port N" while it runs;
each association's instances are imported when it ends and the window reloads (at most once
a second) to show the patient. A port in use is one message and the switch goes back off.
The AE title and port are the window's settings (:meth:`SettingsStore.listener`), by default
those of ``dosetrail receive``.
"""
from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

from .dialogs.archive_find import ThrottledReload
from .formatting import plural
from .workers import GeneratorWorker, connect_and_start, error_text

#: How often the listener's progress reaches the GUI at most (seconds).
PROGRESS_INTERVAL = 0.2


class ListenerSwitch(QObject):
    """The checkable action :attr:`action` and the listener it starts and stops.

    Parameters
    ----------
    window : MainWindow
        Its ``library``, ``store``, ``controller``, ``presenter`` and status bar are used.
    """

    #: True once the listener listens, False once it has stopped (or could not start).
    listeningChanged = Signal(bool)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self.worker: GeneratorWorker | None = None
        self._cancel: threading.Event | None = None
        self._studies_seen = 0
        self.listening = False
        self.last_error: str | None = None
        self.action = QAction("Re&ceive from archives", window)
        self.action.setCheckable(True)
        self.action.setToolTip("Listen for studies an archive or a modality sends (DICOM storage), and import them")
        self.action.toggled.connect(self.set_on)
        self.status = QLabel()
        self.status.setAccessibleName("Listener")
        self.status.setVisible(False)
        # what a modality pushes does not take the window away from the patient being read
        self.reloader = ThrottledReload(window, self, follow=False)

    def set_on(self, on: bool) -> None:
        """Start (True) or stop (False) the listener."""
        if on and self.worker is None:
            self._start()
        elif not on and self.worker is not None and self._cancel is not None:
            self._cancel.set()
            self._show("Stopping the listener…")

    def _start(self) -> None:
        aet, port = self.w.store.listener()
        self._cancel = threading.Event()
        self._studies_seen = 0
        self.last_error = None
        self._show("Starting the listener…")
        self.worker = connect_and_start(
            GeneratorWorker(self.w.library.receive_iter, aet, port, cancel=self._cancel, throttle=PROGRESS_INTERVAL),
            on_progress=self._on_progress, on_error=self._failed, on_finished=self._finished, owner=self)

    def _on_progress(self, p) -> None:
        if not self.listening:
            self.listening = True
            self.listeningChanged.emit(True)
        if self._cancel is not None and self._cancel.is_set():
            return
        text = p.message or f"Listening as {p.aet} on port {p.port}"
        if p.instances_received:
            text += f" – {plural(p.instances_received, 'instance')} received, {p.instances_imported} imported"
        self._show(text)
        if len(p.studies_touched) > self._studies_seen:
            self._studies_seen = len(p.studies_touched)
            self.reloader.request(list(p.patients_touched))

    def _failed(self, exc: BaseException) -> None:
        self.last_error = f"The listener could not run: {error_text(exc)}"
        self.w.presenter.show_failure(self.last_error)

    def _finished(self) -> None:
        self.worker = None
        self._cancel = None
        was = self.listening
        self.listening = False
        self.status.setVisible(False)
        self.action.blockSignals(True)
        self.action.setChecked(False)
        self.action.blockSignals(False)
        if was:
            self.w.statusBar().showMessage("The listener has stopped", 5000)
            self.listeningChanged.emit(False)
        if self._studies_seen:
            self.w.controller.reload()

    def _show(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(True)

    def shutdown(self, timeout_s: float) -> None:
        """Stop the listener and wait for it (the window is closing)."""
        worker = self.worker
        if worker is not None and self._cancel is not None:
            self._cancel.set()
            worker.wait(timeout_s)
