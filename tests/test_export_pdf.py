"""The printable PDF report: figures, counts, explanation, pages, fonts, line breaks."""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from export_samples import ct_exam, full_history, make_history, mg_exam, petct_exam, unknown_ct_exam

from dosetrail.core.config import Settings
from dosetrail.core.dose.study import DoseFigures, ReferenceLevelFlag
from dosetrail.core.export.pdf_fonts import markup, report_fonts, transliterate
from dosetrail.core.export.pdf_report import CID_NOTE, write_report_pdf
from dosetrail.core.export.report_text import (
    background_equivalent,
    dose_figure_lines,
    exam_notes,
    factor_set_label,
    fmt_num,
    fmt_range,
    keep_units,
)

pypdf = pytest.importorskip("pypdf")
WHEN = datetime(2024, 5, 6, 7, 8, tzinfo=timezone.utc)
NBSP = "\u00a0"  # between a number and its unit


def _pages(path: Path) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(str(path)).pages]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _written(tmp_path_factory, history, name: str):
    path = tmp_path_factory.mktemp(name) / f"{name}.pdf"
    write_report_pdf(history, path, settings=Settings(), software_version="7.7.7", generated_at=WHEN)
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    history = full_history()
    path = _written(tmp_path_factory, history, "report")
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
    assert f"{missing} exam without a dose estimate" in text  # singular, not "exam(s)"
    assert f"{len(history.exams)} exams in the history" in text
    assert "(of which 1 without ionising radiation: MRI)" in text  # what they were, not a fixed list
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
    assert "AGD 4.80 mGy" in text and "Activity 370 MBq" in text and "DAP 0.120 Gy·cm²" in text
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
    assert "1 exam without a dose estimate" in text


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
    assert background_equivalent(2.4, 2.4) == f"about 1{NBSP}year"  # one rule with the window (core.wording)
    assert background_equivalent(0.2, 2.4) == f"about 1{NBSP}month"
    assert background_equivalent(0.02, 2.4) == f"about 3{NBSP}days"
    assert dose_figure_lines(DoseFigures()) == []  # unknown is left out, never "0"
    lines = dose_figure_lines(DoseFigures(dap_gycm2=0.5, agd_mgy=None))
    assert lines == [f"DAP 0.500{NBSP}Gy·cm²"]
    assert fmt_num(None) == "unknown" and fmt_num(1234.4) == "1,234" and fmt_num(0.2881) == "0.288"


def test_three_significant_digits_everywhere():
    # the audit's per-year table showed "0.6 mSv" next to "1.52 mSv"
    assert [fmt_num(v) for v in (0.6, 1.52, 22.5, 812.0, 5.0, 0.0015, 999.6)] == \
        ["0.600", "1.52", "22.5", "812", "5.00", "0.00150", "1,000"]
    assert fmt_num(0) == "0" and fmt_num(0.0004) == "<0.001"
    assert fmt_range((0.3, 0.9), "mSv") == f"0.300–0.900{NBSP}mSv"


def test_numbers_keep_their_units():
    lines = dose_figure_lines(DoseFigures(ct_dlp_mgycm=63.8, ct_ctdivol_mgy_max=9.6,
                                          administered_activity_mbq=370.0))
    assert lines == [f"DLP 63.8{NBSP}mGy·cm", f"CTDIvol max 9.60{NBSP}mGy", f"Activity 370{NBSP}MBq"]
    warning = "CTDIvol 9.6 mGy above the UK-2022 national reference level for chest (8.5 mGy)"
    assert keep_units(warning) == warning.replace("9.6 mGy", f"9.6{NBSP}mGy").replace(
        "8.5 mGy", f"8.5{NBSP}mGy")
    assert keep_units("(915 > 600) in 2 CT events, 50 %") == f"(915{NBSP}>{NBSP}600) in 2 CT events, 50{NBSP}%"
    assert factor_set_label("AAPM-96+NM-coefficients") == "AAPM-96 + NM-coefficients"


