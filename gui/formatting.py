"""Dates, exam kinds and the window's forms of core.wording's numbers (no Qt)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from dosetrail.core.birth_date import known_birth_date
from dosetrail.core.wording import (  # noqa: F401 - the words are core's, shared with the PDF report
    NBSP,
    background_equivalent,
    fmt_dose,
    fmt_dose_range,
    fmt_dose_unit,
    plural,
    total_text,
)


def is_typical_value(exam) -> bool:
    """True when ``exam``'s (an ``ExamView``) estimate is a typical value for the exam type (the
    study carries no dose figures), not one computed from its own dose data."""
    return exam.effective_dose_msv is not None and "typical-value" in exam.sources


#: What a typical-value estimate means, for legends and tooltips.
TYPICAL_VALUE_TEXT = "typical value for the exam type (the study has no dose figures)"


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
    if not iso:
        return None
    try:
        d = date.fromisoformat(iso[:10])
    except ValueError:
        return None
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp()


def epoch_to_iso(seconds: float) -> str:
    """The ISO date of an epoch time (UTC)."""
    return datetime.fromtimestamp(seconds, tz=timezone.utc).date().isoformat()


_DOCUMENTS = ("SR", "PR", "KO", "DOC", "OT")  # dose reports, presentation states, key images...


def modality_label(modalities: list[str]) -> str:
    """The modalities a user cares about (dose reports ``SR``/``PR`` left out)."""
    shown = [m for m in modalities if m not in _DOCUMENTS]
    return "/".join(shown or modalities)


_PLAIN_KIND = {
    "CT": "CT scan", "PT": "PET scan", "NM": "nuclear medicine scan", "MG": "mammogram",
    "DX": "X-ray", "CR": "X-ray", "PX": "dental panoramic X-ray", "IO": "dental X-ray",
    "RF": "fluoroscopy (moving X-ray)", "XA": "angiography (X-ray)", "MR": "MRI scan",
    "US": "ultrasound", "BMD": "bone density scan", "SR": "dose report",
}


def exam_modalities(exam) -> list[str]:
    """An exam's modalities; a study of dose reports only (an RDSR without its images) gets
    the modality its dose figures imply (CT, NM, MG, DX), so it reads "CT scan", not "dose report".

    ``exam`` is an ``ExamView``.
    """
    mods = list(exam.modalities)
    if any(m not in _DOCUMENTS for m in mods):
        return mods
    d = exam.dose
    implied = [m for m, v in (("CT", d.ct_dlp_mgycm), ("NM", d.administered_activity_mbq),
                              ("MG", d.agd_mgy), ("DX", d.dap_gycm2)) if v is not None]
    return implied + mods if implied else mods


def exam_kind(modalities: list[str]) -> str:
    """The kind of exam in plain words: ``["PT", "CT", "SR"]`` -> ``"PET-CT scan"``."""
    shown = [m for m in modalities if m not in _DOCUMENTS] or list(modalities)
    if "PT" in shown and "CT" in shown:
        return "PET-CT scan"
    if "NM" in shown and "CT" in shown:
        return "SPECT-CT scan"
    kinds = []
    for m in shown:
        kind = _PLAIN_KIND.get(m, m)
        if kind not in kinds:
            kinds.append(kind)
    return " and ".join(kinds) or "exam"


def primary_modality(modalities: list[str]) -> str:
    """One modality to colour an exam by (PET/CT counts as PT, NM before CT)."""
    order = ("PT", "NM", "CT", "XA", "RF", "MG", "DX", "CR", "PX", "IO", "MR", "US")
    for m in order:
        if m in modalities:
            return m
    return modalities[0] if modalities else "OT"
