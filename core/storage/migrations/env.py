"""Alembic environment for the DoseTrail library.

Run programmatically by :func:`core.storage.db.upgrade`, which passes the
live connection (``config.attributes["connection"]``) and the models'
metadata (``config.attributes["target_metadata"]``). Developers can also use
the command line: ``alembic -c core/storage/alembic.ini revision --autogenerate``.
"""
from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def _target_metadata():
    metadata = config.attributes.get("target_metadata")
    if metadata is None:
        # command-line use: this file is loaded outside its package, so a
        # relative import is impossible; the installed package name is used
        metadata = importlib.import_module("dosetrail.core.storage.models").Base.metadata
    return metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        url = importlib.import_module("dosetrail.core.config").default_db_url()
    return url


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=_target_metadata(),
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL's dialect without connecting."""
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the given connection, or one made from the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config({"sqlalchemy.url": _url()}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        _configure(connection=conn)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
