"""DoseTrail desktop application (PySide6 + pyqtgraph).

Talks to :mod:`dosetrail.core` through plain dataclasses only; never imports
pydicom or SQLAlchemy. Importing this package does not load Qt.
"""
