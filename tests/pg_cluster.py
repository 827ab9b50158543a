"""A throw-away PostgreSQL cluster on 127.0.0.1, for the tests and the benches.

Started with the machine's server binaries (``initdb``, ``pg_ctl``; on Debian under
``/usr/lib/postgresql/*/bin``), as the ``postgres`` user when run as root (initdb
refuses root). :func:`postgres_cluster` yields the cluster's SQLAlchemy URL and stops
and removes it afterwards; :class:`Unavailable` says why one cannot be started.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator


class Unavailable(Exception):
    """No cluster can be started here (no server binaries, root without runuser, start failed)."""


def binary(name: str) -> str | None:
    """A PostgreSQL server program: on the PATH, or the newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (base / name).exists():
            return str(base / name)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """Start a cluster (trust authentication, user ``postgres``); yield its URL; stop and remove it.

    Raises
    ------
    Unavailable
        Before yielding, when no cluster can be started.
    """
    initdb, pg_ctl = binary("initdb"), binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise Unavailable("PostgreSQL server binaries (initdb, pg_ctl) not installed")
    root = Path(tempfile.mkdtemp(prefix="dosetrail-pg-"))  # outside pytest's 0700 folders
    data = root / "data"
    data.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        runuser = shutil.which("runuser")
        if not runuser:
            shutil.rmtree(root, ignore_errors=True)
            raise Unavailable("running as root without runuser")
        prefix = [runuser, "-u", "postgres", "--"]
        shutil.chown(data, "postgres")
        os.chmod(root, 0o755)
    port = free_port()
    try:
        subprocess.run(prefix + [initdb, "-D", str(data), "-A", "trust", "-U", "postgres"], check=True,
                       capture_output=True)
        subprocess.run(prefix + [pg_ctl, "-D", str(data), "-l", str(data / "log"), "-w", "-o",
                                 f"-p {port} -c listen_addresses=127.0.0.1 -k {data}", "start"],
                       check=True, capture_output=True)
    except (OSError, subprocess.SubprocessError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise Unavailable(f"could not start PostgreSQL: {exc}") from None
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(prefix + [pg_ctl, "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(url: str, name: str) -> str:
    """Create (again) database ``name`` on the server of ``url``; return its URL."""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name
