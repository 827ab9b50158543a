"""Sentences about a patient's totals, worded once for the window and the PDF."""
from __future__ import annotations

from ..dose.totals import HIGH_CUMULATIVE_MSV, placed_date
from .locale_format import fmt_integer, gettext, ngettext
from .locale_format import fmt_decimal
from .numbers import fmt_dose, fmt_dose_range, plural


def total_text(patient) -> str:
    """A patient's cumulative dose as ``"about 14.0 mSv (6.80–20.0 mSv)"``, or that it is unknown.

    Parameters
    ----------
    patient : PatientSummary
        Its total is None when no exam has an estimate: that is said, never shown as 0.

    Returns
    -------
    str
        Also says how many exams lack an estimate and how many are not counted.
    """
    total, without = patient.cumulative_effective_dose_msv, patient.exams_without_dose_estimate
    if total is None:
        return gettext("dose unknown (no exam has an estimate)")
    left_out = getattr(patient, "exams_not_counted", 0)
    if total == 0 and not without:
        if left_out:
            return gettext("nothing counted ({scans} left out)").format(
                scans=plural(left_out, gettext("probable QA/phantom scan"), gettext("probable QA/phantom scans")))
        return gettext("no radiation dose (no X-rays or radioactive tracers)")
    text = gettext("about {dose}\u00a0mSv ({range})").format(
        dose=fmt_dose(total), range=fmt_dose_range(patient.cumulative_effective_dose_range_msv, "mSv"))
    if without:  # a partial sum: say what it leaves out
        text += " + " + ngettext("{n} exam without an estimate", "{n} exams without an estimate",
                                 without).format(n=fmt_integer(without))
    if left_out:
        text += "; " + ngettext("{n} exam not counted", "{n} exams not counted", left_out).format(
            n=fmt_integer(left_out))
    return text


def unplaced_exams(history) -> list:
    """The exams of ``history`` (a ``PatientHistory``) whose date cannot be placed on a timeline:
    missing, partial or impossible (``2023-02-31``); the totals count them all the same."""
    return [e for e in history.exams if placed_date(e.date) is None]


def unplaced_exams_note(exams: list) -> str:
    """The timeline's note naming the exams it cannot place (:func:`unplaced_exams`).

    Parameters
    ----------
    exams : list of ExamView
        The exams without a usable date.

    Returns
    -------
    str
        ``"1 exam without a usable date is listed in the table but not on the timeline (CT ABDOMEN,
        date 2023-02-31); its dose is in the total."``; ``""`` for none.
    """
    if not exams:
        return ""
    names = "; ".join(
        (gettext("{exam}, date {date}") if e.date else gettext("{exam}, no date")).format(
            exam=e.description or "/".join(e.modalities) or gettext("exam"), date=e.date)
        for e in exams[:3]) + ("; …" if len(exams) > 3 else "")
    return ngettext("{n} exam without a usable date is listed in the table but not on the timeline ({names}); "
                    "its dose, if known, is in the total.",
                    "{n} exams without a usable date are listed in the table but not on the timeline ({names}); "
                    "their doses, if known, are in the total.", len(exams)).format(
                        n=fmt_integer(len(exams)), names=names)


def high_cumulative_note(total_msv: float | None) -> str | None:
    """Information for the clinician when the cumulative total is high.

    Parameters
    ----------
    total_msv : float or None
        Cumulative effective dose in mSv.

    Returns
    -------
    str or None
        A neutral note at or above :data:`HIGH_CUMULATIVE_MSV` (100 mSv, the IAEA
        recurrent-imaging level), else None.
    """
    if total_msv is None or total_msv < HIGH_CUMULATIVE_MSV:
        return None
    return gettext(
        "The cumulative effective dose ({dose} mSv) is at or above {level} mSv, the level used in the IAEA "
        "work on recurrent imaging (in a study of about 2.5 million patients, 1.33 % reached it from CT). "
        "This is information for the clinician, not a reason to withhold a clinically justified exam."
    ).format(dose=fmt_dose(total_msv), level=fmt_dose(HIGH_CUMULATIVE_MSV))


