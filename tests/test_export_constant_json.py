"""Shared read-only JSON values of the FHIR export, its resource ids, and the export's collector setting."""
from __future__ import annotations

import copy
import gc
import json
import pickle
import uuid

import pytest
from hypothesis import given, settings, strategies as st

from dosetrail.core.export import fhir
from dosetrail.core.export.constant_json import ConstantArray, ConstantObject, constant
from dosetrail.core.export.stream import fewer_collections, indented

PLAIN = {"coding": [{"system": "http://x", "code": "MR", "display": "é"}], "text": "t", "n": [1, 2.5, None, True]}


def test_a_constant_is_equal_encoded_the_same_and_refuses_changes():
    shared = constant(PLAIN)
    assert type(shared) is ConstantObject and type(shared["coding"]) is ConstantArray
    assert shared == PLAIN and json.dumps(shared, indent=2) == json.dumps(PLAIN, indent=2)
    for indent in ("", "    ", "      "):
        assert indented(shared, indent) == indented(PLAIN, indent)
        assert indented({"a": shared, "b": [shared]}, indent) == indented({"a": PLAIN, "b": [PLAIN]}, indent)
    for change in (lambda: shared.__setitem__("x", 1), lambda: shared.pop("text"), lambda: shared.update(x=1),
                   lambda: shared["coding"].append({}), lambda: shared["coding"][0].clear(),
                   lambda: shared["n"].sort(), lambda: shared.__delitem__("text")):
        with pytest.raises(TypeError, match="cannot be changed"):
            change()
    assert shared == PLAIN  # nothing changed


def test_a_copy_of_a_constant_is_plain_and_changeable():
    shared = constant(PLAIN)
    deep = copy.deepcopy({"resource": {"category": shared}})["resource"]["category"]
    assert type(deep) is dict and type(deep["coding"]) is list and type(deep["coding"][0]) is dict
    deep["coding"][0]["code"] = "changed"
    assert shared["coding"][0]["code"] == "MR"
    assert type(copy.copy(shared)) is dict
    back = pickle.loads(pickle.dumps(shared))
    assert back == PLAIN and type(back) is dict


def test_fhir_resources_share_constants_and_each_can_still_be_changed():
    from dosetrail.core.model.history import PatientSummary

    code = fhir.EFFECTIVE_DOSE
    assert fhir._observation_code(code) is fhir._observation_code(code)
    assert fhir._modality_coding("CT") is fhir._modality_coding("CT") == {
        "system": fhir.DCM, "code": "CT", "display": "Computed Tomography"}
    assert fhir._modality_coding("XYZ") == {"system": fhir.DCM, "code": "XYZ"}
    summary = PatientSummary(key="P1", name="DOE^JANE", birth_date=None, sex=None, patient_ids=[("1", "")],
                             exam_count=0, cumulative_effective_dose_msv=None,
                             cumulative_effective_dose_range_msv=None, exams_without_dose_estimate=0)
    patient = fhir._patient(type("H", (), {"patient": summary})())
    patient["identifier"][1]["value"] = "2"  # the resource's own parts stay plain
    assert patient["identifier"][1]["type"] == {"coding": [{"system": fhir.V2_0203, "code": "MR"}]}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=4))
def test_resource_ids_are_uuid5_of_the_parts(parts):
    try:
        expected = str(uuid.uuid5(fhir._NAMESPACE, "\x1f".join(parts)))
    except UnicodeEncodeError:  # lone surrogates: neither can encode them
        with pytest.raises(UnicodeEncodeError):
            fhir._uuid(*parts)
        return
    assert fhir._uuid(*parts) == expected


def test_fewer_collections_restores_the_collector():
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] > before[0] and gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError):
        with fewer_collections():
            raise RuntimeError("an export failing half-way")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
