"""What the main window's actions and the controller's results do to its widgets.

:class:`WindowPresenter` holds the behaviour so that :mod:`.main_window` stays
composition: it shows loaded patients and histories, switches the patient and
clinician views, and runs the File/Patient menu dialogs (settings, merge,
split, export, print).
"""
from __future__ import annotations

import os
from html import escape

from PySide6.QtCore import QObject, Qt
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox

from dosetrail.core.api import LibraryError, data_home

from .dialogs.merge_split import MergePatientsDialog, SplitPatientDialog
from .dialogs.settings import SettingsDialog
from .formatting import fmt_birth_date, plural, total_text
from .models.exams import plain_columns, technical_columns
from .models.patients import KeyRole, display_name
from .patient_facts import body_size_text
from .printing import report_settings, start_print
from .table_fit import fit_exam_columns

PAGE_EMPTY, PAGE_LIBRARY = 0, 1


def header_text(p) -> str:
    """The patient header: name, birth date (``unknown`` for a placeholder), IDs (``no patient ID``
    when there is none), exam count and total. ``p`` is a ``PatientSummary``."""
    ids = ", ".join(escape(i) for i, _ in p.patient_ids if i)
    ids_text = f"ID {ids}" if len(p.patient_ids) == 1 and ids else f"IDs {ids}" if ids else "no patient ID"
    return (f"<b>{escape(display_name(p.name))}</b> – born {fmt_birth_date(p.birth_date)} – {ids_text} – "
            f"{plural(p.exam_count, 'exam')}, {total_text(p)}"
            + (f" – {escape(body_size_text(p))}" if body_size_text(p) else ""))


