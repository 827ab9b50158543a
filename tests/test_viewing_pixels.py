"""core.viewing.pixels: decoding of series for the viewer (pydicom test files)."""
from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.encaps import encapsulate

from dosetrail.core.viewing.pixels import load_series
from dosetrail.core.viewing.windowing import CT_PRESETS, auto_window, window_to_uint8


def _tf(name: str) -> str:
    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"pydicom test file {name} not installed")
    return path


def _copy(name: str, tmp_path, out: str, **changes) -> str:
    ds = pydicom.dcmread(_tf(name))
    for key, value in changes.items():
        setattr(ds, key, value)
    target = tmp_path / out
    ds.save_as(target, enforce_file_format=True)
    return str(target)


def test_ct_rescale_is_applied_and_ct_is_flagged():
    path = _tf("CT_small.dcm")
    ds = pydicom.dcmread(path)
    vol = load_series([path])
    raw = ds.pixel_array.astype(np.float32)
    expected = raw * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    assert vol.frames.shape == (1,) + raw.shape
    assert vol.frames.dtype == np.float32
    np.testing.assert_allclose(vol.frames[0], expected)
    assert vol.is_ct and vol.modality == "CT"
    assert vol.errors == []
    assert vol.pixel_spacing == pytest.approx(tuple(float(v) for v in ds.PixelSpacing))
    # no WindowCenter in the file: a percentile window inside the data range
    center, width = vol.window
    assert expected.min() <= center <= expected.max() and width > 1


def test_rle_mr_uses_the_files_window():
    vol = load_series([_tf("MR_small_RLE.dcm")])
    plain = load_series([_tf("MR_small.dcm")])
    assert vol.frames.shape == (1, 64, 64)
    np.testing.assert_array_equal(vol.frames, plain.frames)  # lossless
    assert vol.window == (600.0, 1600.0) and vol.file_window == (600.0, 1600.0)
    assert not vol.is_ct


def test_jpeg2000_decodes_through_pylibjpeg():
    vol = load_series([_tf("JPEG2000.dcm")])
    assert vol.errors == []
    assert vol.frames.shape == (1, 1024, 256)
    assert float(vol.frames.std()) > 0


def test_12bit_jpeg_extended_gives_a_clear_reason_not_a_crash():
    path = _tf("JPEG-lossy.dcm")
    vol = load_series([path])
    # no installed plugin decodes this 12-bit JPEG Extended file
    assert vol.frame_count == 0
    (bad, reason), = vol.errors
    assert bad == path
    assert "JPEG Extended" in reason and "1.2.840.10008.1.2.4.51" in reason


def test_rgb_rle_and_multiframe_colour():
    vol = load_series([_tf("SC_rgb_rle.dcm")])
    assert vol.is_colour and vol.photometric == "RGB" and vol.window is None
    assert vol.frames.shape == (1, 100, 100, 3)
    np.testing.assert_array_equal(vol.frames[0, 0, 0], [255, 0, 0])  # top stripe is red
    two = load_series([_tf("SC_rgb_rle_2frame.dcm")])
    assert two.frames.shape == (2, 100, 100, 3)


def test_ybr_is_converted_to_rgb():
    vol = load_series([_tf("SC_ybr_full_422_uncompressed.dcm")])
    assert vol.photometric == "RGB"
    red = vol.frames[0, 0, 0]
    assert red[0] > 240 and red[1] < 15 and red[2] < 15


def test_monochrome1_is_marked_inverted(tmp_path):
    path = _copy("CT_small.dcm", tmp_path, "mono1.dcm", PhotometricInterpretation="MONOCHROME1")
    vol = load_series([path])
    assert vol.photometric == "MONOCHROME1" and vol.inverted
    normal = load_series([_tf("CT_small.dcm")])
    assert not normal.inverted
    c, w = vol.window
    np.testing.assert_array_equal(
        window_to_uint8(vol.frames[0], c, w, invert=vol.inverted),
        255 - window_to_uint8(normal.frames[0], c, w),
    )


