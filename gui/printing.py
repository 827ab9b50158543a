"""Printable history (HTML for a QTextDocument): summary plus one row per exam."""
from __future__ import annotations

from html import escape

from PySide6.QtGui import QTextDocument
from PySide6.QtPrintSupport import QPrinter

from dosetrail.core.history import PatientHistory

from .formatting import fmt_number, fmt_range, modality_label
from .models.patients import display_name
from .widgets.patient_summary import summary_paragraphs


def history_html(history: PatientHistory, background_msv_per_year: float) -> str:
    """The printed report: patient, plain-language summary and the exam table.

    Parameters
    ----------
    history : PatientHistory
        The patient's history.
    background_msv_per_year : float
        Natural background dose rate used in the summary.

    Returns
    -------
    str
        HTML for :class:`QTextDocument`.
    """
    p = history.patient
    ids = ", ".join(f"{i} ({iss})" if iss else i for i, iss in p.patient_ids)
    out = [f"<h2>Radiation dose history – {escape(display_name(p.name))}</h2>",
           f"<p>Born {escape(p.birth_date or 'unknown')}; IDs: {escape(ids or 'none')}; "
           f"factor set {escape(history.factor_set)}.</p>"]
    out += [f"<p>{escape(t)}</p>" for t in summary_paragraphs(history, background_msv_per_year)]
    out.append("<table border='1' cellspacing='0' cellpadding='3' width='100%'>"
               "<tr><th>Date</th><th>Exam</th><th>Modality</th><th>Effective dose (mSv)</th>"
               "<th>Range (mSv)</th><th>Method</th><th>Notes</th></tr>")
    for e in history.exams:
        notes = "; ".join(e.warnings + [f"{f.quantity} above {f.scheme} reference level"
                                        for f in e.reference_levels if f.exceeded])
        dose = fmt_number(e.effective_dose_msv) if e.has_estimate else "no estimate"
        out.append(f"<tr><td>{escape(e.date or 'unknown')}</td><td>{escape(e.description or '')}</td>"
                   f"<td>{escape(modality_label(e.modalities))}</td><td>{escape(dose)}</td>"
                   f"<td>{escape(fmt_range(e.effective_dose_range_msv).replace(' mSv', ''))}</td>"
                   f"<td>{escape(e.method or '')}</td><td>{escape(notes)}</td></tr>")
    out.append("</table>")
    return "\n".join(out)


def print_history(history: PatientHistory, background_msv_per_year: float, printer: QPrinter) -> None:
    """Print :func:`history_html` on ``printer`` (a real printer or a PDF file)."""
    doc = QTextDocument()
    doc.setHtml(history_html(history, background_msv_per_year))
    doc.print_(printer)
