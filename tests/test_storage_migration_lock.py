"""Several processes opening a new library at the same moment: migrations run under a lock.

Without the lock about one process in three failed here (``table import_run already
exists`` or ``database is locked``) when four of them opened a fresh SQLite library
released by one barrier.
"""
from __future__ import annotations

import multiprocessing
import os
import stat
import traceback

from sqlalchemy import inspect, text

from dosetrail.core.storage import db

from test_postgres import pg_url  # noqa: F401 - the throw-away PostgreSQL server fixture

PROCESSES = 4
ROUNDS = 8


def _opener(urls: list[str], barrier, failures) -> None:
    for url in urls:
        barrier.wait(timeout=600)  # a loaded machine: spawned processes start slowly
        try:
            engine, _factory = db.open_library(url)
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            failures.put(traceback.format_exception_only(exc)[0].strip())


def _race(urls: list[str]) -> list[str]:
    ctx = multiprocessing.get_context("spawn")  # no state inherited: like separate app starts
    barrier = ctx.Barrier(PROCESSES)
    failures = ctx.Queue()
    procs = [ctx.Process(target=_opener, args=(urls, barrier, failures)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=1200)
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    out = []
    while not failures.empty():
        out.append(failures.get())
    return out


def test_processes_opening_a_new_sqlite_library_at_once_all_succeed(tmp_path):
    paths = [tmp_path / f"lib{i}" / "dosetrail.db" for i in range(ROUNDS)]
    failures = _race([f"sqlite:///{p}" for p in paths])
    assert failures == []
    for path in paths:
        engine = db.open_engine(f"sqlite:///{path}")
        assert db.current_revision(engine) == db.head_revision()
        with engine.connect() as conn:
            assert conn.execute(text("select count(*) from alembic_version")).scalar() == 1
        engine.dispose()
        lock = path.with_name(path.name + ".lock")
        assert lock.exists() and stat.S_IMODE(os.stat(lock).st_mode) & 0o077 == 0


def test_an_in_memory_library_needs_no_lock_file(tmp_path, monkeypatch):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    engine, _ = db.open_library("sqlite://")
    assert "import_run" in inspect(engine).get_table_names()
    assert list(work.iterdir()) == []


def test_processes_opening_a_new_postgresql_library_at_once_all_succeed(pg_url):
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(pg_url)
    names = [f"race{i}" for i in range(ROUNDS)]
    with psycopg.connect(host=base.host, port=base.port, user=base.username, dbname=base.database,
                         autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
    urls = [base.set(database=name).render_as_string(hide_password=False) for name in names]
    assert _race(urls) == []
    for url in urls:
        engine = db.open_engine(url)
        assert db.current_revision(engine) == db.head_revision()
        engine.dispose()
