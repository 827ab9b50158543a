"""gui.widgets.viewer and sr_tree dialogs (offscreen), with pydicom's test files."""
from __future__ import annotations

import numpy as np
import pydicom
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from pydicom.data import get_testdata_file

from dosetrail.core.viewing.pixels import load_series
from dosetrail.core.viewing.windowing import CT_PRESETS
from dosetrail.gui.widgets.sr_tree import SRTreeDialog, build_model
from dosetrail.gui.widgets.viewer import AUTO, FILE, ImageViewerDialog
from gui_fakes import FakeLibrary

pytestmark = pytest.mark.gui


def _tf(name: str) -> str:
    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"pydicom test file {name} not installed")
    return path


def _stack(tmp_path, n=5) -> str:
    ds = pydicom.dcmread(_tf("CT_small.dcm"))
    base = ds.pixel_array.astype(np.int16)
    ds.NumberOfFrames = n
    ds.PixelData = np.stack([base + 10 * i for i in range(n)]).astype(np.int16).tobytes()
    path = tmp_path / "ct_multi.dcm"
    ds.save_as(path, enforce_file_format=True)
    return str(path)


def _viewer(qtbot, paths) -> ImageViewerDialog:
    dialog = ImageViewerDialog(load_series(paths), title="test")
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _wheel(widget, dy: int, modifiers=Qt.NoModifier) -> None:
    event = QWheelEvent(QPointF(50, 50), QPointF(widget.mapToGlobal(QPoint(50, 50))), QPoint(0, 0),
                        QPoint(0, dy), Qt.NoButton, modifiers, Qt.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_ct_presets_and_slice_scrolling(qtbot, tmp_path):
    dialog = _viewer(qtbot, [_stack(tmp_path, 5)])
    items = [dialog.preset.itemText(i) for i in range(dialog.preset.count())]
    assert items == [AUTO] + list(CT_PRESETS)
    assert dialog.index == 2 and dialog.slider.maximum() == 4 and dialog.slider.isVisible()
    dialog.preset.setCurrentText("Lung")
    assert dialog.current_window() == pytest.approx((-600, 1500))
    assert dialog.window_label.text() == "C -600  W 1500"
    dialog.preset.setCurrentText("Brain")
    assert dialog.current_window() == pytest.approx((40, 80))

    shown = dialog.image_view.getImageItem().image
    np.testing.assert_array_equal(shown, dialog.volume.frames[2].T)
    qtbot.keyClick(dialog, Qt.Key_PageDown)
    assert dialog.index == 3 and dialog.slider.value() == 3
    np.testing.assert_array_equal(dialog.image_view.getImageItem().image, dialog.volume.frames[3].T)
    assert dialog.current_window() == pytest.approx((40, 80))  # window kept while scrolling
    qtbot.keyClick(dialog, Qt.Key_PageUp)
    qtbot.keyClick(dialog, Qt.Key_PageUp)
    assert dialog.index == 1
    qtbot.keyClick(dialog, Qt.Key_End)
    assert dialog.index == 4 and dialog.slice_label.text() == "Image 5 / 5"
    viewport = dialog.image_view.ui.graphicsView.viewport()
    _wheel(viewport, 120)  # wheel up: previous slice
    assert dialog.index == 3
    _wheel(viewport, -120)
    _wheel(viewport, -120)  # clamped at the last
    assert dialog.index == 4
    _wheel(viewport, 120, Qt.ControlModifier)  # Ctrl+wheel zooms, no slice change
    assert dialog.index == 4
    dialog.slider.setValue(0)
    assert dialog.index == 0


def test_file_window_first_and_auto(qtbot):
    dialog = _viewer(qtbot, [_tf("MR_small_RLE.dcm")])
    assert dialog.preset.itemText(0) == FILE and dialog.preset.count() == 2  # not CT: no presets
    assert dialog.current_window() == pytest.approx((600, 1600))
    assert not dialog.slider.isVisible()
    dialog.preset.setCurrentText(AUTO)
    c, w = dialog.current_window()
    frame = dialog.volume.frames[0]
    assert frame.min() <= c <= frame.max() and w < 1600


def test_monochrome1_uses_inverted_lut(qtbot, tmp_path):
    ds = pydicom.dcmread(_tf("MR_small.dcm"))
    ds.PhotometricInterpretation = "MONOCHROME1"
    path = tmp_path / "m1.dcm"
    ds.save_as(path, enforce_file_format=True)
    inverted = _viewer(qtbot, [str(path)])
    normal = _viewer(qtbot, [_tf("MR_small.dcm")])
    lut_inv = inverted.image_view.getHistogramWidget().item.gradient.getLookupTable(256, alpha=False)
    lut_norm = normal.image_view.getHistogramWidget().item.gradient.getLookupTable(256, alpha=False)
    assert lut_inv[0][0] > 200 and lut_inv[-1][0] < 50  # low values white
    assert lut_norm[0][0] < 50 and lut_norm[-1][0] > 200


def test_colour_and_multiframe_colour(qtbot):
    dialog = _viewer(qtbot, [_tf("SC_rgb_rle_2frame.dcm")])
    assert dialog.current_window() is None and not dialog.preset.isEnabled()
    image = dialog.image_view.getImageItem().image
    assert image.shape == (100, 100, 3)
    assert dialog.slider.maximum() == 1


def test_undecodable_series_shows_reason(qtbot):
    dialog = _viewer(qtbot, [_tf("JPEG-lossy.dcm")])
    assert dialog.message.isVisible()
    assert "cannot be shown" in dialog.message.text() and "JPEG Extended" in dialog.message.text()
    assert not dialog.image_view.isVisible()
    dialog.step(1)  # no crash without frames
    partial = _viewer(qtbot, [_tf("JPEG-lossy.dcm"), _tf("JPEG2000.dcm")])
    assert partial.volume.frame_count == 1 and partial.message.isVisible()
    assert "1 file of this series is not shown" in partial.message.text()


def test_viewer_renders_offscreen(qtbot, tmp_path):
    dialog = _viewer(qtbot, [_tf("CT_small.dcm")])
    out = tmp_path / "viewer.png"
    assert dialog.grab().save(str(out)) and out.stat().st_size > 1000


def test_sr_dialog_tree_and_filter(qtbot, openrem_dir):
    path = str(openrem_dir / "CT-RDSR-Siemens_Flash-TAP-SS.dcm")
    dialog = SRTreeDialog([path, __file__], FakeLibrary(), title="dose")
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        pass
    model = dialog.model
    assert model.rowCount() == 2  # the report, and a row for the unreadable file
    root = model.index(0, 0)
    assert root.data() == "X-Ray Radiation Dose Report"
    assert model.index(0, 2).data() == "113701 (DCM)"
    assert "could not be read" in dialog.status.text()

    def walk(parent):
        for r in range(model.rowCount(parent)):
            idx = model.index(r, 0, parent)
            yield idx, model.index(r, 1, parent).data()
            yield from walk(idx)

    dlps = [(idx, value) for idx, value in walk(root) if idx.data() == "DLP"]
    assert dlps and all("mGy" in value for _, value in dlps)
    dialog.filter.setText("dlp")
    visible = [idx for idx, _ in walk(root)
               if not dialog.view.isRowHidden(idx.row(), idx.parent())
               and all(not dialog.view.isRowHidden(p.row(), p.parent()) for p in _parents(idx))]
    assert visible and all(_is_dlp(idx.data()) or _has_dlp_below(model, idx) for idx in visible)
    # the abbreviation also finds the spelled-out concept (and the other way round)
    totals = [idx for idx, _ in walk(root) if idx.data() == "CT Dose Length Product Total"]
    assert totals and all(idx in visible for idx in totals)
    dialog.filter.setText("dose length product")
    assert all(not dialog.view.isRowHidden(idx.row(), idx.parent()) for idx, _ in dlps)
    dialog.filter.setText("")
    assert not any(dialog.view.isRowHidden(idx.row(), idx.parent()) for idx, _ in walk(root))


def _parents(idx):
    p = idx.parent()
    while p.isValid():
        yield p
        p = p.parent()


def _is_dlp(label: str | None) -> bool:
    text = (label or "").lower()
    return "dlp" in text or "dose length product" in text


def _has_dlp_below(model, idx) -> bool:
    for r in range(model.rowCount(idx)):
        child = model.index(r, 0, idx)
        if _is_dlp(child.data()) or _has_dlp_below(model, child):
            return True
    return False


def test_sr_model_from_pydicom_sr():
    from dosetrail.core.viewing.sr_tree import sr_tree

    tree = sr_tree(_tf("test-SR.dcm"))
    model = build_model([("x", tree)])
    assert model.index(0, 0).data() == tree.label
    assert model.rowCount(model.index(0, 0)) == len(tree.children)


def test_pixel_readout_in_modality_units(qtbot, tmp_path):
    dialog = _viewer(qtbot, [_stack(tmp_path, 3)])
    frame = dialog.volume.frames[dialog.index]
    assert dialog.pixel_text(5, 7) == f"(5, 7): {frame[5, 7]:.0f} HU"
    assert dialog.pixel_text(-1, 0) == "" and dialog.pixel_text(0, 10_000) == ""
    item = dialog.image_view.getImageItem()
    dialog._mouse_moved(item.mapToScene(QPointF(7.5, 5.5)))  # x = column, y = row
    assert dialog.pixel_label.text() == dialog.pixel_text(5, 7)
    colour = _viewer(qtbot, [_tf("SC_rgb_rle.dcm")])
    assert colour.pixel_text(0, 0) == "(0, 0): RGB 255, 0, 0"


def test_sr_filter_knows_dose_abbreviations(qtbot):
    from dosetrail.core.viewing.sr_tree import SRNode
    from dosetrail.gui.widgets.sr_tree import filter_terms, matches

    events = SRNode("CT Acquisition", children=[
        SRNode("Mean CTDIvol", "12.5 mGy"), SRNode("DLP", "280 mGy.cm"),
        SRNode("Target Region", "Chest")])
    tree = SRNode("X-Ray Radiation Dose Report", "X-Ray Radiation Dose SR Storage", children=[
        SRNode("CT Accumulated Dose Data", children=[SRNode("CT Dose Length Product Total", "280 mGy.cm")]),
        events,
        SRNode("Accumulated X-Ray Dose Data", children=[SRNode("Dose Area Product Total", "0.3 Gy.m2"),
                                                        SRNode("Accumulated Average Glandular Dose", "1.2 mGy")]),
        SRNode("Comment", "computed tomography dose index volume as displayed"),
    ])
    dialog = SRTreeDialog([], FakeLibrary(), title="dose")
    qtbot.addWidget(dialog)
    dialog.set_trees([("a.dcm", tree)])
    model, view = dialog.model, dialog.view

    def shown() -> set[str]:
        out = set()

        def walk(parent, visible):
            for r in range(model.rowCount(parent)):
                idx = model.index(r, 0, parent)
                v = visible and not view.isRowHidden(r, parent)
                if v:
                    out.add(idx.data())
                walk(idx, v)

        walk(model.index(0, 0), True)
        return out

    dialog.filter.setText("DLP")
    assert {"CT Dose Length Product Total", "DLP"} <= shown()
    assert "Dose Area Product Total" not in shown()
    dialog.filter.setText("dose length product")
    assert {"CT Dose Length Product Total", "DLP"} <= shown()
    dialog.filter.setText("ctdi")
    assert {"Mean CTDIvol", "Comment"} <= shown() and "DLP" not in shown()
    dialog.filter.setText("DAP")
    assert "Dose Area Product Total" in shown() and "DLP" not in shown()
    dialog.filter.setText("agd")
    assert "Accumulated Average Glandular Dose" in shown()
    dialog.filter.setText("CHEST")  # values match too, case-insensitively
    assert "Target Region" in shown() and "DLP" not in shown()
    dialog.filter.setText("  ")
    assert "Dose Area Product Total" in shown() and "Target Region" in shown()
    assert filter_terms("DLP") == ["dlp", "dose length product"]
    assert matches(filter_terms("dose-length product"), "DLP")
    assert not matches(filter_terms("agd"), "DLP", "280 mGy.cm")
