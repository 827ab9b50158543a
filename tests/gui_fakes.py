"""A test double of ``dosetrail.core.api.Library`` for GUI tests.

It satisfies ``core.library.protocol.LibraryAPI`` like the real facade (checked
signature by signature in tests/test_library_api_protocol.py), canned dataclasses, and a call log
(``calls``) so tests can check what the GUI asked for. Numbers are built from
a few inputs (DLP x k, DAP, activity) so tests compute expectations from the
data instead of hard-coding them.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Generator

from dosetrail.core.api import ImportRunReport, Library, StudyImportReport, search_fold
from dosetrail.core.config import Settings, StoreLocation
from dosetrail.core.dose.study import DoseFigures, EstimatePart, ReferenceLevelFlag
from dosetrail.core.dose.test_objects import count_decision
from dosetrail.core.model.history import (
    ExamView,
    PatientHistory,
    PatientSummary,
    SeriesView,
    history_totals,
)
from dosetrail.core.model.import_records import ImportProgress, ImportSummary
from dosetrail.core.api import (ArchiveImportSummary, ArchiveInfo, ArchiveProgress, ArchiveStudy, LibraryError,
                                ReceiveProgress, SeriesFetch)

K_CHEST = {"AAPM-96": 0.014, "ICRP-103-NCI": 0.0145}
K_CAP = {"AAPM-96": 0.015, "ICRP-103-NCI": 0.0158}


def _ct_exam(uid: str, date: str, dlp: float, desc: str, region: str, k: dict, factor_set: str,
             flags: list[ReferenceLevelFlag] | None = None) -> ExamView:
    e = round(dlp * k[factor_set], 3)
    return ExamView(
        study_instance_uid=uid, date=date, time="10:00:00", modalities=["CT", "SR"],
        description=desc, institution="Hospital A", body_region=region, age_years=51.0,
        ionising=True,
        dose=DoseFigures(ct_dlp_mgycm=dlp, ct_ctdivol_mgy_max=round(dlp / 40, 2),
                         ct_irradiation_events=2),
        effective_dose_msv=e, effective_dose_range_msv=(round(e * 0.5, 3), round(e * 1.5, 3)),
        method="k-factor x DLP", factor_set=factor_set, sources=["RDSR"], warnings=[],
        accession_number=f"ACC{uid[-3:]}", reference_levels=list(flags or []),
        parts=[EstimatePart(modality="CT", method="k-factor x DLP", effective_dose_msv=e,
                            range_msv=(round(e * 0.5, 3), round(e * 1.5, 3)), source="RDSR",
                            inputs={"dlp_mgycm": dlp, "k_msv_per_mgycm": k[factor_set],
                                    "region": region},
                            factor_reference=f"{factor_set} k-factor table ({region})")],
        series=[SeriesView(series_uid=uid + ".1", number=1, modality="CT", description=desc,
                           body_part=region.upper(), instance_count=120)],
    )


def build_history(key: str = "P1", factor_set: str = "AAPM-96") -> PatientHistory:
    """A mixed history: CT x3 (one over a reference level), DX, MG, PET/CT, MR, an
    XA without dose data (no estimate) and an exam without a date."""
    exams: list[ExamView] = [
        _ct_exam("1.2.1.101", "2015-03-04", 420.0, "CT CHEST", "chest", K_CHEST, factor_set),
        ExamView(study_instance_uid="1.2.1.102", date="2016-06-10", time=None, modalities=["DX"],
                 description="CHEST PA", institution="Clinic B", body_region="chest",
                 age_years=52.3, ionising=True, dose=DoseFigures(dap_gycm2=0.12),
                 effective_dose_msv=0.1, effective_dose_range_msv=(0.05, 0.15),
                 method="typical value (radiography chest)", factor_set=factor_set,
                 sources=["image-header", "typical-value"],
                 warnings=["no verified DAP coefficient: typical value used"]),
        ExamView(study_instance_uid="1.2.1.103", date="2017-09-01", time=None, modalities=["MG"],
                 description="SCREENING MAMMO", institution="Clinic B", body_region="breast",
                 age_years=53.5, ionising=True, dose=DoseFigures(agd_mgy=4.8),
                 effective_dose_msv=0.288, effective_dose_range_msv=(0.144, 0.432),
                 method="0.12 x mean glandular dose", factor_set=factor_set,
                 sources=["image-header"], warnings=[]),
        _ct_exam("1.2.1.104", "2019-01-20", 1200.0, "CT TORAX ABDOMEN PELVIS",
                 "chest-abdomen-pelvis", K_CAP, factor_set,
                 flags=[ReferenceLevelFlag(scheme="UK-2022", exam="chest-abdomen-pelvis",
                                           quantity="DLP", value=1200.0, reference=940.0,
                                           exceeded=True)]),
        ExamView(study_instance_uid="1.2.1.105", date="2020-05-05", time=None, modalities=["MR"],
                 description="MR KNEE", institution="Hospital A", body_region="knee",
                 age_years=56.0, ionising=False, dose=DoseFigures(), effective_dose_msv=0.0,
                 effective_dose_range_msv=(0.0, 0.0), method="non-ionising",
                 factor_set=factor_set, sources=[], warnings=[]),
        ExamView(study_instance_uid="1.2.1.106", date="2021-11-30", time=None,
                 modalities=["XA"], description="ANGIO", institution="Hospital A",
                 body_region=None, age_years=57.5, ionising=True, dose=DoseFigures(),
                 effective_dose_msv=None, effective_dose_range_msv=None, method=None,
                 factor_set=None, sources=[], warnings=["no dose data in the study"]),
    ]
    pet_e = round(350.0 * 0.019 + 300.0 * 0.015, 3)
    exams.append(ExamView(
        study_instance_uid="1.2.1.107", date="2023-02-14", time="08:30:00",
        modalities=["PT", "CT", "SR"], description="PET CT FDG", institution="Hospital A",
        body_region="whole body", age_years=59.0, ionising=True,
        dose=DoseFigures(ct_dlp_mgycm=300.0, ct_ctdivol_mgy_max=3.1, ct_irradiation_events=1,
                         administered_activity_mbq=350.0, radiopharmaceutical="Fluorodeoxyglucose"),
        effective_dose_msv=pet_e, effective_dose_range_msv=(round(pet_e * 0.5, 3),
                                                            round(pet_e * 1.5, 3)),
        method="NM: coefficient x activity; CT: k-factor x DLP", factor_set=factor_set,
        sources=["RRDSR", "RDSR"], warnings=[],
        parts=[EstimatePart(modality="PT", method="coefficient x activity",
                            effective_dose_msv=round(350.0 * 0.019, 3), range_msv=None,
                            source="RRDSR", inputs={"activity_mbq": 350.0,
                                                    "msv_per_mbq": 0.019},
                            factor_reference="SNMMI guideline table"),
               EstimatePart(modality="CT", method="k-factor x DLP",
                            effective_dose_msv=4.5, range_msv=None, source="RDSR",
                            inputs={"dlp_mgycm": 300.0, "k_msv_per_mgycm": 0.015},
                            factor_reference=f"{factor_set} k-factor table")],
        reported_effective_dose_msv=6.65))
    exams.append(ExamView(
        study_instance_uid="1.2.1.108", date=None, time=None, modalities=["CR"],
        description="HAND", institution=None, body_region="hand", age_years=None, ionising=True,
        dose=DoseFigures(), effective_dose_msv=None, effective_dose_range_msv=None,
        method=None, factor_set=None, sources=[], warnings=["study date missing"]))
    return _history_from_exams(key, "DOE^JANE", exams, factor_set)


def qa_exam(uid: str = "1.2.1.190", date: str = "2022-04-01", factor_set: str = "AAPM-96") -> ExamView:
    """A CT of a phantom ('Z_Physics Test'): estimated, but not counted in the total."""
    exam = _ct_exam(uid, date, 600.0, "Z_Physics Test", "chest", K_CHEST, factor_set)
    exam.test_object = 'study description "Z_Physics Test" (PHYSICS)'
    apply_count(exam, None)
    return exam


def apply_count(exam: ExamView, override: bool | None) -> None:
    """Set ``exam``'s count fields and warning as the library does (core.dose.test_objects)."""
    counted, reason, warning = count_decision(exam.test_object, override)
    exam.count_override, exam.counted_in_total, exam.not_counted_reason = override, counted, reason
    exam.warnings = [w for w in exam.warnings if not _is_count_warning(w)] + ([warning] if warning else [])


