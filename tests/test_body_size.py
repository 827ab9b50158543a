"""Patient height and weight: from headers and SR patient characteristics, checked, the latest shown."""
from __future__ import annotations

import json

import pytest

from dosetrail.core.cli.main import main
from dosetrail.core.dose.body_size import plausible_height, plausible_weight
from dosetrail.core.dose.extract import extract_dose

from synth import PatientSpec, make_ct_series, make_rrdsr, write_study


@pytest.mark.parametrize("value, expected, warned", [
    (None, None, False), (1.68, 1.68, False), (0.5, 0.5, False),
    (0.0, None, True), (168.0, 1.68, True), (3.1, None, True), (1680.0, None, True), (-1.7, None, True),
])
def test_plausible_height(value, expected, warned):
    got, warning = plausible_height(value)
    assert got == expected and (warning is not None) == warned
    if warned:
        assert "0 m" not in f"{got}"


@pytest.mark.parametrize("value, expected, warned", [
    (None, None, False), (73.0, 73.0, False), (3.2, 3.2, False), (0.0, None, True), (73000.0, None, True),
])
def test_plausible_weight(value, expected, warned):
    got, warning = plausible_weight(value)
    assert got == expected and (warning is not None) == warned


def test_rrdsr_patient_characteristics_are_read():
    rec = extract_dose(make_rrdsr(height_cm=172.0, weight_kg=81.5))
    assert rec.patient_height_m == pytest.approx(1.72) and rec.patient_weight_kg == pytest.approx(81.5)
    assert extract_dose(make_rrdsr()).patient_height_m is None


def _import(tmp_path, datasets):
    write_study(datasets, tmp_path / "src")
    assert main(["import", str(tmp_path / "src"), "--json"]) == 0


def test_latest_plausible_values_are_shown_implausible_ones_warned(tmp_path, capsys):
    pat = PatientSpec(patient_id="B1", name="SIZE^SAM", birth_date="19600101", sex="M")
    old = make_ct_series(pat, n_slices=3, study_description="CT 2019", study_date="20190101")
    cm = make_ct_series(pat, n_slices=3, study_description="CT 2020", study_date="20200101")
    zero = make_ct_series(pat, n_slices=3, study_description="CT 2022", study_date="20220101")
    for ds in old:
        ds.PatientSize, ds.PatientWeight = "1.70", "90"
    for ds in cm:
        ds.PatientSize, ds.PatientWeight = "175", "80"  # centimetres in a metres field
    for ds in zero:
        ds.PatientSize, ds.PatientWeight = "0", "0"  # "not measured"
    pet = make_rrdsr(pat, content_datetime="20210101100000", height_cm=176.0, weight_kg=78.0,
                     study_description="PET 2021")
    _import(tmp_path, old + cm + zero + [pet])
    capsys.readouterr()
    assert main(["history", "B1", "--json"]) == 0
    patient = json.loads(capsys.readouterr().out)["patient"]
    assert patient["height_m"] == pytest.approx(1.76) and patient["weight_kg"] == pytest.approx(78.0)  # 2021's
    by_desc = {s["description"]: s["warnings"] for s in patient["studies"]}
    assert any("patient height 0 m is implausible" in w for w in by_desc["CT 2022"])
    assert any("patient weight 0 kg is implausible" in w for w in by_desc["CT 2022"])
    assert any("read as centimetres" in w for w in by_desc["CT 2020"])
    assert not any("patient" in w for w in by_desc["CT 2019"])
    assert main(["export", "--format", "json"]) == 0
    (exported,) = json.loads(capsys.readouterr().out)["patients"]
    assert (exported["height_m"], exported["weight_kg"]) == (patient["height_m"], patient["weight_kg"])


def test_unknown_body_size_is_null(tmp_path, capsys):
    pat = PatientSpec(patient_id="B2", name="NO^SIZE", birth_date="19600101", sex="F")
    _import(tmp_path, make_ct_series(pat, n_slices=3))
    capsys.readouterr()
    assert main(["history", "B2", "--json"]) == 0
    patient = json.loads(capsys.readouterr().out)["patient"]
    assert patient["height_m"] is None and patient["weight_kg"] is None
