"""Opening the library database and keeping its schema current.

The library is any SQLAlchemy URL: SQLite by default (a file in
``DOSETRAIL_HOME``), PostgreSQL by URL (``postgresql+psycopg://...``, the
optional ``postgres`` extra). The schema is created and upgraded only by the
Alembic migrations in ``core/storage/migrations`` (run programmatically; no
``alembic.ini`` is needed at run time).
"""
from __future__ import annotations

import json
import math
import os
import socket
from contextlib import contextmanager
from pathlib import Path

from typing import TYPE_CHECKING, Iterator

from sqlalchemy import Engine, create_engine, event, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from ..config import default_db_url
from ..private_files import private_sqlite_file
from .models import Base, ImportRun

if TYPE_CHECKING:  # Alembic is imported only when a migration has to run (it costs 0.3 s a start)
    from alembic.config import Config

# The newest migration bundled (tests/test_storage_schema_head.py checks it against Alembic).
SCHEMA_HEAD = "0005"

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_MIGRATION_LOCK = 0x646F7365  # pg_advisory_xact_lock key held while migrating ("dose")


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def json_dumps(value) -> str:
    """Serialise JSON columns; NaN and infinity (no value) become null.

    Strict JSON everywhere (PostgreSQL refuses ``NaN``), and a value the
    data does not give is null, never a number.
    """
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError:
        return json.dumps(_json_safe(value), allow_nan=False)


def _sqlite_on_connect(dbapi_connection, connection_record) -> None:  # noqa: ARG001
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # WAL: readers (the GUI) never block the import writer; "memory" for :memory:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # a 32 MiB page cache (the default is 2 MiB): the import looks up every new instance,
        # series and study by UID, and a 250,000-instance library's indexes are bigger than 2 MiB
        cursor.execute("PRAGMA cache_size=-32768")
    finally:
        cursor.close()


def open_engine(url: str | None = None) -> Engine:
    """Create an engine for the library database.

    Parameters
    ----------
    url : str, optional
        A SQLAlchemy URL. Defaults to :func:`core.config.default_db_url`
        (``DOSETRAIL_HOME/dosetrail.db``).

    Returns
    -------
    sqlalchemy.Engine
        For SQLite, every connection has WAL journaling, ``foreign_keys=ON``
        and a busy timeout; the database file's folder is created. JSON
        columns are written as strict JSON (:func:`json_dumps`).
    """
    url = url or default_db_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            private_sqlite_file(Path(database).expanduser())  # 0600, and so its -wal/-shm
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                               json_serializer=json_dumps)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=json_dumps)


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration pointing at the bundled migrations.

    Parameters
    ----------
    engine : sqlalchemy.Engine, optional
        When given, its URL is set as ``sqlalchemy.url`` (used for offline SQL
        generation); ``upgrade`` passes the live connection separately.

    Returns
    -------
    alembic.config.Config
    """
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["target_metadata"] = Base.metadata
    return cfg


def head_revision() -> str:
    """Return the newest migration revision id bundled with this version."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the database's migration revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` (idempotent).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The library engine (SQLite file or in-memory, PostgreSQL, ...). The
        connection is handed to Alembic through ``config.attributes`` so an
        in-memory database is migrated in place.
    revision : str
        Target revision, ``"head"`` by default.
    """
    from alembic import command

    cfg = alembic_config()
    with migration_lock(engine), engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # held until this transaction ends; Alembic then reads the revision under the lock
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise schema migrations of one SQLite library between processes.

    Parameters
    ----------
    engine : sqlalchemy.Engine

    Notes
    -----
    For a SQLite file, a lock file next to it (``dosetrail.db.lock``, mode
    0600, left in place) is held while the migrations run: processes that
    open a new library at the same moment would otherwise all see an empty
    database and all try to create the tables (``table import_run already
    exists``). PostgreSQL takes a transaction-scoped advisory lock in
    :func:`upgrade` instead; in-memory databases need no lock.
    """
    database = (engine.url.database or "") if engine.dialect.name == "sqlite" else ""
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    from filelock import FileLock

    path = Path(database).expanduser()
    with FileLock(str(path.with_name(path.name + ".lock")), mode=0o600):
        yield


def schema_is_current(engine: Engine) -> bool:
    """True when the database is already at :data:`SCHEMA_HEAD` (one cheap query, no Alembic)."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == SCHEMA_HEAD
    except Exception:  # noqa: BLE001 - no table yet, or any other state: let Alembic decide
        return False


def process_owner() -> str:
    """Return ``"host:pid"`` of this process (stored on the import runs it starts)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str | None) -> bool | None:
    """True/False when the owning process is known to be running/gone, None when unknown."""
    host, _, pid = (owner or "").rpartition(":")
    if not host or host != socket.gethostname() or not pid.isdigit() or os.name == "nt":
        return None  # another machine (shared server), legacy row, or no safe probe (Windows)
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)  # signal 0: existence check only
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, belongs to someone else
    except OSError:
        return None
    return True


def mark_interrupted_runs(engine: Engine) -> int:
    """Mark import runs left ``running`` by a killed process ``interrupted``.

    Returns
    -------
    int
        How many runs were marked.

    Notes
    -----
    Called when the library is opened. A run whose process (``owner``) is
    still alive on this machine is left alone. Runs of another machine (a
    shared PostgreSQL library) or without an owner cannot be checked and are
    marked; if such a run is in fact alive, its
    :func:`core.storage.runs.finish_run` still sets the real final status.
    """
    with engine.begin() as conn:
        running = conn.execute(select(ImportRun.id, ImportRun.owner).where(ImportRun.status == "running")).all()
        dead = [run_id for run_id, owner in running if _owner_alive(owner) is not True]
        if dead:
            conn.execute(update(ImportRun).where(ImportRun.id.in_(dead), ImportRun.status == "running")
                         .values(status="interrupted"))
        return len(dead)


def open_library(url: str | None = None) -> tuple[Engine, sessionmaker]:
    """Open (create or upgrade) the library and return an engine and session factory.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL; defaults to the SQLite file in ``DOSETRAIL_HOME``.

    Returns
    -------
    tuple of (sqlalchemy.Engine, sqlalchemy.orm.sessionmaker)
        The session factory has ``expire_on_commit=False`` so plain values
        stay readable after a commit.
    """
    engine = open_engine(url)
    if not schema_is_current(engine):
        upgrade(engine)
    mark_interrupted_runs(engine)
    return engine, sessionmaker(bind=engine, expire_on_commit=False)
