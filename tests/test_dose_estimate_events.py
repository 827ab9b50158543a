"""Per-event effective dose on synthetic RDSRs: every Target Region code generation,
multi-region procedures, paediatric cardiology, CT head and body phantoms."""
from __future__ import annotations

import io

import pydicom
import pytest

from dosetrail.core.config import Settings
from dosetrail.core.dose import factors
from dosetrail.core.dose.estimate import estimate_study
from dosetrail.core.dose.extract import extract_dose
from dosetrail.core.dose.study import StudyDoseInput, StudyEstimate

synth = pytest.importorskip("synth")
A = pytest.approx


def reread(ds):
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    buf.seek(0)
    return pydicom.dcmread(buf, stop_before_pixels=True)


def estimate(ds, modalities=("SR",), description=None, age=45.0) -> StudyEstimate:
    rec = extract_dose(reread(ds))
    return estimate_study(StudyDoseInput("1.2", "2021-03-04", list(modalities), description=description,
                                         age_years=age, records=[rec]), Settings())


@pytest.mark.parametrize("generation", ["SRT", "SNM3", "SCT-2019", "SCT"])
@pytest.mark.parametrize("place,region,row", [
    ("chest", "chest", ("chest", "fluoroscopy")), ("abdomen", "abdomen", ("abdomen", "fluoroscopy")),
    ("head", "head", ("head", "interventional")), ("femur", "lower_limb", ("lower_limb", "interventional")),
    ("knee", "lower_limb", ("lower_limb", "interventional")), ("heart", "heart", ("heart", "cardiology")),
])
def test_every_code_generation_names_the_same_region(generation, place, region, row):
    code = synth.target_region(place, generation)
    ds = synth.make_projection_rdsr(kind="RF", events=[dict(dap_gycm2=2.0, region_code=code)])
    est = estimate(ds)
    (event,) = est.events
    factor = factors.dap_factor(*row)
    assert (event.region, event.region_from) == (region, "target-region-code")
    assert event.factor == factor.value and event.factor_status == factor.status
    assert event.effective_dose_msv == A(2.0 * factor.value)
    assert est.effective_dose_range_msv == A(tuple(2.0 * x for x in factor.range_msv_per_gycm2))


@pytest.mark.parametrize("place,generation", [(p, g) for p in ("entire body", "topography unknown")
                                              for g in synth.TARGET_REGIONS[p]])
def test_entire_body_and_topography_unknown_fall_through_to_the_description(place, generation):
    code = synth.target_region(place, generation)
    ds = synth.make_projection_rdsr(kind="RF", events=[dict(dap_gycm2=1.0, region_code=code)],
                                    study_description="ERCP")
    est = estimate(ds, description="ERCP")
    assert [(e.region, e.region_from) for e in est.events] == [("abdomen", "description")]
    assert est.effective_dose_msv == A(0.26)
    # nothing in the description either: the unknown-trunk row, flagged
    est = estimate(synth.make_projection_rdsr(kind="RF", events=[dict(dap_gycm2=1.0, region_code=code)]))
    assert [(e.region, e.region_from, e.factor) for e in est.events] == [(None, "unknown", 0.26)]
    assert est.effective_dose_range_msv == A((0.065, 0.57))
    assert est.factor_status == "proxy"
    assert any("region unknown for 1 of 1 events" in w for w in est.warnings)


def test_multi_region_procedure_sums_events_each_with_its_own_factor():
    events = [dict(dap_gycm2=3.0, region_code=synth.target_region("chest", "SCT")),
              dict(dap_gycm2=5.0, region_code=synth.target_region("abdomen", "SNM3")),
              dict(dap_gycm2=4.0, region_code=synth.target_region("femur", "SCT-2019"))]
    est = estimate(synth.make_projection_rdsr(kind="RF", events=events))
    chest, abdomen, leg = (factors.dap_factor("chest", "fluoroscopy"), factors.dap_factor("abdomen", "fluoroscopy"),
                           factors.dap_factor("lower_limb", "interventional"))
    by_uid = {e.uid: e.region for e in est.events}
    assert [by_uid[ev["event_uid"]] for ev in events] == ["chest", "abdomen", "lower_limb"]
    assert est.effective_dose_msv == A(3.0 * chest.value + 5.0 * abdomen.value + 4.0 * leg.value)
    low = 3.0 * chest.range_msv_per_gycm2[0] + 5.0 * abdomen.range_msv_per_gycm2[0] \
        + 4.0 * leg.range_msv_per_gycm2[0]
    assert est.effective_dose_range_msv[0] == A(low)
    assert est.factor_status == "proxy"  # the chest fluoroscopy row is borrowed from the heart
    assert "3 regions" in est.method
    assert est.parts[0].inputs["effective_dose_by_region_msv"] == A(
        {"chest": 3.0 * chest.value, "abdomen": 5.0 * abdomen.value, "lower limb": 4.0 * leg.value})
    assert sum(e.effective_dose_msv for e in est.events) == A(est.effective_dose_msv)


