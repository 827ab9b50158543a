"""Streamed exports give the same bytes as the documents built whole (the implementation before streaming)."""
from __future__ import annotations

import csv
import io
import json
import os
import stat
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from dosetrail.core.library import history_stream
from dosetrail.core.api import Library
from dosetrail.core.cli.main import main
from dosetrail.core.export import fhir
from dosetrail.core.export.csv_export import COLUMNS, _cell
from dosetrail.core.export.json_export import export_document
from dosetrail.core.export.stream import write_fhir_bundle, write_json
from dosetrail.core.storage.models import Patient
from dosetrail.core.library.summaries import build_history

from synth import generate_many, make_dx_image, make_mixed_patient_history, PatientSpec, write_study

WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc)


# --- the implementation before streaming, kept here as the reference ----------------------------------
def old_histories(lib):
    with lib.session_factory() as s:
        return [build_history(s, p, lib.settings)
                for p in s.scalars(select(Patient).order_by(Patient.name_normalised, Patient.id))]


def old_json(histories, factor_set, version):
    return json.dumps(export_document(histories, factor_set, version), ensure_ascii=False, indent=2) + "\n"


def old_csv(histories):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for h in histories:
        p = h.patient
        ids = ";".join(f"{pid}@{issuer}" if issuer else pid for pid, issuer in p.patient_ids)
        for e in h.exams:
            d = e.dose
            rng = e.effective_dose_range_msv or (None, None)
            w.writerow([_cell(v) for v in [
                p.key, ids, p.name, p.birth_date, p.sex,
                e.study_instance_uid, e.date, e.time, "\\".join(e.modalities), e.description, e.institution,
                e.body_region, e.age_years, e.ionising,
                d.ct_dlp_mgycm, d.ct_ctdivol_mgy_max, d.ct_irradiation_events, d.dap_gycm2, d.agd_mgy,
                d.administered_activity_mbq, d.radiopharmaceutical,
                e.effective_dose_msv, rng[0], rng[1], e.method, e.factor_set, ";".join(e.sources),
                " | ".join(e.warnings), e.counted_in_total,
            ]])
    return buf.getvalue()


def old_fhir(histories, version):
    when = WHEN
    device_id = fhir._uuid("device", "DoseTrail", version)
    entries = [fhir._entry(fhir._device(device_id, version))]
    for history in histories:
        patient = fhir._patient(history)
        entries.append(fhir._entry(patient))
        for exam in history.exams:
            study = fhir._imaging_study(exam, patient["id"])
            entries.append(fhir._entry(study))
            for obs in fhir._dose_observations(exam, patient["id"], study["id"], device_id, history.factor_set):
                entries.append(fhir._entry(obs))
    bundle = {
        "resourceType": "Bundle", "id": "fixed-id",
        "meta": {"tag": [{"system": "urn:dosetrail:software", "code": "DoseTrail",
                          "display": f"DoseTrail {version}"}]},
        "type": "collection", "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "entry": entries,
    }
    return json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
# -------------------------------------------------------------------------------------------------------


@pytest.fixture
def library(tmp_path, capsys):
    make_mixed_patient_history(tmp_path / "mixed", n_ct_slices=3, pixels=False)
    generate_many(tmp_path / "many", 24, files_per_series=2, series_per_study=2, studies_per_patient=2,
                  pixels=False, rdsr_per_study=True, seed="stream")
    ann = PatientSpec(patient_id="A9", name="ÅNGSTRÖM^ANN", birth_date="19800229", sex="F")
    write_study([make_dx_image(ann, dap_dgycm2=1.5, body_part="CHEST", study_date="20200102")], tmp_path / "dx")
    for name in ("mixed", "many", "dx"):
        assert main(["import", str(tmp_path / name), "--json"]) == 0
    capsys.readouterr()
    lib = Library()
    yield lib
    lib.close()


@pytest.mark.parametrize("batch", [1, 3, 200])
def test_streamed_exports_are_byte_identical(library, monkeypatch, batch):
    monkeypatch.setattr(history_stream, "HISTORY_BATCH", batch)
    old = old_histories(library)
    assert len(old) >= 7  # several batches at batch sizes 1 and 3
    fs = library.settings.factor_set
    out = io.StringIO()
    write_json(out, library.iter_histories(), fs, "9.9")
    assert out.getvalue() == old_json(old, fs, "9.9")
    out = io.StringIO()
    write_fhir_bundle(out, library.iter_histories(), "9.9", timestamp=WHEN, bundle_id="fixed-id")
    assert out.getvalue() == old_fhir(old, "9.9")
    assert library.histories() == old


def test_cli_writes_the_same_bytes_streamed(library, tmp_path, capsys):
    from dosetrail.core import __version__

    old = old_histories(library)
    fs = library.settings.factor_set
    for fmt, expected in (("json", old_json(old, fs, __version__)), ("csv", old_csv(old))):
        target = tmp_path / f"out.{fmt}"
        assert main(["export", "--format", fmt, "-o", str(target)]) == 0
        assert target.read_bytes() == expected.encode("utf-8")
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
        assert main(["export", "--format", fmt]) == 0
        assert capsys.readouterr().out == expected
    key = old[0].patient.key
    assert main(["export", "--format", "json", "--patient", key]) == 0
    assert capsys.readouterr().out == old_json([h for h in old if h.patient.key == key], fs, __version__)


def test_empty_library_exports(capsys):
    assert main(["export", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["patients"] == []
    assert main(["export", "--format", "fhir"]) == 0
    bundle = json.loads(capsys.readouterr().out)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Device"]


def test_fhir_ndjson_one_resource_per_line(library, tmp_path, capsys):
    from dosetrail.core import __version__

    bundle = json.loads(old_fhir(old_histories(library), __version__))
    resources = [e["resource"] for e in bundle["entry"]]
    assert main(["export", "--format", "fhir-ndjson"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == resources
    folder = tmp_path / "bulk"
    assert main(["export", "--format", "fhir-ndjson", "-o", str(folder)]) == 0
    kinds = {r["resourceType"] for r in resources}
    assert {p.name for p in folder.iterdir()} == {f"{k}.ndjson" for k in kinds}
    for kind in kinds:
        path = folder / f"{kind}.ndjson"
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        got = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert got == [r for r in resources if r["resourceType"] == kind]
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    fhir.validate_bundle(bundle)


def test_a_failed_streamed_export_leaves_no_file(library, tmp_path, monkeypatch):
    target = tmp_path / "half.json"

    def broken(*args, **kwargs):
        yield from []
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(history_stream, "iter_histories", broken)
    assert main(["export", "--format", "json", "-o", str(target)]) == 3
    assert not target.exists()


def test_indented_is_json_dumps():
    from hypothesis import given, settings, strategies as st

    from dosetrail.core.export.stream import indented

    scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
               | st.text())
    keys = st.text() | st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none()
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                          | st.dictionaries(keys, inner, max_size=4), max_leaves=20)

    @settings(max_examples=300, deadline=None)
    @given(values)
    def check(value):
        assert indented(value) == json.dumps(value, ensure_ascii=False, indent=2)
        nested = "\n".join("    " + line for line in json.dumps(value, ensure_ascii=False, indent=2).split("\n"))
        assert "    " + indented(value, "    ") == nested

    check()


def test_patients_json_is_written_as_json_dumps_would(library, capsys):
    assert main(["patients", "--json"]) == 0
    out = capsys.readouterr().out
    assert out == json.dumps(json.loads(out), ensure_ascii=False, indent=2) + "\n"
    assert len(json.loads(out)["patients"]) >= 7
