"""Hospital archives as the window and the CLI see them: listed, searched, retrieved into the library.

The protocol work is :mod:`dosetrail.core.pacs`'s; what a retrieve brings lands through the
library's ordinary import (same buckets, dedupe and summary). :func:`retrieve_and_import` is
the one path both ``dosetrail pacs retrieve`` and :meth:`Library.retrieve_from_archive_iter` use.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from threading import Event
from typing import TYPE_CHECKING, Generator

from ..model.import_records import ImportProgress, ImportSummary
from ..pacs.archives import DEFAULT_AET  # the listener's defaults (``dosetrail receive``), for the window too
from ..pacs.listener import DEFAULT_PORT
from ..pacs.matches import StudyMatch

if TYPE_CHECKING:
    from .facade import Library
    from ..pacs.retrieve import Retrieved

#: how often (seconds) a retrieve reports the transfer's progress while no study is being imported
PROGRESS_INTERVAL = 0.2


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
class ArchiveProgress(ImportProgress):
    """The progress of a retrieve: the transfer's counters, and what is in the library already.

    ``studies_imported`` and ``patients_touched`` hold everything imported so far (not
    just since the last report), so a reader that sees only some reports misses nothing.
    """

    instances_expected: int = 0
    instances_received: int = 0
    bytes_received: int = 0
    studies_expected: int = 0
    studies_imported: list[str] = field(default_factory=list)
    patients_touched: list[str] = field(default_factory=list)


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
    """Retrieve a patient's studies and import each as it arrives; a generator of :class:`ArchiveProgress`.

    The transfer runs study by study on a thread of its own (:class:`~dosetrail.core.pacs.transfer.Transfer`)
    while the studies that arrived are imported here, so a caller sees each study in the
    library (``studies_imported``, ``patients_touched``) before the retrieve ends. A set
    ``cancel`` stops the transfer between instances; what arrived is imported all the
    same, and so is what arrived before a fault, which is then raised again (a rerun
    completes it).

    Returns
    -------
    (ImportSummary or None, Retrieved or None)
        The summary of all the imports (None when nothing arrived; ``cancelled`` when
        ``cancel`` was set); Retrieved is None only when the archive could not be asked.
    """
    from ..pacs.retrieve import plan as make_plan
    from ..pacs.transfer import Transfer

    yield ArchiveProgress(message=f"asking {archive.name} for the studies")
    if cancel is not None and cancel.is_set():
        return ImportSummary(cancelled=True), None
    plan = make_plan(archive, patient_id, study_uids, dose_only)
    state = ArchiveProgress(instances_expected=plan.expected, studies_expected=len(plan.study_uids))
    summaries: list[ImportSummary] = []
    with tempfile.TemporaryDirectory(prefix="dosetrail-pacs-") as tmp:
        transfer = Transfer(plan, Path(tmp), cancel, move_port)
        transfer.start()
        try:
            ended = False
            while not ended:
                folders, ended = transfer.take(PROGRESS_INTERVAL)
                if folders:
                    summaries.append((yield from _import(library, folders, transfer, state)))
                    for folder in folders:  # imported: the disk space goes back at once
                        shutil.rmtree(folder, ignore_errors=True)
                else:
                    yield _progress(state, transfer)
        finally:
            transfer.stop(timeout=30)
    if transfer.error is not None:
        raise transfer.error
    summary = merge_summaries(summaries)
    if cancel is not None and cancel.is_set():
        summary = summary or ImportSummary()
        summary.cancelled = True
    return summary, transfer.retrieved()


def _progress(state: "ArchiveProgress", transfer, **kw) -> "ArchiveProgress":
    """A snapshot of ``state`` with the transfer's counters (lists copied: it crosses threads).

    ``current`` says what was received (what the command line's progress line shows) unless given.
    """
    kw.setdefault("current", f"{transfer.received}/{state.instances_expected} instances, "
                             f"{len(state.studies_imported)}/{state.studies_expected} studies imported")
    return replace(state, instances_received=transfer.received, bytes_received=transfer.bytes_received,
                   studies_imported=list(state.studies_imported), patients_touched=list(state.patients_touched),
                   **kw)


def _import(library: "Library", folders: list[Path], transfer, state: "ArchiveProgress",
            ) -> Generator["ArchiveProgress", None, ImportSummary]:
    """Import the folders that arrived (the transfer goes on meanwhile); ``state`` learns the
    studies and patients now in the library."""
    gen = library.import_iter([str(f) for f in folders])
    while True:
        try:
            p = next(gen)
        except StopIteration as stop:
            summary: ImportSummary = stop.value
            break
        yield _progress(state, transfer, files_seen=state.files_seen + p.files_seen, current=p.current)
    state.files_seen += summary.files_seen
    for uid in summary.studies_touched:
        if uid not in state.studies_imported:
            state.studies_imported.append(uid)
    for key in summary.patients_touched:
        if key not in state.patients_touched:
            state.patients_touched.append(key)
    yield _progress(state, transfer)
    return summary


def merge_summaries(summaries: list[ImportSummary]) -> ImportSummary | None:
    """One summary of several imports (a retrieve imports study by study); None for none.

    Counts add up, lists are joined (studies and patients once each), ``import_run_id`` is the last run's.
    """
    if not summaries:
        return None
    out = ImportSummary()
    for s in summaries:
        out.files_seen += s.files_seen
        out.instances_imported += s.instances_imported
        out.instances_already_present += s.instances_already_present
        out.bytes_read += s.bytes_read
        out.files_rejected += s.files_rejected
        out.files_skipped_not_dicom += s.files_skipped_not_dicom
        out.instances_conflicting += s.instances_conflicting
        out.studies_touched += [u for u in s.studies_touched if u not in out.studies_touched]
        out.patients_touched += [k for k in s.patients_touched if k not in out.patients_touched]
        out.cancelled = out.cancelled or s.cancelled
        out.import_run_id = s.import_run_id if s.import_run_id is not None else out.import_run_id
    return out


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


@dataclass
class ReceiveProgress(ImportProgress):
    """The listener's state (:func:`receive_iter`): where it listens and what it imported so far.

    ``patients_touched`` and ``studies_touched`` hold everything imported since it started.
    """

    aet: str = ""
    port: int = 0
    instances_received: int = 0
    instances_imported: int = 0
    bytes_received: int = 0
    studies_touched: list[str] = field(default_factory=list)
    patients_touched: list[str] = field(default_factory=list)


def receive_iter(library: "Library", aet: str | None = None, port: int | None = None, cancel: Event | None = None,
                 ) -> Generator[ReceiveProgress, None, ImportSummary | None]:
    """Listen as a storage SCP until ``cancel`` is set, importing each association's instances when it ends.

    The first report says where it listens (``message`` "Listening as AET on port N"); one
    follows each import, and one every :data:`PROGRESS_INTERVAL` s meanwhile (so a cancel is
    seen). The port is closed when the generator ends or is closed.

    Raises
    ------
    ArchiveError
        When the port cannot be listened on (in use, or privileged), before anything is reported.

    Returns
    -------
    ImportSummary or None
        All the imports together (None when nothing arrived).
    """
    from ..pacs.listener import Listener

    aet = aet or DEFAULT_AET
    port = DEFAULT_PORT if port is None else port
    listener = Listener(aet, port)
    state = ReceiveProgress(message=f"Listening as {aet} on port {port}", aet=aet, port=port)
    summaries: list[ImportSummary] = []

    def snapshot() -> ReceiveProgress:
        return replace(state, studies_touched=list(state.studies_touched),
                       patients_touched=list(state.patients_touched))

    def take(batch) -> Generator[ReceiveProgress, None, None]:
        folder, n, size = batch
        try:
            summary = yield from _forward(library.import_iter([str(folder)]), snapshot)
        finally:
            listener.done_with(folder)
        summaries.append(summary)
        state.instances_received += n
        state.bytes_received += size
        state.instances_imported += summary.instances_imported
        state.files_seen += summary.files_seen
        state.studies_touched += [u for u in summary.studies_touched if u not in state.studies_touched]
        state.patients_touched += [k for k in summary.patients_touched if k not in state.patients_touched]
        yield snapshot()

    try:
        yield snapshot()
        while cancel is None or not cancel.is_set():
            batch = listener.next_batch(PROGRESS_INTERVAL)
            if batch is not None:
                yield from take(batch)
            else:
                yield snapshot()
        for batch in listener.stop():  # associations cut short by the stop: what arrived is imported
            yield from take(batch)
    finally:
        listener.stop()
        listener.close()
    return merge_summaries(summaries)


def _forward(gen, snapshot) -> Generator[ReceiveProgress, None, ImportSummary]:
    """Drive an import generator, reporting the listener's state meanwhile; its summary."""
    while True:
        try:
            p = next(gen)
        except StopIteration as stop:
            return stop.value
        yield replace(snapshot(), current=p.current)
