"""The patient list reads the library in a fixed number of queries, with the same figures.

Issue 14: ``patients`` over 10,000 patients. The summaries used to read the
patient IDs and the totals' study columns in chunks of IN_LIST_CHUNK ids (a
query per 500 patients, twice) over ORM Patient objects; they now read one
page query joined to the study columns and one query of patient IDs. Timings
live in bench/patients_scale.py; here: the number of statements and the
figures (against the one aggregation, core.dose.totals.patient_totals).
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import event

from dosetrail.core.config import IN_LIST_CHUNK
from dosetrail.core.dose.totals import ExamDose, patient_totals
from dosetrail.core.export.stream import indented
from dosetrail.core.library.summaries import patient_summaries
from dosetrail.core.storage.db import open_library
from dosetrail.core.storage.models import Patient, PatientIdentifier, Study

N = IN_LIST_CHUNK * 2 + 37  # more than two chunks of the old reading


def _dose(i: int, j: int) -> tuple[float | None, bool | None]:
    if (i + j) % 7 == 0:
        return None, True  # ionising, not estimated: unknown, never zero
    if (i + j) % 11 == 0:
        return None, False  # non-ionising
    return round(0.1 * ((i * 3 + j) % 50), 3), True


@pytest.fixture(scope="module")
def library():
    engine, factory = open_library("sqlite://")
    with factory() as s:
        for i in range(N):
            p = Patient(key=f"K{i:05d}", name=f"DOE^PAT{i:05d}", name_normalised=f"doe^pat{i:05d}",
                        birth_date=None if i % 13 == 0 else f"19{50 + i % 40}-0{1 + i % 9}-1{i % 9}", sex="FM"[i % 2])
            s.add(p)
            s.flush()
            for k in range(1 + i % 2):
                s.add(PatientIdentifier(patient_id=p.id, pid=f"ID{i:05d}-{k}", issuer="" if k else "HOSP",
                                        name=p.name, name_normalised=p.name_normalised))
            for j in range(i % 4):  # 0 to 3 studies
                value, ionising = _dose(i, j)
                s.add(Study(study_instance_uid=f"1.2.{i}.{j}", patient_id=p.id,
                            date=None if j == 2 else f"20{10 + j}-0{1 + j}-15", modalities="CT",
                            ionising=ionising, effective_dose_msv=value,
                            effective_dose_low_msv=None if value is None else value / 2,
                            effective_dose_high_msv=None if value is None else value * 2,
                            test_object="phantom" if (i, j) == (7, 1) else None))
        s.commit()
    return engine, factory


def _statements(engine, run):
    seen = []

    def _count(conn, cursor, statement, *_):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    try:
        result = run()
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    return result, seen


def test_the_list_takes_two_statements_whatever_the_number_of_patients(library):
    engine, factory = library
    with factory() as s:
        rows, seen = _statements(engine, lambda: patient_summaries(s))
    assert len(rows) == N
    assert len(seen) == 2, seen  # the page with its studies' columns, then the patient IDs


def test_the_figures_are_the_one_aggregations(library):
    _, factory = library
    with factory() as s:
        rows = patient_summaries(s)
    assert [r.key for r in rows] == [f"K{i:05d}" for i in range(N)]  # by folded name
    for i, r in enumerate(rows):
        exams = []
        for j in range(i % 4):
            value, ionising = _dose(i, j)
            exams.append(ExamDose(f"1.2.{i}.{j}", None if j == 2 else f"20{10 + j}-0{1 + j}-15", value,
                                  None if value is None else (value / 2, value * 2), ionising, (i, j) != (7, 1)))
        t = patient_totals(exams)
        assert (r.cumulative_effective_dose_msv, r.cumulative_effective_dose_range_msv) == t.summary_figures()
        assert r.exam_count == i % 4
        assert r.exams_without_dose_estimate == t.exams_without_estimate
        assert r.exams_not_counted == t.exams_not_counted
        dated = [e.date for e in exams if e.date]
        assert (r.first_exam_date, r.last_exam_date) == ((min(dated), max(dated)) if dated else (None, None))
        assert r.patient_ids == ([(f"ID{i:05d}-0", "HOSP")] + ([(f"ID{i:05d}-1", "")] if i % 2 else []))
    assert rows[7].exams_not_counted == 1


def test_a_page_and_a_search_read_their_patients_only(library):
    _, factory = library
    with factory() as s:
        page = patient_summaries(s, offset=IN_LIST_CHUNK + 3, limit=IN_LIST_CHUNK + 10)
        everyone = patient_summaries(s)
        found = patient_summaries(s, "pat0077")
        by_id = patient_summaries(s, "ID00077-1")
        some = patient_summaries(s, patient_ids=list(range(1, N + 1, 2)))
    assert page == everyone[IN_LIST_CHUNK + 3:2 * IN_LIST_CHUNK + 13]
    assert found == [r for r in everyone if "PAT0077" in r.name] and len(found) == 10
    assert [r.key for r in by_id] == ["K00077"]
    assert len(some) == (N + 1) // 2 and some == everyone[0::2]


@pytest.mark.parametrize("doc", [
    {"a": [1.5, 2, None, True, "x\u00e9"], "b": [], "c": {"d": [[], [1], {"e": []}], "f": [{"g": 1}]},
     "h": (1, 2), "i": [[1, 2]], "j": [float("nan"), float("inf")], "k": [{}], 3: "int key"},
    {"patients": [{"patient_ids": [{"id": "1", "issuer": None}], "range": [0.5, 2.0], "warnings": []}] * 3},
    [], {}, [[]], "x",
])
def test_the_indenting_encoder_gives_json_dumps_bytes(doc):
    assert indented(doc) == json.dumps(doc, ensure_ascii=False, indent=2)
