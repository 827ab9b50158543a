"""Patient reconciliation: which person a study belongs to.

Studies are grouped automatically only when that is safe:

1. the same (Patient ID, issuer) is the same patient, whatever the names say
   (when the birth dates or sexes disagree the study carries a warning that
   asks for a check and, if they are two people, a split);
2. otherwise, the same normalised name (:func:`.names.normalise_name`), birth
   date *and* sex (``M`` or ``F``), all three present and equal, is the same
   patient, and the new identifier is added to that patient; if several
   patients match (they were split by hand), none is chosen;
3. otherwise a new patient with a new stable key.

An empty Patient ID is never matched as an identifier (and gets no
``PatientIdentifier`` row: the ``(pid, issuer)`` unique constraint would
otherwise tie every patient without an ID together); such files join a
patient only by rule 2.

Everything else (a change of name, ``ü`` vs ``ue``, a middle name only one
hospital records) is left to :func:`merge_patients` / :func:`split_patient`,
which the GUI and CLI offer. These functions flush but never commit: the
caller owns the transaction.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, joinedload

from ..config import IN_LIST_CHUNK
from ..dicom.names import normalise_name
from ..model.import_records import PatientInfo
from .models import Patient, PatientIdentifier, Study


# sexes that count as "present" for grouping by demographics: "O" (other) is
# also written by systems that do not know, so it never groups on its own
DEMOGRAPHIC_SEXES = ("M", "F")


class PatientNotFound(LookupError):
    """No patient has the given key."""


@dataclass
class Reconciled:
    """The outcome of :func:`reconcile_patient`."""

    patient: Patient
    identifier: PatientIdentifier | None  # None for an empty Patient ID
    created: bool  # a new patient was made
    rule: str  # "identifier", "demographics" or "new"
    conflict: str | None = None  # matched by identifier although birth date or sex disagree


def demographic_conflict(birth_a: str | None, sex_a: str | None, birth_b: str | None,
                         sex_b: str | None) -> str | None:
    """Say how two records' birth dates or sexes disagree (both known and different), or None."""
    parts = []
    if birth_a and birth_b and birth_a != birth_b:
        parts.append(f"birth date {birth_a} vs {birth_b}")
    if sex_a in DEMOGRAPHIC_SEXES and sex_b in DEMOGRAPHIC_SEXES and sex_a != sex_b:
        parts.append(f"sex {sex_a} vs {sex_b}")
    return ", ".join(parts) or None


def new_patient_key() -> str:
    """Return a new stable patient key, ``"P"`` + 10 hex digits."""
    return "P" + uuid.uuid4().hex[:10].upper()


def _fit(value: str | None, length: int) -> str:
    return (value or "").replace("\x00", "").strip()[:length]


def _opt(value: str | None, length: int) -> str | None:
    text = _fit(value, length)
    return text or None


def _clean_info(info: PatientInfo) -> tuple[str, str, str, str, str | None, str | None]:
    pid = _fit(info.patient_id, 128)
    issuer = _fit(info.issuer, 128)
    name = _fit(info.name, 256)
    key = normalise_name(info.name)[:256]
    sex = _opt(info.sex, 1)
    sex = sex.upper() if sex else None
    return pid, issuer, name, key, _opt(info.birth_date, 10), sex


def identifier_pair(info: PatientInfo) -> tuple[str, str]:
    """Return the cleaned ``(Patient ID, issuer)`` a file carries (as stored)."""
    return _fit(info.patient_id, 128), _fit(info.issuer, 128)


def _identifier_for(patient: Patient, pid: str, issuer: str, name: str, key: str,
                    birth: str | None, sex: str | None) -> PatientIdentifier:
    ident = PatientIdentifier(pid=pid, issuer=issuer, name=name, name_normalised=key, birth_date=birth, sex=sex)
    patient.identifiers.append(ident)
    return ident


def find_identifier(session: Session, patient_id: str, issuer: str = "") -> PatientIdentifier | None:
    """Return the identifier row for ``(patient_id, issuer)``, or None.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    patient_id, issuer : str
        As in the DICOM header (whitespace is ignored).
    """
    pid, iss = _fit(patient_id, 128), _fit(issuer, 128)
    if not pid:
        return None
    return session.scalars(
        select(PatientIdentifier).where(PatientIdentifier.pid == pid, PatientIdentifier.issuer == iss)
    ).first()


