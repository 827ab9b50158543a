"""The patient view's text: what the history adds up to and what that means, in plain words.

Wording follows /work/shared/reference/context.md: effective dose describes a
reference person, not a personal risk; imaging decisions rest on clinical
grounds; cumulative dose is information, never a warning against imaging.
"""
from __future__ import annotations

from .kinds import N_, exam_kind, exam_modalities
from .locale_format import gettext, ngettext
from .numbers import background_equivalent, fmt_dose, fmt_setting

#: Message ids of the two closing paragraphs (translated by :func:`summary_paragraphs`).
WHAT_IT_MEANS = N_(
    "Effective dose (measured in millisieverts, mSv) puts very different exams on one "
    "scale so they can be compared and added up. It describes a typical person of "
    "average build, not you personally, and it is not a measure of your own risk. "
    "The figures here are estimates from the information stored with your images; "
    "the real value can be about half or up to one and a half times as much."
)
DECISIONS = N_(
    "Each exam was done because it was expected to help with your care. Whether a future "
    "exam is needed is decided on medical grounds, not on the dose of earlier exams. "
    "If you have questions, your doctor or the radiology department can explain more."
)


def exam_name(e) -> str:
    """``"CT THORAX (2021-03-04)"``: an exam as the patient view names it."""
    what = e.description or exam_kind(exam_modalities(e))
    return gettext("{what} ({date})").format(what=what, date=e.date or gettext("date unknown"))


def _names(exams: list) -> str:
    return "; ".join(exam_name(e) for e in exams[:4]) + ("; …" if len(exams) > 4 else "")


def _left_out_text(left_out: list) -> str:
    return ngettext("{n} exam is not counted in the total (a quality-control or test scan, not of a person, "
                    "or left out by choice): {names}.",
                    "{n} exams are not counted in the total (a quality-control or test scan, not of a person, "
                    "or left out by choice): {names}.", len(left_out)).format(n=len(left_out), names=_names(left_out))


def _total_paragraph(n: int, since: str, total: float, low, high, background_msv_per_year: float) -> str:
    return ngettext(
        "Your {n} exam{since} adds up to about {total} mSv (probably between {low} and {high} mSv). "
        "That is as much as {background} of natural background radiation, which everyone receives from "
        "the ground, the air and space (about {rate} mSv a year).",
        "Your {n} exams{since} add up to about {total} mSv (probably between {low} and {high} mSv). "
        "That is as much as {background} of natural background radiation, which everyone receives from "
        "the ground, the air and space (about {rate} mSv a year).", n).format(
            n=n, since=since, total=fmt_dose(total), low=fmt_dose(low), high=fmt_dose(high),
            background=background_equivalent(total, background_msv_per_year),
            rate=fmt_setting(background_msv_per_year))


def summary_paragraphs(history, background_msv_per_year: float) -> list[str]:
    """The patient view's text, one plain-language paragraph per item.

    Parameters
    ----------
    history : PatientHistory
        The patient's history.
    background_msv_per_year : float
        Natural background dose rate (the user's setting, 2.4 by default).

    Returns
    -------
    list of str
        Paragraphs in reading order (plain text, no HTML); the last two are
        ``gettext(WHAT_IT_MEANS)`` and ``gettext(DECISIONS)`` (or only the latter).
    """
    p = history.patient
    if not history.exams:
        return [gettext("There are no exams in this history yet.")]
    exams = [e for e in history.exams if e.counted_in_total]  # probable QA/phantom scans are said apart
    left_out = [e for e in history.exams if not e.counted_in_total]
    n = len(exams)
    if n == 0:
        return [_left_out_text(left_out), gettext(DECISIONS)]
    years = sorted(e.date[:4] for e in exams if e.date)
    since = gettext(" since {year}").format(year=years[0]) if years else ""
    total = p.cumulative_effective_dose_msv
    low, high = p.cumulative_effective_dose_range_msv or (None, None)
    you_have = ngettext("You have {n} exam{since}.", "You have {n} exams{since}.", n).format(n=n, since=since)
    out = []
    estimated = [e for e in exams if e.has_estimate]
    ionising_estimated = [e for e in estimated if e.ionising is not False]
    if estimated and not ionising_estimated and total == 0:
        if len(estimated) == n:
            out.append(you_have + " " + ngettext(
                "It used no X-rays or radioactive tracers, so there is no radiation dose to add up.",
                "They used no X-rays or radioactive tracers, so there is no radiation dose to add up.", n))
        else:
            out.append(you_have + " " + gettext("Those with a known dose used no X-rays or radioactive tracers."))
    elif estimated:
        out.append(_total_paragraph(n, since, total, low, high, background_msv_per_year))
    else:
        out.append(ngettext("You have {n} exam{since}, but none of them carries the information needed to "
                            "estimate a dose.",
                            "You have {n} exams{since}, but none of them carries the information needed to "
                            "estimate a dose.", n).format(n=n, since=since))
    missing = [e for e in exams if not e.has_estimate]
    if missing and estimated:
        out.append(ngettext(
            "{n} exam has no dose estimate and is not included in the total, because the files do not say "
            "enough about the radiation used: {names}.",
            "{n} exams have no dose estimate and are not included in the total, because the files do not say "
            "enough about the radiation used: {names}.", len(missing)).format(n=len(missing), names=_names(missing)))
    non_ionising = [e for e in exams if e.ionising is False]
    if non_ionising and ionising_estimated:
        kinds = ", ".join(sorted({exam_kind(e.modalities) for e in non_ionising}))
        out.append(ngettext("{n} of your exams ({kinds}) used no X-rays or radioactive tracers, so it adds nothing.",
                            "{n} of your exams ({kinds}) used no X-rays or radioactive tracers, so they add "
                            "nothing.", len(non_ionising)).format(n=len(non_ionising), kinds=kinds))
    biggest = sorted((e for e in estimated if (e.effective_dose_msv or 0) > 0),
                     key=lambda e: e.effective_dose_msv or 0, reverse=True)[:3]
    if len(biggest) > 1:
        parts = ", ".join(gettext("{exam} about {dose} mSv").format(exam=exam_name(e), dose=fmt_dose(e.effective_dose_msv))
                          for e in biggest)
        out.append(gettext("The largest parts of the total: {parts}.").format(parts=parts))
    if left_out:
        out.append(_left_out_text(left_out))
    out.append(gettext(WHAT_IT_MEANS))
    out.append(gettext(DECISIONS))
    return out
