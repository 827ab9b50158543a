"""CSV exports cannot carry live spreadsheet formulas (OWASP CSV injection)."""
from __future__ import annotations

import csv
import io

import pytest

from dosetrail.core.cli.main import main
from dosetrail.core.export.csv_export import spreadsheet_safe

from synth import PatientSpec, make_ct_series, write_study

HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize("text", [HYPERLINK, "+1+2", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "=1"])
def test_formula_starts_get_an_apostrophe(text):
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["-1.5", "+3", "-2", "12", "-1e-3", "DOE^JANE", "", "a=b", "'quoted"])
def test_numbers_and_plain_text_stay(text):
    assert spreadsheet_safe(text) == text


def test_export_csv_neutralises_a_formula_patient_name(tmp_path, capsys):
    pat = PatientSpec(patient_id="@ID1", name=HYPERLINK, birth_date="19700101", sex="F")
    write_study(make_ct_series(pat, n_slices=3, ctdivol=10.0, body_part="CHEST", study_description="-CT THORAX",
                               study_date="20210304"), tmp_path / "src")
    assert main(["import", str(tmp_path / "src")]) == 0
    capsys.readouterr()
    assert main(["export", "--format", "csv"]) == 0
    (row,) = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert row["name"] == "'" + HYPERLINK
    assert row["patient_ids"] == "'@ID1"
    assert row["description"] == "'-CT THORAX"
    for column in ("effective_dose_msv", "ct_dlp_mgycm", "age_years", "ct_irradiation_events"):
        float(row[column])  # numbers stay numbers
        assert not row[column].startswith("'")
    assert not any(v.startswith(("=", "+", "@", "\t", "\r")) for v in row.values())
