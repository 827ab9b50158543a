"""The window and the PDF word the same number the same way (issue 12).

Each test renders one figure in the window (patient summary, exam table, clinician panel) and
in the PDF report and checks that both read alike: the background-radiation equivalent of
2.3 mSv, an effective dose of 0.288 mSv, a DLP of 1234 mGy·cm.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from export_samples import ct_exam, make_history

from dosetrail.core.config import Settings
from dosetrail.core.export.pdf_report import write_report_pdf
from dosetrail.gui.models.exams import COLUMNS, column_index
from dosetrail.gui.widgets.clinician_panel import exam_html, patient_header_html
from dosetrail.gui.widgets.patient_summary import summary_paragraphs

pypdf = pytest.importorskip("pypdf")
WHEN = datetime(2024, 5, 6, 7, 8, tzinfo=timezone.utc)


def _flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def _pdf_text(history, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    write_report_pdf(history, path, settings=Settings(), software_version="7.7.7", generated_at=WHEN)
    return _flat(" ".join(p.extract_text() for p in pypdf.PdfReader(str(path)).pages))


def _cell(exam, title: str) -> str:
    return COLUMNS[column_index(title)].text(exam)


def test_background_equivalent_of_2_3_msv_reads_the_same(tmp_path):
    # 2.3 mSv at 2.4 mSv a year: the window said "a year", the PDF "about 12 months"
    history = make_history([ct_exam(dlp=164.3, e=2.3)])
    window = _flat(" ".join(summary_paragraphs(history, 2.4)))
    pdf = _pdf_text(history, tmp_path)
    assert "about 1 year of natural background" in window
    assert "about 1 year of natural background" in pdf
    assert "12 months" not in pdf and "a year of" not in window


def test_small_dose_has_the_same_digits(tmp_path):
    # 0.288 mSv: the window rounded to two digits ("0.29"), the PDF to three ("0.288")
    exam = ct_exam(dlp=20.6, e=0.288)
    history = make_history([exam])
    assert _cell(exam, "Effective dose") == "0.288"
    assert "0.288 mSv" in _flat(exam_html(exam))
    assert "about 0.288 mSv" in _flat(" ".join(summary_paragraphs(history, 2.4)))
    assert "0.288 mSv" in _flat(patient_header_html(history))
    assert "0.288 mSv" in _pdf_text(history, tmp_path)


def test_thousands_are_grouped_the_same_way(tmp_path):
    # 1234: the window wrote "1234" or "1 234", the PDF "1,234" (English grouping)
    exam = ct_exam(dlp=1234.0, e=1234.0 * 0.014)
    big = ct_exam(uid="1.2.826.0.1.3680043.8.498.1009", date="2020-01-01", dlp=1000.0, e=1234.0 - 1234.0 * 0.014)
    history = make_history([exam, big])
    assert _cell(exam, "DLP") == "1,234"
    assert "1,234 mGy·cm" in _flat(exam_html(exam))
    assert "1,234 mSv" in _flat(patient_header_html(history))
    pdf = _pdf_text(history, tmp_path)
    assert "1,234 mGy·cm" in pdf or "DLP 1,234" in pdf
    assert "1,234 mSv" in pdf
    assert "1 234" not in _flat(patient_header_html(history))
