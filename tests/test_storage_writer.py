"""The batch writer: hierarchy, idempotence, atomicity, duplicates, runs and speed."""
from __future__ import annotations


import pytest
from sqlalchemy import func, select

from dosetrail.core.model.import_records import ImportSummary, ParsedInstance, PatientInfo, Rejection
from dosetrail.core.storage import writer as writer_module
from dosetrail.core.storage.db import open_library
from dosetrail.core.storage.filestore import store_path_for
from dosetrail.core.storage.models import ImportIssue, ImportRun, Instance, Patient, Series, Study
from dosetrail.core.storage.writer import LibraryWriter, finish_run, record_issues, start_run

JANE = PatientInfo("12345", "HOSP-A", "DOE^JANE", "1970-01-31", "F")


def item(sop: str, study: str = "1.1", series: str = "1.1.1", modality: str = "CT", patient=JANE, **kw):
    return ParsedInstance(label=f"/cd/{sop}", sop_instance_uid=sop, sop_class_uid="1.2.840.10008.5.1.4.1.1.2",
                          study_instance_uid=study, series_instance_uid=series, modality=modality,
                          patient=patient, stored_path=store_path_for(sop) if sop else None, **{"size": 1000, **kw})


@pytest.fixture()
def factory(tmp_path):
    _, factory = open_library(f"sqlite:///{tmp_path / 'lib.db'}")
    return factory


@pytest.fixture()
def run_id(factory):
    return start_run(factory, ["/cd"], False)


def counts(factory) -> dict[str, int]:
    with factory() as s:
        return {m.__name__: s.scalar(select(func.count()).select_from(m)) for m in (Patient, Study, Series, Instance)}


def test_batch_builds_the_hierarchy(factory, run_id):
    w = LibraryWriter(factory, run_id=run_id)
    dose = {"source": "RDSR", "ct_events": [{"dlp_mgycm": 812.4}], "dap_gycm2": None}
    items = [
        item("1.1.1.1", instance_number=1, study_description="CT THORAX", study_date="2021-03-04",
             series_number=2, series_description="Axial", rows=512, columns=512),
        item("1.1.1.2", instance_number=2),
        item("1.1.9.1", series="1.1.9", modality="SR", dose=dose, study_description="IGNORED"),
    ]
    res = w.write_batch(items)
    assert res.imported == items and res.already_present == [] and res.rejected == []
    assert res.studies_touched == {"1.1"}
    assert counts(factory) == {"Patient": 1, "Study": 1, "Series": 2, "Instance": 3}
    with factory() as s:
        study = s.scalars(select(Study)).one()
        assert res.patients_touched == {study.patient.key}
        assert (study.description, study.date, study.modalities) == ("CT THORAX", "2021-03-04", "CT\\SR")
        inst = s.scalars(select(Instance).where(Instance.sop_instance_uid == "1.1.9.1")).one()
        assert inst.dose == dose and inst.dose["dap_gycm2"] is None  # null stays null
        assert (inst.path, inst.linked, inst.source_label, inst.import_run_id) == (
            store_path_for("1.1.9.1"), False, "/cd/1.1.9.1", run_id)
        assert inst.series.modality == "SR" and inst.series.study_id == study.id
        first = s.scalars(select(Instance).where(Instance.sop_instance_uid == "1.1.1.1")).one()
        assert (first.rows, first.columns, first.instance_number) == (512, 512, 1)
        assert (first.series.series_number, first.series.description) == (2, "Axial")


def test_rewriting_adds_nothing(factory, run_id):
    items = [item(f"1.1.1.{i}") for i in range(10)]
    LibraryWriter(factory, run_id=run_id).write_batch(items)
    before = counts(factory)
    for w in (LibraryWriter(factory, run_id=run_id), LibraryWriter(factory, run_id=start_run(factory, ["x"], False))):
        res = w.write_batch(items)
        assert res.imported == [] and len(res.already_present) == 10
        assert res.studies_touched == set() and res.patients_touched == set()
    assert counts(factory) == before


def test_duplicates_within_a_batch_are_already_present(factory, run_id):
    a, b, c = item("1.1.1.1"), item("1.1.1.1"), item("1.1.1.1 ")
    res = LibraryWriter(factory, run_id=run_id).write_batch([a, item("1.1.1.2"), b, c])
    assert len(res.imported) == 2 and res.already_present == [b, c]
    assert counts(factory)["Instance"] == 2


def test_mix_of_new_and_present(factory, run_id):
    w = LibraryWriter(factory, run_id=run_id)
    w.write_batch([item("1"), item("2")])
    res = w.write_batch([item("2"), item("3", study="2.1", series="2.1.1")])
    assert [i.sop_instance_uid for i in res.imported] == ["3"]
    assert [i.sop_instance_uid for i in res.already_present] == ["2"]
    assert res.studies_touched == {"2.1"}
    assert (w.imported, w.already_present, w.studies_touched) == (3, 1, {"1.1", "2.1"})


