"""Finding the studies to estimate again reads an index, not every study's estimate JSON."""
from __future__ import annotations

import json

from sqlalchemy import select, text

from dosetrail.core.config import Settings
from dosetrail.core.dose.version import STAMP_KEY, estimate_stamp
from dosetrail.core.storage import db
from dosetrail.core.storage.estimates import stale_query, stale_study_ids
from dosetrail.core.storage.models import Study


def _study(conn, study_id: int, estimate: dict | None, factor_set: str | None) -> None:
    conn.execute(text("INSERT INTO study (id, study_instance_uid, patient_id, modalities, warnings, estimate, "
                      "estimate_factor_set, created_at) VALUES (:id, :uid, 1, 'CT', '[]', :est, :fs, "
                      "'2026-01-01 10:00:00')"),
                 {"id": study_id, "uid": f"1.{study_id}", "est": json.dumps(estimate) if estimate else None,
                  "fs": factor_set})


def test_migration_0005_copies_the_stamp_and_keeps_current_estimates_current(tmp_path):
    settings = Settings()
    current = estimate_stamp(settings)
    engine = db.open_engine(f"sqlite:///{tmp_path / 'lib.db'}")
    db.upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO patient (id, key, name, name_normalised, created_at) VALUES "
                          "(1, 'k1', 'A^B', 'a^b', '2026-01-01 10:00:00')"))
        _study(conn, 1, {"ionising": True, STAMP_KEY: current}, "AAPM-96")  # current
        _study(conn, 2, {"ionising": True, STAMP_KEY: "0|AAPM-96|UK-2022"}, "AAPM-96")  # older estimator
        _study(conn, 3, {"ionising": True}, "AAPM-96")  # made before stamps existed
        _study(conn, 4, {"ionising": True, STAMP_KEY: current}, None)  # got files after its estimate
    db.upgrade(engine)
    assert db.current_revision(engine) == db.SCHEMA_HEAD
    with engine.connect() as conn:
        stamps = dict(conn.execute(select(Study.id, Study.estimate_stamp)).all())
    assert stamps == {1: current, 2: "0|AAPM-96|UK-2022", 3: None, 4: current}
    from sqlalchemy.orm import sessionmaker

    with sessionmaker(engine)() as session:
        assert stale_study_ids(session, settings) == [2, 3, 4]
        assert stale_study_ids(session, Settings(factor_set="ICRP-103-NCI")) == [1, 2, 3, 4]
    engine.dispose()


def test_the_stale_check_reads_the_index_only(tmp_path):
    engine = db.open_engine(f"sqlite:///{tmp_path / 'lib.db'}")
    db.upgrade(engine)
    from sqlalchemy.orm import sessionmaker

    with sessionmaker(engine)() as session:
        sql = str(stale_query(Settings()).compile(engine, compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(row[-1]) for row in session.execute(text("EXPLAIN QUERY PLAN " + sql)))
    assert "COVERING INDEX ix_study_estimate_stamp" in plan, plan
    engine.dispose()


def test_an_estimate_stores_its_stamp(tmp_path, monkeypatch):
    from dosetrail.core.api import Library
    from synth import PatientSpec, make_ct_series, write_study

    write_study(make_ct_series(PatientSpec("STAMP1", "STAMP^ONE"), n_slices=2), tmp_path / "src")
    lib = Library()
    lib.run_import([str(tmp_path / "src")])
    with lib.session_factory() as s:
        [(stamp, estimate)] = s.execute(select(Study.estimate_stamp, Study.estimate)).all()
    assert stamp == estimate[STAMP_KEY] == estimate_stamp(Settings.load())
    lib.close()
