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


def _affected() -> bool:
    from importlib import metadata

    return metadata.version("PySide6-Essentials").startswith("6.12.")


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal on Python >= 3.12")
def test_none_refcount_is_pinned_only_with_the_affected_pyside():
    pinned = [sys.getrefcount(o) > 1 << 39 for o in (None, True, False)]
    assert pinned == [_affected()] * 3  # no refcount surgery where PySide6 behaves


def test_many_repaints_do_not_abort(qtbot):
    # without the guard this aborts the interpreter on PySide6 6.12 / Python 3.11
    w = _Painted()
    qtbot.addWidget(w)
    w.resize(50, 50)
    w.show()
    for _ in range(8000):
        w.repaint()
    assert w.isVisible()
