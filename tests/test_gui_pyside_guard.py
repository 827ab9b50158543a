"""The PySide6 reference-count workaround keeps long sessions alive."""
from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QWidget

import dosetrail.gui  # noqa: F401 - applies the guard

pytestmark = pytest.mark.gui


class _Painted(QWidget):
    def paintEvent(self, event):  # noqa: N802 - a void override, as in every custom widget
        return None


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal on Python >= 3.12")
def test_none_refcount_is_pinned_far_above_any_session():
    assert sys.getrefcount(None) > 1 << 39
    assert sys.getrefcount(True) > 1 << 39 and sys.getrefcount(False) > 1 << 39


def test_many_repaints_do_not_abort(qtbot):
    # without the guard this aborts the interpreter on PySide6 6.12 / Python 3.11
    w = _Painted()
    qtbot.addWidget(w)
    w.resize(50, 50)
    w.show()
    for _ in range(8000):
        w.repaint()
    assert w.isVisible()
