"""core.viewing thumbnails (PNG disk cache) and the SR tree."""
from __future__ import annotations

import os
import struct
import zlib

import numpy as np
import pytest
from pydicom.data import get_testdata_file

from dosetrail.core.config import thumbnail_dir
from dosetrail.core.viewing import thumbnails
from dosetrail.core.viewing.sr_tree import SRNode, sr_tree
from dosetrail.core.viewing.thumbnails import series_thumbnail, thumbnail_for, write_png


def _tf(name: str) -> str:
    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"pydicom test file {name} not installed")
    return path


def _read_png(path) -> tuple[int, int, int, np.ndarray]:
    """Minimal PNG reader for filter-0 files written by write_png."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        tag, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        assert crc == zlib.crc32(tag + body) & 0xFFFFFFFF
        if tag == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, _, colour, *_ = header
    channels = 3 if colour == 2 else 1
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + width * channels)
    return width, height, colour, raw[:, 1:].reshape(height, width, channels).squeeze()


def test_write_png_roundtrip(tmp_path):
    grey = (np.arange(12 * 7) % 256).astype(np.uint8).reshape(7, 12)
    write_png(tmp_path / "g.png", grey)
    w, h, colour, pixels = _read_png(tmp_path / "g.png")
    assert (w, h, colour) == (12, 7, 0)
    np.testing.assert_array_equal(pixels, grey)
    rgb = np.zeros((5, 4, 3), np.uint8)
    rgb[..., 1] = 200
    write_png(tmp_path / "c.png", rgb)
    assert _read_png(tmp_path / "c.png")[2] == 2
    with pytest.raises(ValueError):
        write_png(tmp_path / "bad.png", np.zeros((2, 2, 4), np.uint8))


def test_thumbnail_is_cached_under_thumbnail_dir(tmp_path, monkeypatch):
    src = tmp_path / "ct.dcm"
    src.write_bytes(open(_tf("CT_small.dcm"), "rb").read())
    png = thumbnail_for(str(src), size=64)
    assert png is not None and png.is_file()
    assert thumbnail_dir() in png.parents
    w, h, colour, pixels = _read_png(png)
    assert (w, h, colour) == (64, 64, 0)
    assert pixels.std() > 10  # an image, not a blank square

    calls = []
    real = thumbnails.render_thumbnail
    monkeypatch.setattr(thumbnails, "render_thumbnail", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert thumbnail_for(str(src), size=64) == png  # cache hit: nothing decoded
    assert calls == []
    st = os.stat(src)
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # file changed: new key
    again = thumbnail_for(str(src), size=64)
    assert again != png and len(calls) == 1


def test_series_thumbnail_colour_and_sr(tmp_path):
    png = series_thumbnail([_tf("SC_rgb_rle.dcm")], size=50, cache_dir=tmp_path)
    w, h, colour, pixels = _read_png(png)
    assert (w, h, colour) == (50, 50, 2)
    np.testing.assert_array_equal(pixels[0, 0], [255, 0, 0])
    # an SR has no image: no thumbnail, and a marker so it is not decoded again
    assert series_thumbnail([_tf("test-SR.dcm")], cache_dir=tmp_path) is None
    assert list(tmp_path.rglob("*.none"))
    assert series_thumbnail([], cache_dir=tmp_path) is None
    # a series whose middle file is broken falls back to a neighbour
    broken = tmp_path / "broken.dcm"
    broken.write_bytes(b"junk")
    assert series_thumbnail([_tf("MR_small.dcm"), str(broken), _tf("MR_small.dcm")], cache_dir=tmp_path)


def test_non_square_thumbnail_keeps_aspect(tmp_path):
    png = thumbnail_for(_tf("JPEG2000.dcm"), size=128, cache_dir=tmp_path)  # 1024 x 256
    w, h, _, _ = _read_png(png)
    assert (w, h) == (32, 128)


def test_sr_tree_of_pydicom_report():
    root = sr_tree(_tf("test-SR.dcm"))
    assert isinstance(root, SRNode)
    assert root.value and "SR" in root.value
    assert root.children
    labels = [n.label for n in root.children]
    assert all(isinstance(label, str) and label for label in labels)


def test_sr_tree_of_a_ct_dose_report(openrem_dir):
    root = sr_tree(str(openrem_dir / "CT-RDSR-Siemens_Flash-TAP-SS.dcm"))
    assert root.label == "X-Ray Radiation Dose Report"
    assert root.code == "113701 (DCM)"
    dlps = root.find("DLP")
    assert dlps and all(n.value_type == "NUM" for n in dlps)
    assert all(n.value.split()[-1].lower().startswith("mgy") for n in dlps)
    float(dlps[0].value.split()[0])  # a number with its unit
    procedure = root.find("Procedure reported")[0]
    assert "Computed Tomography X-Ray" in procedure.value and "(SRT)" in procedure.value


def test_sr_tree_rejects_images():
    with pytest.raises(ValueError, match="not a structured report"):
        sr_tree(_tf("CT_small.dcm"))
    with pytest.raises(ValueError):
        sr_tree(__file__)
