"""Dates, exam kinds and the window's forms of core.wording's numbers (no Qt)."""
from __future__ import annotations

from datetime import datetime, timezone

from dosetrail.core.api import known_birth_date, to_date
from dosetrail.core.wording import (  # noqa: F401 - the words are core's, shared with the PDF report
    NBSP,
    background_equivalent,
    fmt_dose,
    fmt_dose_range,
    fmt_dose_unit,
    TYPICAL_VALUE_TEXT,
    exam_kind,
    exam_modalities,
    is_typical_value,
    modality_label,
    plural,
    total_text,
)


def fmt_birth_date(iso: str | None, unknown: str = "unknown") -> str:
    """A birth date as shown; missing or a placeholder (1900-01-01, 9999-01-01) reads ``unknown``."""
    return known_birth_date(iso) or unknown


def fmt_number(value: float | None) -> str:
    """A dose figure as the window shows it: :func:`core.wording.fmt_dose`, unknown is ``""``."""
    return fmt_dose(value, unknown="")


def fmt_msv(value: float | None) -> str:
    """An effective dose with its unit (``"unknown"`` if None)."""
    return fmt_dose_unit(value).replace(NBSP, " ")


def fmt_range(rng: tuple[float, float] | None) -> str:
    """A ``(low, high)`` mSv range as ``"6.10–18.0 mSv"``; empty when unknown."""
    return fmt_dose_range(rng, "mSv").replace(NBSP, " ")


def iso_to_epoch(iso: str | None) -> float | None:
    """Seconds since 1970 (UTC midnight) of an ISO ``yyyy-mm-dd`` date, or None."""
    d = to_date(iso)
    if d is None:
        return None
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp()


def epoch_to_iso(seconds: float) -> str:
    """The ISO date of an epoch time (UTC)."""
    return datetime.fromtimestamp(seconds, tz=timezone.utc).date().isoformat()


def primary_modality(modalities: list[str]) -> str:
    """One modality to colour an exam by (PET/CT counts as PT, NM before CT)."""
    order = ("PT", "NM", "CT", "XA", "RF", "MG", "DX", "CR", "PX", "IO", "MR", "US")
    for m in order:
        if m in modalities:
            return m
    return modalities[0] if modalities else "OT"
