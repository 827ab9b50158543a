"""DICOMDIR media and ZIP archives made by the generator are what they claim."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.errors import InvalidDicomError
from pydicom.fileset import FileSet

from synth import (
    PatientSpec,
    corrupt_dicomdir,
    make_ct_rdsr,
    make_ct_series,
    make_stale_dicomdir,
    make_zip,
    write_dicomdir_media,
    write_study,
)


@pytest.fixture
def two_patients():
    a = make_ct_series(PatientSpec(patient_id="A1"), n_slices=3)
    rdsr = make_ct_rdsr(PatientSpec(patient_id="A1"), study_uid=a[0].StudyInstanceUID)
    b = make_ct_series(PatientSpec(patient_id="B2", name="ROE^RICHARD", sex="M"), n_slices=2)
    return a + [rdsr] + b


def test_dicomdir_media_layout_and_references(tmp_path, two_patients):
    root = tmp_path / "cd"
    dicomdir = write_dicomdir_media(two_patients, root)
    assert dicomdir == root / "DICOMDIR"
    fs = FileSet(dcmread(dicomdir))
    assert len(fs) == len(two_patients)
    assert {i.SOPInstanceUID for i in fs} == {d.SOPInstanceUID for d in two_patients}
    assert sorted(fs.find_values("PatientID")) == ["A1", "B2"]
    for instance in fs:
        rel = Path(instance.path).relative_to(root).parts
        assert rel[0] == "DICOM" and len(rel) == 5
        assert all(re.fullmatch(r"[A-Z0-9_]{1,8}", p) for p in rel)
        assert instance.load().SOPInstanceUID == instance.SOPInstanceUID
    assert (root / "DICOM" / "PAT00002" / "STU00002" / "SER00003" / "IMG00002").is_file()
    assert not list(root.glob("PT*"))  # pydicom's own layout moved away
    sr = [i for i in fs if i.DirectoryRecordType == "SR DOCUMENT"]
    assert len(sr) == 1
    assert (root / "AUTORUN.INF").is_file() and (root / "IHE_PDI" / "INDEX.HTM").is_file()
    assert (root / "VIEWER" / "VIEWER.EXE").read_bytes().startswith(b"MZ")


@pytest.mark.filterwarnings("ignore:Invalid value for VR CS")
def test_media_variants_lowercase_extension_flat(tmp_path, two_patients):
    root = tmp_path / "usb"
    write_dicomdir_media(two_patients, root, upper_case_ids=False, extensionless=False,
                         nested_dirs=False, include_viewer=False, include_autorun=False,
                         include_ihe_pdi=False)
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != "DICOMDIR")
    assert len(files) == len(two_patients)
    assert all(p.parent == root / "dicom" and re.fullmatch(r"img\d{5}\.dcm", p.name) for p in files)
    assert not (root / "AUTORUN.INF").exists() and not (root / "VIEWER").exists()
    fs = FileSet(dcmread(root / "DICOMDIR"))
    assert {Path(i.path) for i in fs} == set(files)


def test_stale_and_corrupt_dicomdir(tmp_path, two_patients):
    dicomdir = write_dicomdir_media(two_patients, tmp_path / "cd")
    removed = make_stale_dicomdir(dicomdir, n_missing=2)
    assert len(removed) == 2 and not any(p.exists() for p in removed)
    refs = [r.ReferencedFileID for r in dcmread(dicomdir).DirectoryRecordSequence
            if "ReferencedFileID" in r]
    assert len(refs) == len(two_patients)  # the index still lists them
    missing = [r for r in refs if not dicomdir.parent.joinpath(*r).exists()]
    assert len(missing) == 2
    size = dicomdir.stat().st_size
    corrupt_dicomdir(dicomdir)
    assert dicomdir.stat().st_size == size // 2
    with pytest.raises((InvalidDicomError, EOFError, ValueError, OSError, KeyError)):
        FileSet(dcmread(dicomdir))


def test_zip_of_datasets_files_and_media(tmp_path, two_patients):
    z = make_zip(two_patients, tmp_path / "a.zip")
    with zipfile.ZipFile(z) as zf:
        names = zf.namelist()
        assert len(names) == len(two_patients)
        assert zf.read(names[0])[128:132] == b"DICM"
    files = write_study(two_patients[:2], tmp_path / "plain", nested=False)
    z2 = make_zip(files, tmp_path / "b.zip", nested=True)
    assert all(n.startswith("export/") for n in zipfile.ZipFile(z2).namelist())
    z3 = make_zip(files, tmp_path / "c.zip", arcnames=["x/1", "y/2"])
    assert zipfile.ZipFile(z3).namelist() == ["x/1", "y/2"]
    z4 = make_zip(two_patients, tmp_path / "d.zip", with_dicomdir=True)
    names = zipfile.ZipFile(z4).namelist()
    assert "DICOMDIR" in names and sum(n.startswith("DICOM/") for n in names) == len(two_patients)
    with pytest.raises(ValueError):
        make_zip(files, tmp_path / "e.zip", arcnames=["only-one"])
