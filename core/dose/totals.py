"""A patient's cumulative effective dose over their exams.

Exams with an estimate add up (non-ionising exams count as 0.0); ionising
or unknown exams without one are counted in ``exams_without_estimate`` and
never treated as zero. Sums use :func:`math.fsum`, so the totals do not
depend on the order of the exams.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .study import StudyEstimate

#: Cumulative effective dose (mSv) from which the clinician is told: the level used in the IAEA work
#: on recurrent imaging (context.md). The one definition; the window and the PDF import it.
HIGH_CUMULATIVE_MSV = 100.0


@dataclass
class TotalsPoint:
    """The cumulative total after the exams of one date (oldest first)."""

    date: str
    cumulative_msv: float
    low_msv: float
    high_msv: float
    exams: int  # exams with an estimate on this date


@dataclass
class PatientTotals:
    cumulative_msv: float = 0.0
    range_msv: tuple[float, float] = (0.0, 0.0)
    per_year: dict[int, float] = field(default_factory=dict)
    exams_without_estimate: int = 0
    exams_with_estimate: int = 0
    exams_not_counted: int = 0  # probable QA/phantom scans (or the user's choice): in no figure above
    undated_msv: float = 0.0  # part of the cumulative from exams without a date
    points: list[TotalsPoint] = field(default_factory=list)

    @property
    def range(self) -> tuple[float, float]:  # noqa: A003 - the name the API documents
        """Alias of ``range_msv``: (low, high) in mSv."""
        return self.range_msv


def _year(date: str | None) -> int | None:
    if not date or len(date) < 4 or not date[:4].isdigit():
        return None
    return int(date[:4])


def _date_key(date: str | None) -> str | None:
    if not date:
        return None
    digits = date.replace("-", "")[:8]
    if len(digits) == 8 and digits.isdigit():
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"
    return None


def patient_totals(estimates: list[tuple[str | None, StudyEstimate]]
                   | list[tuple[str | None, StudyEstimate, bool]]) -> PatientTotals:
    """Cumulative effective dose of one patient's exams.

    Parameters
    ----------
    estimates : list of (date, StudyEstimate) or (date, StudyEstimate, counted)
        One entry per exam; the date is ISO ``YYYY-MM-DD`` (or DICOM DA) or
        None. ``counted`` (default True) is False for an exam kept out of
        the total (a probable QA/phantom scan the user has not counted): it
        adds to nothing but ``exams_not_counted``.

    Returns
    -------
    PatientTotals
        ``cumulative_msv`` and ``range_msv`` sum the exams that have an
        estimate; ``per_year`` by exam year (dated exams only);
        ``points``: the running total after each exam date, oldest first
        (undated exams are in the totals and ``undated_msv`` but not in the
        points).
    """
    values: list[float] = []
    lows: list[float] = []
    highs: list[float] = []
    per_year: dict[int, list[float]] = {}
    by_date: dict[str, list[tuple[float, float, float]]] = {}
    undated: list[float] = []
    without = 0
    not_counted = 0
    for entry in estimates:
        date, est = entry[0], entry[1]
        if len(entry) > 2 and not entry[2]:
            not_counted += 1
            continue
        value = est.effective_dose_msv
        if value is None:
            if est.ionising is not False:
                without += 1
            continue
        low, high = est.effective_dose_range_msv or (value, value)
        values.append(value)
        lows.append(low)
        highs.append(high)
        key = _date_key(date)
        year = _year(key)
        if key is None or year is None:
            undated.append(value)
            continue
        per_year.setdefault(year, []).append(value)
        by_date.setdefault(key, []).append((value, low, high))
    totals = PatientTotals(
        cumulative_msv=math.fsum(values),
        range_msv=(math.fsum(lows), math.fsum(highs)),
        per_year={y: math.fsum(v) for y, v in sorted(per_year.items())},
        exams_without_estimate=without,
        exams_with_estimate=len(values),
        exams_not_counted=not_counted,
        undated_msv=math.fsum(undated),
    )
    running: list[tuple[float, float, float]] = []
    for key in sorted(by_date):
        running.extend(by_date[key])
        totals.points.append(TotalsPoint(
            date=key,
            cumulative_msv=math.fsum(v for v, _, _ in running),
            low_msv=math.fsum(lo for _, lo, _ in running),
            high_msv=math.fsum(hi for _, _, hi in running),
            exams=len(by_date[key]),
        ))
    return totals
