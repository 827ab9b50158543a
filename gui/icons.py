"""The app's SVG icons (``gui/resources/icons/*.svg``), sharp at any DPI."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtGui import QIcon

ICON_DIR = Path(__file__).resolve().parent / "resources" / "icons"


def icon_path(name: str) -> Path:
    """Path of the SVG file of icon ``name`` (without ``.svg``)."""
    return ICON_DIR / f"{name}.svg"


@lru_cache(maxsize=None)
def icon(name: str) -> QIcon:
    """A :class:`QIcon` for ``name``; an empty icon if the file is missing.

    Parameters
    ----------
    name : str
        File stem in ``resources/icons``, e.g. ``"import-folder"``.

    Returns
    -------
    QIcon
        Rendered from the SVG at whatever size and device pixel ratio Qt asks.
    """
    path = icon_path(name)
    return QIcon(str(path)) if path.exists() else QIcon()
