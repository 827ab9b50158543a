"""A full disk (store, database, TMPDIR) or a read-only library: exit 3, one line that names it,
the import run recorded failed, no file blamed."""
from __future__ import annotations

import errno
import json
import os
import zipfile

import pytest

from dosetrail.core.cli.main import main

from mounts import remount_read_only, tmpfs
from synth import PatientSpec, make_ct_series, make_zip, write_study


def _study(tmp_path, n=60, rows=128, patients=1):
    datasets = []
    for i in range(patients):
        datasets += make_ct_series(PatientSpec(patient_id=f"P{i}", name=f"DOE^P{i}"), n_slices=n,
                                   rows=rows, columns=rows)
    return write_study(datasets, tmp_path / "src")


def _last_run(capsys, *db):
    assert main(["import-report", "--json", *db]) == 0
    return json.loads(capsys.readouterr().out)


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_store_disk_full_is_exit_3_and_the_run_failed(tmp_path, monkeypatch, capsys):
    _study(tmp_path)  # 2 MB of CT slices into a 1 MB store
    db = ["--db", f"sqlite:///{tmp_path / 'lib.db'}"]
    with tmpfs(tmp_path / "small", "1m") as small:
        monkeypatch.setenv("DOSETRAIL_HOME", str(small / "home"))
        assert main(["import", str(tmp_path / "src"), "--workers", "2", *db]) == 3
        line = _one_line(capsys.readouterr().err)
        assert "file store is full" in line and str(small / "home" / "store") in line
        run = _last_run(capsys, *db)
    assert run["status"] == "failed"
    assert run["files_rejected"] == []  # no file is blamed for the full disk


def test_store_disk_full_in_process_is_not_a_file_problem(tmp_path, monkeypatch, capsys):
    """The same without a mount: ENOSPC at the store's write call (a small, in-process import)."""
    from dosetrail.core.storage import filestore

    _study(tmp_path, n=3, rows=16)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(filestore, "write_atomic", full)
    assert main(["import", str(tmp_path / "src")]) == 3
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("dosetrail import: the file store is full (No space left on device)")
    run = _last_run(capsys)
    assert run["status"] == "failed" and run["files_rejected"] == []


def test_database_disk_full_is_exit_3(tmp_path, monkeypatch, capsys):
    _study(tmp_path, n=10, rows=4, patients=30)  # 300 small files: their rows outgrow 600 KB
    with tmpfs(tmp_path / "small", "600k") as small:
        db = ["--db", f"sqlite:///{small / 'lib.db'}"]
        assert main(["import", str(tmp_path / "src"), "--workers", "2", *db]) == 3
        line = _one_line(capsys.readouterr().err)
        assert "library database is full" in line and str(small / "lib.db") in line
        run = _last_run(capsys, *db)
        assert run["status"] == "failed" and run["files_rejected"] == []


def test_temporary_folder_full_during_a_download(tmp_path, monkeypatch, capsys):
    import tempfile
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    files = _study(tmp_path, n=40, rows=128)
    www = tmp_path / "www"
    make_zip(files, www / "study.zip", compression=zipfile.ZIP_STORED)  # 1.3 MB into a 512 KB TMPDIR

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):  # noqa: D102 - nothing on stderr but the one line tested
            pass

    class QuietServer(ThreadingHTTPServer):
        def handle_error(self, request, client_address):  # the client hangs up mid-download: expected
            pass

    httpd = QuietServer(("127.0.0.1", 0), partial(Quiet, directory=str(www)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with tmpfs(tmp_path / "tmp", "512k") as small_tmp:
            monkeypatch.setattr(tempfile, "tempdir", str(small_tmp))
            url = f"http://127.0.0.1:{httpd.server_address[1]}/study.zip"
            assert main(["import", url]) == 3
            line = _one_line(capsys.readouterr().err)
            assert "temporary folder (TMPDIR) is full" in line and str(small_tmp) in line
            assert not os.listdir(small_tmp)  # the partial download was removed
    finally:
        httpd.shutdown()
        httpd.server_close()
    run = _last_run(capsys)
    assert run["status"] == "failed" and run["files_rejected"] == []


def test_read_only_library_is_exit_3(tmp_path, monkeypatch, capsys):
    _study(tmp_path, n=3, rows=16)
    with tmpfs(tmp_path / "lib", "4m") as lib:
        monkeypatch.setenv("DOSETRAIL_HOME", str(lib / "home"))
        assert main(["patients"]) == 0  # a library exists
        capsys.readouterr()
        remount_read_only(lib)
        for argv in (["import", str(tmp_path / "src")], ["patients"], ["settings", "--factor-set", "ICRP-103-NCI"]):
            assert main(argv) == 3, argv
            line = _one_line(capsys.readouterr().err)
            assert "not writable" in line and str(lib / "home") in line


def test_read_only_store_is_exit_3(tmp_path, monkeypatch, capsys, dosetrail_home):
    _study(tmp_path, n=3, rows=16)
    with tmpfs(dosetrail_home / "store", "1m", read_only=True):
        assert main(["import", str(tmp_path / "src")]) == 3
        line = _one_line(capsys.readouterr().err)
        assert "file store is not writable (Read-only file system)" in line
    run = _last_run(capsys)
    assert run["status"] == "failed" and run["files_rejected"] == []


@pytest.mark.parametrize("argv", [["export", "--format", "json"], ["patients"], ["--version"]])
def test_standard_output_on_a_full_disk(argv, capsys):
    """``dosetrail ... > /dev/full``: the write fails, one line says so."""
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "dosetrail.core.cli.main", *argv], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 3
    assert _one_line(proc.stderr).endswith("the disk is full (No space left on device): standard output")


@pytest.mark.parametrize("argv", [["export", "--format", "json"], ["report", "P0"]])
def test_export_to_a_full_disk_is_exit_3_and_leaves_no_half_file(argv, tmp_path, capsys):
    _study(tmp_path, n=2, rows=16)
    assert main(["import", str(tmp_path / "src")]) == 0
    capsys.readouterr()
    with tmpfs(tmp_path / "out", "64k") as out:
        with open(out / "filler", "wb", buffering=0) as filler:  # fill the disk to the last byte
            with pytest.raises(OSError):
                while True:
                    filler.write(b"x" * 1024)
        target = out / "export.out"
        assert main([*argv, "-o", str(target)]) == 3
        assert _one_line(capsys.readouterr().err).endswith(f"the disk is full (No space left on device): {target}")
        assert not target.exists()


def test_store_disk_full_for_a_big_file_is_not_a_file_problem(tmp_path, monkeypatch, capsys):
    """A file over the worker's whole-read size is copied in chunks (copy_atomic): a full store
    there stops the import the same way, without blaming the file."""
    from dosetrail.core.importer import worker
    from dosetrail.core.storage import filestore

    _study(tmp_path, n=2, rows=16)
    monkeypatch.setattr(worker, "READ_WHOLE_UP_TO", 0)  # every file takes the streaming path

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(filestore, "copy_atomic", full)
    assert main(["import", str(tmp_path / "src")]) == 3
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("dosetrail import: the file store is full (No space left on device)")
    run = _last_run(capsys)
    assert run["status"] == "failed" and run["files_rejected"] == []
