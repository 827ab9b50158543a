"""Hospital archives as the window and the CLI see them: listed, searched, retrieved into the library.

The protocol work is :mod:`dosetrail.core.pacs`'s; what a retrieve brings lands through the
library's ordinary import (same buckets, dedupe and summary). :func:`retrieve_and_import` is
the one path both ``dosetrail pacs retrieve`` and :meth:`Library.retrieve_from_archive_iter` use.
"""
from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from threading import Event
from typing import TYPE_CHECKING, Generator

from ..model.import_records import ImportProgress, ImportSummary
from ..pacs.matches import StudyMatch

if TYPE_CHECKING:
    from .facade import Library
    from ..pacs.retrieve import Retrieved


@dataclass
class ArchiveInfo:
    """One archive the user added (``dosetrail pacs add``)."""

    name: str
    kind: str  # "dimse" or "dicomweb"
    address: str  # AET@HOST:PORT or the URL


@dataclass
class ArchiveStudy(StudyMatch):
    """One study an archive holds (:class:`~dosetrail.core.pacs.matches.StudyMatch`), and whether
    the library already has it."""

    in_library: bool = False


@dataclass
class ArchiveImportSummary(ImportSummary):
    """The import summary of a retrieve, plus what the archive sent."""

    studies_retrieved: int = 0
    instances_received: int = 0
    bytes_received: int = 0


def archives() -> list[ArchiveInfo]:
    """The archives added, in the order they were added."""
    from ..pacs.archives import load_archives

    return [ArchiveInfo(a.name, a.kind, a.address()) for a in load_archives()]


def get_archive(name: str):
    """The :class:`~dosetrail.core.pacs.archives.Archive` called ``name``; ArchiveError when unknown."""
    from ..pacs.archives import ArchiveError, find_archive

    archive = find_archive(name)
    if archive is None:
        raise ArchiveError(f"no archive called {name} (see: dosetrail pacs list)")
    return archive


def find_studies(library: "Library", name: str, patient_id: str | None = None, patient_name: str | None = None,
                 birth_date: str | None = None) -> list[ArchiveStudy]:
    """The archive's studies for a patient, each marked when the library holds it already."""
    from sqlalchemy import select

    from ..pacs.retrieve import find
    from ..storage.models import Study

    found = find(get_archive(name), patient_id or None, patient_name or None, birth_date or None)
    uids = [s.study_instance_uid for s in found]
    with library.session_factory() as s:
        held = set(s.scalars(select(Study.study_instance_uid).where(Study.study_instance_uid.in_(uids)))) if uids \
            else set()
    return [ArchiveStudy(**{**asdict(m), "in_library": m.study_instance_uid in held}) for m in found]


def retrieve_and_import(library: "Library", archive, patient_id: str, study_uids: list[str] | None = None,
                        dose_only: bool = True, move_port: int | None = None, cancel: Event | None = None,
                        ) -> Generator[ImportProgress, None, tuple["ImportSummary | None", "Retrieved | None"]]:
    """Retrieve a patient's studies into a temporary folder, then import it; a generator of progress.

    What arrived before a fault is imported all the same (a rerun completes it), then the
    fault is raised again.

    Returns
    -------
    (ImportSummary or None, Retrieved or None)
        The summary is None when nothing arrived; Retrieved is None only after a fault.
    """
    from ..pacs.retrieve import retrieve

    yield ImportProgress(message=f"asking {archive.name} for the studies")
    got = None
    with tempfile.TemporaryDirectory(prefix="dosetrail-pacs-") as tmp:
        try:
            if cancel is None or not cancel.is_set():
                got = retrieve(archive, Path(tmp), patient_id, study_uids, dose_only, move_port)
        finally:  # what arrived before a fault is imported (a rerun completes it)
            summary = None
            if any(Path(tmp).iterdir()):
                summary = yield from library.import_iter([tmp], cancel=cancel)
    return summary, got


def retrieve_iter(library: "Library", name: str, patient_id: str, study_uids: list[str],
                  dose_only: bool = True, cancel: Event | None = None,
                  ) -> Generator[ImportProgress, None, ArchiveImportSummary]:
    """:func:`retrieve_and_import` for the window: the summary with what the archive sent."""
    summary, got = yield from retrieve_and_import(library, get_archive(name), patient_id, list(study_uids) or None,
                                                  dose_only, None, cancel)
    out = ArchiveImportSummary(**vars(summary)) if summary is not None else ArchiveImportSummary()
    if cancel is not None and cancel.is_set():
        out.cancelled = True
    if got is not None:
        out.studies_retrieved, out.instances_received, out.bytes_received = \
            got.studies, got.instances_received, got.bytes_received
    return out
