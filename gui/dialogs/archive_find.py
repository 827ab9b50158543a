"""File > Find in archive…: search a hospital archive for a patient's studies and retrieve them.

The search (``Library.find_in_archive``) runs on the thread pool; the retrieve drives the
``Library.retrieve_from_archive_iter`` generator from a :class:`~..workers.GeneratorWorker`
with a progress bar and Cancel (a ``threading.Event`` the import sees between files). What is
retrieved lands through the ordinary import, study by study as it arrives:
:attr:`ArchiveFindDialog.arrived` carries the patients touched so far while the retrieve runs
(the window reloads at most once per :data:`RELOAD_INTERVAL_MS`, off the GUI thread, so the
patient's timeline fills as studies arrive), :attr:`ArchiveFindDialog.retrieved` at the end.
The bar counts the instances received of those the archive's queries announced.
"""
from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dosetrail.core.api import ArchiveStudy, to_date

from ..formatting import plural
from ..models.patients import display_name
from ..workers import GeneratorWorker, connect_and_start, error_text, run_in_pool

#: Progress is forwarded to the GUI at most this often (seconds).
PROGRESS_INTERVAL = 0.1
#: While a retrieve runs, the window reloads the patient at most this often (milliseconds).
RELOAD_INTERVAL_MS = 1000
COLUMNS = ("Date", "Patient", "Modalities", "Description", "Series", "Instances", "In library")
NO_ARCHIVE_TEXT = (
    "No hospital archive is set up yet. Add one in a terminal, then open this window again:\n"
    "    dosetrail pacs add NAME --dimse AET@HOST:PORT\n"
    "or\n"
    "    dosetrail pacs add NAME --dicomweb https://host/dicom-web"
)


def _count(n: int | None) -> str:
    return "?" if n is None else str(n)


def _date(text: str | None) -> str:
    d = to_date(text) if text else None
    return d.isoformat() if d is not None else (text or "undated")


