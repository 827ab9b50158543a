"""The GUI's one door into core (issue 12): re-exports only, every name has its home elsewhere.

The ``Library`` facade and its reports live in :mod:`dosetrail.core.library`, the plain data
classes in :mod:`dosetrail.core.model`; the few pure helpers and errors the window needs
come from their own layers. import-linter checks that the GUI imports nothing else of core
but :mod:`dosetrail.core.wording` (pyproject.toml).
"""
from __future__ import annotations

from . import __version__
from .birth_date import known_birth_date
from .cli.errors import describe as describe_error
from .cli.main import main as run_cli
from .cli.terminal import terminal_print
from .config import DRL_SETS, FACTOR_SETS, Settings, StoreLocation, data_home
from .dose.study import DoseFigures, EstimatePart, ReferenceLevelFlag
from .export.csv_export import spreadsheet_safe
from .library.archive_access import DEFAULT_AET as RECEIVE_AET, DEFAULT_PORT as RECEIVE_PORT
from .library.archive_access import ArchiveImportSummary, ArchiveInfo, ArchiveProgress, ArchiveStudy, ReceiveProgress
from .library.series_fetch import SeriesFetch
from .library.demo import DemoUnavailable, ensure_demo_library
from .library.facade import ImportRunReport, Library, StudyImportReport, exam_is_ionising, write_history_pdf
from .library.protocol import LibraryAPI
from .model.library_errors import LibraryError
from .model.history import CumulativePoint, ExamView, PatientHistory, PatientSummary, SeriesView
from .model.import_records import ImportProgress, ImportSummary, Rejection, RejectionCode
from .private_files import write_private
from .sources.base import SourceError
from .dicom.dates import to_date
from .dicom.modalities import NON_IMAGE_OBJECTS, SUPPORTING_OBJECTS
from .dicom.names import chart_name, search_fold
from .viewing.sr_tree import SRNode

#: Names that need numpy, imported when first asked for (the window shows its patient list first).
_DEFERRED = {"Volume": ".viewing.pixels", "CT_PRESETS": ".viewing.windowing", "auto_window": ".viewing.windowing"}


def __getattr__(name: str):
    """``Volume``, ``CT_PRESETS``, ``auto_window``: imported on first use (numpy)."""
    if name in _DEFERRED:
        import importlib

        value = getattr(importlib.import_module(_DEFERRED[name], __package__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "ArchiveImportSummary", "ArchiveInfo", "ArchiveProgress", "ArchiveStudy",
    "CT_PRESETS", "DRL_SETS", "NON_IMAGE_OBJECTS", "SUPPORTING_OBJECTS", "FACTOR_SETS", "CumulativePoint", "DemoUnavailable", "DoseFigures",
    "EstimatePart", "ExamView", "ImportProgress", "ImportRunReport", "ImportSummary", "Library",
    "LibraryAPI", "LibraryError", "PatientHistory", "PatientSummary", "ReferenceLevelFlag", "Rejection", "StoreLocation",
    "RECEIVE_AET", "RECEIVE_PORT", "ReceiveProgress", "RejectionCode", "SRNode", "SeriesFetch", "SeriesView", "Settings", "SourceError", "StudyImportReport", "Volume",
    "__version__", "auto_window", "chart_name", "data_home", "describe_error", "ensure_demo_library",
    "exam_is_ionising", "known_birth_date", "run_cli", "search_fold", "spreadsheet_safe", "terminal_print", "to_date",
    "write_history_pdf", "write_private",
]
