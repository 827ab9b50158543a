"""A worker process that dies (killed, out of memory, a crash in a decoder) costs one file.

Before, the import ended with a BrokenProcessPool traceback and no summary. The
worker death here is real: the worker processes are forked from the test process
with a reader that SIGKILLs its own process on one file (a test-only hook that
exists only in this process tree).
"""
from __future__ import annotations

import json
import os
import signal

import pytest
from sqlalchemy import func, select

from dosetrail.core.api import Library
from dosetrail.core.cli.main import main
from dosetrail.core.importer import pipeline, worker
from dosetrail.core.storage.models import Instance

from synth import generate_many

N_FILES = 150  # over the in-process threshold: the import uses the worker pool


@pytest.fixture
def poisoned(tmp_path, monkeypatch):
    """Files to import, and the one on which the worker reading it is killed."""
    files = generate_many(tmp_path / "src", N_FILES, files_per_series=50)
    poison = files[len(files) // 2]
    real = worker.parse_bytes
    parent = os.getpid()

    def parse_or_die(label, data):
        if os.getpid() != parent and label == str(poison):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(label, data)

    monkeypatch.setattr(worker, "parse_bytes", parse_or_die)
    monkeypatch.setattr(pipeline, "_start_method", lambda: "fork")  # the workers inherit the hook
    return tmp_path / "src", files, poison


def test_a_dead_worker_rejects_its_file_and_the_import_goes_on(poisoned):
    src, files, poison = poisoned
    lib = Library()
    summary = lib.run_import([str(src)], workers=2)
    assert [(r.label, r.reason) for r in summary.files_rejected] == [(str(poison), pipeline.WORKER_DIED)]
    assert summary.files_seen == N_FILES
    assert summary.instances_imported == N_FILES - 1
    with lib.session_factory() as s:
        assert s.scalar(select(func.count(Instance.id))) == N_FILES - 1
    report = lib.import_report(summary.import_run_id)
    assert report.status == "completed"
    assert report.files_rejected == [(str(poison), pipeline.WORKER_DIED)]
    lib.close()


def test_the_command_line_prints_the_summary_not_a_traceback(poisoned, capsys):
    src, _files, poison = poisoned
    code = main(["import", str(src), "--json", "--workers", "2"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in out + err
    summary = json.loads(out)
    assert summary["files_rejected"] == [{"path": str(poison), "reason": pipeline.WORKER_DIED, "code": "reader-died"}]
    assert summary["instances_imported"] == N_FILES - 1


def test_a_worker_killed_once_by_something_else_blames_no_file(tmp_path, monkeypatch):
    files = generate_many(tmp_path / "src", N_FILES, files_per_series=50)
    victim = str(files[10])
    marker = tmp_path / "killed-once"
    real = worker.parse_bytes
    parent = os.getpid()

    def killed_once(label, data):
        if os.getpid() != parent and label == victim and not marker.exists():
            marker.touch()  # a stray kill (OOM killer, a user): the file itself is fine
            os.kill(os.getpid(), signal.SIGKILL)
        return real(label, data)

    monkeypatch.setattr(worker, "parse_bytes", killed_once)
    monkeypatch.setattr(pipeline, "_start_method", lambda: "fork")
    lib = Library()
    summary = lib.run_import([str(tmp_path / "src")], workers=2)
    assert marker.exists()
    assert summary.files_rejected == []
    assert summary.instances_imported == N_FILES
    lib.close()


def test_a_chunk_sent_to_a_pool_a_death_already_broke_fails_like_the_others():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    try:
        with pytest.raises(BrokenProcessPool):
            pool.submit(os._exit, 1).result(timeout=60)
        failed = pipeline._submit(pool, [worker.Task("x.dcm", data=b"")], None, False)
        assert isinstance(failed.exception(timeout=0), BrokenProcessPool)
    finally:
        pool.shutdown(wait=True)
