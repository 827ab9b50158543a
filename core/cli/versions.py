"""``dosetrail --version``: versions of DoseTrail and what it is built on, without loading Qt."""
from __future__ import annotations

import glob
import importlib.metadata as md
import importlib.util
import os
import re
import sqlite3

from .. import __version__


def _dist(name: str) -> str:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return "not installed"


def qt_version() -> str:
    """The Qt version PySide6 ships, read from its Qt Core library (Qt is not loaded)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return "not installed"
    for root in spec.submodule_search_locations:
        for pattern in ("Qt/lib/libQt6Core.so*", "Qt/lib/QtCore.framework/Versions/A/QtCore", "Qt6Core.dll"):
            for hit in sorted(glob.glob(os.path.join(root, pattern))):
                found = _version_in_binary(hit)
                if found:
                    return found
    return _dist("PySide6-Essentials") + " (PySide6's Qt)"


def _version_in_binary(path: str) -> str | None:
    pattern = re.compile(rb"Qt (6\.\d+\.\d+) \(")
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    m = pattern.search(data)
    return m.group(1).decode() if m else None


def version_lines() -> list[str]:
    decoders = ", ".join(
        f"{name} {_dist(name)}" for name in ("pylibjpeg", "pylibjpeg-libjpeg", "pylibjpeg-openjpeg")
        if _dist(name) != "not installed"
    ) or "none"
    return [
        f"DoseTrail {__version__}",
        f"Qt {qt_version()}",
        f"PySide6 {_dist('PySide6-Essentials') if _dist('PySide6-Essentials') != 'not installed' else _dist('PySide6')}",
        f"pydicom {_dist('pydicom')} (pixel decoders: {decoders})",
        f"SQLAlchemy {_dist('SQLAlchemy')}",
        f"SQLite {sqlite3.sqlite_version}",
    ]
