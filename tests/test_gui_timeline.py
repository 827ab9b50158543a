"""The cumulative-dose timeline: items match the history, selection works."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from dosetrail.gui.formatting import iso_to_epoch
from dosetrail.gui.widgets.timeline import (
    LABEL_PLACES,
    MarkerInfo,
    TimelineWidget,
    background_lines,
    label_place,
    marker_infos,
    step_coordinates,
)
from gui_fakes import _history_from_exams, build_history

pytestmark = pytest.mark.gui


@pytest.fixture
def timeline(qtbot):
    w = TimelineWidget()
    qtbot.addWidget(w)
    w.resize(900, 400)
    w.set_history(build_history(), background_msv_per_year=2.4)
    return w


def test_one_marker_per_dated_exam_including_no_estimate(timeline):
    history = build_history()
    dated = [e for e in history.exams if e.date]
    spots = timeline.markers.points()
    assert len(spots) == len(dated)
    assert sorted(p.data() for p in spots) == sorted(e.study_instance_uid for e in dated)
    no_est = [e.study_instance_uid for e in dated if not e.has_estimate]
    assert no_est  # the fake has one
    infos = {m.study_uid: m for m in timeline.marker_infos()}
    for uid in no_est:
        assert not infos[uid].has_estimate
        assert "No estimate" in infos[uid].tooltip
        spot = next(p for p in spots if p.data() == uid)
        assert spot.brush().style() == Qt.BrushStyle.NoBrush  # hollow
    # the undated exam is explained, not silently dropped
    assert "without a usable date" in timeline.note.text()


def test_step_line_ends_at_the_cumulative_total(timeline):
    history = build_history()
    x, y = timeline.step_curve.getData()
    assert y[-1] == pytest.approx(history.cumulative[-1].cumulative_msv)
    assert y[-1] == pytest.approx(history.patient.cumulative_effective_dose_msv)
    assert np.all(np.diff(x) >= 0)
    # every cumulative point is a level of the step line at its date
    for c in history.cumulative:
        t = iso_to_epoch(c.date)
        levels = y[np.isclose(x, t)]
        assert any(np.isclose(levels, c.cumulative_msv))
    assert timeline.band is not None
    lo, hi = timeline.band.curves[0].getData()[1], timeline.band.curves[1].getData()[1]
    assert hi[-1] == pytest.approx(history.cumulative[-1].high_msv)
    assert lo[-1] == pytest.approx(history.cumulative[-1].low_msv)


def test_markers_sit_on_the_cumulative_curve(timeline):
    history = build_history()
    cum = {c.study_instance_uid: c.cumulative_msv for c in history.cumulative}
    for m in timeline.marker_infos():
        if m.study_uid in cum:
            assert m.y == pytest.approx(cum[m.study_uid])
        else:  # drawn at the total reached by that date
            before = [c.cumulative_msv for c in history.cumulative if c.date <= next(
                e.date for e in history.exams if e.study_instance_uid == m.study_uid)]
            assert m.y == pytest.approx(max(before, default=0.0))


def test_marker_click_emits_and_highlights(timeline, qtbot):
    target = timeline.markers.points()[3]
    with qtbot.waitSignal(timeline.examSelected, timeout=1000) as sig:
        timeline.markers.sigClicked.emit(timeline.markers, [target], None)
    assert sig.args == [target.data()]
    assert timeline.selected_exam() == target.data()
    sx, sy = timeline.selection_item.getData()
    assert (sx[0], sy[0]) == pytest.approx((target.pos().x(), target.pos().y()))


def test_select_exam_from_outside_moves_highlight_without_signal(timeline, qtbot):
    uid = timeline.marker_infos()[0].study_uid
    with qtbot.assertNotEmitted(timeline.examSelected):
        timeline.select_exam(uid)
    assert timeline.selected_exam() == uid
    timeline.select_exam("not-a-study")
    assert timeline.selected_exam() is None and timeline.selection_item is None


def test_per_year_bars_match_history(timeline):
    history = build_history()
    assert timeline.bars is None
    timeline.set_show_bars(True)
    heights = timeline.bars.opts["height"]
    assert sorted(heights) == pytest.approx(sorted(history.per_year_msv.values()))


def test_reference_lines_use_background_rate(timeline):
    labels = [line.label.toPlainText() for line in timeline.reference_lines]
    assert any("years of natural background" in t for t in labels)
    for line, text in zip(timeline.reference_lines, labels):
        if "natural background" in text:
            years = int(text.split()[0])
            assert line.value() == pytest.approx(years * 2.4)
    timeline.set_history(build_history(), background_msv_per_year=3.7)
    for line in timeline.reference_lines:
        text = line.label.toPlainText()
        if "natural background" in text:
            assert line.value() == pytest.approx(int(text.split()[0]) * 3.7)
    timeline.set_show_reference_lines(False)
    assert timeline.reference_lines == []


def test_background_lines_pick_levels_near_the_total():
    lines = background_lines(45.0, 2.4)
    assert [round(v, 3) for v, _ in lines] == [12.0, 24.0, 48.0]
    assert background_lines(0.3, 2.4) == []
    assert any(v == 100 for v, _ in background_lines(80.0, 2.4))
    # the 100 mSv line is information for the clinician, not shown in the patient view
    assert not any(v == 100 for v, _ in background_lines(80.0, 2.4, clinician=False))


def test_step_coordinates():
    x, y = step_coordinates([1.0, 3.0], [2.0, 5.0], 10.0)
    assert x == [1.0, 1.0, 1.0, 3.0, 3.0, 10.0]
    assert y == [0.0, 0.0, 2.0, 2.0, 5.0, 5.0]
    assert step_coordinates([], [], 1.0) == ([], [])


def test_empty_and_none_history(qtbot):
    w = TimelineWidget()
    qtbot.addWidget(w)
    w.set_history(None)
    assert w.markers is None and w.step_curve is None
    h = build_history()
    for e in h.exams:
        e.effective_dose_msv = None
    h.cumulative = []
    w.set_history(h)
    assert len(w.markers.points()) == sum(1 for e in h.exams if e.date)
    assert all(not m.has_estimate and m.y == 0 for m in marker_infos(h))


def test_timeline_follows_palette_change(timeline):
    from PySide6.QtGui import QColor, QPalette

    pal = QPalette(timeline.palette())
    pal.setColor(QPalette.ColorRole.Base, QColor("#101010"))
    pal.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    pal.setColor(QPalette.ColorRole.WindowText, QColor("#eeeeee"))
    pal.setColor(QPalette.ColorRole.Text, QColor("#eeeeee"))
    timeline.setPalette(pal)
    assert timeline.plot.backgroundBrush().color().name() == "#101010"
    assert len(timeline.markers.points()) == len(timeline.marker_infos())  # redrawn, still complete


@pytest.mark.parametrize("top", [0.5, 3.0, 13.0, 45.0, 80.0, 140.0, 600.0, 3000.0])
def test_reference_lines_never_crowd(top):
    lines = background_lines(top, 2.4)
    values = [v for v, _ in lines]
    assert values == sorted(values)
    assert all(b - a >= 0.09 * max(top * 1.2, values[-1]) - 1e-9 for a, b in zip(values, values[1:]))
    assert all(v <= max(top * 1.2, 100.0) for v in values)
    assert len([t for _, t in lines if "natural background" in t]) <= 3


def test_exams_on_the_same_day_draw_one_step_each(qtbot):
    # two exams on one date gave two cumulative points with equal x: sorting them must not compare points
    exams = build_history().exams
    same_day = [exams[0], replace(exams[3], date=exams[0].date)]
    history = _history_from_exams("P2", "SAME^DAY", same_day, "AAPM-96")
    w = TimelineWidget()
    qtbot.addWidget(w)
    w.set_history(history, background_msv_per_year=2.4)
    assert len(w.markers.points()) == 2
    ys = w.step_curve.getData()[1]
    assert max(ys) == pytest.approx(history.patient.cumulative_effective_dose_msv)


def test_reference_label_moves_off_a_marker():
    def m(xf, y):
        return MarkerInfo("u", xf * 100.0, y, True, "CT", "")
    assert label_place([], 12.0, 27.0, 0.0, 100.0, 0.45) == "left-above"
    # a marker just above the line, under the left label: the label goes elsewhere
    place = label_place([m(0.5, 13.5), m(0.1, 0.9)], 12.0, 27.0, 0.0, 100.0, 0.45)
    assert place != "left-above" and place in LABEL_PLACES
    # markers everywhere above the line: below it
    assert label_place([m(0.1, 13), m(0.9, 13)], 12.0, 27.0, 0.0, 100.0, 0.45) == "left-below"
    # the step line counts too: a jump from 0 to 20 at 5 % crosses every left label under 20 mSv
    step = ([0.0, 5.0, 5.0, 100.0], [0.0, 0.0, 20.0, 20.0])
    assert label_place([], 12.0, 27.0, 0.0, 100.0, 0.45, line=step).startswith("right")


def test_patient_view_legend_names_exams_in_plain_words(timeline):
    assert "PT" in timeline.legend.text() and "PET&nbsp;scan" not in timeline.legend.text()  # clinician: codes
    timeline.set_clinician(False)
    text = timeline.legend.text()
    assert "CT&nbsp;scan" in text and "mammogram" in text and "PET&nbsp;scan" in text
    assert "X&#8209;ray" in text  # a non-breaking hyphen: "X-" / "ray" never splits
    # the legend may wrap only between entries
    inside = text.split(" &nbsp; ")
    assert len(inside) > 3 and all(" " not in entry.split("</span>")[-1] for entry in inside)


def test_axis_title_is_shortened_only_in_a_short_plot(qtbot):
    w = TimelineWidget()
    qtbot.addWidget(w)
    w.resize(900, 500)
    w.show()
    qtbot.wait(20)
    assert w.plot.getAxis("left").labelText == "Cumulative effective dose"
    w.resize(900, 170)
    qtbot.waitUntil(lambda: w.plot.getAxis("left").labelText == "Cumulative dose", timeout=2000)


@pytest.mark.parametrize("height", [230, 300, 600])
def test_reference_labels_have_room_at_the_plot_height(qtbot, height):
    """A short plot (a small window) keeps fewer natural-background lines, each with room for two
    labels (one above its line, the next below its own), so no label overlaps another."""
    from dosetrail.gui.widgets.timeline import LABEL_PX

    w = TimelineWidget()
    qtbot.addWidget(w)
    w.resize(900, height)
    w.show()
    qtbot.waitExposed(w)
    w.set_history(build_history(), background_msv_per_year=2.4)
    box = w.plot.getViewBox()
    ys = sorted(box.mapViewToScene(QPointF(0, line.value())).y() for line in w.reference_lines)
    assert ys, "no reference line drawn"
    assert all(abs(b - a) >= 2 * LABEL_PX - 1 for a, b in zip(ys, ys[1:]))


def test_a_short_plot_asks_for_wider_gaps():
    wide = background_lines(8.4, 2.4)
    short = background_lines(8.4, 2.4, gap_fraction=0.3)
    assert len(short) < len(wide)
    values = [v for v, _ in short]
    assert all(b - a >= 0.3 * 8.4 * 1.2 - 1e-9 for a, b in zip(values, values[1:]))
