"""Cuts the length checks alone missed: encapsulated pixel data near an earlier sequence delimiter,
native pixel data shorter than the image needs, a dose SR cut before its content tree.

(The pydicom test-data sweep in test_import_parse_truncation.py keeps every readable file accepted.)
"""
from __future__ import annotations

import io
import warnings

import pydicom
import pytest
from pydicom.data import get_testdata_file

from dosetrail.core.importer.parse import parse_bytes, parse_path

from synth import PatientSpec, make_ct_rdsr, make_projection_rdsr, small_encapsulated_image, write_dataset

NO_END = "truncated file: compressed pixel data has no end (sequence delimiter missing)"
NO_CONTENT = "truncated file: the dose report ends before its content tree"


def _both(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return parse_bytes(name, data)[1], parse_path(name, str(path))[1]


def _reasons(tmp_path, name, data):
    return [r.reason if r is not None else None for r in _both(tmp_path, name, data)]


def _pixel_offset(data: bytes) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fh = io.BytesIO(data)
        pydicom.dcmread(fh, stop_before_pixels=True)
    return fh.tell()


def test_encapsulated_pixel_data_cut_within_1_kib_of_an_earlier_sequence_delimiter(tmp_path):
    data = small_encapsulated_image(tmp_path / "enc.dcm").read_bytes()
    assert _reasons(tmp_path, "whole.dcm", data) == [None, None]
    pixel = _pixel_offset(data)
    delimiter = data.rfind(b"\xfe\xff\xdd\xe0\x00\x00\x00\x00", 0, pixel)  # the earlier sequence's
    assert delimiter > 0
    cuts = [c for c in range(pixel + 12, len(data) - 8, 7) if c - delimiter < 1024]
    assert len(cuts) > 20
    for cut in cuts:
        assert _reasons(tmp_path, "cut.dcm", data[:cut]) == [NO_END, NO_END], cut


def test_encapsulated_pixel_data_with_a_damaged_item_header_is_rejected(tmp_path):
    data = bytearray(small_encapsulated_image(tmp_path / "enc.dcm").read_bytes())
    pixel = _pixel_offset(bytes(data))
    table = pixel + 12  # the basic offset table item comes first
    second_item = table + 8 + int.from_bytes(data[table + 4:table + 8], "little")
    assert data[second_item:second_item + 4] == b"\xfe\xff\x00\xe0"
    data[second_item + 4:second_item + 8] = (10**6).to_bytes(4, "little")  # runs past the end
    assert _reasons(tmp_path, "bad_item.dcm", bytes(data)) == [NO_END, NO_END]


def test_native_pixel_data_shorter_than_the_image_is_rejected(tmp_path):
    src = get_testdata_file("CT_small.dcm", download=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(src)
    whole = len(ds.PixelData)
    assert whole == ds.Rows * ds.Columns * ds.BitsAllocated // 8
    ds.PixelData = ds.PixelData[: whole // 2]  # a writer that kept the lengths consistent, not the image
    buf = io.BytesIO()
    ds.save_as(buf)
    expected = (f"truncated file: pixel data holds {whole // 2} bytes, its image size "
                f"(rows x columns x frames x samples x bits) needs {whole}")
    assert _reasons(tmp_path, "short.dcm", buf.getvalue()) == [expected, expected]


@pytest.mark.parametrize("make", [make_ct_rdsr, make_projection_rdsr])
def test_dose_sr_cut_at_a_top_level_element_boundary_is_rejected(tmp_path, make):
    path = write_dataset(make(PatientSpec(patient_id="P1", name="DOE^JO")), tmp_path / "sr.dcm")
    data = path.read_bytes()
    assert _reasons(tmp_path, "whole.dcm", data) == [None, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(io.BytesIO(data))
    content = ds.get_item(0x0040A730)
    header = 12  # explicit VR SQ: tag, VR, 2 reserved bytes, 4-byte length
    cut = content.value_tell - header
    assert data[cut:cut + 4] == b"\x40\x00\x30\xa7"
    assert _reasons(tmp_path, "cut.dcm", data[:cut]) == [NO_CONTENT, NO_CONTENT]