def _is_count_warning(text: str) -> bool:
    return text.startswith(("probable QA/phantom scan", "not counted in the total"))


def with_qa_exam(history: PatientHistory) -> PatientHistory:
    """``history`` plus :func:`qa_exam`, totals recomputed (the QA exam adds nothing)."""
    new = _history_from_exams(history.patient.key, history.patient.name,
                              history.exams + [qa_exam(factor_set=history.factor_set)], history.factor_set)
    new.patient.patient_ids = history.patient.patient_ids
    return new


def _history_from_exams(key: str, name: str, exams: list[ExamView],
                        factor_set: str) -> PatientHistory:
    """A history of ``exams`` with the totals the library computes (core.model.history.history_totals)."""
    totals = history_totals(exams)
    total, rng = totals.summary_figures()
    dated = [e.date for e in exams if e.date]
    summary = PatientSummary(
        key=key, name=name, birth_date="1964-02-01", sex="F",
        patient_ids=[("12345", "HOSP-A"), ("A-778", "CLINIC-B")], exam_count=len(exams),
        cumulative_effective_dose_msv=total, cumulative_effective_dose_range_msv=rng,
        exams_without_dose_estimate=totals.exams_without_estimate,
        first_exam_date=min(dated) if dated else None, last_exam_date=max(dated) if dated else None,
        exams_not_counted=totals.exams_not_counted, height_m=1.68, weight_kg=64.5)
    cumulative = list(totals.points)  # CumulativePoint is the aggregation's TotalsPoint
    return PatientHistory(patient=summary, exams=exams, cumulative=cumulative,
                          per_year_msv={y: round(v, 6) for y, v in totals.per_year.items()}, factor_set=factor_set)


