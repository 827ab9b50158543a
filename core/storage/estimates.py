"""Keep the stored per-study estimates in step with the dose records and settings.

Estimates are computed from the dose records stored on the instances (never
from the files), so a new factor set or reference-level set only needs
:func:`refresh_estimates`, not a re-import.
"""
from __future__ import annotations

from typing import Callable, Iterable

from sqlalchemy import or_, select, update

from ..config import IN_LIST_CHUNK, Settings
from ..dicom.dates import age_string_years, to_date
from .models import Instance, Patient, PatientIdentifier, Series, Study
from ..dose.records import DoseRecord
from ..dose.study import SeriesText, StudyDoseInput, StudyEstimate
from ..dose.test_objects import test_object_reason
from ..dose.version import STAMP_KEY, estimate_stamp

BATCH = 200


def age_years(patient_age: str | None, birth_date: str | None, study_date: str | None) -> float | None:
    """Age at the study from the birth date (preferred) or the DICOM AS value (``051Y``)."""
    if birth_date and study_date:
        b, s = to_date(birth_date), to_date(study_date)
        if b and s and s >= b:
            return round((s - b).days / 365.25, 2)
    return age_string_years(patient_age)


def study_input(study, doses: dict[int, list[dict]], counts: dict[int, int]) -> StudyDoseInput:
    """Everything stored about a study that the estimator needs.

    ``study`` is a study's plain row (:func:`_load`); ``doses`` (series id -> dose dicts) and
    ``counts`` (series id -> number of instances) come from :func:`_series_doses`.
    """
    records: list[DoseRecord] = []
    series_texts: list[SeriesText] = []
    modalities: set[str] = set(m for m in (study.modalities or "").split("\\") if m)
    for series in study.series:
        modalities.add(series.modality)
        raw = doses.get(series.id, [])
        n = counts.get(series.id, 0)
        series_texts.append(SeriesText(
            series_uid=series.series_instance_uid, modality=series.modality, description=series.description,
            body_part=series.body_part, protocol_name=series.protocol_name, image_count=n))
        for dose in raw:
            try:
                records.append(DoseRecord.from_dict(dose))
            except (TypeError, ValueError):
                continue
    patient = study.patient
    return StudyDoseInput(
        study_uid=study.study_instance_uid,
        date=study.date,
        modalities=sorted(m for m in modalities if m),
        description=study.description,
        age_years=age_years(study.patient_age, patient.birth_date if patient else None, study.date),
        sex=patient.sex if patient else None,
        series=series_texts,
        records=records,
    )


def _series_doses(session, series_ids: list[int]) -> tuple[dict[int, list[dict]], dict[int, int]]:
    """Dose dicts and instance counts per series, read as plain rows (no ORM objects)."""
    doses: dict[int, list[dict]] = {}
    counts: dict[int, int] = {}
    for i in range(0, len(series_ids), IN_LIST_CHUNK):
        chunk = series_ids[i:i + IN_LIST_CHUNK]
        for sid, dose in session.execute(select(Instance.series_id, Instance.dose).where(Instance.series_id.in_(chunk))):
            counts[sid] = counts.get(sid, 0) + 1
            if dose:
                doses.setdefault(sid, []).append(dose)
    return doses, counts


def _identifiers(session, ids: list[int]) -> dict[int, tuple[str, str]]:
    """(name, Patient ID) of the given patient identifier rows."""
    out: dict[int, tuple[str, str]] = {}
    for i in range(0, len(ids), IN_LIST_CHUNK):
        for row_id, name, pid in session.execute(select(PatientIdentifier.id, PatientIdentifier.name,
                                                        PatientIdentifier.pid)
                                                 .where(PatientIdentifier.id.in_(ids[i:i + IN_LIST_CHUNK]))):
            out[row_id] = (name, pid)
    return out


def apply_estimate(study: Study, est: StudyEstimate, settings: Settings) -> None:
    study.ionising = est.ionising
    study.effective_dose_msv = est.effective_dose_msv
    rng = est.effective_dose_range_msv
    study.effective_dose_low_msv = rng[0] if rng else None
    study.effective_dose_high_msv = rng[1] if rng else None
    study.estimate_factor_set = est.factor_set or settings.factor_set
    stamp = estimate_stamp(settings)
    study.estimate = {**est.to_dict(), STAMP_KEY: stamp}
    study.estimate_stamp = stamp


def stale_query(settings: Settings):
    """The statement :func:`stale_study_ids` runs: it reads the index on
    ``(estimate_stamp, estimate_factor_set)`` only (no ORDER BY, which would make SQLite
    read the table in id order, every study's estimate JSON with it)."""
    return select(Study.id).where(or_(
        Study.estimate_factor_set.is_(None), Study.estimate_stamp.is_(None),
        Study.estimate_stamp != estimate_stamp(settings)))


def stale_study_ids(session, settings: Settings) -> list[int]:
    """Ids of the studies whose stored estimate is missing or not current, ascending.

    Not current: made by another estimator version or with other settings
    (:func:`core.dose.version.estimate_stamp`, kept in ``Study.estimate_stamp``), or the
    study got instances after it was estimated (the library writer clears
    ``estimate_factor_set`` in the transaction that adds them). One query, on an index.
    """
    return sorted(session.scalars(stale_query(settings)))


def refresh_stale_estimates(session_factory, settings: Settings | None = None,
                            progress: Callable[[int, int], None] | None = None) -> int:
    """Estimate every study whose estimate is missing or stale (:func:`stale_study_ids`).

    Called when a library opens and at the end of every import, so a study
    stored by an import that was killed before it estimated the dose (or an
    estimate made by an older version) is never left behind.

    Returns
    -------
    int
        The number of studies estimated.
    """
    settings = settings or Settings.load()
    with session_factory() as session:
        ids = stale_study_ids(session, settings)
    return _estimate_ids(session_factory, ids, settings, progress) if ids else 0


