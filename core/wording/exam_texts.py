"""Short texts about one exam: the exam table's and the timeline's tooltips, the timeline's sentence
when it has nothing to place."""
from __future__ import annotations

from .kinds import TYPICAL_VALUE_TEXT, is_typical_value, modality_label
from .locale_format import fmt_integer, gettext, ngettext
from .numbers import fmt_dose, fmt_dose_range


def _not_counted(e) -> str:
    return gettext("Not counted in the total: {reason}").format(reason=e.not_counted_reason or gettext("the user’s choice"))


def exam_tooltip(e) -> str:
    """The exam table's tooltip for one exam (an ``ExamView``): estimate, method, flags, warnings."""
    lines = [f"{e.date or gettext('date unknown')} – {e.description or modality_label(e.modalities)}"]
    if e.effective_dose_msv is None:
        lines.append(gettext("No dose estimate: the study does not carry the data needed."))
    else:
        text = gettext("Effective dose about {dose} mSv").format(dose=fmt_dose(e.effective_dose_msv))
        if e.effective_dose_range_msv:
            text += f" ({fmt_dose_range(e.effective_dose_range_msv, 'mSv')})"
        lines.append(text)
        if is_typical_value(e):
            lines.append(gettext("A {what}: hollow marker on the timeline.").format(what=gettext(TYPICAL_VALUE_TEXT)))
        if e.method:
            lines.append(gettext("Method: {method}").format(method=e.method) + (f" ({e.factor_set})" if e.factor_set else ""))
    for f in e.reference_levels:
        if f.exceeded:
            lines.append(gettext("{quantity} {value} above the {scheme} reference level {reference} ({exam})").format(
                quantity=f.quantity, value=fmt_dose(f.value), scheme=f.scheme, reference=fmt_dose(f.reference),
                exam=f.exam))
    if not e.counted_in_total:
        lines.append(_not_counted(e) + " " + gettext("(right-click: Count in total)"))
    lines.extend(gettext("Warning: {text}").format(text=w) for w in e.warnings)
    return "\n".join(lines)


def marker_tooltip(exam, cumulative: float) -> str:
    """The timeline marker's tooltip for one exam, with the cumulative total reached after it."""
    lines = [f"{exam.date}  {exam.description or modality_label(exam.modalities)}",
             gettext("Modality: {modality}").format(modality=modality_label(exam.modalities))]
    if exam.has_estimate:
        rng = exam.effective_dose_range_msv
        text = gettext("Effective dose: {dose} mSv").format(dose=fmt_dose(exam.effective_dose_msv))
        if rng:
            text += " " + gettext("(range {range})").format(range=fmt_dose_range(rng))
        lines.append(text)
        lines.append(gettext("Method: {method}").format(method=exam.method or gettext("unknown")))
        if is_typical_value(exam):
            lines.append(gettext("A {what}").format(what=gettext(TYPICAL_VALUE_TEXT)))
    else:
        lines.append(gettext("No estimate: the study does not carry the dose data needed"))
    if not exam.counted_in_total:
        lines.append(_not_counted(exam))
    lines.append(gettext("Cumulative after this exam: {dose} mSv").format(dose=fmt_dose(cumulative)))
    return "\n".join(lines)


def nothing_to_place_text(n_exams: int) -> str:
    """The timeline's sentence when no exam can be placed (none, or only undated ones)."""
    if not n_exams:
        return gettext("No exams to show.")
    return ngettext("This patient's only exam has no date, so it cannot be placed on the timeline. It is listed "
                    "in the table below.",
                    "This patient's {n} exams have no date, so they cannot be placed on the timeline. They are "
                    "listed in the table below.", n_exams).format(n=fmt_integer(n_exams))
