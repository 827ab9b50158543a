"""Exam and patient table models: Qt model contract, sorting, search, display."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from dosetrail.gui.models.exams import (
    COLUMNS,
    EFFECTIVE_COLUMN,
    ExamRole,
    ExamTableModel,
    make_exam_proxy,
    plain_columns,
    technical_columns,
)
from dosetrail.gui.models.patients import PatientFilterProxy, PatientTableModel, display_name
from gui_fakes import build_history, build_patients

pytestmark = pytest.mark.gui


def _col(title_start: str) -> int:
    return next(i for i, c in enumerate(COLUMNS) if c.title.startswith(title_start))


def test_exam_model_passes_qt_model_tester(qtmodeltester):
    model = ExamTableModel()
    model.set_exams(build_history().exams)
    qtmodeltester.check(model)
    qtmodeltester.check(make_exam_proxy(model))


def test_patient_model_passes_qt_model_tester(qtmodeltester):
    model = PatientTableModel()
    model.set_patients(build_patients(50))
    qtmodeltester.check(model)
    proxy = PatientFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_search("PATIENT^0001")
    qtmodeltester.check(proxy)


def test_exam_rows_show_figures_and_unknown_is_not_zero(qtbot):
    history = build_history()
    model = ExamTableModel()
    model.set_exams(history.exams)
    assert model.rowCount() == len(history.exams)
    for row, exam in enumerate(history.exams):
        eff = model.index(row, EFFECTIVE_COLUMN).data()
        if exam.effective_dose_msv is None:
            assert eff == "no estimate"
        else:
            typical = "typical-value" in exam.sources  # marked as a typical value, not a measured one
            assert eff.endswith(" typical") == typical
            assert float(eff.lstrip("≈").split()[0]) == pytest.approx(exam.effective_dose_msv, rel=0.05)
        dlp = model.index(row, _col("DLP")).data()
        assert dlp == ("" if exam.dose.ct_dlp_mgycm is None else dlp)
        if exam.dose.ct_dlp_mgycm is not None:
            assert float(dlp.replace(",", "")) == pytest.approx(exam.dose.ct_dlp_mgycm, rel=1e-3)
        assert model.index(row, 0).data(ExamRole) is exam
        tip = model.index(row, 3).data(Qt.ItemDataRole.ToolTipRole)
        assert (exam.description or "") in tip
        if exam.effective_dose_msv is None:
            assert "No dose estimate" in tip


def test_exam_flags_and_tooltip_name_reference_level():
    history = build_history()
    model = ExamTableModel()
    model.set_exams(history.exams)
    flagged = next(i for i, e in enumerate(history.exams) if any(f.exceeded for f in e.reference_levels))
    assert "above reference level" in model.index(flagged, _col("Flags")).data()
    tip = model.index(flagged, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "UK-2022" in tip


def test_exam_proxy_sorts_numerically_by_sort_role():
    history = build_history()
    model = ExamTableModel()
    model.set_exams(history.exams)
    proxy = make_exam_proxy(model)
    proxy.sort(EFFECTIVE_COLUMN, Qt.SortOrder.DescendingOrder)
    got = [proxy.index(r, 0).data(ExamRole).effective_dose_msv for r in range(proxy.rowCount())]
    known = [g for g in got if g is not None]
    assert known == sorted(known, reverse=True)
    assert got[-len([g for g in got if g is None]):] == [None] * got.count(None)
    proxy.sort(0, Qt.SortOrder.AscendingOrder)
    dates = [proxy.index(r, 0).data(ExamRole).date for r in range(proxy.rowCount())]
    dated = [d for d in dates if d]
    assert dated == sorted(dated) and dates[-1] is None  # undated last


def test_technical_columns_are_the_raw_dose_indices():
    titles = {COLUMNS[i].title.split(" (")[0] for i in technical_columns()}
    assert {"CTDIvol", "DLP", "DAP", "AGD", "Activity"} <= titles
    assert "Flags" in titles  # reference-level flags would read as alarms in the patient view
    assert EFFECTIVE_COLUMN not in technical_columns()


def test_patient_search_by_name_id_and_birth_date_formats():
    patients = build_patients(300)
    model = PatientTableModel()
    model.set_patients(patients)
    proxy = PatientFilterProxy()
    proxy.setSourceModel(model)

    def keys():
        return {proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 3) for r in range(proxy.rowCount())}

    proxy.set_search("patient^00012")
    assert keys() == {p.key for p in patients if "00012" in p.name}
    proxy.set_search("ID00150")
    assert keys() == {"K00150"}
    target = patients[77].birth_date
    for form in (target, target.replace("-", ""), target[:4]):
        proxy.set_search(form)
        expected = {p.key for p in patients if p.birth_date.replace("-", "").startswith(
            form.replace("-", ""))}
        assert keys() == expected and expected
    proxy.set_search("")
    assert proxy.rowCount() == 300


def test_patient_sort_numeric_cumulative():
    model = PatientTableModel()
    model.set_patients(build_patients(40))
    proxy = PatientFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(5, Qt.SortOrder.DescendingOrder)
    values = [proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 2).cumulative_effective_dose_msv
              for r in range(proxy.rowCount())]
    assert values == sorted(values, reverse=True)


def test_patient_without_any_estimate_shows_unknown_not_zero():
    from dataclasses import replace

    from dosetrail.gui.formatting import total_text
    from dosetrail.gui.widgets.clinician_panel import patient_header_html

    unknown = replace(build_patients(1)[0], exam_count=2, exams_without_dose_estimate=2,
                      cumulative_effective_dose_msv=None, cumulative_effective_dose_range_msv=None)
    model = PatientTableModel()
    model.set_patients([unknown] + build_patients(3))
    assert model.index(0, 5).data() == "unknown"
    assert "unknown" in model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert total_text(unknown) == "dose unknown (no exam has an estimate)"
    partial = replace(unknown, cumulative_effective_dose_msv=1.5, cumulative_effective_dose_range_msv=(0.75, 2.2),
                      exams_without_dose_estimate=1)
    assert total_text(partial).replace("\u00a0", " ") == "about 1.50 mSv (0.750–2.20 mSv) + 1 exam without an estimate"
    mr_only = replace(unknown, cumulative_effective_dose_msv=0.0, cumulative_effective_dose_range_msv=(0.0, 0.0),
                      exams_without_dose_estimate=0)
    assert total_text(mr_only).startswith("no radiation dose")
    history = build_history()
    history = replace(history, patient=unknown)
    html = patient_header_html(history)
    assert "unknown" in html and " 0 mSv" not in html
    proxy = PatientFilterProxy()
    proxy.setSourceModel(model)
    proxy.sort(5, Qt.SortOrder.AscendingOrder)
    assert proxy.index(0, 5).data() == "unknown"  # unknown sorts below every known total


def test_display_name():
    assert display_name("DOE^JANE^^DR") == "DOE, JANE DR"
    assert display_name("") == "(no name)"
    assert display_name("SMITH") == "SMITH"
    # the ideographic group in parentheses, as in the PDF report (not the raw "=" groups)
    assert display_name("Yamada^Tarou=山田^太郎=やまだ^たろう") == "Yamada, Tarou (山田 太郎)"


def test_patient_model_with_thousands_sorts_and_filters():
    model = PatientTableModel()
    proxy = PatientFilterProxy()
    proxy.setSourceModel(model)
    patients = build_patients(20000)
    model.set_patients(patients)
    proxy.sort(0, Qt.SortOrder.AscendingOrder)
    proxy.set_search("00042")
    assert proxy.rowCount() == sum("00042" in p.name for p in patients)


def test_estimate_columns_come_before_the_technical_ones():
    from dosetrail.gui.models.exams import DATE_COLUMN, RANGE_COLUMN, column_index

    titles = [c.title.split(" (")[0] for c in COLUMNS]
    # "Exam" (plain words, patient view) and "Modality" (codes, clinician view) are twins
    assert titles[:8] == ["Date", "Exam", "Modality", "Description", "Effective dose", "Range", "Body region",
                          "Institution"]
    assert titles[-2:] == ["Source", "Flags"]
    assert (DATE_COLUMN, EFFECTIVE_COLUMN, RANGE_COLUMN) == (0, 4, 5)
    assert column_index("DLP") == titles.index("DLP")
    assert plain_columns() == [column_index("Exam")]
    technical = [c for c in technical_columns() if c != column_index("Modality")]
    assert technical == list(range(min(technical), len(COLUMNS)))  # raw figures, source, flags last
    # the named columns read what their titles say
    exam = next(e for e in build_history().exams if e.effective_dose_msv is not None)
    model = ExamTableModel()
    model.set_exams([exam])
    assert model.index(0, EFFECTIVE_COLUMN).data() == COLUMNS[EFFECTIVE_COLUMN].text(exam)
    assert model.headerData(RANGE_COLUMN, Qt.Orientation.Horizontal).startswith("Range")


@pytest.mark.parametrize("modalities,kind", [
    (["PT", "CT", "SR"], "PET-CT scan"), (["CT", "SR"], "CT scan"), (["MG"], "mammogram"),
    (["DX"], "X-ray"), (["CR", "DX"], "X-ray"), (["MR"], "MRI scan"), (["US"], "ultrasound"),
    (["NM", "CT"], "SPECT-CT scan"), (["SR"], "dose report"), (["XA"], "angiography (X-ray)"),
    (["ZZ"], "ZZ"), ([], "exam"),
])
def test_exam_kind_in_plain_words(modalities, kind):
    from dosetrail.gui.formatting import exam_kind

    assert exam_kind(modalities) == kind


def test_a_dose_report_alone_reads_as_the_exam_it_reports():
    from dataclasses import replace

    from dosetrail.core.dose.study import DoseFigures
    from dosetrail.gui.formatting import exam_kind, exam_modalities

    ct = next(e for e in build_history().exams if "CT" in e.modalities and "PT" not in e.modalities)
    rdsr_only = replace(ct, modalities=["SR"])  # a CT's RDSR without its images
    assert exam_modalities(rdsr_only)[0] == "CT" and exam_kind(exam_modalities(rdsr_only)) == "CT scan"
    nothing = replace(ct, modalities=["SR"], dose=DoseFigures())
    assert exam_kind(exam_modalities(nothing)) == "dose report"
    assert exam_modalities(ct) == ct.modalities
