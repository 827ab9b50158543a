"""The mixed patient history writes what its manifest says."""
from __future__ import annotations

from collections import defaultdict

import pytest
from pydicom import dcmread

from synth import make_mixed_patient_history


def test_manifest_matches_files(tmp_path):
    m = make_mixed_patient_history(tmp_path / "h", n_ct_slices=4, pixels=False)
    files = m["files"]
    assert m["n_files"] == len(files) == len(set(files))
    assert all(p.is_file() for p in files)
    by_study = defaultdict(list)
    for p in files:
        ds = dcmread(p, stop_before_pixels=True)
        by_study[str(ds.StudyInstanceUID)].append(ds)
    assert len(by_study) == m["n_studies"] == 8
    for study in m["studies"]:
        got = by_study[study["study_uid"]]
        assert len(got) == study["n_files"], study["key"]
        assert len({str(d.SeriesInstanceUID) for d in got}) == study["n_series"], study["key"]
        assert sorted({str(d.Modality) for d in got}) == study["modalities"]
        assert {str(d.PatientID) for d in got} == {study["patient_id"]}
        assert {str(d.StudyDate) for d in got} == {study["date"]}
        assert {str(d.InstitutionName) for d in got} == {study["institution"]}


def test_same_person_different_ids_and_spellings(tmp_path):
    m = make_mixed_patient_history(tmp_path / "h", n_ct_slices=2, pixels=False)
    assert m["n_persons"] == 3
    jane = m["persons"]["jane"]
    assert len(set(jane["patient_ids"])) == 2
    assert jane["names"] == ["DOE^JANE", "Doe^Jane^^^"]
    seen = defaultdict(set)
    for p in m["files"]:
        ds = dcmread(p, stop_before_pixels=True)
        seen[(str(ds.PatientBirthDate), str(ds.PatientSex))].add((str(ds.PatientID), str(ds.PatientName)))
    assert seen[("19700131", "F")] == {("HA-1001", "DOE^JANE"), ("B0077", "Doe^Jane^^^")}
    assert {pid for pid, _ in seen[("19551122", "M")]} == {"HA-2002", "C5"}
    jose = next(p for p in m["files"] if "jose" in str(p))
    assert "GARCÍA".encode("latin-1") in jose.read_bytes()


def test_expected_dose_inputs_are_in_the_files(tmp_path):
    m = make_mixed_patient_history(tmp_path / "h", n_ct_slices=3, pixels=False)
    studies = {s["key"]: s for s in m["studies"]}
    read = defaultdict(list)
    for p in m["files"]:
        ds = dcmread(p, stop_before_pixels=True)
        read[str(ds.StudyInstanceUID)].append(ds)
    mg = read[studies["jane_2019_mg"]["study_uid"]]
    assert sorted({float(d.OrganDose) for d in mg}) == studies["jane_2019_mg"]["expected"]["organ_dose_dgy"]
    assert len({d.AcquisitionDateTime for d in mg}) == 4  # 4 exposures, 8 images
    dx = read[studies["john_2016_dx_chest"]["study_uid"]]
    assert sorted(float(d.ImageAndFluoroscopyAreaDoseProduct) for d in dx) == [0.9, 2.1]
    abd = read[studies["jane_2018_ct_abdomen"]["study_uid"]]
    assert len({d.FrameOfReferenceUID for d in abd}) == 1  # two recons, one acquisition
    assert {float(d.CTDIvol) for d in abd} == {12.5}
    z = [float(d.SliceLocation) for d in abd]
    expected = studies["jane_2018_ct_abdomen"]["expected"]
    assert max(z) - min(z) == pytest.approx(expected["z_extent_mm"])
    assert len({d.SeriesInstanceUID for d in abd}) == expected["n_reconstructions"]
    ct = read[studies["jane_2015_ct_chest"]["study_uid"]]
    (sr,) = [d for d in ct if d.Modality == "SR"]
    acc = next(i for i in sr.ContentSequence if i.ConceptNameCodeSequence[0].CodeValue == "113811")
    total = next(i for i in acc.ContentSequence if i.ConceptNameCodeSequence[0].CodeValue == "113813")
    assert float(total.MeasuredValueSequence[0].NumericValue) == studies["jane_2015_ct_chest"][
        "expected"]["dlp_total_mgycm"]


def test_mixed_layout_cd_zip_and_usb(tmp_path):
    import zipfile

    from pydicom.fileset import FileSet

    m = make_mixed_patient_history(tmp_path / "h", n_ct_slices=2, pixels=False, layout="mixed")
    kinds = {s["kind"]: s for s in m["sources"]}
    assert set(kinds) == {"folder", "dicomdir", "zip"}
    per_site = defaultdict(int)
    for study in m["studies"]:
        per_site[study["institution"]] += study["n_files"]
    fs = FileSet(dcmread(tmp_path / "h" / "CD_HOSPITAL_A" / "DICOMDIR"))
    assert len(fs) == kinds["dicomdir"]["n_files"] == per_site["Hospital A"]
    with zipfile.ZipFile(kinds["zip"]["path"]) as zf:
        assert len(zf.namelist()) == kinds["zip"]["n_files"] == per_site["Hospital B"]
    usb = [p for p in (tmp_path / "h" / "usb_hospital_c").rglob("*") if p.is_file()]
    assert len(usb) == kinds["folder"]["n_files"] == per_site["Hospital C"]
    assert m["n_files"] == sum(per_site.values()) == sum(s["n_files"] for s in m["studies"])
    assert len(m["files"]) == per_site["Hospital A"] + per_site["Hospital C"]
