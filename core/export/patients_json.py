"""The ``dosetrail.patients/1`` document (``dosetrail patients --json``).

:func:`patient_summary_json` is the document's definition (one patient's
object); :func:`patients_document` writes the whole document with the same
bytes as ``json.dumps(..., ensure_ascii=False, indent=2)`` of those objects,
but fills a fixed layout instead of walking dicts: the list is read on every
start of a script or the window's first page, over thousands of patients.
"""
from __future__ import annotations

from collections.abc import Iterable
from json.encoder import encode_basestring as _str  # C-accelerated, ensure_ascii=False
from typing import Any

from ..birth_date import birth_date_warning, is_placeholder_birth_date, known_birth_date
from ..model.history import PatientSummary
from .json_export import json_number, json_range
from .stream import _float, indented

SCHEMA = "dosetrail.patients/1"


def patient_summary_json(p: PatientSummary) -> dict[str, Any]:
    """One patient of the ``dosetrail.patients/1`` document."""
    return {
        "patient_key": p.key, "name": p.name, "birth_date": known_birth_date(p.birth_date), "sex": p.sex,
        "patient_ids": [{"id": i, "issuer": s or None} for i, s in p.patient_ids],
        "exam_count": p.exam_count,
        "cumulative_effective_dose_msv": json_number(p.cumulative_effective_dose_msv),
        "cumulative_effective_dose_range_msv": json_range(p.cumulative_effective_dose_range_msv),
        "exams_without_dose_estimate": p.exams_without_dose_estimate,
        "exams_not_counted": p.exams_not_counted,
        "warnings": [w for w in (birth_date_warning(p.birth_date),) if w],
    }


def patients_document(rows: Iterable[PatientSummary]) -> str:
    """The document's text: ``json.dumps({"schema": ..., "patients": [...]}, ensure_ascii=False, indent=2)``.

    Parameters
    ----------
    rows : iterable of PatientSummary
        As ``Library.patients()`` gives them.

    Returns
    -------
    str
        Without the final newline.
    """
    parts = [_patient(p) for p in rows]
    if not parts:
        return '{\n  "schema": "dosetrail.patients/1",\n  "patients": []\n}'
    return '{\n  "schema": "dosetrail.patients/1",\n  "patients": [\n' + ",\n".join(parts) + "\n  ]\n}"


def _text(v: str | None) -> str:
    return "null" if v is None else _str(v) if type(v) is str else indented(v, "      ")


def _number(v: Any) -> str:
    return int.__repr__(v) if type(v) is int else indented(v, "      ")


def _figure(v: float | None) -> str:
    """:func:`json_number`'s value as JSON."""
    if v is None:
        return "null"
    return _float(round(v, 6)) if type(v) is float else indented(json_number(v))


def _patient(p: PatientSummary) -> str:
    if type(p.key) is not str:  # the layout below assumes the library's plain values
        return "    " + indented(patient_summary_json(p), "    ")
    placeholder = is_placeholder_birth_date(p.birth_date)
    ids = p.patient_ids
    if ids:
        ids_text = "[\n" + ",\n".join(
            '        {\n          "id": ' + _text(i) + ',\n          "issuer": ' + _text(s or None) + "\n        }"
            for i, s in ids) + "\n      ]"
    else:
        ids_text = "[]"
    rng = p.cumulative_effective_dose_range_msv
    return (
        '    {\n      "patient_key": ' + _str(p.key)
        + ',\n      "name": ' + _text(p.name)
        + ',\n      "birth_date": ' + ("null" if placeholder or not p.birth_date else _text(p.birth_date))
        + ',\n      "sex": ' + _text(p.sex)
        + ',\n      "patient_ids": ' + ids_text
        + ',\n      "exam_count": ' + _number(p.exam_count)
        + ',\n      "cumulative_effective_dose_msv": ' + _figure(p.cumulative_effective_dose_msv)
        + ',\n      "cumulative_effective_dose_range_msv": '
        + ("[\n        " + _figure(rng[0]) + ",\n        " + _figure(rng[1]) + "\n      ]" if rng else "null")
        + ',\n      "exams_without_dose_estimate": ' + _number(p.exams_without_dose_estimate)
        + ',\n      "exams_not_counted": ' + _number(p.exams_not_counted)
        + ',\n      "warnings": '
        + ("[\n        " + _str(birth_date_warning(p.birth_date)) + "\n      ]" if placeholder else "[]")
        + "\n    }")