def test_radiography_of_hip_and_femur_keeps_the_limb_typical_value():
    events = [dict(dap_gycm2=0.01, region_code=("T-15710", "SNM3", "Hip joint")),
              dict(dap_gycm2=0.02, region_code=synth.target_region("femur", "SNM3")),
              dict(dap_gycm2=0.02, region_code=synth.target_region("femur", "SNM3"))]
    est = estimate(synth.make_projection_rdsr(kind="DX", events=events), description="CR LEG")
    pelvis = factors.dap_factor("pelvis", "radiography")
    limb = factors.typical_dose("radiography other extremities")
    assert (limb.msv, limb.status) == (0.001, "check")
    assert sorted((e.region, e.factor_status) for e in est.events) == [
        ("lower_limb", "check"), ("lower_limb", "check"), ("pelvis", "proxy")]
    assert est.effective_dose_msv == A(0.01 * pelvis.value + limb.msv)
    assert any("radiography other extremities" in w for w in est.warnings)


@pytest.mark.parametrize("text", ["Functieonderzoek t.b.v. HCK", "Hjärtkateterisering", "Koronarografia",
                                  "Sepelvaltimoiden varjoainekuvaus", "PACEMAKER IMPLANTATION"])
def test_cardiology_words_make_chest_events_heart(text):
    events = [dict(dap_gycm2=10.0, region_code=synth.target_region("chest", "SRT"))]
    est = estimate(synth.make_projection_rdsr(kind="RF", events=events, study_description=text), description=text)
    (event,) = est.events
    assert (event.region, event.factor, event.factor_status) == ("heart", 0.30, "verified")
    assert est.effective_dose_range_msv == A((1.6, 4.0))
    assert est.body_region == "cardiac"  # the study coded chest is a cath-lab exam


@pytest.mark.parametrize("age,group,value", [(0.2, "0-0.5y", 3.7), (3.0, "1y", 1.9), (7.0, "5y", 1.0),
                                             (12.0, "10y", 0.6), (16.0, "15y", 0.4), (30.0, "adult", 0.30)])
def test_paediatric_cardiology_uses_the_age_rows(age, group, value):
    events = [dict(dap_gycm2=2.0, region_code=synth.target_region("heart", "SCT"))]
    est = estimate(synth.make_projection_rdsr(kind="XA", events=events), description="CARDIAC CATH", age=age)
    (event,) = est.events
    row = factors.dap_factor("heart", "cardiology", group)
    assert event.factor == value == row.value
    assert event.factor_source.startswith(f"heart cardiology {group}:")
    assert est.effective_dose_range_msv == A(tuple(2.0 * x for x in row.range_msv_per_gycm2))
    assert not any("underestimates" in w for w in est.warnings)


def test_other_paediatric_fluoroscopy_warns_that_the_adult_factor_underestimates():
    events = [dict(dap_gycm2=1.0, region_code=synth.target_region("abdomen", "SRT"))]
    est = estimate(synth.make_projection_rdsr(kind="RF", events=events), age=6.0)
    assert est.effective_dose_msv == A(0.26)
    assert est.effective_dose_range_msv == A((0.13, 1.04))  # upper end doubled for a child
    assert any("underestimates" in w for w in est.warnings)


def test_limb_words_in_six_more_languages():
    for text in ("liuotushoidon raajojen", "angiografia kończyn dolnych", "Angiografi av benen", "Knæ",
                 "Beenangiografie"):
        est = estimate(synth.make_projection_rdsr(
            kind="RF", events=[dict(dap_gycm2=1.0, region_code=synth.target_region("topography unknown"))]),
            description=text)
        assert est.events[0].region in ("limb", "lower_limb"), text
        assert est.events[0].factor == 0.065


def _ct(phantom, region_code=None, age=45.0, description=None):
    events = synth.ct_events(2, ctdivol=20.0, length_mm=200.0, region_code=region_code, phantom=phantom)
    return estimate(synth.make_ct_rdsr(events=events), description=description, age=age)


