"""A copy whose bytes differ from the one in the library is never dropped silently.

The complete copy is kept (a damaged stored copy is replaced), and every difference is
reported: ``instances_conflicting`` in the import summary, "conflict" rows in the import
report. Two different objects sharing a SOP Instance UID keep the first and report the second.
"""
from __future__ import annotations

import json

from sqlalchemy import select, update

from dosetrail.core.api import Library
from dosetrail.core.cli.main import main
from dosetrail.core.storage.filestore import resolve, store_path_for
from dosetrail.core.storage.models import Instance, Study

from synth import PatientSpec, make_ct_series, write_dataset


def _ct(uid_from=None, **kwargs):
    ds = make_ct_series(PatientSpec(patient_id="P1", name="DOE^JO"), n_slices=1, **kwargs)[0]
    if uid_from is not None:  # a different object under the same UIDs (a de-identification tool)
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid_from.SOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = uid_from.StudyInstanceUID, uid_from.SeriesInstanceUID
    return ds


def _stored(lib: Library, ds):
    return resolve(lib.store_root, store_path_for(str(ds.SOPInstanceUID)))


def _row(lib: Library, ds):
    with lib.session_factory() as s:
        return s.scalars(select(Instance).where(Instance.sop_instance_uid == str(ds.SOPInstanceUID))).one()


def test_a_damaged_stored_copy_is_replaced_by_a_complete_one_and_reported(tmp_path):
    ds = _ct()
    first = write_dataset(ds, tmp_path / "cd1" / "IM1.dcm")
    again = write_dataset(ds, tmp_path / "cd2" / "IM1.dcm")
    lib = Library()
    lib.run_import([str(first)])
    stored = _stored(lib, ds)
    intact = stored.read_bytes()
    stored.write_bytes(intact[:-100])  # e.g. cut by a power loss, or written by an older version
    summary = lib.run_import([str(again)])
    assert stored.read_bytes() == intact
    assert summary.files_rejected == [] and summary.instances_already_present == 1
    [conflict] = summary.instances_conflicting
    assert conflict["path"] == str(again) and conflict["other_path"] == str(first)
    assert conflict["kept"] == "new" and conflict["sop_instance_uid"] == str(ds.SOPInstanceUID)
    assert "damaged (truncated file: pixel data declares" in conflict["reason"]
    report = lib.import_report(summary.import_run_id)
    assert report.files_rejected == []
    [(path, reason)] = report.instances_conflicting
    assert path == str(again) and reason.startswith(f"kept this file, not the copy from {first}: the copy in the library was damaged")
    lib.close()


def test_a_damaged_stored_copy_of_the_same_size_is_replaced(tmp_path):
    ds = _ct()
    path = write_dataset(ds, tmp_path / "in" / "IM1.dcm")
    lib = Library()
    lib.run_import([str(path)])
    stored = _stored(lib, ds)
    intact = stored.read_bytes()
    stored.write_bytes(intact[:128] + b"XXXX" + intact[132:])  # same size, no longer DICOM
    summary = lib.run_import([str(path)])
    assert stored.read_bytes() == intact
    assert [c["kept"] for c in summary.instances_conflicting] == ["new"]
    lib.close()


def test_the_row_follows_a_replaced_copy_and_the_study_is_estimated_again(tmp_path):
    ds = _ct(ctdivol=10.0)
    path = write_dataset(ds, tmp_path / "in" / "IM1.dcm")
    lib = Library()
    lib.run_import([str(path)])
    stored = _stored(lib, ds)
    intact = stored.read_bytes()
    damaged = intact[:-300]
    stored.write_bytes(damaged)  # what an older version imported from a cut file
    with lib.session_factory() as s, s.begin():
        s.execute(update(Instance).values(size=len(damaged), dose=None, source_label="/old/cut.dcm"))
        s.execute(update(Study).values(estimate=None, effective_dose_msv=None))
    lib.close()
    lib = Library()
    summary = lib.run_import([str(path)])
    assert summary.instances_conflicting[0]["other_path"] == "/old/cut.dcm"
    row = _row(lib, ds)
    assert (row.size, row.source_label, row.dose is not None) == (len(intact), str(path), True)
    assert summary.studies_touched == [str(ds.StudyInstanceUID)]
    lib.close()


def test_two_objects_sharing_a_sop_instance_uid_keep_the_first_and_report_the_second(tmp_path, capsys):
    a = _ct(series_description="first object")
    b = _ct(uid_from=a, series_description="another object, same UIDs")
    path_a = write_dataset(a, tmp_path / "a" / "IM1.dcm")
    path_b = write_dataset(b, tmp_path / "b" / "IM1.dcm")
    assert main(["import", str(path_a)]) == 0
    capsys.readouterr()
    assert main(["import", str(path_b), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["instances_conflicting"] == [{
        "sop_instance_uid": str(a.SOPInstanceUID), "path": str(path_b), "other_path": str(path_a),
        "kept": "stored", "reason": doc["instances_conflicting"][0]["reason"]}]
    assert "both copies are complete" in doc["instances_conflicting"][0]["reason"]
    lib = Library()
    assert _stored(lib, a).read_bytes() == path_a.read_bytes()
    assert _row(lib, a).source_label == str(path_a)
    lib.close()
    assert main(["import", str(path_b)]) == 0  # text output says it too
    out = capsys.readouterr().out
    assert f"conflict: {path_b}: kept the copy from {path_a}, not this file: another object" in out
    assert main(["import-report"]) == 0
    assert f"  conflict  {path_b}: kept the copy from {path_a}, not this file: " in capsys.readouterr().out
    assert main(["import-report", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert [p for p, _ in rep["instances_conflicting"]] == [str(path_b)] and rep["files_rejected"] == []


def test_both_objects_in_one_import_report_one_conflict(tmp_path):
    a = _ct(series_description="first object")
    b = _ct(uid_from=a, series_description="another object, same UIDs")
    write_dataset(a, tmp_path / "in" / "A.dcm")
    write_dataset(b, tmp_path / "in" / "B.dcm")
    lib = Library()
    summary = lib.run_import([str(tmp_path / "in")])
    [c] = summary.instances_conflicting
    assert {c["path"], c["other_path"]} == {str(tmp_path / "in" / "A.dcm"), str(tmp_path / "in" / "B.dcm")}
    assert c["kept"] == "stored"
    assert _stored(lib, a).read_bytes() == (tmp_path / "in" / _row(lib, a).source_label.split("/")[-1]).read_bytes()
    lib.close()


def test_the_same_bytes_again_are_no_conflict(tmp_path):
    ds = _ct()
    write_dataset(ds, tmp_path / "cd1" / "IM1.dcm")
    write_dataset(ds, tmp_path / "cd2" / "IM1.dcm")
    lib = Library()
    lib.run_import([str(tmp_path / "cd1")])
    summary = lib.run_import([str(tmp_path / "cd2")])
    assert summary.instances_already_present == 1 and summary.instances_conflicting == []
    lib.close()
