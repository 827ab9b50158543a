"""The cumulative-dose timeline of one patient (pyqtgraph).

Cumulative effective dose is a step line over time with its uncertainty band,
one marker per dated exam (coloured by modality; hollow grey for exams
without an estimate, drawn at the cumulative total reached by then), optional
per-year bars and reference lines ("N years of natural background",
100 mSv). Clicking a marker emits :attr:`TimelineWidget.examSelected`;
:meth:`TimelineWidget.select_exam` highlights a marker from outside.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from html import escape

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from dosetrail.core.api import ExamView, PatientHistory
from dosetrail.core.wording import (HIGH_CUMULATIVE_MSV, background_years_label, high_cumulative_line_label,
                                    marker_tooltip, nothing_to_place_text, timeline_note, unplaced_exams)

from ..formatting import (TYPICAL_VALUE_TEXT, epoch_to_iso, exam_kind, exam_modalities, fmt_number,
                          is_typical_value, iso_to_epoch, primary_modality)
from ..style import modality_color, plot_colors

YEAR_S = 365.25 * 86400
BACKGROUND_YEAR_STEPS = (1, 2, 5, 10, 20, 30, 50, 100, 200, 500, 1000)


@dataclass
class MarkerInfo:
    """Where an exam's marker is and what its tooltip says."""

    study_uid: str
    x: float
    y: float
    has_estimate: bool
    modality: str
    tooltip: str
    typical: bool = False  # a typical value for the exam type (hollow marker in the modality's colour)
    counted: bool = True  # False: a probable QA/phantom scan (or the user's choice) left out of the total


LABEL_PLACES = ("left-above", "left-below", "right-above", "right-below")


pg = None  # pyqtgraph, imported with the first plot: the window shows its patient list first (issue 14)
_date_axis_class = None


def _pyqtgraph():
    """pyqtgraph, imported on first use (about half the window's start-up time otherwise)."""
    global pg
    if pg is None:
        import pyqtgraph

        pg = pyqtgraph
    return pg


def _date_axis():
    """pyqtgraph's date axis with tighter label spacing: yearly ticks down to ~34 px a year
    (the stock padding falls back to 5-year steps in a half-width plot)."""
    global _date_axis_class
    if _date_axis_class is None:
        class _DateAxis(_pyqtgraph().DateAxisItem):
            def setZoomLevelForDensity(self, density):  # noqa: N802 - pyqtgraph's name
                super().setZoomLevelForDensity(density)
                self.minSpacing *= 0.8

        _date_axis_class = _DateAxis
    return _date_axis_class(orientation="bottom")


def label_place(markers: list[MarkerInfo], y: float, y_top: float, x0: float, x1: float,
                label_fraction: float = 0.5,
                line: tuple[list[float], list[float]] | None = None) -> str:
    """Where a reference line's label covers the fewest exam markers and line segments.

    One of :data:`LABEL_PLACES`: at the left or right end of the line, just
    above or below it; a label spans ``label_fraction`` of the plot's width.
    ``line`` is the cumulative step line's vertices (x, y); each of its
    segments through the label counts like a marker. Ties go to the earlier
    place (left, above).
    """
    reach = min(label_fraction + 0.08, 1.0)  # plus a marker's width and some slack
    span = max(x1 - x0, 1.0)
    xs, ys = ([(x - x0) / span for x in line[0]], list(line[1])) if line else ([], [])

    def covered(place: str) -> int:
        lo, hi = (0.0, reach) if place.startswith("left") else (1.0 - reach, 1.0)
        y_lo, y_hi = (y - 0.03 * y_top, y + 0.1 * y_top) if place.endswith("above") else \
            (y - 0.1 * y_top, y + 0.03 * y_top)
        hits = sum(1 for m in markers if y_lo <= m.y <= y_hi and lo <= (m.x - x0) / span <= hi)
        for (xa, ya), (xb, yb) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
            if min(xa, xb) <= hi and max(xa, xb) >= lo and min(ya, yb) <= y_hi and max(ya, yb) >= y_lo:
                hits += 1  # a step segment (horizontal or vertical) through the label
        return hits

    return min(LABEL_PLACES, key=lambda place: (covered(place), LABEL_PLACES.index(place)))


