"""A patient's exposure history as plain dataclasses (for the GUI, CLI and exports)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..dose.study import DoseFigures, EstimatePart, EventEstimate, ReferenceLevelFlag
from ..dose.totals import ExamDose, PatientTotals, TotalsPoint, patient_totals


@dataclass
class PatientSummary:
    key: str
    name: str
    birth_date: str | None
    sex: str | None
    patient_ids: list[tuple[str, str]]  # (id, issuer)
    exam_count: int
    # sum of the exams that have an estimate; None when none of its exams has one (unknown, not 0)
    cumulative_effective_dose_msv: float | None
    cumulative_effective_dose_range_msv: tuple[float, float] | None
    exams_without_dose_estimate: int
    first_exam_date: str | None = None
    last_exam_date: str | None = None
    exams_not_counted: int = 0  # probable QA/phantom scans (or the user's choice) left out of the total
    height_m: float | None = None  # the latest plausible value known, else None
    weight_kg: float | None = None


@dataclass
class SeriesView:
    series_uid: str
    number: int | None
    modality: str
    description: str | None
    body_part: str | None
    instance_count: int
    protocol_name: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    station: str | None = None  # Station Name: which scanner/room (the data lake's device)


@dataclass
class ExamView:
    """One study with its dose estimate (the contract's per-study export fields)."""

    study_instance_uid: str
    date: str | None
    time: str | None
    modalities: list[str]
    description: str | None
    institution: str | None
    body_region: str | None
    age_years: float | None
    ionising: bool | None
    dose: DoseFigures
    effective_dose_msv: float | None
    effective_dose_range_msv: tuple[float, float] | None
    method: str | None
    factor_set: str | None
    sources: list[str]
    warnings: list[str]
    accession_number: str | None = None
    reference_levels: list[ReferenceLevelFlag] = field(default_factory=list)
    parts: list[EstimatePart] = field(default_factory=list)
    reported_effective_dose_msv: float | None = None
    series: list[SeriesView] = field(default_factory=list)
    # in the patient's cumulative total? False for a probable QA/phantom/test object
    # (``test_object`` says why) unless the user counts it (``count_override``)
    counted_in_total: bool = True
    not_counted_reason: str | None = None
    test_object: str | None = None
    count_override: bool | None = None
    events: list[EventEstimate] = field(default_factory=list)  # per-event breakdown ([] for older estimates)
    factor_status: str | None = None  # the weakest status of the factors behind the estimate

    @property
    def has_estimate(self) -> bool:
        return self.effective_dose_msv is not None


#: One point of the cumulative curve: the running total after one placed exam (core.dose.totals,
#: the one aggregation, makes them).
CumulativePoint = TotalsPoint


@dataclass
class PatientHistory:
    patient: PatientSummary
    exams: list[ExamView]  # oldest first; exams without a date last
    cumulative: list[CumulativePoint]  # one point per exam with an estimate, oldest first
    per_year_msv: dict[int, float]
    factor_set: str


def history_totals(exams: list[ExamView]) -> PatientTotals:
    """The totals of a history's exams (oldest first) by the one aggregation
    (:func:`core.dose.totals.patient_totals`, which the library's patient summaries also use)."""
    return patient_totals(ExamDose(e.study_instance_uid, e.date, e.effective_dose_msv, e.effective_dose_range_msv,
                                   e.ionising, e.counted_in_total) for e in exams)
