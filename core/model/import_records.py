"""Plain records passed between import workers, the writer and the CLI.

They are picklable (worker processes return them) and free of pydicom and
SQLAlchemy objects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


@dataclass
class PatientInfo:
    patient_id: str = ""
    issuer: str = ""
    name: str = ""  # decoded to str with the file's character set, as written
    birth_date: str | None = None  # ISO yyyy-mm-dd
    sex: str | None = None  # "M", "F", "O" or None


@dataclass
class ParsedInstance:
    """One DICOM object's header, as the library stores it."""

    label: str
    sop_instance_uid: str
    sop_class_uid: str
    study_instance_uid: str
    series_instance_uid: str
    modality: str
    patient: PatientInfo
    transfer_syntax: str | None = None
    # study level
    study_date: str | None = None  # ISO yyyy-mm-dd
    study_time: str | None = None  # hh:mm:ss
    study_description: str | None = None
    accession_number: str | None = None
    institution: str | None = None
    patient_age: str | None = None  # DICOM AS, e.g. "051Y"
    patient_weight_kg: float | None = None
    patient_size_m: float | None = None
    # series level
    series_number: int | None = None
    series_description: str | None = None
    series_date: str | None = None
    body_part: str | None = None
    protocol_name: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    station: str | None = None
    # instance level
    instance_number: int | None = None
    image_type: str | None = None  # backslash-joined
    presentation_intent: str | None = None
    number_of_frames: int | None = None
    rows: int | None = None
    columns: int | None = None
    content_datetime: str | None = None
    # the dose record extracted from this object (core.dose.records), as a dict
    dose: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)
    # where the bytes went
    stored_path: str | None = None  # path in the managed store, or the linked file
    linked: bool = False
    size: int | None = None
    # set by the worker when the store already held different bytes for this instance:
    # {"kept": "new" | "stored", "reason": str} (core.importer.worker.settle_stored_copy)
    conflict: dict[str, str] | None = None


class RejectionCode(str, Enum):
    """Why a file was not imported, for programs (``Rejection.reason`` is the sentence for people).

    The values are the ``"code"`` of ``files_rejected`` / ``files_skipped`` in the
    ``dosetrail.import/1`` summary.
    """

    NOT_DICOM = "not-dicom"  # skipped: not a DICOM file (or empty)
    DICOMDIR = "dicomdir"  # skipped: the media index (the files it lists are imported)
    UNREADABLE = "unreadable"  # DICOM, but its header is corrupt or truncated
    INCOMPLETE = "incomplete"  # DICOM without the UIDs that place it in a study
    TOO_LARGE = "too-large"  # too large to read into memory
    READ_ERROR = "read-error"  # the operating system could not read it
    PASSWORD_NEEDED = "password-needed"  # an encrypted archive member and no (or a wrong) password
    SOURCE = "source"  # refused by its source: a link, an archive's limits, an unsafe name
    READER_DIED = "reader-died"  # a reader (worker) process died on this file, twice
    CONFLICT = "conflict"  # another copy of the same SOP Instance UID with other bytes (import report)
    STORAGE = "storage"  # the library database refused its values (too long, invalid)
    OTHER = "other"  # anything else (e.g. the database refused it); the reason says what


@dataclass
class Rejection:
    """A file that is not imported, with a reason the user can act on and a code for programs."""

    label: str
    reason: str
    kind: str = "rejected"  # "rejected" or "skipped" (not DICOM)
    code: RejectionCode | None = None  # None: NOT_DICOM when skipped, else OTHER

    def __post_init__(self) -> None:
        if self.code is None:
            self.code = RejectionCode.NOT_DICOM if self.kind == "skipped" else RejectionCode.OTHER
        else:
            self.code = RejectionCode(self.code)


@dataclass
class ImportProgress:
    files_seen: int = 0
    bytes_read: int = 0
    current: str = ""
    message: str = ""
    done: bool = False


@dataclass
class ImportSummary:
    """The ``dosetrail.import/1`` summary of the contract."""

    files_seen: int = 0
    instances_imported: int = 0
    instances_already_present: int = 0
    files_rejected: list[Rejection] = field(default_factory=list)
    files_skipped_not_dicom: list[Rejection] = field(default_factory=list)
    studies_touched: list[str] = field(default_factory=list)
    patients_touched: list[str] = field(default_factory=list)
    cancelled: bool = False
    import_run_id: int | None = None
    bytes_read: int = 0
    # instances whose bytes differed from the copy in the library (core.storage.conflicts)
    instances_conflicting: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "dosetrail.import/1",
            "files_seen": self.files_seen,
            "instances_imported": self.instances_imported,
            "instances_already_present": self.instances_already_present,
            "files_rejected": [_issue(r) for r in self.files_rejected],
            "files_skipped_not_dicom": len(self.files_skipped_not_dicom),
            "studies_touched": list(self.studies_touched),
            "patients_touched": list(self.patients_touched),
            "cancelled": self.cancelled,
            # additions to the contract (allowed: extend only by adding)
            "files_skipped": [_issue(r) for r in self.files_skipped_not_dicom],
            "import_run_id": self.import_run_id,
            "bytes_read": self.bytes_read,
            "instances_conflicting": [dict(c) for c in self.instances_conflicting],
        }


def _issue(r: Rejection) -> dict[str, Any]:
    # "code" is an addition to the contract (RejectionCode's value)
    return {"path": r.label, "reason": r.reason, "code": RejectionCode(r.code).value}
