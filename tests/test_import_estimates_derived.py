"""Estimates are derived data: a study left without a current estimate is estimated again.

A kill -9 between storing a study and estimating its dose used to leave it at
"unknown" for ever: the rerun found every instance "already present" and
estimated nothing.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from sqlalchemy import select, update

from dosetrail.core.api import Library
from dosetrail.core.config import Settings
from dosetrail.core.dose import version
from dosetrail.core.storage.estimates import stale_study_ids
from dosetrail.core.importer.pipeline import drive, import_paths
from dosetrail.core.importer.parse import describe, parse_bytes
from dosetrail.core.storage.db import open_library
from dosetrail.core.storage.models import Study
from dosetrail.core.storage.writer import LibraryWriter, start_run

from synth import PatientSpec, make_ct_rdsr, make_ct_series, write_study
from test_postgres import pg_url  # noqa: F401 - the throw-away PostgreSQL server fixture


def _studies(root, n=3):
    datasets = []
    for i in range(n):
        datasets += make_ct_series(PatientSpec(patient_id=f"P{i}", name=f"DOE^P{i}"), n_slices=2,
                                   ctdivol=10.0 + i)
    write_study(datasets, root)
    return root


def _estimates(session_factory) -> dict[str, dict | None]:
    with session_factory() as s:
        return {uid: est for uid, est in s.execute(select(Study.study_instance_uid, Study.estimate))}


def _forget_estimates(session_factory) -> None:
    with session_factory() as s, s.begin():
        s.execute(update(Study).values(estimate=None, effective_dose_msv=None, estimate_factor_set=None))


def _current(est) -> bool:
    return bool(est) and est.get(version.STAMP_KEY) == version.estimate_stamp(Settings())


def test_an_import_estimates_studies_an_earlier_import_left_without_estimate(tmp_path, dosetrail_home):
    src = _studies(tmp_path / "src")
    lib = Library()
    lib.run_import([str(src)])
    lib.close()
    url = f"sqlite:///{dosetrail_home / 'dosetrail.db'}"
    engine, factory = open_library(url)  # the database only (no Library: no open-time refresh)
    _forget_estimates(factory)  # what a kill between storing and estimating leaves
    summary = drive(import_paths(factory, [str(src)], store_root=dosetrail_home / "store"))
    assert summary.instances_imported == 0 and summary.studies_touched == []
    estimates = _estimates(factory)
    assert len(estimates) == 3 and all(_current(e) for e in estimates.values())
    with factory() as s:
        assert s.scalars(select(Study.effective_dose_msv)).all().count(None) == 0
    engine.dispose()


def test_opening_the_library_estimates_studies_without_a_current_estimate(tmp_path, dosetrail_home, monkeypatch):
    src = _studies(tmp_path / "src")
    lib = Library()
    lib.run_import([str(src)])
    with lib.session_factory() as s, s.begin():
        first = s.scalars(select(Study.id).order_by(Study.id)).first()
        s.execute(update(Study).where(Study.id == first).values(estimate=None, estimate_factor_set=None))
    lib.close()
    lib = Library()
    assert all(_current(e) for e in _estimates(lib.session_factory).values())
    with lib.session_factory() as s:
        assert stale_study_ids(s, lib.settings) == []
    lib.close()
    # a new estimator version re-estimates every study once
    monkeypatch.setattr(version, "ESTIMATOR_VERSION", "test-next")
    lib = Library()
    stamps = {e[version.STAMP_KEY] for e in _estimates(lib.session_factory).values()}
    assert stamps == {version.estimate_stamp(lib.settings)} and stamps.pop().startswith("test-next|")
    lib.close()


def test_a_study_that_gets_new_instances_is_not_current_until_estimated_again(tmp_path, dosetrail_home):
    patient = PatientSpec(patient_id="P1", name="DOE^P1")
    series = make_ct_series(patient, n_slices=2)
    study_uid = str(series[0].StudyInstanceUID)
    lib = Library()
    lib.run_import([str(write_study(series, tmp_path / "ct")[0].parent)])
    with lib.session_factory() as s:
        assert stale_study_ids(s, lib.settings) == []
    # the RDSR arrives later; the process dies after its batch is written, before estimating
    rdsr = make_ct_rdsr(patient, study_uid=study_uid, dlp_total=999.0)
    path = write_study([rdsr], tmp_path / "sr")[0]
    ds, rejection = parse_bytes(str(path), path.read_bytes())
    assert rejection is None
    rec = describe(ds, str(path))
    rec.stored_path = str(path)
    rec.linked = True
    run = start_run(lib.session_factory, [str(path)], True)
    LibraryWriter(lib.session_factory, run_id=run).write_batch([rec])
    with lib.session_factory() as s:
        stale = stale_study_ids(s, lib.settings)
        assert s.scalars(select(Study.id).where(Study.study_instance_uid == study_uid)).all() == stale
    lib.close()
    lib = Library()
    est = _estimates(lib.session_factory)[study_uid]
    assert _current(est) and "RDSR" in est["sources"]
    lib.close()


_KILLED_IMPORT = textwrap.dedent("""
    import os, signal, sys
    from dosetrail.core.storage import estimates as service

    def die(*args, **kwargs):  # the moment between storing and estimating
        os.kill(os.getpid(), signal.SIGKILL)

    service.refresh_estimates = die
    from dosetrail.core.cli.main import main
    sys.exit(main(["import", sys.argv[1], "--workers", "1"]))
