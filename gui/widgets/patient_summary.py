"""The patient view: a plain-language summary of the exposure history.

The words are core.wording.patient_view's (shared wording rules, translatable);
this module lays them out.
"""
from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from dosetrail.core.api import PatientHistory
from dosetrail.core.wording import DECISIONS, WHAT_IT_MEANS, gettext, summary_paragraphs  # noqa: F401

from ..style import large_font


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
            if para == gettext(WHAT_IT_MEANS):  # no total to explain: the heading says what follows
                html.append("<h3>What this number means</h3>" if has_number else "<h3>About effective dose</h3>")
            elif para == gettext(DECISIONS):
                html.append("<h3>What it does not mean</h3>")
            html.append(f"<p>{escape(para)}</p>")
        self.text.setHtml("\n".join(html))

    def plain_text(self) -> str:
        """The text shown, without formatting."""
        return self.text.toPlainText()
