"""The printable patient dose report (PDF, A4) built with reportlab.

:func:`write_report_pdf` lays out, in order: the patient's identity, a
summary (cumulative effective dose with its range, exam counts, the number of
exams without an estimate, per-year totals, a natural background
comparison), the cumulative plot (:mod:`report_plot`), the exam table
(repeated header when it runs over pages), reference-level flags, and the
explanation of effective dose (:mod:`report_text`). Every page has a header
with the patient's name and a footer with the software version, factor set,
generation time (UTC) and "Page n of N". Fonts: :mod:`pdf_fonts`.

Line breaks: numbers and their units are joined by non-breaking spaces
(:func:`report_text.keep_units`), the columns are wide enough for a date, a
dose range and the longest factor set part, and a range too wide for its
column breaks after the dash, so reportlab never has to split a word.
File > Print in the GUI prints this same PDF (``gui/printing.py``).
"""
from __future__ import annotations

import io
import threading
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from ..birth_date import known_birth_date
from ..config import Settings
from ..dicom.modalities import SUPPORTING_OBJECTS
from ..dicom.names import chart_name
from ..model.history import ExamView, PatientHistory
from ..private_files import write_private
from ..wording import gettext, summary_lines, unplaced_exams, unplaced_exams_note
from .pdf_fonts import ReportFonts, markup, report_fonts
from .report_plot import cumulative_drawing
from .report_text import (
    DRL_EXPLANATION,
    NBSP,
    SEX_LABELS,
    body_size_line,
    dose_figure_lines,
    exam_notes,
    exam_title,
    explanation_paragraphs,
    factor_set_label,
    fmt_num,
    fmt_range,
    high_cumulative_note,
    keep_units,
    plural,
)

MARGIN = 15 * mm
HEADER_BG = colors.HexColor("#e8eef5")
FLAG = colors.HexColor("#8a4b00")
CELL_PADDING = 3  # points, left and right (_grid_style)
# exam table: date, exam, dose figures, effective dose, method, notes. A date,
# "CTDIvol max 12.5 mGy", "(0.312–0.937)" and "ICRP-103-breast-wT" fit on one line.
EXAM_COLUMNS = (0.1, 0.18, 0.185, 0.12, 0.19, 0.225)
CID_NOTE = (
    "Font note: some characters (Japanese, Chinese or Korean) are set in a standard PDF font "
    "that is not embedded in this file, because no suitable font was found on the computer "
    "that made it. A PDF viewer without Asian-language fonts may show them as empty boxes; "
    "the text itself is correct (it can be copied and searched)."
)
# reportlab keeps global state (font registry, lazily registered CID fonts):
# the GUI may write a report (File > Export) while it prints one (File > Print)
_BUILD_LOCK = threading.Lock()


def write_report_pdf(history: PatientHistory, path: str | Path, *, settings: Settings,
                     software_version: str, generated_at: datetime | None = None,
                     fonts: ReportFonts | None = None) -> None:
    """Write a patient's dose report as an A4 PDF.

    Parameters
    ----------
    history
        The patient's history (``core.model.history.PatientHistory``).
    path
        The PDF file to write (replaced if it exists).
    settings
        The user's settings: factor set (when the history does not name one)
        and the natural background used for comparisons.
    software_version
        DoseTrail's version, printed in the footer.
    generated_at
        Generation time for the footer; now when omitted. A naive datetime
        is taken as UTC.
    fonts
        Fonts to use; :func:`pdf_fonts.report_fonts` (system fonts) when omitted.
    """
    with _BUILD_LOCK:
        _write(history, path, settings=settings, software_version=software_version,
               generated_at=generated_at, fonts=fonts)


