"""The library facade: ``Library`` (import, history, export, settings) with plain dataclasses in and out.

Nothing here returns pydicom or SQLAlchemy objects. The GUI reaches it through
:mod:`dosetrail.core.api` (the door that re-exports it with the data classes it needs).
"""
from __future__ import annotations

from collections.abc import Iterator

from dataclasses import dataclass, field
import os
from pathlib import Path
from threading import Event
from typing import TYPE_CHECKING, Callable, Generator

from .. import __version__
from ..config import Settings, StoreLocation
from ..model.library_errors import LibraryError
from ..model.history import PatientHistory, PatientSummary
from ..model.import_records import ImportProgress, ImportSummary
from ..viewing.sr_tree import SRNode
from .archive_access import ArchiveImportSummary, ArchiveInfo, ArchiveStudy, ReceiveProgress
from .series_fetch import SeriesFetch

if TYPE_CHECKING:  # numpy: imported with the first series shown, not with the library
    from ..viewing.pixels import Volume


def exam_is_ionising(modalities: list[str] | set[str]) -> bool | None:
    """Whether an exam of these modalities involves X-rays or radionuclides (None: cannot tell)."""
    from ..dose.estimate import is_ionising

    return is_ionising(set(modalities), [])


def write_history_pdf(history: PatientHistory, path: str | Path, settings: Settings) -> None:
    """Write the PDF report of ``history`` (as ``Library.write_report_pdf`` does) to ``path``."""
    from ..export.pdf_report import write_report_pdf

    write_report_pdf(history, path, settings=settings, software_version=__version__)


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
    # (path, what it conflicted with and which copy was kept): bytes differing from the library's copy
    instances_conflicting: list[tuple[str, str]] = field(default_factory=list)


ProgressCallback = Callable[[ImportProgress], None]


