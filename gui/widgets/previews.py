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

from dosetrail.core.api import NON_IMAGE_OBJECTS
from dosetrail.core.wording import plural

from ..workers import error_text, run_in_pool

THUMB = 128
#: Thumbnails are never drawn smaller than this (the strip's minimum height follows from it).
MIN_THUMB = 96
#: Modalities whose objects are reports or documents, not images.
REPORT_MODALITIES = NON_IMAGE_OBJECTS
SERIES_ROLE = Qt.UserRole + 1
#: Width (pixels) of a tile's caption; tiles are at least this wide plus margins.
CAPTION_WIDTH = 156
#: The viewer loads at most this many frames / bytes of decoded pixels.
MAX_VIEWER_FRAMES = 3000
MAX_VIEWER_BYTES = 768 * 1024 * 1024


def series_caption(series, label: str | None = None) -> str:
    """Two-line caption: number and description (or ``label``), then modality and count."""
    number = f"#{series.number} " if series.number is not None else ""
    desc = label or series.description or ("Dose report" if series.modality == "SR" else "(no description)")
    if len(desc) > 28:
        desc = desc[:27] + "…"
    unit = "object" if series.modality in REPORT_MODALITIES else "image"
    count = f"{series.instance_count} {unit}{'s' if series.instance_count != 1 else ''}"
    return f"{number}{desc}\n{series.modality} · {count}"


#: "Procedure reported" of a dose SR (TID 10001/10011/10021) -> what the tile says.
_PROCEDURE_KINDS = [("computed tomography", "CT dose report"), ("pet", "PET dose report"),
                    ("positron", "PET dose report"), ("nuclear medicine", "NM dose report"),
                    ("mammograph", "Mammo dose report"), ("fluoro", "Fluoro dose report"),
                    ("projection", "X-ray dose report")]
#: Document titles -> what the tile says, when no procedure is reported.
_TITLE_KINDS = [("radiopharmaceutical", "NM/PET dose report"), ("x-ray radiation dose", "X-ray dose report"),
                ("radiation dose", "Dose report")]


def report_kind(tree) -> str | None:
    """A short name of what a structured report is, from its tree (``SRNode``).

    A CT Radiation Dose SR gives ``"CT dose report"``, a Radiopharmaceutical
    Radiation Dose SR of a PET study ``"PET dose report"``; other reports give
    their document title. None when the tree has no title.
    """
    title = (getattr(tree, "label", "") or "").strip()
    procedures = [c.value or "" for c in getattr(tree, "children", []) if c.label == "Procedure reported"]
    if "dose" in title.lower():
        for procedure in procedures:
            text = procedure.split("[")[0].strip().lower()
            for key, kind in _PROCEDURE_KINDS:
                if key in text.split() or (len(key) > 3 and key in text):
                    return kind
        for key, kind in _TITLE_KINDS:
            if key in title.lower():
                return kind
    return title if title and title != "(unnamed)" else None


def tile_labels(series: list, kinds: dict[str, str]) -> dict[str, str]:
    """Caption labels (replacing the series description) so report tiles differ.

    ``kinds`` maps series UIDs to :func:`report_kind` results that are known. A
    report tile whose first caption line would read like another's is numbered:
    two SR series both described "Radiation Dose Information" become
    "Dose report 1/2" and "Dose report 2/2" (or "CT dose report" and "PET dose
    report" once their kinds are known).
    """
    labels = {s.series_uid: kinds[s.series_uid] for s in series if kinds.get(s.series_uid)}
    groups: dict[str, list] = {}
    for s in series:
        groups.setdefault(series_caption(s, labels.get(s.series_uid)).split("\n")[0], []).append(s)
    for group in groups.values():
        reports = [s for s in group if s.modality in REPORT_MODALITIES]
        if len(group) < 2 or not reports:
            continue
        for i, s in enumerate(reports, 1):
            base = labels.get(s.series_uid) or ("Dose report" if s.modality == "SR" else s.modality)
            labels[s.series_uid] = f"{base} {i}/{len(reports)}"
    return labels


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
    made = 0
    for uid, modality in series:
        if is_current is not None and not is_current():
            break
        png = kind = None
        if modality == "SR":
            kind = _report_kind_of(library, uid)
        elif modality not in REPORT_MODALITIES:
            try:
                png = library.series_thumbnail(library.series_files(uid), THUMB)
            except Exception:  # noqa: BLE001 - one bad series must not stop the others
                png = None
        made += png is not None
        if progress is not None:
            progress((generation, uid, str(png) if png else None, kind))
    return made


