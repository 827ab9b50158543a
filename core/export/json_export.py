"""The ``dosetrail.export/1`` JSON document of the contract."""
from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from ..birth_date import birth_date_warning, known_birth_date
from ..model.history import ExamView, PatientHistory

SCHEMA = "dosetrail.export/1"


def json_number(value: float | None, digits: int = 6) -> float | None:
    """A figure for JSON: rounded to ``digits`` decimals; None stays None (null, never 0)."""
    return None if value is None else round(float(value), digits)


def json_range(rng) -> list[float] | None:
    """A (low, high) range for JSON, or None."""
    return [json_number(rng[0]), json_number(rng[1])] if rng else None


def _flat(obj) -> dict[str, Any]:
    """A flat dataclass's fields (``asdict`` without its deep copies: an export calls this per event)."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def event_json(event) -> dict[str, Any]:
    """One irradiation event of the per-event breakdown (figures rounded, null stays null)."""
    return {k: (json_number(v) if isinstance(v, float) else json_range(v) if isinstance(v, tuple) else v)
            for k, v in _flat(event).items()}


def study_json(exam: ExamView) -> dict[str, Any]:
    dose = {k: (json_number(v) if isinstance(v, float) else v) for k, v in _flat(exam.dose).items()}
    out = {
        "study_instance_uid": exam.study_instance_uid,
        "date": exam.date,
        "time": exam.time,
        "modalities": list(exam.modalities),
        "description": exam.description,
        "institution": exam.institution,
        "body_region": exam.body_region,
        "age_years": json_number(exam.age_years, 2),
        "ionising": exam.ionising,
        "dose": dose,
        "effective_dose_msv": json_number(exam.effective_dose_msv),
        "effective_dose_range_msv": json_range(exam.effective_dose_range_msv),
        "method": exam.method,
        "factor_set": exam.factor_set,
        "sources": list(exam.sources),
        "warnings": list(exam.warnings),
        # additions (the contract allows adding fields)
        "accession_number": exam.accession_number,
        "reported_effective_dose_msv": json_number(exam.reported_effective_dose_msv),
        "reference_levels": [asdict(f) for f in exam.reference_levels],
        "counted_in_total": exam.counted_in_total,
        "not_counted_reason": exam.not_counted_reason,
        "factor_status": exam.factor_status,
        "events": [event_json(e) for e in exam.events],
        "estimate_parts": [
            {**asdict(p), "range_msv": json_range(p.range_msv), "effective_dose_msv": json_number(p.effective_dose_msv)}
            for p in exam.parts
        ],
    }
    return out


def patient_json(history: PatientHistory) -> dict[str, Any]:
    p = history.patient
    placeholder = birth_date_warning(p.birth_date)  # 1900-01-01, 9999-01-01: unknown, and said so
    return {
        "patient_key": p.key,
        "patient_ids": [{"id": pid, "issuer": issuer or None} for pid, issuer in p.patient_ids],
        "name": p.name,
        "birth_date": known_birth_date(p.birth_date),
        "sex": p.sex,
        "cumulative_effective_dose_msv": json_number(p.cumulative_effective_dose_msv),
        "cumulative_effective_dose_range_msv": json_range(p.cumulative_effective_dose_range_msv),
        "exams_without_dose_estimate": p.exams_without_dose_estimate,
        "exams_not_counted": p.exams_not_counted,
        "height_m": json_number(p.height_m, 3),
        "weight_kg": json_number(p.weight_kg, 3),
        "per_year_effective_dose_msv": {str(y): json_number(v) for y, v in history.per_year_msv.items()},
        "studies": [study_json(e) for e in history.exams],
        "warnings": [placeholder] if placeholder else [],
    }


def export_document(histories: list[PatientHistory], factor_set: str, software_version: str) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "factor_set": factor_set,
        "software_version": software_version,
        "patients": [patient_json(h) for h in histories],
    }