def test_reference_level_flag_not_repeated():
    exam = ct_exam()
    assert exam.reference_levels[0].exceeded
    notes = exam_notes(exam)
    assert sum("reference level" in n for n in notes) == 1
    exam.warnings = ["DLP 812 mGy·cm above the UK-2022 national reference level for CAP (600)"]
    notes = exam_notes(exam)
    assert notes == [keep_units(w) for w in exam.warnings]  # the estimator's warning says it
    exam.warnings = exam.warnings * 2  # a warning repeated by two estimate parts
    assert len(exam_notes(exam)) == 1


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


# --- line breaks (the audit's page 1 and 2) ---------------------------------------


def audit_history():
    """The audit's patient: a tight range, CTDIvol 9.6, a PET-CT factor set, mixed years."""
    ct1 = ct_exam(uid="1.2.3.1", date="2015-06-10", dlp=63.8, e=0.893)
    ct2 = ct_exam(uid="1.2.3.2", date="2015-06-10", dlp=44.6, e=0.624)
    for exam in (ct1, ct2):
        exam.description = "CT THORAX"
        exam.dose = DoseFigures(ct_dlp_mgycm=exam.dose.ct_dlp_mgycm, ct_ctdivol_mgy_max=9.6,
                                ct_irradiation_events=2)
        exam.reference_levels = [ReferenceLevelFlag(scheme="UK-2022", exam="chest (lung cancer)",
                                                    quantity="CTDIvol", value=9.6, reference=8.5,
                                                    exceeded=True)]
        exam.warnings = ["CTDIvol 9.6 mGy above the UK-2022 national reference level for chest "
                         "(lung cancer) (8.5 mGy)"]
    ct2.effective_dose_range_msv = (0.312, 0.937)
    mammo = mg_exam(date="2019-09-01")
    mammo.effective_dose_msv, mammo.effective_dose_range_msv = 0.6, (0.3, 0.9)
    pet = petct_exam(date="2021-03-04")
    pet.factor_set = "AAPM-96+NM-coefficients"
    pet.dose = DoseFigures(ct_dlp_mgycm=280.0, ct_ctdivol_mgy_max=3.1, ct_irradiation_events=1,
                           administered_activity_mbq=370.0,
                           radiopharmaceutical="F-18 FDG (fludeoxyglucose)")
    ct3 = ct_exam(uid="1.2.3.5", date="2018-02-20", dlp=107.0, e=1.52)
    ct3.dose = DoseFigures(ct_dlp_mgycm=107.0, ct_ctdivol_mgy_max=12.5, ct_irradiation_events=1)
    perfusion = ct_exam(uid="1.2.3.6", date="2018-02-21", dlp=1234.0, e=2.9)
    perfusion.dose = DoseFigures(ct_dlp_mgycm=1234.0, ct_ctdivol_mgy_max=1234.0)  # the widest
    return make_history([ct1, ct2, ct3, perfusion, mammo, pet], name="DOE^JANE")


@pytest.fixture(scope="module")
def audit_report(tmp_path_factory):
    history = audit_history()
    path = _written(tmp_path_factory, history, "audit")
    lines = [line.strip() for page in _pages(path) for line in page.splitlines()]
    return history, path, lines


UNIT = r"(?:mSv|mGy·cm|mGy|Gy·cm²|MBq|%)"


def test_no_range_or_word_is_broken(audit_report):
    _, _, lines = audit_report
    assert ")" not in lines  # was "(0.312–0.937" / ")"
    assert any("(0.312–0.937)" in line for line in lines)
    # the factor set wraps between its parts, never inside "NM-coefficients"
    assert not any(line.startswith("M-coefficients") for line in lines)
    assert any("NM-coefficients" in line for line in lines)
    assert "Factor set: AAPM-96 + NM-coefficients" in _flat(" ".join(lines))


def test_number_and_unit_on_one_line(audit_report):
    _, _, lines = audit_report
    starts_with_unit = [line for line in lines if re.match(UNIT + r"(\W|$)", line)]
    assert not starts_with_unit  # was "CTDIvol max 9.6" / "mGy"
    flat = [line.replace(NBSP, " ") for line in lines]
    assert any("CTDIvol max 9.60 mGy" in line for line in flat)
    assert any(line.endswith("1,234 mGy") for line in flat)  # "CTDIvol max" / "1,234 mGy"
    assert any("CTDIvol 9.6 mGy above" in line for line in flat)


