"""The exam table's "Count in total" toggle, over the GUI test double (offscreen)."""
from __future__ import annotations

import pytest

from dosetrail.gui.count_toggle import AUTO_TEXT, COUNT_TEXT
from dosetrail.gui.models.exams import EFFECTIVE_COLUMN, UidRole
from gui_fakes import FakeLibrary, qa_exam, with_qa_exam

pytestmark = pytest.mark.gui

QA_UID = qa_exam().study_instance_uid


@pytest.fixture
def window(qtbot, tmp_path):
    from dosetrail.gui.main_window import MainWindow
    from dosetrail.gui.settings_store import SettingsStore

    lib = FakeLibrary.populated()
    lib.histories["P1"] = with_qa_exam(lib.histories["P1"])
    win = MainWindow(lib, SettingsStore.at_path(str(tmp_path / "ui.ini")), watch_media=False)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitUntil(lambda: win.controller.history is not None, timeout=5000)
    if win.controller.current_key != "P1":
        win.controller.load_history("P1")
        qtbot.waitUntil(lambda: win.controller.current_key == "P1" and win.controller.history.patient.key == "P1",
                        timeout=5000)
    return win


def _row(win, uid):
    proxy = win.exam_proxy
    return next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data(UidRole) == uid)


def _menu_actions(win, uid):
    row = _row(win, uid)
    win.exam_view.setCurrentIndex(win.exam_proxy.index(row, 0))
    pos = win.exam_view.visualRect(win.exam_proxy.index(row, 0)).center()
    menu = win.count_toggle.menu_for(pos)
    return {a.text(): a for a in menu.actions()}


def test_qa_exam_is_shown_not_counted(window):
    h = window.controller.history
    qa = next(e for e in h.exams if e.study_instance_uid == QA_UID)
    assert not qa.counted_in_total and qa.effective_dose_msv > 0
    assert h.patient.cumulative_effective_dose_msv == pytest.approx(
        sum(e.effective_dose_msv for e in h.exams if e.effective_dose_msv is not None and e.counted_in_total), abs=1e-3)
    cell = window.exam_proxy.index(_row(window, QA_UID), EFFECTIVE_COLUMN)
    assert cell.data().endswith("(not counted)")
    assert "Not counted in the total" in cell.data(3)  # tooltip
    assert "not counted" in window.header.text() and "1.68 m, 64.5 kg" in window.header.text()
    assert "not counted in the total" in " ".join(window.summary.plain_text().split())
    window.act_clinician_view.setChecked(True)
    window.exam_view.setCurrentIndex(window.exam_proxy.index(_row(window, QA_UID), 0))
    text = window.clinician.plain_text()
    assert "Counted in total" in text and "probable QA/phantom scan" in text


def test_toggle_counts_the_exam_through_the_library(window, qtbot):
    before = window.controller.history.patient.cumulative_effective_dose_msv
    actions = _menu_actions(window, QA_UID)
    assert COUNT_TEXT in actions and not actions[COUNT_TEXT].isChecked() and AUTO_TEXT not in actions
    actions[COUNT_TEXT].setChecked(True)  # runs in the pool
    qtbot.waitUntil(lambda: ("set_count_in_total", QA_UID, True) in window.library.calls, timeout=5000)
    qtbot.waitUntil(lambda: window.controller.history.patient.cumulative_effective_dose_msv != before, timeout=5000)
    qa = next(e for e in window.controller.history.exams if e.study_instance_uid == QA_UID)
    assert qa.counted_in_total
    assert window.controller.history.patient.cumulative_effective_dose_msv == pytest.approx(
        before + qa.effective_dose_msv, abs=1e-3)
    qtbot.waitUntil(lambda: not window.exam_proxy.index(_row(window, QA_UID), EFFECTIVE_COLUMN).data()
                    .endswith("(not counted)"), timeout=5000)
    actions = _menu_actions(window, QA_UID)
    assert actions[COUNT_TEXT].isChecked() and AUTO_TEXT in actions
    actions[AUTO_TEXT].trigger()
    qtbot.waitUntil(lambda: ("set_count_in_total", QA_UID, None) in window.library.calls, timeout=5000)
    qtbot.waitUntil(lambda: window.controller.history.patient.cumulative_effective_dose_msv == pytest.approx(
        before, abs=1e-3), timeout=5000)


def test_fake_library_has_the_toggle_with_the_real_signature():
    import inspect

    from dosetrail.core.api import Library

    assert inspect.signature(FakeLibrary.set_count_in_total) == inspect.signature(Library.set_count_in_total)


def test_patient_list_says_not_counted_for_a_phantom_only_patient(qtbot):
    from dataclasses import replace

    from dosetrail.gui.models.patients import PatientTableModel
    from gui_fakes import build_patients

    p = build_patients(1)[0]
    phantom = replace(p, exam_count=2, exams_not_counted=2, cumulative_effective_dose_msv=0.0)
    model = PatientTableModel()
    model.set_patients([p, phantom])
    texts = [[model.index(r, c).data() for c in range(model.columnCount())] for r in range(2)]
    assert "not counted" in texts[1] and "not counted" not in texts[0]