def build_patients(n: int) -> list[PatientSummary]:
    """``n`` plain patient summaries (no histories), for the list model."""
    out = []
    for i in range(n):
        out.append(PatientSummary(
            key=f"K{i:05d}", name=f"PATIENT^{i:05d}", birth_date=f"{1940 + i % 60}-0{1 + i % 9}-15",
            sex="MF"[i % 2], patient_ids=[(f"ID{i:05d}", "HOSP-A")], exam_count=i % 7,
            cumulative_effective_dose_msv=round((i % 13) * 1.7, 3),
            cumulative_effective_dose_range_msv=(round((i % 13) * 0.85, 3),
                                                 round((i % 13) * 2.55, 3)),
            exams_without_dose_estimate=i % 3, first_exam_date="2015-01-01",
            last_exam_date=f"20{10 + i % 15}-06-01"))
    return out


@dataclass
class FakeLibrary:
    """Stands in for ``dosetrail.core.api.Library`` (same signatures)."""

    histories: dict[str, PatientHistory] = field(default_factory=dict)
    extra_patients: list[PatientSummary] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    calls: list[tuple] = field(default_factory=list)
    # hospital archives: what archives() lists and find_in_archive() answers; an error to raise
    archive_list: list[ArchiveInfo] = field(default_factory=list)
    archive_studies: list[ArchiveStudy] = field(default_factory=list)
    archive_error: str | None = None
    archive_gate: threading.Event | None = None  # a retrieve waits for it after its first study
    # study UID -> the exam a retrieve adds to the patient's history when that study "arrives"
    archive_exams: dict[str, ExamView] = field(default_factory=dict)
    receive_error: str | None = None  # the listener cannot start (a port in use, say)

    @classmethod
    def populated(cls, extra: int = 0) -> "FakeLibrary":
        lib = cls()
        lib.histories["P1"] = build_history("P1")
        second = build_history("P2")
        second.patient.name = "ROE^RICHARD"
        second.patient.patient_ids = [("99", "HOSP-A")]
        lib.histories["P2"] = second
        lib.extra_patients = build_patients(extra)
        return lib

    # settings
    store_location: StoreLocation = field(default_factory=lambda: StoreLocation(Path("/fake/store"), "default"))

    def set_store(self, path: str | None) -> StoreLocation:
        """Like the library's: a folder that is not there is refused (LibraryError)."""
        self.calls.append(("set_store", path))
        if path and not Path(path).is_dir():
            raise LibraryError(f"the file store {path} is not there")
        self.store_location = StoreLocation(Path(path) if path else Path("/fake/store"),
                                             "settings" if path else "default")
        return self.store_location

    def update_settings(self, settings: Settings, progress: Callable[[int, int], None] | None = None) -> None:
        self.calls.append(("update_settings", settings))
        for i in range(len(self.histories)):
            if progress is not None:
                progress(i + 1, len(self.histories))
        self.settings = replace(settings)
        for key, h in list(self.histories.items()):
            name, ids = h.patient.name, h.patient.patient_ids
            self.histories[key] = build_history(key, settings.factor_set)
            self.histories[key].patient.name, self.histories[key].patient.patient_ids = name, ids

    # patients
    def _all(self) -> list[PatientSummary]:
        return [h.patient for h in self.histories.values()] + list(self.extra_patients)

    def patients(self, search: str = "", offset: int = 0,
                 limit: int | None = None) -> list[PatientSummary]:
        self.calls.append(("patients", search, offset, limit))
        s = search.lower().replace("-", "")
        rows = [p for p in self._all() if not s or search_fold(search) in search_fold(p.name)  # as the library folds
                or any(s in i.lower() for i, _ in p.patient_ids)
                or (p.birth_date and p.birth_date.replace("-", "").startswith(s))]
        end = None if limit is None else offset + limit
        return rows[offset:end]

    def patient_count(self, search: str = "") -> int:
        return len(self.patients(search))

    def history(self, patient: str) -> PatientHistory | None:
        self.calls.append(("history", patient))
        if patient in self.histories:
            return self.histories[patient]
        for h in self.histories.values():
            if any(patient == i for i, _ in h.patient.patient_ids):
                return h
        return None

    def set_count_in_total(self, study_uid: str, counted: bool | None) -> str:
        self.calls.append(("set_count_in_total", study_uid, counted))
        for key, h in self.histories.items():
            for ex in h.exams:
                if ex.study_instance_uid == study_uid:
                    apply_count(ex, counted)
                    new = _history_from_exams(key, h.patient.name, h.exams, h.factor_set)
                    new.patient.patient_ids = h.patient.patient_ids
                    self.histories[key] = new
                    return key
        raise KeyError(f"unknown study {study_uid}")

    # hospital archives
    def archives(self) -> list[ArchiveInfo]:
        return list(self.archive_list)

    def find_in_archive(self, name: str, patient_id: str | None = None, patient_name: str | None = None,
                        birth_date: str | None = None) -> list[ArchiveStudy]:
        self.calls.append(("find_in_archive", name, patient_id, patient_name, birth_date))
        if self.archive_error:
            raise LibraryError(self.archive_error)
        return [replace(s) for s in self.archive_studies]

    def retrieve_from_archive_iter(self, name: str, patient_id: str, study_uids: list[str], dose_only: bool = True,
                                   cancel: threading.Event | None = None,
                                   ) -> Generator[ImportProgress, None, ArchiveImportSummary]:
        """Study by study as the library does: each study "arrives" (its exam from ``archive_exams``
        joins the patient's history), then a cumulative ArchiveProgress; the gate after the first."""
        self.calls.append(("retrieve_from_archive_iter", name, patient_id, list(study_uids), dose_only))
        n = len(study_uids)
        for i, uid in enumerate(study_uids):
            self._arrive(patient_id, uid)
            yield ArchiveProgress(files_seen=i + 1, current=uid, instances_expected=n, instances_received=i + 1,
                                  bytes_received=1000 * (i + 1), studies_expected=n,
                                  studies_imported=list(study_uids[:i + 1]), patients_touched=[patient_id])
            if self.archive_gate is not None:
                self.archive_gate.wait(30)
            if cancel is not None and cancel.is_set():
                return ArchiveImportSummary(files_seen=i + 1, instances_imported=i + 1, cancelled=True,
                                            studies_touched=list(study_uids[:i + 1]), patients_touched=[patient_id],
                                            studies_retrieved=n, instances_received=i + 1,
                                            bytes_received=1000 * (i + 1))
        return ArchiveImportSummary(files_seen=n, instances_imported=n, studies_touched=list(study_uids),
                                    patients_touched=[patient_id], studies_retrieved=n, instances_received=n,
                                    bytes_received=1000 * n)

    def receive_iter(self, aet: str | None = None, port: int | None = None, cancel: threading.Event | None = None,
                     ) -> Generator[ReceiveProgress, None, ImportSummary | None]:
        """Listens (nothing arrives) until ``cancel`` is set; ``receive_error`` raised instead when given."""
        self.calls.append(("receive_iter", aet, port))
        if self.receive_error:
            raise LibraryError(self.receive_error)
        aet, port = aet or "DOSETRAIL", 11112 if port is None else port
        while cancel is None or not cancel.is_set():
            yield ReceiveProgress(message=f"Listening as {aet} on port {port}", aet=aet, port=port)
            if cancel is not None:
                cancel.wait(0.05)
        return None

    def fetch_series_pixels(self, series_uid: str) -> SeriesFetch:
        """Nothing to fetch (the fake's series are complete)."""
        self.calls.append(("fetch_series_pixels", series_uid))
        return SeriesFetch(instances_in_library=len(self.series_files(series_uid)))

    def _arrive(self, key: str, uid: str) -> None:
        exam = self.archive_exams.get(uid)
        if exam is None:
            return
        old = self.histories.get(key)
        exams = [e for e in (old.exams if old else []) if e.study_instance_uid != uid] + [exam]
        self.histories[key] = _history_from_exams(key, old.patient.name if old else "DOE^JANE", exams,
                                                  self.settings.factor_set)

    # import
    def import_iter(self, paths: list[str], *, link: bool = False, password: str | None = None,
                    cancel: threading.Event | None = None,
                    workers: int | None = None) -> Generator[ImportProgress, None, ImportSummary]:
        self.calls.append(("import_iter", list(paths), link))
        yield ImportProgress(files_seen=len(paths), done=True)
        return ImportSummary(files_seen=len(paths), import_run_id=1)

    def import_runs(self) -> list[ImportRunReport]:
        return [self.import_report(1)]

    def import_report(self, run_id: int) -> ImportRunReport:
        return ImportRunReport(
            run_id=run_id, started_at="2026-01-01T10:00:00", finished_at="2026-01-01T10:00:05",
            status="done", sources=["/media/cd"], files_seen=10, instances_imported=9,
            instances_already_present=0, files_rejected=[("/media/cd/x.bin", "not DICOM")],
            studies=[StudyImportReport("1.2.1.101", "P1", "2015-03-04", "CT CHEST", ["CT"],
                                       ["RDSR"], [], [], [])])

    # patient identity
    def merge_patients(self, keep_key: str, other_key: str) -> None:
        self.calls.append(("merge_patients", keep_key, other_key))
        other = self.histories.pop(other_key, None)
        if other is not None and keep_key in self.histories:
            self.histories[keep_key].patient.patient_ids += other.patient.patient_ids

    def split_patient(self, key: str, identifiers: list[tuple[str, str]]) -> str:
        self.calls.append(("split_patient", key, list(identifiers)))
        return key + "-split"

    # files
    def series_files(self, series_uid: str) -> list[str]:
        return []

    def study_files(self, study_uid: str) -> list[str]:
        return []

    # viewing: the library's own readers (no state of the library) on the files series_files gives
    # (none, unless a test overrides it)
    series_thumbnail = Library.series_thumbnail
    load_series = Library.load_series
    sr_tree = Library.sr_tree

    def removable_media(self) -> list:
        return []

    def write_report_pdf(self, patient: str, path: str) -> None:
        self.calls.append(("write_report_pdf", patient, path))
        with open(path, "wb") as fh:
            fh.write(b"%PDF-1.4\n%fake\n")

    def close(self) -> None:
        self.calls.append(("close",))
