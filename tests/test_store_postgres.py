"""Two desktops, one PostgreSQL library, one file store on a shared folder mounted at two paths."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from synth import PatientSpec, make_ct_series, write_study
from test_postgres import _fresh_database, pg_url  # noqa: F401 - the module's PostgreSQL cluster fixture


def _cli(args: list[str], home: Path, store: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DOSETRAIL_HOME": str(home), "DOSETRAIL_STORE": str(store)}
    return subprocess.run([sys.executable, "-m", "dosetrail.gui.entry", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_two_desktops_on_postgresql_read_each_others_files_through_their_own_mounts(
        pg_url, tmp_path, monkeypatch):  # noqa: F811
    url = _fresh_database(pg_url, "shared_store")
    server = tmp_path / "fileserver"
    (server / "dosetrail").mkdir(parents=True)
    mounts = {"a": tmp_path / "a-mnt", "b": tmp_path / "b" / "Volumes" / "share"}
    mounts["b"].parent.mkdir(parents=True)
    for m in mounts.values():
        m.symlink_to(server)  # the same shared folder under each desktop's own path
    stores = {n: m / "dosetrail" for n, m in mounts.items()}
    homes = {n: tmp_path / f"home-{n}" for n in mounts}
    for h in homes.values():
        h.mkdir()
    for n, pid in (("a", "PGSTORE-A"), ("b", "PGSTORE-B")):
        write_study(make_ct_series(PatientSpec(patient_id=pid, name=f"DESK^{n.upper()}"), n_slices=3),
                    tmp_path / f"cd-{n}")
        done = _cli(["import", str(tmp_path / f"cd-{n}"), "--db", url, "--json"], homes[n], stores[n])
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["instances_imported"] == 3
    exports = {n: _cli(["export", "--format", "json", "--db", url], homes[n], stores[n]) for n in mounts}
    assert exports["a"].returncode == exports["b"].returncode == 0
    assert exports["a"].stdout == exports["b"].stdout
    assert len(json.loads(exports["a"].stdout)["patients"]) == 2

    from dosetrail.core.library.facade import Library

    frames = {}
    for n in mounts:
        monkeypatch.setenv("DOSETRAIL_HOME", str(homes[n]))
        monkeypatch.setenv("DOSETRAIL_STORE", str(stores[n]))
        lib = Library(url)
        try:
            for p in lib.patients():
                (exam,) = lib.history(p.key).exams
                files = lib.study_files(exam.study_instance_uid)
                assert len(files) == 3 and all(f.startswith(str(stores[n])) and os.path.isfile(f) for f in files)
                frames[n, p.name] = lib.load_series(files).frames
        finally:
            lib.close()
    for name in ("DESK^A", "DESK^B"):
        assert frames["a", name].shape[0] == 3
        np.testing.assert_array_equal(frames["a", name], frames["b", name])
    # the rows hold store-relative paths: neither desktop's mount is in the database
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        paths = [r[0] for r in conn.execute(sa.text("SELECT path FROM instance"))]
    engine.dispose()
    assert len(paths) == 6 and not any(os.path.isabs(p) for p in paths)
