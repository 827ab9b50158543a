"""The window's rough edges of issue 11: one viewer per double-click, a roomy series strip whose
splitter is remembered, the patient header, undated-only patients, a time axis that fits the exams
(zoom/pan, fit), typical-value estimates told apart, shortcuts, Tab order, the view per library."""
from __future__ import annotations

import copy
import shutil
from dataclasses import replace

import pytest
from pydicom.data import get_testdata_file
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from dosetrail.core.model.history import SeriesView
from dosetrail.gui.formatting import iso_to_epoch
from dosetrail.gui.models.exams import EFFECTIVE_COLUMN, ExamTableModel
from dosetrail.gui.widgets import previews as previews_module
from dosetrail.gui.widgets.previews import MIN_THUMB, SeriesPreviewPanel
from dosetrail.gui.widgets.timeline import YEAR_S, TimelineWidget
from dosetrail.gui.window_presenter import header_text
from gui_fakes import FakeLibrary, _history_from_exams, build_history

pytestmark = pytest.mark.gui


@pytest.fixture
def make_window(qtbot, tmp_path):
    from dosetrail.gui.main_window import MainWindow
    from dosetrail.gui.settings_store import SettingsStore

    def make(lib=None, ini="ui.ini"):
        win = MainWindow(lib or FakeLibrary.populated(), SettingsStore.at_path(str(tmp_path / ini)),
                         watch_media=False)
        qtbot.addWidget(win)
        win.resize(1400, 900)
        win.show()
        qtbot.waitUntil(lambda: win.controller.history is not None, timeout=5000)
        return win

    return make


# --- series strip -------------------------------------------------------------------------------
def test_one_double_click_opens_one_viewer(qtbot, tmp_path, monkeypatch):
    ct = get_testdata_file("CT_small.dcm", download=False)
    if ct is None:
        pytest.skip("pydicom test files not installed")
    shutil.copy(ct, tmp_path / "ct.dcm")

    class Lib(FakeLibrary):
        def series_files(self, uid):
            return [str(tmp_path / "ct.dcm")]

    exam = build_history().exams[0]
    exam.series = [SeriesView("s.ct", 2, "CT", "CHEST", "CHEST", 1)]
    panel = SeriesPreviewPanel(Lib())
    qtbot.addWidget(panel)
    panel.resize(600, 260)
    panel.show()
    with qtbot.waitSignal(panel.thumbnailsDone, timeout=10000):
        panel.set_exam(exam)
    opened = []
    real = previews_module.run_in_pool

    def counting(fn, *args, **kwargs):
        if fn is previews_module._load_viewer_data:
            opened.append(args)
        return real(fn, *args, **kwargs)

    monkeypatch.setattr(previews_module, "run_in_pool", counting)
    rect = panel.list.visualItemRect(panel.list.item(0))
    vp, left, at = panel.list.viewport(), Qt.MouseButton.LeftButton, rect.center()
    # what a desktop sends for a double-click: press, release, double-click, release
    qtbot.mousePress(vp, left, pos=at)
    qtbot.mouseRelease(vp, left, pos=at)
    qtbot.mouseDClick(vp, left, pos=at)
    qtbot.mouseRelease(vp, left, pos=at)
    qtbot.waitUntil(lambda: len(panel.dialogs) >= 1, timeout=10000)
    qtbot.wait(200)
    assert len(opened) == 1 and len(panel.dialogs) == 1


def test_series_strip_has_room_for_thumbnails_and_its_splitter_is_remembered(make_window, qtbot):
    win = make_window()
    strip = win.previews
    assert strip.minimumHeight() >= MIN_THUMB + 2 * strip.list.fontMetrics().lineSpacing()
    assert strip.height() >= strip.minimumHeight()
    assert strip.list.iconSize().height() >= MIN_THUMB
    strip._fit_tiles(60)  # even squeezed, tiles stay at least MIN_THUMB
    assert strip.list.iconSize().height() >= MIN_THUMB
    sizes = win.page_split.sizes()
    wanted = [sizes[0] - 60, sizes[1], sizes[2] + 60]
    win.page_split.setSizes(wanted)
    wanted = win.page_split.sizes()
    win.close()
    again = make_window(ini="ui.ini")
    # thumbnails and the plot arrive from the pool after the first history: the restored sizes are
    # compared once the window has laid them out (a wait, not a timing assert)
    qtbot.waitUntil(lambda: again.page_split.sizes() == wanted, timeout=5000)


# --- header ---------------------------------------------------------------------------------------
def test_header_without_patient_id_and_with_a_placeholder_birth_date():
    p = build_history().patient
    assert "IDs 12345, A-778" in header_text(p)
    none = replace(p, patient_ids=[], birth_date="1900-01-01")
    text = header_text(none)
    assert "IDs –" not in text and "no patient ID" in text and "born unknown" in text
    assert "born unknown" in header_text(replace(p, birth_date="9999-01-01"))
    assert "ID 7 –" in header_text(replace(p, patient_ids=[("7", "")]))


# --- timeline ---------------------------------------------------------------------------------------
def _undated_history():
    h = build_history()
    exams = [replace(e, date=None) for e in h.exams[:3]]
    return _history_from_exams("U1", "UNDATED^ONLY", exams, "AAPM-96")


