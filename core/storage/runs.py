"""Import runs: when an import started and ended, what it did, which files it refused."""
from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.orm import sessionmaker

from ..model.import_records import ImportSummary, Rejection
from .models import ImportIssue, ImportRun, utcnow
from .db import process_owner
from .values import storable_text

RUN_STATUSES = ("running", "completed", "cancelled", "failed", "interrupted")
ISSUE_KINDS = ("rejected", "skipped", "conflict")


def start_run(session_factory: sessionmaker, sources: list[str], link_mode: bool) -> int:
    """Record the start of an import and return its run id.

    Parameters
    ----------
    session_factory : sqlalchemy.orm.sessionmaker
    sources : list of str
        What the user asked to import (paths, links).
    link_mode : bool
        Files are linked in place rather than copied into the store.

    Returns
    -------
    int
        The new :class:`ImportRun` id (status ``"running"``, owner this
        process, see :func:`core.storage.db.mark_interrupted_runs`).
    """
    with session_factory() as session, session.begin():
        run = ImportRun(sources=[storable_text(str(s)) for s in sources], link_mode=bool(link_mode),
                        status="running", owner=process_owner())
        session.add(run)
        session.flush()
        return run.id


def finish_run(session_factory: sessionmaker, run_id: int, summary: ImportSummary, status: str) -> None:
    """Record the end of an import: counts, studies touched and final status.

    Parameters
    ----------
    session_factory : sqlalchemy.orm.sessionmaker
    run_id : int
    summary : core.model.import_records.ImportSummary
    status : str
        ``"completed"``, ``"cancelled"``, ``"failed"`` (or ``"interrupted"``).

    Raises
    ------
    ValueError
        For an unknown status. LookupError for an unknown run.
    """
    if status not in RUN_STATUSES:
        raise ValueError(f"unknown import run status {status!r}; expected one of {RUN_STATUSES}")
    with session_factory() as session, session.begin():
        run = session.get(ImportRun, run_id)
        if run is None:
            raise LookupError(f"no import run {run_id}")
        run.status = status
        run.finished_at = utcnow()
        run.files_seen = summary.files_seen
        run.instances_imported = summary.instances_imported
        run.instances_already_present = summary.instances_already_present
        run.files_rejected = len(summary.files_rejected)
        run.files_skipped = len(summary.files_skipped_not_dicom)
        run.studies_touched = list(summary.studies_touched)


def record_issues(session_factory: sessionmaker, run_id: int, rejections: list[Rejection]) -> None:
    """Store one :class:`ImportIssue` row per file the import did not take.

    Parameters
    ----------
    session_factory : sqlalchemy.orm.sessionmaker
    run_id : int
    rejections : list of core.model.import_records.Rejection
        ``kind`` is ``"rejected"``, ``"skipped"`` or ``"conflict"`` (an
        instance whose bytes differed from the library's copy; anything else
        is stored as ``"rejected"``).
    """
    if not rejections:
        return
    rows = [{"import_run_id": run_id, "path": storable_text(r.label), "reason": storable_text(r.reason),
             "kind": r.kind if r.kind in ISSUE_KINDS else "rejected"} for r in rejections]
    with session_factory() as session, session.begin():
        session.execute(insert(ImportIssue), rows)
