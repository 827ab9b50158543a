"""The vocabulary as the library and the window see it: impossible dates, name search.

Each test here failed before core/dicom/ became the one home of these rules
(issue 12): an exam dated 20230231 was stored as "2023-02-31" and could not be
placed; ``Library.patients("ЙОВАН")`` found nothing although the window's
filter found the patient.
"""
from __future__ import annotations

import pytest

from dosetrail.core.api import Library

from synth import PatientSpec, make_ct_rdsr, write_study


@pytest.fixture
def lib():
    library = Library()
    yield library
    library.close()


def _import(lib, tmp_path, datasets):
    write_study(datasets, tmp_path / "src")
    lib.run_import([str(tmp_path / "src")])


def test_impossible_study_date_is_unknown_warned_and_still_counted(lib, tmp_path):
    pat = PatientSpec(patient_id="FEB31", name="FEBRUARY^THIRTYFIRST", birth_date="19700101", sex="F")
    odd = make_ct_rdsr(pat, content_datetime="20230231103000")
    ok = make_ct_rdsr(pat, content_datetime="20220110103000")
    _import(lib, tmp_path, [odd, ok])
    history = lib.history("FEB31")
    by_uid = {e.study_instance_uid: e for e in history.exams}
    bad, good = by_uid[str(odd.StudyInstanceUID)], by_uid[str(ok.StudyInstanceUID)]
    assert bad.date is None and good.date == "2022-01-10"
    assert any("20230231" in w and "not a calendar date" in w for w in bad.warnings), bad.warnings
    assert history.exams[-1] is bad  # listed last, as an exam without a date
    assert bad.effective_dose_msv is not None
    (summary,) = lib.patients("FEB31")
    assert summary.cumulative_effective_dose_msv == pytest.approx(
        bad.effective_dose_msv + good.effective_dose_msv, abs=1e-6)  # it still counts
    assert summary.first_exam_date == summary.last_exam_date == "2022-01-10"


def test_timeline_lists_the_impossible_date_exam_as_undated(lib, tmp_path, qtbot):
    from dosetrail.gui.widgets.timeline import TimelineWidget

    pat = PatientSpec(patient_id="FEB31", name="FEBRUARY^THIRTYFIRST", birth_date="19700101", sex="F")
    _import(lib, tmp_path, [make_ct_rdsr(pat, content_datetime="20230231103000"),
                            make_ct_rdsr(pat, content_datetime="20220110103000")])
    w = TimelineWidget()
    qtbot.addWidget(w)
    w.set_history(lib.history("FEB31"))
    assert len(w.marker_infos()) == 1  # the dated exam is placed
    assert "1 exam without a usable date is listed in the table but not on the timeline" in w.note.text()


@pytest.mark.parametrize("query", ["ЙОВАН", "йовановић", "jovanovic", "MILICA", "MULLER", "müller", "yamada", "山田"])
def test_library_search_and_window_filter_agree_on_names(lib, tmp_path, qapp, query):
    from dosetrail.gui.models.patients import PatientFilterProxy, PatientRole, PatientTableModel

    people = [PatientSpec(patient_id="P1", name="ЙОВАНОВИЋ^МИЛИЦА", birth_date="19800101", sex="F",
                          specific_character_set="ISO_IR 144"),
              PatientSpec(patient_id="P2", name="JOVANOVIĆ^MILICA", birth_date="19800102", sex="F",
                          specific_character_set="ISO_IR 192"),
              PatientSpec(patient_id="P3", name="MÜLLER^JÜRGEN", birth_date="19600101", sex="M",
                          specific_character_set="ISO_IR 100"),
              PatientSpec(patient_id="P4", name="Yamada^Tarou=山田^太郎", birth_date="19500101", sex="M",
                          specific_character_set="ISO_IR 192")]
    _import(lib, tmp_path, [make_ct_rdsr(p) for p in people])
    found = {p.patient_ids[0][0] for p in lib.patients(query)}
    model = PatientTableModel()
    model.set_patients(lib.patients())
    proxy = PatientFilterProxy()
    proxy.setSourceModel(model)
    proxy.set_search(query)
    shown = {proxy.index(r, 0).data(PatientRole).patient_ids[0][0] for r in range(proxy.rowCount())}
    assert found == shown and found, (query, found, shown)


def test_library_finds_a_cyrillic_name_by_its_start(lib, tmp_path):
    pat = PatientSpec(patient_id="C1", name="ЙОВАНОВИЋ^МИЛИЦА", birth_date="19800101", sex="F",
                      specific_character_set="ISO_IR 192")
    _import(lib, tmp_path, [make_ct_rdsr(pat)])
    assert [p.patient_ids[0][0] for p in lib.patients("ЙОВАН")] == ["C1"]
    assert lib.patient_count("ЙОВАН") == 1


@pytest.mark.parametrize("content_date, content_time, expected", [
    ("20230231", "103000", None), ("20230231", "", None), ("20230228", "103000.5", "2023-02-28T10:30:00"),
    ("20230228", "", "2023-02-28"), ("", "103000", None),
])
def test_instance_content_datetime_is_unknown_when_the_date_is(content_date, content_time, expected):
    from dosetrail.core.importer.parse import describe

    ds = make_ct_rdsr(PatientSpec(patient_id="X"), content_datetime="20230228103000")
    ds.ContentDate, ds.ContentTime = content_date, content_time
    ds.AcquisitionDate = ds.AcquisitionTime = ""
    assert describe(ds, "x").content_datetime == expected


def test_migration_0004_makes_stored_impossible_dates_unknown(tmp_path):
    from sqlalchemy import select, text

    from dosetrail.core.storage import db
    from dosetrail.core.storage.models import Patient, Study

    engine = db.open_engine(f"sqlite:///{tmp_path / 'lib.db'}")
    db.upgrade(engine, "0003")
    with engine.begin() as conn:  # what an older version stored for a file dated 20230231
        conn.execute(text("INSERT INTO patient (id, key, name, name_normalised, birth_date, created_at) VALUES "
                          "(1, 'k1', 'A^B', 'a^b', '1970-02-30', '2026-01-01 10:00:00'), "
                          "(2, 'k2', 'C^D', 'c^d', '1970-02-28', '2026-01-01 10:00:00')"))
        conn.execute(text("INSERT INTO study (id, study_instance_uid, patient_id, date, modalities, warnings, "
                          "created_at) VALUES (1, '1.1', 1, '2023-02-31', 'CT', '[\"kept\"]', '2026-01-01 10:00:00'), "
                          "(2, '1.2', 2, '2022-01-10', 'CT', '[]', '2026-01-01 10:00:00')"))
    db.upgrade(engine)
    assert db.current_revision(engine) == db.SCHEMA_HEAD
    with engine.connect() as conn:
        studies = {uid: (d, w) for uid, d, w in conn.execute(select(Study.study_instance_uid, Study.date, Study.warnings))}
        births = dict(conn.execute(select(Patient.key, Patient.birth_date)).all())
    assert studies["1.1"] == (None, ["kept", "study date 20230231 is not a calendar date; the date is unknown"])
    assert studies["1.2"] == ("2022-01-10", [])
    assert births == {"k1": None, "k2": "1970-02-28"}