@pytest.mark.parametrize("phantom,k_region,label", [("16", "head", "head"), ("32", "chest-abdomen-pelvis", "trunk")])
def test_ct_without_region_uses_the_phantom(phantom, k_region, label):
    est = _ct(phantom)
    k = factors.k_factor("AAPM-96", k_region, 45.0)
    assert est.effective_dose_msv == A(800.0 * k.value)
    assert est.effective_dose_range_msv == A((400.0 * k.value, 1600.0 * k.value))  # widened to x/÷2
    assert any(f"CTDI phantom of the scans ({phantom} cm" in w for w in est.warnings)
    assert [(e.region, e.region_from, e.kind) for e in est.events] == [(label, "phantom", "CT helical")] * 2
    assert est.factor_status == k.status
    assert est.body_region is None


def test_ct_with_a_region_does_not_use_the_phantom():
    est = _ct("16", region_code=synth.target_region("chest", "SRT"))
    assert est.effective_dose_msv == A(800.0 * 0.014)
    assert not any("phantom of the scans" in w for w in est.warnings)
    assert {e.region_from for e in est.events} == {"target-region-code"}


def test_child_ct_in_the_16_cm_phantom_without_region_stays_unknown():
    est = _ct("16", age=8.0)
    assert est.effective_dose_msv is None
    assert any("child's CT in the 16 cm phantom" in w for w in est.warnings)


def _dx(**kwargs) -> StudyEstimate:
    ds = synth.make_dx_image(**kwargs)
    desc = kwargs.get("study_description")
    return estimate(ds, modalities=("DX",), description=desc)


def test_radiograph_region_from_the_anatomic_region_sequence_before_body_part_and_text():
    est = _dx(dap_dgycm2=10.0, body_part="CHEST", anatomic_region=("T-D4000", "SNM3", "Abdomen"),
              study_description="RX TORAX")
    (event,) = est.events
    assert (event.region, event.region_from, event.factor) == ("abdomen", "anatomic-region", 0.18)
    assert est.effective_dose_msv == A(1.0 * 0.18)  # 10 dGy·cm² = 1 Gy·cm²


def test_radiograph_region_from_body_part_then_description():
    est = _dx(dap_dgycm2=10.0, body_part="LSPINE", study_description="RX TORAX")
    assert [(e.region, e.region_from, e.factor) for e in est.events] == [("lumbar_spine", "body-part", 0.092)]
    est = _dx(dap_dgycm2=10.0, body_part="", series_description="SERIE 1", study_description="RTG KLATKI PIERSIOWEJ")
    assert [(e.region, e.region_from, e.factor) for e in est.events] == [("chest", "description", 0.16)]


def test_knee_radiograph_keeps_the_knee_typical_value():
    est = _dx(dap_dgycm2=1.0, body_part="KNEE", study_description="XR KNEE")
    knee = factors.typical_dose("radiography knee")
    assert est.effective_dose_msv == A(knee.msv)
    assert est.factor_status == "check"
    assert est.events[0].factor_unit.startswith("mSv per exam")


def test_events_without_dap_are_listed_and_the_total_is_counted_once():
    events = [dict(dap_gycm2=2.0, region_code=synth.target_region("abdomen", "SRT")),
              dict(dap_gycm2=None, region_code=synth.target_region("abdomen", "SRT"))]
    ds = synth.make_projection_rdsr(kind="RF", events=events, accumulated=dict(dap_total_gycm2=5.0))
    est = estimate(ds)
    assert est.dose.dap_gycm2 == A(5.0)
    assert est.effective_dose_msv == A(5.0 * 0.26)
    listed = [e for e in est.events if e.kind != "accumulated"]
    (total,) = [e for e in est.events if e.kind == "accumulated"]
    assert {e.uid for e in listed} == {ev["event_uid"] for ev in events}
    assert all(e.effective_dose_msv is None and e.factor is None for e in listed)
    assert (total.region, total.dap_gycm2, total.factor) == ("abdomen", A(5.0), 0.26)
    assert any("1 of 2 events give no DAP" in w for w in est.warnings)


def test_a_total_beyond_the_events_is_estimated_as_an_accumulated_rest():
    events = [dict(dap_gycm2=2.0, region_code=synth.target_region("chest", "SRT"))]
    ds = synth.make_projection_rdsr(kind="RF", events=events, accumulated=dict(dap_total_gycm2=3.0))
    est = estimate(ds)
    assert [(e.kind, e.dap_gycm2) for e in est.events] == [("fluoroscopy", A(2.0)), ("accumulated", A(1.0))]
    assert est.effective_dose_msv == A(3.0 * 0.30)
