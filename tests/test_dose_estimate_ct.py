"""CT effective dose: k x DLP, regions, paediatric rules, geometry DLP, DRLs."""
from __future__ import annotations

import pytest

from dosetrail.core.config import Settings
from dosetrail.core.dose import factors
from dosetrail.core.dose.ct_geometry import DLP_FROM_LENGTH_WARNING, scan_length_mm
from dosetrail.core.dose.estimate import estimate_study
from dosetrail.core.dose.records import Code, CTEvent, DoseRecord, ImageDose
from dosetrail.core.dose.study import SeriesText, StudyDoseInput

CHEST = Code("T-D3000", "SRT", "Chest")
HEAD = Code("T-D1100", "SRT", "Head")
ABDOMEN = Code("T-D4000", "SRT", "Abdomen")
AXIAL = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]


def k(region, age=40, fs="AAPM-96"):
    return factors.k_factor(fs, region, age).value


def rdsr(*events, sop="1", when="2022-01-01T10:00:00", total=None):
    return DoseRecord("RDSR", "ct", sop_instance_uid=sop, content_datetime=when, ct_events=list(events),
                      ct_dlp_total_mgycm=total)


def study(records, modalities=("CT", "SR"), age=40.0, description=None, series=()):
    return StudyDoseInput("1.2.3", "2022-01-01", list(modalities), description=description, age_years=age,
                          records=list(records), series=list(series))


def test_per_event_regions_sum_k_times_dlp():
    inp = study([rdsr(CTEvent("u1", 40.0, 800.0, target_region=HEAD),
                      CTEvent("u2", 8.0, 300.0, target_region=CHEST),
                      CTEvent("u3", 9.0, 500.0, target_region=ABDOMEN))])
    est = estimate_study(inp, Settings())
    expected = k("head") * 800 + k("chest") * 300 + k("abdomen-pelvis") * 500
    assert est.effective_dose_msv == pytest.approx(expected)
    assert est.dose.ct_dlp_mgycm == pytest.approx(1600.0)
    assert est.dose.ct_irradiation_events == 3
    assert est.dose.ct_ctdivol_mgy_max == 40.0
    assert "per-event" in est.method
    assert est.effective_dose_range_msv == pytest.approx((expected * 0.5, expected * 1.5))


def test_mixed_region_events_get_no_single_reference_level():
    inp = study([rdsr(CTEvent("u1", 40.0, 800.0, target_region=HEAD),
                      CTEvent("u2", 8.0, 300.0, target_region=CHEST))])
    est = estimate_study(inp, Settings())
    assert est.reference_levels == []
    assert any("several body regions" in w for w in est.warnings)
    cap = estimate_study(study([rdsr(CTEvent("u1", 8.0, 300.0, target_region=CHEST),
                                     CTEvent("u2", 9.0, 500.0, target_region=ABDOMEN))]), Settings())
    assert [f.exam for f in cap.reference_levels] == ["chest-abdomen-pelvis"]


def test_whole_body_localizer_takes_the_study_region():
    body = Code("T-D0010", "SRT", "Entire body")
    est = estimate_study(study([rdsr(CTEvent("u0", 0.2, 10.0, target_region=body, acquisition_type="localizer"),
                                     CTEvent("u1", 9.0, 500.0, target_region=ABDOMEN))]), Settings())
    assert est.body_region == "abdomen-pelvis"
    assert est.effective_dose_msv == pytest.approx(k("abdomen-pelvis") * 510.0)
    assert not any("whole-body" in w for w in est.warnings)


def test_report_total_disagreeing_with_events_is_reported():
    est = estimate_study(study([rdsr(CTEvent("u1", 8.0, 300.0, target_region=CHEST), total=900.0)]), Settings())
    assert est.dose.ct_dlp_mgycm == 300.0
    assert any("differs from the sum of its events" in w for w in est.warnings)


def test_study_region_from_description_with_warning():
    inp = study([rdsr(CTEvent("u1", 10.0, 812.0))], description="TORAX ABDOMEN")
    est = estimate_study(inp, Settings())
    assert est.body_region == "chest-abdomen-pelvis"
    assert est.effective_dose_msv == pytest.approx(k("chest-abdomen-pelvis") * 812.0)
    assert "body region guessed from description 'TORAX ABDOMEN'" in est.warnings
    assert est.method == "k-factor x DLP"
    assert est.sources == ["RDSR"]


def test_paediatric_column_named_in_method_and_factor_two_range():
    inp = study([rdsr(CTEvent("u1", 3.0, 100.0, target_region=CHEST, phantom_cm=16))], age=7.3)
    est = estimate_study(inp, Settings())
    e = k("chest", 7.3)
    assert e == factors.k_factor("AAPM-96", "chest", 5.0).value
    assert est.effective_dose_msv == pytest.approx(e * 100)
    assert "age 7.3 y -> 5 y column (nearest lower)" in est.method
    assert est.effective_dose_range_msv == pytest.approx((e * 100 / 2, e * 100 * 2))
    assert not any("16 cm value is roughly twice" in w for w in est.warnings)
    assert est.reference_levels == []  # adult DRLs are not applied to a child