def test_empty_study_fields_are_filled_later_and_never_overwritten(factory, run_id):
    w = LibraryWriter(factory, run_id=run_id)
    w.write_batch([item("1", study_description=None, institution="Hospital A")])
    w.write_batch([item("2", study_description="CT HEAD", institution="Hospital B", accession_number="ACC1",
                        modality="SR", series="1.1.2", warnings=["unit guessed"]),
                   item("3", series="1.1.3", modality="CT", warnings=["unit guessed"])])
    with factory() as s:
        study = s.scalars(select(Study)).one()
        assert (study.description, study.institution, study.accession_number) == ("CT HEAD", "Hospital A", "ACC1")
        assert study.modalities == "CT\\SR"
        assert study.warnings == ["unit guessed"]


def test_failed_batch_leaves_nothing_partial(factory, run_id, monkeypatch):
    w = LibraryWriter(factory, run_id=run_id)
    w.write_batch([item("0", study="0.1", series="0.1.1", patient=PatientInfo("999", "", "ROE^R", None, "M"))])
    before = counts(factory)
    real = writer_module.reconcile_patients

    def failing(session, infos, *args):
        real(session, infos, *args)  # the new patients are flushed ...
        raise RuntimeError("killed mid-batch")  # ... and then the process dies

    monkeypatch.setattr(writer_module, "reconcile_patients", failing)
    batch = [item("1", study="1.1", series="1.1.1"), item("2", study="2.1", series="2.1.1",
                                                          patient=PatientInfo("777", "", "X^Y", None, None)),
             item("3", study="0.1", series="0.1.2")]
    with pytest.raises(RuntimeError):
        w.write_batch(batch)
    assert counts(factory) == before
    # the writer is still usable (nothing of the failed batch is cached) and the batch can be retried
    monkeypatch.setattr(writer_module, "reconcile_patients", real)
    res = w.write_batch(batch)
    assert len(res.imported) == 3
    assert counts(factory) == {"Patient": 3, "Study": 3, "Series": 4, "Instance": 4}


def test_failure_in_the_instance_insert_rolls_back_new_series_and_studies(factory, run_id, monkeypatch):
    real_insert = writer_module.insert

    def insert(model):
        if model is Instance or model is Instance.__table__:
            raise OSError("disk full")
        return real_insert(model)

    w = LibraryWriter(factory, run_id=run_id)
    monkeypatch.setattr(writer_module, "insert", insert)
    with pytest.raises(OSError):
        w.write_batch([item("1"), item("2", series="1.1.2")])
    assert counts(factory) == {"Patient": 0, "Study": 0, "Series": 0, "Instance": 0}
    monkeypatch.setattr(writer_module, "insert", real_insert)
    assert len(w.write_batch([item("1"), item("2", series="1.1.2")]).imported) == 2
    with factory() as s:
        assert sorted(s.scalars(select(Instance.series_id))) == sorted(s.scalars(select(Series.id)))


def test_a_file_the_database_refuses_is_rejected_alone(factory, run_id):
    w = LibraryWriter(factory, run_id=run_id)
    bad = item("2", dose={"not json": object()})
    res = w.write_batch([item("1"), bad, item("3"), item("1")])
    assert [i.sop_instance_uid for i in res.imported] == ["1", "3"]
    assert [i.sop_instance_uid for i in res.already_present] == ["1"]
    assert [r.label for r in res.rejected] == ["/cd/2"] and "could not be stored" in res.rejected[0].reason
    assert counts(factory)["Instance"] == 2
    assert w.write_batch([bad]).rejected[0].label == "/cd/2"


def test_nan_in_a_dose_record_is_stored_as_null(factory, run_id):
    LibraryWriter(factory, run_id=run_id).write_batch([item("1", dose={"dlp_mgycm": float("nan"),
                                                                       "events": [{"dap": float("inf")}, 1.5]})])
    with factory() as s:
        assert s.scalars(select(Instance.dose)).one() == {"dlp_mgycm": None, "events": [{"dap": None}, 1.5]}


def test_items_without_uids_are_rejected_with_a_reason(factory, run_id):
    res = LibraryWriter(factory, run_id=run_id).write_batch([item(""), item("5", study=" "), item("6")])
    assert len(res.imported) == 1
    assert [r.label for r in res.rejected] == ["/cd/", "/cd/5"]
    assert "SOP Instance UID" in res.rejected[0].reason and "Study Instance UID" in res.rejected[1].reason
    long_a, long_b = "1." + "2" * 70 + ".1", "1." + "2" * 70 + ".2"  # equal once cut to 64
    res = LibraryWriter(factory, run_id=run_id).write_batch([item(long_a), item(long_b), item("7", series=long_a)])
    assert res.imported == [] and len(res.rejected) == 3 and "longer than 64" in res.rejected[2].reason


