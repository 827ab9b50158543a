"""DoseTrail desktop application (PySide6 + pyqtgraph).

Talks to :mod:`dosetrail.core` through plain dataclasses only; never imports
pydicom or SQLAlchemy. Importing this package does not load Qt.
"""

# PySide6 6.12 drops references to None/True/False on Python < 3.12 (see
# pyside_guard); pyproject.toml keeps it out, and should it be installed anyway
# the guard stops the app aborting after a few thousand repaints.
from .pyside_guard import guard_if_affected as _guard

_guard()
del _guard
