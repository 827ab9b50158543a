"""The per-event breakdown ("events") of `export --format json` and `history --json` (contract Additions)."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from dosetrail.core.cli.main import main

from synth import PatientSpec, make_projection_rdsr, target_region, write_study

EVENT_KEYS = {"uid", "kind", "region", "region_from", "ct_dlp_mgycm", "ct_ctdivol_mgy", "dap_gycm2", "dose_rp_gy",
              "factor", "factor_unit", "factor_status", "factor_source", "effective_dose_msv"}


def _import_two_region_fluoroscopy(tmp_path, capsys):
    pat = PatientSpec(patient_id="E1", name="EVENT^ERIKA", birth_date="19600101", sex="F")
    events = [dict(dap_gycm2=4.0, dose_rp_gy=0.05, region_code=target_region("chest", "SCT")),
              dict(dap_gycm2=6.0, dose_rp_gy=0.07, region_code=target_region("femur", "SNM3"))]
    rdsr = make_projection_rdsr(pat, kind="RF", events=events, study_description="ANGIO")
    write_study([rdsr], tmp_path / "src")
    assert main(["import", str(tmp_path / "src"), "--json"]) == 0
    capsys.readouterr()
    return events


def test_export_and_history_carry_the_events(tmp_path, capsys):
    events = _import_two_region_fluoroscopy(tmp_path, capsys)
    assert main(["export", "--format", "json"]) == 0
    (study,) = json.loads(capsys.readouterr().out)["patients"][0]["studies"]
    assert len(study["events"]) == 2
    assert all(EVENT_KEYS <= set(e) for e in study["events"])
    by_uid = {e["uid"]: e for e in study["events"]}
    chest, leg = by_uid[events[0]["event_uid"]], by_uid[events[1]["event_uid"]]
    assert (chest["region"], chest["region_from"], chest["dap_gycm2"], chest["dose_rp_gy"]) == (
        "chest", "target-region-code", 4.0, 0.05)
    assert (leg["region"], leg["factor"], leg["factor_status"], leg["factor_unit"]) == (
        "lower_limb", 0.065, "verified", "mSv per Gy.cm2")
    assert chest["ct_dlp_mgycm"] is None and chest["ct_ctdivol_mgy"] is None  # not given: null
    assert study["effective_dose_msv"] == pytest.approx(chest["effective_dose_msv"] + leg["effective_dose_msv"])
    assert study["factor_status"] == "proxy"  # chest fluoroscopy borrows the heart factor
    assert main(["history", "E1", "--json"]) == 0
    (hstudy,) = json.loads(capsys.readouterr().out)["patient"]["studies"]
    assert hstudy["events"] == study["events"]


def test_an_estimate_stored_before_events_existed_exports_an_empty_list(tmp_path, capsys):
    _import_two_region_fluoroscopy(tmp_path, capsys)
    from dosetrail.core.api import Library
    from dosetrail.core.storage.models import Study

    lib = Library()
    with lib.session_factory() as session:  # as an older DoseTrail stored it: no events, no factor_status
        study = session.scalars(select(Study)).one()
        old = dict(study.estimate)
        old.pop("events"), old.pop("factor_status")
        study.estimate = old
        session.commit()
    assert main(["export", "--format", "json"]) == 0
    (study,) = json.loads(capsys.readouterr().out)["patients"][0]["studies"]
    assert study["events"] == [] and study["factor_status"] is None
    assert study["effective_dose_msv"] is not None
