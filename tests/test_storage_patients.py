"""Patient reconciliation, study-UID conflicts, merge and split."""
from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import func, select

from dosetrail.core.model.import_records import ParsedInstance, PatientInfo
from dosetrail.core.storage.db import open_library
from dosetrail.core.storage.models import Patient, PatientIdentifier, Study
from dosetrail.core.storage.patients import (
    PatientNotFound, find_patient, merge_patients, reconcile_patient, split_patient,
)
from dosetrail.core.storage.writer import LibraryWriter, start_run

_sop = itertools.count(1)


@pytest.fixture()
def factory():
    _, factory = open_library("sqlite://")
    return factory


@pytest.fixture()
def write(factory):
    writer = LibraryWriter(factory, run_id=start_run(factory, ["test"], False))

    def _write(study, pid, name, birth="1970-01-31", sex="F", issuer="", series=None, modality="CT"):
        n = next(_sop)
        item = ParsedInstance(label=f"f{n}", sop_instance_uid=f"9.{n}", sop_class_uid="1.2",
                              study_instance_uid=study, series_instance_uid=series or f"{study}.1",
                              modality=modality, patient=PatientInfo(pid, issuer, name, birth, sex),
                              stored_path=f"x/{n}.dcm")
        result = writer.write_batch([item])
        assert len(result.imported) == 1
        (key,) = result.patients_touched
        return key
    return _write


def _count(factory, model) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def _identifiers(factory, key) -> set[tuple[str, str]]:
    with factory() as s:
        return {(i.pid, i.issuer) for i in s.scalars(
            select(PatientIdentifier).join(Patient).where(Patient.key == key))}


def test_new_patient_key_is_stable(factory, write):
    key = write("1.1", "111", "DOE^JANE")
    assert re.fullmatch(r"P[0-9A-F]{10}", key)
    assert write("1.1", "111", "DOE^JANE") == key  # more files of the study
    assert write("1.2", "111", "DOE^JANE") == key  # another study, same ID
    with factory() as s:
        assert s.scalars(select(Patient.key)).all() == [key]


def test_same_id_and_issuer_is_the_same_patient_whatever_the_name(factory, write):
    a = write("1.1", "111", "DOE^JANE", issuer="HOSP-A")
    b = write("1.2", "111", "SMITH^JANE", birth="1980-02-02", issuer="HOSP-A")  # married, typo in birth date
    assert a == b
    assert _identifiers(factory, a) == {("111", "HOSP-A")}


def test_same_id_other_issuer_different_person_is_not_merged(factory, write):
    a = write("1.1", "111", "DOE^JANE", issuer="HOSP-A")
    b = write("1.2", "111", "ROE^RICHARD", birth="1955-05-05", sex="M", issuer="HOSP-B")
    assert a != b


def test_two_hospitals_same_demographics_are_grouped(factory, write):
    a = write("1.1", "A-123", "DOE^JANE", issuer="HOSP-A")
    b = write("2.1", "B-987", "Doe^Jane^^^", issuer="HOSP-B")
    assert a == b
    assert _identifiers(factory, a) == {("A-123", "HOSP-A"), ("B-987", "HOSP-B")}
    # the new identifier now matches directly, even with other demographics
    assert write("2.2", "B-987", "DOE^J", birth=None, sex=None, issuer="HOSP-B") == a


def test_same_name_other_birth_date_is_not_grouped(factory, write):
    a = write("1.1", "A-1", "DOE^JANE", birth="1970-01-31")
    b = write("2.1", "B-1", "DOE^JANE", birth="1971-01-31")
    assert a != b


@pytest.mark.parametrize("first_sex,second_sex", [(None, None), ("F", None), (None, "F"), ("F", "M"), ("O", "O")])
def test_missing_or_different_sex_is_not_grouped(write, first_sex, second_sex):
    a = write("1.1", "A-1", "DOE^JANE", sex=first_sex)
    b = write("2.1", "B-1", "DOE^JANE", sex=second_sex)
    assert a != b


def test_missing_birth_date_is_not_grouped(write):
    assert write("1.1", "A-1", "DOE^JANE", birth=None) != write("2.1", "B-1", "DOE^JANE", birth=None)


