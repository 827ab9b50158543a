"""Hand-built patient histories for the export tests (PDF, FHIR).

The figures are arbitrary but consistent: cumulative totals and per-year
sums are computed from the exams, not typed in.
"""
from __future__ import annotations

from dosetrail.core.dose.study import DoseFigures, EstimatePart, ReferenceLevelFlag
from dosetrail.core.model.history import (
    ExamView,
    PatientHistory,
    PatientSummary,
    SeriesView,
    history_totals,
)


def _series(uid: str, modality: str, n: int, desc: str | None = None,
            body: str | None = None, number: int | None = 1) -> SeriesView:
    return SeriesView(series_uid=uid, number=number, modality=modality, description=desc,
                      body_part=body, instance_count=n)


def ct_exam(uid: str = "1.2.826.0.1.3680043.8.498.1001", date: str | None = "2019-05-14",
            dlp: float = 812.4, e: float = 11.37) -> ExamView:
    return ExamView(
        study_instance_uid=uid, date=date, time="10:22:00", modalities=["CT", "SR"],
        description="TÓRAX ABDOMEN", institution="Hospital Álvarez", body_region="chest-abdomen-pelvis",
        age_years=51.2, ionising=True,
        dose=DoseFigures(ct_dlp_mgycm=dlp, ct_ctdivol_mgy_max=11.2, ct_irradiation_events=3),
        effective_dose_msv=e, effective_dose_range_msv=(e * 0.5, e * 1.5),
        method="k-factor x DLP", factor_set="AAPM-96", sources=["RDSR"], warnings=[],
        accession_number="ACC123",
        reference_levels=[ReferenceLevelFlag(scheme="UK-2022", exam="chest-abdomen-pelvis",
                                             quantity="DLP", value=dlp, reference=600.0,
                                             exceeded=dlp > 600.0)],
        parts=[EstimatePart(modality="CT", method="k-factor x DLP", effective_dose_msv=e,
                            range_msv=(e * 0.5, e * 1.5), source="RDSR",
                            inputs={"dlp_mgycm": dlp, "k_msv_per_mgycm": 0.014},
                            factor_reference="AAPM Report 96 (2008)")],
        series=[_series(uid + ".1", "CT", 120, "Thorax 1.0 B70f", "CHEST"),
                _series(uid + ".2", "SR", 1, "Dose Report", None, 997)],
    )


def petct_exam(uid: str = "1.2.826.0.1.3680043.8.498.1002", date: str = "2020-02-03") -> ExamView:
    e_ct, e_nm = 6.1, 7.0
    e = e_ct + e_nm
    return ExamView(
        study_instance_uid=uid, date=date, time="08:00:00", modalities=["PT", "CT"],
        description="PET-CT FDG WHOLE BODY", institution="Hospital B", body_region="whole-body",
        age_years=52.0, ionising=True,
        dose=DoseFigures(ct_dlp_mgycm=407.0, ct_ctdivol_mgy_max=4.1, ct_irradiation_events=2,
                         administered_activity_mbq=370.0, radiopharmaceutical="Fluorodeoxyglucose F^18^"),
        effective_dose_msv=e, effective_dose_range_msv=(e * 0.5, e * 1.5),
        method="k-factor x DLP + coefficient x activity", factor_set="AAPM-96",
        sources=["image-header"], warnings=["CT region guessed from series text"],
        parts=[EstimatePart(modality="CT", method="k-factor x DLP", effective_dose_msv=e_ct,
                            range_msv=(e_ct * 0.5, e_ct * 1.5), source="image-header"),
               EstimatePart(modality="PT", method="coefficient x activity", effective_dose_msv=e_nm,
                            range_msv=(e_nm * 0.5, e_nm * 1.5), source="image-header",
                            factor_reference="ICRP 128")],
        series=[_series(uid + ".1", "PT", 200, "PET WB", "WHOLEBODY"),
                _series(uid + ".2", "CT", 300, "CT AC", "WHOLEBODY", 2)],
    )


