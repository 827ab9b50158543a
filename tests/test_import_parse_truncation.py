"""The truncation check of the per-file import parser: readable files pass, cut files are refused.

The check reads where the pixel data starts and compares the length it declares with
what is left. It must read that length the way pydicom does (implicit VR data under
an explicit transfer syntax, undefined lengths), and for a deflated data set compare
against the inflated data set rather than the compressed file.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import struct
import warnings
import zlib
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.datadict import tag_for_keyword
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import ExplicitVRLittleEndian

from dosetrail.core.cli.main import main
from dosetrail.core.importer.parse import parse_bytes, parse_path

# pydicom's own test files that really are cut short
KNOWN_TRUNCATED = {"MR_truncated.dcm", "rtplan_truncated.dcm"}


def _testdata(name: str) -> Path:
    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"pydicom test file {name} not installed")
    return Path(path)


def _both(tmp_path: Path, name: str, data: bytes):
    """The rejection from the in-memory parser and from the in-place (--link) parser."""
    path = tmp_path / name
    path.write_bytes(data)
    _ds, from_bytes = parse_bytes(name, data)
    _ds, from_path, _size = parse_path(name, str(path))
    return from_bytes, from_path


def _pixel_offset(data: bytes) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fh = io.BytesIO(data)
        pydicom.dcmread(fh, stop_before_pixels=True)
    return fh.tell()


def _meta_end(data: bytes) -> int:
    """Offset just past the file meta group (Part 10 file with a group length element)."""
    assert data[128:132] == b"DICM" and data[132:136] == b"\x02\x00\x00\x00" and data[136:138] == b"UL"
    return 144 + struct.unpack("<I", data[140:144])[0]


def _deflate(raw: bytes) -> bytes:
    comp = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return comp.compress(raw) + comp.flush()


# --- files pydicom reads must not be refused --------------------------------------------------

@pytest.mark.parametrize("name", ["SC_rgb_jpeg.dcm", "image_dfl.dcm"])
def test_readable_file_is_not_rejected(tmp_path, name):
    data = _testdata(name).read_bytes()
    assert _both(tmp_path, name, data) == (None, None)


@pytest.mark.parametrize("name", ["SC_rgb_jpeg.dcm", "image_dfl.dcm"])
def test_readable_file_imports_from_the_command_line(tmp_path, capsys, name):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(_testdata(name), folder / name)
    code = main(["import", str(folder / name), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["files_rejected"] == []
    assert doc["instances_imported"] == 1
    assert code == 0


def test_implicit_vr_data_under_explicit_syntax_reads_the_real_length(tmp_path):
    """Native pixel data written as implicit VR although the meta says explicit VR."""
    src = _testdata("MR_small_implicit.dcm")
    data = src.read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        meta = pydicom.dcmread(src, stop_before_pixels=True).file_meta
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buf = DicomBytesIO()
    write_file_meta_info(buf, meta, enforce_standard=True)
    mixed = b"\x00" * 128 + b"DICM" + buf.getvalue() + data[_meta_end(data):]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert pydicom.dcmread(io.BytesIO(mixed)).pixel_array.shape == (64, 64)
    assert _both(tmp_path, "mixed.dcm", mixed) == (None, None)
    for rejection in _both(tmp_path, "mixed_cut.dcm", mixed[:-100]):
        assert rejection is not None
        assert rejection.reason == "truncated file: pixel data declares 8192 bytes, only 8092 present"


def _sweep_files() -> list[Path]:
    """Every file of pydicom's installed test data folder (collected at import time)."""
    path = get_testdata_file("CT_small.dcm", download=False)
    return sorted(p for p in Path(path).parent.rglob("*") if p.is_file()) if path else []


def test_pydicom_test_data_readable_files_are_not_called_truncated(tmp_path):
    called_truncated = []
    for path in _sweep_files():
        if path.name in KNOWN_TRUNCATED:  # really truncated (checked below)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                pydicom.dcmread(path, stop_before_pixels=True)
            except Exception:  # noqa: BLE001 - not a file pydicom reads: nothing to compare with
                continue
        for rejection in _both(tmp_path, path.name, path.read_bytes()):
            if rejection is not None and "truncated" in rejection.reason:
                called_truncated.append((path.name, rejection.reason))
    assert called_truncated == []


