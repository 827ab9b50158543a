"""The main window composed over a fake library (offscreen)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter

from dosetrail.gui.models.exams import UidRole, technical_columns
from gui_fakes import FakeLibrary

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, tmp_path):
    from dosetrail.gui.main_window import MainWindow
    from dosetrail.gui.settings_store import SettingsStore

    lib = FakeLibrary.populated(extra=30)
    win = MainWindow(lib, SettingsStore.at_path(str(tmp_path / "ui.ini")), watch_media=False)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitUntil(lambda: win.controller.history is not None, timeout=5000)
    return win


def test_title_and_loaded_patient(window):
    assert "DoseTrail" in window.windowTitle()
    assert window.patient_model.rowCount() == 32
    assert window.pages.currentIndex() == 1
    history = window.controller.history
    assert window.exam_model.rowCount() == len(history.exams)
    assert len(window.timeline.markers.points()) == sum(1 for e in history.exams if e.date)
    assert history.patient.name.split("^")[0] in window.header.text()


def test_marker_click_selects_table_row(window, qtbot):
    spot = window.timeline.markers.points()[4]
    window.timeline.markers.sigClicked.emit(window.timeline.markers, [spot], None)
    assert window.exam_view.currentIndex().data(UidRole) == spot.data()
    assert window.exam_view.selectionModel().isRowSelected(window.exam_view.currentIndex().row())
    # the clinician panel follows the selection too
    exam = window.exam_model.exams()[window.exam_model.row_of(spot.data())]
    assert (exam.description or "") in window.clinician.plain_text()


def test_table_row_selects_timeline_marker(window, qtbot):
    window.exam_view.setFocus()
    proxy = window.exam_proxy
    for row in range(proxy.rowCount()):
        window.exam_view.setCurrentIndex(proxy.index(row, 0))
        uid = proxy.index(row, 0).data(UidRole)
        dated = any(m.study_uid == uid for m in window.timeline.marker_infos())
        assert window.timeline.selected_exam() == (uid if dated else None)
    # arrow keys move the selection and the marker with it
    window.exam_view.setCurrentIndex(proxy.index(0, 0))
    qtbot.keyClick(window.exam_view, Qt.Key.Key_Down)
    assert window.timeline.selected_exam() == proxy.index(1, 0).data(UidRole)


def test_view_toggle_hides_technical_columns(window):
    from dosetrail.gui.models.exams import column_index

    window.act_patient_view.setChecked(True)
    assert all(window.exam_view.isColumnHidden(c) for c in technical_columns())
    assert not window.exam_view.isColumnHidden(column_index("Exam"))  # "PET-CT scan", not "CT/PT"
    assert window.details.currentWidget() is window.summary
    window.act_clinician_view.setChecked(True)
    assert not any(window.exam_view.isColumnHidden(c) for c in technical_columns())
    assert window.exam_view.isColumnHidden(column_index("Exam"))
    assert window.details.currentWidget() is window.clinician
    assert window.store.last_view() == "clinician"
    assert window.controller.history.factor_set in window.clinician.plain_text()


def test_search_filters_patient_list(window, qtbot):
    qtbot.keyClicks(window.search, "ROE")
    qtbot.waitUntil(lambda: window.patient_proxy.rowCount() == 1, timeout=2000)
    assert "1 of 32" in window.patient_count.text()


def test_selecting_other_patient_loads_its_history(window, qtbot):
    row = next(r for r in range(window.patient_proxy.rowCount())
               if window.patient_proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 3) == "P2")
    window.patient_view.setCurrentIndex(window.patient_proxy.index(row, 0))
    qtbot.waitUntil(lambda: window.controller.history is not None
                    and window.controller.history.patient.name == "ROE^RICHARD", timeout=5000)
    assert "ROE" in window.header.text()


def test_settings_change_recomputes_in_worker(window, qtbot):
    from dataclasses import replace

    lib = window.library
    new = replace(lib.settings, factor_set="ICRP-103-NCI")
    steps = []
    window.controller.progressText.connect(steps.append)
    window.controller.apply_settings(new)
    qtbot.waitUntil(lambda: window.controller.history is not None
                    and window.controller.history.factor_set == "ICRP-103-NCI", timeout=5000)
    assert ("update_settings", new) in lib.calls
    assert "ICRP-103-NCI" in window.clinician.plain_text()
    assert steps and steps[-1].endswith(f"{len(lib.histories)} of {len(lib.histories)} studies")


def test_export_pdf_and_print(window, qtbot, tmp_path):
    out = tmp_path / "r.pdf"
    with qtbot.waitSignal(window.controller.pdfWritten, timeout=5000):
        window.controller.export_pdf(window.controller.current_key, str(out))
    assert ("write_report_pdf", window.controller.current_key, str(out)) in window.library.calls
    from dosetrail.gui.printing import start_print

    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    pages, finished = [], []
    start_print(window.controller.history, window.library.settings, printer, on_done=pages.append,
                on_finished=lambda: finished.append(True))
    qtbot.waitUntil(lambda: bool(finished), timeout=30000)
    assert pages[0] >= 1 and (tmp_path / "printed.pdf").read_bytes().startswith(b"%PDF")


def test_empty_library_shows_first_import_help(qtbot, tmp_path):
    from dosetrail.gui.main_window import MainWindow
    from dosetrail.gui.settings_store import SettingsStore

    win = MainWindow(FakeLibrary(), SettingsStore.at_path(str(tmp_path / "ui.ini")), watch_media=False)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: ("patients", "", 0, None) in win.library.calls, timeout=5000)
    qtbot.waitUntil(lambda: win.pages.currentWidget() is win.empty, timeout=5000)
    assert "Import" in win.empty.folder_button.text()
    assert win.empty.folder_button.accessibleName()


def test_media_offer_imports_mount(window, qtbot):
    got = []
    window.importer.import_paths = lambda paths: got.append(paths)
    window.media_bar.offer("/media/cdrom", "HOSPITAL CD")
    assert window.media_bar.isVisible() and "HOSPITAL CD" in window.media_bar.label.text()
    window.media_bar.import_button.click()
    assert got == [["/media/cdrom"]] and not window.media_bar.isVisible()


def test_interactive_widgets_have_accessible_names(window):
    from PySide6.QtWidgets import QAbstractItemView, QComboBox, QHeaderView, QLineEdit, QPushButton

    def foreign(w):  # Qt-internal widgets and the other helper's preview panel
        if w.objectName().startswith("qt_"):
            return True
        return window.previews.isAncestorOf(w)

    checked = 0
    for cls in (QLineEdit, QAbstractItemView, QComboBox, QPushButton):
        for w in window.findChildren(cls):
            if isinstance(w, QHeaderView) or foreign(w):
                continue
            assert w.accessibleName(), f"{type(w).__name__} {w.objectName()} has no accessible name"
            checked += 1
    assert checked >= 8
    assert window.timeline.plot.accessibleName()


def test_marker_tooltips_name_exam_dose_and_method(window):
    tip = window.timeline.markers.opts["tip"]
    history = window.controller.history
    for exam in history.exams:
        if not exam.date:
            continue
        text = tip(x=0, y=0, data=exam.study_instance_uid)
        assert exam.date in text
        if exam.has_estimate:
            assert "mSv" in text and exam.method in text
        else:
            assert "No estimate" in text


def test_settings_action_applies_settings_in_worker(window, qtbot, monkeypatch):
    from dosetrail.gui.dialogs.settings import SettingsDialog

    def fake_exec(dialog):
        dialog.factor_set.setCurrentText("ICRP-103-NCI")
        dialog.background.setValue(3.0)
        return SettingsDialog.DialogCode.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", fake_exec)
    window.act_settings.trigger()
    qtbot.waitUntil(lambda: window.controller.history is not None
                    and window.controller.history.factor_set == "ICRP-103-NCI", timeout=5000)
    sent = [c[1] for c in window.library.calls if c[0] == "update_settings"]
    assert sent and sent[-1].factor_set == "ICRP-103-NCI" and sent[-1].background_msv_per_year == 3.0
    # the summary now uses the new background rate
    assert "3 mSv a year" in window.summary.plain_text()


def test_merge_action_calls_library_and_reloads(window, qtbot, monkeypatch):
    from dosetrail.gui.dialogs.merge_split import MergePatientsDialog

    def fake_exec(dialog):
        dialog.other.setCurrentIndex(dialog.other.findData("P2"))
        dialog.accept()
        return MergePatientsDialog.DialogCode.Accepted

    monkeypatch.setattr(MergePatientsDialog, "exec", fake_exec)
    window.act_merge.trigger()
    assert ("merge_patients", "P1", "P2") in window.library.calls
    qtbot.waitUntil(lambda: window.patient_model.rowCount() == 31, timeout=5000)


def test_failed_history_load_is_reported_without_blocking(window, qtbot):
    def broken(key):
        raise RuntimeError("database is locked")

    window.library.history = broken
    window.controller.load_history("P2")
    qtbot.waitUntil(lambda: window.presenter.last_message is not None, timeout=5000)
    assert "database is locked" in window.presenter.last_message.text()
    assert "database is locked" in window.statusBar().currentMessage()


def test_selected_exam_survives_a_reload(window, qtbot):
    uid = window.timeline.marker_infos()[2].study_uid
    window.sync.select_uid(uid)
    with qtbot.waitSignal(window.controller.historyLoaded, timeout=5000):
        window.controller.reload()
    assert window.sync.current_uid() == uid and window.timeline.selected_exam() == uid


def test_switching_patient_clears_exam_selection(window, qtbot):
    window.sync.select_uid(window.timeline.marker_infos()[0].study_uid)
    proxy = window.patient_proxy
    row = next(r for r in range(proxy.rowCount())
               if proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 3) not in ("P1", "P2"))
    window.patient_view.setCurrentIndex(proxy.index(row, 0))
    qtbot.waitUntil(lambda: window.controller.history is None
                    or window.controller.history.patient.key not in ("P1", "P2"), timeout=5000)
    assert window.timeline.selected_exam() is None


def test_import_into_empty_library_shows_the_new_patient(qtbot, tmp_path):
    from dosetrail.gui.main_window import MainWindow
    from dosetrail.gui.settings_store import SettingsStore
    from gui_fakes import build_history

    lib = FakeLibrary()
    win = MainWindow(lib, SettingsStore.at_path(str(tmp_path / "ui.ini")), watch_media=False)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.pages.currentWidget() is win.empty, timeout=5000)
    lib.histories["P9"] = build_history("P9")  # what an import adds
    win.importer.libraryChanged.emit()
    qtbot.waitUntil(lambda: win.controller.history is not None, timeout=5000)
    assert win.pages.currentWidget() is win.main_split
    assert win.exam_model.rowCount() == len(lib.histories["P9"].exams)


def test_tab_moves_from_search_to_patients_to_exams(window, qtbot):
    window.activateWindow()
    window.search.setFocus()
    qtbot.waitUntil(lambda: window.search.hasFocus(), timeout=2000)
    qtbot.keyClick(window.search, Qt.Key.Key_Tab)
    assert window.patient_view.hasFocus()
    qtbot.keyClick(window.patient_view, Qt.Key.Key_Tab)
    assert window.exam_view.hasFocus()


def _visible_span(view, column: int) -> tuple[int, int]:
    header = view.horizontalHeader()
    left = header.sectionViewportPosition(column)
    return left, left + header.sectionSize(column)


def test_exam_table_shows_the_estimate_without_scrolling(qtbot, tmp_path):
    """Date, modality, description, effective dose and range come first; in the patient
    view at 1024x700 the effective-dose column is whole, in the clinician view at 1400x900
    the range is too."""
    from dosetrail.gui.main_window import MainWindow
    from dosetrail.gui.models.exams import COLUMNS, EFFECTIVE_COLUMN, RANGE_COLUMN
    from dosetrail.gui.settings_store import SettingsStore

    win = MainWindow(FakeLibrary.populated(), SettingsStore.at_path(str(tmp_path / "ui.ini")),
                     watch_media=False)
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    qtbot.waitUntil(lambda: win.controller.history is not None, timeout=5000)
    win.act_patient_view.setChecked(True)
    qtbot.wait(50)
    assert [c.title.split(" (")[0] for c in COLUMNS[:6]] == ["Date", "Exam", "Modality", "Description",
                                                             "Effective dose", "Range"]
    left, right = _visible_span(win.exam_view, EFFECTIVE_COLUMN)
    assert left >= 0 and right <= win.exam_view.viewport().width()
    win.resize(1400, 900)
    win.act_clinician_view.setChecked(True)
    qtbot.wait(50)
    for col in (EFFECTIVE_COLUMN, RANGE_COLUMN):
        left, right = _visible_span(win.exam_view, col)
        assert left >= 0 and right <= win.exam_view.viewport().width(), COLUMNS[col].title


def test_long_study_description_does_not_push_the_estimate_away(window):
    from dosetrail.gui.table_fit import EXAM_COLUMN_MAX_WIDTH
    from dosetrail.gui.models.exams import DESCRIPTION_COLUMN

    history = window.controller.history
    history.exams[0].description = "CT THORAX ABDOMEN PELVIS WITH CONTRAST AND DELAYED PHASE FOLLOW UP"
    window.presenter.show_history(history)
    assert window.exam_view.horizontalHeader().sectionSize(DESCRIPTION_COLUMN) <= EXAM_COLUMN_MAX_WIDTH


def test_patient_names_are_readable_at_the_default_size(qtbot, tmp_path):
    from dosetrail.gui.main_window import NAME_COLUMN, MainWindow
    from dosetrail.gui.models.patients import display_name
    from dosetrail.gui.settings_store import SettingsStore

    lib = FakeLibrary.populated(extra=30)
    lib.extra_patients[0].name = "CompressedSamples^CT1"
    lib.extra_patients[1].name = "Yamada^Tarou"
    win = MainWindow(lib, SettingsStore.at_path(str(tmp_path / "ui.ini")), watch_media=False)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitUntil(lambda: win.controller.history is not None, timeout=5000)
    view = win.patient_view
    width = view.horizontalHeader().sectionSize(NAME_COLUMN)
    metrics = view.fontMetrics()
    for name in ("CompressedSamples^CT1", "Yamada^Tarou", "ROE^RICHARD", "PATIENT^00001"):
        assert metrics.horizontalAdvance(display_name(name)) + 8 <= width, name
    # the numeric columns stay whole too
    header = view.horizontalHeader()
    for col in range(1, header.count()):
        if not header.isSectionHidden(col):
            title = str(win.patient_model.headerData(col, Qt.Orientation.Horizontal))
            assert header.sectionSize(col) >= header.fontMetrics().horizontalAdvance(title), title


def test_file_print_runs_in_the_background_and_says_when_done(window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QDialog

    from dosetrail.gui import window_presenter

    out = tmp_path / "printed.pdf"

    class PdfPrinter(QPrinter):  # prints to a file instead of a printer
        def __init__(self, mode):
            super().__init__(mode)
            self.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            self.setOutputFileName(str(out))

    class AcceptingDialog:  # the user presses Print in the system dialog
        def __init__(self, printer, parent):
            pass

        def exec(self):
            return QDialog.DialogCode.Accepted

    monkeypatch.setattr(window_presenter, "QPrinter", PdfPrinter)
    monkeypatch.setattr(window_presenter, "QPrintDialog", AcceptingDialog)
    window.act_print.trigger()  # returns at once: the job runs on the pool
    assert window.statusBar().currentMessage().startswith("Printing")
    qtbot.waitUntil(lambda: "printed" in window.statusBar().currentMessage(), timeout=30000)
    assert out.read_bytes().startswith(b"%PDF")


def test_exam_table_fills_its_width_in_both_views(window, qtbot):
    def filled() -> bool:
        header = window.exam_view.horizontalHeader()
        used = sum(header.sectionSize(c) for c in range(header.count()) if not header.isSectionHidden(c))
        return used >= window.exam_view.viewport().width() - 2

    window.resize(1400, 900)
    for view in (window.act_clinician_view, window.act_patient_view, window.act_clinician_view,
                 window.act_patient_view):
        view.setChecked(True)
        qtbot.wait(20)
        assert filled()  # no empty band right of the last column


def test_a_request_finishing_after_its_window_closed_is_ignored(qtbot, tmp_path):
    import threading

    import shiboken6

    from dosetrail.gui.browser_controller import BrowserController

    release = threading.Event()
    controller = BrowserController(FakeLibrary.populated())
    results = []
    controller._run(lambda: release.wait(5) and "late", on_result=results.append, what="Loading")
    shiboken6.delete(controller)  # the window (its parent) went away while the job ran
    release.set()
    qtbot.wait(300)  # the job's result arrives now; pytest-qt fails the test on any slot exception
    assert results == []


def test_patient_names_stay_readable_in_a_small_window(qtbot, tmp_path):
    from dosetrail.gui.main_window import NAME_COLUMN, MainWindow
    from dosetrail.gui.settings_store import SettingsStore

    win = MainWindow(FakeLibrary.populated(extra=5), SettingsStore.at_path(str(tmp_path / "ui.ini")),
                     watch_media=False)
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    qtbot.waitUntil(lambda: win.controller.history is not None, timeout=5000)
    width = win.patient_view.horizontalHeader().sectionSize(NAME_COLUMN)
    assert win.patient_view.fontMetrics().horizontalAdvance("PATIENT, 00001") + 8 <= width
