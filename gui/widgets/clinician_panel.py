"""The clinician view: every figure behind the selected exam's estimate."""
from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from dosetrail.core.api import ExamView, PatientHistory

from dosetrail.core.wording import HIGH_CUMULATIVE_MSV, clinician_high_total_note, clinician_total_text, fmt_factor, plural

from ..formatting import fmt_number, fmt_range, modality_label
from ..patient_facts import body_size_text, not_counted_text

_DOSE_FIELDS = [
    ("ct_ctdivol_mgy_max", "CTDIvol, highest", "mGy"),
    ("ct_dlp_mgycm", "DLP, total", "mGy·cm"),
    ("ct_irradiation_events", "CT irradiation events", ""),
    ("dap_gycm2", "Dose-area product, total", "Gy·cm²"),
    ("agd_mgy", "Average glandular dose, total", "mGy"),
    ("administered_activity_mbq", "Administered activity", "MBq"),
    ("radiopharmaceutical", "Radiopharmaceutical", ""),
]


def _value(v: Any, unit: str = "") -> str:
    if v is None:
        return "<i>not given</i>"
    if isinstance(v, float):
        v = fmt_number(v)
    return escape(f"{v} {unit}".strip())


#: Readable names of the estimate's input keys (``EstimatePart.inputs``); others are spelled out.
_INPUT_LABELS = {
    "dlp_mgycm": "DLP", "ctdivol_max_mgy": "CTDIvol, highest", "k_msv_per_mgycm": "k",
    "k_region": "k region", "k_age_column": "k age column", "factor_set": "factor set",
    "region": "region", "events": "irradiation events", "per_event": "per event",
    "exam_type": "exam type", "typical_msv": "typical effective dose", "column": "age column",
    "measured_source": "measured figures from", "administrations": "administrations",
    "count": "number of administrations", "activity_mbq": "activity", "msv_per_mbq": "dose coefficient",
    "basis": "coefficient basis", "start_datetime": "injection time", "agd_total_mgy": "AGD, total",
    "tissue_weight": "breast tissue weight", "dap_gycm2": "DAP", "msv_per_gycm2": "DAP coefficient",
}
#: Units by the ending of the key name (first match wins: the ratios before the plain units).
_INPUT_UNITS = [("msv_per_mgycm", "mSv/(mGy·cm)"), ("msv_per_mbq", "mSv/MBq"),
                ("msv_per_gycm2", "mSv/(Gy·cm²)"), ("_mgycm", "mGy·cm"), ("_gycm2", "Gy·cm²"),
                ("_mbq", "MBq"), ("_mgy", "mGy"), ("_msv", "mSv")]
#: One entry of a list of records, e.g. "event 1: …".
_ITEM_NAMES = {"per_event": "event", "administrations": "administration"}
#: Inside such an entry these speak for themselves ("chest", not "region chest").
_BARE_KEYS = {"region", "radiopharmaceutical", "procedure"}


def input_unit(key: str) -> str:
    """The unit an input key names by its ending (``dlp_mgycm`` -> ``mGy·cm``), or ``""``."""
    return next((unit for ending, unit in _INPUT_UNITS if key.endswith(ending)), "")


def input_label(key: str) -> str:
    """A readable name of an input key (``k_age_column`` -> ``k age column``)."""
    if key in _INPUT_LABELS:
        return _INPUT_LABELS[key]
    label = key
    for ending, _unit in _INPUT_UNITS:
        if label.endswith(ending) and label != ending.lstrip("_"):
            label = label[: -len(ending)]
            break
    return label.replace("_", " ").strip() or key


def _scalar_text(value: Any, unit: str = "") -> str:
    if value is None:
        return "not given"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):  # a coefficient (a unit per unit) as published, a dose figure by the rule
        value = fmt_factor(value) if "/" in unit else fmt_number(value)
    return f"{value} {unit}".strip()


def input_value_text(key: str, value: Any) -> str:
    """One input's value as text with its unit; lists joined, records as ``k v`` pairs."""
    unit = input_unit(key)
    if isinstance(value, dict) and unit and all(isinstance(v, (int, float)) for v in value.values()):
        return ", ".join(f"{k} {_scalar_text(v, unit)}" for k, v in value.items())  # e.g. mSv per region
    if isinstance(value, dict):
        return _record_text(value)
    if isinstance(value, (list, tuple)):
        if not value:
            return "none"
        if all(isinstance(v, dict) for v in value):
            name = _ITEM_NAMES.get(key, "item")
            return "; ".join(f"{name} {i}: {_record_text(v)}" for i, v in enumerate(value, 1))
        return ", ".join(_scalar_text(v, unit) for v in value)
    return _scalar_text(value, unit)