Known = dict[tuple[str, str], "PatientIdentifier | None"]
Triple = tuple[str, str, str]


def prefetch_identifiers(session: Session, pairs: set[tuple[str, str]], known: Known) -> None:
    """Look up identifier rows (with their patients) for many ``(pid, issuer)`` at once.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    pairs : set of (str, str)
        Cleaned ``(pid, issuer)`` pairs (see :func:`identifier_pair`).
    known : dict
        Filled in place: ``(pid, issuer) -> row``, or ``None`` when the
        library has no such identifier. Pairs already in it are not queried.
    """
    wanted = {p for p in pairs if p[0] and p not in known}
    for pair in wanted:
        known[pair] = None
    pids = sorted({pid for pid, _ in wanted})
    for i in range(0, len(pids), IN_LIST_CHUNK):
        for ident in session.scalars(select(PatientIdentifier).options(joinedload(PatientIdentifier.patient))
                                     .where(PatientIdentifier.pid.in_(pids[i:i + IN_LIST_CHUNK]))):
            if (ident.pid, ident.issuer) in wanted:
                known[(ident.pid, ident.issuer)] = ident


def _demographic_candidates(session: Session, triples: set[Triple]) -> dict[Triple, list[Patient]]:
    """Patients whose own or identifiers' (name, birth date, sex) equal each triple."""
    found: dict[Triple, set[int]] = {t: set() for t in triples}
    keys = sorted({t[0] for t in triples})
    for i in range(0, len(keys), IN_LIST_CHUNK):
        chunk = keys[i:i + IN_LIST_CHUNK]
        rows = list(session.execute(select(Patient.id, Patient.name_normalised, Patient.birth_date, Patient.sex)
                                    .where(Patient.name_normalised.in_(chunk))))
        rows += session.execute(select(PatientIdentifier.patient_id, PatientIdentifier.name_normalised,
                                       PatientIdentifier.birth_date, PatientIdentifier.sex)
                                .where(PatientIdentifier.name_normalised.in_(chunk)))
        for patient_id, key, birth, sex in rows:
            if (key, birth, sex) in found:
                found[(key, birth, sex)].add(patient_id)
    ids = sorted(set().union(*found.values())) if found else []
    patients = {p.id: p for p in session.scalars(select(Patient).where(Patient.id.in_(ids)))} if ids else {}
    return {t: [patients[i] for i in sorted(pids)] for t, pids in found.items()}


def reconcile_patients(session: Session, infos: list[PatientInfo], known: Known | None = None) -> list[Reconciled]:
    """Reconcile many files' demographics at once (a few queries, one flush).

    The rules of the module apply to ``infos`` in order, exactly as if
    :func:`reconcile_patient` were called for each in turn: a patient created
    for one entry is found by the next ones.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        New rows are added and flushed, not committed.
    infos : list of core.model.import_records.PatientInfo
    known : dict, optional
        Identifier rows already looked up (:func:`prefetch_identifiers`);
        updated with the identifiers created.

    Returns
    -------
    list of Reconciled
        One per entry of ``infos``.
    """
    known = {} if known is None else known
    cleaned = [_clean_info(i) for i in infos]
    prefetch_identifiers(session, {(c[0], c[1]) for c in cleaned}, known)
    demo = _demographic_candidates(session, {(c[3], c[4], c[5]) for c in cleaned
                                             if c[3] and c[4] and c[5] in DEMOGRAPHIC_SEXES})
    results = []
    for pid, issuer, name, key, birth, sex in cleaned:
        ident = known.get((pid, issuer)) if pid else None
        if ident is not None:
            patient = ident.patient
            if patient.birth_date is None and birth:
                patient.birth_date = birth
            if patient.sex is None and sex:
                patient.sex = sex
            conflict = demographic_conflict(birth, sex, patient.birth_date, patient.sex)
            if conflict:
                conflict = (f"Patient ID {pid} (issuer {issuer or 'none'}) is already in the library for "
                            f"{patient.name or 'a patient'}, but the {conflict} differ: the study was put with that "
                            f"patient; split it off if these are two people")
            results.append(Reconciled(patient, ident, False, "identifier", conflict))
            continue
        matches = demo.get((key, birth, sex), [])
        if len(matches) == 1:
            patient, created, rule = matches[0], False, "demographics"
        else:
            patient, created, rule = Patient(key=new_patient_key(), name=name, name_normalised=key,
                                             birth_date=birth, sex=sex), True, "new"
            session.add(patient)
            if (key, birth, sex) in demo:
                demo[(key, birth, sex)].append(patient)
        ident = None
        if pid:
            ident = PatientIdentifier(patient=patient, pid=pid, issuer=issuer, name=name, name_normalised=key,
                                      birth_date=birth, sex=sex)
            session.add(ident)
            known[(pid, issuer)] = ident
        results.append(Reconciled(patient, ident, created, rule))
    session.flush()
    return results