def _write(history: PatientHistory, path: str | Path, *, settings: Settings,
           software_version: str, generated_at: datetime | None,
           fonts: ReportFonts | None) -> None:
    # a copy per report: cid_used tells whether this report needed a CID font
    fonts = replace(fonts or report_fonts(), cid_used=set())
    when = generated_at or datetime.now(timezone.utc)
    when = when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
    factor_set = history.factor_set or settings.factor_set
    styles = _styles(fonts)
    p = history.patient
    footer = (f"DoseTrail {software_version} · factor set {factor_set} · "
              f"generated {when:%Y-%m-%d %H:%M} UTC")
    header = f"Radiation dose history · {chart_name(p.name)}"
    if known_birth_date(p.birth_date):  # a placeholder (1900-01-01, 9999-01-01) is not shown as a date
        header += f" · born {p.birth_date}"

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf = io.BytesIO()  # written at the end, readable by its owner only (patient data)
    doc = SimpleDocTemplate(
        pdf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
        topMargin=MARGIN + 6 * mm, bottomMargin=MARGIN + 4 * mm,
        title=f"Radiation dose history – {chart_name(p.name)}", author="DoseTrail",
        subject="Patient radiation dose history", creator=f"DoseTrail {software_version}",
        initialFontName=fonts.regular,  # not Helvetica (not embedded) when a TrueType font is used
    )
    width = A4[0] - 2 * MARGIN
    story: list = []
    story += _identity(history, styles, fonts)
    story += _summary(history, styles, fonts, settings, width)
    story.append(CondPageBreak(75 * mm))
    story.append(Paragraph("Cumulative effective dose over time", styles["h2"]))
    plot = cumulative_drawing(history, width, 62 * mm, font=fonts.regular)
    plot.initialFontName = fonts.regular  # the drawing's state default is Helvetica
    story.append(plot)
    unplaced = unplaced_exams(history)  # the same note as under the window's timeline
    if unplaced:
        story.append(Paragraph(markup(keep_units(unplaced_exams_note(unplaced)), fonts), styles["small"]))
    story.append(Spacer(1, 4 * mm))
    story += _exam_table(history, styles, fonts, width, factor_set)
    story += _reference_levels(history, styles, fonts)
    story.append(KeepTogether(
        [Paragraph("About effective dose", styles["h2"])]
        + [Paragraph(markup(t, fonts), styles["body"])
           for t in explanation_paragraphs(settings.background_msv_per_year, factor_set)]))
    markup(header, fonts)  # the page header's text counts too
    if fonts.cid_used:
        story.append(Paragraph(CID_NOTE, styles["small"]))
    doc.build(story, canvasmaker=_numbered_canvas(fonts, header, footer))
    write_private(path, pdf.getvalue())


# --- sections ---------------------------------------------------------------


def _styles(fonts: ReportFonts) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=fonts.regular, fontSize=9, leading=12, spaceAfter=4)
    return {
        "title": ParagraphStyle("title", parent=base, fontName=fonts.bold, fontSize=16,
                                leading=20, spaceAfter=2),
        "h2": ParagraphStyle("h2", parent=base, fontName=fonts.bold, fontSize=11.5, leading=15,
                             spaceBefore=8, spaceAfter=4),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.2, spaceAfter=0),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.2, spaceAfter=0),
        "cellb": ParagraphStyle("cellb", parent=base, fontName=fonts.bold, fontSize=7.5,
                                leading=9.2, spaceAfter=0),
        "head": ParagraphStyle("head", parent=base, fontName=fonts.bold, fontSize=7.5,
                               leading=9.2, spaceAfter=0),
        "big": ParagraphStyle("big", parent=base, fontName=fonts.bold, fontSize=13, leading=17,
                              spaceAfter=3),
        "flag": ParagraphStyle("flag", parent=base, textColor=FLAG),
    }


def _identity(history: PatientHistory, styles, fonts) -> list:
    p = history.patient
    ids = "<br/>".join(
        markup(pid, fonts) + (f" <font color='#555555'>(issuer {markup(issuer, fonts)})</font>"
                              if issuer else " <font color='#555555'>(no issuer)</font>")
        for pid, issuer in p.patient_ids) or "none recorded"
    rows = [
        ("Birth date", markup(known_birth_date(p.birth_date) or "unknown", fonts)),
        ("Sex", SEX_LABELS.get(p.sex or "", "unknown")),
        ("Patient IDs", ids),
        ("Height, weight", markup(body_size_line(p.height_m, p.weight_kg), fonts)),
    ]
    table = Table([[Paragraph(k, styles["cellb"]), Paragraph(v, styles["body"])] for k, v in rows],
                  colWidths=[28 * mm, None], hAlign="LEFT")
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), fonts.regular),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                               ("TOPPADDING", (0, 0), (-1, -1), 1),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [Paragraph("Radiation dose history", styles["title"]),
            Paragraph(markup(chart_name(p.name), fonts), styles["h2"]), table]


_PLAIN_NON_IONISING = {"MR": "MRI", "US": "ultrasound", "OP": "eye photography", "OPT": "eye OCT",
                       "ECG": "ECG", "ES": "endoscopy", "XC": "photography"}


def _non_ionising_kinds(exams: list[ExamView]) -> str:
    """``"MRI, ultrasound"``: what the exams without ionising radiation were."""
    kinds = {_PLAIN_NON_IONISING.get(m, m) for e in exams if e.ionising is False
             for m in e.modalities if m not in SUPPORTING_OBJECTS}
    return ", ".join(sorted(kinds)) or "no X-rays or tracers"


