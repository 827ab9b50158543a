"""Column widths of the window's tables (no logic of their own beyond sizes)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyle, QTableView

#: Widest an exam-table column gets when fitted to its cells: a long description cannot push
#: the estimate off screen (the tooltip has the whole text). The last visible column stretches.
EXAM_COLUMN_MAX_WIDTH = 280


def fit_columns_compactly(view: QTableView, stretch_column: int) -> None:
    """Size each visible column except ``stretch_column`` to its cells and header text.

    Unlike ``ResizeToContents`` this leaves room for the sort arrow only in the sorted
    column, so narrow numeric columns do not take the width a patient's name needs.
    """
    header = view.horizontalHeader()
    metrics = header.fontMetrics()
    model = view.model()
    pad = 2 * header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin) + 10
    for col in range(header.count()):
        if col == stretch_column or header.isSectionHidden(col):
            continue
        title = str(model.headerData(col, Qt.Orientation.Horizontal) or "")
        width = metrics.horizontalAdvance(title) + pad
        if header.isSortIndicatorShown() and header.sortIndicatorSection() == col:
            width += metrics.height() + pad  # the arrow
        header.resizeSection(col, max(width, view.sizeHintForColumn(col)))


def fit_exam_columns(view: QTableView) -> None:
    """Size the exam table's columns to their cells, none wider than :data:`EXAM_COLUMN_MAX_WIDTH`.

    A cap on the header itself would also stop the last visible column from
    stretching (an empty band on the right), so the cap is applied here.
    """
    view.resizeColumnsToContents()
    header = view.horizontalHeader()
    visible = [c for c in range(header.count()) if not header.isSectionHidden(c)]
    for col in visible[:-1]:
        if header.sectionSize(col) > EXAM_COLUMN_MAX_WIDTH:
            header.resizeSection(col, EXAM_COLUMN_MAX_WIDTH)
    if header.stretchLastSection():  # Qt keeps stretching a section that was hidden meanwhile
        header.setStretchLastSection(False)
        header.setStretchLastSection(True)