def _record_text(record: dict) -> str:
    parts = []
    for k, v in record.items():
        if v is None:
            continue
        text = input_value_text(k, v)
        parts.append(text if k in _BARE_KEYS and isinstance(v, str) else f"{input_label(k)} {text}")
    return ", ".join(parts) or "none"


def inputs_html(inputs: dict[str, Any]) -> str:
    """An estimate part's inputs as HTML lines (records of a list one a line)."""
    if not inputs:
        return "none"
    lines = []
    for key, value in inputs.items():
        label = escape(input_label(key))
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value):
            name = _ITEM_NAMES.get(key, "item")
            lines.append(f"{label}:")
            lines.extend(f"&nbsp;&nbsp;&nbsp;{escape(name)} {i}: {escape(_record_text(v))}"
                         for i, v in enumerate(value, 1))
        else:
            lines.append(f"{label}: {escape(input_value_text(key, value))}")
    return "<br>".join(lines)


def _row(label: str, value_html: str) -> str:
    return f"<tr><td style='padding-right:12px'><b>{escape(label)}</b></td><td>{value_html}</td></tr>"



def patient_header_html(history: PatientHistory) -> str:
    """Totals of the patient with the factor set named (and the 100 mSv note)."""
    p = history.patient
    facts = "".join(f" {escape(t)}." for t in (not_counted_text(p), body_size_text(p) and
                                                  f"Height, weight: {body_size_text(p)}") if t)
    note = ""
    total = p.cumulative_effective_dose_msv
    if total is not None and total >= HIGH_CUMULATIVE_MSV:
        note = (f"<p><b>{escape(clinician_high_total_note())}</b>, the level used in the "
                "IAEA work on recurrent imaging. For information: the decision to image rests on "
                "clinical grounds, not on the dose of prior exams (AAPM/ACR/HPS 2021).</p>")
    return note + (
        f"<p><b>Cumulative effective dose:</b> {escape(clinician_total_text(p))} "
        f"<b>Factor set:</b> {escape(history.factor_set)}.{facts}</p>"
    )


def _event_figures(event) -> str:
    """The measured figures of one event, with units (CT: DLP and CTDIvol; projection: DAP and dose at RP)."""
    parts = []
    for key, label, unit in (("ct_dlp_mgycm", "DLP", "mGy·cm"), ("ct_ctdivol_mgy", "CTDIvol", "mGy"),
                             ("dap_gycm2", "DAP", "Gy·cm²"), ("dose_rp_gy", "dose at RP", "Gy"),
                             ("agd_mgy", "AGD", "mGy"), ("administered_activity_mbq", "activity", "MBq")):
        value = getattr(event, key, None)
        if value is not None:
            parts.append(f"{label} {fmt_number(value)} {unit}")
    return ", ".join(parts) or "not given"


def events_html(exam: ExamView) -> str:
    """The per-event breakdown as a table: what each irradiation got and from which factor.

    Sources are numbered below the table (one line each) so the rows stay short.
    """
    if not exam.events:
        return ("<h4>Irradiation events</h4><p><i>No per-event breakdown stored for this exam "
                "(estimated by an older version, or no dose events).</i></p>")
    sources: list[str] = []
    head = "".join(f"<th align='left' style='padding-right:8px'>{h}</th>" for h in (
        "#", "UID (end)", "Type", "Region (from)", "Measured", "Factor", "Status", "Source", "Effective dose"))
    rows = [f"<h4>Irradiation events ({len(exam.events)})</h4>", "<table cellspacing='0'>", f"<tr>{head}</tr>"]
    for i, e in enumerate(exam.events, 1):
        if e.factor_source and e.factor_source not in sources:
            sources.append(e.factor_source)
        ref = f"[{sources.index(e.factor_source) + 1}]" if e.factor_source else ""
        unit = (e.factor_unit or "").replace("Gy.cm2", "Gy·cm²").replace("mGy.cm", "mGy·cm")
        factor = f"{fmt_factor(e.factor)} {unit}" if e.factor is not None else "none"
        dose = f"{fmt_number(e.effective_dose_msv)} mSv" if e.effective_dose_msv is not None else "unknown"
        region = f"{(e.region or 'unknown').replace('_', ' ')} ({e.region_from})"
        uid = ("…" + e.uid[-14:] if len(e.uid) > 15 else e.uid) if e.uid else "—"
        cells = (str(i), uid, e.kind, region, _event_figures(e), factor, e.factor_status or "—", ref, dose)
        rows.append("<tr>" + "".join(f"<td style='padding-right:8px'>{escape(c)}</td>" for c in cells)
                    + "</tr>")
    rows.append("</table>")
    if sources:
        rows.append("<p><i>Factor sources</i><br>" + "<br>".join(
            f"[{n}] {escape(src)}" for n, src in enumerate(sources, 1)) + "</p>")
    return "\n".join(rows)