def not_a_patient_fields(study, identifier: tuple[str, str] | None,
                       inp: StudyDoseInput) -> list[tuple[str, str | None]]:
    """The labelled texts :func:`core.dose.test_objects.test_object_reason` reads for a study.

    ``identifier`` is the (name, Patient ID) the study's files carried.
    """
    fields: list[tuple[str, str | None]] = [("study description", study.description)]
    if identifier is not None:
        fields += [("patient name", identifier[0]), ("patient ID", identifier[1])]
    if study.patient is not None:
        fields.append(("patient name", study.patient.name))
    for s in inp.series:
        fields += [("series description", s.description), ("protocol", s.protocol_name)]
    for rec in inp.records:
        if rec.image is not None:
            fields += [("series description", rec.image.series_description), ("protocol", rec.image.protocol_name)]
        fields += [("event protocol", e.protocol) for e in rec.ct_events]
    return list(dict.fromkeys(fields))


def refresh_estimates(session_factory, study_uids: Iterable[str] | None = None, settings: Settings | None = None,
                      progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute and store the estimate of the given studies (all when ``None``).

    Returns the number of studies estimated.
    """
    settings = settings or Settings.load()
    with session_factory() as session:
        if study_uids is None:
            ids = list(session.scalars(select(Study.id).order_by(Study.id)))
        else:
            uids = list(study_uids)
            ids = []
            for i in range(0, len(uids), IN_LIST_CHUNK):
                chunk = uids[i:i + IN_LIST_CHUNK]
                ids += list(session.scalars(select(Study.id).where(Study.study_instance_uid.in_(chunk))))
    return _estimate_ids(session_factory, ids, settings, progress)


class _Row:
    """What the estimation reads of a study, from plain rows (no ORM objects to track), and the
    fields :func:`apply_estimate` and the test-object check set: written back in one statement."""

    __slots__ = ("id", "study_instance_uid", "date", "description", "modalities", "patient_age",
                 "identifier_id", "patient", "series", "ionising", "effective_dose_msv",
                 "effective_dose_low_msv", "effective_dose_high_msv", "estimate_factor_set", "estimate",
                 "estimate_stamp", "test_object")

    def __init__(self, values: dict) -> None:
        for name in self.__slots__:
            setattr(self, name, values.get(name))


class _Plain:
    """A row's values as attributes (a patient, a series)."""

    def __init__(self, **values) -> None:
        self.__dict__.update(values)


_UPDATED = ("ionising", "effective_dose_msv", "effective_dose_low_msv", "effective_dose_high_msv",
            "estimate_factor_set", "estimate", "estimate_stamp", "test_object")


def _load(session, ids: list[int]) -> list[_Row]:
    """The studies ``ids`` with their patient and series (ordered as ``Study.series``), as plain rows."""
    studies = [_Row(dict(r._mapping)) for r in session.execute(select(
        Study.id, Study.study_instance_uid, Study.date, Study.description, Study.modalities, Study.patient_age,
        Study.identifier_id, Study.patient_id.label("patient")).where(Study.id.in_(ids)).order_by(Study.id))]
    patients = {pid: _Plain(birth_date=b, sex=sex, name=name) for pid, b, sex, name in session.execute(
        select(Patient.id, Patient.birth_date, Patient.sex, Patient.name)
        .where(Patient.id.in_({st.patient for st in studies})))}
    series: dict[int, list[_Plain]] = {}
    for sid, study_id, uid, modality, description, body_part, protocol in session.execute(
            select(Series.id, Series.study_id, Series.series_instance_uid, Series.modality, Series.description,
                   Series.body_part, Series.protocol_name)
            .where(Series.study_id.in_(ids)).order_by(Series.series_number, Series.id)):
        series.setdefault(study_id, []).append(_Plain(
            id=sid, series_instance_uid=uid, modality=modality, description=description, body_part=body_part,
            protocol_name=protocol))
    for st in studies:
        st.patient = patients.get(st.patient)
        st.series = series.get(st.id, [])
    return studies


def _estimate_ids(session_factory, ids: list[int], settings: Settings,
                  progress: Callable[[int, int], None] | None) -> int:
    from ..dose.estimate import estimate_study

    done = 0
    for i in range(0, len(ids), BATCH):
        with session_factory() as session:
            studies = _load(session, ids[i:i + BATCH])
            doses, counts = _series_doses(session, [se.id for st in studies for se in st.series])
            idents = _identifiers(session, [st.identifier_id for st in studies if st.identifier_id is not None])
            for study in studies:
                inp = study_input(study, doses, counts)
                reason = test_object_reason(not_a_patient_fields(study, idents.get(study.identifier_id), inp))
                study.test_object = reason[:256] if reason else None
                try:
                    est = estimate_study(inp, settings)
                except Exception as exc:  # noqa: BLE001 - keep the library usable; say why
                    est = StudyEstimate(ionising=None, body_region=None,
                                        warnings=[f"dose estimate failed: {type(exc).__name__}: {exc}"],
                                        factor_set=settings.factor_set)
                apply_estimate(study, est, settings)
            if studies:  # one UPDATE ... WHERE id = ? run for every study (ORM bulk update by primary key)
                session.execute(update(Study), [{"id": st.id, **{name: getattr(st, name) for name in _UPDATED}}
                                                for st in studies])
            session.commit()
        done += len(ids[i:i + BATCH])
        if progress:
            progress(done, len(ids))
    return done
