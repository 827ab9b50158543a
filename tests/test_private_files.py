"""Private by default: the library folder, database, store, thumbnails, exports and reports."""
from __future__ import annotations

import os
import stat
import sys

import pytest

from dosetrail.core.api import Library
from dosetrail.core.cli.main import main
from dosetrail.core.private_files import write_private

from synth import PatientSpec, make_ct_series, write_study

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)  # a typical desktop umask: files 0644, folders 0755
    yield
    os.umask(old)


def test_new_library_is_private(tmp_path, monkeypatch, loose_umask):
    home = tmp_path / "new" / "home"
    monkeypatch.setenv("DOSETRAIL_HOME", str(home))
    lib = Library()
    try:
        with lib.engine.connect() as conn:  # an open connection in WAL mode: -wal and -shm exist
            conn.exec_driver_sql("SELECT count(*) FROM patient").all()
            db = home / "dosetrail.db"
            assert (home / "dosetrail.db-wal").exists() and (home / "dosetrail.db-shm").exists()
            for p in (db, home / "dosetrail.db-wal", home / "dosetrail.db-shm"):
                assert mode(p) == 0o600, p
    finally:
        lib.close()
    assert mode(home) == 0o700
    assert mode(home / "store") == 0o700
    assert mode(home / "thumbnails") == 0o700


def test_an_older_open_library_is_tightened(tmp_path, monkeypatch, loose_umask):
    home = tmp_path / "old"
    monkeypatch.setenv("DOSETRAIL_HOME", str(home))
    Library().close()
    for p in (home, home / "store", home / "thumbnails"):
        os.chmod(p, 0o755)
    for name in ("dosetrail.db", "dosetrail.db-wal", "dosetrail.db-shm"):
        (home / name).touch()
        os.chmod(home / name, 0o644)
    Library().close()
    assert mode(home / "store") == 0o700 and mode(home / "thumbnails") == 0o700
    assert mode(home / "dosetrail.db") == 0o600
    for name in ("dosetrail.db-wal", "dosetrail.db-shm"):
        assert not (home / name).exists() or mode(home / name) == 0o600


def test_exports_and_reports_are_written_0600(tmp_path, capsys, loose_umask):
    pat = PatientSpec(patient_id="P1", name="DOE^JANE")
    write_study(make_ct_series(pat, n_slices=3, ctdivol=10.0, body_part="CHEST"), tmp_path / "src")
    assert main(["import", str(tmp_path / "src")]) == 0
    for fmt in ("json", "csv", "fhir"):
        out = tmp_path / f"export.{fmt}"
        assert main(["export", "--format", fmt, "-o", str(out)]) == 0
        assert mode(out) == 0o600 and out.stat().st_size > 0
    existing = tmp_path / "existing.csv"
    existing.write_text("old")
    os.chmod(existing, 0o644)
    assert main(["export", "--format", "csv", "-o", str(existing)]) == 0
    assert mode(existing) == 0o600 and existing.read_text() != "old"
    pdf = tmp_path / "report.pdf"
    assert main(["report", "P1", "-o", str(pdf)]) == 0
    assert mode(pdf) == 0o600 and pdf.read_bytes().startswith(b"%PDF")


def test_thumbnails_folder_is_private(tmp_path, dosetrail_home, loose_umask):
    from dosetrail.core.viewing.thumbnails import thumbnail_for

    (path,) = write_study(make_ct_series(n_slices=1), tmp_path / "src")
    png = thumbnail_for(str(path))
    assert png is not None and mode(dosetrail_home / "thumbnails") == 0o700


def test_write_private_leaves_no_half_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "out.json"

    real_fdopen = os.fdopen

    class Full:  # the file's writes fail as on a full disk
        def __init__(self, f):
            self.f = f

        def write(self, data):
            raise OSError(28, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: Full(real_fdopen(fd, *a, **k)))
    with pytest.raises(OSError):
        write_private(target, "x" * 100)
    assert not target.exists()


def test_settings_file_is_private(dosetrail_home, loose_umask, capsys):
    assert main(["settings", "--factor-set", "ICRP-103-NCI"]) == 0
    assert mode(dosetrail_home / "settings.json") == 0o600


def test_a_chosen_folder_that_is_not_a_library_keeps_its_mode(tmp_path, monkeypatch, loose_umask):
    chosen = tmp_path / "shared"
    chosen.mkdir()
    os.chmod(chosen, 0o755)
    (chosen / "other-things.txt").write_text("not DoseTrail's")
    monkeypatch.setenv("DOSETRAIL_HOME", str(chosen))
    Library().close()
    assert mode(chosen) == 0o755  # DOSETRAIL_HOME=~ must not lock the user's home folder
    assert mode(chosen / "dosetrail.db") == 0o600 and mode(chosen / "store") == 0o700
    assert mode(chosen / "thumbnails") == 0o700


def test_the_default_library_folder_is_tightened(tmp_path, monkeypatch, loose_umask):
    import platformdirs

    default = tmp_path / "platform" / "DoseTrail"
    default.mkdir(parents=True)
    os.chmod(default, 0o755)  # made by an older version
    monkeypatch.delenv("DOSETRAIL_HOME")
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda *a, **k: str(default))
    Library().close()
    assert mode(default) == 0o700


def test_private_dir_ignores_a_restrictive_umask(tmp_path):
    from dosetrail.core.private_files import private_dir

    old = os.umask(0o277)
    try:
        private_dir(tmp_path / "a" / "b")
    finally:
        os.umask(old)
    assert mode(tmp_path / "a" / "b") == 0o700


def test_write_private_to_a_device_leaves_its_mode(tmp_path):
    before = mode("/dev/null")
    write_private("/dev/null", "x")
    assert mode("/dev/null") == before  # only regular files are made private
