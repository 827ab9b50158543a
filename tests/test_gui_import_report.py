"""gui.widgets.import_report.ImportReportDialog: buckets, reasons, per-study dose info, CSV."""
from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from dosetrail.core.api import ImportRunReport, StudyImportReport
from dosetrail.gui.widgets.import_report import CSV_HEADER, ImportReportDialog, bucket_counts
from gui_fakes import FakeLibrary

pytestmark = pytest.mark.gui


def _report() -> ImportRunReport:
    return ImportRunReport(
        run_id=7, started_at="2026-11-25T10:00:00", finished_at="2026-11-25T10:01:12", status="done",
        sources=["/media/cdrom"], files_seen=40, instances_imported=33, instances_already_present=4,
        files_rejected=[("/media/cdrom/IM1", "truncated file, with a comma"),
                        ("/media/cdrom/a.zip!b.dcm", "encrypted archive: run again with --password")],
        files_skipped=[("/media/cdrom/AUTORUN.INF", "not DICOM")],
        studies=[
            StudyImportReport("1.2.3", "P1", "2019-01-20", "CT TAP", ["CT", "SR"], ["RDSR"], [], [],
                              ["UK-2022 chest-abdomen-pelvis DLP 1200 > 940"]),
            StudyImportReport("1.2.4", "P1", None, "ANGIO", ["XA"], [], ["DAP"], ["no dose data"], []),
        ])


class ReportLibrary(FakeLibrary):
    def import_report(self, run_id: int) -> ImportRunReport:
        self.calls.append(("import_report", run_id))
        return _report()


@pytest.fixture
def dialog(qtbot):
    lib = ReportLibrary()
    dlg = ImportReportDialog(lib, 7)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.report is not None, timeout=5000)
    assert ("import_report", 7) in lib.calls
    return dlg


def test_buckets_files_and_studies(dialog):
    rep = _report()
    text = dialog.counts.text()
    for bucket, count in bucket_counts(rep):
        assert f"{bucket}: <b>{count}</b>" in text
    assert "color:#c92a2a" in text  # rejected files stand out
    files = dialog.files_table
    assert files.rowCount() == 3
    assert [files.item(r, 0).text() for r in range(3)] == ["rejected", "rejected", "skipped"]
    assert files.item(1, 2).text() == rep.files_rejected[1][1]
    studies = dialog.studies_table
    assert studies.rowCount() == 2
    assert studies.item(0, 3).text() == "RDSR"
    assert "940" in studies.item(0, 6).text()
    assert studies.item(1, 0).text() == "unknown"  # no date is not a date
    assert studies.item(1, 3).text() == "none" and studies.item(1, 4).text() == "DAP"
    assert dialog.tabs.tabText(1) == "Rejected and skipped files (3)"
    assert dialog.copy_button.isEnabled() and dialog.save_button.isEnabled()
    assert "2026-11-25 10:00:00 – 2026-11-25 10:01:12" in dialog.header.text()


def test_csv_and_clipboard(dialog, tmp_path):
    path = tmp_path / "r.csv"
    dialog.save_csv(str(path))
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == CSV_HEADER
    assert ["rejected", "/media/cdrom/IM1", "truncated file, with a comma"] == rows[6][:3]
    study = next(r for r in rows if r[0] == "study" and r[1] == "1.2.3")
    assert study[5] == "RDSR" and study[4] == "CT SR" and "940" in study[8]
    text = dialog.copy_to_clipboard()
    assert QGuiApplication.clipboard().text() == text
    assert text.splitlines()[0].split("\t") == CSV_HEADER
    assert len(text.splitlines()) == len(rows)


def test_load_error_is_shown(qtbot):
    lib = FakeLibrary()

    def broken(run_id):
        raise KeyError(f"no import run {run_id}")

    lib.import_report = broken
    dlg = ImportReportDialog(lib, 99)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: "could not be loaded" in dlg.header.text(), timeout=5000)
    assert "no import run 99" in dlg.header.text()
    assert dlg.rows() == [] and not dlg.save_button.isEnabled()


