"""A structured report (radiation dose SR) as a readable tree.

The tree comes from :func:`dosetrail.core.viewing.sr_tree.sr_tree` (read on a
pool thread); this dialog shows concept names, values with units and codes
in a :class:`QTreeView` over a :class:`QStandardItemModel`.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ..workers import error_text, run_in_pool

COLUMNS = ["Concept", "Value", "Code"]

#: Abbreviations and the concept names dose reports spell out; typing any one finds the others.
SYNONYMS: list[tuple[str, ...]] = [
    ("dose length product", "dlp"),
    ("computed tomography dose index", "ct dose index", "ctdivol", "ctdi"),
    ("dose area product", "kerma area product", "dap", "kap"),
    ("average glandular dose", "mean glandular dose", "agd", "mgd"),
]


def _normal(text: str) -> str:
    """Lower case, hyphens and runs of white space as one space (``Dose-Length`` ~ ``dose length``)."""
    return " ".join((text or "").lower().replace("-", " ").split())


def filter_terms(text: str) -> list[str]:
    """What a filter text matches: itself and each abbreviation spelled out (or shortened).

    ``"DLP"`` gives ``["dlp", "dose length product"]``; ``"dose area product total"``
    also gives ``"dap total"`` and ``"kerma area product total"``. Empty text: ``[]``.
    """
    query = _normal(text)
    if not query:
        return []
    terms = [query]
    for group in SYNONYMS:
        for term in sorted(group, key=len, reverse=True):  # "ctdivol" before "ctdi"
            if term in query:
                terms += [query.replace(term, other) for other in group if other != term]
                break
    return list(dict.fromkeys(terms))


def matches(terms: list[str], *fields: str | None) -> bool:
    """True when any term occurs in any field (case- and hyphen-insensitive); no terms: True."""
    if not terms:
        return True
    texts = [_normal(f or "") for f in fields]
    return any(term in text for term in terms for text in texts)


def _read_trees(library, paths: list[str]) -> list[tuple[str, object]]:
    """Pool thread: ``(path, SRNode or error text)`` per file (``library.sr_tree`` reads them)."""
    out = []
    for path in paths:
        try:
            out.append((path, library.sr_tree(path)))
        except ValueError as exc:
            out.append((path, str(exc)))
    return out


def _row(node) -> list[QStandardItem]:
    items = [QStandardItem(node.label), QStandardItem(node.value or ""), QStandardItem(node.code or "")]
    tip = f"{node.relationship or ''} {node.value_type or ''}".strip()
    for item in items:
        item.setEditable(False)
        if tip:
            item.setToolTip(tip)
    for child in node.children:
        items[0].appendRow(_row(child))
    return items


def build_model(trees: list[tuple[str, object]]) -> QStandardItemModel:
    """A three-column item model (concept, value, code) of SR trees.

    Parameters
    ----------
    trees
        ``(path, SRNode)`` pairs; an ``str`` instead of a node is an error
        shown as a row.
    """
    model = QStandardItemModel()
    model.setHorizontalHeaderLabels(COLUMNS)
    for path, tree in trees:
        if isinstance(tree, str):
            error = [QStandardItem(path.replace("\\", "/").rsplit("/", 1)[-1]), QStandardItem(tree), QStandardItem("")]
            for item in error:
                item.setEditable(False)
            model.appendRow(error)
        else:
            model.appendRow(_row(tree))
    return model


class SRTreeDialog(QDialog):
    """Shows one or more structured reports as trees.

    Parameters
    ----------
    paths
        SR files (e.g. the files of a dose-report series).
    library
        ``dosetrail.core.api.Library`` (its ``sr_tree`` reads each file on a pool thread).
    title
        Window title.
    parent
        Owning widget.
    """

    loaded = Signal()

    def __init__(self, paths: list[str], library, title: str = "Dose report",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(820, 640)
        layout = QVBoxLayout(self)
        self.status = QLabel("Reading the report…")
        layout.addWidget(self.status)
        bar = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Find a concept, e.g. DLP, CTDIvol, Dose Area Product")
        self.filter.textChanged.connect(self._apply_filter)
        expand = QPushButton("Expand all")
        collapse = QPushButton("Collapse")
        bar.addWidget(self.filter, 1)
        bar.addWidget(expand)
        bar.addWidget(collapse)
        layout.addLayout(bar)
        self.view = QTreeView()
        self.view.setAlternatingRowColors(True)
        self.view.setUniformRowHeights(True)
        layout.addWidget(self.view, 1)
        expand.clicked.connect(self.view.expandAll)
        collapse.clicked.connect(lambda: (self.view.collapseAll(), self.view.expandToDepth(0)))
        self.model = QStandardItemModel()
        self.view.setModel(self.model)
        self._worker = run_in_pool(_read_trees, library, list(paths), on_result=self.set_trees,
                                   on_error=lambda exc: self.status.setText(f"Cannot read the report: {error_text(exc)}"))

    def set_trees(self, trees: list[tuple[str, object]]) -> None:
        """Show ``(path, SRNode or error text)`` pairs."""
        self.model = build_model(trees)
        self.view.setModel(self.model)
        self.view.expandToDepth(1)
        self.view.setColumnWidth(0, 330)
        self.view.setColumnWidth(1, 300)
        bad = sum(1 for _, t in trees if isinstance(t, str))
        good = len(trees) - bad
        text = f"{good} report{'s' if good != 1 else ''}"
        if bad:
            text += f", {bad} file{'s' if bad != 1 else ''} could not be read"
        self.status.setText(text)
        self.loaded.emit()

    def _apply_filter(self, text: str) -> None:
        """Show only branches whose concept or value matches ``text`` (see :func:`filter_terms`)."""
        terms = filter_terms(text)

        def visit(parent_index, depth: int, show_all: bool) -> bool:
            any_visible = False
            for row in range(self.model.rowCount(parent_index)):
                index = self.model.index(row, 0, parent_index)
                value = self.model.index(row, 1, parent_index).data()
                own = show_all or matches(terms, index.data(), value)
                child = visit(index, depth + 1, own)
                visible = own or child
                self.view.setRowHidden(row, parent_index, not visible and depth > 0)
                if child and terms:
                    self.view.expand(index)
                any_visible = any_visible or visible
            return any_visible

        visit(self.view.rootIndex(), 0, False)
