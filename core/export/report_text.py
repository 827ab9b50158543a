"""Wording and number formatting of the patient dose report.

Kept apart from the layout so the text can be reviewed (and translated) in
one place. The explanation follows the project's reference notes
(``/work/shared/reference/context.md``): effective dose is a population
quantity for a reference person, not a personal risk; imaging decisions rest
on clinical grounds; natural background is about 2.4 mSv per year.
"""
from __future__ import annotations

import re

from ..dose.study import DoseFigures
from ..model.history import ExamView
from ..wording import (  # noqa: F401 - the report's numbers and sentences are worded in core.wording
    DRL_EXPLANATION,
    HIGH_CUMULATIVE_MSV,
    NBSP,
    background_equivalent,
    body_size_text,
    fmt_dose,
    fmt_dose_range,
    fmt_setting,
    gettext,
    high_cumulative_note,
    plural,
)
from ..wording import explanation_paragraphs as _explanation

SEX_LABELS = {"M": "male", "F": "female", "O": "other"}


def body_size_line(height_m: float | None, weight_kg: float | None) -> str:
    """``"1.68 m, 73 kg"`` (the latest known values), ``"unknown"`` when neither is known."""
    return body_size_text(height_m, weight_kg) or gettext("unknown")


#: A dose figure, three significant digits (:func:`core.wording.fmt_dose`); None reads "unknown".
fmt_num = fmt_dose
#: An uncertainty range ``"5.69–17.1"`` (:func:`core.wording.fmt_dose_range`).
fmt_range = fmt_dose_range


# a number, spaces, then a unit: the spaces become one non-breaking space
_UNITS = ("mSv", "mGy·cm", "mGy.cm", "mGycm", "mGy", "dGy·cm²", "Gy·cm²", "cGy·cm²", "µGy·m²",
          "Gy·m²", "MBq", "GBq", "kBq", "mCi", "kVp", "kV", "mAs", "mA", "mm", "cm", "ms", "s",
          "%", "years", "year", "months", "month", "days", "day", "million")
_NUMBER_UNIT = re.compile(
    r"(?<=\d)[ \t]+(?=(?:" + "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
    + r")(?![\w·²]))")
_NUMBER_RELATION = re.compile(r"(?<=\d) ([<>≤≥=×]) (?=[\d<])")


def keep_units(text: str) -> str:
    """Join numbers to their units with non-breaking spaces.

    Parameters
    ----------
    text
        Any report text, e.g. an estimator warning
        (``"CTDIvol 9.6 mGy above ... (8.5 mGy)"``).

    Returns
    -------
    str
        The text with ``"9.6\u00a0mGy"``, ``"(915\u00a0>\u00a0600)"``, so a
        line break never separates a number from its unit.
    """
    text = _NUMBER_UNIT.sub(NBSP, text)
    return _NUMBER_RELATION.sub(lambda m: f"{NBSP}{m.group(1)}{NBSP}", text)


def dose_figure_lines(dose: DoseFigures) -> list[str]:
    """The dose figures a study's data gives, each with its unit.

    Parameters
    ----------
    dose
        The study's figures (``None`` fields are left out, never shown as 0).

    Returns
    -------
    list of str
        Each number is joined to its unit by a non-breaking space.
    """
    lines = []
    if dose.ct_dlp_mgycm is not None:
        lines.append(f"DLP {fmt_num(dose.ct_dlp_mgycm)}{NBSP}mGy·cm")
    if dose.ct_ctdivol_mgy_max is not None:
        lines.append(f"CTDIvol max {fmt_num(dose.ct_ctdivol_mgy_max)}{NBSP}mGy")
    if dose.ct_irradiation_events is not None:
        lines.append(plural(dose.ct_irradiation_events, "CT irradiation event"))
    if dose.dap_gycm2 is not None:
        lines.append(f"DAP {fmt_num(dose.dap_gycm2)}{NBSP}Gy·cm²")
    if dose.agd_mgy is not None:
        lines.append(f"AGD {fmt_num(dose.agd_mgy)}{NBSP}mGy")
    if dose.administered_activity_mbq is not None:
        pharm = f" {dose.radiopharmaceutical}" if dose.radiopharmaceutical else ""
        lines.append(f"Activity {fmt_num(dose.administered_activity_mbq)}{NBSP}MBq{pharm}")
    elif dose.radiopharmaceutical:
        lines.append(f"{dose.radiopharmaceutical} (activity unknown)")
    return lines


def exam_title(exam: ExamView) -> str:
    """The exam's title for tables.

    Parameters
    ----------
    exam
        One exam of the history.

    Returns
    -------
    str
        Its description, or its modalities when it has none.
    """
    return exam.description or " / ".join(exam.modalities) or "Exam"


def exam_notes(exam: ExamView) -> list[str]:
    """The notes column of one exam.

    Parameters
    ----------
    exam
        One exam of the history.

    Returns
    -------
    list of str
        Its warnings, reference levels it exceeded (unless a warning already
        says so) and the effective dose the device reported, if any; numbers
        joined to their units (:func:`keep_units`).
    """
    notes = list(dict.fromkeys(exam.warnings))
    for flag in exam.reference_levels:
        # the estimator usually words the flag as a warning already: do not repeat it
        said = any("reference level" in w and flag.quantity in w for w in notes)
        if flag.exceeded and not said:
            notes.append(f"{flag.quantity} above the {flag.scheme} reference level "
                         f"({fmt_num(flag.value)} > {fmt_num(flag.reference)})")
    if exam.reported_effective_dose_msv is not None:
        notes.append(f"Device reported {fmt_num(exam.reported_effective_dose_msv)} mSv")
    return [keep_units(n) for n in notes]


def factor_set_label(label: str) -> str:
    """A factor set label that can wrap between its parts.

    Parameters
    ----------
    label
        E.g. ``"AAPM-96+NM-coefficients"`` (a PET-CT: CT and NM factors).

    Returns
    -------
    str
        ``"AAPM-96 + NM-coefficients"``: a line may break at the spaces,
        never inside a part's name.
    """
    return " + ".join(part.strip() for part in label.split("+") if part.strip()) or label


def explanation_paragraphs(background_msv_per_year: float, factor_set: str) -> list[str]:
    """The explanation of what effective dose is and is not (:func:`core.wording.explanation_paragraphs`),
    numbers joined to their units (:func:`keep_units`)."""
    return [keep_units(p) for p in _explanation(background_msv_per_year, factor_set)]
