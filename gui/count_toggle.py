"""The exam table's "Count in total" toggle (context menu).

A probable QA/phantom scan is kept out of the patient's cumulative total; the
user can count it anyway, leave any exam out, or go back to the automatic
choice. The change runs through ``Library.set_count_in_total`` in the pool
(:meth:`BrowserController.set_count_in_total`), then the history reloads.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QTableView

from dosetrail.core.api import ExamView

from .models.exams import ExamRole

COUNT_TEXT = "Count in total"
AUTO_TEXT = "Count automatically (leave out probable QA/phantom scans)"


def count_actions(menu: QMenu, exam: ExamView, set_counted) -> list[QAction]:
    """Add the toggle for ``exam`` to ``menu``; ``set_counted(uid, True|False|None)`` applies it."""
    uid = exam.study_instance_uid
    count = menu.addAction(COUNT_TEXT)
    count.setCheckable(True)
    count.setChecked(exam.counted_in_total)
    tip = exam.not_counted_reason or "This exam is part of the patient's cumulative total."
    count.setToolTip(tip)
    count.setStatusTip(tip)
    count.toggled.connect(lambda on: set_counted(uid, bool(on)))
    actions = [count]
    if exam.count_override is not None:
        auto = menu.addAction(AUTO_TEXT)
        auto.triggered.connect(lambda _=False: set_counted(uid, None))
        actions.append(auto)
    return actions


class CountToggle:
    """Gives ``view`` (the exam table) a context menu with the toggle.

    Parameters
    ----------
    view : QTableView
        Its model rows carry the :class:`ExamView` in ``ExamRole``.
    set_counted : callable
        ``set_counted(study_uid, counted)``, e.g. ``BrowserController.set_count_in_total``.
    """

    def __init__(self, view: QTableView, set_counted) -> None:
        self.view = view
        self.set_counted = set_counted
        self.menu: QMenu | None = None
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self.show_menu)

    def menu_for(self, pos: QPoint) -> QMenu | None:
        """The menu for the exam under ``pos`` (viewport coordinates), or None."""
        index = self.view.indexAt(pos)
        if not index.isValid():
            index = self.view.currentIndex()
        exam = index.data(ExamRole) if index.isValid() else None
        if exam is None:
            return None
        menu = QMenu(self.view)
        menu.setToolTipsVisible(True)
        count_actions(menu, exam, self.set_counted)
        return menu

    def show_menu(self, pos: QPoint) -> None:
        self.menu = self.menu_for(pos)
        if self.menu is not None:
            self.menu.popup(self.view.viewport().mapToGlobal(pos))
