"""The file store's place is a per-machine setting; instances record paths relative to it.

Two desktops (two DOSETRAIL_HOMEs) share one database and one store folder that each mounts at its
own path; a store moved and pointed at again keeps the library working; a store that is not there
is one line and exit 3, never files silently missing.
"""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from dosetrail.core.cli.main import main
from dosetrail.core.library.facade import Library
from dosetrail.core.model.library_errors import LibraryError

from synth import PatientSpec, make_ct_series, write_study

JANE = PatientSpec(patient_id="STORE1", name="DOE^JANE", birth_date="19700131", sex="F")


@pytest.fixture
def cd(tmp_path) -> Path:
    write_study(make_ct_series(JANE, n_slices=4, ctdivol=9.0), tmp_path / "cd")
    return tmp_path / "cd"


def desktop(monkeypatch, home: Path) -> None:
    """Act as the desktop whose library folder is ``home``."""
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("DOSETRAIL_HOME", str(home))
    monkeypatch.delenv("DOSETRAIL_STORE", raising=False)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def pixels_and_files(url: str) -> tuple[list[str], np.ndarray, dict]:
    lib = Library(url)
    try:
        (patient,) = lib.patients()
        history = lib.history(patient.key)
        (exam,) = history.exams
        files = lib.study_files(exam.study_instance_uid)
        return files, lib.load_series(files).frames, lib.store_location
    finally:
        lib.close()


