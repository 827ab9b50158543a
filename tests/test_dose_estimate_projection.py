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


def test_dx_chest_dap_uses_the_chest_radiography_factor_per_image():
    recs = [dx_image("a", 0.08, "2020-06-01T10:00:00"), dx_image("b", 0.12, "2020-06-01T10:01:00")]
    est = estimate_study(study(recs, ["DX"], "RX TORAX PA Y LAT"), Settings())
    row = factors.dap_factor("chest", "radiography")
    assert (row.value, row.status, row.range_msv_per_gycm2) == (0.16, "secondary", (0.08, 0.32))
    assert est.dose.dap_gycm2 == pytest.approx(0.20)
    assert est.effective_dose_msv == pytest.approx(0.20 * 0.16)
    assert est.effective_dose_range_msv == pytest.approx((0.20 * 0.08, 0.20 * 0.32))
    assert est.factor_status == "secondary"
    assert est.sources == ["image-header"]
    assert [(e.uid, e.region, e.region_from, e.factor_status) for e in est.events] == [
        ("a", "chest", "description", "secondary"), ("b", "chest", "description", "secondary")]


def test_dx_without_dap_keeps_the_typical_value():
    recs = [dx_image("a", None, "2020-06-01T10:00:00")]
    est = estimate_study(study(recs, ["DX"], "RX TORAX PA Y LAT"), Settings())
    typical = factors.typical_dose("radiography chest")
    assert est.effective_dose_msv == typical.msv
    assert est.effective_dose_range_msv == typical.range_msv
    assert est.sources == ["typical-value"]
    assert est.method == "typical value for exam type"
    assert est.factor_status == "secondary"


def test_dx_unknown_region_uses_the_unknown_trunk_row_flagged():
    est = estimate_study(study([dx_image("a", 0.1, None)], ["DX"], "EXPLORACION"), Settings())
    assert est.ionising is True
    assert est.dose.dap_gycm2 == pytest.approx(0.1)
    assert est.effective_dose_msv == pytest.approx(0.026)
    assert est.effective_dose_range_msv == pytest.approx((0.0065, 0.057))
    assert est.factor_status == "proxy"
    assert any("region unknown" in w and "unknown-trunk" in w for w in est.warnings)
    assert [(e.region, e.region_from) for e in est.events] == [(None, "unknown")]


def test_dx_dap_in_wrong_unit_warns():
    est = estimate_study(study([dx_image("a", 250.0, None)], ["DX"], "TORAX"), Settings())
    assert any("DAP 250 Gy·cm² outside the plausible range for DX" in w for w in est.warnings)


def test_coronary_angiography_uses_the_verified_heart_factor_and_its_spread():
    rec = DoseRecord("RDSR", "projection", sop_instance_uid="x", report_modality="XA",
                     accumulations=[Accumulation(plane="A", dap_total_gycm2=40.0)])
    est = estimate_study(study([rec], ["XA", "SR"], "CORONARIOGRAFIA"), Settings())
    row = factors.dap_factor("heart", "cardiology")
    assert (row.value, row.status, row.range_msv_per_gycm2) == (0.30, "verified", (0.16, 0.40))
    assert est.effective_dose_msv == pytest.approx(40.0 * 0.30)
    assert est.effective_dose_range_msv == pytest.approx((40.0 * 0.16, 40.0 * 0.40))
    assert est.method.startswith("DAP x coefficient")
    assert est.factor_status == "verified"
    assert "Brambilla" in est.parts[0].factor_reference
    (event,) = est.events
    assert (event.kind, event.region, event.dap_gycm2, event.factor) == ("accumulated", "heart", 40.0, 0.30)


def test_pci_uses_the_pci_row():
    rec = DoseRecord("RDSR", "projection", sop_instance_uid="x", report_modality="XA",
                     accumulations=[Accumulation(plane="A", dap_total_gycm2=50.0)])
    est = estimate_study(study([rec], ["XA"], "PCI LAD"), Settings())
    assert est.effective_dose_msv == pytest.approx(50.0 * 0.33)
    assert est.effective_dose_range_msv == pytest.approx((50.0 * 0.28, 50.0 * 0.38))


def test_fluoroscopy_barium_enema_uses_the_abdomen_factor_with_a_widened_range():
    rec = DoseRecord("RDSR", "projection", sop_instance_uid="x", report_modality="RF",
                     accumulations=[Accumulation(dap_total_gycm2=25.0)])
    est = estimate_study(study([rec], ["RF"], "ENEMA OPACO"), Settings())
    row = factors.dap_factor("abdomen", "fluoroscopy")
    # secondary: the published 0.17-0.31 spread is widened to at least x/÷2
    assert (row.value, row.status, row.range_msv_per_gycm2) == (0.26, "secondary", (0.13, 0.52))
    assert est.effective_dose_msv == pytest.approx(25.0 * 0.26)
    assert est.effective_dose_range_msv == pytest.approx((25.0 * 0.13, 25.0 * 0.52))
    assert est.dose.dap_gycm2 == 25.0
    assert est.sources == ["RDSR"]


def test_fluoroscopy_barium_enema_without_dap_typical_value():
    rec = DoseRecord("RDSR", "projection", sop_instance_uid="x", report_modality="RF",
                     accumulations=[Accumulation(fluoro_time_s=120.0)])
    est = estimate_study(study([rec], ["RF"], "ENEMA OPACO"), Settings())
    assert est.effective_dose_msv == factors.typical_dose("barium enema").msv
    assert est.sources == ["typical-value"]


def test_child_chest_radiograph_uses_the_age_rows():
    inp = study([dx_image("a", 0.02, None)], ["DX"], "RX TORAX")
    inp.age_years = 12
    est = estimate_study(inp, Settings())
    assert est.effective_dose_msv == pytest.approx(0.02 * 0.4)  # 11-14 y row
    assert est.factor_status == "verified"
    assert est.events[0].factor_source.startswith("chest radiography 11-14y")


def test_younger_child_than_any_age_row_warns_of_underestimate():
    inp = study([dx_image("a", 0.02, None)], ["DX"], "RX TORAX")
    inp.age_years = 4
    est = estimate_study(inp, Settings())
    assert est.effective_dose_msv == pytest.approx(0.02 * 0.6)  # 8-10 y row, the youngest
    assert any("probably underestimates" in w for w in est.warnings)


def test_child_radiograph_without_dap_does_not_use_adult_typical_value():
    inp = study([dx_image("a", None, None)], ["DX"], "RX TORAX")
    inp.age_years = 4
    est = estimate_study(inp, Settings())
    assert est.effective_dose_msv is None
    assert any("for adults" in w for w in est.warnings)
