"""Patient view (plain language) and clinician view (every figure)."""
from __future__ import annotations

import pytest

from dosetrail.gui.formatting import background_equivalent, fmt_number
from dosetrail.gui.widgets.clinician_panel import ClinicianPanel
from dosetrail.gui.widgets.patient_summary import PatientSummaryWidget, summary_paragraphs
from gui_fakes import build_history

pytestmark = pytest.mark.gui


def test_patient_summary_states_total_background_and_missing(qtbot):
    history = build_history()
    w = PatientSummaryWidget()
    qtbot.addWidget(w)
    w.set_history(history, 2.4)
    text = w.plain_text()
    total = history.patient.cumulative_effective_dose_msv
    assert f"about {fmt_number(total)} mSv" in text
    years = round(total / 2.4)  # more than ten: whole years (core.wording.background_equivalent)
    assert f"as much as about {years} years of natural background" in text
    assert f"Your {len(history.exams)} exams since {min(e.date for e in history.exams if e.date)[:4]}" in text
    assert "2 exams have no dose estimate" in text
    assert "not a measure of your own risk" in text
    assert "medical grounds" in text
    assert "CT" not in text.split("What this number means")[1]  # no jargon in the explanation


def test_patient_summary_follows_background_setting():
    history = build_history()
    total = history.patient.cumulative_effective_dose_msv
    text = " ".join(summary_paragraphs(history, 3.7))
    assert background_equivalent(total, 3.7) in text
    assert "3.7 mSv a year" in text


def test_patient_summary_never_warns_against_imaging():
    text = " ".join(summary_paragraphs(build_history(), 2.4)).lower()
    for bad in ("avoid", "should not", "danger", "too much"):
        assert bad not in text


def test_summary_without_any_estimate():
    h = build_history()
    for e in h.exams:
        e.effective_dose_msv = None
    paras = summary_paragraphs(h, 2.4)
    assert "none of them carries the information" in paras[0]


def test_background_equivalent_units():
    # one rule with the PDF (core.wording), a non-breaking space before the unit
    assert background_equivalent(24.0, 2.4) == "about 10\u00a0years"
    assert background_equivalent(0.2, 2.4) == "about 1\u00a0month"
    assert "days" in background_equivalent(0.02, 2.4)
    assert "months" in background_equivalent(1.0, 2.4)


def test_clinician_panel_names_factor_set_inputs_and_flags(qtbot):
    history = build_history()
    w = ClinicianPanel()
    qtbot.addWidget(w)
    w.set_history(history)
    assert "Select an exam" in w.plain_text()
    assert history.factor_set in w.plain_text()
    exam = next(e for e in history.exams if e.reference_levels)
    w.set_exam(exam)
    text = w.plain_text()
    assert exam.factor_set in text and exam.method in text
    assert fmt_number(exam.dose.ct_dlp_mgycm) in text
    part = exam.parts[0]
    assert part.factor_reference in text
    assert "mSv/(mGy·cm)" in text and "k_msv_per_mgycm" not in text  # units, not key names
    flag = exam.reference_levels[0]
    assert flag.scheme in text and "above" in text and fmt_number(flag.reference) in text


def test_clinician_panel_unknown_is_not_zero(qtbot):
    history = build_history()
    w = ClinicianPanel()
    qtbot.addWidget(w)
    w.set_history(history)
    exam = next(e for e in history.exams if not e.has_estimate)
    w.set_exam(exam)
    text = w.plain_text()
    assert "no estimate" in text
    assert "DLP, total\tnot given" in text or "DLP, total not given" in text.replace("\n", " ")
    for w_ in exam.warnings:
        assert w_ in text


def test_summary_of_only_non_ionising_exams(qtbot):
    h = build_history()
    h.exams = [e for e in h.exams if e.ionising is False]
    h.patient.cumulative_effective_dose_msv = 0.0
    h.patient.cumulative_effective_dose_range_msv = (0.0, 0.0)
    text = " ".join(summary_paragraphs(h, 2.4))
    assert "no X-rays or radioactive tracers" in text
    assert "natural background radiation, which" not in text  # no "0 mSv = less than a day"
    from dosetrail.gui.widgets.patient_summary import PatientSummaryWidget

    widget = PatientSummaryWidget()
    widget.set_history(h)
    html = widget.text.toHtml()
    assert "About effective dose" in html and "What this number means" not in html  # there is no number


def test_clinician_header_notes_100_msv_as_information(qtbot):
    h = build_history()
    w = ClinicianPanel()
    qtbot.addWidget(w)
    w.set_history(h)
    assert "100 mSv" not in w.plain_text()
    h.patient.cumulative_effective_dose_msv = 120.0
    w.set_history(h)
    text = w.plain_text()
    assert "at or above 100 mSv" in text and "clinical grounds" in text


