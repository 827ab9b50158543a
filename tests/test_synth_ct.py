"""The synthetic CT generator writes what it promises (read back with pydicom)."""
from __future__ import annotations

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from synth import (
    CT_IMAGE_STORAGE,
    JAPANESE_PATIENT,
    PatientSpec,
    make_ct_reconstruction,
    make_ct_series,
    new_uid,
    set_uid_seed,
    write_study,
)


def test_ct_series_reads_back_with_geometry_and_dose(tmp_path):
    series = make_ct_series(PatientSpec(patient_id="P1"), n_slices=7, slice_thickness=2.5,
                            start_z=-40.0, ctdivol=8.5, kvp=100)
    paths = write_study(series, tmp_path)
    assert len(paths) == 7 and all(p.is_file() for p in paths)
    read = [dcmread(p) for p in paths]
    assert {ds.SOPClassUID for ds in read} == {CT_IMAGE_STORAGE}
    assert len({ds.SOPInstanceUID for ds in read}) == 7
    assert len({ds.SeriesInstanceUID for ds in read}) == 1
    z = sorted(float(ds.ImagePositionPatient[2]) for ds in read)
    assert z == pytest.approx([-40.0 + 2.5 * i for i in range(7)])
    assert [float(ds.SliceLocation) for ds in read] == pytest.approx(
        [float(ds.ImagePositionPatient[2]) for ds in read])
    first = read[0]
    assert float(first.CTDIvol) == 8.5 and float(first.KVP) == 100
    assert first.file_meta.MediaStorageSOPInstanceUID == first.SOPInstanceUID
    assert first.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert first.PatientID == "P1" and str(first.PatientName) == "DOE^JANE"
    assert first.pixel_array.shape == (16, 16) and first.pixel_array.max() > 0


def test_positions_follow_the_slice_normal_for_oblique_orientation():
    # row along x, column along z: normal is -y (row x col)
    series = make_ct_series(n_slices=3, spacing=4.0, orientation=(1, 0, 0, 0, 0, 1))
    pos = np.array([[float(v) for v in ds.ImagePositionPatient] for ds in series])
    steps = np.diff(pos, axis=0)
    assert np.allclose(steps, [[0, -4.0, 0]] * 2)


def test_header_only_and_missing_dose():
    series = make_ct_series(n_slices=2, pixels=False, ctdivol=None)
    assert "PixelData" not in series[0]
    assert "CTDIvol" not in series[0]


def test_localizer_is_one_position_with_localizer_type():
    series = make_ct_series(n_slices=2, localizer=True)
    assert series[0].ImageType[2] == "LOCALIZER"
    assert series[0].ImagePositionPatient == series[1].ImagePositionPatient


@pytest.mark.parametrize("ts", [ImplicitVRLittleEndian, ExplicitVRBigEndian])
def test_other_transfer_syntaxes_and_japanese_name(tmp_path, ts):
    path = write_study(make_ct_series(JAPANESE_PATIENT, n_slices=1, transfer_syntax=ts), tmp_path)[0]
    raw = path.read_bytes()
    assert raw[128:132] == b"DICM"
    assert b"\x1b$B" in raw  # ISO 2022 escape to JIS X 0208
    ds = dcmread(path)
    assert ds.file_meta.TransferSyntaxUID == ts
    assert str(ds.PatientName) == JAPANESE_PATIENT.name
    assert ds.pixel_array[0, :3].tolist() == [0, 64, 128]


def test_latin1_name_is_encoded_with_declared_charset(tmp_path):
    patient = PatientSpec(name="MÜLLER^JÜRGEN", specific_character_set="ISO_IR 100")
    path = write_study(make_ct_series(patient, n_slices=1), tmp_path)[0]
    assert "MÜLLER".encode("latin-1") in path.read_bytes()
    assert str(dcmread(path).PatientName) == "MÜLLER^JÜRGEN"


def test_reconstruction_shares_the_acquisition():
    base = make_ct_series(n_slices=11, slice_thickness=5.0, start_z=100.0, ctdivol=12.0)
    recon = make_ct_reconstruction(base, slice_thickness=1.0, kernel="B70f")
    assert len(recon) == 51
    assert recon[0].SeriesInstanceUID != base[0].SeriesInstanceUID
    for key in ("FrameOfReferenceUID", "AcquisitionDateTime", "AcquisitionNumber",
                "CTDIvol", "StudyInstanceUID"):
        assert recon[0].get(key) == base[0].get(key), key
    assert recon[0].ConvolutionKernel == "B70f" != base[0].ConvolutionKernel
    zr = [float(d.SliceLocation) for d in recon]
    zb = [float(d.SliceLocation) for d in base]
    assert (min(zr), max(zr)) == pytest.approx((min(zb), max(zb)))
    assert not {d.SOPInstanceUID for d in recon} & {d.SOPInstanceUID for d in base}


def test_uid_seed_makes_uids_reproducible():
    set_uid_seed("abc")
    first = [new_uid() for _ in range(3)]
    set_uid_seed("abc")
    again = [new_uid() for _ in range(3)]
    set_uid_seed(None)
    assert first == again and len(set(first)) == 3
    assert new_uid() != new_uid()
    assert new_uid("x", 1) == new_uid("x", 1) != new_uid("x", 2)


@pytest.mark.parametrize("names,suffix", [("uid", ".dcm"), ("numbered", ".dcm"),
                                          ("no-extension", ""), ("upper", ".DCM")])
def test_write_study_name_styles(tmp_path, names, suffix):
    a = make_ct_series(n_slices=2)
    b = make_ct_series(n_slices=2)
    paths = write_study(a + b, tmp_path, names=names)
    assert all(p.suffix == suffix for p in paths)
    assert len({p.parent for p in paths}) == 2  # nested: one folder per series
    flat = write_study(a, tmp_path / "flat", names=names, nested=False)
    assert {p.parent for p in flat} == {tmp_path / "flat"}


@pytest.mark.parametrize("charset,name,encoding", [
    ("ISO_IR 100", "GARCÍA^JOSÉ", "latin-1"),
    ("ISO_IR 192", "MÜLLER^JÜRGEN", "utf-8"),
])
def test_patient_issuer_and_charsets(tmp_path, charset, name, encoding):
    patient = PatientSpec(patient_id="X9", name=name, issuer="HOSP_X", specific_character_set=charset)
    path = write_study(make_ct_series(patient, n_slices=1, patient_age="051Y"), tmp_path)[0]
    assert name.split("^")[0].encode(encoding) in path.read_bytes()
    ds = dcmread(path)
    assert (str(ds.PatientName), ds.IssuerOfPatientID, ds.PatientAge) == (name, "HOSP_X", "051Y")
    assert ds.SpecificCharacterSet == charset


@pytest.mark.parametrize("ts,size", [("1.2.840.10008.1.2.5", 16), ("1.2.840.10008.1.2.4.90", 32),
                                     ("1.2.840.10008.1.2.1.99", 16)])
def test_compressed_and_deflated_transfer_syntaxes(tmp_path, ts, size):
    series = make_ct_series(n_slices=2, transfer_syntax=ts, rows=size, columns=size)
    paths = write_study(series, tmp_path)
    ds = dcmread(paths[1])
    assert ds.file_meta.TransferSyntaxUID == ts
    assert ds.InstanceNumber == 2 and float(ds.CTDIvol) == 10.0
    assert ds.pixel_array.shape == (size, size)
    assert ds.pixel_array[0, :3].tolist() == [0, 64, 128]
