"""Hostile inputs are really hostile (and the good parts really good)."""
from __future__ import annotations

import io
import zipfile

import pytest
from pydicom import dcmread
from pydicom.errors import InvalidDicomError

from synth import (
    SLIP_MEMBERS,
    garbage_file,
    make_ct_series,
    make_encrypted_zip,
    make_nested_zip,
    make_zip_bomb,
    make_zip_slip,
    no_preamble_dicom,
    no_uid_dicom,
    truncated_file,
    write_study,
)


def test_zip_slip_members_escape(tmp_path):
    z = make_zip_slip(tmp_path / "slip.zip")
    with zipfile.ZipFile(z) as zf:
        names = zf.namelist()
        assert set(SLIP_MEMBERS) <= set(names) and "good/IM1.dcm" in names
        assert any(n.startswith("/") for n in names)
        assert any(".." in n.split("/") for n in names)
        for n in names:
            assert dcmread(io.BytesIO(zf.read(n))).SOPInstanceUID


def test_zip_bomb_ratio(tmp_path):
    z = make_zip_bomb(tmp_path / "bomb.zip", size_mb=20)
    (info,) = zipfile.ZipFile(z).infolist()
    assert info.file_size == 20 * 2**20
    assert info.file_size / info.compress_size > 1000
    assert z.stat().st_size < 100_000


def test_nested_zip_depth(tmp_path):
    z = make_nested_zip(tmp_path / "n.zip", depth=3)
    data, depth = z.read_bytes(), 0
    while True:
        depth += 1
        zf = zipfile.ZipFile(io.BytesIO(data))
        inner = [n for n in zf.namelist() if n.endswith(".zip")]
        dicoms = [n for n in zf.namelist() if n.endswith(".dcm")]
        assert dicoms
        if not inner:
            assert len(dicoms) == 2
            break
        data = zf.read(inner[0])
    assert depth == 3


def test_encrypted_zip_needs_password(tmp_path):
    z = make_encrypted_zip(tmp_path / "e.zip")
    with zipfile.ZipFile(z) as zf:
        (info,) = zf.infolist()
        assert info.flag_bits & 0x1
        with pytest.raises(RuntimeError, match="encrypted"):
            zf.read(info)


def test_truncated_file_fails_to_parse_fully(tmp_path):
    (src,) = write_study(make_ct_series(n_slices=1), tmp_path, nested=False)
    cut = truncated_file(src, tmp_path / "cut.dcm", keep_bytes=src.stat().st_size // 2)
    assert cut.read_bytes() == src.read_bytes()[: src.stat().st_size // 2]
    with pytest.raises(Exception):  # noqa: B017 - pydicom raises various errors on truncation
        dcmread(cut).pixel_array  # noqa: B018


def test_garbage_files(tmp_path):
    plain = garbage_file(tmp_path / "g.dcm", 2000, seed=1)
    assert plain.stat().st_size == 2000
    with pytest.raises(InvalidDicomError):
        dcmread(plain)
    fake = garbage_file(tmp_path / "fake.dcm", 2000, dicm_marker=True)
    raw = fake.read_bytes()
    assert raw[128:132] == b"DICM" and len(raw) == 2000
    try:
        ds = dcmread(fake)
    except Exception:  # noqa: BLE001 - failing to parse is one acceptable outcome
        return
    assert "SOPInstanceUID" not in ds  # or it parses into nonsense without identity


def test_no_preamble_dicom_parses_with_force(tmp_path):
    src = make_ct_series(n_slices=1)[0]
    path = no_preamble_dicom(tmp_path / "bare", src)
    raw = path.read_bytes()
    assert raw[128:132] != b"DICM" and raw[:2] == b"\x08\x00"
    with pytest.raises(InvalidDicomError):
        dcmread(path)
    ds = dcmread(path, force=True)
    assert ds.SOPInstanceUID == src.SOPInstanceUID and ds.SOPClassUID == src.SOPClassUID


def test_no_uid_dicom(tmp_path):
    path = no_uid_dicom(tmp_path / "nouid.dcm")
    ds = dcmread(path)
    assert path.read_bytes()[128:132] == b"DICM"
    for keyword in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
        assert keyword not in ds
    assert "MediaStorageSOPInstanceUID" not in ds.file_meta
    assert ds.Modality == "CT"


def test_zip_bomb_that_lies_about_its_size(tmp_path):
    z = make_zip_bomb(tmp_path / "liar.zip", size_mb=5, lie_about_size=True)
    with zipfile.ZipFile(z) as zf:
        (info,) = zf.infolist()
        assert info.file_size == info.compress_size  # declared ratio 1:1
        with pytest.raises(zipfile.BadZipFile):
            zf.read(info)  # stops at the declared size, then the CRC fails
    import zlib

    raw = z.read_bytes()
    start = 30 + len(info.filename) + len(info.extra)
    inflated = zlib.decompressobj(-15).decompress(raw[info.header_offset + start:
                                                      info.header_offset + start + info.compress_size])
    assert len(inflated) == 5 * 2**20  # the real payload
