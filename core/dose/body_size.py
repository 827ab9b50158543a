"""Patient height and weight as recorded (PatientSize, PatientWeight, SR patient
characteristics), checked for plausibility.

A value of 0 is how many devices write "not measured", and a height in a
metres field is sometimes given in centimetres: such values are never shown
as they are; each carries a warning.
"""
from __future__ import annotations

HEIGHT_M = (0.3, 2.5)  # newborn to the tallest adults
HEIGHT_CM = (30.0, 250.0)  # the same, written in centimetres
WEIGHT_KG = (0.3, 400.0)


def plausible_height(value: float | None) -> tuple[float | None, str | None]:
    """(height in m or None, warning or None) for a PatientSize value (metres).

    A value that is a plausible height in centimetres (30-250) is read as
    centimetres, with a warning; anything else outside 0.3-2.5 m is unknown.
    """
    if value is None:
        return None, None
    v = float(value)
    if HEIGHT_M[0] <= v <= HEIGHT_M[1]:
        return round(v, 3), None
    if HEIGHT_CM[0] <= v <= HEIGHT_CM[1]:
        return round(v / 100.0, 3), f"patient height {v:g} in a metres field read as centimetres ({v / 100.0:g} m)"
    return None, f"patient height {v:g} m is implausible: not used"


def plausible_weight(value: float | None) -> tuple[float | None, str | None]:
    """(weight in kg or None, warning or None) for a PatientWeight value (kg)."""
    if value is None:
        return None, None
    v = float(value)
    if WEIGHT_KG[0] <= v <= WEIGHT_KG[1]:
        return round(v, 3), None
    return None, f"patient weight {v:g} kg is implausible: not used"
