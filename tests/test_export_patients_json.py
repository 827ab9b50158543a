"""``patients --json``: the fixed-layout writer gives ``json.dumps(indent=2, ensure_ascii=False)``'s bytes."""
from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from dosetrail.core.export.patients_json import SCHEMA, patient_summary_json, patients_document
from dosetrail.core.model.history import PatientSummary

_text = st.text(max_size=10)  # any characters: controls, quotes, non-BMP, bidi marks
_opt_text = st.none() | _text
_dates = st.none() | st.sampled_from(["1970-01-31", "1900-01-01", "9999-12-31", "", "1899-12-31", "20000101"])
_figure = st.none() | st.floats(allow_nan=True, allow_infinity=True) | st.integers(-5, 5)
_counts = st.integers(0, 10**6)
_summaries = st.builds(
    PatientSummary,
    key=_text, name=_opt_text, birth_date=_dates, sex=_opt_text,
    patient_ids=st.lists(st.tuples(_text, st.sampled_from(["", "HOSP-A"]) | _text), max_size=3),
    exam_count=_counts,
    cumulative_effective_dose_msv=_figure,
    cumulative_effective_dose_range_msv=st.none() | st.tuples(_figure, _figure),
    exams_without_dose_estimate=_counts,
    exams_not_counted=_counts,
)


def reference(rows: list[PatientSummary]) -> str:
    return json.dumps({"schema": SCHEMA, "patients": [patient_summary_json(p) for p in rows]},
                      ensure_ascii=False, indent=2)


@settings(max_examples=300, deadline=None)
@given(st.lists(_summaries, max_size=4))
def test_any_patients_give_json_dumps_bytes(rows):
    assert patients_document(rows) == reference(rows)


def test_a_placeholder_birth_date_is_null_with_its_warning():
    p = PatientSummary(key="P1", name="DOE^JANE", birth_date="1900-01-01", sex="F", patient_ids=[("1", "")],
                       exam_count=2, cumulative_effective_dose_msv=1.23456789, cumulative_effective_dose_range_msv=(
                           0.5, 2.0), exams_without_dose_estimate=1)
    doc = json.loads(patients_document([p]))
    (out,) = doc["patients"]
    assert out["birth_date"] is None and out["warnings"] == [
        "birth date 1900-01-01 is a placeholder for an unknown birth date; read as unknown"]
    assert out["cumulative_effective_dose_msv"] == 1.234568
    assert out["patient_ids"] == [{"id": "1", "issuer": None}]
    assert patients_document([p]) == reference([p])
    assert patients_document([]) == reference([])