def stored_paths(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT path FROM instance")]


def test_two_desktops_mount_one_shared_store_at_different_paths(tmp_path, monkeypatch, capsys, cd):
    shared = tmp_path / "server" / "dosetrail-store"
    shared.parent.mkdir()
    mount_b = tmp_path / "mnt-b"
    mount_b.symlink_to(tmp_path / "server")  # desktop B sees the same folder through another path
    url = f"sqlite:///{tmp_path / 'server' / 'library.db'}"

    desktop(monkeypatch, tmp_path / "home-a")
    assert run(capsys, "settings", "--store", str(shared), "--db", url)[0] == 0
    assert run(capsys, "import", str(cd), "--db", url, "--json")[0] == 0
    files_a, frames_a, where_a = pixels_and_files(url)
    assert where_a.path == shared and all(Path(f).parent.parent == shared for f in files_a)
    # the rows hold store-relative paths: nothing of desktop A's mount
    paths = stored_paths(tmp_path / "server" / "library.db")
    assert len(paths) == 4 and not any(os.path.isabs(p) or str(tmp_path) in p for p in paths)
    export_a = run(capsys, "export", "--format", "json", "--db", url)[1]

    desktop(monkeypatch, tmp_path / "home-b")
    code, out, _ = run(capsys, "settings", "--store", str(mount_b / "dosetrail-store"), "--db", url)
    assert code == 0 and f"store = {mount_b / 'dosetrail-store'}" in out.splitlines()
    files_b, frames_b, where_b = pixels_and_files(url)
    assert where_b.path == mount_b / "dosetrail-store"
    assert all(f.startswith(str(mount_b)) and os.path.isfile(f) for f in files_b)
    assert [Path(f).name for f in files_b] == [Path(f).name for f in files_a]
    np.testing.assert_array_equal(frames_b, frames_a)
    assert frames_b.shape[0] == 4
    assert run(capsys, "export", "--format", "json", "--db", url)[1] == export_a
    # B imports too: A reads B's files through its own path
    more = tmp_path / "more"
    write_study(make_ct_series(PatientSpec(patient_id="STORE2", name="ROE^RICHARD"), n_slices=2), more)
    assert run(capsys, "import", str(more), "--db", url, "--json")[0] == 0
    desktop(monkeypatch, tmp_path / "home-a")
    lib = Library(url)
    try:
        for p in lib.patients():
            for exam in lib.history(p.key).exams:
                assert all(f.startswith(str(shared)) and os.path.isfile(f)
                           for f in lib.study_files(exam.study_instance_uid))
    finally:
        lib.close()


def test_a_moved_store_pointed_at_again_keeps_the_library(tmp_path, monkeypatch, capsys, cd, dosetrail_home):
    assert run(capsys, "import", str(cd), "--json")[0] == 0
    files, frames, _ = pixels_and_files(None)
    moved = tmp_path / "bigger-disk" / "store"
    moved.parent.mkdir()
    os.rename(dosetrail_home / "store", moved)
    code, out, err = run(capsys, "settings", "--store", str(moved))
    assert code == 0, err
    moved_files, moved_frames, where = pixels_and_files(None)
    assert where.source == "settings" and where.path == moved
    assert [Path(f).relative_to(moved) for f in moved_files] == [
        Path(f).relative_to(dosetrail_home / "store") for f in files]
    np.testing.assert_array_equal(moved_frames, frames)
    assert json.loads(Path(dosetrail_home / "settings.json").read_text())["store"] == str(moved)

    # moved again without telling the library: said (exit 3, one line), never re-made empty where it was
    again = tmp_path / "third-disk" / "store"
    again.parent.mkdir()
    os.rename(moved, again)
    code, out, err = run(capsys, "patients", "--json")
    assert code == 3 and out == "" and err.count("\n") == 1
    assert err.startswith(f"dosetrail patients: the file store {moved} (the store setting) is not there")
    assert not moved.exists()
    assert run(capsys, "settings", "--store", str(again))[0] == 0
    np.testing.assert_array_equal(pixels_and_files(None)[1], frames)

    # and back to the library folder's store/ (the setting cleared)
    os.rename(again, dosetrail_home / "store")
    assert run(capsys, "settings", "--store", "")[0] == 0
    assert json.loads(Path(dosetrail_home / "settings.json").read_text())["store"] is None
    assert pixels_and_files(None)[2].source == "default"


def test_pointing_at_a_folder_without_the_library_files_is_refused(tmp_path, capsys, cd, dosetrail_home):
    assert run(capsys, "import", str(cd))[0] == 0
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("not a store")
    code, out, err = run(capsys, "settings", "--store", str(elsewhere))
    assert code == 3 and err.count("\n") == 1
    assert f"{elsewhere} does not hold this library's files" in err
    code, _, err = run(capsys, "settings", "--store", str(tmp_path / "nowhere" / "store"))
    assert code == 3 and "is not there" in err
    assert not (dosetrail_home / "settings.json").exists()  # nothing saved
    assert pixels_and_files(None)[2].source == "default"  # unchanged


def test_an_unmounted_shared_store_is_exit_3_and_one_line(tmp_path, monkeypatch, capsys, cd):
    mount = tmp_path / "mnt" / "share"
    mount.mkdir(parents=True)
    assert run(capsys, "settings", "--store", str(mount))[0] == 0
    assert run(capsys, "import", str(cd))[0] == 0
    stored = sorted(p for p in mount.rglob("*") if p.is_file())
    assert len(stored) == 4
    # unmounted: the mount point is an empty folder again
    backup = tmp_path / "backup"
    os.rename(mount, backup)
    mount.mkdir()
    for argv in (["patients"], ["export", "--format", "json"], ["import", str(cd)]):
        code, out, err = run(capsys, *argv)
        assert code == 3 and out == "", argv
        assert err == (f"dosetrail {argv[0]}: the file store {mount} (the store setting) is empty but the library "
                       "has files in it: mount the shared folder, or point the library at the store with "
                       "`dosetrail settings --store PATH`\n")
    assert list(mount.iterdir()) == []  # the import wrote nothing into the empty mount point
    mount.rmdir()  # the mount point itself gone
    code, _, err = run(capsys, "patients")
    assert code == 3 and err.startswith(f"dosetrail patients: the file store {mount} (the store setting) is not there")
    with pytest.raises(LibraryError, match="is not there"):
        Library()
    os.rename(backup, mount)  # mounted again: all there
    assert run(capsys, "patients")[0] == 0
    assert all(os.path.isfile(f) for f in pixels_and_files(None)[0])


def test_dosetrail_store_overrides_the_setting(tmp_path, monkeypatch, capsys, cd, dosetrail_home):
    ci_store = tmp_path / "ci-store"
    monkeypatch.setenv("DOSETRAIL_STORE", str(ci_store))
    assert run(capsys, "import", str(cd))[0] == 0  # a new library: its store is made where it is asked
    assert len([p for p in ci_store.rglob("*.dcm")]) == 4
    assert not (dosetrail_home / "store").exists()
    code, out, _ = run(capsys, "settings")
    assert code == 0 and f"store = {ci_store}  (from DOSETRAIL_STORE)" in out.splitlines()
    files, _, where = pixels_and_files(None)
    assert where.source == "DOSETRAIL_STORE" and all(f.startswith(str(ci_store)) for f in files)
    monkeypatch.setenv("DOSETRAIL_STORE", str(tmp_path / "not-mounted" / "store"))
    code, _, err = run(capsys, "history", "STORE1")
    assert code == 3 and "(DOSETRAIL_STORE) is not there: mount the shared folder, or set DOSETRAIL_STORE" in err


def test_absolute_paths_into_an_old_store_follow_the_store(tmp_path, capsys, cd, dosetrail_home):
    """Rows holding absolute paths into the store (older libraries) read the store's current place."""
    assert run(capsys, "import", str(cd))[0] == 0
    db = dosetrail_home / "dosetrail.db"
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, path FROM instance ORDER BY id").fetchall()
        old_posix = "/home/ann/.local/share/DoseTrail/store/"
        old_windows = "C:\\Users\\ann\\AppData\\Local\\DoseTrail\\store\\"
        for i, (rid, rel) in enumerate(rows):
            old = old_posix + rel if i % 2 else old_windows + rel.replace("/", "\\")
            conn.execute("UPDATE instance SET path = ? WHERE id = ?", (old, rid))
    moved = tmp_path / "moved-store"
    os.rename(dosetrail_home / "store", moved)
    assert run(capsys, "settings", "--store", str(moved))[0] == 0
    files, frames, _ = pixels_and_files(None)
    assert sorted(files) == sorted(str(moved / rel) for _, rel in rows)
    assert frames.shape[0] == 4


def test_the_window_says_the_store_is_not_there(tmp_path, capsys, cd, dosetrail_home):
    """`dosetrail gui` with the shared store unmounted: exit 3, one line and a message box, no traceback."""
    import subprocess
    import sys

    share = tmp_path / "share"
    share.mkdir()
    assert run(capsys, "settings", "--store", str(share / "store"))[0] == 0
    assert run(capsys, "import", str(cd))[0] == 0
    os.rename(share, tmp_path / "unmounted")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DOSETRAIL_SMOKE_EXIT_MS": "300"}
    cmd = [sys.executable, "-c", "import sys; from dosetrail.gui.entry import main; sys.exit(main(sys.argv[1:]))",
           "gui"]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 3 and "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("dosetrail")]
    assert lines == [f"dosetrail gui: the file store {share / 'store'} (the store setting) is not there: mount the "
                     "shared folder, or point the library at the store with `dosetrail settings --store PATH`"]


def test_changing_the_dose_settings_keeps_the_store_setting(tmp_path, capsys, dosetrail_home):
    from dosetrail.core.config import Settings

    share = tmp_path / "share"
    share.mkdir()
    assert run(capsys, "settings", "--store", str(share))[0] == 0
    lib = Library()
    try:
        lib.update_settings(Settings(factor_set="ICRP-103-NCI"))  # a settings object made afresh
    finally:
        lib.close()
    saved = json.loads((dosetrail_home / "settings.json").read_text())
    assert saved["store"] == str(share) and saved["factor_set"] == "ICRP-103-NCI"
    code, out, _ = run(capsys, "settings", "--drl-set", "IE-2012")
    assert code == 0 and f"store = {share}" in out.splitlines()
    assert json.loads((dosetrail_home / "settings.json").read_text())["store"] == str(share)