""")


def test_kill_9_between_storing_and_estimating_is_repaired_by_the_next_run(tmp_path, dosetrail_home):
    src = _studies(tmp_path / "src", n=4)
    env = dict(os.environ, DOSETRAIL_HOME=str(dosetrail_home))
    proc = subprocess.run([sys.executable, "-c", _KILLED_IMPORT, str(src)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    engine, factory = open_library(f"sqlite:///{dosetrail_home / 'dosetrail.db'}")
    left = _estimates(factory)
    assert len(left) == 4 and not any(left.values())  # stored, never estimated
    engine.dispose()
    rerun = subprocess.run([sys.executable, "-m", "dosetrail.core.cli.main", "import", str(src), "--json"],
                           env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    engine, factory = open_library(f"sqlite:///{dosetrail_home / 'dosetrail.db'}")
    assert all(_current(e) for e in _estimates(factory).values())
    engine.dispose()


def test_stale_estimates_are_found_on_postgresql_too(tmp_path, pg_url):
    from sqlalchemy import delete

    from dosetrail.core.storage.models import ImportIssue, ImportRun, Instance, Patient, PatientIdentifier, Series

    src = _studies(tmp_path / "src", n=2)
    lib = Library(pg_url)
    try:
        with lib.session_factory() as s, s.begin():  # the server is shared by this module's tests
            for model in (Instance, Series, Study, PatientIdentifier, Patient, ImportIssue, ImportRun):
                s.execute(delete(model))
        lib.run_import([str(src)])
        with lib.session_factory() as s:
            assert stale_study_ids(s, lib.settings) == []
        _forget_estimates(lib.session_factory)
        with lib.session_factory() as s:
            assert len(stale_study_ids(s, lib.settings)) == 2
    finally:
        lib.close()
    lib = Library(pg_url)
    assert all(_current(e) for e in _estimates(lib.session_factory).values())
    lib.close()


def test_a_library_that_cannot_be_written_still_opens(tmp_path, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from dosetrail.core.storage import estimates as service

    src = _studies(tmp_path / "src", n=1)
    lib = Library()
    lib.run_import([str(src)])
    _forget_estimates(lib.session_factory)
    lib.close()

    def read_only(*args, **kwargs):
        raise OperationalError("UPDATE study", {}, Exception("attempt to write a readonly database"))

    monkeypatch.setattr(service, "_estimate_ids", read_only)
    lib = Library()  # opens; the estimate waits for a writable open
    assert lib.patient_count() == 1
    lib.close()
