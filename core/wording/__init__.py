"""Every sentence and number a patient or clinician reads, in one place (no Qt).

The window (``gui/``) and the reports (``core/export/``) take their words from
here: dose numbers with units and rounding, ranges, counts with plurals,
background-radiation equivalents, totals and what they leave out. Messages go
through a gettext catalogue (``locale/dosetrail.pot``) and numbers are
formatted for the reader's locale (:func:`set_locale`); English today.
"""
from __future__ import annotations

from ..dose.totals import HIGH_CUMULATIVE_MSV
from .exam_texts import exam_tooltip, marker_tooltip, nothing_to_place_text
from .kinds import TYPICAL_VALUE_TEXT, exam_kind, exam_modalities, is_typical_value, modality_label
from .locale_format import current_locale, fmt_decimal, fmt_integer, gettext, ngettext, set_locale
from .numbers import (
    NBSP,
    background_equivalent,
    background_years_label,
    fmt_dose,
    fmt_dose_range,
    fmt_dose_unit,
    fmt_factor,
    fmt_setting,
    plural,
)
from .patient_view import DECISIONS, WHAT_IT_MEANS, exam_name, summary_paragraphs
from .report import DRL_EXPLANATION, explanation_paragraphs, summary_lines
from .sentences import (
    clinician_high_total_note,
    clinician_total_text,
    timeline_note,
    body_size_text,
    not_counted_text,
    high_cumulative_line_label,
    high_cumulative_note,
    total_text,
    unplaced_exams,
    unplaced_exams_note,
)

__all__ = [
    "exam_tooltip", "marker_tooltip", "nothing_to_place_text",
    "clinician_high_total_note", "clinician_total_text", "timeline_note",
    "body_size_text", "not_counted_text",
    "DRL_EXPLANATION", "explanation_paragraphs", "summary_lines",
    "DECISIONS", "WHAT_IT_MEANS", "exam_name", "summary_paragraphs",
    "TYPICAL_VALUE_TEXT", "exam_kind", "exam_modalities", "is_typical_value", "modality_label",
    "HIGH_CUMULATIVE_MSV", "NBSP", "background_equivalent", "background_years_label", "current_locale",
    "fmt_decimal", "fmt_dose", "fmt_dose_range", "fmt_dose_unit", "fmt_factor", "fmt_integer", "fmt_setting", "gettext",
    "high_cumulative_line_label", "high_cumulative_note", "ngettext", "plural", "set_locale", "total_text",
    "unplaced_exams", "unplaced_exams_note",
]