def _wide_report() -> ImportRunReport:
    rep = _report()
    long_warning = ("DLP estimated from CTDIvol x imaged length; underestimates helical over-ranging "
                    "and is shown for information only")
    rep.studies = [
        StudyImportReport("1.2.3", "P1", "2019-01-20", "CT TORAX ABDOMEN PELVIS WITH CONTRAST", ["CT"],
                          ["image-header"], ["no CT Radiation Dose SR: figures come from image-header",
                                             "no DLP"],
                          [long_warning, "CTDIvol 12.5 mGy above the UK-2022 national reference level"],
                          ["CTDIvol 12.5 above UK-2022 abdomen-pelvis (abscess) (10)"]),
        StudyImportReport("1.2.5", "P1", "2020-11-05", "MR BRAIN", ["MR"], [], [], [], []),
        StudyImportReport("1.2.6", "P1", "2023-03-02", "US ABDOMEN", ["US", "SR"], [], [], [], []),
        StudyImportReport("1.2.4", "P1", None, "ANGIO", ["XA"], [], ["no dose-area product"], [], []),
    ]
    return rep


class WideReportLibrary(FakeLibrary):
    def import_report(self, run_id: int) -> ImportRunReport:
        return _wide_report()


@pytest.mark.parametrize("width", [None, 760])
def test_study_columns_fit_the_dialog_and_wrap(qtbot, width):
    from dosetrail.gui.widgets.import_report import MIN_WARNINGS_WIDTH, STUDY_COLUMNS

    dlg = ImportReportDialog(WideReportLibrary(), 7)
    qtbot.addWidget(dlg)
    if width is not None:
        dlg.resize(width, dlg.height())
    dlg.show()
    qtbot.waitUntil(lambda: dlg.report is not None, timeout=5000)
    table = dlg.studies_table
    header = table.horizontalHeader()

    def fits() -> bool:
        last = len(STUDY_COLUMNS) - 1
        return header.sectionViewportPosition(last) + header.sectionSize(last) <= table.viewport().width()

    qtbot.waitUntil(fits, timeout=2000)  # Reference levels on screen, no sideways scrolling
    warnings = STUDY_COLUMNS.index("Warnings")
    assert header.sectionSize(warnings) >= MIN_WARNINGS_WIDTH - 1
    for j in range(len(STUDY_COLUMNS)):  # every title readable
        title = STUDY_COLUMNS[j]
        assert header.sectionSize(j) >= header.fontMetrics().horizontalAdvance(title), title
    assert table.wordWrap()
    qtbot.waitUntil(lambda: all(table.rowHeight(r) >= table.sizeHintForRow(r) for r in range(table.rowCount())),
                    timeout=2000)  # long texts wrap onto more lines rather than being cut
    assert table.rowHeight(0) > table.rowHeight(1)
    item = table.item(0, warnings)
    assert "over-ranging" in item.text() and "over-ranging" in item.toolTip()


def test_non_ionising_studies_are_not_flagged_for_missing_dose(qtbot):
    from PySide6.QtGui import QColor

    dlg = ImportReportDialog(WideReportLibrary(), 7)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.report is not None, timeout=5000)
    table = dlg.studies_table
    plain = table.item(0, 0).foreground().color()
    rows = {table.item(r, 1).text(): r for r in range(table.rowCount())}
    for description in ("MR BRAIN", "US ABDOMEN"):
        source = table.item(rows[description], 3)
        assert source.text() == "not needed"
        assert source.foreground().color() == plain
        assert "no ionising radiation" in source.toolTip()
    angio = table.item(rows["ANGIO"], 3)  # ionising without dose figures: still stands out
    assert angio.text() == "none" and angio.foreground().color() == QColor(Qt.darkYellow)


def test_conflicting_copies_are_listed_with_the_files(qtbot):
    class ConflictLibrary(FakeLibrary):
        def import_report(self, run_id: int) -> ImportRunReport:
            rep = _report()
            rep.instances_conflicting = [("/media/usb/IM1", "differs from the copy from /media/cdrom/IM1 "
                                          "(SOP Instance UID 1.2.3.4): ...; kept: this file")]
            return rep

    dlg = ImportReportDialog(ConflictLibrary(), 7)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(lambda: dlg.report is not None, timeout=5000)
    files = dlg.files_table
    assert files.rowCount() == 4
    assert (files.item(3, 0).text(), files.item(3, 1).text()) == ("conflict", "/media/usb/IM1")
    assert dlg.tabs.tabText(1) == "Rejected, skipped and conflicting files (4)"
