"""What an import brought in, for radiographers: buckets, reasons, per-study dose completeness."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .facade import ImportRunReport, StudyImportReport
from ..config import IN_LIST_CHUNK
from ..dicom.modalities import NUCLEAR
from ..dose.report_modality import shown_modalities
from ..dose.study import StudyEstimate
from ..wording import fmt_dose as fmt_num
from ..storage.models import ImportRun, Study


def missing_items(modalities: list[str], est: StudyEstimate | None) -> list[str]:
    """What the study's dose estimate lacked, in words a radiographer recognises."""
    out: list[str] = []
    if est is None:
        return ["no dose estimate has been computed yet"]
    if est.ionising is False:
        return out
    mods = set(modalities)
    d = est.dose
    figures = [d.ct_dlp_mgycm, d.ct_ctdivol_mgy_max, d.dap_gycm2, d.agd_mgy, d.administered_activity_mbq]
    if est.ionising and all(v is None for v in figures):
        out.append("no dose figures in the files (no dose report, no dose fields in the image headers)")
    if "CT" in mods and "RDSR" not in est.sources and est.sources:  # no source at all is said above
        out.append("no CT Radiation Dose SR: figures come from " + ", ".join(est.sources))
    if "CT" in mods and d.ct_dlp_mgycm is None:
        out.append("no DLP")
    if mods & NUCLEAR and d.administered_activity_mbq is None:
        out.append("no administered activity")
    if "MG" in mods and d.agd_mgy is None:
        out.append("no glandular dose")
    if mods & {"DX", "CR", "RF", "XA"} and d.dap_gycm2 is None:
        out.append("no dose-area product")
    if est.effective_dose_msv is None:
        out.append("no effective dose estimate")
    if "typical-value" in est.sources:
        out.append("effective dose is a typical value for the exam type, not computed from this exam's figures")
    return out


def _run_header(run: ImportRun) -> ImportRunReport:
    return ImportRunReport(
        run_id=run.id, started_at=run.started_at.isoformat(timespec="seconds"),
        finished_at=run.finished_at.isoformat(timespec="seconds") if run.finished_at else None,
        status=run.status, sources=list(run.sources or []), files_seen=run.files_seen,
        instances_imported=run.instances_imported, instances_already_present=run.instances_already_present)


def import_runs(session: Session) -> list[ImportRunReport]:
    runs = session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).all()
    out = []
    for run in runs:
        rep = _run_header(run)
        rep.files_rejected = [("", "")] * run.files_rejected  # counts only; details via import_report
        rep.files_skipped = [("", "")] * run.files_skipped
        out.append(rep)
    return out


def import_report(session: Session, run_id: int) -> ImportRunReport:
    run = session.get(ImportRun, run_id, options=[selectinload(ImportRun.issues)])
    if run is None:
        raise KeyError(f"no import run {run_id}")
    rep = _run_header(run)
    rep.files_rejected = [(i.path, i.reason) for i in run.issues if i.kind not in ("skipped", "conflict")]
    rep.instances_conflicting = [(i.path, i.reason) for i in run.issues if i.kind == "conflict"]
    rep.files_skipped = [(i.path, i.reason) for i in run.issues if i.kind == "skipped"]
    uids = list(run.studies_touched or [])
    studies = []
    for i in range(0, len(uids), IN_LIST_CHUNK):
        studies += session.scalars(select(Study).where(Study.study_instance_uid.in_(uids[i:i + IN_LIST_CHUNK]))
                                   .options(selectinload(Study.patient))).all()
    for st in sorted(studies, key=lambda s: (s.date or "", s.study_instance_uid)):
        est = StudyEstimate.from_dict(st.estimate) if st.estimate else None
        mods = shown_modalities((st.modalities or "").split("\\"), est)
        flags = []
        if est:
            for f in est.reference_levels:
                if f.exceeded:
                    unit = "mGy·cm" if f.quantity.upper() == "DLP" else "mGy"
                    flags.append(f"{f.quantity} {fmt_num(f.value)} {unit} above {f.scheme} {f.exam} "
                                 f"({fmt_num(f.reference)} {unit})")
        rep.studies.append(StudyImportReport(
            study_instance_uid=st.study_instance_uid, patient_key=st.patient.key, date=st.date,
            description=st.description, modalities=mods, sources=list(est.sources) if est else [],
            missing=missing_items(mods, est), warnings=list(st.warnings or []) + (list(est.warnings) if est else []),
            reference_level_flags=flags))
    return rep
