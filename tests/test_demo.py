"""The bundled demo library: built from the committed synthetic archive, imported once."""
from __future__ import annotations

import json
import os
import zipfile

import pytest

from dosetrail.core.api import Library
from dosetrail.core.config import default_db_url
from dosetrail.core.library.demo import MARKER, demo_archive, ensure_demo_library


def _open(home):
    old = os.environ.get("DOSETRAIL_HOME")
    os.environ["DOSETRAIL_HOME"] = str(home)
    try:
        return Library(db_url=default_db_url(home))
    finally:
        os.environ["DOSETRAIL_HOME"] = old


def _snapshot(home):
    lib = _open(home)
    try:
        patients = lib.patients()
        exams = [x for p in patients for x in lib.history(p.key).exams]
        return patients, exams, len(lib.import_runs())
    finally:
        lib.close()


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo") / "home"
    assert ensure_demo_library(home, workers=1) == home
    return home


def test_archive_is_small_and_synthetic():
    archive = demo_archive()
    assert archive.stat().st_size < 5 * 1024 * 1024
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
    assert len(names) >= 50
    # every UID comes from the generator's documented test root (no real data)
    assert all("/1.2.826.0.1.3680043.8.498." in n for n in names if n.endswith(".dcm"))


def test_demo_library_content(demo_home):
    patients, exams, runs = _snapshot(demo_home)
    assert runs == 1
    assert len(patients) >= 4
    modalities = {m for x in exams for m in x.modalities}
    assert {"CT", "PT", "MG", "DX", "MR"} <= modalities
    years = {x.date[:4] for x in exams if x.date}
    assert len(years) >= 5
    ct = [x for x in exams if "CT" in x.modalities and "PT" not in x.modalities]
    assert any("RDSR" in x.sources for x in ct)  # CT with a dose report
    assert any(x.sources == ["image-header"] for x in ct)  # header-only CT
    assert any("RRDSR" in x.sources for x in exams)  # PET/CT radiopharmaceutical report
    # dose estimates exist for ionising exams, MR is non-ionising
    assert all(x.effective_dose_msv is not None and x.effective_dose_msv > 0
               for x in exams if x.ionising)
    assert all(x.ionising is False for x in exams if x.modalities == ["MR"])
    # a name in another script survives the round trip
    assert any("山田" in p.name for p in patients)
    marker = json.loads((demo_home / MARKER).read_text(encoding="utf-8"))
    assert marker["instances"] >= 50 and marker["rejected"] == 0


def test_second_call_adds_nothing(demo_home):
    before = _snapshot(demo_home)
    assert ensure_demo_library(demo_home) == demo_home
    after = _snapshot(demo_home)
    assert [p.key for p in after[0]] == [p.key for p in before[0]]
    assert len(after[1]) == len(before[1])
    assert after[2] == before[2]  # the marker short-circuits: no import run at all


def test_reimport_without_marker_is_idempotent(demo_home):
    patients, exams, runs = _snapshot(demo_home)
    (demo_home / MARKER).unlink()
    ensure_demo_library(demo_home, workers=1)
    lib = _open(demo_home)
    try:
        latest = lib.import_runs()[0]
        assert latest.instances_imported == 0 and latest.instances_already_present >= 50
        assert lib.patient_count() == len(patients)
        assert len(lib.import_runs()) == runs + 1
    finally:
        lib.close()
    assert (demo_home / MARKER).is_file()


def test_user_library_untouched(demo_home, dosetrail_home):
    # the demo never writes into the user's DOSETRAIL_HOME and restores the variable
    assert os.environ["DOSETRAIL_HOME"] == str(dosetrail_home)
    assert not (dosetrail_home / "dosetrail.db").exists()
    assert (demo_home / "dosetrail.db").exists()


def test_demo_keeps_its_own_store_whatever_dosetrail_store_says(tmp_path, monkeypatch):
    users_store = tmp_path / "users-store"
    monkeypatch.setenv("DOSETRAIL_STORE", str(users_store))
    home = tmp_path / "demo-home"
    ensure_demo_library(home, workers=1)
    assert os.environ["DOSETRAIL_STORE"] == str(users_store)  # restored
    assert not users_store.exists() and any((home / "store").rglob("*.dcm"))