def test_undated_only_patient_gets_a_sentence_not_an_empty_axis(qtbot):
    tl = TimelineWidget()
    qtbot.addWidget(tl)
    tl.set_history(_undated_history())  # set before the widget is shown, as the window does
    tl.show()
    assert tl.undated.isVisible() and not tl.plot.isVisible()
    assert "3 exams have no date" in tl.undated.text() and "table" in tl.undated.text()
    tl.set_history(build_history())
    assert tl.plot.isVisible() and not tl.undated.isVisible()


def test_time_axis_fits_the_exams_zooms_and_fit_returns(qtbot, make_window):
    h = build_history()
    old = _history_from_exams("OLD", "OLD^EXAMS", [e for e in h.exams if e.date and e.date < "2017"], "AAPM-96")
    tl = TimelineWidget()
    qtbot.addWidget(tl)
    tl.resize(600, 400)
    tl.show()
    tl.set_history(old)
    x0, x1 = tl.fit_range()
    first, last = iso_to_epoch("2015-03-04"), iso_to_epoch("2016-06-10")
    assert x0 < first and last < x1  # every exam, with some room
    assert x1 < iso_to_epoch("2018-01-01")  # fitted to the exams, not stretched to today
    (vx0, vx1), _ = tl.plot.getViewBox().viewRange()
    assert vx0 == pytest.approx(x0) and vx1 == pytest.approx(x1)
    tl.plot.getViewBox().scaleBy(x=0.25)  # what the mouse wheel does
    tl.plot.getViewBox().translateBy(x=YEAR_S / 3)  # and a drag
    (zx0, zx1), _ = tl.plot.getViewBox().viewRange()
    assert zx1 - zx0 < (x1 - x0) * 0.5
    tl.fit_button.click()
    (fx0, fx1), _ = tl.plot.getViewBox().viewRange()
    assert fx0 == pytest.approx(x0) and fx1 == pytest.approx(x1)
    # the window's View > Fit timeline action does the same
    win = make_window()
    win.timeline.plot.getViewBox().scaleBy(x=0.3)
    win.act_fit.trigger()
    assert win.timeline.plot.getViewBox().viewRange()[0] == pytest.approx(list(win.timeline.fit_range()))
    assert win.act_fit.shortcut().toString()


def test_typical_values_are_hollow_on_the_plot_italic_in_the_table_and_explained(qtbot):
    h = build_history()
    typical = next(e for e in h.exams if "typical-value" in e.sources)
    tl = TimelineWidget()
    qtbot.addWidget(tl)
    tl.show()
    tl.set_history(h)
    infos = {m.study_uid: m for m in tl.marker_infos()}
    assert infos[typical.study_instance_uid].typical
    assert sum(m.typical for m in infos.values()) == 1
    spots = {p.data(): p for p in tl.markers.points()}
    hollow = spots[typical.study_instance_uid].brush().color()
    measured = next(spots[uid] for uid, m in infos.items() if m.has_estimate and not m.typical
                    and m.modality == "CT").brush().color()
    assert hollow == QColor(tl._colors["background"]) and measured != hollow
    assert "typical value for the exam type" in tl.legend.text().replace("&nbsp;", " ")
    assert "typical value" in infos[typical.study_instance_uid].tooltip
    model = ExamTableModel()
    model.set_exams(h.exams)
    for row, e in enumerate(h.exams):
        idx = model.index(row, EFFECTIVE_COLUMN)
        font = idx.data(Qt.ItemDataRole.FontRole)
        is_typical = e is typical
        assert ("typical" in idx.data()) == is_typical
        assert bool(font is not None and font.italic()) == is_typical
    assert "typical value" in model.index(h.exams.index(typical), 0).data(Qt.ItemDataRole.ToolTipRole)


# --- keyboard ---------------------------------------------------------------------------------------
def test_every_toolbar_action_has_a_shortcut_and_tab_reaches_the_lists(make_window):
    win = make_window()
    actions = [a for a in win.tool_bar.actions() if not a.isSeparator()]
    assert len(actions) >= 8
    for a in actions:
        assert a.shortcut().toString(), f"{a.text()} has no shortcut"
        assert a.shortcut().toString() in a.toolTip() or a.shortcut().toString(
            a.shortcut().SequenceFormat.NativeText) in a.toolTip()
    chain, w = [], win.search
    for _ in range(200):  # the widgets Tab visits, in order, from the search field
        w = w.nextInFocusChain()
        if w is win.search:
            break
        if w.isVisible() and w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus:
            chain.append(w)
    # the lists one after the other: search, patients, exams, series (then the text panels and plot)
    assert chain[:3] == [win.patient_view, win.exam_view, win.previews.list], [w.accessibleName() for w in chain]


# --- view per library -----------------------------------------------------------------------------
def test_view_choice_belongs_to_a_library(make_window):
    real = FakeLibrary.populated()
    real.db_url = "sqlite:////home/someone/DoseTrail/dosetrail.db"
    demo = FakeLibrary.populated()
    demo.db_url = "sqlite:////home/someone/DoseTrail/demo/dosetrail.db"
    win = make_window(real)
    win.act_clinician_view.setChecked(True)
    win.close()
    demo_win = make_window(demo)
    assert demo_win.act_patient_view.isChecked()  # the demo opens in its own (default) view
    demo_win.act_clinician_view.setChecked(True)
    demo_win.act_patient_view.setChecked(True)
    demo_win.close()
    again = make_window(copy.copy(real))
    assert again.act_clinician_view.isChecked()  # the real library kept its view
    assert again.details.currentWidget() is again.clinician
