"""The import command as a radiographer uses it: buckets, exit statuses, store, re-import."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

from dosetrail.core.cli.main import main

from synth import PatientSpec, make_ct_series, write_study

REAL_FILES = ["CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "SC_rgb_rle.dcm", "rtplan.dcm"]


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.fixture
def mixed_folder(tmp_path) -> Path:
    root = tmp_path / "usb"
    (root / "sub" / "deeper").mkdir(parents=True)
    for i, name in enumerate(REAL_FILES):
        dest = root / ("sub" if i % 2 else "") / (name.replace(".dcm", "") if i == 2 else name)
        shutil.copy(get_testdata_file(name, download=False), dest)
    (root / "sub" / "deeper" / "notes.txt").write_text("hello")
    (root / "garbage.dcm").write_bytes(os.urandom(3000))
    ct = Path(get_testdata_file("CT_small.dcm", download=False)).read_bytes()
    (root / "sub" / "deeper" / "cut.dcm").write_bytes(ct[: len(ct) - 5000])
    shutil.copy(get_testdata_file("MR_truncated.dcm", download=False), root / "mr_truncated.dcm")
    return root


def test_folder_import_buckets_every_file(capsys, mixed_folder, dosetrail_home):
    code, doc = run_json(capsys, "import", str(mixed_folder), "--json")
    assert doc["schema"] == "dosetrail.import/1"
    assert doc["instances_imported"] == len(REAL_FILES)
    rejected = {Path(r["path"]).name: r["reason"] for r in doc["files_rejected"]}
    assert set(rejected) == {"cut.dcm", "mr_truncated.dcm"}
    assert all("truncated" in r for r in rejected.values())
    assert doc["files_skipped_not_dicom"] == 2  # notes.txt, garbage.dcm
    # every file lands in exactly one bucket
    assert doc["files_seen"] == 9
    assert doc["files_seen"] == (doc["instances_imported"] + doc["instances_already_present"]
                                 + len(doc["files_rejected"]) + doc["files_skipped_not_dicom"])
    assert code == 1  # some files were rejected
    stored = list((dosetrail_home / "store").rglob("*.dcm"))
    assert len(stored) == len(REAL_FILES)
    assert len(doc["studies_touched"]) >= 1 and len(doc["patients_touched"]) >= 1


def test_reimport_adds_nothing_and_exit_zero(capsys, tmp_path):
    folder = tmp_path / "cd"
    folder.mkdir()
    for name in REAL_FILES:
        shutil.copy(get_testdata_file(name, download=False), folder / name)
    code1, first = run_json(capsys, "import", str(folder), "--json")
    code2, second = run_json(capsys, "import", str(folder), "--json")
    assert code1 == code2 == 0
    assert first["instances_imported"] == len(REAL_FILES)
    assert second["instances_imported"] == 0
    assert second["instances_already_present"] == len(REAL_FILES)
    assert second["studies_touched"] == []


def test_same_study_from_cd_and_zip_counts_once(capsys, tmp_path):
    from synth import make_zip

    pat = PatientSpec(patient_id="A1", name="DOE^JANE", birth_date="19700131", sex="F")
    series = make_ct_series(pat, n_slices=60)
    files = write_study(series, tmp_path / "cd")
    make_zip(files, tmp_path / "download.zip")
    _, a = run_json(capsys, "import", str(tmp_path / "cd"), "--json")
    _, b = run_json(capsys, "import", str(tmp_path / "download.zip"), "--json")
    assert a["instances_imported"] == 60
    assert b["instances_imported"] == 0 and b["instances_already_present"] == 60
    assert b["files_rejected"] == []


def test_another_file_with_a_stored_uid_does_not_replace_the_stored_copy(capsys, tmp_path, dosetrail_home):
    import pydicom

    pat = PatientSpec(patient_id="U1", name="ORIG^NAME", birth_date="19700131", sex="F")
    (ds,) = make_ct_series(pat, n_slices=1, study_description="FIRST")
    (a,) = write_study([ds], tmp_path / "a")
    ds.PatientName = "EDITED^NAME_THAT_IS_LONGER"
    ds.StudyDescription = "SECOND VERSION OF THE SAME INSTANCE"
    (b,) = write_study([ds], tmp_path / "b")
    assert Path(a).stat().st_size != Path(b).stat().st_size
    run_json(capsys, "import", str(tmp_path / "a"), "--json")
    _, second = run_json(capsys, "import", str(tmp_path / "b"), "--json")
    assert second["instances_already_present"] == 1
    (stored,) = list((dosetrail_home / "store").rglob("*.dcm"))
    assert stored.read_bytes() == Path(a).read_bytes()  # the library still describes the file it holds
    assert str(pydicom.dcmread(stored).PatientName) == "ORIG^NAME"


def test_link_mode_keeps_files_in_place_and_is_refused_for_archives(capsys, tmp_path):
    from synth import make_zip

    pat = PatientSpec(patient_id="B2", name="ROE^RICHARD", birth_date="19600101", sex="M")
    files = write_study(make_ct_series(pat, n_slices=5), tmp_path / "folder")
    code, doc = run_json(capsys, "import", str(tmp_path / "folder"), "--link", "--json")
    assert code == 0 and doc["instances_imported"] == 5
    from dosetrail.core.api import Library

    lib = Library()
    hist = lib.history("B2")
    paths = lib.study_files(hist.exams[0].study_instance_uid)
    lib.close()
    assert sorted(paths) == sorted(str(p.resolve()) for p in files)
    make_zip(files, tmp_path / "a.zip")
    assert main(["import", str(tmp_path / "a.zip"), "--link"]) == 2
    assert main(["import", "http://127.0.0.1:9/x.zip", "--link"]) == 2
    assert main(["import", str(tmp_path / "does-not-exist")]) == 2


def test_copy_mode_reads_each_source_byte_once(tmp_path):
    from dosetrail.core.api import Library

    pat = PatientSpec(patient_id="C3", name="BYTES^COUNT", birth_date="19800101", sex="F")
    files = write_study(make_ct_series(pat, n_slices=80), tmp_path / "src")
    total = sum(p.stat().st_size for p in files)
    lib = Library()
    summary = lib.run_import([str(tmp_path / "src")], workers=2)
    lib.close()
    assert summary.instances_imported == 80
    assert total <= summary.bytes_read <= 1.05 * total


def test_cli_never_loads_qt(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from dosetrail.gui.entry import main; "
            "rc = main(['patients', '--json']); "
            "assert not [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))], 'Qt loaded'; "
            "sys.exit(rc)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "DOSETRAIL_HOME": str(tmp_path)})
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["patients"] == []


def test_version_lists_the_stack(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    for word in ("DoseTrail", "Qt 6.", "PySide6", "pydicom", "SQLAlchemy", "SQLite"):
        assert word in out


def test_files_the_writer_refuses_are_rejected_with_reason(capsys, tmp_path):
    import pydicom

    pat = PatientSpec(patient_id="U1", name="LONG^UID", birth_date="19800101", sex="F")
    files = write_study(make_ct_series(pat, n_slices=3), tmp_path / "src")
    ds = pydicom.dcmread(files[0])
    with pytest.warns(UserWarning, match="exceeds the maximum length"):
        ds.SOPInstanceUID = "1." + "2" * 70  # longer than DICOM's 64 characters
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(files[0])
    code, doc = run_json(capsys, "import", str(tmp_path / "src"), "--json")
    assert code == 1
    assert doc["instances_imported"] == 2
    assert [r["path"] for r in doc["files_rejected"]] == [str(files[0])]
    assert "64" in doc["files_rejected"][0]["reason"]
    assert doc["files_seen"] == 3