def exam_html(exam: ExamView) -> str:
    """Every figure of one exam as HTML: dose indices, estimate, method, factor set,
    parts with inputs and citations, warnings and reference-level flags."""
    title = escape(f"{exam.date or 'date unknown'} – {exam.description or modality_label(exam.modalities)}")
    out = [f"<h3>{title}</h3>", "<table>"]
    out.append(_row("Modalities", escape(", ".join(exam.modalities))))
    out.append(_row("Institution", _value(exam.institution)))
    out.append(_row("Body region", _value(exam.body_region)))
    out.append(_row("Age at exam", _value(exam.age_years, "years")))
    out.append(_row("Ionising", {True: "yes", False: "no", None: "<i>unknown</i>"}[exam.ionising]))
    if exam.accession_number:
        out.append(_row("Accession number", escape(exam.accession_number)))
    out.append(_row("Study UID", escape(exam.study_instance_uid)))
    for name, label, unit in _DOSE_FIELDS:
        out.append(_row(label, _value(getattr(exam.dose, name), unit)))
    if exam.has_estimate:
        est = f"{fmt_number(exam.effective_dose_msv)} mSv"
        if exam.effective_dose_range_msv:
            est += f" (range {fmt_range(exam.effective_dose_range_msv)})"
        out.append(_row("Effective dose", escape(est)))
    else:
        out.append(_row("Effective dose", "<i>no estimate</i>"))
    if exam.reported_effective_dose_msv is not None:
        out.append(_row("Reported by the device",
                        escape(f"{fmt_number(exam.reported_effective_dose_msv)} mSv")))
    out.append(_row("Counted in total", "yes" if exam.counted_in_total
                    else f"<b>no</b>: {escape(exam.not_counted_reason or '')}"))
    out.append(_row("Method", _value(exam.method)))
    out.append(_row("Factor set", _value(exam.factor_set)))
    out.append(_row("Factor status", _value(exam.factor_status)))
    out.append(_row("Dose sources", escape(", ".join(exam.sources)) or "<i>none</i>"))
    out.append("</table>")
    if exam.parts:
        out.append("<h4>Parts of the estimate</h4><ul>")
        for part in exam.parts:
            rng = f" (range {fmt_range(part.range_msv)})" if part.range_msv else ""
            out.append(
                f"<li><b>{escape(part.modality)}</b>: {escape(part.method)} → "
                f"{escape(fmt_number(part.effective_dose_msv) or 'unknown')} mSv{escape(rng)}"
                f"; source {escape(part.source)}"
                f"<br><i>inputs</i><br>{inputs_html(part.inputs)}"
                f"<br>factor: {escape(part.factor_reference or 'not cited')}</li>")
        out.append("</ul>")
    out.append(events_html(exam))
    if exam.reference_levels:
        out.append("<h4>Diagnostic reference levels</h4><ul>")
        for f in exam.reference_levels:
            state = "<b>above</b>" if f.exceeded else "within"
            out.append(f"<li>{escape(f.scheme)} {escape(f.exam)}: {escape(f.quantity)} "
                       f"{escape(fmt_number(f.value))} {state} the reference level "
                       f"{escape(fmt_number(f.reference))}</li>")
        out.append("</ul>")
    out.append("<h4>Warnings</h4>")
    if exam.warnings:
        out.append("<ul>" + "".join(f"<li>{escape(w)}</li>" for w in exam.warnings) + "</ul>")
    else:
        out.append("<p>None.</p>")
    if exam.series:
        out.append("<h4>Series</h4><ul>")
        for s in exam.series:
            out.append(f"<li>{escape(str(s.number or ''))} {escape(s.modality)} "
                       f"{escape(s.description or '')} – {plural(s.instance_count, 'object')}</li>")
        out.append("</ul>")
    return "\n".join(out)


class ClinicianPanel(QWidget):
    """Shows the patient totals and every detail of the selected exam."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QTextBrowser(self)
        self.text.setAccessibleName("Exam details for clinicians")
        self.text.setOpenLinks(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        self._history: PatientHistory | None = None
        self._exam: ExamView | None = None
        self._render()

    def set_history(self, history: PatientHistory | None) -> None:
        """Show ``history``'s totals; clears the exam selection."""
        self._history = history
        self._exam = None
        self._render()

    def set_exam(self, exam: ExamView | None) -> None:
        """Show the details of ``exam`` (None: a hint to select one)."""
        self._exam = exam
        self._render()

    def plain_text(self) -> str:
        """The text shown, without formatting."""
        return self.text.toPlainText()

    def _render(self) -> None:
        if self._history is None:
            self.text.setHtml("<p>Select a patient.</p>")
            return
        body = patient_header_html(self._history)
        body += exam_html(self._exam) if self._exam else "<p>Select an exam in the table or on the timeline.</p>"
        self.text.setHtml(body)
