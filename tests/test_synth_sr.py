"""Synthetic dose SRs put concept codes, values and units where the templates say."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.uid import ExplicitVRBigEndian, ImplicitVRLittleEndian

from synth import (
    COMPREHENSIVE_SR,
    ENHANCED_SR,
    RADIOPHARMACEUTICAL_RDSR,
    XRAY_RDSR,
    PatientSpec,
    make_ct_rdsr,
    make_cumulative_ct_rdsrs,
    make_projection_rdsr,
    make_rrdsr,
    make_split_ct_rdsrs,
    write_dataset,
)

# ../shared beside the checkout (the steering material; CI lays a copy there)
CODES_CSV = Path(__file__).resolve().parents[2] / "shared" / "reference" / "rdsr_codes.csv"


def concept(item):
    c = item.ConceptNameCodeSequence[0]
    return (c.CodeValue, c.CodingSchemeDesignator)


def children(item, code_value, scheme="DCM"):
    return [c for c in item.get("ContentSequence", []) if concept(c) == (code_value, scheme)]


def only(item, code_value, scheme="DCM"):
    found = children(item, code_value, scheme)
    assert len(found) == 1, (code_value, len(found))
    return found[0]


def num_value(item):
    assert item.ValueType == "NUM"
    mv = item.MeasuredValueSequence[0]
    unit = mv.MeasurementUnitsCodeSequence[0]
    assert unit.CodingSchemeDesignator == "UCUM"
    return float(mv.NumericValue), unit.CodeValue


def walk(item):
    for child in item.get("ContentSequence", []):
        yield child
        yield from walk(child)


def roundtrip(ds, tmp_path, name="sr.dcm"):
    return dcmread(write_dataset(ds, tmp_path / name))


def test_ct_rdsr_follows_tid_10011(tmp_path):
    events = [
        dict(ctdivol=0.5, dlp=7.0, length_mm=250.0, region_code=("T-D3000", "SRT", "Chest"),
             phantom="32", acquisition_type="localizer", protocol="Scout"),
        dict(ctdivol=8.0, dlp=320.0, length_mm=400.0, region_code=("T-D4000", "SRT", "Abdomen"),
             phantom="32", acquisition_type="spiral", protocol="Abdomen"),
        dict(ctdivol=60.0, dlp=900.0, length_mm=150.0, region_code=("T-D1100", "SRT", "Head"),
             phantom="16", acquisition_type="sequenced", protocol="Head"),
    ]
    ds = roundtrip(make_ct_rdsr(PatientSpec(patient_id="R1"), study_uid="1.2.3.4", events=events),
                   tmp_path)
    assert ds.SOPClassUID == XRAY_RDSR and ds.Modality == "SR"
    assert concept(ds) == ("113701", "DCM") and ds.ValueType == "CONTAINER"
    assert ds.ContentTemplateSequence[0].TemplateIdentifier == "10011"
    acc = only(ds, "113811")
    assert num_value(only(acc, "113812")) == (3.0, "{events}")
    assert num_value(only(acc, "113813")) == (pytest.approx(1227.0), "mGy.cm")
    acqs = children(ds, "113819")
    assert len(acqs) == 3
    for ev, acq in zip(events, acqs):
        assert acq.ValueType == "CONTAINER" and acq.RelationshipType == "CONTAINS"
        assert only(acq, "125203").TextValue == ev["protocol"]
        region = only(acq, "123014").ConceptCodeSequence[0]
        assert (region.CodeValue, region.CodingSchemeDesignator) == ev["region_code"][:2]
        assert only(acq, "113769").UID == ev["event_uid"]
        params = only(acq, "113822")
        assert num_value(only(params, "113825")) == (ev["length_mm"], "mm")
        dose = only(acq, "113829")
        assert num_value(only(dose, "113830")) == (ev["ctdivol"], "mGy")
        assert num_value(only(dose, "113838")) == (ev["dlp"], "mGy.cm")
        phantom = only(dose, "113835").ConceptCodeSequence[0].CodeValue
        assert phantom == {"32": "113691", "16": "113690"}[ev["phantom"]]
    types = [only(a, "113820").ConceptCodeSequence[0].CodeValue for a in acqs]
    assert types == ["113805", "P5-08001", "113804"]
    scope = only(ds, "113705")
    assert only(scope, "110180").UID == "1.2.3.4"
    assert len({e["event_uid"] for e in events}) == 3


def test_every_tid_10011_concept_used_is_in_the_reference_table(tmp_path):
    if not CODES_CSV.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"shared reference table missing in CI: {CODES_CSV}")
        pytest.skip("shared reference table not available")
    with CODES_CSV.open(newline="") as f:
        table = {(r["code_value"], r["scheme"]): r["value_type"] for r in csv.DictReader(f)
                 if r["template"] == "10011"}
    ds = make_ct_rdsr()
    used = {concept(item): item.ValueType for item in walk(ds)}
    for key, value_type in table.items():
        if key in used:
            assert used[key] == value_type, key
    must = {("113811", "DCM"), ("113812", "DCM"), ("113813", "DCM"), ("113819", "DCM"),
            ("125203", "DCM"), ("123014", "DCM"), ("113820", "DCM"), ("113769", "DCM"),
            ("113822", "DCM"), ("113825", "DCM"), ("113829", "DCM"), ("113830", "DCM"),
            ("113835", "DCM"), ("113838", "DCM")}
    assert must <= set(used)


def test_dlp_total_override_unit_and_missing_ct_dose(tmp_path):
    events = [dict(ctdivol=None, dlp=None, length_mm=200.0, acquisition_type="localizer"),
              dict(ctdivol=5.0, dlp=100.0, length_mm=200.0)]
    ds = roundtrip(make_ct_rdsr(events=events, dlp_total=150.0, unit_dlp="mGycm"), tmp_path)
    assert num_value(only(only(ds, "113811"), "113813")) == (150.0, "mGycm")
    acqs = children(ds, "113819")
    assert children(acqs[0], "113829") == []  # no CT Dose container: unknown, not zero
    assert num_value(only(only(acqs[1], "113829"), "113838")) == (100.0, "mGycm")


@pytest.mark.parametrize("kwargs,ts", [(dict(implicit=True), ImplicitVRLittleEndian),
                                       (dict(big_endian=True), ExplicitVRBigEndian)])
def test_rdsr_transfer_syntaxes(tmp_path, kwargs, ts):
    ds = roundtrip(make_ct_rdsr(events=[dict(ctdivol=7.5, dlp=222.0, length_mm=300.0)], **kwargs),
                   tmp_path)
    assert ds.file_meta.TransferSyntaxUID == ts
    assert num_value(only(only(children(ds, "113819")[0], "113829"), "113838"))[0] == 222.0


@pytest.mark.parametrize("sop", [COMPREHENSIVE_SR, ENHANCED_SR, XRAY_RDSR])
def test_rdsr_sop_class_option(sop):
    assert make_ct_rdsr(sop_class=sop).SOPClassUID == sop


def test_cumulative_reports_repeat_event_uids_later():
    first, full = make_cumulative_ct_rdsrs(first_n=1)
    uids = [[only(a, "113769").UID for a in children(r, "113819")] for r in (first, full)]
    assert len(uids[0]) == 1 and len(uids[1]) == 3
    assert uids[0][0] == uids[1][0]
    assert first.StudyInstanceUID == full.StudyInstanceUID
    assert first.SOPInstanceUID != full.SOPInstanceUID
    assert first.ContentDate + first.ContentTime < full.ContentDate + full.ContentTime


def test_split_reports_have_disjoint_events():
    a, b = make_split_ct_rdsrs(first_n=2)
    ua = {only(x, "113769").UID for x in children(a, "113819")}
    ub = {only(x, "113769").UID for x in children(b, "113819")}
    assert len(ua) == 2 and len(ub) == 1 and not ua & ub
    assert a.StudyInstanceUID == b.StudyInstanceUID


@pytest.mark.parametrize("unit,factor", [("Gy.m2", 1e-4), ("dGy.cm2", 10.0)])
def test_projection_rdsr_dap_units(tmp_path, unit, factor):
    events = [dict(dap_gycm2=3.0, dose_rp_gy=0.02, irradiation_type="fluoroscopy"),
              dict(dap_gycm2=1.0, dose_rp_gy=0.01, irradiation_type="acquisition")]
    ds = roundtrip(make_projection_rdsr(kind="RF", events=events, dap_unit=unit,
                                        accumulated=dict(fluoro_time_s=95.0)), tmp_path)
    assert ds.ContentTemplateSequence[0].TemplateIdentifier == "10001"
    acc = only(ds, "113702")
    value, got_unit = num_value(only(acc, "113722"))
    assert got_unit == unit and value == pytest.approx(4.0 * factor)
    assert num_value(only(acc, "113726"))[0] == pytest.approx(3.0 * factor)
    assert num_value(only(acc, "113727"))[0] == pytest.approx(1.0 * factor)
    assert num_value(only(acc, "113730")) == (95.0, "s")
    assert num_value(only(acc, "113725")) == (pytest.approx(0.03), "Gy")
    evs = children(ds, "113706")
    assert [num_value(only(e, "122130"))[0] for e in evs] == pytest.approx([3.0 * factor, factor])
    assert all(only(e, "113769").UID for e in evs)


def test_mammography_rdsr_glandular_dose_per_breast(tmp_path):
    events = [dict(agd_mgy=1.1, laterality="R", view="CC"), dict(agd_mgy=1.3, laterality="R", view="MLO"),
              dict(agd_mgy=1.2, laterality="L", view="CC")]
    ds = roundtrip(make_projection_rdsr(kind="MG", events=events), tmp_path)
    acc = only(ds, "113702")
    per_side = {}
    for item in children(acc, "111637"):
        side = only(item, "111027").ConceptCodeSequence[0].CodeMeaning
        per_side[side] = num_value(item)
    assert per_side == {"Right breast": (pytest.approx(2.4), "mGy"), "Left breast": (1.2, "mGy")}
    evs = children(ds, "113706")
    assert [num_value(only(e, "111631"))[0] for e in evs] == [1.1, 1.3, 1.2]
    views = [only(e, "111031").ConceptCodeSequence[0].CodeValue for e in evs]
    assert views == ["R-10242", "R-10226", "R-10242"]


def test_rrdsr_tid_10021(tmp_path):
    ds = roundtrip(make_rrdsr(activity_mbq=250.0, effective_dose_msv=4.75), tmp_path)
    assert ds.SOPClassUID == RADIOPHARMACEUTICAL_RDSR == "1.2.840.10008.5.1.4.1.1.88.68"
    assert concept(ds) == ("113500", "DCM")
    admin = only(ds, "113502")
    assert num_value(only(admin, "113507")) == (250.0, "MBq")
    agent = only(admin, "F-61FDB", "SRT").ConceptCodeSequence[0]
    assert (agent.CodeValue, agent.CodingSchemeDesignator, agent.CodeMeaning) == (
        "C-B1031", "SRT", "Fluorodeoxyglucose F^18^")
    assert only(admin, "C-10072", "SRT").ConceptCodeSequence[0].CodeValue == "C-111A1"
    assert num_value(only(admin, "113839")) == (4.75, "mSv")
    hidden = make_rrdsr(effective_dose_msv=3.0, effective_dose_in_private_container=True)
    assert children(only(hidden, "113502"), "113839") == []
    assert any(concept(i) == ("113839", "DCM") for i in walk(hidden))
    assert children(only(make_rrdsr(activity_mbq=None), "113502"), "113507") == []


def test_rrdsr_with_snomed_ct_concepts():
    ds = make_rrdsr(sct=True, activity_mbq=200.0)
    admin = only(ds, "113502")
    agent = only(admin, "349358000", "SCT").ConceptCodeSequence[0]
    assert (agent.CodeValue, agent.CodingSchemeDesignator) == ("35321007", "SCT")  # DICOM CID 25
    nuclide = only(admin, "89457008", "SCT").ConceptCodeSequence[0]
    assert (nuclide.CodeValue, nuclide.CodingSchemeDesignator) == ("77004003", "SCT")
    assert num_value(only(admin, "304283002", "SCT")) == (6586.2, "s")
    assert children(admin, "F-61FDB", "SRT") == []


def test_spiral_acquisition_type_in_snomed_ct():
    ds = make_ct_rdsr(events=[dict(ctdivol=5.0, dlp=50.0, length_mm=100.0, acquisition_type="spiral-sct")])
    value = only(children(ds, "113819")[0], "113820").ConceptCodeSequence[0]
    assert (value.CodeValue, value.CodingSchemeDesignator) == ("116152004", "SCT")
