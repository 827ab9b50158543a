"""The printable PDF report: figures, counts, explanation, pages, fonts."""
from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from export_samples import ct_exam, full_history, make_history, unknown_ct_exam

from dosetrail.core.config import Settings
from dosetrail.core.dose.study import DoseFigures
from dosetrail.core.export.pdf_fonts import markup, report_fonts, transliterate
from dosetrail.core.export.pdf_report import write_report_pdf
from dosetrail.core.export.report_text import (
    background_equivalent,
    dose_figure_lines,
    exam_notes,
    fmt_num,
)

pypdf = pytest.importorskip("pypdf")
WHEN = datetime(2024, 5, 6, 7, 8, tzinfo=timezone.utc)


def _pages(path: Path) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(str(path)).pages]


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    history = full_history()
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    write_report_pdf(history, path, settings=Settings(), software_version="7.7.7",
                     generated_at=WHEN)
    return history, path, _pages(path)


def test_summary_figures(report):
    history, _, pages = report
    text = _flat(" ".join(pages))
    total = sum(x.effective_dose_msv for x in history.exams if x.effective_dose_msv is not None)
    low = sum(x.effective_dose_range_msv[0] for x in history.exams if x.effective_dose_msv is not None)
    high = sum(x.effective_dose_range_msv[1] for x in history.exams if x.effective_dose_msv is not None)
    assert f"{total:.3g} mSv cumulative effective dose" in text
    assert f"range {low:.3g}–{high:.3g} mSv" in text
    missing = sum(1 for x in history.exams if x.effective_dose_msv is None)
    assert missing == 1
    assert f"{missing} exam(s) without a dose estimate" in text
    assert f"{len(history.exams)} exam(s) in the history" in text
    for year, value in history.per_year_msv.items():
        assert f"{year} {fmt_num(value)} mSv" in text


def test_identity_and_exam_table(report):
    history, _, pages = report
    text = _flat(" ".join(pages))
    assert "MÜLLER, JOSÉ" in text and "1967-03-09" in text and "male" in text
    for pid, issuer in history.patient.patient_ids:
        assert f"{pid} (issuer {issuer})" in text
    for exam in history.exams:
        assert (exam.date or "no date") in text
        assert exam.description in text
    ct = ct_exam()
    assert f"DLP {ct.dose.ct_dlp_mgycm:.3g} mGy·cm" in text
    assert f"{ct.effective_dose_msv:.3g} mSv" in text
    assert "AGD 4.8 mGy" in text and "Activity 370 MBq" in text and "DAP 0.12 Gy·cm²" in text
    assert "Factor set: AAPM-96" in text and "Source: RDSR" in text
    assert "no verified DAP coefficient" in text  # warnings are shown
    # the exam without data says so; its dose is never printed as zero
    assert "no estimate" in text and "no dose data" in text
    assert "DLP above the UK-2022 reference level" in text


def test_explanation_and_footer(report):
    _, _, pages = report
    text = _flat(" ".join(pages))
    assert "reference person" in text
    assert "not a personal risk" in text
    assert "clinical grounds" in text
    assert "2.4 mSv per year" in text
    for n, page in enumerate(pages, start=1):
        flat = _flat(page)
        assert f"Page {n} of {len(pages)}" in flat
        assert "DoseTrail 7.7.7" in flat and "factor set AAPM-96" in flat
        assert "generated 2024-05-06 07:08 UTC" in flat
    assert "100 mSv" not in text  # below the level: no high-cumulative note


def test_long_table_repeats_header_and_high_total_note(tmp_path):
    exams = [ct_exam(uid=f"1.2.3.{i}", date=f"{2000 + i // 2}-0{1 + (i % 2) * 5}-10",
                     dlp=300 + i, e=3.0 + i * 0.05) for i in range(45)]
    history = make_history(exams + [unknown_ct_exam(date="2005-05-05")])
    path = tmp_path / "long.pdf"
    write_report_pdf(history, path, settings=Settings(background_msv_per_year=3.7),
                     software_version="1", generated_at=WHEN)
    pages = _pages(path)
    assert len(pages) >= 3
    table_pages = [p for p in pages if "2001-01-10" in p or "2015-06-10" in p or "2010-01-10" in p]
    assert len(table_pages) >= 2
    assert all("Dose figures" in p for p in table_pages)
    text = _flat(" ".join(pages))
    for exam in exams:
        assert exam.date in text
    assert "at or above 100 mSv" in text
    assert "3.7 mSv per year" in text
    # the dated exam without an estimate is marked on the plot (legend entry)
    assert "exam without a dose estimate (not in the total)" in text