def test_child_with_32cm_phantom_warns():
    inp = study([rdsr(CTEvent("u1", 3.0, 100.0, target_region=CHEST, phantom_cm=32))], age=4)
    est = estimate_study(inp, Settings())
    assert any("a 16 cm value is roughly twice" in w for w in est.warnings)
    adult = estimate_study(study([rdsr(CTEvent("u1", 3.0, 100.0, target_region=CHEST, phantom_cm=32))]),
                           Settings())
    assert not any("roughly twice" in w for w in adult.warnings)


@pytest.mark.parametrize("description,k_region,note", [
    ("COLUMNA LUMBAR", "abdomen-pelvis", "spine alone"),
    ("CT C-SPINE", "neck", "spine alone"),
    ("RODILLA DERECHA", "head", "extremities"),
    ("CUERPO ENTERO", "chest-abdomen-pelvis", "whole-body"),
])
def test_regions_without_factor_fall_back_with_warning(description, k_region, note):
    est = estimate_study(study([rdsr(CTEvent("u1", 10.0, 300.0))], description=description), Settings())
    assert est.effective_dose_msv == pytest.approx(k(k_region) * 300.0)
    assert any(note in w for w in est.warnings)


def test_neck_under_icrp_uses_aapm_neck_factor_with_warning():
    est = estimate_study(study([rdsr(CTEvent("u1", 10.0, 300.0))], description="TC CUELLO"),
                         Settings(factor_set="ICRP-103-NCI"))
    assert est.effective_dose_msv == pytest.approx(k("neck") * 300.0)
    assert any("ICRP-103-NCI has no neck factor" in w for w in est.warnings)
    assert any("status 'check'" in w for w in est.warnings)


def test_unknown_region_keeps_dose_unknown_not_zero():
    est = estimate_study(study([rdsr(CTEvent("u1", 10.0, 300.0))], description="ESTUDIO 1"), Settings())
    assert est.ionising is True
    assert est.effective_dose_msv is None
    assert est.dose.ct_dlp_mgycm == 300.0
    assert any("body region unknown" in w for w in est.warnings)


def test_totals_only_report_uses_accumulated_dlp():
    est = estimate_study(study([rdsr(total=450.0)], description="CHEST"), Settings())
    assert est.dose.ct_dlp_mgycm == 450.0
    assert est.effective_dose_msv == pytest.approx(k("chest") * 450.0)


def test_ct_without_dose_data_uses_flagged_typical_value():
    inp = study([], modalities=["CT"], description="TC CRANEO")
    est = estimate_study(inp, Settings())
    typical = factors.typical_dose("CT head")
    assert est.effective_dose_msv == typical.msv
    assert est.sources == ["typical-value"]
    assert est.method == "typical value for exam type"
    assert est.factor_status == typical.status == "secondary"
    assert any("typical value for CT head" in w for w in est.warnings)


def test_child_ct_without_dose_data_does_not_use_adult_typical_value():
    est = estimate_study(study([], modalities=["CT"], description="TC CRANEO", age=6), Settings())
    assert est.effective_dose_msv is None
    assert any("for adults" in w for w in est.warnings)


def _slices(series, zs, ctdi=10.0, thick=5.0, acq=1, when="20220101101500", frame="FOR1", image_type=None):
    return [DoseRecord("image-header", "ct", sop_instance_uid=f"{series}.{i}", report_modality="CT",
                       image=ImageDose(series_uid=series, acquisition_number=acq, acquisition_datetime=when,
                                       frame_of_reference_uid=frame, ctdivol_mgy=ctdi,
                                       position_mm=[-200.0, -200.0, z], orientation=AXIAL,
                                       slice_thickness_mm=thick, image_type=image_type or ["ORIGINAL", "PRIMARY",
                                                                                          "AXIAL"]))
            for i, z in enumerate(zs)]


def test_scan_length_from_positions_along_normal_plus_thickness():
    images = [r.image for r in _slices("s1", [0.0, -5.0, -10.0, -300.0])]
    assert scan_length_mm(images) == pytest.approx(305.0)
    # oblique orientation: positions are projected on the slice normal
    coronal = [ImageDose(position_mm=[0.0, y, 0.0], orientation=[1, 0, 0, 0, 0, -1], slice_thickness_mm=2.0)
               for y in (10.0, 50.0)]
    assert scan_length_mm(coronal) == pytest.approx(42.0)
    by_location = [ImageDose(slice_location_mm=s, slice_thickness_mm=1.0) for s in (3.0, 13.0)]
    assert scan_length_mm(by_location) == pytest.approx(11.0)


def test_dlp_from_images_counts_reconstructions_once():
    thick = _slices("s1", [float(-z) for z in range(0, 300, 5)], thick=5.0)
    thin = _slices("s2", [float(-z) for z in range(0, 300, 1)], ctdi=10.1, thick=1.0)  # within 2 %
    scout = _slices("s0", [0.0], ctdi=None, acq=1, image_type=["ORIGINAL", "PRIMARY", "LOCALIZER"])
    inp = study(thick + thin + scout, modalities=["CT"], description="TORAX")
    est = estimate_study(inp, Settings())
    length_cm = (295.0 + 5.0) / 10.0
    assert est.dose.ct_irradiation_events == 2  # the scan and the localizer
    assert est.dose.ct_dlp_mgycm == pytest.approx(10.1 * length_cm)
    assert est.effective_dose_msv == pytest.approx(k("chest") * 10.1 * length_cm)
    assert est.method == "k-factor x DLP (DLP from CTDIvol x imaged length)"
    assert DLP_FROM_LENGTH_WARNING in est.warnings
    assert est.sources == ["image-header"]


