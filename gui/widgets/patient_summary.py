"""The patient view: a plain-language summary of the exposure history.

Wording follows /work/shared/reference/context.md: effective dose describes a
reference person, not a personal risk; imaging decisions rest on clinical
grounds; cumulative dose is information, never a warning against imaging.
"""
from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from dosetrail.core.history import ExamView, PatientHistory

from dosetrail.core.wording import fmt_setting

from ..formatting import background_equivalent, exam_kind, exam_modalities, fmt_number
from ..style import large_font

WHAT_IT_MEANS = (
    "Effective dose (measured in millisieverts, mSv) puts very different exams on one "
    "scale so they can be compared and added up. It describes a typical person of "
    "average build, not you personally, and it is not a measure of your own risk. "
    "The figures here are estimates from the information stored with your images; "
    "the real value can be about half or up to one and a half times as much."
)
DECISIONS = (
    "Each exam was done because it was expected to help with your care. Whether a future "
    "exam is needed is decided on medical grounds, not on the dose of earlier exams. "
    "If you have questions, your doctor or the radiology department can explain more."
)


def _exam_name(e: ExamView) -> str:
    what = e.description or exam_kind(exam_modalities(e))
    return f"{what} ({e.date or 'date unknown'})"


def _left_out_text(left_out: list[ExamView]) -> str:
    names = "; ".join(_exam_name(e) for e in left_out[:4]) + ("; …" if len(left_out) > 4 else "")
    one = len(left_out) == 1
    return (f"{len(left_out)} {'exam is' if one else 'exams are'} not counted in the total (a quality-control "
            f"or test scan, not of a person, or left out by choice): {names}.")


def summary_paragraphs(history: PatientHistory, background_msv_per_year: float) -> list[str]:
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
        Paragraphs in reading order (plain text, no HTML).
    """
    p = history.patient
    if not history.exams:
        return ["There are no exams in this history yet."]
    exams = [e for e in history.exams if e.counted_in_total]  # probable QA/phantom scans are said apart
    left_out = [e for e in history.exams if not e.counted_in_total]
    n = len(exams)
    if n == 0:
        return [_left_out_text(left_out), DECISIONS]
    years = sorted(e.date[:4] for e in exams if e.date)
    since = f" since {years[0]}" if years else ""
    total = p.cumulative_effective_dose_msv
    low, high = p.cumulative_effective_dose_range_msv or (None, None)
    word = "exam" if n == 1 else "exams"
    out = []
    estimated = [e for e in exams if e.has_estimate]
    ionising_estimated = [e for e in estimated if e.ionising is not False]
    if estimated and not ionising_estimated and total == 0:
        if len(estimated) == n:
            verb = "It used" if n == 1 else "They used"
            out.append(f"You have {n} {word}{since}. {verb} no X-rays or radioactive tracers, "
                       "so there is no radiation dose to add up.")
        else:
            out.append(f"You have {n} {word}{since}. Those with a known dose used no X-rays or "
                       "radioactive tracers.")
    elif estimated:
        verb = "adds" if n == 1 else "add"
        out.append(
            f"Your {n} {word}{since} {verb} up to about {fmt_number(total)} mSv "
            f"(probably between {fmt_number(low)} and {fmt_number(high)} mSv). That is as much "
            f"as {background_equivalent(total, background_msv_per_year)} of natural background "
            f"radiation, which everyone receives from the ground, the air and space "
            f"(about {fmt_setting(background_msv_per_year)} mSv a year).")
    else:
        out.append(f"You have {n} {word}{since}, but none of them carries the information "
                   "needed to estimate a dose.")
    missing = [e for e in exams if not e.has_estimate]
    if missing and estimated:
        names = "; ".join(_exam_name(e) for e in missing[:4]) + ("; …" if len(missing) > 4 else "")
        verb = "exam has" if len(missing) == 1 else "exams have"
        out.append(f"{len(missing)} {verb} no dose estimate and {'is' if len(missing) == 1 else 'are'} "
                   f"not included in the total, because the files do not say enough about the "
                   f"radiation used: {names}.")
    non_ionising = [e for e in exams if e.ionising is False]
    if non_ionising and ionising_estimated:
        kinds = sorted({exam_kind(e.modalities) for e in non_ionising})
        one = len(non_ionising) == 1
        out.append(f"{len(non_ionising)} of your exams ({', '.join(kinds)}) used no X-rays or "
                   f"radioactive tracers, so {'it adds' if one else 'they add'} nothing.")
    biggest = sorted((e for e in estimated if (e.effective_dose_msv or 0) > 0),
                     key=lambda e: e.effective_dose_msv or 0, reverse=True)[:3]
    if len(biggest) > 1:
        parts = ", ".join(f"{_exam_name(e)} about {fmt_number(e.effective_dose_msv)} mSv"
                          for e in biggest)
        out.append(f"The largest parts of the total: {parts}.")
    if left_out:
        out.append(_left_out_text(left_out))
    out.append(WHAT_IT_MEANS)
    out.append(DECISIONS)
    return out


class PatientSummaryWidget(QWidget):
    """Larger type, no jargon: what the history adds up to and what that means."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QTextBrowser(self)
        self.text.setAccessibleName("Patient summary")
        self.text.setOpenLinks(False)
        self.text.setFont(large_font(self.font(), 1.15))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        self.set_history(None)

    def set_history(self, history: PatientHistory | None, background_msv_per_year: float = 2.4) -> None:
        """Show the summary of ``history`` (None shows a hint).

        Parameters
        ----------
        history : PatientHistory or None
            The selected patient's history.
        background_msv_per_year : float
            Natural background dose rate.
        """
        if history is None:
            self.text.setHtml("<p>Select a patient to see a summary.</p>")
            return
        paras = summary_paragraphs(history, background_msv_per_year)
        html = [f"<p style='font-size:large'>{escape(paras[0])}</p>"]
        has_number = any(e.has_estimate and e.ionising is not False for e in history.exams)
        for para in paras[1:]:
            if para == WHAT_IT_MEANS:  # no total to explain: the heading says what follows
                html.append("<h3>What this number means</h3>" if has_number else "<h3>About effective dose</h3>")
            elif para == DECISIONS:
                html.append("<h3>What it does not mean</h3>")
            html.append(f"<p>{escape(para)}</p>")
        self.text.setHtml("\n".join(html))

    def plain_text(self) -> str:
        """The text shown, without formatting."""
        return self.text.toPlainText()
