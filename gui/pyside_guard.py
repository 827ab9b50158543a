"""Work around a reference-count bug of PySide6 6.12 on Python 3.11.

Every call of a Python override of a C++ virtual that returns nothing (a
``paintEvent``, pyqtgraph's ``paint``) or an invalid ``QVariant``
(``QAbstractItemModel.data`` returning ``None``) drops one reference to
``None`` (``True``/``False`` likewise) without taking it. Python 3.11 starts
with a few thousand references to ``None``, so the app aborts with "Fatal
Python error: none_dealloc" after a few thousand repaints. Python 3.12 made
these singletons immortal (PEP 683), which hides the bug; on older Pythons we
give them a reference count that cannot reach zero. They are never freed
anyway, so this changes nothing else.
"""
from __future__ import annotations

import ctypes
import sys

_PINNED = 1 << 40
_done = False


def immortalize_singletons() -> bool:
    """Give ``None``, ``True`` and ``False`` an unreachable reference count.

    Returns
    -------
    bool
        True when the counts were raised (CPython < 3.12, first call only).
    """
    global _done
    if _done or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    for obj in (None, True, False):
        # ob_refcnt is the first field of a PyObject on release builds of CPython <= 3.11;
        # check that it really is before relying on it (debug builds differ)
        field = ctypes.c_ssize_t.from_address(id(obj))
        before = sys.getrefcount(obj)
        if abs(before - field.value) > 16:  # not the reference count: leave it alone
            return False
        field.value += _PINNED
        if abs(sys.getrefcount(obj) - before - _PINNED) > 16:
            field.value -= _PINNED
            return False
    _done = True
    return True


def guard_if_affected() -> bool:
    """Apply :func:`immortalize_singletons` only with the affected PySide6 (6.12.x).

    Reads the installed version without importing Qt.
    """
    from importlib import metadata

    for dist in ("PySide6-Essentials", "PySide6"):
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
        if version.startswith("6.12."):
            return immortalize_singletons()
        return False
    return False
