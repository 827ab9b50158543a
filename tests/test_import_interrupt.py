"""Cancel and kill leave the library consistent; importing again completes it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from threading import Event

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
    files = _write(tmp_path)
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
    proc = subprocess.Popen(
        [sys.executable, "-c", "from dosetrail.gui.entry import main; import sys; sys.exit(main(sys.argv[1:]))",
         "import", str(tmp_path / "src"), "--workers", "2"],
        env={**os.environ, "DOSETRAIL_HOME": str(dosetrail_home)}, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lib = Library()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until some batches are committed
        with lib.session_factory() as s:
            if s.scalar(select(func.count(Instance.id))) >= 500:
                break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
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
