"""Table model of one patient's exams (:class:`ExamView` rows)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QFont

from dosetrail.core import wording
from dosetrail.core.api import ExamView

from ..formatting import exam_kind, exam_modalities, fmt_number, fmt_range, is_typical_value, modality_label

SortRole = Qt.ItemDataRole.UserRole + 1
ExamRole = Qt.ItemDataRole.UserRole + 2
UidRole = Qt.ItemDataRole.UserRole + 3


@dataclass(frozen=True)
class Column:
    title: str
    tooltip: str
    text: Callable[[ExamView], str]
    sort: Callable[[ExamView], Any]
    technical: bool = False  # hidden in the patient view
    plain: bool = False  # shown in the patient view only (the clinician view has the technical twin)
    numeric: bool = False


def _num(v: float | None) -> float:
    # unknown sorts before every known value, ascending
    return float("-inf") if v is None else float(v)


def _flags_text(e: ExamView) -> str:
    parts = []
    exceeded = [f for f in e.reference_levels if f.exceeded]
    if exceeded:
        parts.append("above reference level")
    if e.warnings:
        parts.append(f"{len(e.warnings)} warning" + ("s" if len(e.warnings) > 1 else ""))
    return "; ".join(parts)


def _effective_text(e: ExamView) -> str:
    if e.effective_dose_msv is None:
        text = "no estimate"
    elif is_typical_value(e):  # italic too, and the hollow marker on the timeline
        text = f"≈{fmt_number(e.effective_dose_msv)} typical"
    else:
        text = fmt_number(e.effective_dose_msv)
    return text if e.counted_in_total else f"{text} (not counted)"


#: What a reader looks for first (date, exam, estimate) comes first, so that it is on screen
#: without horizontal scrolling; the raw dose indices and sources follow. Code that needs a
#: column looks it up by title (:func:`column_index`), never by a hard-coded number.
COLUMNS: list[Column] = [
    Column("Date", "Study date", lambda e: e.date or "unknown", lambda e: e.date or "9999"),
    Column("Exam", "The kind of exam", lambda e: exam_kind(exam_modalities(e)),
           lambda e: exam_kind(exam_modalities(e)),
           plain=True),
    Column("Modality", "Modalities in the study", lambda e: modality_label(e.modalities),
           lambda e: modality_label(e.modalities), technical=True),
    Column("Description", "Study description", lambda e: e.description or "",
           lambda e: (e.description or "").lower()),
    Column("Effective dose (mSv)", "Estimated effective dose, mSv", _effective_text,
           lambda e: _num(e.effective_dose_msv), numeric=True),
    Column("Range (mSv)", "Uncertainty range of the estimate, mSv",
           lambda e: fmt_range(e.effective_dose_range_msv).replace(" mSv", ""),
           lambda e: _num(e.effective_dose_range_msv[1] if e.effective_dose_range_msv else None),
           numeric=True),
    Column("Body region", "Body region the estimate used", lambda e: e.body_region or "",
           lambda e: e.body_region or ""),
    Column("Institution", "Institution", lambda e: e.institution or "",
           lambda e: (e.institution or "").lower()),
    Column("CTDIvol (mGy)", "Highest CT dose index (volume) of the study, mGy",
           lambda e: fmt_number(e.dose.ct_ctdivol_mgy_max),
           lambda e: _num(e.dose.ct_ctdivol_mgy_max), technical=True, numeric=True),
    Column("DLP (mGy·cm)", "Total CT dose-length product, mGy·cm",
           lambda e: fmt_number(e.dose.ct_dlp_mgycm),
           lambda e: _num(e.dose.ct_dlp_mgycm), technical=True, numeric=True),
    Column("DAP (Gy·cm²)", "Total dose-area product, Gy·cm²",
           lambda e: fmt_number(e.dose.dap_gycm2),
           lambda e: _num(e.dose.dap_gycm2), technical=True, numeric=True),
    Column("AGD (mGy)", "Mammography average glandular dose, mGy",
           lambda e: fmt_number(e.dose.agd_mgy),
           lambda e: _num(e.dose.agd_mgy), technical=True, numeric=True),
    Column("Activity (MBq)", "Administered activity, MBq",
           lambda e: fmt_number(e.dose.administered_activity_mbq),
           lambda e: _num(e.dose.administered_activity_mbq), technical=True, numeric=True),
    Column("Source", "Where the dose figures came from", lambda e: ", ".join(e.sources),
           lambda e: ", ".join(e.sources), technical=True),
    # technical: reference-level flags are for clinicians; in the patient view they would read as alarms
    Column("Flags", "Warnings and reference-level flags", _flags_text,
           lambda e: (sum(f.exceeded for f in e.reference_levels), len(e.warnings)), technical=True),
]


def column_index(title_start: str) -> int:
    """Index of the first column whose title starts with ``title_start``."""
    return next(i for i, c in enumerate(COLUMNS) if c.title.startswith(title_start))


DATE_COLUMN = column_index("Date")
EFFECTIVE_COLUMN = column_index("Effective")
RANGE_COLUMN = column_index("Range")
DESCRIPTION_COLUMN = column_index("Description")


def technical_columns() -> list[int]:
    """Columns the patient view hides (raw dose indices and sources)."""
    return [i for i, c in enumerate(COLUMNS) if c.technical]


def plain_columns() -> list[int]:
    """Columns the clinician view hides (plain-language twins of technical ones)."""
    return [i for i, c in enumerate(COLUMNS) if c.plain]


def exam_tooltip(e: ExamView) -> str:
    """A plain-text summary of one exam for tooltips (:func:`core.wording.exam_tooltip`)."""
    return wording.exam_tooltip(e)


class ExamTableModel(QAbstractTableModel):
    """Rows are :class:`ExamView` objects; ``SortRole`` gives typed sort keys,
    ``ExamRole`` the dataclass, ``UidRole`` the study instance UID."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._exams: list[ExamView] = []

    def set_exams(self, exams: list[ExamView]) -> None:
        """Replace all rows.

        Parameters
        ----------
        exams : list of ExamView
            The patient's exams (any order).
        """
        self.beginResetModel()
        self._exams = list(exams)
        self.endResetModel()

    def exams(self) -> list[ExamView]:
        """The rows, in model order."""
        return list(self._exams)

    def row_of(self, study_uid: str) -> int:
        """Row of a study, or -1."""
        for i, e in enumerate(self._exams):
            if e.study_instance_uid == study_uid:
                return i
        return -1

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802,B008
        return 0 if parent.isValid() else len(self._exams)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802,B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._exams)):
            return None
        exam = self._exams[index.row()]
        col = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(exam)
        if role == SortRole:
            return col.sort(exam)
        if role == ExamRole:
            return exam
        if role == UidRole:
            return exam.study_instance_uid
        if role == Qt.ItemDataRole.ToolTipRole:
            return exam_tooltip(exam)
        if role == Qt.ItemDataRole.FontRole and index.column() == EFFECTIVE_COLUMN and is_typical_value(exam):
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and col.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{col.title}: {col.text(exam) or 'none'}"
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section].title
            if role == Qt.ItemDataRole.ToolTipRole:
                return COLUMNS[section].tooltip
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None


class _TypedSortProxy(QSortFilterProxyModel):
    """Sorts on ``SortRole`` values, which may be tuples, numbers or strings."""

    def lessThan(self, left, right) -> bool:  # noqa: N802
        a, b = left.data(SortRole), right.data(SortRole)
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)


def make_exam_proxy(model: ExamTableModel, parent=None) -> QSortFilterProxyModel:
    """A sorting proxy over ``model`` that sorts by ``SortRole``."""
    proxy = _TypedSortProxy(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SortRole)
    return proxy