class Library:
    """A DoseTrail library (database + managed file store).

    Thread-safe: every call opens its own session, so the GUI can call it from
    worker threads.

    Parameters
    ----------
    db_url
        Any SQLAlchemy URL; default: ``dosetrail.db`` in ``DOSETRAIL_HOME``.
    """

    def __init__(self, db_url: str | None = None, *, check_store: bool = True) -> None:
        from ..config import data_home, default_db_url, store_location, thumbnail_dir
        from ..storage.db import open_library
        from ..storage.filestore import open_store

        self.home = data_home()
        self.db_url = db_url or default_db_url(self.home)
        thumbnail_dir(self.home, create=True)  # private folders (patient data)
        self.engine, self.session_factory = open_library(self.db_url)
        self._settings = Settings.load(self.home)
        #: where this machine finds the file store (DOSETRAIL_STORE, the store setting, or HOME/store)
        self._store_location = store_location(self.home, self._settings)
        # checked before anything reads or writes it: an unmounted shared store is said (LibraryError), never
        # replaced by an empty folder; ``check_store=False`` only for ``settings``, which may repoint it
        self.store_root = open_store(self._store_location, self._holds_copies) if check_store \
            else self._store_location.path
        from sqlalchemy.exc import OperationalError

        from ..storage.estimates import refresh_stale_estimates

        try:
            refresh_stale_estimates(self.session_factory, self._settings)  # estimates a killed import left out
        except OperationalError:  # a read-only or busy library still opens; the next open or import retries
            pass

    # -- settings -------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self._settings

    def update_settings(self, settings: Settings, progress: Callable[[int, int], None] | None = None) -> None:
        """Save the settings and recompute every estimate (no re-import); the store's place stays
        (it changes only through :meth:`set_store`)."""
        settings.store = self._settings.store
        settings.save(self.home)
        self._settings = settings
        self.recompute_estimates(progress=progress)

    @property
    def store_location(self) -> "StoreLocation":
        """Where the file store is on this machine, and what chose it (setting, environment, default)."""
        return self._store_location

    def set_store(self, path: str | None) -> "StoreLocation":
        """Point this machine at the file store's folder (None: ``store/`` in the library folder).

        The folder must hold this library's copies when it has any (the store moved, or a shared
        folder mounted here); a new library's store is created when its parent folder exists.

        Raises
        ------
        LibraryError
            The folder is missing, unreadable, or does not hold the library's files.
        """
        from ..config import StoreLocation, store_location
        from ..storage.filestore import open_store
        from .files import copies_missing

        default = self.home / "store"
        target = Path(os.path.abspath(os.path.expanduser(path))) if path else default
        where = StoreLocation(target, "default" if target == default else "settings")
        root = open_store(where, self._holds_copies)
        with self.session_factory() as s:
            missing = copies_missing(s, root)
        if missing:
            raise LibraryError(f"{target} does not hold this library's files ({missing} is not there): "
                               "give the folder the store is in now")
        self._settings.store = None if where.source == "default" else str(target)
        self._settings.save(self.home)
        self._store_location = store_location(self.home, self._settings)  # DOSETRAIL_STORE still wins
        self.store_root = root if self._store_location.path == target else self._store_location.path
        return self._store_location

    def _holds_copies(self) -> bool:
        from .files import holds_copies

        with self.session_factory() as s:
            return holds_copies(s)

    def recompute_estimates(self, progress: Callable[[int, int], None] | None = None) -> int:
        from ..storage.estimates import refresh_estimates

        return refresh_estimates(self.session_factory, None, self._settings, progress=progress)

    # -- reading --------------------------------------------------------
    def patients(self, search: str = "", offset: int = 0, limit: int | None = None) -> list[PatientSummary]:
        from .summaries import patient_summaries

        with self.session_factory() as s:
            return patient_summaries(s, search, offset, limit)

    def patient_count(self, search: str = "") -> int:
        from .summaries import patient_count

        with self.session_factory() as s:
            return patient_count(s, search)

    def history(self, patient: str) -> PatientHistory | None:
        from .summaries import build_history, find_patient

        with self.session_factory() as s:
            p = find_patient(s, patient)
            return build_history(s, p, self._settings) if p is not None else None

    def histories(self, patient: str | None = None) -> list[PatientHistory]:
        """Every patient's history (or one patient's), for exports."""
        return list(self.iter_histories(patient))

    def iter_histories(self, patient: str | None = None) -> Iterator[PatientHistory]:
        """Every patient's history (or one patient's), one at a time (streaming exports)."""
        from .history_stream import iter_histories

        with self.session_factory() as s:
            yield from iter_histories(s, self._settings, patient)

    def series_files(self, series_uid: str) -> list[str]:
        from .files import series_files

        with self.session_factory() as s:
            return series_files(s, self.store_root, series_uid)

    def study_files(self, study_uid: str) -> list[str]:
        from .files import study_files

        with self.session_factory() as s:
            return study_files(s, self.store_root, study_uid)

    # -- viewing (files from series_files) --------------------------------
    def series_thumbnail(self, paths: list[str], size: int = 128) -> str | None:
        """A PNG thumbnail of a series' files (cached), or None when none has an image."""
        from ..viewing.thumbnails import series_thumbnail

        png = series_thumbnail(paths, size)
        return str(png) if png else None

    def load_series(self, paths: list[str], max_frames: int | None = None,
                    max_bytes: int | None = None) -> Volume:
        """Decode a series' files into a :class:`Volume` (for the image viewer)."""
        from ..viewing import pixels

        return pixels.load_series(paths, max_frames=max_frames, max_bytes=max_bytes)

    def sr_tree(self, path: str) -> SRNode:
        """A structured report file as a tree of :class:`SRNode` (ValueError: not an SR)."""
        from ..viewing import sr_tree

        return sr_tree.sr_tree(path)

    # -- importing ------------------------------------------------------
    def import_iter(self, paths: list[str], *, link: bool = False, password: str | None = None,
                    cancel: Event | None = None,
                    workers: int | None = None) -> Generator[ImportProgress, None, ImportSummary]:
        """The import as a generator of progress; its return value is the summary."""
        from ..importer.pipeline import import_paths

        return import_paths(self.session_factory, [str(p) for p in paths], store_root=self.store_root, link=link,
                            password=password, cancel=cancel, workers=workers, settings=self._settings)

    def run_import(self, paths: list[str], *, link: bool = False, password: str | None = None,
                   progress: ProgressCallback | None = None, cancel: Event | None = None,
                   workers: int | None = None) -> ImportSummary:
        """Import and block until done; ``progress`` is called from this thread."""
        from ..importer.pipeline import drive

        return drive(self.import_iter(paths, link=link, password=password, cancel=cancel, workers=workers), progress)

    def import_runs(self) -> list[ImportRunReport]:
        from .import_reports import import_runs

        with self.session_factory() as s:
            return import_runs(s)

    def import_report(self, run_id: int) -> ImportRunReport:
        from .import_reports import import_report

        with self.session_factory() as s:
            return import_report(s, run_id)

    # -- hospital archives ----------------------------------------------
    def archives(self) -> list[ArchiveInfo]:
        """The archives added with ``dosetrail pacs add``."""
        from .archive_access import archives

        return archives()

    def find_in_archive(self, name: str, patient_id: str | None = None, patient_name: str | None = None,
                        birth_date: str | None = None) -> list[ArchiveStudy]:
        """The archive's studies for a patient (ArchiveError, a LibraryError, when it fails)."""
        from .archive_access import find_studies

        return find_studies(self, name, patient_id, patient_name, birth_date)

    def retrieve_from_archive_iter(self, name: str, patient_id: str, study_uids: list[str], dose_only: bool = True,
                                   cancel: Event | None = None,
                                   ) -> Generator[ImportProgress, None, ArchiveImportSummary]:
        """Retrieve studies and import them, as a generator of progress returning the summary."""
        from .archive_access import retrieve_iter

        return retrieve_iter(self, name, patient_id, study_uids, dose_only, cancel)

    def fetch_series_pixels(self, series_uid: str) -> SeriesFetch:
        """Complete a series a dose-only retrieve left in the archive (blocking; see core.library.series_fetch)."""
        from .series_fetch import fetch_series_pixels

        return fetch_series_pixels(self, series_uid)

    def receive_iter(self, aet: str | None = None, port: int | None = None, cancel: Event | None = None,
                     ) -> Generator[ReceiveProgress, None, ImportSummary | None]:
        """Listen as a storage SCP (``dosetrail receive``) and import what arrives, until ``cancel`` is set."""
        from .archive_access import receive_iter

        return receive_iter(self, aet, port, cancel)

    # -- patients -------------------------------------------------------
    def merge_patients(self, keep_key: str, other_key: str) -> None:
        from ..storage.patients import merge_patients

        with self.session_factory() as s:
            merge_patients(s, keep_key, other_key)
            s.commit()

    def split_patient(self, key: str, identifiers: list[tuple[str, str]]) -> str:
        from sqlalchemy import select

        from ..storage.models import Patient, PatientIdentifier
        from ..storage.patients import split_patient

        with self.session_factory() as s:
            wanted = {(pid, issuer or "") for pid, issuer in identifiers}
            rows = s.execute(select(PatientIdentifier.id, PatientIdentifier.pid, PatientIdentifier.issuer)
                             .join(Patient).where(Patient.key == key)).all()
            ids = [r[0] for r in rows if (r[1], r[2] or "") in wanted]
            if not ids:
                raise KeyError(f"patient {key} has none of the identifiers {sorted(wanted)}")
            new_key = split_patient(s, key, ids)
            s.commit()
            return new_key

    def set_count_in_total(self, study_uid: str, counted: bool | None) -> str:
        """Count a study in its patient's cumulative total, or not.

        Parameters
        ----------
        study_uid : str
            StudyInstanceUID.
        counted : bool or None
            True: count it (even a probable QA/phantom scan); False: leave it
            out; None: follow the QA/phantom detection again.

        Returns
        -------
        str
            The key of the study's patient.

        Raises
        ------
        KeyError
            No study with this UID in the library.
        """
        from sqlalchemy import select

        from ..storage.models import Patient, Study

        with self.session_factory() as s:
            row = s.execute(select(Study, Patient.key).join(Patient, Patient.id == Study.patient_id)
                            .where(Study.study_instance_uid == study_uid)).first()
            if row is None:
                raise KeyError(f"unknown study {study_uid}")
            row[0].count_in_total = counted
            s.commit()
            return row[1]

    # -- media and reports ------------------------------------------------
    def removable_media(self) -> list:
        """Mounted CDs, DVDs and USB sticks that hold DICOM (``RemovableVolume`` records)."""
        from ..sources.media import list_removable_media

        return list_removable_media()

    def write_report_pdf(self, patient: str, path: str) -> None:
        from .. import __version__
        from ..export.pdf_report import write_report_pdf

        history = self.history(patient)
        if history is None:
            raise KeyError(f"unknown patient {patient}")
        write_report_pdf(history, path, settings=self._settings, software_version=__version__)

    def close(self) -> None:
        self.engine.dispose()
