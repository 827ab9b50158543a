"""Every message of the command line helps a newcomer (issue 11): help lines, names as the window
writes them, what an empty import or an empty drive says, singular/plural, placeholder birth dates."""
from __future__ import annotations

import argparse
import json

from dosetrail.core.cli import main as cli
from dosetrail.core.cli.main import main

from synth import PatientSpec, make_ct_series, write_study


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_help_lists_gui_and_every_argument_has_a_help_line(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "gui" in out and "open the window" in out
    parser = cli._parser()
    commands = _subparsers(parser)
    assert {"gui", "import", "patients", "history", "export", "report", "import-report", "merge", "split",
            "settings", "media"} <= set(commands)
    missing = [f"{name} {a.dest}" for name, sub in commands.items() for a in sub._actions
               if not a.help and not isinstance(a, argparse._HelpAction)]
    assert not missing, f"arguments without a help line: {missing}"


def test_db_help_shows_the_real_default_path(capsys, dosetrail_home):
    assert main(["patients", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"sqlite:///{dosetrail_home / 'dosetrail.db'}".replace(" ", "") in out.replace(" ", "")


def test_names_read_as_in_the_window_and_cut_names_end_with_an_ellipsis(tmp_path, capsys):
    people = [PatientSpec(patient_id="A6", name="Anon6^Anon6", birth_date="19700101", sex="F"),
              PatientSpec(patient_id="NN", name="^^^^", birth_date="19800101", sex="M"),
              PatientSpec(patient_id="LONG", name="Vanderbiltsworthington-Smythe^Maximiliana Josephine",
                          birth_date="19900101", sex="F")]
    data = []
    for i, p in enumerate(people):
        data += make_ct_series(p, n_slices=2, ctdivol=10.0, study_description=f"CT {i}", study_date="20210304")
    write_study(data, tmp_path / "src")
    assert main(["import", str(tmp_path / "src")]) == 0
    capsys.readouterr()
    assert main(["patients"]) == 0
    out = capsys.readouterr().out
    assert "Anon6, Anon6" in out and "Anon6^Anon6" not in out
    assert "(no name)" in out and "^^^^" not in out
    assert "Vanderbiltsworthington-Smythe…" in out and len("Vanderbiltsworthington-Smythe…") == 30
    assert main(["history", "NN"]) == 0
    assert capsys.readouterr().out.startswith("(no name)  born 1980-01-01")
    assert cli.cut("CT THORAX ABDOMEN PELVIS WITH CONTRAST MEDIUM", 32).endswith("…")


def test_empty_folder_says_it_found_no_dicom(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["import", str(tmp_path / "empty")]) == 0
    captured = capsys.readouterr()
    assert f"found no DICOM files in {tmp_path / 'empty'}" in captured.err
    assert captured.out.startswith("0 files:")


def test_one_file_is_singular(tmp_path, capsys):
    p = PatientSpec(patient_id="S1", name="SOLO^ONE", birth_date="19700101", sex="F")
    write_study(make_ct_series(p, n_slices=1, ctdivol=10.0, study_date="20210304"), tmp_path / "one")
    assert main(["import", str(tmp_path / "one")]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("1 file: 1 imported"), captured.out
    assert "found no DICOM" not in captured.err
    assert main(["import-report"]) == 0
    assert "  1 file: " in capsys.readouterr().out


def test_media_with_nothing_mounted_says_so(monkeypatch, capsys):
    import dosetrail.core.sources.media as media

    monkeypatch.setattr(media, "list_removable_media", lambda *a, **k: [])
    assert main(["media"]) == 0
    captured = capsys.readouterr()
    assert "no removable media with DICOM found" in captured.err and captured.out == ""


def test_gui_through_core_cli_is_a_usage_error(capsys):
    assert main(["gui"]) == 2
    assert "dosetrail gui" in capsys.readouterr().err


def test_placeholder_birth_dates_read_unknown_with_a_warning_in_the_export(tmp_path, capsys):
    old = PatientSpec(patient_id="P1900", name="OLD^PLACEHOLDER", birth_date="19000101", sex="F")
    future = PatientSpec(patient_id="P9999", name="FUTURE^PLACEHOLDER", birth_date="99990101", sex="M")
    real = PatientSpec(patient_id="REAL", name="REAL^DATE", birth_date="19700131", sex="F")
    data = []
    for i, p in enumerate((old, future, real)):
        data += make_ct_series(p, n_slices=2, ctdivol=10.0, study_description=f"CT {i}", study_date="20210304")
    write_study(data, tmp_path / "src")
    assert main(["import", str(tmp_path / "src")]) == 0
    capsys.readouterr()
    assert main(["history", "P1900"]) == 0
    assert "born unknown" in capsys.readouterr().out
    assert main(["patients"]) == 0
    out = capsys.readouterr().out
    assert "1900-01-01" not in out and "9999-01-01" not in out and "1970-01-31" in out
    assert main(["export", "--format", "json"]) == 0
    patients = {p["name"]: p for p in json.loads(capsys.readouterr().out)["patients"]}
    for name, raw in (("OLD^PLACEHOLDER", "1900-01-01"), ("FUTURE^PLACEHOLDER", "9999-01-01")):
        assert patients[name]["birth_date"] is None
        assert any(raw in w and "unknown" in w for w in patients[name]["warnings"])
    assert patients["REAL^DATE"]["birth_date"] == "1970-01-31" and patients["REAL^DATE"]["warnings"] == []
    assert main(["patients", "--json"]) == 0
    listed = {p["name"]: p for p in json.loads(capsys.readouterr().out)["patients"]}
    assert listed["OLD^PLACEHOLDER"]["birth_date"] is None and listed["OLD^PLACEHOLDER"]["warnings"]
    assert main(["export", "--format", "fhir"]) == 0
    bundle = json.loads(capsys.readouterr().out)
    births = [e["resource"].get("birthDate") for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert "1970-01-31" in births and "1900-01-01" not in births and "9999-01-01" not in births
    pdf = tmp_path / "old.pdf"
    assert main(["report", "P1900", "-o", str(pdf)]) == 0
    capsys.readouterr()
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(str(pdf)).pages)
    assert "1900-01-01" not in text and "unknown" in text
