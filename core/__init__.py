"""DoseTrail core: DICOM import, storage, dose engine and CLI (never imports Qt)."""

__version__ = "0.1.0"
