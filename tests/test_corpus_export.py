"""The OpenREM real-world corpus through `dosetrail import` and `dosetrail export`.

Expected figures are OpenREM 0.10.0's own test assertions (openrem/remapp/tests/
test_import_*.py), converted to the contract's units (OpenREM keeps DAP in
Gy·m²: x 10^4 gives Gy·cm²).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pydicom
import pytest

pytestmark = pytest.mark.corpus


CLI = [sys.executable, "-c", "import sys; from dosetrail.gui.entry import main; sys.exit(main(sys.argv[1:]))"]


@pytest.fixture(scope="module")
def corpus_home(tmp_path_factory):
    return tmp_path_factory.mktemp("corpus-home")


@pytest.fixture(scope="module")
def corpus_export(openrem_dir, corpus_home):
    env = {**os.environ, "DOSETRAIL_HOME": str(corpus_home)}
    cmd = CLI
    imp = subprocess.run(cmd + ["import", str(openrem_dir), "--json"], capture_output=True, text=True, env=env)
    summary = json.loads(imp.stdout)
    exp = subprocess.run(cmd + ["export", "--format", "json"], capture_output=True, text=True, env=env)
    assert exp.returncode == 0, exp.stderr
    doc = json.loads(exp.stdout)
    studies = {s["study_instance_uid"]: (p, s) for p in doc["patients"] for s in p["studies"]}
    # importing the same corpus again (as from a second CD) changes no figure
    again = subprocess.run(cmd + ["import", str(openrem_dir), "--json"], capture_output=True, text=True, env=env)
    assert json.loads(again.stdout)["instances_imported"] == 0
    exp2 = subprocess.run(cmd + ["export", "--format", "json"], capture_output=True, text=True, env=env)
    assert json.loads(exp2.stdout) == doc
    return imp.returncode, summary, doc, studies


def study_of(openrem_dir, name: str, studies):
    uid = pydicom.dcmread(openrem_dir / name, stop_before_pixels=True).StudyInstanceUID
    return studies[uid][1]


def test_every_corpus_file_is_accounted_for(corpus_export, openrem_dir):
    code, summary, _, _ = corpus_export
    n_files = len([p for p in openrem_dir.iterdir() if p.is_file()])
    assert summary["files_seen"] == n_files
    assert summary["files_rejected"] == [] and code == 0
    # RF-RDSR-Siemens-Zee_adjusted.dcm is the same object (SOP Instance UID) as RF-RDSR-Siemens-Zee.dcm
    assert summary["instances_imported"] + summary["instances_already_present"] == n_files
    assert summary["instances_already_present"] == 1


@pytest.mark.parametrize("name, dlp, events", [
    ("CT-RDSR-Siemens-Multi-3.dcm", 236.09, 3),  # cumulative reports: the newest counts
    ("CT-ESR-GE_Optima.dcm", 415.82, None),
    ("CT-SC-Philips_Brilliance16P.dcm", 1102.44609, None),  # Philips "Dose Info" screen
])
def test_ct_dlp_totals(corpus_export, openrem_dir, name, dlp, events):
    s = study_of(openrem_dir, name, corpus_export[3])
    assert s["dose"]["ct_dlp_mgycm"] == pytest.approx(dlp, abs=0.01)
    if events is not None:
        assert s["dose"]["ct_irradiation_events"] == events
    assert s["effective_dose_msv"] is None or s["effective_dose_msv"] > 0


def test_split_continued_reports_merge(corpus_export, openrem_dir):
    s = study_of(openrem_dir, "CT-RDSR-Siemens-Continued-1.dcm", corpus_export[3])
    s2 = study_of(openrem_dir, "CT-RDSR-Siemens-Continued-2.dcm", corpus_export[3])
    assert s is s2
    assert s["dose"]["ct_irradiation_events"] == 4  # 2 + 2 distinct events (OpenREM: two reports of 2 each)
    assert s["sources"] == ["RDSR"]


@pytest.mark.parametrize("name, dap", [
    ("RF-RDSR-GE.dcm", 2.4126),
    ("DX-RDSR-Canon_CXDI.dcm", 0.107),
    ("DX-RDSR-Carestream_DRXEvolution.dcm", 0.0581),
    ("DX-Im-GE_XR220-1.dcm", 0.328),
])
def test_dap_in_gycm2(corpus_export, openrem_dir, name, dap):
    s = study_of(openrem_dir, name, corpus_export[3])
    assert s["dose"]["dap_gycm2"] == pytest.approx(dap, rel=1e-5)


@pytest.mark.parametrize("name, agd", [
    ("MG-RDSR-Hologic_2D.dcm", 1.30 + 1.28),  # accumulated AGD per breast
    ("MG-Im-Hologic-PropProj.dcm", 0.26),
])
def test_mammography_glandular_dose(corpus_export, openrem_dir, name, agd):
    s = study_of(openrem_dir, name, corpus_export[3])
    assert s["dose"]["agd_mgy"] == pytest.approx(agd, abs=0.005)
    assert s["effective_dose_msv"] == pytest.approx(0.12 * agd / 2, rel=1e-3)
    assert s["method"].startswith("0.12")


def test_non_dose_sr_gives_no_dose(corpus_export, openrem_dir):
    s = study_of(openrem_dir, "ESR_non-dose.dcm", corpus_export[3])
    assert all(v is None for v in s["dose"].values())
    assert s["effective_dose_msv"] is None


def test_unknown_never_zero_and_totals_count_missing(corpus_export):
    _, _, doc, _ = corpus_export
    for p in doc["patients"]:
        counted = [s for s in p["studies"] if s["counted_in_total"]]  # probable QA/phantom scans are not
        missing = sum(1 for s in counted if s["effective_dose_msv"] is None and s["ionising"] is not False)
        assert p["exams_without_dose_estimate"] == missing
        known = [s["effective_dose_msv"] for s in counted if s["effective_dose_msv"] is not None]
        if known:
            assert p["cumulative_effective_dose_msv"] == pytest.approx(sum(known), abs=1e-6)
        elif not counted:  # only test objects: nothing is counted
            assert p["cumulative_effective_dose_msv"] == 0.0 and p["exams_not_counted"] == len(p["studies"])
        else:  # nothing is known: the total is unknown, not 0
            assert p["cumulative_effective_dose_msv"] is None and p["cumulative_effective_dose_range_msv"] is None
        for s in p["studies"]:
            for value in s["dose"].values():
                assert value != 0  # a figure the data does not give is null
            if s["effective_dose_msv"] is not None and s["ionising"]:
                low, high = s["effective_dose_range_msv"]
                assert low <= s["effective_dose_msv"] <= high
                assert s["method"] and s["factor_set"] and s["sources"]


def test_fhir_export_of_the_corpus_is_valid_r4(corpus_export, corpus_home):
    from dosetrail.core.export.fhir import validate_bundle

    _, _, doc, _ = corpus_export
    fhir = subprocess.run(CLI + ["export", "--format", "fhir"], capture_output=True, text=True,
                          env={**os.environ, "DOSETRAIL_HOME": str(corpus_home)})
    assert fhir.returncode == 0, fhir.stderr
    bundle = json.loads(fhir.stdout)
    validate_bundle(bundle)
    studies = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ImagingStudy"]
    assert len(studies) == sum(len(p["studies"]) for p in doc["patients"])


@pytest.mark.parametrize("name, says", [
    ("DX-Im-Carestream_DR7500-1.dcm", "PHYSICS"),  # patient PHYSICS^TABLE AEC
    ("Dual-RDSR-DX.dcm", "Z_Physics Test"),  # study description
    ("CT-RDSR-Siemens_Flash-QA-DS.dcm", "Physics"),  # 'Specials^PhysicsTesting', patient Fysiikka^kuvanlaatu
    ("CT-RDSR-ToshibaPixelMed.dcm", "QATesting^Physics"),
    ("MG-Im-Hologic-PropProj.dcm", "Physics^TomoSTPRotating"),
    ("CT-RDSR-Philips_BigBore4DCT.dcm", "MONTHLY_QC"),
])
def test_qa_and_phantom_studies_are_kept_out_of_totals(corpus_export, openrem_dir, name, says):
    studies = corpus_export[3]
    uid = pydicom.dcmread(openrem_dir / name, stop_before_pixels=True).StudyInstanceUID
    patient, s = studies[uid]
    assert s["counted_in_total"] is False
    assert "probable QA/phantom scan" in s["not_counted_reason"] and says.lower() in s["not_counted_reason"].lower()
    assert "probable QA/phantom scan, not counted" in s["warnings"]
    counted = [x["effective_dose_msv"] for x in patient["studies"]
               if x["counted_in_total"] and x["effective_dose_msv"] is not None]
    assert patient["cumulative_effective_dose_msv"] == pytest.approx(sum(counted), abs=1e-5)
    assert patient["exams_not_counted"] >= 1


def test_the_physics_testing_study_is_flagged_by_its_description_too():
    from dosetrail.core.dose.test_objects import test_object_reason

    assert test_object_reason([("study description", "Specials^PhysicsTesting (Adult)")])


@pytest.mark.parametrize("name", ["CT-RDSR-Siemens_Flash-TAP-SS.dcm", "CT-RDSR-Siemens-Continued-1.dcm",
                                  "RF-RDSR-Philips_Allura.dcm", "CT-ESR-GE_Optima.dcm", "Dual-RDSR-RF.dcm"])
def test_patients_are_counted(corpus_export, openrem_dir, name):
    assert study_of(openrem_dir, name, corpus_export[3])["counted_in_total"] is True


@pytest.mark.parametrize("name, modalities", [
    ("CT-RDSR-Siemens-Multi-3.dcm", ["CT", "SR"]), ("RF-RDSR-Philips_Allura.dcm", ["RF", "SR"]),
    ("DX-RDSR-Canon_CXDI.dcm", ["DX", "SR"]), ("MG-RDSR-Hologic_2D.dcm", ["MG", "SR"]),
    ("ESR_non-dose.dcm", ["SR"]),  # not a dose report: nothing to add
])
def test_rdsr_only_studies_show_the_reports_modality(corpus_export, openrem_dir, name, modalities):
    assert study_of(openrem_dir, name, corpus_export[3])["modalities"] == modalities


def test_height_and_weight_from_headers(corpus_export, openrem_dir):
    uid = pydicom.dcmread(openrem_dir / "CT-ESR-GE_Optima.dcm", stop_before_pixels=True).StudyInstanceUID
    patient = corpus_export[3][uid][0]
    assert patient["height_m"] == pytest.approx(1.64) and patient["weight_kg"] == pytest.approx(78.2)
