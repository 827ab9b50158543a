"""Every patient's history, a batch of patients at a time, for exports that stream.

:func:`iter_histories` walks the patients (by name, as ``Library.histories``
lists them) on a server-side cursor (``yield_per``: PostgreSQL streams the
rows, SQLite steps through them) and builds the histories of each batch with a
few queries for the whole batch: summaries, studies, their series, and
instance counts, read as plain rows (no ORM identity map to fill). Nothing
but the current batch is held in memory.
"""
from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..config import Settings
from ..model.history import PatientHistory
from ..storage.models import Instance, Patient, Series, Study
from .summaries import assemble_history, build_history, find_patient, patient_summaries

#: patients per batch: a few hundred studies' ORM objects at a time
HISTORY_BATCH = 200


def iter_histories(session: Session, settings: Settings, patient: str | None = None,
                   batch: int | None = None) -> Iterator[PatientHistory]:
    """Yield patients' histories one by one, in the order of ``Library.histories``.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        An open session; it stays in use until the iterator is exhausted.
    settings : Settings
        The library's settings (factor set).
    patient : str or None
        Only this patient (key or any of its IDs); nothing when unknown.
    batch : int or None
        Patients per batch (default :data:`HISTORY_BATCH`).

    Yields
    ------
    PatientHistory
        The same histories ``core.timeline.build_history`` gives, patient by patient.
    """
    if patient is not None:
        p = find_patient(session, patient)
        if p is not None:
            yield build_history(session, p, settings)
        return
    batch = batch or HISTORY_BATCH
    stmt = select(Patient.id).order_by(Patient.name_normalised, Patient.id)
    result = session.execute(stmt, execution_options={"yield_per": batch, "stream_results": True})
    try:
        for part in result.partitions(batch):
            ids = [row[0] for row in part]
            yield from _batch_histories(session, ids, settings)
            session.expunge_all()  # the summaries' Patient objects go; the cursor stays
    finally:
        result.close()


def _batch_histories(session: Session, ids: list[int], settings: Settings) -> list[PatientHistory]:
    # plain rows, not ORM objects: an export reads every study once and changes nothing
    summaries = {s.key: s for s in patient_summaries(session, patient_ids=ids)}
    patients = {r.id: r for r in session.connection().execute(
        select(Patient.id, Patient.key, Patient.birth_date).where(Patient.id.in_(ids)))}
    studies: dict[int, list[SimpleNamespace]] = {i: [] for i in ids}
    by_id: dict[int, SimpleNamespace] = {}
    conn = session.connection()  # Core rows: no ORM loading machinery for a table's columns
    for row in conn.execute(select(Study.__table__).where(Study.patient_id.in_(ids)).order_by(Study.id)):
        st = SimpleNamespace(**row._mapping, series=[])
        studies[st.patient_id].append(st)
        by_id[st.id] = st
    # the same query (and so the same order) as Study.series' selectinload
    for row in conn.execute(select(Series.__table__).where(Series.study_id.in_(list(by_id)))
                               .order_by(Series.series_number)):
        by_id[row.study_id].series.append(SimpleNamespace(**row._mapping))
    counts = dict(conn.execute(
        select(Instance.series_id, func.count(Instance.id))
        .join(Series, Series.id == Instance.series_id).join(Study, Study.id == Series.study_id)
        .where(Study.patient_id.in_(ids)).group_by(Instance.series_id)).all())
    out = []
    for i in ids:
        p = patients.get(i)
        if p is None or p.key not in summaries:  # removed (merged) meanwhile by another process
            continue
        out.append(assemble_history(summaries[p.key], studies[i], counts, p.birth_date, settings))
    return out
