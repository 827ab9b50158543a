"""Control characters in member names and DICOM values are shown escaped, never obeyed."""
from __future__ import annotations

import json
import re

from dosetrail.core.cli.main import main
from dosetrail.core.cli.terminal import terminal_text

from synth import CONTROL_MEMBERS, PatientSpec, make_control_char_zip, make_ct_series, write_study

RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_terminal_text_escapes_controls_and_keeps_text():
    assert terminal_text("a\x1b[31mb") == "a\\x1b[31mb"
    assert terminal_text("x\ny\rz") == "x\\ny\\rz"
    assert terminal_text("evil\u202egpj") == "evil\\u202egpj"
    assert terminal_text("c1\x9b") == "c1\\x9b"
    assert terminal_text("Müller^Zoë\t山田") == "Müller^Zoë\t山田"  # letters of any script and tabs stay


def test_import_member_names_cannot_fake_a_rejected_line(tmp_path, capsys):
    archive = make_control_char_zip(tmp_path / "names.zip")
    assert main(["import", str(archive)]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert not RAW_CONTROL.search(out)
    rejected = [ln for ln in lines if ln.startswith("rejected:")]
    assert len(rejected) == len(CONTROL_MEMBERS)  # one line per member: the newline did not add one
    assert not any("\r" in ln for ln in lines)
    assert any("red\\x1b[31mtext" in ln for ln in rejected)
    assert any("a.dcm: bad\\nrejected: fake.dcm" in ln for ln in rejected)
    # the import report prints the same names, escaped too
    assert main(["import-report"]) == 0
    report = capsys.readouterr().out
    assert not RAW_CONTROL.search(report)
    assert sum(ln.lstrip().startswith("rejected") for ln in report.splitlines()) == len(CONTROL_MEMBERS)


def test_import_json_output_has_no_raw_control_characters(tmp_path, capsys):
    archive = make_control_char_zip(tmp_path / "names.zip")
    assert main(["import", str(archive), "--json"]) == 1
    out = capsys.readouterr().out
    assert not RAW_CONTROL.search(out)  # C0 escaped by the encoder, DEL/C1/bidi by the CLI
    assert "\\u009b" in out and "\\u202e" in out and "\\u001b" in out
    labels = {r["path"].split("!", 1)[1] for r in json.loads(out)["files_rejected"]}
    assert labels == set(CONTROL_MEMBERS)  # the data itself is unchanged


def test_dicom_values_with_escapes_are_printed_escaped(tmp_path, capsys):
    evil = PatientSpec(patient_id="EV1", name="EVIL\x1b[2J^NAME", birth_date="19800101", sex="M")
    write_study(make_ct_series(evil, n_slices=2, ctdivol=8.0, study_description="CT\x1b]0;pwned\x07HEAD",
                               body_part="HEAD"), tmp_path / "src")
    assert main(["import", str(tmp_path / "src")]) == 0
    capsys.readouterr()
    for argv in (["patients"], ["history", "EV1"], ["import-report"]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert not RAW_CONTROL.search(out), argv
    assert main(["history", "EV1"]) == 0
    out = capsys.readouterr().out
    assert "EVIL\\x1b[2J" in out and "CT\\x1b]0;pwned\\x07HEAD" in out
