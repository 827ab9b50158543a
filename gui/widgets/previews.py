"""Thumbnails of an exam's series; double-click opens the viewer or the SR tree.

Thumbnails are made on a pool thread by
:func:`dosetrail.core.viewing.thumbnails.series_thumbnail` (cached as PNG
under the thumbnail folder) and arrive one by one through the worker's
progress signal; a newer :meth:`SeriesPreviewPanel.set_exam` discards late
arrivals of the previous exam.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..workers import run_in_pool

THUMB = 128
#: Modalities whose objects are reports or documents, not images.
REPORT_MODALITIES = {"SR", "KO", "PR", "DOC"}
SERIES_ROLE = Qt.UserRole + 1
#: Width (pixels) captions are elided to; tiles are at least this wide plus margins.
CAPTION_WIDTH = 140
#: The viewer loads at most this many frames / bytes of decoded pixels.
MAX_VIEWER_FRAMES = 3000
MAX_VIEWER_BYTES = 768 * 1024 * 1024


def series_caption(series) -> str:
    """Two-line caption: number and description, then modality and count."""
    number = f"#{series.number} " if series.number is not None else ""
    desc = series.description or ("Dose report" if series.modality == "SR" else "(no description)")
    if len(desc) > 28:
        desc = desc[:27] + "…"
    unit = "object" if series.modality in REPORT_MODALITIES else "image"
    count = f"{series.instance_count} {unit}{'s' if series.instance_count != 1 else ''}"
    return f"{number}{desc}\n{series.modality} · {count}"


def placeholder_icon(text: str, size: int = THUMB) -> QIcon:
    """A plain tile with a short text (while loading, or for reports)."""
    pix = QPixmap(size, size)
    pix.fill(QColor("#2b2f33"))
    painter = QPainter(pix)
    painter.setPen(QColor("#d0d4d8"))
    font = QFont()
    font.setPointSize(15)  # readable when the tile is shown at half size
    painter.setFont(font)
    painter.drawText(pix.rect(), Qt.AlignCenter | Qt.TextWordWrap, text)
    painter.end()
    return QIcon(pix)


def tile_icon(pixmap: QPixmap, size: int = THUMB) -> QIcon:
    """The thumbnail scaled to fit a square dark tile (all tiles line up)."""
    tile = QPixmap(size, size)
    tile.fill(QColor("#000000"))
    if not pixmap.isNull():
        scaled = pixmap.scaled(size, size, Qt.KeepAspectRatio, Qt.SmoothTransformation)
        painter = QPainter(tile)
        painter.drawPixmap((size - scaled.width()) // 2, (size - scaled.height()) // 2, scaled)
        painter.end()
    return QIcon(tile)


def _thumbnails(library, series: list[tuple[str, str]], generation: int, is_current=None,
                progress=None) -> int:
    """Pool thread: make each series' thumbnail, report ``(generation, uid, png or None)``.

    Stops early when ``is_current()`` turns false (another exam was selected).
    """
    from dosetrail.core.viewing.thumbnails import series_thumbnail

    made = 0
    for uid, modality in series:
        if is_current is not None and not is_current():
            break
        png = None
        if modality not in REPORT_MODALITIES:
            try:
                png = series_thumbnail(library.series_files(uid), THUMB)
            except Exception:  # noqa: BLE001 - one bad series must not stop the others
                png = None
        made += png is not None
        if progress is not None:
            progress((generation, uid, str(png) if png else None))
    return made


def _load_viewer_data(library, uid: str, modality: str):
    """Pool thread: the files, and decoded pixels for images."""
    paths = library.series_files(uid)
    if modality in REPORT_MODALITIES:
        return ("sr", paths)
    from dosetrail.core.viewing.pixels import load_series

    return ("image", load_series(paths, max_frames=MAX_VIEWER_FRAMES, max_bytes=MAX_VIEWER_BYTES))


class SeriesPreviewPanel(QWidget):
    """One thumbnail per series of the selected exam.

    Parameters
    ----------
    library
        ``dosetrail.core.api.Library`` (``series_files`` is called on pool threads).
    parent
        Owning widget.
    """

    thumbnailsDone = Signal()
    dialogOpened = Signal(object)  # the ImageViewerDialog or SRTreeDialog

    def __init__(self, library, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.exam = None
        self.generation = 0
        self.dialogs: list[QWidget] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.status = QLabel("Select an exam to see its series.")
        layout.addWidget(self.status)
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 44, THUMB + 52))
        self.list.setResizeMode(QListWidget.Adjust)
        self.list.setMovement(QListWidget.Static)
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SingleSelection)
        self.list.itemActivated.connect(self.open_item)
        self.list.itemDoubleClicked.connect(self.open_item)
        self.list.installEventFilter(self)
        layout.addWidget(self.list, 1)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if obj is self.list and event.type() == QEvent.Resize:
            self._fit_tiles(event.size().height())
        return super().eventFilter(obj, event)

    def _fit_tiles(self, height: int) -> None:
        """Fit the tiles to the height given: one scrolling row when the panel is short."""
        caption = self.list.fontMetrics().lineSpacing() * 2 + 14
        available = height - caption - 2 * self.list.frameWidth() - 18  # room for a scroll bar
        one_row = available < 2 * (THUMB + caption)
        size = max(48, min(THUMB, available)) if one_row else THUMB
        self.list.setIconSize(QSize(size, size))
        self.list.setGridSize(QSize(max(size + 44, CAPTION_WIDTH + 12), size + caption))
        self.list.setWrapping(not one_row)
        self.list.setFlow(QListWidget.LeftToRight)

    def set_exam(self, exam) -> None:
        """Show the series of ``exam`` (an ``ExamView``), or nothing for ``None``."""
        self.generation += 1
        self.exam = exam
        self.list.clear()
        if exam is None:
            self.status.setText("Select an exam to see its series.")
            return
        series = sorted(exam.series, key=lambda s: (s.number is None, s.number or 0))
        if not series:
            self.status.setText("This exam has no series in the library.")
            return
        self.status.setText(f"{len(series)} series — double-click to open")
        metrics = self.list.fontMetrics()
        for s in series:
            first, second = series_caption(s).split("\n", 1)
            # one line each: a wrapped description would push the modality line out of the tile
            item = QListWidgetItem(f"{metrics.elidedText(first, Qt.ElideRight, CAPTION_WIDTH)}\n{second}")
            item.setData(SERIES_ROLE, s)
            item.setToolTip(f"{s.description or ''}\n{s.modality}, {s.instance_count} objects\n"
                            f"body part: {s.body_part or 'unknown'}\nSeries UID {s.series_uid}")
            text = "Dose report\n(SR)" if s.modality == "SR" else (s.modality if s.modality in REPORT_MODALITIES else "…")
            item.setIcon(placeholder_icon(text))
            self.list.addItem(item)
        generation = self.generation
        run_in_pool(_thumbnails, self.library, [(s.series_uid, s.modality) for s in series], generation,
                    lambda: self.generation == generation,  # an int read: safe from the pool thread
                    on_progress=self._thumbnail_ready, on_finished=lambda: self._thumbnails_finished(generation))

    def item_for(self, series_uid: str) -> QListWidgetItem | None:
        """The list item of a series."""
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(SERIES_ROLE).series_uid == series_uid:
                return item
        return None

    def _thumbnail_ready(self, payload) -> None:
        generation, uid, png = payload
        if generation != self.generation:
            return  # an older exam's thumbnail
        item = self.item_for(uid)
        if item is None:
            return
        series = item.data(SERIES_ROLE)
        if png:
            item.setIcon(tile_icon(QPixmap(png)))
        elif series.modality not in REPORT_MODALITIES:
            item.setIcon(placeholder_icon(f"{series.modality}\nno preview"))

    def _thumbnails_finished(self, generation: int) -> None:
        if generation == self.generation:
            self.thumbnailsDone.emit()

    def open_item(self, item: QListWidgetItem) -> None:
        """Open a series: the image viewer, or the SR tree for reports."""
        series = item.data(SERIES_ROLE)
        if series is None:
            return
        self.status.setText(f"Opening series {series.number if series.number is not None else ''}…")
        self.setCursor(Qt.BusyCursor)
        run_in_pool(_load_viewer_data, self.library, series.series_uid, series.modality,
                    on_result=lambda data, s=series: self._show(s, data),
                    on_error=self._open_failed)

    def _open_failed(self, message: str) -> None:
        self.unsetCursor()
        self.status.setText(f"Cannot open this series: {message}")

    def _show(self, series, data) -> None:
        from .sr_tree import SRTreeDialog
        from .viewer import ImageViewerDialog

        self.unsetCursor()
        kind, payload = data
        number = f"Series {series.number} — " if series.number is not None else ""
        title = f"{number}{series.description or series.modality} ({series.modality})"
        if kind == "sr":
            dialog = SRTreeDialog(payload, title=title, parent=self)
        else:
            dialog = ImageViewerDialog(payload, title=title, parent=self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda _=None, d=dialog: self.dialogs.remove(d) if d in self.dialogs else None)
        self.dialogs.append(dialog)
        dialog.show()
        self.status.setText(f"{self.list.count()} series — double-click to open")
        self.dialogOpened.emit(dialog)