def test_coronal_reformat_is_not_another_irradiation():
    axial = _slices("s1", [float(-z) for z in range(0, 300, 5)])
    coronal = [DoseRecord("image-header", "ct", sop_instance_uid=f"c{i}", report_modality="CT",
                          image=ImageDose(series_uid="mpr", acquisition_number=1,
                                          acquisition_datetime="20220101101500", frame_of_reference_uid="FOR1",
                                          ctdivol_mgy=10.0, position_mm=[-200.0, float(y), 0.0],
                                          orientation=[1, 0, 0, 0, 0, -1], slice_thickness_mm=3.0,
                                          image_type=["DERIVED", "SECONDARY", "MPR"]))
               for i, y in enumerate(range(100, 300, 3))]
    est = estimate_study(study(axial + coronal, modalities=["CT"], description="TORAX"), Settings())
    assert est.dose.ct_irradiation_events == 1
    assert est.dose.ct_dlp_mgycm == pytest.approx(10.0 * 30.0)


def test_distinct_acquisitions_in_images_add_up():
    plain = _slices("s1", [float(-z) for z in range(0, 200, 5)], ctdi=10.0)
    contrast = _slices("s2", [float(-z) for z in range(0, 200, 5)], ctdi=10.0, when="20220101102000")
    other_ctdi = _slices("s3", [float(-z) for z in range(0, 200, 5)], ctdi=12.0)
    est = estimate_study(study(plain + contrast + other_ctdi, modalities=["CT"], description="CHEST"), Settings())
    assert est.dose.ct_irradiation_events == 3
    assert est.dose.ct_dlp_mgycm == pytest.approx((10.0 + 10.0 + 12.0) * 20.0)


def test_rdsr_wins_over_image_headers():
    images = _slices("s1", [float(-z) for z in range(0, 200, 5)], ctdi=10.0)
    est = estimate_study(study(images + [rdsr(CTEvent("u1", 10.0, 250.0, target_region=CHEST))]), Settings())
    assert est.dose.ct_dlp_mgycm == 250.0
    assert est.sources == ["RDSR"]


@pytest.mark.parametrize("scheme,code,dlp,ctdi,exam,ref_dlp,exceeded", [
    ("UK-2022", Code("R-FAB56", "SRT", "CAP"), 812.4, 11.2, "chest-abdomen-pelvis", 660, True),
    ("UK-2022", HEAD, 700.0, 40.0, "head (acute stroke)", 790, False),
    ("UK-2022", CHEST, 350.0, 8.0, "chest (lung cancer)", 290, True),
    ("IE-2012", ABDOMEN, 590.0, 12.5, "abdomen-pelvis", 600, False),
])
def test_reference_level_flags(scheme, code, dlp, ctdi, exam, ref_dlp, exceeded):
    est = estimate_study(study([rdsr(CTEvent("u1", ctdi, dlp, target_region=code))]), Settings(drl_set=scheme))
    flag = next(f for f in est.reference_levels if f.quantity == "DLP")
    assert (flag.scheme, flag.exam, flag.reference, flag.exceeded) == (scheme, exam, ref_dlp, exceeded)
    text = f"DLP {dlp:.0f} mGy·cm above the {scheme} national reference level for {exam} ({ref_dlp} mGy·cm)"
    assert (text in est.warnings) is exceeded
    row = factors.drl_row(scheme, exam)
    ctdi_flags = [f for f in est.reference_levels if f.quantity == "CTDIvol"]
    assert len(ctdi_flags) == (1 if row.ctdivol_mgy is not None else 0)
    if ctdi_flags:
        assert ctdi_flags[0].exceeded is (ctdi > row.ctdivol_mgy)


def test_plausibility_keeps_value_and_warns():
    est = estimate_study(study([rdsr(CTEvent("u1", 1500.0, 25000.0, target_region=CHEST))]), Settings())
    assert est.dose.ct_ctdivol_mgy_max == 1500.0
    assert est.dose.ct_dlp_mgycm == 25000.0
    assert any("CTDIvol 1500 mGy outside" in w for w in est.warnings)
    assert any("DLP 2.5e+04 mGy·cm for one irradiation event" in w for w in est.warnings)
    assert any("implausibly high" in w and "effective dose" in w for w in est.warnings)


def test_series_body_part_beats_description():
    inp = study([rdsr(CTEvent("u1", 10.0, 300.0))], description="TORAX",
                series=[SeriesText("s1", "CT", body_part="HEAD")])
    est = estimate_study(inp, Settings())
    assert est.body_region == "head"
    assert not any("guessed" in w for w in est.warnings)
