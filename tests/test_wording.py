"""core.wording: one rule for dose numbers, plurals and background equivalents, per locale."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from dosetrail.core import wording
from dosetrail.core.wording import (
    background_equivalent,
    fmt_dose,
    fmt_dose_range,
    plural,
    set_locale,
    unplaced_exams_note,
)

NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def english():
    set_locale("en")
    yield
    set_locale("en")


def test_three_significant_digits_and_grouping():
    assert [fmt_dose(v) for v in (0.288, 0.6, 11.37, 812.4, 1234.4, 999.6, 0.0004, 0.0)] == \
        ["0.288", "0.600", "11.4", "812", "1,234", "1,000", "<0.001", "0"]
    assert fmt_dose(None) == "unknown" and fmt_dose(None, unknown="") == ""
    assert fmt_dose_range((5.69, 17.06), "mSv") == f"5.69–17.1{NBSP}mSv"


def test_numbers_follow_the_locale():
    set_locale("de")
    assert fmt_dose(1234.4) == "1.234" and fmt_dose(0.288) == "0,288"
    set_locale("fr_FR")
    assert fmt_dose(12345.0).replace("\u202f", " ") == "12 345"
    assert set_locale("xx-not-a-locale") == "en" and fmt_dose(1234.4) == "1,234"


def test_plurals():
    assert plural(1, "exam") == "1 exam" and plural(2, "exam") == "2 exams"
    assert plural(1234, "file") == "1,234 files" and plural(0, "exam") == "0 exams"
    assert plural(3, "comparison", shown="3 of 10") == "3 of 10 comparisons"
    exam = SimpleNamespace(description="CT ABDOMEN", modalities=["CT"], date="2023-02-31")
    undated = SimpleNamespace(description=None, modalities=["CR"], date=None)
    assert unplaced_exams_note([exam]).startswith("1 exam without a usable date is listed")
    assert "(CT ABDOMEN, date 2023-02-31)" in unplaced_exams_note([exam])
    assert unplaced_exams_note([exam, undated]).startswith("2 exams without a usable date are")
    assert "CR, no date" in unplaced_exams_note([exam, undated]) and unplaced_exams_note([]) == ""


@pytest.mark.parametrize("msv, expected", [
    (2.3, "about 1 year"),      # 11.5 months rounds to twelve: a year (the window said "a year",
    (2.4, "about 1 year"),      # the PDF "about 12 months")
    (3.6, "about 1.5 years"),
    (11.3, "about 4.7 years"),
    (30.0, "about 12 years"),
    (0.2, "about 1 month"),
    (0.6, "about 3 months"),
    (0.02, "about 3 days"),
    (0.001, "less than a day"),
    (0.0, "none"),
])
def test_background_equivalent_one_rule(msv, expected):
    assert background_equivalent(msv, 2.4).replace(NBSP, " ") == expected


def test_catalogue_template_is_up_to_date():
    # regenerate with: pybabel extract --no-location -o core/wording/locale/dosetrail.pot core/wording
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    source = wording.locale_format.LOCALE_DIR.parent
    extracted = {m[2] if isinstance(m[2], str) else m[2][0] for m in extract_from_dir(str(source))}
    with open(wording.locale_format.LOCALE_DIR / "dosetrail.pot", "rb") as f:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert extracted == template
    assert "{n} exam without an estimate" in template


def test_a_catalogue_translates_words_plurals_and_numbers(tmp_path, monkeypatch):
    # a German catalogue compiled on the fly: the words, the plural forms and the numbers change
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalog = Catalog(locale="de", domain="dosetrail")
    catalog.add(("about {n}\u00a0year", "about {n}\u00a0years"), ("etwa {n}\u00a0Jahr", "etwa {n}\u00a0Jahre"))
    catalog.add(("exam", "exams"), ("Untersuchung", "Untersuchungen"))
    folder = tmp_path / "de" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with open(folder / "dosetrail.mo", "wb") as f:
        write_mo(f, catalog)
    monkeypatch.setattr(wording.locale_format, "LOCALE_DIR", tmp_path)
    assert set_locale("de") == "de"
    assert background_equivalent(3.6, 2.4) == "etwa 1,5\u00a0Jahre"
    assert background_equivalent(2.3, 2.4) == "etwa 1\u00a0Jahr"
    assert plural(1234, "exam") == "1.234 Untersuchungen" and plural(1, "exam") == "1 Untersuchung"
    assert background_equivalent(0.6, 2.4) == "about 3\u00a0months"  # not translated yet: English, never blank