def test_accented_names_from_iso_ir_100_match_ascii(write):
    a = write("1.1", "A-1", "MÜLLER^JÜRGEN", sex="M")
    assert write("2.1", "B-1", "MULLER^JURGEN", sex="M") == a
    assert write("3.1", "C-1", "MUELLER^JUERGEN", sex="M") != a  # ü = ue is left to a manual merge


def test_iso2022_name_matches_its_romanised_form(factory, write):
    a = write("1.1", "J-1", "Yamada^Tarou=山田^太郎=やまだ^たろう", sex="M")
    assert write("2.1", "K-1", "YAMADA^TAROU", sex="M") == a
    with factory() as s:
        assert s.scalar(select(Patient.name).where(Patient.key == a)) == "Yamada^Tarou=山田^太郎=やまだ^たろう"


def test_empty_patient_id_groups_only_by_demographics(factory, write):
    a = write("1.1", "", "DOE^JANE")
    assert write("2.1", "", "doe^jane") == a
    assert write("3.1", "", "ROE^JANE") != a
    assert write("4.1", "", "DOE^JANE", sex=None) != a
    assert _count(factory, PatientIdentifier) == 0  # "" is not an identifier
    # a later file with a real ID and the same demographics joins (and brings its ID)
    assert write("5.1", "555", "DOE^JANE") == a
    assert _identifiers(factory, a) == {("555", "")}


def test_ambiguous_demographics_make_a_new_patient(factory, write):
    a = write("1.1", "A-1", "DOE^JANE", issuer="A")
    write("2.1", "B-1", "DOE^JANE", issuer="B")
    with factory() as s:
        ident = s.scalars(select(PatientIdentifier).where(PatientIdentifier.pid == "B-1")).one()
        b = split_patient(s, a, [ident.id])
        s.commit()
    c = write("3.1", "C-1", "DOE^JANE", issuer="C")  # matches both by demographics: not safe
    assert c not in (a, b)


def test_study_files_with_another_patient_id_stay_in_the_study(factory, write):
    a = write("1.1", "111", "DOE^JANE", issuer="HOSP-A")
    b = write("1.1", "222", "DOE^JANE", issuer="HOSP-B", series="1.1.2")  # same study, other ID
    assert b == a
    write("1.1", "222", "DOE^JANE", issuer="HOSP-B", series="1.1.3")  # warned once only
    with factory() as s:
        study = s.scalars(select(Study)).one()
        assert study.patient.key == a
        assert study.warnings == ["files of this study carry Patient ID 222 (issuer HOSP-B) as well as "
                                  "111 (issuer HOSP-A)"]
    assert _identifiers(factory, a) == {("111", "HOSP-A"), ("222", "HOSP-B")}
    assert _count(factory, Patient) == 1


def test_study_conflict_does_not_steal_another_patients_identifier(factory, write):
    a = write("1.1", "111", "DOE^JANE")
    other = write("2.1", "333", "ROE^RICHARD", birth="1950-01-01", sex="M")
    assert write("1.1", "333", "ROE^RICHARD", birth="1950-01-01", sex="M", series="1.1.9") == a
    assert _identifiers(factory, other) == {("333", "")}
    assert _identifiers(factory, a) == {("111", "")}
    with factory() as s:
        (warning,) = s.scalars(select(Study).where(Study.study_instance_uid == "1.1")).one().warnings
        assert "333" in warning and "111" in warning and "another patient" in warning


def test_another_persons_id_inside_a_study_does_not_pull_in_their_later_studies(factory, write):
    a = write("1.1", "S1", "SPLIT^STUDY", birth="1966-01-01", sex="M", issuer="H1")
    assert write("1.1", "S2", "OTHER^NAME", birth="1977-01-01", sex="F", issuer="H2", series="1.1.2") == a
    assert _identifiers(factory, a) == {("S1", "H1")}  # not given to this patient
    with factory() as s:
        (warning,) = s.scalars(select(Study).where(Study.study_instance_uid == "1.1")).one().warnings
        assert "S2" in warning and "not added" in warning
    later = write("2.1", "S2", "OTHER^NAME", birth="1977-01-01", sex="F", issuer="H2")
    assert later != a  # OTHER^NAME's own study is OTHER^NAME's


