"""Dose numbers, ranges, counts and background-radiation equivalents, one rule each.

Dose figures: three significant digits with trailing zeros kept (``0.600``,
``0.288``, ``11.4``, ``812``), whole numbers from 1000 up, grouped as the
locale groups them (``1,234`` in English); ``<0.001`` below a thousandth;
zero is ``0``. The window, the PDF and the CLI all format through here.
"""
from __future__ import annotations

from decimal import Decimal

from .locale_format import fmt_decimal, fmt_integer, gettext, ngettext

#: Between a number and its unit (``"9.6\u00a0mGy"``): a line never breaks there.
NBSP = "\u00a0"


def fmt_dose(value: float | None, unknown: str | None = None) -> str:
    """A dose figure (any unit) by the one rule of this module.

    Parameters
    ----------
    value : float or None
        The figure; None means the data does not give it.
    unknown : str, optional
        What None reads as (default: "unknown" in the reader's language).

    Returns
    -------
    str
        ``"812"``, ``"11.4"``, ``"0.600"``, ``"0.288"``, ``"1,234"``, ``"0"``, ``"<0.001"``.
    """
    if value is None:
        return gettext("unknown") if unknown is None else unknown
    if value == 0:
        return "0"
    if abs(value) < 0.001:
        return "<" + fmt_decimal(Decimal("0.001"), 3)
    text = f"{value:#.3g}"  # "#": keep trailing zeros (0.6 -> "0.600")
    if "e" in text or abs(value) >= 1000:  # 999.6 rounds to "1.00e+03"
        return fmt_integer(round(value))
    digits = Decimal(text.rstrip("."))
    decimals = max(0, -digits.as_tuple().exponent)
    return fmt_decimal(digits, decimals)


def fmt_dose_unit(value: float | None, unit: str = "mSv", unknown: str | None = None) -> str:
    """``"2.30\u00a0mSv"``: a dose figure joined to its unit; unknown has no unit."""
    if value is None:
        return gettext("unknown") if unknown is None else unknown
    return f"{fmt_dose(value)}{NBSP}{unit}"


def fmt_dose_range(rng: tuple[float, float] | None, unit: str = "") -> str:
    """An uncertainty range as ``"5.69–17.1"`` (``"5.69–17.1\u00a0mSv"`` with a unit); ``""`` if unknown."""
    if not rng:
        return ""
    text = f"{fmt_dose(rng[0])}–{fmt_dose(rng[1])}"
    return f"{text}{NBSP}{unit}" if unit else text


def fmt_setting(value: float) -> str:
    """A value the user set or a literature constant as written (``2.4``, not ``2.40``)."""
    text = f"{value:g}"
    decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 0
    return fmt_decimal(Decimal(text), decimals) if "e" not in text else text


def fmt_factor(value: float) -> str:
    """A conversion factor or coefficient as published (``0.014`` mSv/(mGy·cm), not ``0.0140``)."""
    return fmt_setting(value)


def plural(n: int, singular: str, plural_form: str | None = None, *, shown: str | None = None) -> str:
    """A count with its noun: ``"1 exam"``, ``"2 exams"``, ``"1,234 files"``.

    Parameters
    ----------
    n : int
        The count (chooses the form by the language's plural rule).
    singular, plural_form : str
        The noun's forms (``plural_form`` defaults to ``singular + "s"``).
    shown : str, optional
        Written instead of the number (e.g. ``"3 of 10"``).
    """
    word = ngettext(singular, plural_form or f"{singular}s", n)
    return f"{shown if shown is not None else fmt_integer(n)} {word}"


def _years_text(years: float) -> str:
    value = round(years, 1) if years < 9.95 else float(round(years))
    shown = fmt_decimal(Decimal(str(value)), 0 if value == int(value) else 1)
    return ngettext("about {n}\u00a0year", "about {n}\u00a0years", 1 if value == 1 else 2).format(n=shown)


def background_equivalent(msv: float, per_year: float) -> str:
    """How long natural background radiation takes to give ``msv``, the one rule.

    Years once the time rounds to twelve months or more (one decimal below ten
    years), else whole months, else whole days.

    Parameters
    ----------
    msv : float
        Effective dose in mSv.
    per_year : float
        Natural background in mSv per year (2.4 world average).

    Returns
    -------
    str
        ``"about 1 year"`` (2.3 mSv at 2.4), ``"about 4.7 years"``, ``"about 12 years"``,
        ``"about 3 months"``, ``"about 9 days"``, ``"less than a day"``; ``"none"`` for no
        dose; a non-breaking space before the unit.
    """
    if per_year <= 0:
        return gettext("an unknown time")
    if msv <= 0:
        return gettext("none")
    years = msv / per_year
    months = round(years * 12)
    if months >= 12:
        return _years_text(years)
    if months >= 1:
        return ngettext("about {n}\u00a0month", "about {n}\u00a0months", months).format(n=fmt_integer(months))
    days = round(years * 365.25)
    if days >= 1:
        return ngettext("about {n}\u00a0day", "about {n}\u00a0days", days).format(n=fmt_integer(days))
    return gettext("less than a day")


def background_years_label(n: int, msv: float) -> str:
    """A reference line's label: ``"2 years of natural background (4.80 mSv)"``."""
    return ngettext("{n} year of natural background ({dose} mSv)", "{n} years of natural background ({dose} mSv)",
                    n).format(n=fmt_integer(n), dose=fmt_dose(msv))