def _report_kind_of(library, uid: str) -> str | None:
    """Pool thread: :func:`report_kind` of a report series' first file (None if unreadable)."""
    try:
        paths = library.series_files(uid)
        return report_kind(library.sr_tree(paths[0])) if paths else None
    except Exception:  # noqa: BLE001 - a tile without a kind keeps its generic caption
        return None


def _load_viewer_data(library, uid: str, modality: str):
    """Pool thread: the files, and decoded pixels for images."""
    paths = library.series_files(uid)
    if modality in REPORT_MODALITIES:
        return ("sr", paths)
    return ("image", library.load_series(paths, max_frames=MAX_VIEWER_FRAMES, max_bytes=MAX_VIEWER_BYTES))


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
        self._series: list = []
        self._kinds: dict[str, str] = {}
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
        # no wrapping: captions are elided to one line each, which keeps the modality line in the tile;
        # sizes per item: a report's caption changes when its kind is known (see _label_tiles)
        self.list.setWordWrap(False)
        self.list.setUniformItemSizes(False)
        self.list.setSelectionMode(QAbstractItemView.SingleSelection)
        # itemActivated alone: it fires on a double-click (or a single click where the desktop opens
        # items that way) and on Enter; connecting itemDoubleClicked too opened two viewers
        self.list.itemActivated.connect(self.open_item)
        self.list.setAccessibleName("Series of the selected exam")
        self.list.setFocusPolicy(Qt.StrongFocus)
        self.setMinimumHeight(self.minimum_strip_height())
        self.list.installEventFilter(self)
        layout.addWidget(self.list, 1)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        if obj is self.list and event.type() == QEvent.Resize:
            self._fit_tiles(event.size().height())
        return super().eventFilter(obj, event)

    def _caption_height(self) -> int:
        return self.list.fontMetrics().lineSpacing() * 2 + 14

    def minimum_strip_height(self) -> int:
        """The panel's minimum height: the status line and one row of :data:`MIN_THUMB` tiles with
        their captions and a scroll bar."""
        status = self.status.sizeHint().height() + self.layout().spacing()
        return status + MIN_THUMB + self._caption_height() + 2 * self.list.frameWidth() + 22

    def _fit_tiles(self, height: int) -> None:
        """Fit the tiles to the height given: one scrolling row when the panel is short."""
        caption = self._caption_height()
        available = height - caption - 2 * self.list.frameWidth() - 18  # room for a scroll bar
        one_row = available < 2 * (THUMB + caption)
        size = max(MIN_THUMB, min(THUMB, available)) if one_row else THUMB
        self.list.setIconSize(QSize(size, size))
        self.list.setGridSize(QSize(max(size + 44, CAPTION_WIDTH + 12), size + caption))
        self.list.setWrapping(not one_row)
        self.list.setFlow(QListWidget.LeftToRight)

    def set_exam(self, exam) -> None:
        """Show the series of ``exam`` (an ``ExamView``), or nothing for ``None``."""
        self.generation += 1
        self.exam = exam
        self.list.clear()
        self._series, self._kinds = [], {}
        if exam is None:
            self.status.setText("Select an exam to see its series.")
            return
        series = sorted(exam.series, key=lambda s: (s.number is None, s.number or 0))
        if not series:
            self.status.setText("This exam has no series in the library.")
            return
        self.status.setText(f"{len(series)} series — double-click to open")
        self._series = series
        labels = tile_labels(series, {})
        for s in series:
            item = QListWidgetItem(self._caption_text(s, labels.get(s.series_uid)))
            item.setData(SERIES_ROLE, s)
            text = "Dose report\n(SR)" if s.modality == "SR" else (s.modality if s.modality in REPORT_MODALITIES else "…")
            item.setIcon(placeholder_icon(text))
            self.list.addItem(item)
        self._label_tiles()
        generation = self.generation
        run_in_pool(_thumbnails, self.library, [(s.series_uid, s.modality) for s in series], generation,
                    lambda: self.generation == generation,  # an int read: safe from the pool thread
                    on_progress=self._thumbnail_ready, on_finished=lambda: self._thumbnails_finished(generation),
                    owner=self)

    def _caption_text(self, series, label: str | None) -> str:
        first, second = series_caption(series, label).split("\n", 1)
        # one line each: a wrapped description would push the modality line out of the tile
        # elided a little short of the caption width: the item's own text margins come off it
        first = self.list.fontMetrics().elidedText(first, Qt.ElideRight, CAPTION_WIDTH - 8)
        return f"{first}\n{second}"

    def _label_tiles(self) -> None:
        """Captions and tooltips of every tile (again when a report's kind is known)."""
        labels = tile_labels(self._series, self._kinds)
        for row in range(self.list.count()):
            item = self.list.item(row)
            s = item.data(SERIES_ROLE)
            item.setText(self._caption_text(s, labels.get(s.series_uid)))
            kind = self._kinds.get(s.series_uid)
            item.setToolTip((f"{kind}\n" if kind else "")
                            + f"{s.description or ''}\n{s.modality}, {plural(s.instance_count, 'object')}\n"
                            f"body part: {s.body_part or 'unknown'}\nSeries UID {s.series_uid}")

    def item_for(self, series_uid: str) -> QListWidgetItem | None:
        """The list item of a series."""
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(SERIES_ROLE).series_uid == series_uid:
                return item
        return None

    def _thumbnail_ready(self, payload) -> None:
        generation, uid, png = payload[:3]
        kind = payload[3] if len(payload) > 3 else None
        if generation != self.generation:
            return  # an older exam's thumbnail
        item = self.item_for(uid)
        if item is None:
            return
        series = item.data(SERIES_ROLE)
        if kind:
            self._kinds[uid] = kind
            item.setIcon(placeholder_icon(kind))
            self._label_tiles()
        elif png:
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
                    on_error=self._open_failed, owner=self)

    def _open_failed(self, exc: BaseException) -> None:
        self.unsetCursor()
        self.status.setText(f"Cannot open this series: {error_text(exc)}")

    def _show(self, series, data, replacing: QWidget | None = None, note: str | None = None) -> None:
        """Open the viewer (or SR tree) of ``series``; ``replacing`` an open viewer of it (same place)."""
        from .sr_tree import SRTreeDialog
        from .viewer import ImageViewerDialog

        self.unsetCursor()
        kind, payload = data
        number = f"Series {series.number} — " if series.number is not None else ""
        title = f"{number}{self._kinds.get(series.series_uid) or series.description or series.modality} " \
                f"({series.modality})"
        if kind == "sr":
            dialog = SRTreeDialog(payload, self.library, title=title, parent=self)
        else:
            dialog = ImageViewerDialog(payload, title=title, parent=self)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda _=None, d=dialog: self.dialogs.remove(d) if d in self.dialogs else None)
        self.dialogs.append(dialog)
        if replacing is not None:
            dialog.setGeometry(replacing.geometry())
            replacing.close()
        dialog.show()
        self.status.setText(note or f"{self.list.count()} series — double-click to open")
        self.dialogOpened.emit(dialog)
        if kind == "image" and replacing is None:
            run_in_pool(self.library.fetch_series_pixels, series.series_uid,
                        on_result=lambda r, s=series, d=dialog: self._fetched(s, d, r), owner=self)

    def _fetched(self, series, dialog, result) -> None:
        """Pixels on demand: the archive sent the rest of a dose-only series; show the whole series."""
        if not result.instances_imported:
            if result.error:
                self.status.setText(f"The rest of this series could not be fetched: {result.error}")
            return
        note = f"{plural(result.instances_imported, 'image')} fetched from {result.archive}"
        item = self.item_for(series.series_uid)
        if item is not None:  # the tile counts the whole series now
            shown = item.data(SERIES_ROLE)
            shown.instance_count = result.instances_in_library + result.instances_imported
            item.setData(SERIES_ROLE, shown)
            self._label_tiles()
        if dialog not in self.dialogs:  # the viewer was closed meanwhile
            self.status.setText(note)
            return
        self.status.setText(f"{note} — loading…")
        run_in_pool(_load_viewer_data, self.library, series.series_uid, series.modality,
                    on_result=lambda data, s=series, d=dialog: self._show(s, data, replacing=d, note=note)
                    if d in self.dialogs else self.status.setText(note),
                    on_error=self._open_failed, owner=self)
