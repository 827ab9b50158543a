"""Person-name normalisation for matching, and display names."""
from __future__ import annotations

import pydicom
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydicom.data import get_charset_files

from dosetrail.core.storage.names import all_display_forms, display_name, name_groups, normalise_name


@pytest.mark.parametrize("raw", ["DOE^JANE", "Doe^Jane^^^", "doe^jane", " DOE ^ JANE ", "DOE^JANE\x00",
                                 "DOE^JANE^^MRS", "ＤＯＥ^ＪＡＮＥ"])
def test_same_person_written_differently_matches(raw):
    assert normalise_name(raw) == normalise_name("DOE^JANE") == "doe^jane"


@pytest.mark.parametrize("other", ["DOE^JANE^MARIE", "DOE^JOHN", "DOE", "DOE^JANE^^^JR", "DOE-SMITH^JANE"])
def test_different_names_do_not_match(other):
    assert normalise_name(other) != normalise_name("DOE^JANE")


def test_accents_are_stripped_but_umlaut_is_not_ue():
    latin1 = "MÜLLER^JÜRGEN"  # as decoded from ISO_IR 100
    assert normalise_name(latin1) == normalise_name("MULLER^JURGEN") == "muller^jurgen"
    assert normalise_name(latin1) == normalise_name("Müller^Jürgen")
    assert normalise_name(latin1) != normalise_name("MUELLER^JUERGEN")
    assert normalise_name("ŁUKASIEWICZ^SØREN") == "lukasiewicz^soren"
    assert normalise_name("François^Zoë") == normalise_name("FRANCOIS^ZOE")


def test_iso2022_groups_use_first_non_empty_group_for_matching():
    raw = "Yamada^Tarou=山田^太郎=やまだ^たろう"
    assert normalise_name(raw) == normalise_name("YAMADA^TAROU")
    assert normalise_name("=山田^太郎=やまだ^たろう") == "山田^太郎"
    assert name_groups(raw) == [["Yamada", "Tarou"], ["山田", "太郎"], ["やまだ", "たろう"]]


def test_display_names():
    assert display_name("DOE^JANE^MARIE^DR^JR") == "DOE, DR JANE MARIE, JR"
    assert display_name("Doe^Jane^^^") == "Doe, Jane"
    assert display_name("DOE") == "DOE"
    assert display_name("Yamada^Tarou=山田^太郎=やまだ^たろう") == "Yamada, Tarou"
    assert display_name("=山田^太郎") == "山田 太郎"
    assert all_display_forms("Yamada^Tarou=山田^太郎=やまだ^たろう") == ["Yamada, Tarou", "山田 太郎", "やまだ たろう"]


@pytest.mark.parametrize("raw", ["", None, "^^^^", "==", "^^^DR"])
def test_empty_names(raw):
    assert normalise_name(raw) == ""
    if raw != "^^^DR":
        assert display_name(raw) == ""


def _patient_name(filename: str) -> str:
    (path,) = get_charset_files(filename)
    return str(pydicom.dcmread(path, stop_before_pixels=True).PatientName)


def test_names_decoded_from_real_character_sets():
    # pydicom's bundled character-set files (ISO_IR 100, ISO 2022 IR 87/13/149)
    assert normalise_name(_patient_name("chrGerm.dcm")) == normalise_name("ANEAS^RUDIGER")
    assert normalise_name(_patient_name("chrFren.dcm")) == "buc^jerome"
    japanese = _patient_name("chrH31.dcm")
    assert normalise_name(japanese) == "yamada^tarou"
    assert all_display_forms(japanese)[1:] == ["山田 太郎", "やまだ たろう"]
    # half-width katakana (IR 13) equals full-width, and the voicing mark is kept
    katakana = _patient_name("chrH32.dcm")
    assert normalise_name(katakana) == "ヤマダ^タロウ"
    assert normalise_name(katakana) != normalise_name("ヤマタ^タロウ")
    assert normalise_name(_patient_name("chrI2.dcm")) == "hong^gildong"


def test_marks_that_make_other_letters_are_kept():
    assert normalise_name("Йорк") != normalise_name("Иорк")
    assert normalise_name("Διονύσιος") == normalise_name("ΔΙΟΝΥΣΙΟΣ")


_latin = st.text(alphabet=st.characters(min_codepoint=0x41, max_codepoint=0x24F, categories=("Lu", "Ll")),
                 min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(_latin, min_size=1, max_size=3))
def test_case_padding_and_spaces_never_change_the_key(components):
    raw = "^".join(components)
    key = normalise_name(raw)
    assert key and key == normalise_name(raw.upper()) == normalise_name(raw.lower())
    assert normalise_name(f"  {raw}^^^ ") == key
    assert normalise_name(raw + "=") == key  # an empty ideographic group
    assert normalise_name(key) == normalise_name(normalise_name(key))  # idempotent on its own output