def _summary(history: PatientHistory, styles, fonts, settings: Settings, width: float) -> list:
    p = history.patient
    exams = history.exams
    total = p.cumulative_effective_dose_msv
    low, high = p.cumulative_effective_dose_range_msv or (None, None)
    left_out = [x for x in exams if not x.counted_in_total]
    exams = [x for x in exams if x.counted_in_total]  # probable QA/phantom scans are listed, not summed
    with_estimate = sum(1 for x in exams if x.effective_dose_msv is not None)
    non_ionising = sum(1 for x in exams if x.ionising is False)
    small = f"<font name='{fonts.regular}' size='9'>"
    if with_estimate:
        big = Paragraph(f"{fmt_num(total)}{NBSP}mSv {small}cumulative effective dose "
                        f"(range {fmt_range((low, high), 'mSv')})</font>", styles["big"])
    else:  # nothing to add up: the total is unknown, not 0
        big = Paragraph(f"Unknown {small}cumulative effective dose: no exam has a dose estimate"
                        "</font>", styles["big"])
    lines = [f"<b>{head}</b>{rest}" if head else rest
             for head, rest in summary_lines(p, with_estimate, non_ionising, _non_ionising_kinds(exams), len(left_out),
                                             settings.background_msv_per_year)]
    out = [Paragraph("Summary", styles["h2"]), big]
    out += [Paragraph(line, styles["body"]) for line in lines]
    note = high_cumulative_note(total)
    if note:
        out.append(Paragraph(keep_units(note), styles["flag"]))
    if history.per_year_msv:
        counts: dict[int, int] = {}
        for x in exams:
            if x.date and x.date[:4].isdigit():
                counts[int(x.date[:4])] = counts.get(int(x.date[:4]), 0) + 1
        head = [Paragraph(t, styles["head"]) for t in ("Year", "Effective dose", "Exams")]
        rows = [head] + [[Paragraph(str(y), styles["cell"]),
                          Paragraph(f"{fmt_num(v)}{NBSP}mSv", styles["cell"]),
                          Paragraph(str(counts.get(y, 0)), styles["cell"])]
                         for y, v in sorted(history.per_year_msv.items())]
        table = Table(rows, colWidths=[20 * mm, 30 * mm, 16 * mm], hAlign="LEFT", repeatRows=1)
        table.setStyle(_grid_style(fonts))
        out += [Paragraph("Per year (exams with an estimate)", styles["cellb"]), Spacer(1, 1 * mm),
                table]
    return out


def _grid_style(fonts: ReportFonts) -> TableStyle:
    return TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), fonts.regular),  # reportlab's default: Helvetica
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#bbbbbb")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ])


def _lines(items: list[str], fonts: ReportFonts) -> str:
    return "<br/>".join(markup(i, fonts) for i in items)


def _range_cell(rng: tuple[float, float], width: float, style: ParagraphStyle) -> str:
    """``(low–high)``, broken after the dash when it is wider than the column."""
    text = f"({fmt_range(rng)})"
    if stringWidth(text, style.fontName, style.fontSize) <= width - 2 * CELL_PADDING:
        return text
    low, high = text.split("–", 1)
    return f"{low}–<br/>{high}"


def _exam_row(exam: ExamView, styles, fonts, factor_set: str, widths: list[float]) -> list:
    title = [exam_title(exam)]
    sub = " · ".join(x for x in (" / ".join(exam.modalities), exam.body_region) if x)
    exam_cell = markup(title[0], fonts)
    if sub:
        exam_cell += f"<br/><font color='#555555'>{markup(sub, fonts)}</font>"
    if exam.institution:
        exam_cell += f"<br/><font color='#555555'>{markup(exam.institution, fonts)}</font>"
    if exam.ionising is False:
        figures = "no ionising radiation"
        effective = "0 mSv<br/><font color='#555555'>non-ionising</font>"
    else:
        figures = _lines(dose_figure_lines(exam.dose), fonts) or "no dose data"
        if exam.effective_dose_msv is None:
            effective = "<b>no estimate</b>"
        else:
            effective = f"<b>{fmt_num(exam.effective_dose_msv)}{NBSP}mSv</b>"
            if exam.effective_dose_range_msv:
                effective += "<br/>" + _range_cell(exam.effective_dose_range_msv, widths[3],
                                                   styles["cell"])
    if not exam.counted_in_total:
        effective += "<br/><font color='#555555'>not counted in the total</font>"
    method = []
    if exam.method:
        method.append(keep_units(exam.method))
    if exam.effective_dose_msv is not None and exam.ionising is not False:
        method.append(f"Factor set: {factor_set_label(exam.factor_set or factor_set)}")
    if exam.sources:
        method.append("Source: " + ", ".join(exam.sources))
    notes = exam_notes(exam)
    if len(notes) > 1:
        notes = [f"• {n}" for n in notes]
    return [
        Paragraph(markup(exam.date or "no date", fonts), styles["cell"]),
        Paragraph(exam_cell, styles["cell"]),
        Paragraph(figures, styles["cell"]),
        Paragraph(effective, styles["cell"]),
        Paragraph(_lines(method, fonts) or "–", styles["cell"]),
        Paragraph(_lines(notes, fonts), styles["cell"]),
    ]


