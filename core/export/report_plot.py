"""The cumulative effective dose plot of the PDF report (reportlab.graphics).

A step line of the cumulative effective dose over time, its uncertainty band
(the summed low and high ends of each exam's range), a marker per exam with
an estimate and a hollow marker on the time axis for each dated exam without
one. Core never imports Qt: this is drawn with reportlab's vector graphics.
"""
from __future__ import annotations

import math
from datetime import date

from reportlab.graphics.shapes import (
    Circle,
    Drawing,
    Group,
    Line,
    PolyLine,
    Polygon,
    Rect,
    String,
)
from reportlab.lib import colors

from ..dicom.dates import to_date
from ..model.history import PatientHistory

LINE = colors.HexColor("#1f5f99")
BAND = colors.HexColor("#c9dcef")
GRID = colors.HexColor("#d9d9d9")
NO_ESTIMATE = colors.HexColor("#b35900")


def nice_step(span: float, target_ticks: int = 5) -> float:
    """A 1-2-5 step that divides ``span`` into about ``target_ticks`` parts.

    Parameters
    ----------
    span
        The axis span (> 0).
    target_ticks
        About how many intervals are wanted.

    Returns
    -------
    float
    """
    raw = span / max(target_ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= mult * magnitude:
            return mult * magnitude
    return 10 * magnitude


def _ordinal(iso: str) -> int | None:
    d = to_date(iso)
    return d.toordinal() if d else None


def cumulative_drawing(history: PatientHistory, width: float, height: float, *,
                       font: str = "Helvetica") -> Drawing:
    """Draw the cumulative effective dose of a patient.

    Parameters
    ----------
    history
        The patient's history; ``history.cumulative`` gives the points.
    width, height
        Size in points.
    font
        A registered font name for the labels.

    Returns
    -------
    reportlab.graphics.shapes.Drawing
    """
    d = Drawing(width, height)
    left, right, bottom, top = 44.0, 10.0, 34.0, 8.0
    pw, ph = width - left - right, height - bottom - top
    points = [(o, p) for p in history.cumulative if (o := _ordinal(p.date)) is not None]
    missing = [o for x in history.exams
               if x.effective_dose_msv is None and x.date and (o := _ordinal(x.date)) is not None]
    xs = [o for o, _ in points] + missing
    if not xs:
        d.add(String(width / 2, height / 2, "No dated exam to plot", fontName=font, fontSize=9,
                     textAnchor="middle"))
        return d
    x_lo, x_hi = min(xs), max(xs)
    span = max(x_hi - x_lo, 1)
    pad = max(span * 0.04, 60)
    x_lo, x_hi = x_lo - pad, x_hi + pad
    y_max = max([p.high_msv for _, p in points] + [p.cumulative_msv for _, p in points] + [0.0])
    if y_max <= 0:
        y_max = 1.0
    step = nice_step(y_max)
    y_top = math.ceil(y_max / step) * step

    def sx(o: float) -> float:
        return left + (o - x_lo) / (x_hi - x_lo) * pw

    def sy(v: float) -> float:
        return bottom + v / y_top * ph

    # grid and y axis labels
    v = 0.0
    while v <= y_top + step / 2:
        d.add(Line(left, sy(v), left + pw, sy(v), strokeColor=GRID, strokeWidth=0.5))
        d.add(String(left - 4, sy(v) - 3, f"{v:g}", fontName=font, fontSize=7, textAnchor="end"))
        v += step
    label = String(0, 0, "Cumulative effective dose (mSv)", fontName=font, fontSize=7,
                   textAnchor="middle")
    rot = Group(label)
    rot.transform = (0, 1, -1, 0, 10, bottom + ph / 2)
    d.add(rot)
    # x axis: 1 January of each year in range (thinned), or the end dates
    y0, y1 = date.fromordinal(int(x_lo)).year, date.fromordinal(int(x_hi)).year
    years = [y for y in range(y0, y1 + 1) if x_lo <= date(y, 1, 1).toordinal() <= x_hi]
    every = max(1, math.ceil(len(years) / 10))
    ticks = [(date(y, 1, 1).toordinal(), str(y)) for y in years[::every]]
    if len(ticks) < 2:
        ticks = [(o, date.fromordinal(o).strftime("%Y-%m")) for o in sorted({min(xs), max(xs)})]
    for o, text in ticks:
        d.add(Line(sx(o), bottom, sx(o), bottom - 3, strokeColor=colors.black, strokeWidth=0.5))
        d.add(String(sx(o), bottom - 12, text, fontName=font, fontSize=7, textAnchor="middle"))
    d.add(Line(left, bottom, left + pw, bottom, strokeColor=colors.black, strokeWidth=0.7))
    d.add(Line(left, bottom, left, bottom + ph, strokeColor=colors.black, strokeWidth=0.7))

    if points:
        xs_pts = [x_lo] + [o for o, _ in points] + [x_hi]
        cum = [0.0] + [p.cumulative_msv for _, p in points]
        low = [0.0] + [p.low_msv for _, p in points]
        high = [0.0] + [p.high_msv for _, p in points]

        def steps(values: list[float]) -> list[tuple[float, float]]:
            out = []
            for i, val in enumerate(values):
                out += [(sx(xs_pts[i]), sy(val)), (sx(xs_pts[i + 1]), sy(val))]
            return out

        upper, lower = steps(high), steps(low)
        band = [c for pt in upper + lower[::-1] for c in pt]
        d.add(Polygon(band, fillColor=BAND, strokeColor=None, strokeWidth=0))
        line = [c for pt in steps(cum) for c in pt]
        d.add(PolyLine(line, strokeColor=LINE, strokeWidth=1.4))
        for o, p in points:
            d.add(Circle(sx(o), sy(p.cumulative_msv), 2.6, fillColor=LINE,
                         strokeColor=colors.white, strokeWidth=0.5))
    for o in missing:
        d.add(Circle(sx(o), bottom, 2.6, fillColor=colors.white, strokeColor=NO_ESTIMATE,
                     strokeWidth=1))

    # legend
    ly = 4.0
    lx = left
    d.add(Line(lx, ly + 3, lx + 14, ly + 3, strokeColor=LINE, strokeWidth=1.4))
    d.add(Circle(lx + 7, ly + 3, 2.4, fillColor=LINE, strokeColor=colors.white, strokeWidth=0.5))
    d.add(String(lx + 18, ly, "cumulative effective dose (exam = dot)", fontName=font,
                 fontSize=7))
    lx += 165
    d.add(Rect(lx, ly - 1, 14, 8, fillColor=BAND, strokeColor=None))
    d.add(String(lx + 18, ly, "uncertainty range", fontName=font, fontSize=7))
    if missing:
        lx += 85
        d.add(Circle(lx + 5, ly + 3, 2.6, fillColor=colors.white, strokeColor=NO_ESTIMATE,
                     strokeWidth=1))
        d.add(String(lx + 12, ly, "exam without a dose estimate (not in the total)",
                     fontName=font, fontSize=7))
    return d