def high_cumulative_line_label() -> str:
    """The timeline's 100 mSv reference line."""
    return gettext("{level} mSv: level used for recurrent imaging (IAEA)").format(
        level=fmt_dose(HIGH_CUMULATIVE_MSV))


def body_size_text(height_m: float | None, weight_kg: float | None) -> str:
    """``"1.68 m, 73 kg"`` from the latest known height and weight; ``""`` when neither is known."""
    parts = []
    if height_m is not None:
        parts.append(gettext("{n} m").format(n=fmt_decimal(round(height_m, 2), 2, grouping=False)))
    if weight_kg is not None:
        w = round(weight_kg, 1)
        parts.append(gettext("{n} kg").format(n=fmt_decimal(w, 0 if w == int(w) else 1, grouping=False)))
    return gettext(", ").join(parts)


def not_counted_text(n: int) -> str:
    """``"1 exam not counted (probable QA/phantom scan or the user's choice)"``, or ``""``."""
    if not n:
        return ""
    return ngettext("{n} exam not counted (probable QA/phantom scan or the user's choice)",
                    "{n} exams not counted (probable QA/phantom scan or the user's choice)", n).format(n=fmt_integer(n))


def timeline_note(no_estimate: int, not_counted: int, unplaced: list) -> str:
    """The note under the timeline: hollow markers and the exams it cannot place; ``""`` for none.

    Parameters
    ----------
    no_estimate : int
        Placed exams without a dose estimate (hollow grey markers).
    not_counted : int
        Placed exams with an estimate that are not counted (hollow coloured markers).
    unplaced : list of ExamView
        Exams whose date cannot be placed (:func:`unplaced_exams`).
    """
    parts = []
    if no_estimate:
        parts.append(ngettext("Hollow grey marker: {n} exam without a dose estimate (not in the total).",
                              "Hollow grey markers: {n} exams without a dose estimate (not in the total).",
                              no_estimate).format(n=fmt_integer(no_estimate)))
    if not_counted:
        parts.append(ngettext("Hollow coloured marker: {n} exam not counted in the total (probable QA/phantom "
                              "scan or the user's choice).",
                              "Hollow coloured markers: {n} exams not counted in the total (probable QA/phantom "
                              "scan or the user's choice).", not_counted).format(n=fmt_integer(not_counted)))
    if unplaced:
        parts.append(unplaced_exams_note(unplaced))
    return " ".join(parts)


def clinician_total_text(patient) -> str:
    """The clinician panel's total: ``"13.5 mSv (range 6.77–20.3 mSv) over 4 exams; 0 without estimate."``

    Parameters
    ----------
    patient : PatientSummary
        Its total is None when no exam has an estimate: then ``"unknown: none of the 4 exams has a
        dose estimate."``.
    """
    if patient.cumulative_effective_dose_msv is None:
        return ngettext("unknown: the exam has no dose estimate.",
                        "unknown: none of the {n} exams has a dose estimate.",
                        patient.exam_count).format(n=fmt_integer(patient.exam_count))
    return gettext("{dose} mSv (range {range}) over {exams}; {without} without estimate.").format(
        dose=fmt_dose(patient.cumulative_effective_dose_msv),
        range=fmt_dose_range(patient.cumulative_effective_dose_range_msv, "mSv"),
        exams=plural(patient.exam_count, gettext("exam"), gettext("exams")),
        without=fmt_integer(patient.exams_without_dose_estimate))


def clinician_high_total_note() -> str:
    """The clinician panel's note at or above :data:`HIGH_CUMULATIVE_MSV` (bold heading, then the text)."""
    return gettext("Cumulative effective dose at or above {level} mSv").format(level=fmt_dose(HIGH_CUMULATIVE_MSV))