def test_multiframe_monochrome_and_series_stacking(tmp_path):
    ds = pydicom.dcmread(_tf("MR_small.dcm"))
    base = ds.pixel_array
    cube = np.stack([base, base + 100, base + 200]).astype(base.dtype)
    ds.NumberOfFrames = 3
    ds.PixelData = cube.tobytes()
    multi = tmp_path / "multi.dcm"
    ds.save_as(multi, enforce_file_format=True)
    vol = load_series([str(multi), _tf("MR_small.dcm")])
    assert vol.frames.shape == (4, 64, 64)
    np.testing.assert_array_equal(vol.frames[1] - vol.frames[0], np.full((64, 64), 100, np.float32))
    assert vol.frame_paths == [str(multi)] * 3 + [_tf("MR_small.dcm")]
    limited = load_series([str(multi), _tf("MR_small.dcm")], max_frames=3)
    assert limited.frame_count == 3 and "first 3 frames" in limited.errors[0][1]


def test_undecodable_syntax_and_non_images_are_reported_per_file(tmp_path):
    ds = pydicom.dcmread(_tf("CT_small.dcm"))
    ds.file_meta.TransferSyntaxUID = "1.2.3.4.5.6.7"
    ds.PixelData = encapsulate([b"\x00" * 64])
    ds["PixelData"].VR = "OB"
    fake = tmp_path / "fake.dcm"
    ds.save_as(fake, enforce_file_format=True)
    junk = tmp_path / "junk.dcm"
    junk.write_bytes(b"not dicom at all" * 20)
    vol = load_series([str(fake), _tf("test-SR.dcm"), str(junk), _tf("CT_small.dcm")])
    assert vol.frame_count == 1  # the good file still loads
    reasons = dict(vol.errors)
    assert "1.2.3.4.5.6.7" in reasons[str(fake)] and "cannot decode" in reasons[str(fake)]
    assert "no image" in reasons[_tf("test-SR.dcm")]
    assert "DICOM" in reasons[str(junk)]


def test_mixed_sizes_keep_the_most_common():
    vol = load_series([_tf("MR_small.dcm"), _tf("CT_small.dcm"), _tf("MR_small.dcm")])
    assert vol.frames.shape == (2, 64, 64)
    assert [p for p, _ in vol.errors] == [_tf("CT_small.dcm")]


def test_window_helpers():
    data = np.arange(1000, dtype=np.float32)
    c, w = auto_window(data)
    assert 9 < c - w / 2 < 11 and 988 < c + w / 2 < 991
    out = window_to_uint8(np.array([-1000.0, 40.0, 1000.0]), *CT_PRESETS["Brain"])
    assert list(out) == [0, 127, 255]
    assert CT_PRESETS["Lung"] == (-600.0, 1500.0)
    assert auto_window(np.zeros(10))[1] >= 1.0


def test_max_bytes_limits_frames():
    path = _tf("MR_small.dcm")  # 64 x 64 -> 16 kB per float32 frame
    vol = load_series([path] * 10, max_bytes=3 * 64 * 64 * 4)
    assert vol.frame_count == 3
    assert sum("first 3 frames" in reason for _, reason in vol.errors) == 7


def test_jpeg_ls_lossless_and_j2k_lossless_equal_the_uncompressed_file():
    plain = load_series([_tf("MR_small.dcm")]).frames
    for name in ("MR_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm"):
        vol = load_series([_tf(name)])
        assert vol.errors == [], name
        np.testing.assert_array_equal(vol.frames, plain)


def test_jpeg_baseline_ybr_multiframe_is_rgb():
    vol = load_series([_tf("examples_ybr_color.dcm")])
    assert vol.errors == []
    assert vol.frames.shape == (30, 240, 320, 3) and vol.photometric == "RGB"