def step_coordinates(xs: list[float], ys: list[float], end_x: float) -> tuple[list[float], list[float]]:
    """Vertices of a step line that starts at 0 and jumps to ``ys[i]`` at ``xs[i]``.

    Parameters
    ----------
    xs, ys : list of float
        Jump positions (ascending) and the level after each jump.
    end_x : float
        Where the last level ends (at least ``xs[-1]``).

    Returns
    -------
    tuple of list
        ``(x, y)`` vertex lists; the last y equals ``ys[-1]``.
    """
    if not xs:
        return [], []
    vx, vy = [xs[0]], [0.0]
    level = 0.0
    for x, y in zip(xs, ys):
        vx += [x, x]
        vy += [level, y]
        level = y
    vx.append(max(end_x, xs[-1]))
    vy.append(level)
    return vx, vy


LABEL_PX = 18  # height of a reference line's label


def background_lines(top_msv: float, msv_per_year: float, max_lines: int = 3,
                     clinician: bool = True, gap_fraction: float = 0.09) -> list[tuple[float, str]]:
    """Reference lines to draw below ``top_msv``: whole years of natural background.

    Parameters
    ----------
    top_msv : float
        The highest value the plot shows (upper end of the cumulative range).
    msv_per_year : float
        Natural background dose rate.
    max_lines : int
        At most this many background lines (the largest that fit, spaced so
        their labels do not overlap).
    clinician : bool
        The 100 mSv line is information for the clinician (context.md); the
        patient view shows only the natural-background lines.
    gap_fraction : float
        The least distance between two lines, as a fraction of the plotted
        range: room for two labels (one may sit above its line, the next
        below its own). A short plot needs a larger fraction.

    Returns
    -------
    list of (float, str)
        ``(mSv, label)`` pairs, ascending; the 100 mSv line is added when the
        total comes within reach of it.
    """
    chosen: list[tuple[float, str]] = []
    if clinician and top_msv >= HIGH_CUMULATIVE_MSV * 0.5:
        chosen.append((HIGH_CUMULATIVE_MSV, high_cumulative_line_label()))
    span = max(top_msv * 1.2, max((y for y, _ in chosen), default=0.0))
    gap = span * gap_fraction  # labels need about this much room
    if msv_per_year > 0:
        fits = [n for n in BACKGROUND_YEAR_STEPS if n * msv_per_year <= top_msv * 1.2]
        added = 0
        for n in reversed(fits):
            y = n * msv_per_year
            if added >= max_lines or any(abs(y - c) < gap for c, _ in chosen):
                continue
            chosen.append((y, background_years_label(n, y)))
            added += 1
    return sorted(chosen)


def marker_infos(history: PatientHistory) -> list[MarkerInfo]:
    """One :class:`MarkerInfo` per dated exam of ``history``, oldest first."""
    cum_by_uid = {c.study_instance_uid: c.cumulative_msv for c in history.cumulative}
    steps = sorted((iso_to_epoch(c.date) or 0.0, c.cumulative_msv) for c in history.cumulative)
    out: list[MarkerInfo] = []
    for exam in history.exams:
        x = iso_to_epoch(exam.date)
        if x is None:
            continue
        if exam.study_instance_uid in cum_by_uid:
            y = cum_by_uid[exam.study_instance_uid]
        else:  # at the cumulative total reached on that date
            y = max([c for t, c in steps if t <= x], default=0.0)
        out.append(MarkerInfo(exam.study_instance_uid, x, y, exam.has_estimate,
                              primary_modality(exam_modalities(exam)), _tooltip(exam, y), is_typical_value(exam),
                              exam.counted_in_total))
    return out


def fit_x_range(xs: list[float]) -> tuple[float, float]:
    """The time axis range that fits exams at ``xs`` (epoch seconds) with some room either side.

    At least two years are shown, so the axis names years (a single exam sits in the middle); the
    room is 6 % of the span on each side.
    """
    if not xs:
        now = time.time()
        return now - YEAR_S, now
    lo, hi = min(xs), max(xs)
    span = max(hi - lo, 2 * YEAR_S)
    mid_pad = (span - (hi - lo)) / 2
    room = span * 0.06
    return lo - mid_pad - room, hi + mid_pad + room


