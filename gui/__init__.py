"""DoseTrail desktop application (PySide6 + pyqtgraph).

Talks to :mod:`dosetrail.core` through plain dataclasses only; never imports
pydicom or SQLAlchemy. Importing this package does not load Qt.
"""

# PySide6 6.12 drops references to None/True/False on Python < 3.12 (see
# pyside_guard); without this the app aborts after a few thousand repaints.
from .pyside_guard import immortalize_singletons as _immortalize

_immortalize()
del _immortalize
