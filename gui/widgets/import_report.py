"""The import report for radiographers: what came in, what did not and why.

Files by bucket (imported, already present, rejected, skipped), the rejected
and skipped files with their reasons, and per study the dose source used,
what the estimate lacked, warnings and reference-level flags. Copy to the
clipboard (tab-separated) or save as CSV.
"""
from __future__ import annotations

import csv
import io

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..workers import run_in_pool

FILE_COLUMNS = ["Bucket", "File", "Reason"]
STUDY_COLUMNS = ["Date", "Description", "Modalities", "Dose source", "Missing", "Warnings", "Reference levels"]
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
    for section, items in (("rejected", report.files_rejected), ("skipped", report.files_skipped)):
        for path, reason in items:
            rows.append([section, path, reason, "", "", "", "", "", ""])
    for st in report.studies:
        rows.append(["study", st.study_instance_uid, st.description or "", st.date or "",
                     " ".join(st.modalities), "; ".join(st.sources), "; ".join(st.missing),
                     "; ".join(st.warnings), "; ".join(st.reference_level_flags)])
    return rows


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
        self.resize(900, 560)
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

    def _on_error(self, message: str) -> None:
        self.header.setText(f"The import report could not be loaded: {message}")

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
        n_files = len(report.files_rejected) + len(report.files_skipped)
        self.tabs.setTabText(1, f"Rejected and skipped files ({n_files})")
        if report.files_rejected and not report.studies:
            self.tabs.setCurrentIndex(1)
        for b in (self.copy_button, self.save_button):
            b.setEnabled(True)
        self.loaded.emit()

    def _fill_files(self, report) -> None:
        rows = [("rejected", p, r) for p, r in report.files_rejected]
        rows += [("skipped", p, r) for p, r in report.files_skipped]
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
            values = [st.date or "unknown", st.description or "", ", ".join(st.modalities),
                      ", ".join(st.sources) or "none", "; ".join(st.missing),
                      "; ".join(st.warnings), "; ".join(st.reference_level_flags)]
            for j, text in enumerate(values):
                item = _item(text)
                if j == 1:
                    item.setToolTip(f"{text}\nStudy UID {st.study_instance_uid}")
                if j == 3 and not st.sources:
                    item.setForeground(Qt.darkYellow)
                if j == 6 and st.reference_level_flags:
                    item.setForeground(Qt.red)
                table.setItem(i, j, item)
        header = table.horizontalHeader()
        for j in range(len(STUDY_COLUMNS) - 1):
            header.setSectionResizeMode(j, QHeaderView.Interactive)
            table.resizeColumnToContents(j)
            table.setColumnWidth(j, min(table.columnWidth(j), 200))
        table.setWordWrap(True)  # long warnings and reference-level flags wrap instead of eliding
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
        """Write the report as a UTF-8 CSV file."""
        buffer = io.StringIO()
        csv.writer(buffer).writerows(self.rows())
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(buffer.getvalue())

    def _save_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save import report", f"import-report-{self.run_id}.csv",
                                              "CSV files (*.csv)")
        if path:
            self.save_csv(path)
