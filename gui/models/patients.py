"""Table model of the library's patients, with a client-side search proxy.

The whole :class:`PatientSummary` list is held in memory (a few hundred bytes
per patient, so tens of thousands are fine); loading it is the caller's job
(``lib.patients()`` in a worker). :class:`PatientFilterProxy` filters by name,
patient ID or birth date (``yyyy``, ``yyyy-mm-dd`` or ``yyyymmdd``) like the
library's own search, without a database round trip per keystroke.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from dosetrail.core.api import PatientSummary, chart_name, search_fold

from ..formatting import fmt_birth_date, fmt_number, plural, total_text

SortRole = Qt.ItemDataRole.UserRole + 1
PatientRole = Qt.ItemDataRole.UserRole + 2
KeyRole = Qt.ItemDataRole.UserRole + 3
SearchRole = Qt.ItemDataRole.UserRole + 4

HEADERS = ["Name", "Birth date", "Sex", "Patient IDs", "Exams", "Total mSv", "Last exam"]
HEADER_TIPS = ["Patient name", "Birth date", "Sex", "Patient IDs (issuer)", "Number of exams",
               "Cumulative effective dose of the exams with an estimate, mSv", "Date of the newest exam"]
NUMERIC = {4, 5}


def display_name(dicom_name: str) -> str:
    """``"DOE^JANE^^DR"`` -> ``"DOE, JANE DR"``; an ideographic group in parentheses
    (``"Yamada, Tarou (山田 太郎)"``); empty names read ``"(no name)"``."""
    return chart_name(dicom_name)


def _ids_text(p: PatientSummary) -> str:
    return ", ".join(f"{i} ({iss})" if iss else i for i, iss in p.patient_ids)


def _search_text(p: PatientSummary) -> str:
    bd = p.birth_date or ""
    fields = [search_fold(p.name), bd, bd.replace("-", "")]  # every word of every name group, folded
    fields += [search_fold(i) for i, _ in p.patient_ids]
    return "\x1f".join(fields)


def _sort_key(p: PatientSummary, col: int) -> Any:
    if col == 0:
        return display_name(p.name).lower()
    if col == 1:
        return p.birth_date or ""
    if col == 2:
        return p.sex or ""
    if col == 3:
        return _ids_text(p)
    if col == 4:
        return p.exam_count
    if col == 5:  # unknown sorts before every known total
        return float("-inf") if p.cumulative_effective_dose_msv is None else p.cumulative_effective_dose_msv
    return p.last_exam_date or ""


class PatientTableModel(QAbstractTableModel):
    """Rows are :class:`PatientSummary` objects."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[PatientSummary] = []
        self._search: list[str] = []

    def set_patients(self, patients: list[PatientSummary]) -> None:
        """Replace all rows.

        Parameters
        ----------
        patients : list of PatientSummary
            As returned by ``Library.patients()``.
        """
        self.beginResetModel()
        self._rows = list(patients)
        self._search = [_search_text(p) for p in self._rows]
        self.endResetModel()

    def patient(self, row: int) -> PatientSummary:
        """The summary at ``row``."""
        return self._rows[row]

    def search_text(self, row: int) -> str:
        """Lower-case name, IDs and birth date forms of ``row``, for filtering."""
        return self._search[row]

    def row_of(self, key: str) -> int:
        """Row of a patient key, or -1."""
        for i, p in enumerate(self._rows):
            if p.key == key:
                return i
        return -1

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows in Python (fast for tens of thousands of patients)."""
        if not (0 <= column < len(HEADERS)):
            return
        self.layoutAboutToBeChanged.emit()
        keys = [_sort_key(p, column) for p in self._rows]
        new_order = sorted(range(len(self._rows)), key=keys.__getitem__,
                           reverse=order == Qt.SortOrder.DescendingOrder)
        old_to_new = {old: new for new, old in enumerate(new_order)}
        self._rows = [self._rows[i] for i in new_order]
        self._search = [self._search[i] for i in new_order]
        old = self.persistentIndexList()
        self.changePersistentIndexList(
            old, [self.index(old_to_new[i.row()], i.column()) for i in old])
        self.layoutChanged.emit()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802,B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802,B008
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        p = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return [
                display_name(p.name), fmt_birth_date(p.birth_date, ""), p.sex or "", _ids_text(p),
                str(p.exam_count),
                "unknown" if p.cumulative_effective_dose_msv is None else "not counted"
                if 0 < p.exam_count == p.exams_not_counted else fmt_number(p.cumulative_effective_dose_msv),
                p.last_exam_date or "",
            ][col]
        if role == SortRole:
            return _sort_key(p, col)
        if role == PatientRole:
            return p
        if role == KeyRole:
            return p.key
        if role == SearchRole:
            return self._search[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = [display_name(p.name), f"IDs: {_ids_text(p) or 'none'}",
                   f"{plural(p.exam_count, 'exam')}, {total_text(p)}"]
            if p.exams_without_dose_estimate:
                tip.append(f"{plural(p.exams_without_dose_estimate, 'exam')} without a dose estimate")
            return "\n".join(tip)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == Qt.ItemDataRole.ToolTipRole:
                return HEADER_TIPS[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            return None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None


class PatientFilterProxy(QSortFilterProxyModel):
    """Filters on name, patient ID or birth date; sorting is done by the source
    model (:meth:`PatientTableModel.sort`), which keeps it fast for large lists."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._terms: list[str] = []
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(True)

    def set_search(self, text: str) -> None:
        """Show only patients matching every whitespace-separated term of ``text``.

        Parameters
        ----------
        text : str
            Name fragment, patient ID, or birth date (yyyy, yyyy-mm-dd, yyyymmdd).
        """
        terms = search_fold(text.replace(",", " ")).split()  # folded as the library's search folds
        if terms != self._terms:
            if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
                self.beginFilterChange()
                self._terms = terms
                self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
            else:
                self._terms = terms
                self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:  # noqa: N802
        if not self._terms:
            return True
        source = self.sourceModel()
        if isinstance(source, PatientTableModel):
            hay = source.search_text(source_row)  # no C++ round trip per row
        else:
            hay = source.index(source_row, 0, source_parent).data(SearchRole) or ""
        return all(t in hay for t in self._terms)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Delegate to the source model; the proxy keeps the source order."""
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)
