"""Build patient summaries and exposure histories from the library."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..config import IN_LIST_CHUNK, Settings
from ..dicom.dates import iso_date
from ..dicom.names import search_fold
from ..dose.body_size import plausible_height, plausible_weight
from ..dose.report_modality import shown_modalities
from ..storage.estimates import age_years
from ..dose.study import DoseFigures, StudyEstimate
from ..dose.test_objects import count_decision
from ..dose.totals import ExamDose, PatientTotals, patient_totals
from ..model.history import ExamView, PatientHistory, PatientSummary, SeriesView, history_totals
from ..storage.models import Instance, Patient, PatientIdentifier, Study


def _counted():
    """SQL: the study counts in the patient's total (see :func:`core.dose.test_objects.count_decision`)."""
    return or_(Study.count_in_total.is_(True), and_(Study.count_in_total.is_(None), Study.test_object.is_(None)))


def _exam_dose(uid, when, value, low, high, ionising, is_counted) -> ExamDose:
    rng = (low, high) if value is not None and low is not None and high is not None else None
    return ExamDose(uid, when, value, rng, ionising, bool(is_counted))


def _spaced(key):
    """SQL: a stored name key (already :func:`~core.dicom.names.normalise_name` folded), ``^`` read as a space."""
    return func.replace(func.coalesce(key, ""), "^", " ")


def _search_clause(search: str):
    search = (search or "").strip()
    if not search:
        return None
    digits = search.replace("-", "").replace("/", "").replace(".", "")
    clauses = []
    if digits.isdigit() and len(digits) in (4, 6, 8):
        if len(digits) == 8:
            if iso_date(digits):  # 20230231 is no birth date
                clauses.append(Patient.birth_date == iso_date(digits))
        elif len(digits) == 6:
            clauses.append(Patient.birth_date.like(f"{digits[:4]}-{digits[4:6]}-%"))
        else:
            clauses.append(Patient.birth_date.like(f"{digits}-%"))
    terms = search_fold(search).split()  # every term, in any order, as the window's filter reads them
    if terms:
        clauses.append(and_(*(_spaced(Patient.name_normalised).like(f"%{t}%") for t in terms)))
    clauses.append(func.lower(Patient.name).like(f"%{search.lower()}%"))
    clauses.append(Patient.key == search)
    ids = select(PatientIdentifier.patient_id).where(func.lower(PatientIdentifier.pid).like(f"%{search.lower()}%"))
    clauses.append(Patient.id.in_(ids))
    if terms:
        names = select(PatientIdentifier.patient_id).where(
            and_(*(_spaced(PatientIdentifier.name_normalised).like(f"%{t}%") for t in terms)))
        clauses.append(Patient.id.in_(names))
    return or_(*clauses)


def patient_summaries(session: Session, search: str = "", offset: int = 0, limit: int | None = None,
                      patient_ids: list[int] | None = None) -> list[PatientSummary]:
    """Patient summaries, by name; ``patient_ids`` limits them to these row ids (a batch of an export).

    Two queries whatever the number of patients: the page of patients (search,
    ``patient_ids``, offset and limit applied in SQL) joined to the few study
    columns the totals need, then their patient IDs. Each patient's figures come
    from :func:`core.dose.totals.patient_totals` (the one aggregation).
    """
    page = select(Patient.id, Patient.key, Patient.name, Patient.birth_date, Patient.sex, Patient.name_normalised)
    clause = _search_clause(search)
    if clause is not None:
        page = page.where(clause)
    if patient_ids is not None:
        page = page.where(Patient.id.in_(patient_ids))
    if offset or limit is not None:
        page = page.order_by(Patient.name_normalised, Patient.id)
        if offset:
            page = page.offset(offset)
        if limit is not None:
            page = page.limit(limit)
    p = page.subquery("p")
    rows = session.connection().execute(  # Core rows: no ORM entities, no ORM result machinery
        select(p.c.id, p.c.key, p.c.name, p.c.birth_date, p.c.sex,
               Study.study_instance_uid, Study.date, Study.effective_dose_msv, Study.effective_dose_low_msv,
               Study.effective_dose_high_msv, Study.ionising, _counted(), Study.id)
        .select_from(p).outerjoin(Study, Study.patient_id == p.c.id)
        .order_by(p.c.name_normalised, p.c.id)).all()  # one fetchall; the studies' order does not change the totals
    patients: dict[int, tuple] = {}
    exams: dict[int, list[ExamDose]] = {}
    for pid, key, name, birth, sex, uid, when, value, low, high, ionising, is_counted, study_id in rows:
        if pid not in patients:
            patients[pid] = (key, name, birth, sex)
            exams[pid] = []
        if study_id is not None:
            exams[pid].append(_exam_dose(uid, when, value, low, high, ionising, is_counted))
    idmap: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if patients:
        ids = select(PatientIdentifier.patient_id, PatientIdentifier.pid, PatientIdentifier.issuer)
        if len(patients) <= IN_LIST_CHUNK:
            ids = ids.where(PatientIdentifier.patient_id.in_(list(patients)))
        else:
            ids = ids.where(PatientIdentifier.patient_id.in_(select(page.subquery().c.id)))
        for pid, ident, issuer in session.connection().execute(ids.order_by(PatientIdentifier.id)).all():
            if pid in patients:
                idmap[pid].append((ident, issuer or ""))
    out = []
    for pid, (key, name, birth, sex) in patients.items():
        mine = exams[pid]
        dates = [e.date for e in mine if e.date is not None]
        t = patient_totals(mine, points=False)  # the list shows no curve
        total_msv, range_msv = t.summary_figures()  # None when no exam has an estimate: unknown, not 0
        out.append(PatientSummary(
            key=key, name=name, birth_date=birth, sex=sex, patient_ids=idmap.get(pid, []),
            exam_count=len(mine), cumulative_effective_dose_msv=total_msv,
            cumulative_effective_dose_range_msv=range_msv,
            exams_without_dose_estimate=t.exams_without_estimate,
            first_exam_date=min(dates) if dates else None, last_exam_date=max(dates) if dates else None,
            exams_not_counted=t.exams_not_counted))
    return out