def _exam_table(history: PatientHistory, styles, fonts, width: float, factor_set: str) -> list:
    head = [Paragraph(t, styles["head"]) for t in
            ("Date", "Exam", "Dose figures", "Effective dose", "Method, factor set, source",
             "Warnings and flags")]
    widths = [width * f for f in EXAM_COLUMNS]
    rows = [head] + [_exam_row(x, styles, fonts, factor_set, widths) for x in history.exams]
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = _grid_style(fonts)
    for i, exam in enumerate(history.exams, start=1):
        if exam.effective_dose_msv is None and exam.ionising is not False:
            style.add("BACKGROUND", (3, i), (3, i), colors.HexColor("#fbeee0"))
    table.setStyle(style)
    return [CondPageBreak(40 * mm), Paragraph(f"Exams ({len(history.exams)})", styles["h2"]),
            table]


def _reference_levels(history: PatientHistory, styles, fonts) -> list:
    flags = [(x, f) for x in history.exams for f in x.reference_levels]
    out = [CondPageBreak(35 * mm),
           Paragraph("Reference-level flags (for the clinician)", styles["h2"])]
    exceeded = [(x, f) for x, f in flags if f.exceeded]
    if not flags:
        out.append(Paragraph("No exam could be compared with a diagnostic reference level.",
                             styles["body"]))
        return out
    if not exceeded:
        out.append(Paragraph(f"{plural(len(flags), 'comparison')} with diagnostic reference levels; "
                             "none above the reference level.", styles["body"]))
    else:
        head = [Paragraph(t, styles["head"]) for t in
                ("Date", "Exam", "Quantity", "Value", "Reference level", "Scheme")]
        rows = [head]
        for x, f in exceeded:
            unit = "mGy·cm" if f.quantity.upper() == "DLP" else "mGy"
            rows.append([Paragraph(markup(x.date or "no date", fonts), styles["cell"]),
                         Paragraph(markup(f"{exam_title(x)}: {f.exam}", fonts), styles["cell"]),
                         Paragraph(f.quantity, styles["cell"]),
                         Paragraph(f"{fmt_num(f.value)}{NBSP}{unit}", styles["cell"]),
                         Paragraph(f"{fmt_num(f.reference)}{NBSP}{unit}", styles["cell"]),
                         Paragraph(markup(f.scheme, fonts), styles["cell"])])
        table = Table(rows, colWidths=[20 * mm, 62 * mm, 18 * mm, 24 * mm, 26 * mm, 22 * mm],
                      hAlign="LEFT", repeatRows=1)
        table.setStyle(_grid_style(fonts))
        out += [Paragraph(f"{len(exceeded)} of {plural(len(flags), 'comparison')} above the "
                          "reference level:", styles["body"]), table, Spacer(1, 2 * mm)]
    out.append(Paragraph(gettext(DRL_EXPLANATION), styles["small"]))
    return out


# --- page furniture ------------------------------------------------------------


def _numbered_canvas(fonts: ReportFonts, header: str, footer: str):
    """A canvas class drawing the header and "Page n of N" footer on every page."""
    header_style = ParagraphStyle("hdr", fontName=fonts.regular, fontSize=7.5, leading=9,
                                  textColor=colors.HexColor("#555555"))

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 - reportlab API
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._furniture(total)
                super().showPage()
            super().save()

        def _furniture(self, total: int) -> None:
            w, h = A4
            para = Paragraph(markup(header, fonts), header_style)
            para.wrapOn(self, w - 2 * MARGIN, 20)
            para.drawOn(self, MARGIN, h - MARGIN)
            self.setStrokeColor(colors.HexColor("#999999"))
            self.setLineWidth(0.4)
            self.line(MARGIN, h - MARGIN - 2, w - MARGIN, h - MARGIN - 2)
            self.line(MARGIN, MARGIN + 2, w - MARGIN, MARGIN + 2)
            self.setFont(fonts.regular, 7.5)
            self.setFillColor(colors.HexColor("#555555"))
            self.drawString(MARGIN, MARGIN - 8, footer)
            self.drawRightString(w - MARGIN, MARGIN - 8, f"Page {self._pageNumber} of {total}")

    return NumberedCanvas
