"""core.dicom: the one home of DICOM dates, person-name folding, modality sets and code schemes."""
from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from dosetrail.core.dicom import codes, modalities
from dosetrail.core.dicom.dates import (age_string_years, date_time_iso, date_warning, dt_iso, is_iso_date, iso_date,
                                        iso_time, to_date, to_datetime, year_of)
from dosetrail.core.dicom.names import fold, normalise_name, search_fold

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("raw, iso", [
    ("20230214", "2023-02-14"), ("2023-02-14", "2023-02-14"), ("2023.02.14", "2023-02-14"),
    (" 20240229 ", "2024-02-29"), ("20230231", None), ("20230229", None), ("20231301", None),
    ("00000000", None), ("2023", None), ("", None), (None, None),
])
def test_one_date_parser(raw, iso):
    assert iso_date(raw) == iso
    assert (to_date(raw) == date.fromisoformat(iso)) if iso else to_date(raw) is None


@pytest.mark.parametrize("raw, iso", [
    ("103000.123", "10:30:00"), ("1030", "10:30:00"), ("10", "10:00:00"), ("10:30:15", "10:30:15"),
    ("235960", "23:59:60"), ("256000", None), ("106100", None), ("x", None), ("", None),
])
def test_one_time_parser(raw, iso):
    assert iso_time(raw) == iso


def test_datetimes():
    assert dt_iso("20160512101154.5+0100") == "2016-05-12T10:11:54.5+01:00"
    assert dt_iso("20230231101154") is None and dt_iso("20230228251154") is None
    assert date_time_iso("20230228", "1011") == "2023-02-28T10:11:00"
    assert date_time_iso("20230231", "1011") is None
    assert to_datetime("20210304103000.25") == datetime(2021, 3, 4, 10, 30, 0, 250000)
    assert to_datetime("2021-03-04T10:30:00") == datetime(2021, 3, 4, 10, 30)
    assert to_datetime("20230231103000") is None and to_datetime("") is None
    assert year_of("2022-01-10") == 2022 and year_of("2022-02-31") is None
    assert [is_iso_date(t) for t in ("2023-02-28", "2023-02", "2023", "2023-02-31", "20230228", "")] == \
        [True, True, True, False, False, False]
    assert age_string_years("051Y") == 51 and age_string_years("006M") == 0.5 and age_string_years("Y") is None


def test_date_warning_says_what_and_the_value():
    assert date_warning("study date", "20230231") == "study date 20230231 is not a calendar date; the date is unknown"
    assert date_warning("study date", "20230228") is None and date_warning("study date", "") is None


@pytest.mark.parametrize("text, folded", [
    ("MÜLLER^JÜRGEN", "muller jurgen"), ("Doe^Jane^^^", "doe jane"), ("ЙОВАНОВИЋ^МИЛИЦА", "йовановић милица"),
    ("Yamada^Tarou=山田^太郎", "yamada tarou 山田 太郎"), ("ＤＯＥ", "doe"), ("Łukasz", "lukasz"), ("STRAßE", "strasse"),
])
def test_search_fold(text, folded):
    assert search_fold(text) == folded


def test_search_fold_reads_stored_keys_as_the_search_does():
    # the stored key (name_normalised) and a search agree character by character: Й stays Й, Ć becomes C
    for name in ("ЙОВАНОВИЋ^МИЛИЦА", "JOVANOVIĆ^MILICA", "MÜLLER^JÜRGEN", "Ｙａｍａｄａ^Tarou"):
        assert normalise_name(name).replace("^", " ") == search_fold(name)
    assert fold("Й") != fold("И") and fold("ダ") != fold("タ") and fold("É") == fold("e")


def test_modality_meanings():
    assert modalities.NUCLEAR <= modalities.IONISING and modalities.CT <= modalities.IONISING
    assert not modalities.IONISING & modalities.NON_IONISING
    assert modalities.NON_IMAGE_OBJECTS < modalities.SUPPORTING_OBJECTS <= modalities.DOCUMENTS
    assert modalities.normalised(["ct ", "", None, "SR"]) == {"CT", "SR"}
    assert {"DX", "CR", "RF", "XA", "MG"} <= modalities.PROJECTION <= modalities.IONISING | {"DF", "DS"}


def test_code_schemes_and_generations():
    assert [codes.normalise_scheme(s) for s in ("snm3", "99SDM", " SRT ", "SNOMED", "SCT", "DCM", None)] == \
        ["SRT", "SRT", "SRT", "SRT", "SCT", "DCM", ""]
    views = codes.MAMMOGRAPHY_VIEWS
    assert views[("R-10242", "SRT")] == views[("399162004", "SCT")] == "CC"


def _definitions(pattern: str) -> list[str]:
    rx = re.compile(pattern, re.MULTILINE)
    return sorted(str(p.relative_to(ROOT)) for folder in ("core", "gui") for p in (ROOT / folder).rglob("*.py")
                  if rx.search(p.read_text(encoding="utf-8")))


@pytest.mark.parametrize("pattern, home", [
    (r"strptime\(|\.fromisoformat\(", "core/dicom/dates.py"),  # dates are parsed in one place
    (r"^def (iso_date|iso_time|dt_iso|date_time_iso|parse_datetime)\(", "core/dicom/dates.py"),
    (r"^def (_?fold|search_fold|normalise_name)\(", "core/dicom/names.py"),  # person names fold in one place
    (r"^def (normalise_scheme|norm_scheme)\(", "core/dicom/codes.py"),
    (r'\{"NM", "PT"\}|\("SR", "PR", "KO"|\{"SR", "KO", "PR"', "core/dicom/modalities.py"),
    (r"^\w*IN_?\w*CHUNK\w* = 500|\b500\]", "core/config.py"),
])
def test_each_rule_has_one_home(pattern, home):
    found = [p for p in _definitions(pattern) if p != "core/dose/test_objects.py"]  # folds exam words, not names
    assert found == [home], found


def test_fold_regex_path_equals_the_character_loop():
    import random
    import unicodedata

    from dosetrail.core.dicom import names

    def by_character(text):  # the storage fold as it was written before the regex path
        out, strip = [], False
        for ch in unicodedata.normalize("NFKD", text.translate(names._EXTRA_FOLDS)):
            if unicodedata.combining(ch):
                if not strip:
                    out.append(ch)
                continue
            strip = names._strips_marks(ch)
            out.append(ch)
        return unicodedata.normalize("NFC", "".join(out)).casefold()

    rng = random.Random(12)
    pool = [chr(c) for c in range(0x20, 0x3100) if unicodedata.category(chr(c))[0] in "LMNZP"] + list("ЙЈŁøÆ山田ダ")
    samples = ["".join(rng.choice(pool) for _ in range(rng.randint(1, 12))) for _ in range(5000)]
    assert [names.fold(t) for t in samples] == [by_character(t) for t in samples]