def test_same_id_with_other_birth_date_or_sex_is_grouped_with_a_warning(factory, write):
    a = write("1.1", "777", "ALPHA^ONE", birth="1990-01-01", sex="M")
    b = write("2.1", "777", "BETA^TWO", birth="1991-01-01", sex="F")
    assert a == b  # rule 1: the same ID and issuer
    with factory() as s:
        assert s.scalars(select(Study).where(Study.study_instance_uid == "1.1")).one().warnings == []
        (warning,) = s.scalars(select(Study).where(Study.study_instance_uid == "2.1")).one().warnings
    assert "777" in warning and "birth date 1991-01-01 vs 1990-01-01" in warning and "sex F vs M" in warning
    assert "split" in warning


def test_merge_moves_identifiers_and_studies(factory, write):
    a = write("1.1", "A-1", "DOE^JANE", sex="F")
    b = write("2.1", "B-1", "DOE^JANE^MARIE", sex="F")
    assert a != b
    with factory() as s:
        merge_patients(s, a, b)
        s.commit()
    with factory() as s:
        assert s.scalars(select(Patient.key)).all() == [a]
        assert {st.study_instance_uid for st in s.scalars(select(Study)).all()} == {"1.1", "2.1"}
        assert {st.patient.key for st in s.scalars(select(Study))} == {a}
    assert _identifiers(factory, a) == {("A-1", ""), ("B-1", "")}
    assert write("3.1", "B-1", "DOE^JANE^MARIE") == a  # later files follow the merge


def test_merge_errors(factory, write):
    a = write("1.1", "A-1", "DOE^JANE")
    with factory() as s:
        with pytest.raises(ValueError):
            merge_patients(s, a, a)
        with pytest.raises(PatientNotFound):
            merge_patients(s, a, "PNOPE")


def test_split_moves_identifiers_and_their_studies(factory, write):
    a = write("1.1", "A-1", "DOE^JANE", issuer="A")
    write("1.2", "A-1", "DOE^JANE", issuer="A")
    write("2.1", "B-1", "Doe^Jane", issuer="B")  # grouped by demographics ...
    with factory() as s:
        ident = s.scalars(select(PatientIdentifier).where(PatientIdentifier.pid == "B-1")).one()
        new = split_patient(s, a, [ident.id])  # ... but the user says it is someone else
        s.commit()
    assert new != a and re.fullmatch(r"P[0-9A-F]{10}", new)
    assert _identifiers(factory, a) == {("A-1", "A")}
    assert _identifiers(factory, new) == {("B-1", "B")}
    with factory() as s:
        by_study = {st.study_instance_uid: st.patient.key for st in s.scalars(select(Study))}
        assert by_study == {"1.1": a, "1.2": a, "2.1": new}
        assert s.scalar(select(Patient.name).where(Patient.key == new)) == "Doe^Jane"
    assert write("2.2", "B-1", "Doe^Jane", issuer="B") == new


def test_split_errors(factory, write):
    a = write("1.1", "A-1", "DOE^JANE")
    b = write("2.1", "B-1", "ROE^JANE")
    with factory() as s:
        own = s.scalars(select(PatientIdentifier.id).where(PatientIdentifier.pid == "A-1")).one()
        foreign = s.scalars(select(PatientIdentifier.id).where(PatientIdentifier.pid == "B-1")).one()
        with pytest.raises(ValueError):
            split_patient(s, a, [])
        with pytest.raises(ValueError):
            split_patient(s, a, [foreign])
        with pytest.raises(ValueError):
            split_patient(s, a, [own])  # nothing would remain
        with pytest.raises(PatientNotFound):
            split_patient(s, "PNOPE", [own])
    assert b != a