def reconcile_patient(session: Session, info: PatientInfo, known: Known | None = None) -> Reconciled:
    """Find the patient a file's demographics belong to, or create one.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        An open session; new rows are added and flushed, not committed.
    info : core.model.import_records.PatientInfo
        Patient ID, issuer, name, birth date and sex from the file.
    known : dict, optional
        As for :func:`reconcile_patients`.

    Returns
    -------
    Reconciled
        The patient, the identifier row for the file's ``(pid, issuer)``
        (None when the Patient ID is empty), whether the patient is new and
        which rule decided.
    """
    return reconcile_patients(session, [info], known)[0]


def note_study_identifier(session: Session, study: Study, info: PatientInfo) -> str | None:
    """Handle a file of an existing study that carries another Patient ID.

    The file stays in the study (a StudyInstanceUID is one study). Its
    identifier is recorded for the study's patient unless it already belongs
    to someone else, and a warning is added to ``study.warnings``.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    study : Study
        The study the file belongs to (already in the session).
    info : core.model.import_records.PatientInfo
        The file's demographics.

    Returns
    -------
    str or None
        The warning added (None when the IDs agree, the file's ID is empty,
        or the same warning is already there).
    """
    pid, issuer, name, key, birth, sex = _clean_info(info)
    if not pid:
        return None
    current = session.get(PatientIdentifier, study.identifier_id) if study.identifier_id else None
    if current is not None and (current.pid, current.issuer) == (pid, issuer):
        return None
    ident = find_identifier(session, pid, issuer)
    carried = f"files of this study carry Patient ID {pid} (issuer {issuer or 'none'})"
    if ident is None:
        patient = session.get(Patient, study.patient_id)
        conflict = demographic_conflict(birth, sex, patient.birth_date, patient.sex)
        if conflict or (key and patient.name_normalised and key != patient.name_normalised):
            # perhaps another person's files: the ID is not given to this patient, so that a
            # later study with it is not pulled in here
            warning = (f"{carried} for {name or 'another name'} ({conflict or 'another name'}): kept in "
                       f"this study, the Patient ID was not added to this patient")
            warnings = list(study.warnings or [])
            if warning in warnings:
                return None
            study.warnings = warnings + [warning]
            return warning
        ident = _identifier_for(patient, pid, issuer, name, key, birth, sex)
        session.flush()
    if current is None:  # the study's first files had no Patient ID
        if ident.patient_id == study.patient_id:
            study.identifier_id = ident.id
            return None
        warning = carried
    else:
        other = f"{current.pid} (issuer {current.issuer})" if current.issuer else current.pid
        warning = f"{carried} as well as {other}"
    if ident.patient_id != study.patient_id:
        warning += "; that Patient ID belongs to another patient, the files were kept in this study"
    warnings = list(study.warnings or [])
    if warning in warnings:
        return None
    study.warnings = warnings + [warning]
    return warning


def get_patient(session: Session, key: str) -> Patient:
    """Return the patient with ``key``.

    Raises
    ------
    PatientNotFound
        If there is none.
    """
    patient = session.scalars(select(Patient).where(Patient.key == key)).first()
    if patient is None:
        raise PatientNotFound(key)
    return patient