def test_per_year_table_uses_three_significant_digits(audit_report):
    history, _, lines = audit_report
    flat = [line.replace(NBSP, " ") for line in lines]
    start = flat.index("Per year (exams with an estimate)")
    years = [f"{y}" for y in sorted(history.per_year_msv)]
    values = [flat[flat.index(y, start) + 1] for y in years]
    assert values == [f"{fmt_num(history.per_year_msv[int(y)])} mSv" for y in years]
    assert "0.600 mSv" in values  # not "0.6 mSv" next to "1.52 mSv"
    for value in values:
        digits = value.split()[0].replace(",", "").replace(".", "").lstrip("0")
        assert len(digits) >= 3, value


def test_reference_level_flag_listed_once_per_exam(audit_report):
    history, _, lines = audit_report
    text = _flat(" ".join(lines))
    # one note per CT in the exam table, one row per CT in the flag table
    assert text.count("CTDIvol 9.6 mGy above the UK-2022") == 2
    assert "CTDIvol above the UK-2022 reference level" not in text  # exam_notes adds no copy


def _font_names(path: Path) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(str(path)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def test_only_embedded_fonts_with_truetype(audit_report):
    _, path, _ = audit_report
    if not report_fonts().embedded:
        pytest.skip("no TrueType font on this system")
    names = _font_names(path)
    assert names and all("+" in n for n in names), names  # subset prefix: embedded
    assert "/Helvetica" not in names  # table cells and the plot used to default to it


def test_cid_font_note(tmp_path):
    helv = report_fonts([])  # no TrueType font: CJK through Adobe's non-embedded CID fonts
    japanese = make_history([ct_exam()], name="山田^太郎")
    path = tmp_path / "cid.pdf"
    write_report_pdf(japanese, path, settings=Settings(), software_version="1", fonts=helv)
    assert "/HeiseiKakuGo-W5" in _font_names(path)
    assert _flat(CID_NOTE) in _flat(" ".join(_pages(path)))
    latin = tmp_path / "latin.pdf"
    write_report_pdf(make_history([ct_exam()]), latin, settings=Settings(), software_version="1",
                     fonts=helv)
    assert "Font note" not in _flat(" ".join(_pages(latin)))  # nothing to say


def test_cjk_truetype_font_is_embedded(tmp_path):
    fonts = report_fonts()
    if not fonts.fallback:
        pytest.skip("no CJK TrueType font on this system (fc-list :lang=ja)")
    path = tmp_path / "ja.pdf"
    write_report_pdf(make_history([ct_exam()], name="山田^太郎"), path, settings=Settings(),
                     software_version="1", fonts=fonts)
    names = _font_names(path)
    assert not any("Heisei" in n for n in names)
    assert "Font note" not in _flat(" ".join(_pages(path)))


def test_qa_scan_listed_but_not_in_the_total_and_body_size_shown(tmp_path):
    qa = ct_exam(uid="1.2.826.0.1.3680043.8.498.1090", date="2021-01-01", e=50.0)
    qa.description, qa.counted_in_total = "Z_Physics Test", False
    qa.not_counted_reason = 'probable QA/phantom scan: study description "Z_Physics Test" (PHYSICS)'
    qa.warnings = ["probable QA/phantom scan, not counted"]
    counted = ct_exam(date="2019-05-14", e=11.37)
    history = make_history([counted, qa])
    history.patient.height_m, history.patient.weight_kg = 1.68, 73.0
    path = tmp_path / "qa.pdf"
    write_report_pdf(history, path, settings=Settings(), software_version="7.7.7", generated_at=WHEN)
    text = _flat(" ".join(_pages(path)))
    assert f"{fmt_num(11.37)} mSv cumulative effective dose" in text
    assert "1 exam not counted in the total" in text
    assert "not counted in the total" in text.split("Exams (2)")[1]  # on the QA exam's row
    assert "Z_Physics Test" in text
    assert "1 with a dose estimate" in text
    assert "Height, weight 1.68 m, 73 kg" in text
    assert "2021" not in text.split("Per year")[1].split("Exams (2)")[0]  # no per-year row for the QA scan
