"""The library's single batch writer (runs in the main process).

Import workers parse headers and store file bytes; they send
:class:`core.model.import_records.ParsedInstance` batches here. Each batch is written in
one transaction: after a crash, kill or cancel the library holds whole
batches only, and an instance row always has its series, study and patient.
"""
from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import insert, select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from ..config import IN_LIST_CHUNK
from ..model.import_records import ParsedInstance, Rejection, RejectionCode
from .models import Instance, Patient, PatientIdentifier, Series, Study
from .patients import identifier_pair, note_study_identifier, reconcile_patients
from .runs import RUN_STATUSES, finish_run, record_issues, start_run
from .values import LIMITS, fit_row, storable_text

__all__ = ["BatchResult", "LibraryWriter", "RUN_STATUSES", "finish_run", "record_issues", "start_run"]

IN_CHUNK = IN_LIST_CHUNK  # values per IN (...) list (one constant: core.config)
MAX_STUDY_WARNINGS = 100
CONFLICT_ATTEMPTS = 5  # writes of one batch when other processes write the same rows at once
MAX_UID_LENGTH = 64  # DICOM UI; the columns hold no more (cutting could make two UIDs one)

# Study columns filled from the first file that has a value
_STUDY_FIELDS = (
    ("date", "study_date"), ("time", "study_time"), ("description", "study_description"),
    ("accession_number", "accession_number"), ("institution", "institution"),
    ("patient_age", "patient_age"), ("patient_weight_kg", "patient_weight_kg"), ("patient_size_m", "patient_size_m"),
)

_STUDY_INSERT_COLUMNS = tuple(c.key for c in Study.__table__.columns if c.key not in ("id", "created_at"))

_SERIES_FIELDS = (
    ("series_number", "series_number"), ("description", "series_description"), ("body_part", "body_part"),
    ("protocol_name", "protocol_name"), ("manufacturer", "manufacturer"), ("model", "model"), ("station", "station"),
)


def _is_data_error(exc: BaseException) -> bool:
    """A failure caused by the values written, not by the database being unavailable."""
    if isinstance(exc, DataError):
        return True
    # parameter processing (e.g. a value JSON cannot encode) fails before the driver is called
    return isinstance(exc, StatementError) and not isinstance(exc, DBAPIError)


def _is_conflict(exc: BaseException) -> bool:
    """Another transaction got there first: a unique key taken, a deadlock, a serialization failure."""
    if isinstance(exc, IntegrityError):
        return True
    state = getattr(getattr(exc, "orig", None), "sqlstate", None) or ""
    return state in ("40001", "40P01")  # PostgreSQL serialization_failure, deadlock_detected


def _storage_reason(exc: BaseException) -> str:
    detail = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
    return f"could not be stored in the library ({type(exc).__name__}: {detail})"


def _uid(value: str | None) -> str:
    return (value or "").replace("\x00", "").strip()