def test_reconcile_directly_and_find_patient(factory):
    with factory() as s:
        first = reconcile_patient(s, PatientInfo("42", "", "DOE^JANE", "1970-01-31", "f"))
        assert first.created and first.rule == "new" and first.patient.sex == "F"
        again = reconcile_patient(s, PatientInfo(" 42 ", "", "X", None, None))
        assert (again.patient.id, again.rule, again.created) == (first.patient.id, "identifier", False)
        other = reconcile_patient(s, PatientInfo("43", "", "doe^jane", "1970-01-31", "F"))
        assert (other.patient.id, other.rule) == (first.patient.id, "demographics")
        s.commit()
        assert find_patient(s, first.patient.key).id == first.patient.id
        assert find_patient(s, "43").id == first.patient.id
        assert find_patient(s, "nobody") is None


def test_study_without_patient_id_takes_the_id_of_later_files(factory, write):
    a = write("1.1", "", "DOE^JANE")
    assert write("1.1", "111", "DOE^JANE", series="1.1.2") == a
    with factory() as s:
        study = s.scalars(select(Study)).one()
        assert study.warnings == [] and study.identifier_id is not None
    assert _identifiers(factory, a) == {("111", "")}
    other = write("2.1", "222", "ROE^RICHARD", birth="1950-01-01", sex="M")
    write("3.1", "", "POE^EDGAR", birth=None)
    assert write("3.1", "222", "ROE^RICHARD", series="3.1.2") not in (a, other)
    with factory() as s:
        (warning,) = s.scalars(select(Study).where(Study.study_instance_uid == "3.1")).one().warnings
        assert warning.startswith("files of this study carry Patient ID 222") and "another patient" in warning
    assert _identifiers(factory, other) == {("222", "")}


def test_conflicting_ids_inside_one_batch_of_a_new_study(factory):
    w = LibraryWriter(factory, run_id=start_run(factory, ["x"], False))
    items = [ParsedInstance(label=f"f{i}", sop_instance_uid=f"8.{i}", sop_class_uid="1.2", study_instance_uid="8",
                            series_instance_uid=f"8.{i % 2}", modality="CT",
                            patient=PatientInfo(pid, "H", "DOE^JANE", "1970-01-31", "F"), stored_path=f"x/{i}")
             for i, pid in enumerate(["111", "222", "111", "222"])]
    res = w.write_batch(items)
    assert len(res.imported) == 4 and len(res.patients_touched) == 1
    (key,) = res.patients_touched
    assert _identifiers(factory, key) == {("111", "H"), ("222", "H")}
    with factory() as s:
        study = s.scalars(select(Study)).one()
        assert study.warnings == ["files of this study carry Patient ID 222 (issuer H) as well as 111 (issuer H)"]
        assert study.identifier_id == s.scalars(select(PatientIdentifier.id).where(PatientIdentifier.pid == "111")).one()


def test_new_patients_inside_one_batch_find_each_other(factory):
    # the batch reconciles its new studies together: the rules still apply in file order
    w = LibraryWriter(factory, run_id=start_run(factory, ["x"], False))
    infos = [PatientInfo("A-1", "A", "DOE^JANE", "1970-01-31", "F"),   # new
             PatientInfo("B-1", "B", "Doe^Jane", "1970-01-31", "F"),   # demographics -> the first
             PatientInfo("A-1", "A", "SMITH^JANE", None, None),        # identifier -> the first
             PatientInfo("C-1", "C", "DOE^JANE", "1970-01-31", None),  # no sex -> new
             PatientInfo("", "", "ROE^R", None, None),                 # no ID, no demographics -> new
             PatientInfo("", "", "ROE^R", None, None)]                 # ... and again new
    items = [ParsedInstance(label=str(i), sop_instance_uid=f"7.{i}", sop_class_uid="1.2", study_instance_uid=f"7{i}",
                            series_instance_uid=f"7{i}.1", modality="DX", patient=info, stored_path=str(i))
             for i, info in enumerate(infos)]
    w.write_batch(items)
    with factory() as s:
        owner = {st.study_instance_uid: st.patient.key for st in s.scalars(select(Study))}
    assert owner["70"] == owner["71"] == owner["72"]
    assert len({owner["70"], owner["73"], owner["74"], owner["75"]}) == 4
    assert _identifiers(factory, owner["70"]) == {("A-1", "A"), ("B-1", "B")}