# --- cut files must still be refused ----------------------------------------------------------

@pytest.mark.parametrize("name", sorted(KNOWN_TRUNCATED))
def test_pydicom_truncated_files_are_still_rejected(tmp_path, name):
    for rejection in _both(tmp_path, name, _testdata(name).read_bytes()):
        assert rejection is not None and rejection.kind == "rejected"
        assert rejection.reason.startswith("truncated file:")


def test_deflated_file_cut_in_the_middle_is_rejected(tmp_path):
    data = _testdata("image_dfl.dcm").read_bytes()
    start = _meta_end(data)
    cut = data[: start + (len(data) - start) // 2]
    for rejection in _both(tmp_path, "dfl_cut.dcm", cut):
        assert rejection is not None and rejection.kind == "rejected"
        assert rejection.reason.startswith("truncated file:")
        assert "deflate" in rejection.reason


def test_deflated_file_whose_inflated_pixel_data_is_short_is_rejected(tmp_path):
    """A whole deflate stream holding a data set whose pixel data was cut before compression."""
    data = _testdata("image_dfl.dcm").read_bytes()
    start = _meta_end(data)
    inflated = zlib.decompress(data[start:], -zlib.MAX_WBITS)
    rebuilt = data[:start] + _deflate(inflated)
    assert _both(tmp_path, "dfl_whole.dcm", rebuilt) == (None, None)
    short = data[:start] + _deflate(inflated[:-4000])
    for rejection in _both(tmp_path, "dfl_short.dcm", short):
        assert rejection is not None
        assert rejection.reason.startswith("truncated file: pixel data declares 262144 bytes")


def _fragments(data: bytes, pixel: int) -> list[tuple[int, int]]:
    """(start, end) of each item value of encapsulated pixel data starting at ``pixel``."""
    # the header is explicit (tag, OB, 2 reserved, undefined length) or implicit (tag, length)
    pos = pixel + (12 if data[pixel + 4:pixel + 6] == b"OB" else 8)
    items = []
    while data[pos:pos + 4] == b"\xfe\xff\x00\xe0":
        length = struct.unpack("<I", data[pos + 4:pos + 8])[0]
        items.append((pos + 8, pos + 8 + length))
        pos += 8 + length
    assert data[pos:pos + 8] == b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    return items[1:]  # the first item is the basic offset table


@pytest.mark.parametrize("name", ["SC_rgb_jpeg.dcm", "JPEG2000.dcm", "SC_rgb_rle_2frame.dcm"])
def test_encapsulated_file_cut_mid_fragment_is_rejected(tmp_path, name):
    data = _testdata(name).read_bytes()
    start, end = _fragments(data, _pixel_offset(data))[0]
    cut_at = (start + end) // 2
    for rejection in _both(tmp_path, "cut_" + name, data[:cut_at]):
        assert rejection is not None and rejection.kind == "rejected"
        assert rejection.reason == "truncated file: compressed pixel data has no end (sequence delimiter missing)"


@pytest.mark.parametrize("where", ["SOPClassUID", "SOPInstanceUID", "before pixel data"])
def test_file_cut_inside_a_header_element_is_rejected(tmp_path, where):
    data = _testdata("CT_small.dcm").read_bytes()
    if where == "before pixel data":
        cut_at = _pixel_offset(data) - 3
    else:
        ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
        raw = ds._dict[tag_for_keyword(where)]  # the raw element, not yet converted: where its value is
        cut_at = raw.value_tell + raw.length // 2
    for rejection in _both(tmp_path, "hdr_cut.dcm", data[:cut_at]):
        assert rejection is not None and rejection.kind == "rejected"
        assert rejection.reason == "truncated file: the file ends inside a header element"


def test_sweep_covers_the_test_data_folder():
    assert len(_sweep_files()) > 50, os.fspath(_testdata("CT_small.dcm").parent)
