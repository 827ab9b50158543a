"""generate_many writes valid, distinct DICOM files quickly."""
from __future__ import annotations


from pydicom import dcmread

from synth import generate_many


def test_generate_many_valid_and_distinct(tmp_path):
    # its speed (20,000 files in about 1.3 s) is the benchmarks' concern (bench/import_throughput.py), not a test's
    paths = generate_many(tmp_path / "b", 400, files_per_series=40, series_per_study=2,
                          studies_per_patient=2)
    assert len(paths) == 400 and all(p.is_file() for p in paths)
    read = [dcmread(p) for p in paths[::20]] + [dcmread(paths[-1])]
    assert len({d.SOPInstanceUID for d in read}) == len(read)
    for d in read:
        assert d.file_meta.MediaStorageSOPInstanceUID == d.SOPInstanceUID
        assert d.pixel_array.shape == (8, 8)
    headers = [dcmread(p, stop_before_pixels=True) for p in paths]
    assert len({d.SOPInstanceUID for d in headers}) == 400
    assert len({d.SeriesInstanceUID for d in headers}) == 10
    assert len({d.StudyInstanceUID for d in headers}) == 5
    assert len({d.PatientID for d in headers}) == 3
    series0 = [d for d in headers if d.SeriesInstanceUID == headers[0].SeriesInstanceUID]
    assert sorted(int(d.InstanceNumber) for d in series0) == list(range(1, 41))
    assert sorted(float(d.ImagePositionPatient[2]) for d in series0) == [-5.0 * i for i in range(39, -1, -1)]


def test_generate_many_seed_and_header_only(tmp_path):
    a = generate_many(tmp_path / "a", 5, seed="s", pixels=False)
    b = generate_many(tmp_path / "b", 5, seed="s", pixels=False)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    c = generate_many(tmp_path / "c", 5, seed="t", pixels=False)
    assert a[0].read_bytes() != c[0].read_bytes()
    assert "PixelData" not in dcmread(a[0])


def test_generate_many_with_one_rdsr_per_study(tmp_path):
    paths = generate_many(tmp_path / "r", 30, files_per_series=5, series_per_study=3,
                          rdsr_per_study=True)
    srs = [p for p in paths if p.name == "RDSR.dcm"]
    assert len(paths) == 32 and len(srs) == 2
    images = {}
    for p in paths:
        ds = dcmread(p, stop_before_pixels=True)
        if ds.Modality == "CT":
            images.setdefault(ds.StudyInstanceUID, set()).add(ds.PatientID)
    for p in srs:
        sr = dcmread(p)
        assert sr.StudyInstanceUID in images and {sr.PatientID} == images[sr.StudyInstanceUID]
        events = [i for i in sr.ContentSequence if i.ConceptNameCodeSequence[0].CodeValue == "113819"]
        assert len(events) == 3