def test_total_is_unknown_when_no_exam_has_an_estimate(tmp_path):
    history = make_history([unknown_ct_exam(date="2020-02-02")])
    assert history.patient.cumulative_effective_dose_msv == 0.0  # the sum of nothing
    path = tmp_path / "unknown.pdf"
    write_report_pdf(history, path, settings=Settings(), software_version="1")
    text = _flat(" ".join(_pages(path)))
    assert "Unknown cumulative effective dose: no exam has a dose estimate" in text
    assert "0 mSv" not in text
    assert "1 exam(s) without a dose estimate" in text


def test_unicode_names_embedded_font(tmp_path):
    fonts = report_fonts()
    if not fonts.embedded:
        pytest.skip("no TrueType font on this system")
    history = make_history([ct_exam()], name="山田^太郎", patient_ids=[("ÅB-1", "Łódź Klinikum")])
    path = tmp_path / "ja.pdf"
    write_report_pdf(history, path, settings=Settings(), software_version="1", fonts=fonts)
    text = _flat(_pages(path)[0])
    assert "山田, 太郎" in text
    assert "ÅB-1 (issuer Łódź Klinikum)" in text


def test_name_with_ideographic_group(tmp_path):
    history = make_history([ct_exam()], name="Yamada^Tarou=山田^太郎=やまだ^たろう")
    path = tmp_path / "pn.pdf"
    write_report_pdf(history, path, settings=Settings(), software_version="1")
    assert "Yamada, Tarou (山田 太郎)" in _flat(_pages(path)[0])


def test_unicode_names_without_truetype(tmp_path):
    fonts = report_fonts([])  # no font folder: Helvetica + CID fonts + transliteration
    assert not fonts.embedded
    history = make_history([ct_exam()], name="Łukasz^Ōta", patient_ids=[("1", "東京")])
    path = tmp_path / "helv.pdf"
    write_report_pdf(history, path, settings=Settings(), software_version="1", fonts=fonts)
    text = _flat(_pages(path)[0])
    assert "Lukasz, Ota" in text  # transliterated, not dropped
    assert "(issuer 東京)" in text  # CJK through the Adobe CID font


def test_markup_and_transliteration():
    helv = report_fonts([])
    assert markup("a<b>&c", helv) == "a&lt;b&gt;&amp;c"
    assert transliterate("ő") == "o" and transliterate("Ł") == "L"
    assert transliterate("☃") == "?"
    assert "<font name=" in markup("山田", helv)
    assert markup(None, helv) == ""


def test_text_helpers():
    assert background_equivalent(2.4, 2.4) == "about 1.0 years"
    assert background_equivalent(0.2, 2.4) == "about 1 month"
    assert background_equivalent(0.02, 2.4) == "about 3 days"
    assert dose_figure_lines(DoseFigures()) == []  # unknown is left out, never "0"
    lines = dose_figure_lines(DoseFigures(dap_gycm2=0.5, agd_mgy=None))
    assert lines == ["DAP 0.5 Gy·cm²"]
    assert fmt_num(None) == "unknown" and fmt_num(1234.4) == "1,234" and fmt_num(0.2881) == "0.288"


def test_reference_level_flag_not_repeated():
    exam = ct_exam()
    assert exam.reference_levels[0].exceeded
    notes = exam_notes(exam)
    assert sum("reference level" in n for n in notes) == 1
    exam.warnings = ["DLP 812 mGy·cm above the UK-2022 national reference level for CAP (600)"]
    notes = exam_notes(exam)
    assert notes == exam.warnings  # the estimator's warning already says it


def test_render_first_page(report, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    _, path, _ = report
    out = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(path), str(out)],
                   check=True, timeout=60)
    (png,) = tmp_path.glob("page*.png")
    assert png.stat().st_size > 5000
    image_mod = pytest.importorskip("PIL.Image")
    with image_mod.open(png) as im:
        gray = im.convert("L")
        dark = sum(gray.histogram()[:128])
        assert dark > 0.005 * gray.width * gray.height  # text and plot were drawn