def mg_exam(uid: str = "1.2.826.0.1.3680043.8.498.1003", date: str = "2021-06-30") -> ExamView:
    e = 0.12 * 4 * 1.2 / 2
    return ExamView(
        study_instance_uid=uid, date=date, time=None, modalities=["MG"],
        description="MAMMOGRAPHY SCREENING", institution=None, body_region="breast",
        age_years=53.4, ionising=True, dose=DoseFigures(agd_mgy=4.8),
        effective_dose_msv=e, effective_dose_range_msv=(e * 0.5, e * 1.5),
        method="0.12 x mean glandular dose", factor_set="AAPM-96", sources=["image-header"],
        warnings=[], series=[_series(uid + ".1", "MG", 4, "L CC / L MLO / R CC / R MLO", "BREAST")],
    )


def dx_exam(uid: str = "1.2.826.0.1.3680043.8.498.1004", date: str = "2021-11-02") -> ExamView:
    return ExamView(
        study_instance_uid=uid, date=date, time=None, modalities=["DX"],
        description="CHEST PA", institution=None, body_region="chest",
        age_years=53.8, ionising=True, dose=DoseFigures(dap_gycm2=0.12),
        effective_dose_msv=0.02, effective_dose_range_msv=(0.01, 0.03),
        method="typical value for exam type", factor_set="AAPM-96", sources=["typical-value"],
        warnings=["no verified DAP coefficient: typical value used"],
        series=[_series(uid + ".1", "DX", 1, "PA", "CHEST")],
    )


def mr_exam(uid: str = "1.2.826.0.1.3680043.8.498.1005", date: str = "2022-01-20") -> ExamView:
    return ExamView(
        study_instance_uid=uid, date=date, time=None, modalities=["MR"],
        description="MR KNEE", institution=None, body_region="knee", age_years=54.0,
        ionising=False, dose=DoseFigures(), effective_dose_msv=0.0,
        effective_dose_range_msv=(0.0, 0.0), method="non-ionising", factor_set=None,
        sources=[], warnings=[], series=[_series(uid + ".1", "MR", 20, "T2 SAG", "KNEE")],
    )


def unknown_ct_exam(uid: str = "1.2.826.0.1.3680043.8.498.1006", date: str | None = None) -> ExamView:
    """A CT whose dose the data does not give (no RDSR, no CTDIvol)."""
    return ExamView(
        study_instance_uid=uid, date=date, time=None, modalities=["CT"],
        description="CT HEAD (outside)", institution=None, body_region="head", age_years=None,
        ionising=True, dose=DoseFigures(), effective_dose_msv=None, effective_dose_range_msv=None,
        method=None, factor_set=None, sources=[], warnings=["no dose information in the study"],
        series=[_series(uid + ".1", "CT", 30, "Head", "HEAD")],
    )


def make_history(exams: list[ExamView], *, name: str = "MÜLLER^JOSÉ",
                 key: str = "pat-0001", factor_set: str = "AAPM-96",
                 patient_ids: list[tuple[str, str]] | None = None) -> PatientHistory:
    """A PatientHistory whose totals are computed from ``exams``."""
    dated = sorted((x for x in exams if x.date), key=lambda x: x.date)
    ordered = dated + [x for x in exams if not x.date]
    totals = history_totals(ordered)  # the library's one aggregation
    total, (low, high) = totals.cumulative_msv, totals.range_msv
    cumulative = list(totals.points)  # CumulativePoint is the aggregation's TotalsPoint
    per_year = dict(totals.per_year)
    summary = PatientSummary(
        key=key, name=name, birth_date="1967-03-09", sex="M",
        patient_ids=patient_ids if patient_ids is not None else [("12345", "HOSP-A"),
                                                                   ("987-XY", "1.2.3.4.5")],
        exam_count=len(ordered), cumulative_effective_dose_msv=total,
        cumulative_effective_dose_range_msv=(low, high),
        exams_without_dose_estimate=totals.exams_without_estimate,
        exams_not_counted=totals.exams_not_counted,
        first_exam_date=dated[0].date if dated else None,
        last_exam_date=dated[-1].date if dated else None,
    )
    return PatientHistory(patient=summary, exams=ordered, cumulative=cumulative,
                          per_year_msv=per_year, factor_set=factor_set)


def full_history(**kwargs) -> PatientHistory:
    """One patient with CT, PET/CT, MG, DX, MR and a CT without any dose data."""
    return make_history([ct_exam(), petct_exam(), mg_exam(), dx_exam(), mr_exam(),
                         unknown_ct_exam()], **kwargs)
