"""Short texts about the patient that several widgets show (height, weight, exams not counted).

The words are core.wording's (the PDF report says the same)."""
from __future__ import annotations

from dosetrail.core import wording
from dosetrail.core.api import PatientSummary


def body_size_text(p: PatientSummary) -> str:
    """``"1.68 m, 73 kg"`` from the latest known height and weight; ``""`` when neither is known."""
    return wording.body_size_text(p.height_m, p.weight_kg)


def not_counted_text(p: PatientSummary) -> str:
    """``"1 exam not counted (probable QA/phantom scan or the user's choice)"``, or ``""``."""
    return wording.not_counted_text(p.exams_not_counted)
