"""Short texts about the patient that several widgets show (height, weight, exams not counted)."""
from __future__ import annotations

from dosetrail.core.api import PatientSummary


def body_size_text(p: PatientSummary) -> str:
    """``"1.68 m, 73 kg"`` from the latest known height and weight; ``""`` when neither is known."""
    parts = []
    if p.height_m is not None:
        parts.append(f"{p.height_m:.2f} m")
    if p.weight_kg is not None:
        parts.append(f"{round(p.weight_kg, 1):g} kg")
    return ", ".join(parts)


def not_counted_text(p: PatientSummary) -> str:
    """``"1 exam not counted (probable QA/phantom scan or the user's choice)"``, or ``""``."""
    n = p.exams_not_counted
    if not n:
        return ""
    return f"{n} exam{'s' if n != 1 else ''} not counted (probable QA/phantom scan or the user's choice)"
