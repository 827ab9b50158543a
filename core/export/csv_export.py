"""One CSV row per study (the contract's ``export --format csv``).

Text cells cannot become spreadsheet formulas: a patient name, a description
or an archive path starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading apostrophe (OWASP "CSV injection"), so
``=HYPERLINK(...)`` is shown as text, not followed. Numbers stay numbers.
"""
from __future__ import annotations

import csv
import io
import re

from ..model.history import PatientHistory

COLUMNS = [
    "patient_key", "patient_ids", "name", "birth_date", "sex",
    "study_instance_uid", "date", "time", "modalities", "description", "institution", "body_region",
    "age_years", "ionising",
    "ct_dlp_mgycm", "ct_ctdivol_mgy_max", "ct_irradiation_events", "dap_gycm2", "agd_mgy",
    "administered_activity_mbq", "radiopharmaceutical",
    "effective_dose_msv", "effective_dose_low_msv", "effective_dose_high_msv",
    "method", "factor_set", "sources", "warnings", "counted_in_total",
]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def spreadsheet_safe(text: str) -> str:
    """``text`` as a spreadsheet shows it, never runs it.

    Parameters
    ----------
    text : str
        One cell's text.

    Returns
    -------
    str
        ``text`` with a leading apostrophe when it starts with ``=``, ``+``,
        ``-``, ``@``, a tab or a carriage return and is not a plain number
        (``-1.5`` stays a number).
    """
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _cell(value) -> str:
    if value is None:
        return ""  # unknown stays empty, never 0
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{round(value, 6):g}" if abs(value) < 1e15 else repr(value)
    if isinstance(value, int):
        return str(value)
    return spreadsheet_safe(str(value))


def export_csv(histories: list[PatientHistory]) -> str:
    buf = io.StringIO()
    write_csv(buf, histories)
    return buf.getvalue()


def write_csv(out, histories) -> None:
    """Write the CSV export to the text stream ``out``, patient by patient (``histories`` may be lazy)."""
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for h in histories:
        w.writerows(csv_rows(h))


def csv_rows(h: PatientHistory):
    """The CSV rows (lists of cells) of one patient's studies."""
    p = h.patient
    ids = ";".join(f"{pid}@{issuer}" if issuer else pid for pid, issuer in p.patient_ids)
    for e in h.exams:
        d = e.dose
        rng = e.effective_dose_range_msv or (None, None)
        yield ([_cell(v) for v in [
            p.key, ids, p.name, p.birth_date, p.sex,
            e.study_instance_uid, e.date, e.time, "\\".join(e.modalities), e.description, e.institution,
            e.body_region, e.age_years, e.ionising,
            d.ct_dlp_mgycm, d.ct_ctdivol_mgy_max, d.ct_irradiation_events, d.dap_gycm2, d.agd_mgy,
            d.administered_activity_mbq, d.radiopharmaceutical,
            e.effective_dose_msv, rng[0], rng[1], e.method, e.factor_set, ";".join(e.sources),
            " | ".join(e.warnings), e.counted_in_total,
        ]])