def test_values_too_long_or_too_big_for_the_columns_are_cut(factory, run_id):
    LibraryWriter(factory, run_id=run_id).write_batch([
        item("1", study_description="D" * 1000, institution="A\x00B", instance_number=2**40, size=5 * 2**30,
             manufacturer="M" * 500)])
    with factory() as s:
        study = s.scalars(select(Study)).one()
        inst = s.scalars(select(Instance)).one()
        assert len(study.description) == 256 and study.institution == "AB"
        assert inst.instance_number is None and inst.size is None  # unknown rather than wrapped
        assert len(inst.series.manufacturer) == 128


def test_linked_files_keep_their_absolute_path(factory, run_id, tmp_path):
    it = item("1")
    it.stored_path, it.linked = str(tmp_path / "IM0001"), True
    LibraryWriter(factory, run_id=run_id).write_batch([it])
    with factory() as s:
        inst = s.scalars(select(Instance)).one()
        assert (inst.path, inst.linked) == (str(tmp_path / "IM0001"), True)


def test_runs_and_issues(factory):
    run_id = start_run(factory, ["/media/cd", "https://x/y.zip"], True)
    rejections = [Rejection("a.zip!bad.dcm", "truncated file"), Rejection("README.txt", "not DICOM", "skipped"),
                  Rejection("odd", "weird kind", "other")]
    record_issues(factory, run_id, rejections)
    record_issues(factory, run_id, [])
    summary = ImportSummary(files_seen=7, instances_imported=4, instances_already_present=1,
                            files_rejected=[rejections[0], rejections[2]], files_skipped_not_dicom=[rejections[1]],
                            studies_touched=["1.1", "2.1"])
    finish_run(factory, run_id, summary, "cancelled")
    with factory() as s:
        run = s.get(ImportRun, run_id)
        assert (run.status, run.link_mode, run.sources) == ("cancelled", True, ["/media/cd", "https://x/y.zip"])
        assert (run.files_seen, run.instances_imported, run.instances_already_present) == (7, 4, 1)
        assert (run.files_rejected, run.files_skipped, run.studies_touched) == (2, 1, ["1.1", "2.1"])
        assert run.finished_at is not None and run.finished_at >= run.started_at
        issues = [(i.path, i.reason, i.kind) for i in s.scalars(select(ImportIssue).order_by(ImportIssue.id))]
    assert issues == [("a.zip!bad.dcm", "truncated file", "rejected"), ("README.txt", "not DICOM", "skipped"),
                      ("odd", "weird kind", "rejected")]
    with pytest.raises(ValueError):
        finish_run(factory, run_id, summary, "done")
    with pytest.raises(LookupError):
        finish_run(factory, run_id + 100, summary, "completed")


def test_twenty_thousand_instances_are_written_in_batches(factory, run_id):
    patients = [PatientInfo(f"ID{p}", "H", f"PATIENT^{p}", "1960-01-01", "M") for p in range(20)]
    items = [item(f"1.9.{i}", study=f"2.{i % 100}", series=f"3.{i % 100}.{i % 3}", patient=patients[i % 100 % 20],
                  instance_number=i, dose={"source": "image-header", "ctdivol_mgy": 1.5}) for i in range(20_000)]
    w = LibraryWriter(factory, run_id=run_id)
    for i in range(0, len(items), 500):  # the speed of this is measured in bench/import_throughput.py
        w.write_batch(items[i:i + 500])
    assert w.imported == 20_000 and len(w.studies_touched) == 100 and len(w.patients_touched) == 20
    assert counts(factory) == {"Patient": 20, "Study": 100, "Series": 300, "Instance": 20_000}


_KILL_SCRIPT = r"""
import sys
from dosetrail.core.model.import_records import ParsedInstance, PatientInfo
from dosetrail.core.storage.db import open_library
from dosetrail.core.storage.writer import LibraryWriter, start_run
_, factory = open_library(sys.argv[1])
w = LibraryWriter(factory, run_id=start_run(factory, ["/cd"], False))
n = 0
while True:  # until killed
    batch = []
    for _ in range(200):
        n += 1
        batch.append(ParsedInstance(label=str(n), sop_instance_uid=f"5.{n}", sop_class_uid="1.2",
                                    study_instance_uid=f"6.{n // 50}", series_instance_uid=f"7.{n // 25}",
                                    modality="CT", patient=PatientInfo(f"ID{n // 300}", "", "A^B", None, None),
                                    stored_path=f"x/{n}"))
    w.write_batch(batch)
    print(n, flush=True)
"""


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGKILL"), reason="needs SIGKILL")
def test_killed_writer_leaves_whole_batches_only(tmp_path):
    import signal
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'lib.db'}"
    proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT, url], stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(3):  # a few batches committed, the next one under way
            assert proc.stdout.readline(), "writer process died"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    engine, factory = open_library(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    with factory() as s:
        n = s.scalar(select(func.count()).select_from(Instance))
        assert n >= 600 and n % 200 == 0  # whole batches only
        complete = s.scalar(select(func.count()).select_from(Instance).join(Series).join(Study).join(Patient))
        assert complete == n
        assert s.scalars(select(ImportRun.status)).all() == ["interrupted"]