def patient_count(session: Session, search: str = "") -> int:
    stmt = select(func.count(Patient.id))
    clause = _search_clause(search)
    if clause is not None:
        stmt = stmt.where(clause)
    return int(session.scalar(stmt) or 0)


def find_patient(session: Session, ref: str) -> Patient | None:
    """A patient by key, or by any of its patient IDs (unique match only)."""
    p = session.scalar(select(Patient).where(Patient.key == ref))
    if p is not None:
        return p
    ids = set(session.scalars(select(PatientIdentifier.patient_id).where(PatientIdentifier.pid == ref)))
    if len(ids) == 1:
        return session.get(Patient, ids.pop())
    return None


def exam_view(study: Study, series_counts: dict[int, int], birth_date: str | None) -> ExamView:
    est = StudyEstimate.from_dict(study.estimate) if study.estimate else None
    modalities = shown_modalities((study.modalities or "").split("\\"), est)
    series = [
        SeriesView(series_uid=s.series_instance_uid, number=s.series_number, modality=s.modality,
                   description=s.description, body_part=s.body_part, instance_count=series_counts.get(s.id, 0),
                   protocol_name=s.protocol_name, manufacturer=s.manufacturer, model=s.model, station=s.station)
        for s in study.series
    ]
    warnings = list(study.warnings or []) + (list(est.warnings) if est else [])
    counted, not_counted_reason, count_warning = count_decision(study.test_object, study.count_in_total)
    warnings += [w for w in (count_warning, plausible_height(study.patient_size_m)[1],
                             plausible_weight(study.patient_weight_kg)[1]) if w]
    return ExamView(
        study_instance_uid=study.study_instance_uid,
        date=study.date,
        time=study.time,
        modalities=modalities,
        description=study.description,
        institution=study.institution,
        body_region=est.body_region if est else None,
        age_years=age_years(study.patient_age, birth_date, study.date),
        ionising=est.ionising if est else None,
        dose=est.dose if est else DoseFigures(),
        effective_dose_msv=est.effective_dose_msv if est else None,
        effective_dose_range_msv=est.effective_dose_range_msv if est else None,
        method=est.method if est else None,
        factor_set=est.factor_set if est else None,
        sources=list(est.sources) if est else [],
        warnings=warnings,
        accession_number=study.accession_number,
        reference_levels=list(est.reference_levels) if est else [],
        parts=list(est.parts) if est else [],
        reported_effective_dose_msv=est.reported_effective_dose_msv if est else None,
        series=series,
        counted_in_total=counted,
        not_counted_reason=not_counted_reason,
        test_object=study.test_object,
        count_override=study.count_in_total,
        events=list(est.events) if est else [],
        factor_status=est.factor_status if est else None,
    )


def build_history(session: Session, patient: Patient, settings: Settings) -> PatientHistory:
    summary = patient_summaries_for(session, patient)
    studies = session.scalars(
        select(Study).where(Study.patient_id == patient.id).options(selectinload(Study.series))
    ).all()
    series_ids = [s.id for st in studies for s in st.series]
    counts: dict[int, int] = {}
    for i in range(0, len(series_ids), IN_LIST_CHUNK):
        for sid, n in session.execute(
            select(Instance.series_id, func.count(Instance.id))
            .where(Instance.series_id.in_(series_ids[i:i + IN_LIST_CHUNK]))
            .group_by(Instance.series_id)
        ):
            counts[sid] = n
    return assemble_history(summary, studies, counts, patient.birth_date, settings)


def assemble_history(summary: PatientSummary, studies, counts: dict[int, int], birth_date: str | None,
                     settings: Settings) -> PatientHistory:
    """A history from a patient's summary, studies (series loaded) and instance counts per series id."""
    exams = [exam_view(st, counts, birth_date) for st in studies]
    exams.sort(key=lambda e: (e.date is None, e.date or "", e.time or "", e.study_instance_uid))
    totals = history_totals(exams)
    cumulative = list(totals.points)  # CumulativePoint is the aggregation's TotalsPoint
    summary.height_m, summary.weight_kg = latest_body_size(studies)
    return PatientHistory(patient=summary, exams=exams, cumulative=cumulative,
                          per_year_msv={y: round(v, 6) for y, v in totals.per_year.items()},
                          factor_set=settings.factor_set)



def latest_body_size(studies) -> tuple[float | None, float | None]:
    """The patient's latest plausible height (m) and weight (kg) over ``studies``, or None."""
    newest_first = sorted(studies, key=lambda st: (st.date is not None, st.date or "", st.time or ""), reverse=True)
    height = next((h for h in (plausible_height(st.patient_size_m)[0] for st in newest_first) if h is not None), None)
    weight = next((w for w in (plausible_weight(st.patient_weight_kg)[0] for st in newest_first) if w is not None),
                  None)
    return height, weight


def patient_summaries_for(session: Session, patient: Patient) -> PatientSummary:
    for s in patient_summaries(session, patient.key):
        if s.key == patient.key:
            return s
    raise LookupError(patient.key)
