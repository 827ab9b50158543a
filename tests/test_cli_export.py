"""patients / history / export as the contract describes them."""
from __future__ import annotations

import csv
import io
import json

from dosetrail.core.cli.main import main

from synth import JAPANESE_PATIENT, PatientSpec, make_ct_series, write_study

CONTRACT_PATIENT_KEYS = {"patient_key", "patient_ids", "name", "birth_date", "sex", "cumulative_effective_dose_msv",
                         "cumulative_effective_dose_range_msv", "exams_without_dose_estimate", "studies"}
CONTRACT_STUDY_KEYS = {"study_instance_uid", "date", "time", "modalities", "description", "institution", "body_region",
                       "age_years", "ionising", "dose", "effective_dose_msv", "effective_dose_range_msv", "method",
                       "factor_set", "sources", "warnings"}
CONTRACT_DOSE_KEYS = {"ct_dlp_mgycm", "ct_ctdivol_mgy_max", "ct_irradiation_events", "dap_gycm2", "agd_mgy",
                      "administered_activity_mbq", "radiopharmaceutical"}


def _import(tmp_path, capsys, datasets, name="src"):
    write_study(datasets, tmp_path / name)
    assert main(["import", str(tmp_path / name), "--json"]) == 0
    capsys.readouterr()


def test_export_json_follows_the_contract(tmp_path, capsys):
    jane = PatientSpec(patient_id="J1", name="DOE^JANE", birth_date="19700131", sex="F")
    ct = make_ct_series(jane, n_slices=20, slice_thickness=5.0, ctdivol=10.0, body_part="CHEST",
                        study_description="CT THORAX", study_date="20210304")
    no_dose = make_ct_series(jane, n_slices=3, ctdivol=None, study_description="CT HEAD", body_part="HEAD",
                             study_date="20220101")
    nothing_known = make_ct_series(jane, n_slices=3, ctdivol=None, study_description="", body_part=None,
                                   series_description="", study_date="20230101")
    _import(tmp_path, capsys, ct + no_dose + nothing_known)
    assert main(["export", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "dosetrail.export/1"
    assert doc["factor_set"] == "AAPM-96"
    (patient,) = doc["patients"]
    assert CONTRACT_PATIENT_KEYS <= set(patient)
    assert patient["patient_ids"] == [{"id": "J1", "issuer": None}]
    assert patient["birth_date"] == "1970-01-31" and patient["sex"] == "F"
    by_desc = {s["description"]: s for s in patient["studies"]}
    for s in by_desc.values():
        assert CONTRACT_STUDY_KEYS <= set(s)
        assert CONTRACT_DOSE_KEYS <= set(s["dose"])
    chest = by_desc["CT THORAX"]
    assert chest["dose"]["ct_ctdivol_mgy_max"] == 10.0
    assert chest["dose"]["ct_dlp_mgycm"] is not None and chest["dose"]["ct_dlp_mgycm"] > 0
    assert chest["dose"]["dap_gycm2"] is None  # not given: null, never 0
    assert chest["effective_dose_msv"] > 0
    head = by_desc["CT HEAD"]  # no dose data: a typical value for the exam type, flagged, figures stay null
    assert head["sources"] == ["typical-value"] and head["dose"]["ct_dlp_mgycm"] is None
    assert head["warnings"]
    unknown = by_desc[None]  # no dose data and no idea what was scanned: unknown, never 0
    assert unknown["effective_dose_msv"] is None and unknown["effective_dose_range_msv"] is None
    assert patient["exams_without_dose_estimate"] == 1
    expected = chest["effective_dose_msv"] + head["effective_dose_msv"]
    assert abs(patient["cumulative_effective_dose_msv"] - expected) < 1e-6


def test_history_and_patients_commands(tmp_path, capsys):
    pat = PatientSpec(patient_id="H1", name="MÜLLER^JÜRGEN", birth_date="19551203", sex="M",
                      specific_character_set="ISO_IR 100")
    _import(tmp_path, capsys, make_ct_series(pat, n_slices=4))
    assert main(["patients", "--json"]) == 0
    pats = json.loads(capsys.readouterr().out)["patients"]
    assert [p["name"] for p in pats] == ["MÜLLER^JÜRGEN"]
    key = pats[0]["patient_key"]
    assert main(["history", key, "--json"]) == 0
    by_key = json.loads(capsys.readouterr().out)
    assert main(["history", "H1", "--json"]) == 0  # any patient ID works too
    by_id = json.loads(capsys.readouterr().out)
    assert by_key == by_id and by_key["patient"]["patient_key"] == key
    assert main(["history", "nobody"]) == 2
    assert main(["patients", "--search", "muller"]) == 0
    assert "MÜLLER" in capsys.readouterr().out


def test_history_text_says_what_a_partial_total_leaves_out(tmp_path, capsys):
    pat = PatientSpec(patient_id="P1", name="DOE^PETER", birth_date="19600101", sex="M")
    known = make_ct_series(pat, n_slices=4, ctdivol=10.0, body_part="CHEST", study_date="20200101")
    unknown = make_ct_series(pat, n_slices=3, ctdivol=None, study_description="", body_part=None,
                             series_description="", study_date="20210101")
    _import(tmp_path, capsys, known + unknown)
    assert main(["history", "P1"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("Cumulative"))
    assert "from the 1 of 2 exams with an estimate; 1 without an estimate (not in the total)" in line
    _import(tmp_path, capsys, name="other", datasets=make_ct_series(PatientSpec(patient_id="P2", name="ROE^ANN",
                                                                    birth_date="19700101", sex="F"),
                                                        n_slices=3, ctdivol=None, study_description="",
                                                        body_part=None, series_description=""))
    assert main(["history", "P2"]) == 0
    out = capsys.readouterr().out
    assert "Cumulative effective dose: unknown (no exam has an estimate), 1 exam" in out


def test_iso2022_descriptions_and_institution_are_decoded(tmp_path, capsys):
    # ISO 2022 IR 87 is 7-bit: the bytes look like ASCII but carry escape sequences
    ct = make_ct_series(JAPANESE_PATIENT, n_slices=3, study_description="CT 胸部", institution="東京病院")
    _import(tmp_path, capsys, ct)
    assert main(["export", "--format", "json"]) == 0
    (study,) = json.loads(capsys.readouterr().out)["patients"][0]["studies"]
    assert study["description"] == "CT 胸部"
    assert study["institution"] == "東京病院"


def test_export_csv_one_row_per_study(tmp_path, capsys):
    a = PatientSpec(patient_id="A", name="A^A", birth_date="19900101", sex="F")
    b = PatientSpec(patient_id="B", name="B^B", birth_date="19910101", sex="M")
    _import(tmp_path, capsys, make_ct_series(a, n_slices=3) + make_ct_series(a, n_slices=3) + make_ct_series(b, n_slices=3))
    out = tmp_path / "out.csv"
    assert main(["export", "--format", "csv", "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 3
    assert {r["patient_ids"] for r in rows} == {"A", "B"}
    assert main(["export", "--format", "csv", "--patient", "B"]) == 0
    assert len(list(csv.DictReader(io.StringIO(capsys.readouterr().out)))) == 1


def test_import_report_lists_files_studies_sources_and_flags(tmp_path, capsys):
    pat = PatientSpec(patient_id="R1", name="ROE^ANN", birth_date="19600101", sex="F")
    ct = make_ct_series(pat, n_slices=20, slice_thickness=5.0, ctdivol=10.0, body_part="CHEST",
                        study_description="CT THORAX")
    files = write_study(ct, tmp_path / "src")
    (tmp_path / "src" / "notes.txt").write_text("not DICOM")
    (tmp_path / "src" / "cut.dcm").write_bytes(files[0].read_bytes()[:300])
    main(["import", str(tmp_path / "src"), "--json"])
    capsys.readouterr()
    assert main(["import-report", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert [p.endswith("cut.dcm") for p, _ in rep["files_rejected"]] == [True]
    assert any(p.endswith("notes.txt") for p, _ in rep["files_skipped"])
    (study,) = rep["studies"]
    assert study["sources"] == ["image-header"]
    # CTDIvol 10 mGy is above the UK-2022 chest level (8.5 mGy): with its units
    assert study["reference_level_flags"] == ["CTDIvol 10.0 mGy above UK-2022 chest (lung cancer) (8.50 mGy)"]


def test_a_closed_pipe_ends_the_output_quietly(tmp_path, capsys, monkeypatch):
    import os
    import sys

    pat = PatientSpec(patient_id="P1", name="PIPE^READER", birth_date="19700101", sex="F")
    _import(tmp_path, capsys, make_ct_series(pat, n_slices=3))
    read_end, write_end = os.pipe()
    os.close(read_end)  # `dosetrail export ... | head` after head has exited
    closed = os.fdopen(write_end, "w", buffering=1)
    monkeypatch.setattr(sys, "stdout", closed)
    assert main(["export", "--format", "json"]) == 0  # no BrokenPipeError traceback
