"""An RDSR-only study is listed with its report's modality (CT, RF, ...), not only SR."""
from __future__ import annotations

import json

import pytest

from dosetrail.core.cli.main import main
from dosetrail.core.dose.report_modality import shown_modalities
from dosetrail.core.dose.study import EstimatePart, StudyEstimate

from synth import PatientSpec, make_ct_rdsr, make_projection_rdsr, make_rrdsr, write_study


def _est(*mods: str) -> StudyEstimate:
    return StudyEstimate(ionising=True, body_region=None,
                         parts=[EstimatePart(modality=m, method="x", effective_dose_msv=None, range_msv=None,
                                             source="RDSR") for m in mods])


@pytest.mark.parametrize("stored, parts, expected", [
    (["SR"], ["CT"], ["CT", "SR"]),
    (["SR"], ["RF"], ["RF", "SR"]),
    (["SR", "KO"], ["XA"], ["KO", "SR", "XA"]),
    (["SR"], [], ["SR"]),  # a non-dose SR says nothing more
    (["CR"], ["DX"], ["CR"]),  # images name the modality themselves: the part group is not added
    (["CT", "SR"], ["CT"], ["CT", "SR"]),
    ([" sr ", ""], ["PT"], ["PT", "SR"]),
])
def test_shown_modalities(stored, parts, expected):
    assert shown_modalities(stored, _est(*parts)) == expected


def test_shown_modalities_without_estimate():
    assert shown_modalities(["SR"], None) == ["SR"]


def test_rdsr_only_studies_carry_the_reports_modality(tmp_path, capsys):
    pat = PatientSpec(patient_id="M1", name="MODAL^ITY", birth_date="19600101", sex="F")
    ct = make_ct_rdsr(pat, study_description="CT CHEST")
    rf = make_projection_rdsr(pat, kind="RF", study_description="BARIUM SWALLOW",
                              content_datetime="20220101100000")
    mg = make_projection_rdsr(pat, kind="MG", study_description="MAMMO", content_datetime="20230101100000")
    pt = make_rrdsr(pat, study_description="PET FDG")
    write_study([ct, rf, mg, pt], tmp_path / "src")
    assert main(["import", str(tmp_path / "src"), "--json"]) == 0
    capsys.readouterr()
    assert main(["export", "--format", "json"]) == 0
    (patient,) = json.loads(capsys.readouterr().out)["patients"]
    by_desc = {s["description"]: s["modalities"] for s in patient["studies"]}
    assert by_desc["CT CHEST"] == ["CT", "SR"]
    assert by_desc["BARIUM SWALLOW"] == ["RF", "SR"]
    assert by_desc["MAMMO"] == ["MG", "SR"]
    assert by_desc["PET FDG"] == ["PT", "SR"]
    assert main(["history", "M1", "--json"]) == 0
    hist = json.loads(capsys.readouterr().out)["patient"]["studies"]
    assert {s["description"]: s["modalities"] for s in hist} == by_desc
    assert main(["history", "M1"]) == 0
    assert "CT/SR" in capsys.readouterr().out
