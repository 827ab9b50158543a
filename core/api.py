"""The library facade the GUI talks to: plain dataclasses in and out.

Nothing here returns pydicom or SQLAlchemy objects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from threading import Event
from typing import Callable

from .config import Settings
from .history import PatientHistory, PatientSummary
from .records import ImportProgress, ImportSummary


@dataclass
class StudyImportReport:
    study_instance_uid: str
    patient_key: str
    date: str | None
    description: str | None
    modalities: list[str]
    sources: list[str]  # dose sources used
    missing: list[str]  # what the dose estimate lacked
    warnings: list[str]
    reference_level_flags: list[str]


@dataclass
class ImportRunReport:
    run_id: int
    started_at: str
    finished_at: str | None
    status: str
    sources: list[str]
    files_seen: int
    instances_imported: int
    instances_already_present: int
    files_rejected: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    files_skipped: list[tuple[str, str]] = field(default_factory=list)
    studies: list[StudyImportReport] = field(default_factory=list)


ProgressCallback = Callable[[ImportProgress], None]
