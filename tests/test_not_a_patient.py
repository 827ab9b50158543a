"""Probable QA/phantom scans stay estimated but out of the patient's total until the user counts them."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from dosetrail.core.api import Library
from dosetrail.core.cli.main import main
from dosetrail.core.storage import db
from dosetrail.core.storage.models import Study

from synth import PatientSpec, make_ct_series, write_study

JANE = PatientSpec(patient_id="J1", name="DOE^JANE", birth_date="19700131", sex="F")
PHANTOM = PatientSpec(patient_id="PHY123", name="PHYSICS^CATPHAN", birth_date="", sex=None)


def _studies():
    chest = make_ct_series(JANE, n_slices=10, ctdivol=10.0, study_description="CT THORAX", study_date="20210304")
    qa = make_ct_series(JANE, n_slices=10, ctdivol=20.0, study_description="Z_Physics Test", body_part="CHEST",
                        study_date="20220101")
    phantom = make_ct_series(PHANTOM, n_slices=10, ctdivol=15.0, study_description="CT HEAD", body_part="HEAD",
                             study_date="20220202")
    return chest, qa, phantom


@pytest.fixture
def library(tmp_path, capsys):
    chest, qa, phantom = _studies()
    write_study(chest + qa + phantom, tmp_path / "src")
    assert main(["import", str(tmp_path / "src"), "--json"]) == 0
    capsys.readouterr()
    return {"chest": chest[0].StudyInstanceUID, "qa": qa[0].StudyInstanceUID, "phantom": phantom[0].StudyInstanceUID}


def _cli_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def _jane(capsys):
    (p,) = [p for p in _cli_json(capsys, "export", "--format", "json")["patients"] if p["name"] == "DOE^JANE"]
    return p, {s["study_instance_uid"]: s for s in p["studies"]}


def test_qa_study_is_estimated_but_not_counted(library, capsys):
    p, studies = _jane(capsys)
    chest, qa = studies[library["chest"]], studies[library["qa"]]
    assert qa["effective_dose_msv"] > 0  # still estimated
    assert qa["counted_in_total"] is False and "Z_Physics Test" in qa["not_counted_reason"]
    assert "probable QA/phantom scan, not counted" in qa["warnings"]
    assert chest["counted_in_total"] is True and chest["not_counted_reason"] is None
    assert p["cumulative_effective_dose_msv"] == pytest.approx(chest["effective_dose_msv"])
    assert p["cumulative_effective_dose_range_msv"] == pytest.approx(chest["effective_dose_range_msv"])
    assert p["exams_without_dose_estimate"] == 0 and p["exams_not_counted"] == 1
    assert list(p["per_year_effective_dose_msv"]) == ["2021"]
    hist = _cli_json(capsys, "history", "J1", "--json")
    assert [c["study_instance_uid"] for c in hist["cumulative"]] == [library["chest"]]
    assert hist["patient"]["cumulative_effective_dose_msv"] == p["cumulative_effective_dose_msv"]
    rows = {r["name"]: r for r in _cli_json(capsys, "patients", "--json")["patients"]}
    assert rows["DOE^JANE"]["cumulative_effective_dose_msv"] == pytest.approx(chest["effective_dose_msv"])
    assert rows["PHYSICS^CATPHAN"]["exams_not_counted"] == 1
    assert rows["PHYSICS^CATPHAN"]["cumulative_effective_dose_msv"] == 0.0
    assert main(["history", "J1"]) == 0
    text = capsys.readouterr().out
    assert "(not counted)" in text and "1 more not counted" in text
    assert main(["history", "PHY123"]) == 0
    assert "Cumulative effective dose: nothing counted: 1 exam not counted" in capsys.readouterr().out
    assert main(["patients"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "PHYSICS, CATPHAN" in x)
    assert "not counted" in line and "0.00 mSv" not in line


def test_csv_says_which_rows_the_total_counts(library, capsys):
    import csv
    import io

    assert main(["export", "--format", "csv"]) == 0
    rows = {r["study_instance_uid"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows[library["qa"]]["counted_in_total"] == "false"
    assert rows[library["chest"]]["counted_in_total"] == "true"


def test_count_command_overrides_and_returns_to_detection(library, capsys):
    p0, studies = _jane(capsys)
    both = studies[library["chest"]]["effective_dose_msv"] + studies[library["qa"]]["effective_dose_msv"]
    assert main(["count", library["qa"], "--yes"]) == 0
    assert "counted in the total" in capsys.readouterr().out
    p, studies = _jane(capsys)
    assert studies[library["qa"]]["counted_in_total"] is True
    assert p["cumulative_effective_dose_msv"] == pytest.approx(both) and p["exams_not_counted"] == 0
    assert any("counted by the user's choice" in w for w in studies[library["qa"]]["warnings"])
    assert main(["count", library["chest"], "--no"]) == 0
    capsys.readouterr()
    p, studies = _jane(capsys)
    assert studies[library["chest"]]["counted_in_total"] is False
    assert p["cumulative_effective_dose_msv"] == pytest.approx(studies[library["qa"]]["effective_dose_msv"])
    assert main(["count", library["chest"], "--auto"]) == 0
    assert main(["count", library["qa"], "--auto"]) == 0
    capsys.readouterr()
    assert _jane(capsys)[0]["cumulative_effective_dose_msv"] == p0["cumulative_effective_dose_msv"]


def test_count_command_usage(library, capsys):
    assert main(["count", "1.2.3.999", "--yes"]) == 2
    assert "unknown study" in capsys.readouterr().err
    assert main(["count", library["qa"]]) == 2  # one of --yes/--no/--auto is required
    assert main(["count", library["qa"], "--yes", "--no"]) == 2


def test_override_survives_a_recompute(library, capsys):
    lib = Library()
    try:
        lib.set_count_in_total(library["qa"], True)
        lib.recompute_estimates()
        exam = next(e for e in lib.history("J1").exams if e.study_instance_uid == library["qa"])
        assert exam.counted_in_total and exam.test_object
    finally:
        lib.close()


def test_migration_flags_existing_studies(library, dosetrail_home):
    from alembic import command

    engine = db.open_engine(None)
    cfg = db.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    assert db.current_revision(engine) == "0002"
    db.upgrade(engine)
    with engine.connect() as conn:
        flags = dict(conn.execute(select(Study.study_instance_uid, Study.test_object)).all())
    assert flags[library["chest"]] is None
    assert "Z_Physics Test" in flags[library["qa"]]
    assert "PHYSICS^CATPHAN" in flags[library["phantom"]]
    engine.dispose()
