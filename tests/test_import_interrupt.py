"""Cancel and kill leave the library consistent; importing again completes it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from threading import Event

import pytest
from sqlalchemy import func, select, text

from dosetrail.core.api import Library
from dosetrail.core.storage.models import ImportRun, Instance

from synth import generate_many


def _write(tmp_path, n_files=600):
    return generate_many(tmp_path / "src", n_files, files_per_series=100)


def _consistent(lib: Library) -> int:
    with lib.session_factory() as s:
        assert s.execute(text("PRAGMA foreign_key_check")).all() == []
        orphans = s.execute(text(
            "SELECT count(*) FROM instance i LEFT JOIN series se ON se.id = i.series_id "
            "LEFT JOIN study st ON st.id = se.study_id LEFT JOIN patient p ON p.id = st.patient_id "
            "WHERE p.id IS NULL")).scalar()
        assert orphans == 0
        return s.scalar(select(func.count(Instance.id)))


def test_cancel_keeps_what_was_imported_and_reimport_completes(tmp_path):
    # a cancel at 50 files leaves some unread however fast the machine reads meanwhile: the chunks
    # queued ahead (pipeline.READ_AHEAD_CHUNKS per worker) that no worker started are cancelled
    files = _write(tmp_path, n_files=2000)
    lib = Library()
    cancel = Event()
    gen = lib.import_iter([str(tmp_path / "src")], cancel=cancel, workers=2)
    summary = None
    while True:
        try:
            p = next(gen)
        except StopIteration as stop:
            summary = stop.value
            break
        if p.files_seen >= 50:
            cancel.set()
    assert summary.cancelled
    assert summary.instances_imported < len(files)
    count = _consistent(lib)
    assert count == summary.instances_imported
    again = lib.run_import([str(tmp_path / "src")], workers=2)
    assert not again.cancelled
    assert again.instances_imported + again.instances_already_present == len(files)
    assert _consistent(lib) == len(files)
    lib.close()


def test_killed_import_is_completed_by_running_it_again(tmp_path, dosetrail_home):
    files = _write(tmp_path, n_files=3000)
    proc = _start_import(tmp_path, dosetrail_home)
    lib = Library()
    _wait_for_instances(lib, 500)  # some batches are committed
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    partial = _consistent(lib)
    assert 0 < partial < len(files)
    lib.close()
    lib = Library()  # reopening marks the killed run
    with lib.session_factory() as s:
        assert s.scalar(select(ImportRun.status).order_by(ImportRun.id)) == "interrupted"
    again = lib.run_import([str(tmp_path / "src")], workers=2)
    assert again.instances_already_present == partial
    assert _consistent(lib) == len(files)
    lib.close()


def _start_import(tmp_path, dosetrail_home, *extra):
    return subprocess.Popen(
        [sys.executable, "-c", "from dosetrail.gui.entry import main; import sys; sys.exit(main(sys.argv[1:]))",
         "import", str(tmp_path / "src"), "--workers", "2", *extra],
        env={**os.environ, "DOSETRAIL_HOME": str(dosetrail_home)}, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_instances(lib: Library, n: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with lib.session_factory() as s:
            if s.scalar(select(func.count(Instance.id))) >= n:
                return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {n} instances after {timeout} s")


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(entry))
    return out


def test_ctrl_c_cancels_and_still_prints_the_json_summary(tmp_path, dosetrail_home):
    import json

    files = _write(tmp_path, n_files=3000)
    proc = _start_import(tmp_path, dosetrail_home, "--json")
    lib = Library()
    _wait_for_instances(lib, 300)
    os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole process group
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    doc = json.loads(out)  # still a single JSON document
    assert doc["cancelled"] is True and 0 < doc["instances_imported"] < len(files)
    assert "cancelling" in err
    with lib.session_factory() as s:
        assert s.scalar(select(ImportRun.status).order_by(ImportRun.id.desc())) == "cancelled"
    assert _consistent(lib) == doc["instances_imported"]
    lib.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_killing_the_import_leaves_no_worker_processes(tmp_path, dosetrail_home):
    _write(tmp_path, n_files=3000)
    proc = _start_import(tmp_path, dosetrail_home)
    lib = Library()
    _wait_for_instances(lib, 300)
    workers = _children(proc.pid)
    assert workers
    os.kill(proc.pid, signal.SIGKILL)  # the main process only, as a crash would
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{w}") and _alive(w) for w in workers):
        time.sleep(0.05)
    assert not any(os.path.exists(f"/proc/{w}") and _alive(w) for w in workers)
    lib.close()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
