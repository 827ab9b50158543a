"""FHIR R4 export: structure validates, round-trips, codes, units, no invented zeros."""
from __future__ import annotations

import json

import pytest
from export_samples import ct_exam, full_history, make_history, mr_exam, unknown_ct_exam

from dosetrail.core.export.fhir import DCM, UCUM, fhir_bundle, validate_bundle


def _resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _by_code(bundle, code, study_id=None):
    out = []
    for obs in _resources(bundle, "Observation"):
        if obs["code"]["coding"][0]["code"] != code:
            continue
        if study_id and obs["partOf"][0]["reference"] != f"urn:uuid:{study_id}":
            continue
        out.append(obs)
    return out


def _study(bundle, uid):
    for s in _resources(bundle, "ImagingStudy"):
        if s["identifier"][0]["value"] == f"urn:oid:{uid}":
            return s
    raise AssertionError(uid)


@pytest.fixture(scope="module")
def history():
    return full_history()


@pytest.fixture(scope="module")
def bundle(history):
    return fhir_bundle([history], software_version="9.8.7")


def test_bundle_validates_and_round_trips(bundle):
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    text = json.dumps(bundle)
    model = validate_bundle(json.loads(text))
    assert json.loads(model.model_dump_json()) == bundle


def test_invalid_bundle_is_rejected(bundle):
    broken = json.loads(json.dumps(bundle))
    study = next(e["resource"] for e in broken["entry"]
                 if e["resource"]["resourceType"] == "ImagingStudy")
    del study["subject"]  # required in R4
    with pytest.raises(ValueError, match="R4"):
        validate_bundle(broken)


def test_elements_r4_does_not_know_are_rejected(bundle):
    broken = json.loads(json.dumps(bundle))
    observation = next(e["resource"] for e in broken["entry"]
                       if e["resource"]["resourceType"] == "Observation")
    observation["valueQuantityX"] = {"value": 1}  # no such element in FHIR R4 4.0.1
    with pytest.raises(ValueError, match="R4"):
        validate_bundle(broken)


def test_references_resolve_inside_the_bundle(bundle):
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    assert len(full_urls) == len(bundle["entry"])

    def refs(node):
        if isinstance(node, dict):
            if "reference" in node:
                yield node["reference"]
            for v in node.values():
                yield from refs(v)
        elif isinstance(node, list):
            for v in node:
                yield from refs(v)

    found = list(refs(bundle))
    assert found and all(r in full_urls for r in found)


def test_patient_identity(bundle, history):
    (patient,) = _resources(bundle, "Patient")
    assert patient["birthDate"] == "1967-03-09" and patient["gender"] == "male"
    assert patient["name"][0]["family"] == "MÜLLER"
    assert patient["name"][0]["given"] == ["JOSÉ"]
    values = {i["value"]: i for i in patient["identifier"]}
    for pid, issuer in history.patient.patient_ids:
        assert values[pid]["assigner"]["display"] == issuer
    assert values["987-XY"]["system"] == "urn:oid:1.2.3.4.5"  # an OID issuer becomes the system


def test_imaging_studies(bundle, history):
    studies = _resources(bundle, "ImagingStudy")
    assert len(studies) == len(history.exams)
    ct = ct_exam()
    s = _study(bundle, ct.study_instance_uid)
    assert s["identifier"][0]["system"] == "urn:dicom:uid"
    assert s["started"] == ct.date
    assert s["description"] == ct.description
    assert [(m["system"], m["code"]) for m in s["modality"]] == [(DCM, "CT"), (DCM, "SR")]
    assert [x["uid"] for x in s["series"]] == [x.series_uid for x in ct.series]
    assert s["numberOfInstances"] == sum(x.instance_count for x in ct.series)
    assert {"value": "ACC123"}.items() <= s["identifier"][1].items()


def test_dose_codes_and_units(bundle):
    ct = ct_exam()
    sid = _study(bundle, ct.study_instance_uid)["id"]
    expected = {
        "113838": (ct.dose.ct_dlp_mgycm, "mGy.cm"),
        "113830": (ct.dose.ct_ctdivol_mgy_max, "mGy"),
        "113839": (ct.effective_dose_msv, "mSv"),
    }
    for code, (value, unit) in expected.items():
        (obs,) = _by_code(bundle, code, sid)
        q = obs["valueQuantity"]
        assert q["value"] == pytest.approx(value) and q["code"] == unit and q["system"] == UCUM
        assert obs["code"]["coding"][0]["system"] == DCM
        assert obs["partOf"][0]["reference"] == f"urn:uuid:{sid}"
    (eff,) = _by_code(bundle, "113839", sid)
    assert eff["method"]["text"] == ct.method
    notes = " ".join(n["text"] for n in eff["note"])
    assert "AAPM-96" in notes
    low, high = ct.effective_dose_range_msv
    assert f"{low:g}" in notes and f"{high:g}" in notes
    derived = {d["reference"] for d in eff["derivedFrom"]}
    assert f"urn:uuid:{sid}" in derived and len(derived) == 3  # study + DLP + CTDIvol


def test_other_modalities_quantities(bundle):
    # DAP (DX), AGD (MG), activity (PET) each once, in their units
    units = {"122130": "Gy.cm2", "111631": "mGy", "113507": "MBq"}
    for code, unit in units.items():
        (obs,) = _by_code(bundle, code)
        assert obs["valueQuantity"]["code"] == unit
    (act,) = _by_code(bundle, "113507")
    assert act["valueQuantity"]["value"] == pytest.approx(370.0)
    assert "Fluorodeoxyglucose" in act["note"][0]["text"]


def test_unknown_doses_are_omitted_never_zero(bundle):
    unknown = unknown_ct_exam()
    sid = _study(bundle, unknown.study_instance_uid)["id"]
    assert not [o for o in _resources(bundle, "Observation")
                if o["partOf"][0]["reference"] == f"urn:uuid:{sid}"]
    # the MR (non-ionising) has no dose observation either
    mr_sid = _study(bundle, mr_exam().study_instance_uid)["id"]
    assert not [o for o in _resources(bundle, "Observation")
                if o["partOf"][0]["reference"] == f"urn:uuid:{mr_sid}"]
    for obs in _resources(bundle, "Observation"):
        assert obs["valueQuantity"]["value"] > 0
    # only quantities the data gives: CT has no DAP/AGD/activity
    ct_sid = _study(bundle, ct_exam().study_instance_uid)["id"]
    codes = {o["code"]["coding"][0]["code"] for o in _resources(bundle, "Observation")
             if o["partOf"][0]["reference"] == f"urn:uuid:{ct_sid}"}
    assert codes == {"113838", "113830", "113839"}


def test_software_version_and_stable_ids():
    h = make_history([ct_exam()])
    a = fhir_bundle([h], software_version="1.2.3")
    b = fhir_bundle([h], software_version="1.2.3")
    (device,) = _resources(a, "Device")
    assert device["version"][0]["value"] == "1.2.3"
    assert [e["fullUrl"] for e in a["entry"]] == [e["fullUrl"] for e in b["entry"]]


def test_several_patients_and_undated_exam():
    a = make_history([ct_exam()], key="a", name="山田^太郎")
    b = make_history([unknown_ct_exam(date=None)], key="b", name="", patient_ids=[])
    bundle = fhir_bundle([a, b], software_version="0")
    validate_bundle(bundle)
    patients = _resources(bundle, "Patient")
    assert len(patients) == 2 and patients[0]["name"][0]["family"] == "山田"
    assert "name" not in patients[1]
    undated = _study(bundle, unknown_ct_exam().study_instance_uid)
    assert "started" not in undated
