"""Instances whose bytes differ from the copy already in the library: what was kept, and why.

The import worker decides which copy the store keeps
(:func:`core.importer.worker.settle_stored_copy`) and notes it on the parsed
instance. Here, in the writer's process, the library row follows a copy that
was replaced, and each conflict is described with both paths for the import
summary (``instances_conflicting``) and the import report.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from ..config import IN_LIST_CHUNK
from ..model.import_records import ParsedInstance, Rejection, RejectionCode
from .models import Instance, Series, Study
from .values import fit_row, storable_text

CONFLICT_KIND = "conflict"  # ImportIssue.kind of a conflict (beside "rejected" and "skipped")

# Instance columns that describe the bytes: rewritten when the new copy replaced the stored one
_DESCRIBED = ("sop_class_uid", "instance_number", "size", "transfer_syntax", "image_type", "presentation_intent",
              "number_of_frames", "rows", "columns", "content_datetime", "dose")


def settle_conflicts(session_factory: sessionmaker, items: list[ParsedInstance],
                     run_id: int) -> tuple[list[dict[str, Any]], set[str]]:
    """Describe the conflicts of ``items`` and update the rows of replaced copies, in one transaction.

    Parameters
    ----------
    session_factory : sqlalchemy.orm.sessionmaker
    items : list of core.model.import_records.ParsedInstance
        Written or already present instances whose ``conflict`` is set.
    run_id : int
        The import run.

    Returns
    -------
    conflicts : list of dict
        ``{"sop_instance_uid", "path", "other_path", "kept", "reason"}``: ``path`` is the file
        just read, ``other_path`` where the copy already in the library came from (None when the
        library does not know), ``kept`` ``"new"`` (the file at ``path``) or ``"stored"``.
    studies : set of str
        Study Instance UIDs whose instance now describes other bytes (to estimate again).
    """
    conflicts: list[dict[str, Any]] = []
    studies: set[str] = set()
    with session_factory() as session, session.begin():
        uids = sorted({i.sop_instance_uid.strip() for i in items})
        rows = {}
        for k in range(0, len(uids), IN_LIST_CHUNK):
            for row in session.execute(select(Instance.id, Instance.sop_instance_uid, Instance.source_label,
                                              Instance.import_run_id, Instance.series_id)
                                       .where(Instance.sop_instance_uid.in_(uids[k:k + IN_LIST_CHUNK]))):
                rows[row.sop_instance_uid] = row
        for item in items:
            uid = item.sop_instance_uid.strip()
            row = rows.get(uid)
            own = row is not None and row.source_label == storable_text(item.label) and row.import_run_id == run_id
            conflicts.append({"sop_instance_uid": uid, "path": item.label,
                              "other_path": None if row is None or own else row.source_label,
                              "kept": item.conflict["kept"], "reason": item.conflict["reason"]})
            if item.conflict["kept"] == "new" and row is not None and not own:
                values = fit_row(Instance, {c: getattr(item, c) for c in _DESCRIBED})
                values.update(source_label=storable_text(item.label), import_run_id=run_id)
                session.execute(update(Instance).where(Instance.id == row.id).values(**values))
                study_id = select(Series.study_id).where(Series.id == row.series_id).scalar_subquery()
                session.execute(update(Study).where(Study.id == study_id).values(estimate_factor_set=None))
                studies.add(session.scalar(select(Study.study_instance_uid).where(Study.id == study_id)))
    return conflicts, studies


def conflict_issue(conflict: dict[str, Any]) -> Rejection:
    """The import-report row of a conflict (an ImportIssue of kind :data:`CONFLICT_KIND`)."""
    other = conflict.get("other_path") or "an earlier import"
    kept = f"this file, not the copy from {other}" if conflict["kept"] == "new" else \
        f"the copy from {other}, not this file"
    return Rejection(conflict["path"], f"kept {kept}: {conflict['reason']} "
                                       f"(SOP Instance UID {conflict['sop_instance_uid']})", kind=CONFLICT_KIND,
                     code=RejectionCode.CONFLICT)
