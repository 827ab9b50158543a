"""Mammography, radiography and fluoroscopy parts."""
from __future__ import annotations

import pytest

from dosetrail.core.config import Settings
from dosetrail.core.dose import factors
from dosetrail.core.dose.estimate import estimate_study
from dosetrail.core.dose.records import Accumulation, DoseRecord, ImageDose, ProjectionEvent
from dosetrail.core.dose.study import StudyDoseInput


def study(records, modalities, description=None):
    return StudyDoseInput("1.9", "2020-06-01", modalities, description=description, age_years=55, records=records)


def test_mammography_rdsr_events():
    events = [ProjectionEvent(event_uid=f"e{i}", agd_mgy=agd, laterality=lat)
              for i, (agd, lat) in enumerate([(1.1, "L"), (1.3, "L"), (1.2, "R"), (1.4, "R")])]
    rec = DoseRecord("RDSR", "projection", sop_instance_uid="m1", report_modality="MG", projection_events=events)
    est = estimate_study(study([rec], ["MG", "SR"]), Settings())
    total = 1.1 + 1.3 + 1.2 + 1.4
    assert est.dose.agd_mgy == pytest.approx(total)
    assert est.effective_dose_msv == pytest.approx(0.12 * total / 2)
    assert est.method == "0.12 x mean glandular dose"
    assert est.body_region == "breast"


def test_mammography_accumulated_agd_per_breast():
    rec = DoseRecord("RDSR", "projection", sop_instance_uid="m1", report_modality="MG",
                     accumulations=[Accumulation(agd_by_laterality_mgy={"L": 2.4, "R": 2.6})])
    est = estimate_study(study([rec], ["MG"]), Settings())
    assert est.effective_dose_msv == pytest.approx(0.12 * 5.0 / 2)


def test_mammography_agd_out_of_range_warns():
    img = DoseRecord("image-header", "projection", sop_instance_uid="i", report_modality="MG",
                     image=ImageDose(laterality="L", view="CC", organ_dose_mgy=120.0))
    est = estimate_study(study([img], ["MG"]), Settings())
    assert est.dose.agd_mgy == 120.0
    assert any("glandular dose 120 mGy for one view outside" in w for w in est.warnings)


def dx_image(sop, dap, when):
    return DoseRecord("image-header", "projection", sop_instance_uid=sop, report_modality="DX",
                      image=ImageDose(dap_gycm2=dap, acquisition_datetime=when, view="PA"))


def test_dx_chest_typical_value_flagged_and_dap_shown():
    recs = [dx_image("a", 0.08, "2020-06-01T10:00:00"), dx_image("b", 0.12, "2020-06-01T10:01:00")]
    est = estimate_study(study(recs, ["DX"], "RX TORAX PA Y LAT"), Settings())
    typical = factors.typical_dose("radiography chest")
    assert est.effective_dose_msv == typical.msv
    assert est.effective_dose_range_msv == typical.range_msv
    assert est.dose.dap_gycm2 == pytest.approx(0.20)
    assert est.sources == ["image-header", "typical-value"]
    assert est.method == "typical value for exam type"
    assert any("typical value" in w and "measured DAP 0.2 Gy·cm²" in w for w in est.warnings)
    assert est.parts[0].inputs["dap_gycm2"] == pytest.approx(0.20)


def test_dx_unknown_exam_type_stays_null():
    est = estimate_study(study([dx_image("a", 0.1, None)], ["DX"], "EXPLORACION"), Settings())
    assert est.ionising is True
    assert est.effective_dose_msv is None
    assert est.dose.dap_gycm2 == pytest.approx(0.1)
    assert any("cannot be told" in w for w in est.warnings)


def test_dx_dap_in_wrong_unit_warns():
    est = estimate_study(study([dx_image("a", 250.0, None)], ["DX"], "TORAX"), Settings())
    assert any("DAP 250 Gy·cm² outside the plausible range for DX" in w for w in est.warnings)


def test_coronary_angiography_uses_dap_coefficient_and_factor_two_range():
    rec = DoseRecord("RDSR", "projection", sop_instance_uid="x", report_modality="XA",
                     accumulations=[Accumulation(plane="A", dap_total_gycm2=40.0)])
    est = estimate_study(study([rec], ["XA", "SR"], "CORONARIOGRAFIA"), Settings())
    c = factors.dap_coefficient("coronary angiography (radial access)").msv_per_gycm2
    assert est.effective_dose_msv == pytest.approx(40.0 * c)
    assert est.effective_dose_range_msv == pytest.approx((40.0 * c / 2, 40.0 * c * 2))
    assert est.method == "DAP x coefficient"
    assert "Brambilla" in est.parts[0].factor_reference


def test_fluoroscopy_barium_enema_typical_value():
    rec = DoseRecord("RDSR", "projection", sop_instance_uid="x", report_modality="RF",
                     accumulations=[Accumulation(dap_total_gycm2=25.0)])
    est = estimate_study(study([rec], ["RF"], "ENEMA OPACO"), Settings())
    assert est.effective_dose_msv == factors.typical_dose("barium enema").msv
    assert est.dose.dap_gycm2 == 25.0
    assert est.sources == ["RDSR", "typical-value"]


def test_child_radiograph_does_not_use_adult_typical_value():
    inp = study([dx_image("a", 0.02, None)], ["DX"], "RX TORAX")
    inp.age_years = 4
    est = estimate_study(inp, Settings())
    assert est.effective_dose_msv is None
    assert est.dose.dap_gycm2 == pytest.approx(0.02)
    assert any("for adults" in w for w in est.warnings)
