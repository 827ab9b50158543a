"""The library on PostgreSQL (any SQLAlchemy URL through --db): a real server on 127.0.0.1.

Starts a throw-away cluster with the machine's PostgreSQL binaries (initdb,
pg_ctl); skipped where PostgreSQL is not installed.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from dosetrail.core.cli.main import main

from synth import PatientSpec, make_ct_series, write_study


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (base / name).exists():
            return str(base / name)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pg_url():
    pytest.importorskip("psycopg")
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL server binaries not installed")
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="dosetrail-pg-"))  # outside pytest's 0700 folders
    data = root / "data"
    data.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        runuser = shutil.which("runuser")
        if not runuser:
            pytest.skip("running as root without runuser")
        prefix = [runuser, "-u", "postgres", "--"]
        shutil.chown(data, "postgres")
        os.chmod(root, 0o755)
    port = _free_port()
    subprocess.run(prefix + [initdb, "-D", str(data), "-A", "trust", "-U", "postgres"], check=True,
                   capture_output=True)
    subprocess.run(prefix + [pg_ctl, "-D", str(data), "-l", str(data / "log"), "-w", "-o",
                             f"-p {port} -c listen_addresses=127.0.0.1 -k {data}", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(prefix + [pg_ctl, "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_import_and_export_on_postgresql_match_sqlite(pg_url, tmp_path, capsys):
    jane = PatientSpec(patient_id="PG1", name="GARCÍA^JOSÉ", birth_date="19700131", sex="M",
                       specific_character_set="ISO_IR 100")
    write_study(make_ct_series(jane, n_slices=60, ctdivol=8.0), tmp_path / "cd")
    docs = []
    for url in (pg_url, f"sqlite:///{tmp_path / 'lib.db'}"):
        assert main(["import", str(tmp_path / "cd"), "--db", url, "--json"]) == 0
        first = json.loads(capsys.readouterr().out)
        assert main(["import", str(tmp_path / "cd"), "--db", url, "--json"]) == 0
        second = json.loads(capsys.readouterr().out)
        assert first["instances_imported"] == 60 and second["instances_already_present"] == 60
        assert main(["export", "--format", "json", "--db", url]) == 0
        doc = json.loads(capsys.readouterr().out)
        for p in doc["patients"]:
            p.pop("patient_key")
        docs.append(doc)
    assert docs[0] == docs[1]
    assert docs[0]["patients"][0]["name"] == "GARCÍA^JOSÉ"
    assert docs[0]["patients"][0]["studies"][0]["dose"]["ct_ctdivol_mgy_max"] == 8.0
