"""The reader's locale: the message catalogue and locale-aware numbers.

Every sentence goes through :func:`gettext` / :func:`ngettext` (the stdlib
:mod:`gettext` catalogue ``dosetrail`` under ``core/wording/locale``; the
template is ``locale/dosetrail.pot``). The English words are the message ids,
so English needs no catalogue. Numbers are formatted with Babel's CLDR data
(``1,234`` in English, ``1 234`` in French, ``1.234`` in German).
"""
from __future__ import annotations

import gettext as _gettext
from decimal import Decimal
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "dosetrail"
DEFAULT_LOCALE = "en"

_state: dict = {"locale": DEFAULT_LOCALE, "translations": _gettext.NullTranslations()}


def set_locale(name: str | None) -> str:
    """Use ``name`` (``"en"``, ``"de_CH"``...) for words and numbers from now on.

    Parameters
    ----------
    name : str or None
        A CLDR/POSIX locale name; None or an unknown name means English.

    Returns
    -------
    str
        The locale now in use.
    """
    try:
        loc = Locale.parse(name or DEFAULT_LOCALE)
    except (ValueError, UnknownLocaleError):
        loc = Locale.parse(DEFAULT_LOCALE)
    _state["locale"] = str(loc)
    _state["translations"] = _gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[str(loc)],
                                                  fallback=True)
    return _state["locale"]


def current_locale() -> str:
    """The locale words and numbers are formatted for."""
    return _state["locale"]


def gettext(message: str) -> str:
    """``message`` in the reader's language."""
    return _state["translations"].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for the count ``n`` (the language's plural rule)."""
    return _state["translations"].ngettext(singular, plural, n)


def fmt_integer(n: int) -> str:
    """A count with the locale's grouping: ``1,234`` in English."""
    return format_decimal(int(n), locale=_state["locale"])


def fmt_decimal(value: float | Decimal, decimals: int, *, grouping: bool = True) -> str:
    """``value`` with exactly ``decimals`` digits after the locale's decimal sign."""
    pattern = ("#,##0" if grouping else "0") + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=_state["locale"], decimal_quantization=True)