def _chunks(values: list[str], size: int = IN_CHUNK) -> Iterable[list[str]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


@dataclass
class BatchResult:
    """What :meth:`LibraryWriter.write_batch` did with a batch."""

    imported: list[ParsedInstance] = field(default_factory=list)
    already_present: list[ParsedInstance] = field(default_factory=list)
    studies_touched: set[str] = field(default_factory=set)  # StudyInstanceUIDs that got new instances
    patients_touched: set[str] = field(default_factory=set)  # their patients' keys
    rejected: list[Rejection] = field(default_factory=list)  # items missing a UID (not written)
    conflicts: list[dict[str, Any]] = field(default_factory=list)  # see core.storage.conflicts


class LibraryWriter:
    """Writes parsed instances into the library, one transaction per batch.

    Parameters
    ----------
    session_factory : sqlalchemy.orm.sessionmaker
        From :func:`core.storage.db.open_library`.
    run_id : int
        The :class:`ImportRun` the instances belong to (:func:`start_run`).

    Notes
    -----
    Series ids and patient keys are cached between batches (rows never
    change those); studies are re-read each batch so merges made meanwhile
    are respected. Totals over all batches are kept in :attr:`imported`,
    :attr:`already_present`, :attr:`studies_touched` and
    :attr:`patients_touched`.
    """

    def __init__(self, session_factory: sessionmaker, *, run_id: int) -> None:
        self._session_factory = session_factory
        self.run_id = run_id
        self._series: dict[str, tuple[int, int]] = {}  # series uid -> (series id, study id)
        self._patient_keys: dict[int, str] = {}
        self.imported = 0
        self.already_present = 0
        self.studies_touched: set[str] = set()
        self.patients_touched: set[str] = set()

    def write_batch(self, items: list[ParsedInstance]) -> BatchResult:
        """Write a batch of instances in one transaction.

        Parameters
        ----------
        items : list of core.model.import_records.ParsedInstance
            Parsed headers; ``stored_path`` is where the bytes are (store
            relative, or the absolute linked file).

        Returns
        -------
        BatchResult
            Instances whose SOP Instance UID is already in the library (or
            earlier in the same batch) are ``already_present`` and change
            nothing. Items without a SOP, study or series UID, or with one
            longer than DICOM allows (64), are ``rejected``.

        Raises
        ------
        sqlalchemy.exc.SQLAlchemyError
            When the database fails (locked, disk full, gone); nothing of the
            batch is kept.

        Notes
        -----
        When the batch fails because of one file's values (a value the
        database refuses), it is written again one instance per transaction
        and only the offending files are ``rejected``, with the reason.
        """
        try:
            result = self._write_retrying(items)
        except Exception as exc:
            self._forget()
            if not _is_data_error(exc) or len(items) < 2:
                if _is_data_error(exc):
                    result = BatchResult(rejected=[Rejection(items[0].label, _storage_reason(exc), code=RejectionCode.STORAGE)])
                else:
                    raise
            else:
                result = self._write_one_by_one(items)
        except BaseException:
            self._forget()
            raise
        conflicted = [i for i in result.imported + result.already_present if i.conflict]
        if conflicted:  # the store holds other bytes than a copy met before: say so, follow a replaced copy
            from .conflicts import settle_conflicts

            result.conflicts, replaced = settle_conflicts(self._session_factory, conflicted, self.run_id)
            result.studies_touched |= replaced
        self.imported += len(result.imported)
        self.already_present += len(result.already_present)
        self.studies_touched |= result.studies_touched
        self.patients_touched |= result.patients_touched
        return result

    def _write_retrying(self, items: list[ParsedInstance]) -> BatchResult:
        """``_write``, again from scratch when another process wrote the same rows meanwhile.

        A unique constraint hit (another desktop inserted the same patient
        identifier, study, series or instance first), a deadlock or a
        serialization failure rolls the batch back; the next attempt sees the
        other process's committed rows and adds only what is still missing.
        """
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return self._write(items)
            except (IntegrityError, OperationalError) as exc:
                self._forget()
                if attempt == CONFLICT_ATTEMPTS or not _is_conflict(exc):
                    raise
                time.sleep(random.uniform(0.0, 0.05 * attempt))  # let the other writer's commit land
        raise AssertionError("unreachable")

    def _forget(self) -> None:
        self._series.clear()
        self._patient_keys.clear()

    def _write_one_by_one(self, items: list[ParsedInstance]) -> BatchResult:
        total = BatchResult()
        for item in items:
            try:
                part = self._write([item])
            except Exception as exc:
                self._forget()
                if not _is_data_error(exc):
                    raise
                total.rejected.append(Rejection(item.label, _storage_reason(exc), code=RejectionCode.STORAGE))
                continue
            total.imported += part.imported
            total.already_present += part.already_present
            total.rejected += part.rejected
            total.studies_touched |= part.studies_touched
            total.patients_touched |= part.patients_touched
        return total

    # -- internals ---------------------------------------------------------

    def _triage(self, items: list[ParsedInstance], result: BatchResult) -> list[ParsedInstance]:
        valid: list[ParsedInstance] = []
        seen: set[str] = set()
        for item in items:
            sop, study, series = _uid(item.sop_instance_uid), _uid(item.study_instance_uid), \
                _uid(item.series_instance_uid)
            uids = (("SOP Instance UID", sop), ("Study Instance UID", study), ("Series Instance UID", series))
            missing = [n for n, v in uids if not v]
            too_long = [n for n, v in uids if len(v) > MAX_UID_LENGTH]
            if missing:
                result.rejected.append(Rejection(item.label, f"no {' / '.join(missing)} in the file",
                                                 code=RejectionCode.INCOMPLETE))
            elif too_long:
                result.rejected.append(Rejection(
                    item.label, f"{' / '.join(too_long)} longer than {MAX_UID_LENGTH} characters (invalid DICOM)",
                    code=RejectionCode.STORAGE))
            elif sop in seen:
                result.already_present.append(item)
            else:
                seen.add(sop)
                valid.append(item)
        return valid

    def _write(self, items: list[ParsedInstance]) -> BatchResult:
        result = BatchResult()
        valid = self._triage(items, result)
        if not valid:
            return result
        new_series_cache: dict[str, tuple[int, int]] = {}
        with self._session_factory() as session, session.begin():
            existing: set[str] = set()
            for chunk in _chunks([_uid(i.sop_instance_uid) for i in valid]):
                existing.update(session.scalars(
                    select(Instance.sop_instance_uid).where(Instance.sop_instance_uid.in_(chunk))))
            new = []
            for item in valid:
                (result.already_present if _uid(item.sop_instance_uid) in existing else new).append(item)
            if not new:
                return result
            by_study: dict[str, list[ParsedInstance]] = defaultdict(list)
            for item in new:
                by_study[_uid(item.study_instance_uid)].append(item)
            studies = self._studies(session, list(by_study), by_study)
            series_ids = self._series_ids(session, new, studies, new_series_cache)
            rows = []
            touched_study_ids: set[int] = set()
            for item in new:
                series_id, study_id = series_ids[_uid(item.series_instance_uid)]
                touched_study_ids.add(study_id)
                rows.append(fit_row(Instance, {
                    "sop_instance_uid": _uid(item.sop_instance_uid),
                    "sop_class_uid": _uid(item.sop_class_uid),
                    "series_id": series_id,
                    "instance_number": item.instance_number,
                    "path": item.stored_path if item.stored_path is not None else "",
                    "linked": bool(item.linked),
                    "size": item.size,
                    "transfer_syntax": _uid(item.transfer_syntax) or None,
                    "image_type": item.image_type,
                    "presentation_intent": item.presentation_intent,
                    "number_of_frames": item.number_of_frames,
                    "rows": item.rows,
                    "columns": item.columns,
                    "content_datetime": item.content_datetime,
                    "source_label": storable_text(item.label),
                    "dose": item.dose,
                    "import_run_id": self.run_id,
                }))
            session.execute(insert(Instance.__table__), rows)  # Core executemany: no ORM bulk bookkeeping
            by_id = {s.id: s for s in studies.values()}
            missing_ids = touched_study_ids - by_id.keys()  # a series that lives in another study
            if missing_ids:
                by_id.update({s.id: s for s in session.scalars(select(Study).where(Study.id.in_(missing_ids)))})
            touched = [by_id[i] for i in touched_study_ids]
            result.studies_touched = {s.study_instance_uid for s in touched}
            result.patients_touched = self._keys(session, {s.patient_id for s in touched})
        self._series.update(new_series_cache)
        result.imported = new
        return result

    def _studies(self, session: Session, uids: list[str],
                 by_study: dict[str, list[ParsedInstance]]) -> dict[str, Study]:
        studies: dict[str, Study] = {}
        for chunk in _chunks(uids):
            studies.update({s.study_instance_uid: s for s in session.scalars(
                select(Study).where(Study.study_instance_uid.in_(chunk)))})
        pairs: dict[int, tuple[str, str]] = {}  # identifier id -> (pid, issuer)
        for chunk in _chunks(sorted({s.identifier_id for s in studies.values() if s.identifier_id})):
            for iid, pid, issuer in session.execute(select(
                    PatientIdentifier.id, PatientIdentifier.pid, PatientIdentifier.issuer)
                    .where(PatientIdentifier.id.in_(chunk))):
                pairs[iid] = (pid, issuer)
        drafts: dict[str, Study] = {}  # new studies, built outside the session, inserted in bulk
        new_uids = [u for u in uids if u not in studies]
        if new_uids:  # all new studies' patients in one go (a few queries, one flush)
            found = reconcile_patients(session, [by_study[u][0].patient for u in new_uids], {})
            for uid, match in zip(new_uids, found):
                ident = match.identifier
                drafts[uid] = Study(study_instance_uid=uid, patient_id=match.patient.id,
                                    identifier_id=ident.id if ident else None, modalities="",
                                    warnings=[match.conflict] if match.conflict else [])
                if ident is not None:
                    pairs[ident.id] = (ident.pid, ident.issuer)
        with session.no_autoflush:
            for uid in uids:
                self._update_study(session, by_study[uid], studies.get(uid) or drafts[uid], pairs)
        session.flush()
        if drafts:
            # one executemany, then the ids by UID: INSERT ... RETURNING in parameter order runs
            # one statement per row on SQLite (about 1 ms each, the writer's largest cost)
            rows = [{c: getattr(d, c) for c in _STUDY_INSERT_COLUMNS} for d in drafts.values()]
            session.execute(insert(Study.__table__), rows)
            for chunk in _chunks(list(drafts)):
                for study_id, uid in session.execute(select(Study.id, Study.study_instance_uid)
                                                     .where(Study.study_instance_uid.in_(chunk))):
                    drafts[uid].id = study_id
            studies.update(drafts)
        return studies

    def _update_study(self, session: Session, group: list[ParsedInstance], study: Study,
                      pairs: dict[int, tuple[str, str]]) -> None:
        """Fill the study's empty fields, modalities and warnings from its new files.

        The study's estimate is marked not current (``estimate_factor_set`` cleared, in this
        transaction): if the import dies before it estimates, the next open or import does.
        """
        study.estimate_factor_set = None
        lengths, _ = LIMITS[Study]
        modalities = {m for m in (study.modalities or "").split("\\") if m}
        warnings = list(study.warnings or [])
        checked: set[tuple[str, str]] = set()
        for item in group:
            for column, attr in _STUDY_FIELDS:
                if getattr(study, column) in (None, ""):
                    value = getattr(item, attr)
                    if value not in (None, ""):
                        setattr(study, column, storable_text(value, lengths.get(column)))
            if item.modality and item.modality.strip():
                modalities.add(storable_text(item.modality.strip(), 16))
            for w in item.warnings:
                if w not in warnings and len(warnings) < MAX_STUDY_WARNINGS:
                    warnings.append(storable_text(w))
            pair = identifier_pair(item.patient)
            if pair[0] and pair != pairs.get(study.identifier_id) and pair not in checked:
                # the file carries another Patient ID than the study's
                checked.add(pair)
                study.warnings = warnings
                note_study_identifier(session, study, item.patient)
                warnings = list(study.warnings or [])
        joined = storable_text("\\".join(sorted(modalities)), 128)
        if study.modalities != joined:
            study.modalities = joined
        if warnings != list(study.warnings or []):
            study.warnings = warnings

    def _series_ids(self, session: Session, new: list[ParsedInstance], studies: dict[str, Study],
                    new_cache: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
        wanted: dict[str, list[ParsedInstance]] = defaultdict(list)
        for item in new:
            wanted[_uid(item.series_instance_uid)].append(item)
        found = {u: self._series[u] for u in wanted if u in self._series}
        unknown = [u for u in wanted if u not in found]
        for chunk in _chunks(unknown):
            for sid, uid, study_id in session.execute(
                    select(Series.id, Series.series_instance_uid, Series.study_id)
                    .where(Series.series_instance_uid.in_(chunk))):
                found[uid] = new_cache[uid] = (sid, study_id)
        rows = [self._new_series(uid, wanted[uid], studies) for uid in unknown if uid not in found]
        if rows:  # (one executemany, then the ids by UID: see _studies)
            session.execute(insert(Series.__table__), rows)
            for chunk in _chunks([r["series_instance_uid"] for r in rows]):
                for sid, uid, study_id in session.execute(
                        select(Series.id, Series.series_instance_uid, Series.study_id)
                        .where(Series.series_instance_uid.in_(chunk))):
                    found[uid] = new_cache[uid] = (sid, study_id)
        return found

    @staticmethod
    def _new_series(uid: str, group: list[ParsedInstance], studies: dict[str, Study]) -> dict[str, Any]:
        """A series row from the batch's files of that series (first value given wins)."""
        row: dict[str, Any] = {"series_instance_uid": uid,
                               "study_id": studies[_uid(group[0].study_instance_uid)].id,
                               "modality": (group[0].modality or "").strip()}
        for column, attr in _SERIES_FIELDS:
            row[column] = next((v for v in (getattr(i, attr) for i in group) if v not in (None, "")), None)
        return fit_row(Series, row)

    def _keys(self, session: Session, patient_ids: set[int]) -> set[str]:
        unknown = [i for i in patient_ids if i not in self._patient_keys]
        for chunk in _chunks(unknown):
            for pid, key in session.execute(select(Patient.id, Patient.key).where(Patient.id.in_(chunk))):
                self._patient_keys[pid] = key
        return {self._patient_keys[i] for i in patient_ids}