class ArchiveFindDialog(QDialog):
    """Find a patient's studies in an archive and retrieve them (dose only by default).

    Parameters
    ----------
    library : LibraryAPI
        ``archives()``, ``find_in_archive()`` and ``retrieve_from_archive_iter()`` are called.
    parent : QWidget, optional
    """

    #: The patient keys a retrieve touched (emitted once it has been imported).
    retrieved = Signal(list)
    #: The patient keys touched so far, each time another study has been imported during a retrieve.
    arrived = Signal(list)

    def __init__(self, library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find in archive")
        self.library = library
        self.studies: list[ArchiveStudy] = []
        self.worker = None
        self._cancel: threading.Event | None = None
        self.summary = None
        self._build()
        self._load_archives()

    # -- layout ---------------------------------------------------------
    def _build(self) -> None:
        self.archive = QComboBox()
        self.patient_id = QLineEdit()
        self.patient_name = QLineEdit()
        self.patient_name.setPlaceholderText("DOE^JANE, wildcards * and ?")
        self.birth_date = QLineEdit()
        self.birth_date.setPlaceholderText("YYYYMMDD")
        self.search_button = QPushButton("&Search")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        for field in (self.patient_id, self.patient_name, self.birth_date):
            field.returnPressed.connect(self.search)
        form = QFormLayout()
        form.addRow("&Archive:", self.archive)
        form.addRow("Patient &ID:", self.patient_id)
        form.addRow("Patient &name:", self.patient_name)
        form.addRow("&Birth date:", self.birth_date)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dose_only = QCheckBox("&Dose only (dose reports, dose screens and a few headers per series)")
        self.dose_only.setChecked(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.retrieve_button = QPushButton("&Retrieve")
        self.retrieve_button.clicked.connect(self.retrieve)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.dose_only)
        buttons.addStretch(1)
        for b in (self.retrieve_button, self.cancel_button, self.close_button):
            buttons.addWidget(b)
        search_row = QHBoxLayout()
        search_row.addLayout(form, 1)
        search_row.addWidget(self.search_button, 0, Qt.AlignmentFlag.AlignBottom)

        layout = QVBoxLayout(self)
        layout.addLayout(search_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)
        self.resize(820, 520)

    def _load_archives(self) -> None:
        try:
            archives = self.library.archives()
        except Exception as exc:  # noqa: BLE001 - a broken settings file is one message
            archives, text = [], f"The archives could not be read: {error_text(exc)}"
        else:
            text = NO_ARCHIVE_TEXT
        for a in archives:
            self.archive.addItem(f"{a.name} ({a.address})", a.name)
        if not archives:
            self._say(text)
            for w in (self.archive, self.patient_id, self.patient_name, self.birth_date, self.search_button):
                w.setEnabled(False)
        self._update_buttons()

    # -- search ---------------------------------------------------------
    def search(self) -> None:
        """Ask the archive for the studies matching the search fields (on the thread pool)."""
        if not self.search_button.isEnabled():
            return
        pid, name, birth = (f.text().strip() for f in (self.patient_id, self.patient_name, self.birth_date))
        if not (pid or name or birth):
            self._say("Give a patient ID, a name or a birth date.")
            return
        self._set_busy(True)
        self._say(f"Searching {self.archive.currentData()}…")
        run_in_pool(self.library.find_in_archive, self.archive.currentData(), pid or None, name or None,
                    birth or None, on_result=self._show_studies, on_error=self._failed,
                    on_finished=lambda: self._set_busy(False), owner=self)

    def _show_studies(self, studies: list[ArchiveStudy]) -> None:
        self.studies = list(studies)
        self.table.setRowCount(len(studies))
        for row, s in enumerate(studies):
            values = (_date(s.date), display_name(s.patient_name) if s.patient_name else (s.patient_id or ""), ", ".join(s.modalities),
                      s.description or "", _count(s.series_count), _count(s.instance_count),
                      "yes" if s.in_library else "no")
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col in (4, 5):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(f"Patient ID {s.patient_id or '?'} · study {s.study_instance_uid}")
                self.table.setItem(row, col, item)
        self.table.selectAll()
        held = sum(s.in_library for s in studies)
        self._say(f"{plural(len(studies), 'study', 'studies')} found, {held} already in the library."
                  if studies else "No studies found.")
        self._update_buttons()

    # -- retrieve -------------------------------------------------------
    def selected_studies(self) -> list[ArchiveStudy]:
        """The studies whose rows are selected, in table order."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.studies[r] for r in rows]

    def retrieve(self) -> None:
        """Retrieve the selected studies (one patient's) and import them."""
        chosen = self.selected_studies()
        ids = {s.patient_id for s in chosen}
        if not chosen:
            return
        if len(ids) != 1 or None in ids:
            self._say("Choose the studies of one patient (with a patient ID) to retrieve.")
            return
        self._cancel = threading.Event()
        self.summary = None
        self._studies_seen = 0
        self._set_busy(True, retrieving=True)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self._say(f"Retrieving {plural(len(chosen), 'study', 'studies')}…")
        self.worker = connect_and_start(
            GeneratorWorker(self.library.retrieve_from_archive_iter, self.archive.currentData(), ids.pop(),
                            [s.study_instance_uid for s in chosen], dose_only=self.dose_only.isChecked(),
                            cancel=self._cancel, throttle=PROGRESS_INTERVAL),
            on_progress=self._on_progress, on_result=self._retrieved, on_error=self._failed,
            on_finished=self._retrieve_finished, owner=self)

    def _on_progress(self, p) -> None:
        expected = getattr(p, "instances_expected", 0)
        if expected:
            self.progress.setRange(0, expected)
            self.progress.setValue(min(getattr(p, "instances_received", 0), expected))
        imported = list(getattr(p, "studies_imported", []))
        if len(imported) > self._studies_seen:
            self._studies_seen = len(imported)
            self._mark_in_library(imported)
            self.arrived.emit(list(getattr(p, "patients_touched", [])))
        if p.message:
            self._say(p.message)
        elif expected:
            studies = getattr(p, "studies_expected", 0)
            self._say(f"Receiving: {p.instances_received} of {plural(expected, 'instance')} "
                      f"({p.bytes_received:,} bytes); {len(imported)} of {plural(studies, 'study', 'studies')} "
                      "in the library" + ("; cancelling…" if self._cancel is not None and self._cancel.is_set()
                                          else ""))
        elif p.files_seen:
            self._say(f"Importing: {plural(p.files_seen, 'file')} read")

    def cancel(self) -> None:
        """Stop the transfer at the next instance; what arrived is imported and stays."""
        if self._cancel is not None:
            self._cancel.set()
            self.cancel_button.setEnabled(False)
            self._say("Cancelling…")

    def _retrieved(self, summary) -> None:
        self.summary = summary
        done = "Cancelled" if summary.cancelled else "Done"
        self._say(f"{done}: {plural(summary.instances_received, 'instance')} received "
                  f"({summary.bytes_received:,} bytes), {summary.instances_imported} imported, "
                  f"{summary.instances_already_present} already present"
                  + (f", {plural(len(summary.files_rejected), 'file')} rejected" if summary.files_rejected else "")
                  + ".")
        self._mark_in_library(summary.studies_touched)
        self.retrieved.emit(list(summary.patients_touched))

    def _mark_in_library(self, study_uids) -> None:
        touched = set(study_uids)
        for row, s in enumerate(self.studies):
            if s.study_instance_uid in touched:
                s.in_library = True
                self.table.item(row, len(COLUMNS) - 1).setText("yes")

    def _retrieve_finished(self) -> None:
        self.progress.setVisible(False)
        self._cancel = None
        self.worker = None
        self._set_busy(False)

    # -- state ----------------------------------------------------------
    def _failed(self, exc: BaseException) -> None:
        self._say(error_text(exc), error=True)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b00020;" if error else "")

    def _set_busy(self, busy: bool, retrieving: bool = False) -> None:
        self.search_button.setEnabled(not busy and self.archive.count() > 0)
        self.cancel_button.setEnabled(busy and retrieving)
        self.close_button.setEnabled(not busy)
        self._busy = busy
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = getattr(self, "_busy", False)
        self.retrieve_button.setEnabled(not busy and bool(self.table.selectionModel().selectedRows()))

    def reject(self) -> None:  # noqa: D102 - Escape cancels a retrieve rather than leaving it running
        if self.worker is not None:
            self.cancel()
            return
        super().reject()


class ThrottledReload(QObject):
    """Reload ``window`` for the patients a retrieve touched, at most once per ``interval_ms``.

    The first call shows the first patient touched (with ``follow``; without, only when no
    patient is shown); later ones refresh whichever patient is shown (the user may have
    picked another meanwhile). The reload itself runs on the thread pool
    (:meth:`BrowserController.reload`).
    """

    def __init__(self, window, parent: QObject | None = None, interval_ms: int = RELOAD_INTERVAL_MS,
                 follow: bool = True) -> None:
        super().__init__(parent)
        self.window = window
        self.follow = follow
        self.reloads = 0
        self._shown = False
        self._pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._due)

    def request(self, keys: list) -> None:
        """Studies of ``keys`` were imported: reload now, or when the interval is over."""
        if keys and ((self.follow and not self._shown) or self.window.controller.current_key is None):
            self._shown = True
            self.window.controller.current_key = keys[0]
        if self._timer.isActive():
            self._pending = True
            return
        self._reload()

    def _due(self) -> None:
        if self._pending:
            self._reload()

    def _reload(self) -> None:
        self._pending = False
        self.reloads += 1
        self.window.controller.reload()
        self._timer.start()


def open_archive_find(window) -> ArchiveFindDialog:
    """Open the dialog over ``window``; the window shows the patient as studies arrive, and reloads at the end."""
    dialog = ArchiveFindDialog(window.library, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.reloader = ThrottledReload(window, dialog)  # dies with the dialog

    def show(keys: list) -> None:
        if keys:
            window.controller.current_key = keys[0]
        window.controller.reload()

    dialog.arrived.connect(dialog.reloader.request)
    dialog.retrieved.connect(show)
    dialog.open()
    return dialog