def test_clinician_panel_shows_inputs_readably(qtbot):
    from dosetrail.core.dose.study import EstimatePart
    from dosetrail.gui.widgets.clinician_panel import input_label, input_unit, input_value_text

    history = build_history()
    exam = next(e for e in history.exams if e.parts)
    exam.parts = [
        EstimatePart("CT", "k-factor x DLP", 4.2, (2.1, 6.3), "RDSR",
                     {"dlp_mgycm": 280.0, "factor_set": "AAPM-96", "k_msv_per_mgycm": 0.014,
                      "k_age_column": ["adult"], "region": "chest", "events": 2,
                      "per_event": [{"dlp_mgycm": 280.0, "region": "chest", "k_msv_per_mgycm": 0.014},
                                    {"dlp_mgycm": 20.5, "region": "head", "k_msv_per_mgycm": 0.0021}],
                      "ctdivol_max_mgy": 3.1}, "AAPM Report 96"),
        EstimatePart("PT", "activity x coefficient", 7.0, None, "RRDSR",
                     {"administrations": [{"radiopharmaceutical": "F-18 FDG", "activity_mbq": 370.0,
                                           "msv_per_mbq": 0.019}], "count": 1}, "ICRP 128"),
    ]
    w = ClinicianPanel()
    qtbot.addWidget(w)
    w.set_history(history)
    w.set_exam(exam)
    text = w.plain_text()
    parts = text[text.index("Parts of the estimate"):]
    for raw in ("[", "]", "{", "}", "'", "per_event", "k_age_column", "_mgycm", "_mbq"):
        assert raw not in parts, raw
    assert "DLP: 280 mGy·cm" in parts
    assert "k: 0.014 mSv/(mGy·cm)" in parts
    assert "k age column: adult" in parts
    assert "event 1: DLP 280 mGy·cm, chest, k 0.014 mSv/(mGy·cm)" in parts
    assert "event 2: DLP 20.5 mGy·cm, head" in parts
    assert "CTDIvol, highest: 3.10 mGy" in parts
    assert "administration 1: F-18 FDG, activity 370 MBq, dose coefficient 0.019 mSv/MBq" in parts
    assert (input_unit("dlp_mgycm"), input_unit("activity_mbq"), input_unit("k_msv_per_mgycm")) == \
        ("mGy·cm", "MBq", "mSv/(mGy·cm)")
    assert input_label("some_new_total_mgy") == "some new total"
    assert input_value_text("k_region", ["chest", "head"]) == "chest, head"
    assert input_value_text("exposures", None) == "not given"


def test_clinician_panel_shows_the_per_event_breakdown_as_a_table(qtbot):
    from dosetrail.core.dose.study import EventEstimate

    history = build_history()
    exam = next(e for e in history.exams if e.has_estimate)
    exam.factor_status = "proxy"
    exam.events = [
        EventEstimate("1.2.3.4.5.6.7.8.9.10.11.12", "fluoroscopy", "heart", "target-region-code", dap_gycm2=12.5,
                      dose_rp_gy=0.21, factor=0.30, factor_unit="mSv per Gy.cm2", factor_status="verified",
                      factor_source="heart cardiology adult: Brambilla M et al. Phys Med 2017",
                      effective_dose_msv=3.75),
        EventEstimate(None, "accumulated", None, "unknown", dap_gycm2=1.0, factor=0.26,
                      factor_unit="mSv per Gy.cm2", factor_status="proxy",
                      factor_source="unknown-trunk any adult: spans every adult trunk and limb factor",
                      effective_dose_msv=0.26),
    ]
    w = ClinicianPanel()
    qtbot.addWidget(w)
    w.set_history(history)
    w.set_exam(exam)
    text = w.plain_text()
    assert "Irradiation events (2)" in text and "Factor status" in text
    assert "heart (target-region-code)" in text and "unknown (unknown)" in text
    assert "DAP 12.5 Gy·cm², dose at RP 0.210 Gy" in text
    assert "0.3 mSv per Gy·cm²" in text and "verified" in text and "proxy" in text
    assert "[1] heart cardiology adult: Brambilla" in text and "[2] unknown-trunk" in text
    assert "3.75 mSv" in text
    assert w.text.document().toHtml().count("<tr") >= 3  # a table, a row per event


def test_clinician_panel_says_when_no_breakdown_is_stored(qtbot):
    history = build_history()
    exam = next(e for e in history.exams if e.has_estimate)
    exam.events = []
    w = ClinicianPanel()
    qtbot.addWidget(w)
    w.set_history(history)
    w.set_exam(exam)
    assert "No per-event breakdown stored" in w.plain_text()


def test_clinician_panel_shows_a_multi_region_procedure_by_region():
    from dosetrail.gui.widgets.clinician_panel import input_value_text

    text = input_value_text("effective_dose_by_region_msv", {"chest": 0.9, "lower limb": 0.26})
    assert text == "chest 0.900 mSv, lower limb 0.260 mSv"


def test_clinician_panel_counts_a_single_series_object_in_the_singular(qtbot):
    history = build_history()
    exam = next(e for e in history.exams if e.series)
    exam.series[0].instance_count = 1
    panel = ClinicianPanel()
    qtbot.addWidget(panel)
    panel.set_history(history)
    panel.set_exam(exam)
    text = panel.plain_text()
    assert "1 object" in text and "1 objects" not in text
