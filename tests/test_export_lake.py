"""The Parquet data lake: read back with DuckDB, totals as in the JSON export, nothing identifying inside."""
from __future__ import annotations

import json
import os
import re
import stat
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from dosetrail.core.api import Library
from dosetrail.core.cli.main import main
from dosetrail.core.export.lake import KEY_FILE, Pseudonymiser, pseudonym_key
from dosetrail.core.storage.models import PatientIdentifier, Study

from synth import PatientSpec, generate_many, make_ct_series, make_dx_image, make_mixed_patient_history, write_study

duckdb = pytest.importorskip("duckdb")
README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture
def library(tmp_path, capsys):
    make_mixed_patient_history(tmp_path / "mixed", n_ct_slices=3, pixels=False)
    generate_many(tmp_path / "many", 16, files_per_series=2, series_per_study=2, studies_per_patient=2,
                  pixels=False, rdsr_per_study=True, seed="lake")
    undated = PatientSpec(patient_id="U-77", name="NODATE^PATRICIA", birth_date="19611224", sex="F")
    write_study(make_ct_series(undated, n_slices=3, ctdivol=10.0, study_date="", body_part="CHEST",
                               study_description="CT CHEST"), tmp_path / "undated")
    write_study([make_dx_image(undated, dap_dgycm2=2.0, study_date="20200315")], tmp_path / "dx")
    for name in ("mixed", "many", "undated", "dx"):
        assert main(["import", str(tmp_path / name), "--json"]) == 0
    capsys.readouterr()
    assert main(["export", "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def _sql(lake: Path, table: str) -> str:
    return f"read_parquet('{lake}/{table}/*/*.parquet', hive_partitioning = true)"


def _rows(lake: Path, table: str) -> list[dict]:
    rel = duckdb.sql(f"SELECT * FROM {_sql(lake, table)}")
    return [dict(zip(rel.columns, r)) for r in rel.fetchall()]


def test_lake_totals_match_the_json_export(library, tmp_path, dosetrail_home):
    lake = tmp_path / "lake"
    assert main(["export", "--format", "parquet", "-o", str(lake)]) == 0
    pseudo = Pseudonymiser(pseudonym_key(dosetrail_home))
    studies, events = _rows(lake, "studies"), _rows(lake, "events")
    json_studies = [(p, s) for p in library["patients"] for s in p["studies"]]
    assert len(studies) == len(json_studies) and len(studies) >= 12
    by_pseudonym = {pseudo("study", s["study_instance_uid"]): (p, s) for p, s in json_studies}
    assert {r["study_pseudonym"] for r in studies} == set(by_pseudonym)
    for r in studies:
        p, s = by_pseudonym[r["study_pseudonym"]]
        assert r["patient_pseudonym"] == pseudo("patient", p["patient_key"])
        assert r["date"] == (s["date"][:7] if s["date"] else None)
        assert r["year"] == (int(s["date"][:4]) if s["date"] else None)  # undated: the null partition
        for field in ("ct_dlp_mgycm", "dap_gycm2", "agd_mgy", "administered_activity_mbq", "ct_ctdivol_mgy_max"):
            assert r[field] == s["dose"][field], field  # null stays null, never 0
        assert r["effective_dose_msv"] == s["effective_dose_msv"]
        assert r["counted_in_total"] == s["counted_in_total"] and r["factor_status"] == s["factor_status"]
        assert r["modalities"] == s["modalities"]
    assert any(r["year"] is None for r in studies)
    # each patient's cumulative dose, one DuckDB query over the lake
    totals = dict(duckdb.sql(f"SELECT patient_pseudonym, sum(effective_dose_msv) FROM {_sql(lake, 'studies')} "
                             "WHERE counted_in_total GROUP BY ALL").fetchall())
    for p in library["patients"]:
        if p["cumulative_effective_dose_msv"] is not None:
            assert totals[pseudo("patient", p["patient_key"])] == pytest.approx(
                p["cumulative_effective_dose_msv"], abs=1e-5)
    # one row per irradiation event of the per-event breakdown
    json_events = [(s, e) for _, s in json_studies for e in s["events"]]
    assert len(events) == len(json_events) > 10
    sums = defaultdict(float)
    for s, e in json_events:
        for f in ("ct_dlp_mgycm", "dap_gycm2", "effective_dose_msv"):
            sums[f] += e[f] or 0.0
    got = duckdb.sql(f"SELECT sum(ct_dlp_mgycm), sum(dap_gycm2), sum(effective_dose_msv) "
                     f"FROM {_sql(lake, 'events')}").fetchall()[0]
    assert got == pytest.approx((sums["ct_dlp_mgycm"], sums["dap_gycm2"], sums["effective_dose_msv"]), abs=1e-6)
    kinds = sorted((r["kind"], r["region"], r["factor_status"]) for r in events if r["kind"] != "accumulated")
    assert kinds == sorted((e["kind"], e["region"], e["factor_status"]) for _, e in json_events
                           if e["kind"] != "accumulated")
    assert {r["station"] for r in events} - {None}  # the device is named


def _identifying(library: dict, lib: Library) -> set[str]:
    found: set[str] = set()
    # a synthetic name's word that is also the hospital's ("BENCH^PATIENT00000" at "BENCH HOSPITAL")
    shared = {w.upper() for p in library["patients"] for st in p["studies"]
              for w in (st["institution"] or "").split()}
    with lib.session_factory() as s:
        for pid, name, birth in s.execute(select(PatientIdentifier.pid, PatientIdentifier.name,
                                                 PatientIdentifier.birth_date)):
            found.update({pid, name, " ".join(re.split(r"[\^ =]+", name or "")).strip()} - {""})
            found.update(part for part in re.split(r"[\^ =]+", name or "")
                         if len(part) >= 3 and part.upper() not in shared)
            if birth:
                found.update({birth, birth.replace("-", "")})
        found.update(a for a in s.scalars(select(Study.accession_number)) if a)
    for p in library["patients"]:
        found.add(p["patient_key"])
        for st in p["studies"]:
            found.add(st["study_instance_uid"])
            found.update(e["uid"] for e in st["events"] if e["uid"])
    return found


def _footers(lake: Path) -> list[str]:
    """Every Parquet file's key-value metadata, schema and column statistics (min/max), as text."""
    import pyarrow.parquet as pq

    out = []
    for path in lake.rglob("*.parquet"):
        md = pq.read_metadata(path)
        out.append(str(md.metadata))
        out.append(str(md.schema))
        for g in range(md.num_row_groups):
            for c in range(md.num_columns):
                st = md.row_group(g).column(c).statistics
                if st is not None and st.has_min_max:
                    out += [str(st.min), str(st.max)]
    return out


def test_nothing_identifying_in_the_lake(library, tmp_path, dosetrail_home):
    lake = tmp_path / "lake"
    assert main(["export", "--format", "parquet", "-o", str(lake)]) == 0
    lib = Library()
    try:
        secrets = _identifying(library, lib)
    finally:
        lib.close()
    assert {"NODATE", "PATRICIA", "U-77", "1961-12-24", "19611224", "GARCÍA"} <= secrets
    key_hex = (dosetrail_home / KEY_FILE).read_text().strip()
    values: list[str] = []
    for table in ("studies", "events"):
        for row in _rows(lake, table):
            values.extend(str(v) for v in row.values())
    text = "\n".join(values).upper()
    raw = b"".join(p.read_bytes() for p in lake.rglob("*") if p.is_file())  # footers, statistics, paths
    plain = "\n".join([str(p.relative_to(lake)) for p in lake.rglob("*")] + _footers(lake)).upper()
    for secret in secrets | {key_hex}:  # as a whole word (a short ID such as "C5" is in many hex hashes)
        word = re.escape(secret.upper())
        assert not re.search(rf"(?<![0-9A-Z]){word}(?![0-9A-Z])", text), secret
        assert not re.search(rf"(?<![0-9A-Z]){word}(?![0-9A-Z])", plain), secret  # paths, statistics, metadata
        if len(secret) >= 6:  # compressed pages hold any short byte run by chance ("C5"): long ones only
            assert not re.search(rb"(?<![0-9A-Za-z])" + re.escape(secret.encode("utf-8")) + rb"(?![0-9A-Za-z])",
                                 raw, re.IGNORECASE), secret
    for path in [lake, *lake.rglob("*")]:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    assert stat.S_IMODE(os.stat(dosetrail_home / KEY_FILE).st_mode) == 0o600


def test_pseudonyms_are_stable_and_keyed(library, tmp_path, dosetrail_home, capsys):
    assert main(["export", "--format", "parquet", "-o", str(tmp_path / "a")]) == 0
    assert main(["export", "--format", "parquet", "-o", str(tmp_path / "b")]) == 0
    a = sorted(r["patient_pseudonym"] for r in _rows(tmp_path / "a", "studies"))
    assert a == sorted(r["patient_pseudonym"] for r in _rows(tmp_path / "b", "studies"))
    (dosetrail_home / KEY_FILE).unlink()  # another user's key: other pseudonyms
    assert main(["export", "--format", "parquet", "-o", str(tmp_path / "c")]) == 0
    assert not set(a) & {r["patient_pseudonym"] for r in _rows(tmp_path / "c", "studies")}
    capsys.readouterr()
    assert main(["export", "--format", "parquet", "-o", str(tmp_path / "c")]) == 2  # an old lake would mix in
    assert "empty folder" in capsys.readouterr().err
    assert main(["export", "--format", "parquet"]) == 2
    (tmp_path / "file").write_text("x")
    assert main(["export", "--format", "parquet", "-o", str(tmp_path / "file")]) == 2


def test_readme_example_runs_over_the_lake(library, tmp_path, monkeypatch):
    lake = tmp_path / "lake"
    assert main(["export", "--format", "parquet", "-o", str(lake)]) == 0
    text = README.read_text(encoding="utf-8")
    query = text.split("<!-- lake-example -->", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    rel = duckdb.sql(query)
    rows = [dict(zip(rel.columns, r)) for r in rel.fetchall()]
    with_drl = [r for r in rows if r["national_drl_dlp_mgycm"] is not None]
    assert with_drl and all(r["median_dlp_mgycm"] > 0 and r["ratio_to_drl"] is not None for r in with_drl)


def test_a_failed_lake_export_leaves_no_half_lake(library, tmp_path, monkeypatch, capsys):
    from dosetrail.core.export import lake as lake_module

    real = lake_module.lake_rows
    calls = []

    def failing(history, pseudo):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(history, pseudo)

    monkeypatch.setattr(lake_module, "ROWS_PER_FLUSH", 1)  # files are open when the disk fills
    monkeypatch.setattr(lake_module, "lake_rows", failing)
    lake = tmp_path / "lake"
    assert main(["export", "--format", "parquet", "-o", str(lake)]) == 3
    assert not (lake / "studies").exists() and not (lake / "events").exists()
    monkeypatch.setattr(lake_module, "lake_rows", real)
    assert main(["export", "--format", "parquet", "-o", str(lake)]) == 0  # the folder is usable again


def test_an_unusable_key_file_is_one_line(library, tmp_path, dosetrail_home, capsys):
    (dosetrail_home / KEY_FILE).write_text("not a key\n")
    capsys.readouterr()
    assert main(["export", "--format", "parquet", "-o", str(tmp_path / "lake")]) == 3
    err = capsys.readouterr().err
    assert "pseudonymisation key" in err and len(err.strip().splitlines()) == 1
