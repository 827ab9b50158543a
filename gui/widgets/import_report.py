"""The import report for radiographers: what came in, what did not and why.

Files by bucket (imported, already present, rejected, skipped), the rejected
and skipped files with their reasons, and per study the dose source used,
what the estimate lacked, warnings and reference-level flags. Copy to the
clipboard (tab-separated) or save as CSV.
"""
from __future__ import annotations

import csv
import io
import math

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from dosetrail.core.api import exam_is_ionising

from ..workers import error_text, run_in_pool

FILE_COLUMNS = ["Bucket", "File", "Reason"]
STUDY_COLUMNS = ["Date", "Description", "Modalities", "Dose source", "Missing", "Warnings", "Reference levels"]
#: Widest each study column starts (pixels); ``None``: the column takes the width left over.
#: Long texts wrap inside the cell and the tooltip has them whole, so the table fits the dialog.
STUDY_COLUMN_WIDTHS = {"Date": 90, "Description": 190, "Modalities": 90, "Dose source": 140,
                       "Missing": 210, "Warnings": None, "Reference levels": 190}
#: Columns that give up width (down to ``MIN_SHRUNK_WIDTH``) when the dialog is narrow.
SHRINKING_COLUMNS = {"Description", "Dose source", "Missing", "Reference levels"}
MIN_SHRUNK_WIDTH = 70
#: Width the column of warnings keeps at least before the others shrink.
MIN_WARNINGS_WIDTH = 200
CSV_HEADER = ["section", "item", "reason_or_description", "date", "modalities", "dose_sources",
              "missing", "warnings", "reference_levels"]


def report_rows(report) -> list[list[str]]:
    """The report as rows for CSV or the clipboard (header first).

    Parameters
    ----------
    report
        An ``ImportRunReport``.

    Returns
    -------
    list of list of str
        ``summary`` rows (one per bucket), then ``rejected``/``skipped``
        rows (file, reason), then one ``study`` row per study.
    """
    rows = [list(CSV_HEADER)]
    for bucket, count in bucket_counts(report):
        rows.append(["summary", bucket, str(count), "", "", "", "", "", ""])
    for section, items in _file_sections(report):
        for path, reason in items:
            rows.append([section, path, reason, "", "", "", "", "", ""])
    for st in report.studies:
        rows.append(["study", st.study_instance_uid, st.description or "", st.date or "",
                     " ".join(st.modalities), "; ".join(st.sources), "; ".join(st.missing),
                     "; ".join(st.warnings), "; ".join(st.reference_level_flags)])
    return rows


def _file_sections(report) -> tuple[tuple[str, list], ...]:
    """(bucket, [(path, reason)]) of the files tab: rejected, skipped, and copies that conflicted."""
    return (("rejected", report.files_rejected), ("skipped", report.files_skipped),
            ("conflict", list(getattr(report, "instances_conflicting", []))))


def bucket_counts(report) -> list[tuple[str, int]]:
    """``(bucket, count)`` for files read, imported, already present, rejected, skipped."""
    return [
        ("files read", report.files_seen),
        ("imported", report.instances_imported),
        ("already present", report.instances_already_present),
        ("rejected", len(report.files_rejected)),
        ("skipped", len(report.files_skipped)),
    ]


def _when(iso: str) -> str:
    """``2026-11-25T10:00:00.123+00:00`` -> ``2026-11-25 10:00:00``."""
    text = str(iso).replace("T", " ")
    return text.split(".")[0].split("+")[0]


def _item(text: str, tooltip: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemIsEditable)
    item.setToolTip(tooltip if tooltip is not None else text)
    return item


def _table(columns: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectRows)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.setSortingEnabled(False)
    return table


