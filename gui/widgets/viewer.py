"""A simple image viewer for one series (pyqtgraph ImageView).

Slice scrolling with the slider, the mouse wheel (Ctrl+wheel zooms) and
PageUp/PageDown; window/level presets for CT and automatic windows for the
rest; MONOCHROME1 shown inverted; colour images as they are. Pixels come
decoded from :func:`dosetrail.core.viewing.pixels.load_series` (the GUI never
reads DICOM itself).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from dosetrail.core.api import CT_PRESETS, auto_window

from ..formatting import plural

AUTO = "Auto"
FILE = "From file"


def _display(frame: np.ndarray) -> np.ndarray:
    """Rows/columns to pyqtgraph's x/y order (x = column)."""
    return frame.transpose(1, 0, 2) if frame.ndim == 3 else frame.T


class ImageViewerDialog(QDialog):
    """Shows a decoded series (:class:`~dosetrail.core.viewing.pixels.Volume`).

    Parameters
    ----------
    volume
        The decoded frames (may be empty: then only the reasons are shown).
    title
        Window title, e.g. ``"Series 3 — CHEST 1.0 B70f (CT)"``.
    parent
        Owning widget.
    """

    sliceChanged = Signal(int)

    def __init__(self, volume, title: str = "Image viewer", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.volume = volume
        self.setWindowTitle(title)
        self.resize(760, 720)
        self.index = 0
        self._window: tuple[float, float] | None = None
        layout = QVBoxLayout(self)

        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.message.setVisible(False)
        layout.addWidget(self.message)

        self.image_view = pg.ImageView()
        self.image_view.ui.roiBtn.hide()
        self.image_view.ui.menuBtn.hide()
        self.image_view.view.setMenuEnabled(False)
        layout.addWidget(self.image_view, 1)

        controls = self.controls = QHBoxLayout()
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setPageStep(1)
        self.slider.setFocusPolicy(Qt.NoFocus)  # keys go to the dialog's shortcuts
        self.slider.valueChanged.connect(self.set_slice)
        self.slice_label = QLabel("")
        self.slice_label.setMinimumWidth(110)
        self.preset = QComboBox()
        self.preset.setToolTip("Window/level")
        self.preset.currentTextChanged.connect(self._preset_chosen)
        self.window_label = QLabel("")
        self.window_label.setMinimumWidth(130)
        self.pixel_label = QLabel("")
        self.pixel_label.setMinimumWidth(150)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.slice_label)
        self.window_caption = QLabel("Window:")
        controls.addWidget(self.window_caption)
        controls.addWidget(self.preset)
        controls.addWidget(self.window_label)
        controls.addWidget(self.pixel_label)
        layout.addLayout(controls)
        self.image_view.scene.sigMouseMoved.connect(self._mouse_moved)

        self.image_view.ui.graphicsView.viewport().installEventFilter(self)
        for key, delta in ((Qt.Key_PageUp, -1), (Qt.Key_PageDown, 1), (Qt.Key_Home, -10**9), (Qt.Key_End, 10**9)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(lambda d=delta: self.step(d))
        self.image_view.getHistogramWidget().item.sigLevelsChanged.connect(self._levels_changed)
        self._setup()

    # ---- setup -------------------------------------------------------------
    def _setup(self) -> None:
        vol = self.volume
        problems = list(vol.errors)
        if vol.frame_count == 0:
            reasons = "\n".join(f"• {_short(p)}: {r}" for p, r in problems[:8]) or "• the series has no files"
            self.message.setText(f"<b>This series cannot be shown.</b><br>{_html(reasons)}")
            self.message.setTextFormat(Qt.RichText)
            self.message.setVisible(True)
            self.message.setAlignment(Qt.AlignTop | Qt.AlignLeft)
            self.layout().setStretch(0, 1)
            self.layout().setStretch(1, 0)
            for w in (self.image_view, self.slider, self.preset, self.window_label, self.window_caption):
                w.setEnabled(False)
                w.setVisible(False)
            self.slice_label.setText("")
            self.resize(640, 240)
            return
        if problems:
            first = f"{_short(problems[0][0])}: {problems[0][1]}"
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            verb = "is" if len(problems) == 1 else "are"
            self.message.setText(f"{plural(len(problems), 'file')} of this series {verb} not shown — {first}{more}")
            self.message.setToolTip("\n".join(f"{p}: {r}" for p, r in problems))
            self.message.setVisible(True)
        if vol.inverted:
            self.image_view.setColorMap(pg.ColorMap([0.0, 1.0], [(255, 255, 255), (0, 0, 0)]))
        self.slider.setRange(0, vol.frame_count - 1)
        self.slider.setVisible(vol.frame_count > 1)
        if vol.frame_count == 1:
            self.controls.insertStretch(2, 1)  # keep the window controls at the right
        self._fill_presets()
        start = vol.frame_count // 2
        self.index = start
        spacing = vol.pixel_spacing
        scale = (spacing[1], spacing[0]) if spacing and spacing[0] > 0 and spacing[1] > 0 else None
        frame = vol.frames[start]
        if vol.is_colour:
            self.image_view.setImage(_display(frame), levels=(0, 255), autoLevels=False, scale=scale)
            self.image_view.getHistogramWidget().setVisible(False)
        else:
            c, w = vol.window or auto_window(frame)
            self.image_view.setImage(_display(frame), levels=(c - w / 2, c + w / 2), autoLevels=False,
                                     scale=scale)
            self._window = (c, w)
        self.slider.blockSignals(True)
        self.slider.setValue(start)
        self.slider.blockSignals(False)
        self._update_labels()

    def _fill_presets(self) -> None:
        vol = self.volume
        self.preset.blockSignals(True)
        if vol.is_colour:
            self.preset.addItem("Colour")
            self.preset.setEnabled(False)
        else:
            if vol.file_window:
                self.preset.addItem(FILE)
            self.preset.addItem(AUTO)
            if vol.is_ct:
                self.preset.addItems(list(CT_PRESETS))
            self.preset.setCurrentIndex(0)
        self.preset.blockSignals(False)

    # ---- slices ------------------------------------------------------------
    def set_slice(self, index: int) -> None:
        """Show frame ``index`` (clamped), keeping the window."""
        if self.volume.frame_count == 0:
            return
        index = max(0, min(int(index), self.volume.frame_count - 1))
        if index != self.index:
            self.index = index
            self.image_view.getImageItem().updateImage(_display(self.volume.frames[index]))
        if self.slider.value() != index:
            self.slider.blockSignals(True)
            self.slider.setValue(index)
            self.slider.blockSignals(False)
        self._update_labels()
        self.sliceChanged.emit(index)

    def step(self, delta: int) -> None:
        """Move ``delta`` slices forward (negative: back)."""
        self.set_slice(self.index + delta)

    def current_frame(self) -> np.ndarray:
        """The frame on screen (modality units)."""
        return self.volume.frames[self.index]

    # ---- window/level ------------------------------------------------------
    def set_window(self, center: float, width: float) -> None:
        """Apply a window (center, width) in modality units."""
        width = max(float(width), 1e-3)
        self._window = (float(center), width)
        self.image_view.setLevels(center - width / 2, center + width / 2)
        self._update_labels()

    def current_window(self) -> tuple[float, float] | None:
        """``(center, width)`` on screen; ``None`` for colour images."""
        if self.volume.is_colour or self.volume.frame_count == 0:
            return None
        low, high = self.image_view.getHistogramWidget().item.getLevels()
        return ((low + high) / 2.0, high - low)

    def _preset_chosen(self, name: str) -> None:
        vol = self.volume
        if name in CT_PRESETS:
            self.set_window(*CT_PRESETS[name])
        elif name == FILE and vol.file_window:
            self.set_window(*vol.file_window)
        elif name == AUTO:
            self.set_window(*auto_window(vol.frames))

    def _levels_changed(self, *_args) -> None:
        self._update_labels()

    def _update_labels(self) -> None:
        n = self.volume.frame_count
        self.slice_label.setText(f"Image {self.index + 1} / {n}" if n else "no images")
        win = self.current_window()
        self.window_label.setText(f"C {win[0]:.0f}  W {win[1]:.0f}" if win else "")

    def pixel_text(self, row: int, col: int) -> str:
        """The value at (row, col) of the shown frame, e.g. ``"(12, 40): -998 HU"``."""
        frame = self.current_frame()
        if not (0 <= row < frame.shape[0] and 0 <= col < frame.shape[1]):
            return ""
        value = frame[row, col]
        if self.volume.is_colour:
            return f"({row}, {col}): RGB {int(value[0])}, {int(value[1])}, {int(value[2])}"
        unit = " HU" if self.volume.is_ct else ""
        return f"({row}, {col}): {float(value):.0f}{unit}"

    def _mouse_moved(self, scene_pos) -> None:
        if self.volume.frame_count == 0:
            return
        point = self.image_view.getImageItem().mapFromScene(scene_pos)
        col, row = int(np.floor(point.x())), int(np.floor(point.y()))  # x is the column
        self.pixel_label.setText(self.pixel_text(row, col))

    # ---- input -------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Wheel and not (event.modifiers() & Qt.ControlModifier):
            delta = event.angleDelta().y()
            if delta:
                self.step(-1 if delta > 0 else 1)
            return True  # plain wheel scrolls slices; Ctrl+wheel zooms (pyqtgraph)
        if event.type() == QEvent.Wheel:
            return False
        return super().eventFilter(obj, event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        # the shortcuts above need an active window; keys also arrive here
        keys = {Qt.Key_PageUp: -1, Qt.Key_PageDown: 1, Qt.Key_Up: -1, Qt.Key_Down: 1,
                Qt.Key_Home: -10**9, Qt.Key_End: 10**9}
        if event.key() in keys:
            self.step(keys[event.key()])
            event.accept()
            return
        super().keyPressEvent(event)


def _short(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1] or path


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")