class WindowPresenter(QObject):
    """Slots of the main window.

    Parameters
    ----------
    window : MainWindow
        The window whose widgets, controller, library and store are used.
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self.last_message: QMessageBox | None = None

    def settings_rate(self) -> float:
        """The natural background dose rate of the library's settings (mSv/year)."""
        return float(getattr(self.w.library.settings, "background_msv_per_year", 2.4))

    def import_unavailable(self) -> None:
        """Explain that this build has no import flow."""
        QMessageBox.information(self.w, "Import", "The import flow is not available in this build.")

    def set_view(self, view: str) -> None:
        """Switch between ``"patient"`` (plain language) and ``"clinician"`` (every figure)."""
        clinician = view == "clinician"
        self.w.details.setCurrentWidget(self.w.clinician if clinician else self.w.summary)
        self.w.timeline.set_clinician(clinician)
        for col in technical_columns():
            self.w.exam_view.setColumnHidden(col, not clinician)
        for col in plain_columns():
            self.w.exam_view.setColumnHidden(col, clinician)
        fit_exam_columns(self.w.exam_view)
        self.w.store.set_last_view(view, self.w.library_id)

    def apply_search(self, text: str) -> None:
        """Filter the patient list by ``text`` (name, patient ID or birth date)."""
        self.w.patient_proxy.set_search(text)
        self.update_count()

    def update_count(self) -> None:
        """Show how many patients are listed (and how many match the search)."""
        shown, total = self.w.patient_proxy.rowCount(), self.w.patient_model.rowCount()
        self.w.patient_count.setText(f"{total} patients" if shown == total
                                   else f"{shown} of {total} patients match")

    def show_patients(self, patients: list) -> None:
        """Fill the patient list; keep the current patient selected (else the first).

        An empty library shows the first-import page.
        """
        key = self.w.controller.current_key
        self.w.patient_model.set_patients(patients)
        self.w.pages.setCurrentIndex(PAGE_EMPTY if not patients else PAGE_LIBRARY)
        self.update_count()
        row = self.w.patient_model.row_of(key) if key else -1
        if row < 0 and self.w.patient_proxy.rowCount():
            idx = self.w.patient_proxy.index(0, 0)
        elif row >= 0:
            idx = self.w.patient_proxy.mapFromSource(self.w.patient_model.index(row, 0))
        else:
            self.w.controller.load_history(None)
            return
        self.w.patient_view.setCurrentIndex(idx)
        if idx.data(KeyRole) == key:  # same patient: no row change, reload explicitly
            self.w.controller.load_history(key)

    def on_patient_row(self, current, _previous) -> None:
        """Load the history of the patient row that became current."""
        key = current.data(KeyRole) if current.isValid() else None
        if key != self.w.controller.current_key or self.w.controller.history is None:
            self.w.controller.load_history(key)

    def show_history(self, history) -> None:
        """Show ``history`` (or nothing) in the header, timeline, table and panels."""
        rate = self.settings_rate()
        keep = self.w.sync.current_uid()  # same exam stays selected after a reload
        self.w.exam_model.set_exams(history.exams if history else [])
        fit_exam_columns(self.w.exam_view)
        self.w.timeline.set_history(history, rate)
        self.w.summary.set_history(history, rate)
        self.w.clinician.set_history(history)
        self.w.previews.set_exam(None)
        if history is None:
            self.w.header.setText("Select a patient")
            return
        if keep is not None and self.w.exam_model.row_of(keep) >= 0:
            self.w.sync.select_uid(keep)
        p = history.patient
        self.w.header.setText(header_text(p))

    def show_failure(self, message: str) -> None:
        """Tell the user that a background request failed (non-modal message)."""
        self.w.statusBar().showMessage(message, 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, "DoseTrail", message,
                          QMessageBox.StandardButton.Ok, self.w)
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        self.last_message = box

    def export_pdf(self) -> None:
        """Ask for a file name and write the current patient's PDF report in the pool."""
        key = self.w.controller.current_key
        if key is None:
            self.w.statusBar().showMessage("Select a patient first.", 5000)
            return
        path, _ = QFileDialog.getSaveFileName(self.w, "Export dose report", "dose-report.pdf",
                                              "PDF files (*.pdf)")
        if path:
            self.w.controller.export_pdf(key, path)

    def print_report(self) -> None:
        """Print the current patient's history (summary and exam table)."""
        history = self.w.controller.history
        if history is None:
            self.w.statusBar().showMessage("Select a patient first.", 5000)
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self.w)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.w.statusBar().showMessage("Printing the dose report…")
        # bound methods of this QObject: no slot runs once the window is gone
        self._print_job = start_print(  # kept referenced until it has finished
            history, report_settings(history, self.settings_rate()), printer,
            on_done=self.print_done, on_error=self.print_failed)

    def print_done(self, pages: int) -> None:
        """Say that the print job has gone to the printer."""
        self.w.statusBar().showMessage(f"Dose report printed ({plural(pages, 'page')}).", 8000)

    def print_failed(self, exc: BaseException) -> None:
        """Say why the print job failed."""
        from .workers import error_text

        self.show_failure(f"Printing failed: {error_text(exc)}")

    def open_settings(self) -> None:
        """Show the settings dialog; apply dose settings in the pool."""
        folder = self.w.store.data_folder() or os.environ.get("DOSETRAIL_HOME") or str(data_home())
        dialog = SettingsDialog(self.w.library.settings, folder, self.w, listener=self.w.store.listener(),
                                store=self.w.library.store_location)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.w.store.set_listener(*dialog.listener())
        if dialog.store_path():
            try:
                where = self.w.library.set_store(dialog.store_path())
            except LibraryError as exc:  # the folder is not there, or does not hold the library's files
                QMessageBox.warning(self.w, "File store not changed", str(exc))
            else:
                self.w.statusBar().showMessage(f"File store: {where.path}", 8000)
        if dialog.data_folder_path() and dialog.data_folder_path() != folder:
            self.w.store.set_data_folder(dialog.data_folder_path())
            self.w.statusBar().showMessage("The new data folder is used after a restart.", 8000)
        if dialog.settings_changed():
            self.w.controller.apply_settings(dialog.settings())

    def merge_patients(self) -> None:
        """Merge two patients (dialog), then reload."""
        patients = [self.w.patient_model.patient(r) for r in range(self.w.patient_model.rowCount())]
        dialog = MergePatientsDialog(self.w.library, patients, self.w.controller.current_key, self.w)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.w.controller.current_key = dialog.merged_key
            self.w.controller.reload()

    def split_patient(self) -> None:
        """Split identifiers off the current patient (dialog), then reload."""
        history = self.w.controller.history
        if history is None:
            self.w.statusBar().showMessage("Select a patient first.", 5000)
            return
        dialog = SplitPatientDialog(self.w.library, history.patient, self.w)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.w.controller.reload()
