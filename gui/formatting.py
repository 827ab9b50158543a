"""Number and date formatting shared by the GUI's models and widgets (no Qt)."""
from __future__ import annotations

from datetime import datetime, timezone

from dosetrail.core.api import SUPPORTING_OBJECTS, to_date
from dosetrail.core.birth_date import known_birth_date
from dosetrail.core.export.report_text import plural  # noqa: F401 - shared with the PDF report


def is_typical_value(exam) -> bool:
    """True when ``exam``'s (an ``ExamView``) estimate is a typical value for the exam type (the
    study carries no dose figures), not one computed from its own dose data."""
    return exam.effective_dose_msv is not None and "typical-value" in exam.sources


#: What a typical-value estimate means, for legends and tooltips.
TYPICAL_VALUE_TEXT = "typical value for the exam type (the study has no dose figures)"


def fmt_birth_date(iso: str | None, unknown: str = "unknown") -> str:
    """A birth date as shown; missing or a placeholder (1900-01-01, 9999-01-01) reads ``unknown``."""
    return known_birth_date(iso) or unknown


def fmt_number(value: float | None, digits: int = 2) -> str:
    """Format a figure with ``digits`` significant digits; unknown is an empty string.

    Parameters
    ----------
    value : float or None
        The figure; ``None`` means the data does not give it.
    digits : int
        Significant digits.

    Returns
    -------
    str
        ``""`` for ``None``, otherwise e.g. ``"12"``, ``"0.29"``, ``"1200"``.
    """
    if value is None:
        return ""
    if value == 0:
        return "0"
    if abs(value) >= 10 ** digits:
        return f"{value:,.0f}".replace(",", " ")
    text = f"{value:.{digits}g}"
    if "e" in text:
        text = f"{value:.{digits + 2}f}".rstrip("0").rstrip(".")
    return text


def fmt_msv(value: float | None) -> str:
    """Format an effective dose in mSv with two significant digits (``"unknown"`` if None)."""
    if value is None:
        return "unknown"
    return f"{fmt_number(value)} mSv"


def total_text(patient) -> str:
    """A patient's cumulative dose as ``"about 14 mSv (6.8–20 mSv)"``, or that it is unknown.

    ``patient`` is a ``PatientSummary``; its total is None when no exam has
    an estimate, and that is said, never shown as 0.
    """
    total, without = patient.cumulative_effective_dose_msv, patient.exams_without_dose_estimate
    if total is None:
        return "dose unknown (no exam has an estimate)"
    left_out = getattr(patient, "exams_not_counted", 0)
    if total == 0 and not without:
        if left_out:
            return f"nothing counted ({plural(left_out, 'probable QA/phantom scan')} left out)"
        return "no radiation dose (no X-rays or radioactive tracers)"
    text = f"about {fmt_number(total)} mSv ({fmt_range(patient.cumulative_effective_dose_range_msv)})"
    if without:  # a partial sum: say what it leaves out
        text += f" + {plural(without, 'exam')} without an estimate"
    if left_out:
        text += f"; {plural(left_out, 'exam')} not counted"
    return text


def fmt_range(rng: tuple[float, float] | None) -> str:
    """Format a ``(low, high)`` mSv range as ``"6.1–18 mSv"``; empty when unknown."""
    if not rng:
        return ""
    return f"{fmt_number(rng[0])}–{fmt_number(rng[1])} mSv"


def background_equivalent(msv: float, msv_per_year: float) -> str:
    """Say how long natural background radiation takes to give ``msv``.

    Parameters
    ----------
    msv : float
        Effective dose in mSv.
    msv_per_year : float
        Natural background dose rate (mSv per year), e.g. 2.4.

    Returns
    -------
    str
        ``"7 years"``, ``"1.5 years"``, ``"a year"``, ``"5 months"``,
        ``"3 days"``, ``"a day"`` or ``"less than a day"``.
    """
    if msv_per_year <= 0:
        return "an unknown time"
    years = msv / msv_per_year
    if years >= 1.5:
        return f"{years:.0f} years" if years >= 3 else f"{years:.1f} years"
    if years >= 0.95:
        return "a year"
    months = years * 12
    if months >= 1.5:
        return f"{months:.0f} months"
    days = years * 365.25
    if days >= 1.5:
        return f"{days:.0f} days"
    if days >= 0.5:
        return "a day"
    return "less than a day"


def iso_to_epoch(iso: str | None) -> float | None:
    """Seconds since 1970 (UTC midnight) of an ISO ``yyyy-mm-dd`` date, or None."""
    d = to_date(iso)
    if d is None:
        return None
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp()


def epoch_to_iso(seconds: float) -> str:
    """The ISO date of an epoch time (UTC)."""
    return datetime.fromtimestamp(seconds, tz=timezone.utc).date().isoformat()


_DOCUMENTS = SUPPORTING_OBJECTS  # dose reports, presentation states, key images...


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
