"""A patient's totals: the one aggregation of their exams' effective doses.

Used by the library's patient summaries (``core.library.summaries.patient_summaries``),
by the history (``build_history``) and by the GUI tests' fake, so the patient
list, the history, the window and the PDF all add up the same way:

- exams with an estimate add up (non-ionising exams count as 0.0);
- ionising or unknown exams without one are counted in
  ``exams_without_estimate`` and never treated as zero;
- an exam kept out of the total (a probable QA/phantom scan the user has not
  counted) adds only to ``exams_not_counted``;
- an exam whose date cannot be placed (missing, or impossible such as
  2023-02-31) still counts in the total, but not per year nor on the
  cumulative curve: ``exams_unplaced`` / ``undated_msv`` say so.

Sums use :func:`math.fsum`, so the totals do not depend on the order of the exams.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date as _date
from functools import lru_cache
from typing import Iterable

from .study import StudyEstimate

#: Cumulative effective dose (mSv) from which the clinician is told: the level used in the IAEA work
#: on recurrent imaging (context.md). The one definition; the window and the PDF import it.
HIGH_CUMULATIVE_MSV = 100.0


@dataclass(slots=True)
class ExamDose:
    """What the totals need of one exam."""

    uid: str
    date: str | None  # ISO yyyy-mm-dd (or DICOM DA); None or impossible: cannot be placed
    effective_dose_msv: float | None
    range_msv: tuple[float, float] | None = None
    ionising: bool | None = True
    counted: bool = True  # False: left out of the total (probable QA/phantom scan)

    @classmethod
    def from_estimate(cls, uid: str, date: str | None, est: StudyEstimate | None, counted: bool = True) -> ExamDose:
        """An exam from its stored :class:`StudyEstimate` (None: not estimated yet)."""
        if est is None:
            return cls(uid, date, None, None, None, counted)
        return cls(uid, date, est.effective_dose_msv, est.effective_dose_range_msv, est.ionising, counted)


@dataclass
class TotalsPoint:
    """The cumulative total after one placed exam (oldest first)."""

    date: str
    study_instance_uid: str
    cumulative_msv: float
    low_msv: float
    high_msv: float


@dataclass
class PatientTotals:
    cumulative_msv: float = 0.0
    range_msv: tuple[float, float] = (0.0, 0.0)
    per_year: dict[int, float] = field(default_factory=dict)
    exams_without_estimate: int = 0
    exams_with_estimate: int = 0
    exams_not_counted: int = 0  # probable QA/phantom scans (or the user's choice): in no figure above
    exams_unplaced: int = 0  # exams whose date cannot be placed (counted or not, estimated or not)
    undated_msv: float = 0.0  # part of the cumulative from exams whose date cannot be placed
    points: list[TotalsPoint] = field(default_factory=list)

    @property
    def range(self) -> tuple[float, float]:  # noqa: A003 - the name the API documents
        """Alias of ``range_msv``: (low, high) in mSv."""
        return self.range_msv

    @property
    def total_or_unknown(self) -> float | None:
        """The cumulative total, or None when it is unknown: no exam has an estimate and some lack one."""
        if self.exams_with_estimate == 0 and self.exams_without_estimate > 0:
            return None
        return self.cumulative_msv

    def summary_figures(self) -> tuple[float | None, tuple[float, float] | None]:
        """``(total, (low, high))`` as a patient summary states them: rounded to 1e-6 mSv,
        ``(None, None)`` when the total is unknown (:attr:`total_or_unknown`)."""
        if self.total_or_unknown is None:
            return None, None
        return round(self.cumulative_msv, 6), (round(self.range_msv[0], 6), round(self.range_msv[1], 6))


@lru_cache(maxsize=4096)  # a library has few distinct dates; the patient list places every study
def placed_date(text: str | None) -> str | None:
    """The ISO date an exam is placed at, or None when it cannot be placed.

    Parameters
    ----------
    text : str or None
        ``"2023-02-14"`` or DICOM DA ``"20230214"``.

    Returns
    -------
    str or None
        ``"2023-02-14"``; None for a missing, partial or impossible date (``"2023-02-31"``).
    """
    if not text:
        return None
    digits = text.replace("-", "")[:8]
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return _date(int(digits[:4]), int(digits[4:6]), int(digits[6:])).isoformat()
    except ValueError:
        return None


def patient_totals(exams: Iterable[ExamDose], points: bool = True) -> PatientTotals:
    """Cumulative effective dose of one patient's exams.

    Parameters
    ----------
    exams : iterable of ExamDose
        One entry per exam, in the order the history lists them (oldest first).
    points : bool
        False: leave ``points`` (the cumulative curve) empty; every other
        figure is the same (the patient list needs no curve).

    Returns
    -------
    PatientTotals
        ``cumulative_msv`` and ``range_msv`` sum the counted exams that have an
        estimate; ``per_year`` by exam year (placed exams only); ``points``: the
        running total after each placed, counted exam with an estimate, oldest
        first (same-date exams in the given order).
    """
    values: list[float] = []
    lows: list[float] = []
    highs: list[float] = []
    per_year: dict[int, list[float]] = {}
    placed: list[tuple[str, int, ExamDose, float, float, float]] = []
    undated: list[float] = []
    without = not_counted = unplaced = 0
    for order, exam in enumerate(exams):
        when = placed_date(exam.date)
        unplaced += when is None
        if not exam.counted:
            not_counted += 1
            continue
        value = exam.effective_dose_msv
        if value is None:
            without += exam.ionising is not False
            continue
        low, high = exam.range_msv or (value, value)
        values.append(value)
        lows.append(low)
        highs.append(high)
        if when is None:
            undated.append(value)
            continue
        per_year.setdefault(int(when[:4]), []).append(value)
        placed.append((when, order, exam, value, low, high))
    totals = PatientTotals(
        cumulative_msv=math.fsum(values),
        range_msv=(math.fsum(lows), math.fsum(highs)),
        per_year={y: math.fsum(v) for y, v in sorted(per_year.items())},
        exams_without_estimate=without,
        exams_with_estimate=len(values),
        exams_not_counted=not_counted,
        exams_unplaced=unplaced,
        undated_msv=math.fsum(undated),
    )
    if not points:
        return totals
    total = low_sum = high_sum = 0.0
    for when, _, exam, value, low, high in sorted(placed, key=lambda p: (p[0], p[1])):
        total, low_sum, high_sum = total + value, low_sum + low, high_sum + high
        totals.points.append(TotalsPoint(when, exam.uid, round(total, 6), round(low_sum, 6), round(high_sum, 6)))
    return totals
