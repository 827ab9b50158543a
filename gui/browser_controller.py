"""The main window's logic: loading patients and histories off the GUI thread,
applying settings, exporting, and keeping the exam table and the timeline
selection in step.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, QObject, Signal
from PySide6.QtWidgets import QTableView

from dosetrail.core.api import PatientHistory, Settings

from .models.exams import ExamRole, ExamTableModel, UidRole
from .widgets.timeline import TimelineWidget
from .workers import error_text, run_in_pool


class BrowserController(QObject):
    """Runs the slow library calls in the pool and reports through signals.

    Results of an outdated request (the user clicked another patient
    meanwhile) are dropped.

    Parameters
    ----------
    library : Library
        The core facade (or a test double).
    parent : QObject, optional
    """

    patientsLoaded = Signal(list)  # list[PatientSummary]
    historyLoaded = Signal(object)  # PatientHistory | None
    settingsApplied = Signal(object)  # Settings
    pdfWritten = Signal(str)  # path
    busyChanged = Signal(bool)
    progressText = Signal(str)  # e.g. "Recomputing the dose estimates: 40 of 120 studies"
    failed = Signal(str)  # user-readable message

    def __init__(self, library, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.current_key: str | None = None
        self.history: PatientHistory | None = None
        self._history_request = 0
        self._patients_request = 0
        self._busy = 0
        self.workers: list[Any] = []

    # helpers ------------------------------------------------------------------
    def _run(self, fn, *args, on_result, what: str, on_progress=None) -> None:
        self._set_busy(+1)

        def done(result) -> None:
            self._set_busy(-1)
            on_result(result)

        def error(exc: BaseException) -> None:
            self._set_busy(-1)
            self.failed.emit(f"{what} failed: {error_text(exc)}")

        # closures: skipped once this controller is deleted (its window closed while the job ran)
        worker = run_in_pool(fn, *args, on_result=done, on_error=error, on_progress=on_progress, owner=self)
        self.workers = [w for w in self.workers if w is not None][-8:] + [worker]

    def _set_busy(self, delta: int) -> None:
        before = self._busy > 0
        self._busy = max(0, self._busy + delta)
        if (self._busy > 0) != before:
            self.busyChanged.emit(self._busy > 0)

    @property
    def busy(self) -> bool:
        """True while a request runs."""
        return self._busy > 0

    # requests -----------------------------------------------------------------
    def refresh_patients(self) -> None:
        """Load every patient summary (``patientsLoaded`` when done)."""
        self._patients_request += 1
        ticket = self._patients_request

        def deliver(rows) -> None:
            if ticket == self._patients_request:
                self.patientsLoaded.emit(list(rows))

        self._run(self.library.patients, on_result=deliver, what="Loading patients")

    def load_history(self, key: str | None) -> None:
        """Load one patient's history (``historyLoaded``); None clears it."""
        self.current_key = key
        self._history_request += 1
        ticket = self._history_request
        if key is None:
            self.history = None
            self.historyLoaded.emit(None)
            return

        def deliver(history) -> None:
            if ticket == self._history_request:
                self.history = history
                self.historyLoaded.emit(history)

        self._run(self.library.history, key, on_result=deliver, what="Loading the history")

    def reload(self) -> None:
        """Refresh the patient list and the current history (after an import or merge)."""
        self.refresh_patients()
        if self.current_key is not None:
            self.load_history(self.current_key)

    def apply_settings(self, settings: Settings) -> None:
        """Save settings and recompute every estimate, then :meth:`reload`."""

        def deliver(_none) -> None:
            self.settingsApplied.emit(settings)
            self.reload()

        def recompute(progress) -> None:  # the worker passes its progress signal's emit
            self.library.update_settings(settings, progress=lambda done, total: progress((done, total)))

        def report(step) -> None:
            done, total = step
            self.progressText.emit(f"Recomputing the dose estimates: {done} of {total} studies")

        self._run(recompute, on_result=deliver, what="Recomputing the estimates", on_progress=report)

    def set_count_in_total(self, study_uid: str, counted: bool | None) -> None:
        """Count a study in its patient's total (True), leave it out (False) or follow the
        QA/phantom detection (None); then :meth:`reload`."""
        self._run(self.library.set_count_in_total, study_uid, counted,
                  on_result=lambda _key: self.reload(), what="Changing what the total counts")

    def export_pdf(self, key: str, path: str) -> None:
        """Write the printable report of ``key`` to ``path`` (``pdfWritten``)."""
        self._run(self.library.write_report_pdf, key, path,
                  on_result=lambda _r: self.pdfWritten.emit(path), what="Writing the PDF report")


class ExamSelectionSync(QObject):
    """Keeps the exam table's current row and the timeline's marker in step.

    Emits :attr:`examChanged` with the selected :class:`ExamView` (or None)
    whichever side the selection came from.
    """

    examChanged = Signal(object)

    def __init__(self, table: QTableView, model: ExamTableModel, timeline: TimelineWidget,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self.model = model
        self.timeline = timeline
        timeline.examSelected.connect(self.select_uid)
        self._connect_selection()

    def _connect_selection(self) -> None:
        self.table.selectionModel().currentRowChanged.connect(self._on_row)

    def _on_row(self, current, _previous) -> None:
        uid = current.data(UidRole) if current.isValid() else None
        self.timeline.select_exam(uid)
        self.examChanged.emit(current.data(ExamRole) if current.isValid() else None)

    def select_uid(self, uid: str) -> None:
        """Make the exam ``uid`` the table's current row (and so the timeline's)."""
        row = self.model.row_of(uid)
        if row < 0:
            return
        view_model = self.table.model()
        index = self.model.index(row, 0)
        if view_model is not self.model:
            index = view_model.mapFromSource(index)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)

    def current_uid(self) -> str | None:
        """Study UID of the table's current row."""
        idx = self.table.currentIndex()
        return idx.data(UidRole) if idx.isValid() else None
