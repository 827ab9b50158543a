"""The library on PostgreSQL (any SQLAlchemy URL through --db): a real server on 127.0.0.1.

Starts a throw-away cluster with the machine's PostgreSQL binaries (initdb,
pg_ctl); skipped where PostgreSQL is not installed.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dosetrail.core.cli.main import main

from pg_cluster import Unavailable, fresh_database, postgres_cluster
from synth import PatientSpec, make_ct_series, write_study


@pytest.fixture(scope="module")
def pg_url():
    pytest.importorskip("psycopg")
    cluster = postgres_cluster()
    try:
        url = cluster.__enter__()
    except Unavailable as exc:
        if os.environ.get("DOSETRAIL_REQUIRE_POSTGRES"):  # CI: the real server is part of the run
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    try:
        yield url
    finally:
        cluster.__exit__(None, None, None)


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


_fresh_database = fresh_database  # (other test modules import it from here)


def _cli(args: list[str], home: Path) -> subprocess.Popen:
    import sys

    env = {**os.environ, "DOSETRAIL_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "dosetrail.gui.entry", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_desktops_import_overlapping_folders_at_once(pg_url, tmp_path):
    """Two processes import overlapping folders into one database while a third lists patients."""
    from synth import generate_many

    url = _fresh_database(pg_url, "two_desktops")
    src = tmp_path / "src"
    files = generate_many(src, 96, files_per_series=3, series_per_study=2, studies_per_patient=2,
                          pixels=False, rdsr_per_study=True, seed="two-desktops")  # 8 patients, 16 studies
    patients = sorted(p.name for p in src.iterdir())
    assert len(patients) == 8
    # desktop A gets patients 0-5, desktop B patients 0-3 and 6-7: four patients (8 studies) in both
    # folders, which both read first (folders are imported in name order): they race on the same rows
    for name, chosen in (("a", patients[:6]), ("b", patients[:4] + patients[6:])):
        for p in chosen:
            shutil.copytree(src / p, tmp_path / name / p)
    homes = {n: tmp_path / f"home-{n}" for n in ("a", "b", "reader")}
    for h in homes.values():
        h.mkdir()
    # the schema first (as the first desktop to open the library makes it), then everyone at once
    first = _cli(["patients", "--json", "--db", url], homes["reader"])
    assert first.wait(timeout=120) == 0, first.stderr.read()
    importers = [_cli(["import", str(tmp_path / n), "--json", "--db", url, "--workers", "1"], homes[n])
                 for n in ("a", "b")]
    reads = 0
    while any(p.poll() is None for p in importers) or reads < 3:
        reader = _cli(["patients", "--json", "--db", url], homes["reader"])
        out, err = reader.communicate(timeout=120)
        assert reader.returncode == 0, err  # a reader never errors while the library is written
        assert err.strip() == ""
        json.loads(out)
        reads += 1
    summaries = []
    for p in importers:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        assert err.strip() == ""  # a conflict retried says nothing (no driver warning either)
        summaries.append(json.loads(out))
    assert all(not s["files_rejected"] for s in summaries)
    # nothing lost, nothing duplicated: every object once, each patient once with all its studies
    assert sum(s["instances_imported"] for s in summaries) == len(files)
    assert sum(s["instances_already_present"] for s in summaries) == 4 * 2 * (2 * 3 + 1)
    reader = _cli(["export", "--format", "json", "--db", url], homes["reader"])
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    doc = json.loads(out)
    assert sorted(p["patient_ids"][0]["id"] for p in doc["patients"]) == [f"BENCH{i:05d}" for i in range(8)]
    assert all(len(p["patient_ids"]) == 1 for p in doc["patients"])
    studies = [s for p in doc["patients"] for s in p["studies"]]
    assert len(studies) == len({s["study_instance_uid"] for s in studies}) == 16
    assert all(len(p["studies"]) == 2 for p in doc["patients"])
    # every study estimated once from its RDSR (one spiral event per series, each counted once)
    assert all(s["sources"] == ["RDSR"] and s["dose"]["ct_irradiation_events"] == 2 for s in studies)