class ImportReportDialog(QDialog):
    """The report of one import run, loaded in the background.

    Parameters
    ----------
    library
        ``dosetrail.core.api.Library`` (``import_report`` is called on a pool thread).
    run_id
        The import run.
    parent
        Owning window.
    """

    loaded = Signal()

    def __init__(self, library, run_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.run_id = run_id
        self.report = None
        self.setWindowTitle(f"Import report #{run_id}")
        self._fit_to_screen(1200, 640)
        layout = QVBoxLayout(self)
        self.header = QLabel("Loading the import report…")
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.header)
        self.counts = QLabel("")
        self.counts.setTextFormat(Qt.RichText)
        layout.addWidget(self.counts)
        self.tabs = QTabWidget()
        self.files_table = _table(FILE_COLUMNS)
        self.studies_table = _table(STUDY_COLUMNS)
        self.studies_table.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        self._rows_timer = QTimer(self)  # re-wrap the rows once column resizing pauses
        self._rows_timer.setSingleShot(True)
        self._rows_timer.setInterval(80)
        self._rows_timer.timeout.connect(self.studies_table.resizeRowsToContents)
        self.studies_table.horizontalHeader().sectionResized.connect(lambda *_: self._rows_timer.start())
        self._fit_timer = QTimer(self)  # fit the columns to the table once its new size is laid out
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.fit_study_columns)
        self.studies_table.installEventFilter(self)
        self.tabs.addTab(self.studies_table, "Studies")
        self.tabs.addTab(self.files_table, "Rejected and skipped files")
        layout.addWidget(self.tabs, 1)
        buttons = QHBoxLayout()
        self.copy_button = QPushButton("Copy to clipboard")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        self.save_button = QPushButton("Save as CSV…")
        self.save_button.clicked.connect(self._save_dialog)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        for b in (self.copy_button, self.save_button):
            b.setEnabled(False)
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self._worker = run_in_pool(library.import_report, run_id, on_result=self.set_report,
                                   on_error=self._on_error)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if obj is self.studies_table and event.type() == QEvent.Resize:
            self._fit_timer.start()
        return super().eventFilter(obj, event)

    def fit_study_columns(self) -> None:
        """Fit the study columns to the table's width: each up to its content and its cap
        (:data:`STUDY_COLUMN_WIDTHS`), the shrinking ones narrower when the warnings would
        get less than :data:`MIN_WARNINGS_WIDTH`; the warnings take the rest."""
        table = self.studies_table
        header = table.horizontalHeader()
        widths: dict[int, int] = {}
        least: dict[int, int] = {}  # a shrunk column still shows its whole title
        for j, title in enumerate(STUDY_COLUMNS):
            cap = STUDY_COLUMN_WIDTHS.get(title)
            if cap is not None:
                least[j] = max(MIN_SHRUNK_WIDTH, header.sectionSizeHint(j))
                content = max(table.sizeHintForColumn(j), header.sectionSizeHint(j)) if table.rowCount() else 0
                widths[j] = max(min(content, cap), least[j])
        shrinking = [j for j in widths if STUDY_COLUMNS[j] in SHRINKING_COLUMNS]
        excess = sum(widths.values()) + MIN_WARNINGS_WIDTH - table.viewport().width()
        room = sum(widths[j] - least[j] for j in shrinking)
        if excess > 0 and room > 0:
            share = min(1.0, excess / room)
            for j in shrinking:
                widths[j] -= math.ceil((widths[j] - least[j]) * share)
        for j, width in widths.items():
            if header.sectionSize(j) != width:
                header.resizeSection(j, width)

    def _fit_to_screen(self, width: int, height: int) -> None:
        screen = (self.parentWidget().screen() if self.parentWidget() else None) or QGuiApplication.primaryScreen()
        if screen is not None:
            area = screen.availableGeometry()
            width, height = min(width, area.width() - 40), min(height, area.height() - 60)
        self.resize(max(width, 640), max(height, 400))

    def _on_error(self, exc: BaseException) -> None:
        self.header.setText(f"The import report could not be loaded: {error_text(exc)}")

    def set_report(self, report) -> None:
        """Show an ``ImportRunReport``."""
        self.report = report
        sources = ", ".join(report.sources) or "—"
        when = _when(report.started_at) + (f" – {_when(report.finished_at)}" if report.finished_at else "")
        self.header.setText(f"<b>Import #{report.run_id}</b> ({report.status}), {when}<br>From: {sources}")
        self.header.setTextFormat(Qt.RichText)
        parts = []
        for bucket, count in bucket_counts(report):
            colour = "#c92a2a" if bucket == "rejected" and count else None
            text = f"{bucket}: <b>{count}</b>"
            parts.append(f'<span style="color:{colour}">{text}</span>' if colour else text)
        self.counts.setText(" &nbsp;·&nbsp; ".join(parts))
        self._fill_files(report)
        self._fill_studies(report)
        self.tabs.setTabText(0, f"Studies ({len(report.studies)})")
        n_files = sum(len(items) for _bucket, items in _file_sections(report))
        conflicts = "Rejected, skipped and conflicting" if _file_sections(report)[2][1] else "Rejected and skipped"
        self.tabs.setTabText(1, f"{conflicts} files ({n_files})")
        if report.files_rejected and not report.studies:
            self.tabs.setCurrentIndex(1)
        for b in (self.copy_button, self.save_button):
            b.setEnabled(True)
        self.loaded.emit()

    def _fill_files(self, report) -> None:
        rows = [(bucket, p, r) for bucket, items in _file_sections(report) for p, r in items]
        table = self.files_table
        table.setRowCount(len(rows))
        for i, (bucket, path, reason) in enumerate(rows):
            table.setItem(i, 0, _item(bucket))
            table.setItem(i, 1, _item(path))
            table.setItem(i, 2, _item(reason))
        table.resizeColumnToContents(0)
        table.setColumnWidth(1, min(420, max(160, table.sizeHintForColumn(1))))

    def _fill_studies(self, report) -> None:
        table = self.studies_table
        table.setRowCount(len(report.studies))
        for i, st in enumerate(report.studies):
            needs_dose = exam_is_ionising(st.modalities) is not False  # MR, US: no dose data to miss
            if st.sources:
                source = ", ".join(st.sources)
            else:
                source = "none" if needs_dose else "not needed"
            lists = [st.missing, st.warnings, st.reference_level_flags]
            values = [st.date or "unknown", st.description or "", ", ".join(st.modalities), source]
            values += ["\n".join(items) for items in lists]  # one item a line; CSV keeps "; "
            for j, text in enumerate(values):
                item = _item(text)
                if j == 1:
                    item.setToolTip(f"{text}\nStudy UID {st.study_instance_uid}")
                if j == 3 and not st.sources:
                    if needs_dose:
                        item.setForeground(Qt.darkYellow)
                        item.setToolTip("No dose figures were found for this study")
                    else:
                        item.setToolTip(f"{', '.join(st.modalities)} uses no ionising radiation: "
                                        "no dose figures are needed")
                if j == 6 and st.reference_level_flags:
                    item.setForeground(Qt.red)
                table.setItem(i, j, item)
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        for j, title in enumerate(STUDY_COLUMNS):
            stretch = STUDY_COLUMN_WIDTHS.get(title) is None
            header.setSectionResizeMode(j, QHeaderView.Stretch if stretch else QHeaderView.Interactive)
        table.setWordWrap(True)  # long warnings and reference-level flags wrap instead of eliding
        self.fit_study_columns()
        table.resizeRowsToContents()

    def rows(self) -> list[list[str]]:
        """The shown report as rows (see :func:`report_rows`); empty until loaded."""
        return report_rows(self.report) if self.report is not None else []

    def copy_to_clipboard(self) -> str:
        """Put the report on the clipboard as tab-separated text and return it."""
        text = "\n".join("\t".join(cell.replace("\t", " ") for cell in row) for row in self.rows())
        QGuiApplication.clipboard().setText(text)
        return text

    def save_csv(self, path: str) -> None:
        """Write the report as a UTF-8 CSV file (mode 0600; no cell is a spreadsheet formula)."""
        from dosetrail.core.api import spreadsheet_safe, write_private

        buffer = io.StringIO()
        csv.writer(buffer).writerows([spreadsheet_safe(cell) for cell in row] for row in self.rows())
        write_private(path, buffer.getvalue())

    def _save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save import report", f"import-report-{self.run_id}.csv",
                                              "CSV files (*.csv)")
        if path:
            try:
                self.save_csv(path)
            except OSError as exc:  # a full disk, a read-only folder: said, not a traceback
                QMessageBox.warning(self, "Save import report", f"Cannot save {path}: {exc.strerror or exc}")
