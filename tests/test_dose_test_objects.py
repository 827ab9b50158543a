"""Probable QA/phantom/test objects: word-boundary detection, both sides."""
from __future__ import annotations

import pytest

from dosetrail.core.dose.test_objects import WARNING, count_decision, test_object_reason, words


@pytest.mark.parametrize("label, text", [
    ("patient name", "PHYSICS^TABLE AEC"),
    ("patient name", "QATesting^Physics"),
    ("patient name", "Physics^TomoSTPRotating"),
    ("patient name", "MONTHLY_QC^CTSIM1"),
    ("patient name", "Fysiikka^kuvanlaatu"),  # Finnish: physics^image quality
    ("patient name", "TEST^PATIENT"),
    ("patient name", "Test01"),
    ("patient ID", "physics12345"),
    ("patient ID", "QA2"),
    ("study description", "Z_Physics Test"),
    ("study description", "Specials^PhysicsTesting (Adult)"),
    ("study description", "CATPHAN 600"),
    ("study description", "ACR phantom"),
    ("study description", "Daily QC"),
    ("study description", "Constancy check"),
    ("study description", "Konstanzprüfung"),
    ("study description", "Quality control head"),
    ("study description", "TEST"),
    ("series description", "Water Phantom 32cm"),
    ("series description", "Flat Field Tomo"),
    ("protocol", "QA_Monthly"),
    ("protocol", "CTDI measurement"),
    ("event protocol", "10.13 RADIOTHERAPY QA"),
])
def test_flagged(label, text):
    reason = test_object_reason([(label, text)])
    assert reason is not None and reason.startswith(f'{label} "')


@pytest.mark.parametrize("label, text", [
    ("patient name", "Testa^Maria"),
    ("patient name", "Contestabile^Anna"),
    ("patient name", "Protest^Hans"),
    ("patient name", "Acram^Ali"),
    ("patient ID", "qaz9876543"),  # QAZ is not QA
    ("patient ID", "phy12345"),
    ("study description", "CONTEST"),
    ("study description", "US TESTIS"),
    ("study description", "Testicular ultrasound"),
    ("study description", "Myocardial perfusion stress test"),
    ("study description", "C-14 urea breath test"),
    ("study description", "CT abdomen test bolus"),
    ("study description", "ACR BI-RADS C"),
    ("study description", "Quadriceps"),
    ("study description", "Thorax^TAP (Adult)"),
    ("series description", "Test Bolus"),  # a bare TEST in a series: test injection, not a test object
    ("protocol", "TestBolus"),
    ("event protocol", "testæøå"),
    ("study description", ""),
    ("study description", None),
])
def test_not_flagged(label, text):
    assert test_object_reason([(label, text)]) is None


def test_first_matching_field_is_the_reason():
    reason = test_object_reason([("patient name", "DOE^JANE"), ("patient ID", "123"),
                                 ("study description", "Z_Physics Test")])
    assert reason == 'study description "Z_Physics Test" (PHYSICS)'


def test_words_split_camel_case_and_separators():
    assert words("QATesting^Physics_x") == ["QA", "TESTING", "PHYSICS", "X"]
    assert words("Fantôme") == ["FANTOME"]


def test_count_decision():
    assert count_decision(None, None) == (True, None, None)
    counted, reason, warning = count_decision('patient name "PHYSICS" (PHYSICS)', None)
    assert not counted and warning == WARNING == "probable QA/phantom scan, not counted"
    assert reason.startswith("probable QA/phantom scan")
    counted, reason, warning = count_decision('patient name "PHYSICS" (PHYSICS)', True)
    assert counted and reason is None and "counted by the user's choice" in warning
    counted, reason, warning = count_decision(None, False)
    assert not counted and "user's choice" in reason and warning