def find_patient(session: Session, key_or_pid: str) -> Patient | None:
    """Return the patient with this key, or else the one holding this Patient ID.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
    key_or_pid : str
        A patient key, or any Patient ID seen for the patient (the CLI's
        ``PATIENT`` argument). A Patient ID held by several patients (with
        different issuers) is ambiguous and gives None.
    """
    text = key_or_pid.strip()
    patient = session.scalars(select(Patient).where(Patient.key == text)).first()
    if patient is not None:
        return patient
    owners = set(session.scalars(select(PatientIdentifier.patient_id).where(PatientIdentifier.pid == text)))
    return session.get(Patient, owners.pop()) if len(owners) == 1 else None


def merge_patients(session: Session, keep_key: str, other_key: str) -> None:
    """Merge ``other_key`` into ``keep_key``: identifiers and studies move, other is deleted.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Flushed, not committed.
    keep_key, other_key : str
        Patient keys; ``keep_key`` keeps its key, name and demographics
        (missing birth date or sex are taken from the other).

    Raises
    ------
    PatientNotFound
        If a key is unknown.
    ValueError
        If both keys are the same.
    """
    if keep_key == other_key:
        raise ValueError("cannot merge a patient with itself")
    keep, other = get_patient(session, keep_key), get_patient(session, other_key)
    if keep.birth_date is None:
        keep.birth_date = other.birth_date
    if keep.sex is None:
        keep.sex = other.sex
    if not keep.name:
        keep.name, keep.name_normalised = other.name, other.name_normalised
    session.flush()
    session.execute(update(PatientIdentifier).where(PatientIdentifier.patient_id == other.id)
                    .values(patient_id=keep.id))
    session.execute(update(Study).where(Study.patient_id == other.id).values(patient_id=keep.id))
    session.execute(delete(Patient).where(Patient.id == other.id))
    session.expire_all()


def split_patient(session: Session, key: str, identifier_ids: list[int]) -> str:
    """Move some identifiers, and the studies that came with them, to a new patient.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Flushed, not committed.
    key : str
        The patient to split.
    identifier_ids : list of int
        ``PatientIdentifier.id`` values of that patient. Studies whose
        ``identifier_id`` is one of them move too.

    Returns
    -------
    str
        The new patient's key. Its name, birth date and sex come from the
        first moved identifier.

    Raises
    ------
    PatientNotFound
        If ``key`` is unknown.
    ValueError
        If no identifiers are given, one does not belong to the patient, or
        nothing would be left with the original patient.
    """
    patient = get_patient(session, key)
    wanted = set(identifier_ids)
    own = {i.id: i for i in patient.identifiers}
    if not wanted:
        raise ValueError("no identifiers given")
    foreign = wanted - own.keys()
    if foreign:
        raise ValueError(f"identifiers {sorted(foreign)} do not belong to patient {key}")
    moving_studies = [s.id for s in patient.studies if s.identifier_id in wanted]
    if wanted == own.keys() and len(moving_studies) == len(patient.studies):
        raise ValueError("nothing would be left with the original patient")
    first = own[min(wanted)]
    new = Patient(key=new_patient_key(), name=first.name, name_normalised=first.name_normalised,
                  birth_date=first.birth_date, sex=first.sex)
    session.add(new)
    session.flush()
    session.execute(update(PatientIdentifier).where(PatientIdentifier.id.in_(wanted)).values(patient_id=new.id))
    if moving_studies:
        session.execute(update(Study).where(Study.id.in_(moving_studies)).values(patient_id=new.id))
    remaining = [i for i in own.values() if i.id not in wanted]
    if remaining and (patient.name_normalised, patient.birth_date, patient.sex) == (
            first.name_normalised, first.birth_date, first.sex):
        # the original's demographics came from what moved: take them from what stays
        keep = remaining[0]
        patient.name, patient.name_normalised = keep.name, keep.name_normalised
        patient.birth_date, patient.sex = keep.birth_date, keep.sex
    session.flush()
    session.expire_all()
    return new.key