def _tooltip(exam: ExamView, cumulative: float) -> str:
    return marker_tooltip(exam, cumulative)


class _PlotSlot(QWidget):
    """Holds the plot's place until it is built, with pyqtgraph's ``PlotWidget`` size hints and policy,
    so that the window lays out (and restores its splitters) the same before and after."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(600, 480)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(68, 68)


class TimelineWidget(QWidget):
    """Cumulative effective dose over time for one :class:`PatientHistory`."""

    examSelected = Signal(str)  # study instance UID

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colors = plot_colors()
        self._history: PatientHistory | None = None
        self._bg_rate = 2.4
        self._show_bars = False
        self._show_reference = True
        self._clinician = True
        self._markers: list[MarkerInfo] = []
        self._selected: str | None = None

        self._plot = None  # built by the first use of .plot (a history, ensure_plot)
        self._axis_title = ""
        self.legend = QLabel(self)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setAccessibleName("Timeline legend")
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setAccessibleName("Timeline note")
        self.fit_button = QToolButton(self)
        self.fit_button.setText("Fit")
        self.fit_button.setToolTip("Show every dated exam (after zooming or panning with the mouse wheel "
                                   "and drag)")
        self.fit_button.setAccessibleName("Fit the timeline to the exams")
        self.fit_button.clicked.connect(self.fit)
        self.undated = QLabel(self)  # instead of an empty axis when no exam has a date
        self.undated.setWordWrap(True)
        self.undated.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.undated.setAccessibleName("Timeline message")
        self.undated.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._plot_slot = _PlotSlot(self)  # where the plot goes once built, sized as the plot will be
        layout.addWidget(self._plot_slot, 1)
        layout.addWidget(self.undated, 1)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.legend, 1)
        row.addWidget(self.fit_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        layout.addWidget(self.note)
        self._fit_x: tuple[float, float] | None = None
        self._fit_y: tuple[float, float] | None = None

        # plot items, rebuilt by _redraw (public for tests and the screenshots)
        self.step_curve: pg.PlotDataItem | None = None
        self.band: pg.FillBetweenItem | None = None
        self.markers: pg.ScatterPlotItem | None = None
        self.selection_item: pg.ScatterPlotItem | None = None
        self.bars: pg.BarGraphItem | None = None
        self.reference_lines: list[pg.InfiniteLine] = []
        self.fit_button.setVisible(False)  # as _redraw leaves an empty timeline
        self.note.setVisible(False)
        self._ready = True

    @property
    def plot(self):
        """The pyqtgraph ``PlotWidget`` (built, and pyqtgraph imported, on first use)."""
        if self._plot is None:
            self.ensure_plot()
        return self._plot

    def ensure_plot(self) -> None:
        """Build the plot now (the window calls it once its patient list is shown)."""
        if self._plot is not None:
            return
        plot = _pyqtgraph().PlotWidget(axisItems={"bottom": _date_axis()})
        plot.setAccessibleName("Cumulative dose timeline")
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=True, y=False)  # wheel zooms, drag pans the time axis; fit() returns
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.getAxis("left").enableAutoSIPrefix(False)
        self.layout().replaceWidget(self._plot_slot, plot)
        self._plot_slot.deleteLater()
        self._plot = plot
        self._apply_colors()
        self._fit_axis_title()
        self._redraw()

    # public API ---------------------------------------------------------------
    def _label_gap_fraction(self) -> float:
        """How far apart reference lines must be (fraction of the plotted range) for their labels
        not to overlap at the plot's height: two labels of about 18 px, at least 9 %."""
        height = self.plot.getViewBox().height()
        return max(0.09, 2.4 * LABEL_PX / height) if height > 0 else 0.09  # (the drawn range is a little wider)

    def set_history(self, history: PatientHistory | None, background_msv_per_year: float = 2.4) -> None:
        """Show ``history`` (None clears the plot).

        Parameters
        ----------
        history : PatientHistory or None
            The patient's history.
        background_msv_per_year : float
            Natural background dose rate for the reference lines.
        """
        self._history = history
        self._bg_rate = background_msv_per_year
        self._selected = None
        self._redraw()

    def set_show_bars(self, show: bool) -> None:
        """Show or hide the per-year effective dose bars."""
        self._show_bars = bool(show)
        self._redraw()

    def set_show_reference_lines(self, show: bool) -> None:
        """Show or hide the natural-background and 100 mSv lines."""
        self._show_reference = bool(show)
        self._redraw()

    def set_clinician(self, clinician: bool) -> None:
        """Clinician view (every reference line) or patient view (natural background only)."""
        if self._clinician != bool(clinician):
            self._clinician = bool(clinician)
            self._redraw()

    def fit(self) -> None:
        """Show every dated exam again (after the user zoomed or panned)."""
        if self._fit_x is None or self._fit_y is None:
            return
        self.plot.setXRange(*self._fit_x, padding=0)
        self.plot.setYRange(*self._fit_y, padding=0)

    def fit_range(self) -> tuple[float, float] | None:
        """The time axis range :meth:`fit` shows (epoch seconds), or None when nothing is drawn."""
        return self._fit_x

    def marker_infos(self) -> list[MarkerInfo]:
        """The markers currently drawn, oldest first."""
        return list(self._markers)

    def selected_exam(self) -> str | None:
        """Study UID of the highlighted marker, or None."""
        return self._selected

    def select_exam(self, study_uid: str | None) -> None:
        """Highlight the marker of ``study_uid`` (no signal is emitted)."""
        self._selected = study_uid if any(m.study_uid == study_uid for m in self._markers) else None
        self._draw_selection()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt API
        """Follow the system switching between light and dark."""
        from PySide6.QtCore import QEvent

        if getattr(self, "_plot", None) is not None and event.type() in (
                QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_colors()
            self._redraw()
        super().changeEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self._plot is not None:
            self._fit_axis_title()

    def _fit_axis_title(self) -> None:
        """The y axis title, shortened when the plot is too short for all of it."""
        metrics = self.fontMetrics()
        full = "Cumulative effective dose (mSv)"
        title = full if metrics.horizontalAdvance(full) + 16 <= self.plot.height() else "Cumulative dose (mSv)"
        if title != self._axis_title:
            self._axis_title = title
            self.plot.setLabel("left", title.rsplit(" (", 1)[0], units="mSv")

    def _apply_colors(self) -> None:
        self._colors = plot_colors(self.palette())
        self.plot.setBackground(self._colors["background"])
        fg = self._colors["foreground"]
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(fg)
            axis.setTextPen(fg)

    # drawing ------------------------------------------------------------------
    def _redraw(self) -> None:
        if self._plot is None and self._history is None:
            return  # nothing to draw yet: the plot is built with the first history (or ensure_plot)
        self.plot.clear()
        self.legend.setText("")
        self.step_curve = self.band = self.markers = self.selection_item = self.bars = None
        self.reference_lines = []
        self._markers = []
        self._fit_x = self._fit_y = None
        h = self._history
        self._markers = marker_infos(h) if h is not None else []
        sentence = h is not None and not self._markers  # no exam, or only undated ones: not an empty axis
        if sentence:
            self.undated.setText(nothing_to_place_text(len(h.exams)))
        self.undated.setVisible(sentence)
        self.plot.setVisible(not sentence)
        self.fit_button.setVisible(bool(self._markers))
        self.note.setVisible(False)
        if not self._markers:
            return
        xs = [iso_to_epoch(c.date) for c in h.cumulative]
        pts = sorted(((x, c) for x, c in zip(xs, h.cumulative) if x is not None), key=lambda p: p[0])  # stable: same-day exams keep their order
        end_x = max([time.time()] + [m.x for m in self._markers])
        top = 0.0
        step_line = None
        if pts:
            px = [p[0] for p in pts]
            sx, sy = step_coordinates(px, [p[1].cumulative_msv for p in pts], end_x)
            step_line = (list(sx), list(sy))
            lx, ly = step_coordinates(px, [p[1].low_msv for p in pts], end_x)
            hx, hy = step_coordinates(px, [p[1].high_msv for p in pts], end_x)
            low = pg.PlotDataItem(lx, ly, pen=pg.mkPen(None))
            high = pg.PlotDataItem(hx, hy, pen=pg.mkPen(None))
            self.band = pg.FillBetweenItem(low, high, brush=pg.mkBrush(self._colors["band"]))
            for item in (low, high, self.band):
                self.plot.addItem(item)
            self.step_curve = pg.PlotDataItem(sx, sy, pen=pg.mkPen(self._colors["line"], width=2.5),
)
            self.plot.addItem(self.step_curve)
            top = max(hy + sy)
        if self._show_bars and h.per_year_msv:
            years = sorted(h.per_year_msv)
            x = [iso_to_epoch(f"{y}-07-02") for y in years]
            self.bars = pg.BarGraphItem(x=x, height=[h.per_year_msv[y] for y in years],
                                        width=YEAR_S * 0.8, brush=pg.mkBrush(self._colors["bars"]),
                                        pen=pg.mkPen(None))
            self.bars.setZValue(-10)
            self.plot.addItem(self.bars)
        fit_xs = [m.x for m in self._markers]  # the exams (and their year bars) with some room, not up to today
        if self.bars is not None:
            fit_xs += [x + d * YEAR_S * 0.4 for x in self.bars.opts["x"] for d in (-1, 1)]
        x0, x1 = fit_x_range(fit_xs)
        if self._show_reference:
            label_fill = QColor(self._colors["background"])
            label_fill.setAlpha(210)
            lines = background_lines(top, self._bg_rate, clinician=self._clinician,
                                     gap_fraction=self._label_gap_fraction())
            y_top = max([top] + [y for y, _ in lines]) * 1.12
            for y, label in lines:
                color = self._colors["reference" if y == HIGH_CUMULATIVE_MSV else "background_lines"]
                plot_px = max(self.plot.width() - 60, 200)  # minus the y axis
                fraction = (len(label) * 7 + 12) / plot_px
                place = label_place(self._markers, y, y_top, x0, x1, fraction, line=step_line)
                anchor = (1 if place.startswith("right") else 0, 1 if place.endswith("above") else 0)
                opts = {"position": 0.98 if place.startswith("right") else 0.02, "color": color,
                        "fill": label_fill, "anchors": [anchor, anchor]}
                line = pg.InfiniteLine(pos=y, angle=0, movable=False,
                                       pen=pg.mkPen(color, width=1.2, style=Qt.PenStyle.DashLine),
                                       label=label, labelOpts=opts)
                line.setZValue(-5)
                self.plot.addItem(line)
                self.reference_lines.append(line)
                top = max(top, y)
        self._draw_markers()
        # no estimate at all: a 1 mSv scale, not a misleading 0.1 one; a little room below 0 so
        # markers of exams without an estimate (drawn at the running total) are not cut in half
        span = max(top, 0.1 if self.step_curve is not None else 1.0) * 1.12
        self._fit_x, self._fit_y = (x0, x1), (-span * 0.03, span)
        # zoom and pan stay near the history: a few years either side, not further in than a month
        self.plot.getViewBox().setLimits(xMin=x0 - 5 * YEAR_S, xMax=max(x1, end_x) + 2 * YEAR_S,
                                         minXRange=30 * 86400)
        self.fit()
        self._set_note(h)
        self._draw_selection()

    def _draw_markers(self) -> None:
        spots = []
        seen: dict[str, dict] = {}
        for m in self._markers:
            if m.has_estimate and not m.counted:  # a hollow square in its modality's colour: not in the total
                spot = {"pos": (m.x, m.y), "data": m.study_uid, "size": 12, "symbol": "s",
                        "brush": pg.mkBrush(self._colors["background"]),
                        "pen": pg.mkPen(modality_color(m.modality), width=2)}
                seen.setdefault("not counted", spot)
            elif m.typical:  # hollow, in the modality's colour: an estimate without the exam's own figures
                spot = {"pos": (m.x, m.y), "data": m.study_uid, "size": 12, "symbol": "o",
                        "brush": pg.mkBrush(self._colors["background"]),
                        "pen": pg.mkPen(modality_color(m.modality), width=2.5)}
                seen.setdefault(m.modality, spot)
                seen.setdefault("typical value", spot)
            elif m.has_estimate:
                c = modality_color(m.modality)
                spot = {"pos": (m.x, m.y), "data": m.study_uid, "size": 13, "symbol": "o",
                        "brush": pg.mkBrush(c), "pen": pg.mkPen(QColor("white"), width=1)}
                seen.setdefault(m.modality, spot)
            else:
                spot = {"pos": (m.x, m.y), "data": m.study_uid, "size": 13, "symbol": "o",
                        "brush": pg.mkBrush(None),
                        "pen": pg.mkPen(self._colors["no_estimate"], width=2)}
                seen.setdefault("no estimate", spot)
            spots.append(spot)
        tips = {m.study_uid: m.tooltip for m in self._markers}
        self.markers = pg.ScatterPlotItem(hoverable=True, tip=lambda x, y, data: tips.get(data, ""),
                                          hoverSize=17)
        self.markers.addPoints(spots)
        self.markers.setZValue(10)
        self.markers.sigClicked.connect(self._on_clicked)
        self.plot.addItem(self.markers)
        entries = []  # (symbol, text): an entry never wraps inside, the legend wraps between entries
        if self.step_curve is not None:
            entries.append((f'<span style="color:{self._colors["line"].name()}">&#9644;</span>',
                            "cumulative total (shaded: uncertainty range)"))
        for name in sorted(seen, key=lambda n: (n in ("typical value", "not counted", "no estimate"), n)):
            if name == "not counted":
                sym = f'<span style="color:{self._colors["foreground"].name()}">&#9633;</span>'
                entries.append((sym, "square: not counted in the total (probable QA/phantom scan or your choice)"))
                continue
            if name == "no estimate":
                sym = f'<span style="color:{self._colors["no_estimate"].name()}">&#9675;</span>'
            elif name == "typical value":
                sym = f'<span style="color:{self._colors["foreground"].name()}">&#9675;</span>'
                entries.append((sym, "hollow: " + TYPICAL_VALUE_TEXT))
                continue
            else:
                sym = f'<span style="color:{modality_color(name).name()}">&#9679;</span>'
            entries.append((sym, name if self._clinician or name == "no estimate" else exam_kind([name])))
        if self.bars is not None:
            entries.append((f'<span style="color:{self._colors["bars"].name()}">&#9632;</span>', "dose per year"))
        self.legend.setText(" &nbsp; ".join(
            f"{sym}&nbsp;{escape(text).replace(' ', '&nbsp;').replace('-', '&#8209;')}" for sym, text in entries))

    def _draw_selection(self) -> None:
        if self.selection_item is not None:
            self.plot.removeItem(self.selection_item)
            self.selection_item = None
        m = next((m for m in self._markers if m.study_uid == self._selected), None)
        if m is None:
            return
        pen = pg.mkPen(self._colors["foreground"], width=2.5)
        self.selection_item = pg.ScatterPlotItem([m.x], [m.y], size=23, symbol="o",
                                                 brush=pg.mkBrush(None), pen=pen)
        self.selection_item.setZValue(20)
        self.selection_item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.plot.addItem(self.selection_item)

    def _on_clicked(self, _item, points, _event=None) -> None:
        if len(points) == 0:
            return
        uid = points[0].data()
        self.select_exam(uid)
        self.examSelected.emit(uid)

    def _set_note(self, h: PatientHistory) -> None:
        note = timeline_note(  # unplaced: missing or impossible dates, in the total but not on the curve
            no_estimate=sum(1 for m in self._markers if not m.has_estimate),
            not_counted=sum(1 for m in self._markers if m.has_estimate and not m.counted),
            unplaced=unplaced_exams(h))
        self.note.setText(note)
        self.note.setVisible(bool(note))
        last = h.cumulative[-1].cumulative_msv if h.cumulative else 0.0
        self.plot.setAccessibleDescription(
            f"{len(self._markers)} exams from {epoch_to_iso(min(m.x for m in self._markers)) if self._markers else '-'}; "
            f"cumulative about {fmt_number(last)} mSv")
