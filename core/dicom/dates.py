"""DICOM dates and times (DA, TM, DT) and the ISO forms the library stores.

One parser for every layer: the importer, the dose engine, the exports and the
window all read a date through this module. A value that is not a calendar
date or a time of day (``20230231``, ``256000``) is *unknown* (``None``), never
stored as written; :func:`date_warning` says so in one sentence for the study's
warnings.

Accepted forms: DICOM ``YYYYMMDD`` and the ISO ``YYYY-MM-DD`` the library
stores (ACR-NEMA ``YYYY.MM.DD`` too: any separators are ignored); times
``HHMMSS.FFFFFF`` (and ``HH:MM:SS``), possibly shortened to ``HH`` or ``HHMM``;
DT ``YYYYMMDDHHMMSS.FFFFFF&ZZXX`` and ISO 8601 date-times.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache


def _calendar(y: str, m: str, d: str) -> bool:
    try:  # no strptime: the importer runs this per file
        date(int(y), int(m), int(d))
    except ValueError:
        return False
    return True


def iso_date(value) -> str | None:
    """A DICOM DA (or stored ISO) date as ``YYYY-MM-DD``, ``None`` if not a calendar date.

    Parameters
    ----------
    value : str or pydicom DA or None
        ``"20230214"``, ``"2023-02-14"``, ``"2023.02.14"``.

    Returns
    -------
    str or None
        ``"2023-02-14"``; ``None`` when empty, shorter than a full date, or
        impossible (``"20230231"``).
    """
    if not value:
        return None
    return _iso_date_text(value if type(value) is str else str(value))


@lru_cache(maxsize=8192)  # the history and the exports ask it of every study; a library has few distinct dates
def _iso_date_text(text: str) -> str | None:
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < 8:
        return None
    y, m, d = digits[:4], digits[4:6], digits[6:8]
    return f"{y}-{m}-{d}" if _calendar(y, m, d) else None


def iso_time(value) -> str | None:
    """A DICOM TM (or ``HH:MM:SS``) time as ``HH:MM:SS``, ``None`` if not a time of day.

    Parameters
    ----------
    value : str or pydicom TM or None
        ``"103000.123"``, ``"1030"``, ``"10:30:00"``.

    Returns
    -------
    str or None
        ``"10:30:00"`` (missing minutes and seconds read as zero, the fraction
        dropped); ``None`` when empty or impossible (``"256000"``).
    """
    if not value:
        return None
    digits = str(value).split(".")[0].replace(":", "").strip()
    if len(digits) < 2 or not digits.isdigit():
        return None
    digits = (digits + "0000")[:6]
    if not (int(digits[:2]) < 24 and int(digits[2:4]) < 60 and int(digits[4:6]) <= 60):  # 60: a leap second
        return None
    return f"{digits[:2]}:{digits[2:4]}:{digits[4:6]}"


def dt_iso(value) -> str | None:
    """DICOM DT (``YYYYMMDDhhmmss.ffffff&ZZXX``) to ISO 8601.

    Parameters
    ----------
    value : str or pydicom DT or None

    Returns
    -------
    str or None
        ``"2016-05-12T10:11:54"`` (with fraction and offset when present),
        ``None`` when empty or unparsable.
    """
    text = str(value or "").strip()
    if not text:
        return None
    offset = ""
    for sign in "+-":
        pos = text.find(sign, 4)
        if pos > 0:
            text, offset = text[:pos], text[pos:]
            break
    main, _, frac = text.partition(".")
    if not main.isdigit() or len(main) < 8:
        return None
    main = main[:14].ljust(14, "0")
    try:  # validates the calendar date and the time of day (the import runs this per file: no strptime)
        datetime(int(main[:4]), int(main[4:6]), int(main[6:8]), int(main[8:10]), int(main[10:12]),
                 int(main[12:14]))
    except ValueError:
        return None
    iso = f"{main[:4]}-{main[4:6]}-{main[6:8]}T{main[8:10]}:{main[10:12]}:{main[12:14]}"
    if frac.isdigit():
        iso += "." + frac[:6]
    if len(offset) == 5 and offset[1:].isdigit():
        iso += f"{offset[:3]}:{offset[3:]}"
    return iso


def date_time_iso(date_value, time_value=None) -> str | None:
    """DICOM DA (+ optional TM) to ISO 8601 (``None`` when the date is empty or impossible)."""
    d = str(date_value or "").strip().replace("-", "")
    if len(d) != 8 or not d.isdigit():
        return None
    t = str(time_value or "").strip().replace(":", "")
    t_main, _, frac = t.partition(".")
    if not t_main.isdigit():
        t_main, frac = "", ""
    return dt_iso(d + t_main + ("." + frac if frac.isdigit() and t_main else ""))


def to_datetime(text: str | None) -> datetime | None:
    """Parse ISO 8601 or DICOM DT (``YYYYMMDDHHMMSS.ffffff``) text; ``None`` if unreadable.

    Parameters
    ----------
    text : str or None
        A stored ISO date-time or a DICOM DT value.

    Returns
    -------
    datetime.datetime or None
        Naive unless the ISO text carries an offset (DT offsets are dropped).
    """
    if not text:
        return None
    raw = text.strip()
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        pass
    main, _, frac = raw.split("+")[0].split("-")[0].partition(".")
    if not main.isdigit() or len(main) < 8:
        return None
    iso = dt_iso(main)
    if iso is None:
        return None
    base = datetime.fromisoformat(iso)
    if frac.isdigit():
        base = base.replace(microsecond=int((frac + "000000")[:6]))
    return base


def to_date(text: str | None) -> date | None:
    """The calendar date of a stored ISO date (or date-time) or a DICOM DA; ``None`` if none."""
    iso = iso_date(str(text)[:10]) if text else None
    return date.fromisoformat(iso) if iso else None


def year_of(text: str | None) -> int | None:
    """The year of a stored ISO date or a DICOM DA, ``None`` when it is not a date."""
    d = to_date(text)
    return d.year if d else None


@lru_cache(maxsize=4096)  # an export asks it of every resource's dates; a library has few distinct ones
def is_iso_date(text: str | None) -> bool:
    """True for ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` naming a real date (FHIR's date forms)."""
    if not text or len(text) not in (4, 7, 10) or text[4:5] not in ("", "-") or text[7:8] not in ("", "-"):
        return False
    padded = text + "-01-01"[len(text) - 4:] if len(text) < 10 else text
    return iso_date(padded) == padded


def date_warning(what: str, value) -> str | None:
    """The warning for a date that is written but not readable, ``None`` when fine or empty.

    Parameters
    ----------
    what : str
        What the date is, in words (``"study date"``).
    value : str or None
        The value as written in the file.

    Returns
    -------
    str or None
        ``"study date 20230231 is not a calendar date; the date is unknown"``.
    """
    text = str(value or "").strip()
    if not text or iso_date(text) is not None:
        return None
    return f"{what} {text} is not a calendar date; the date is unknown"


def age_string_years(value: str | None) -> float | None:
    """A DICOM AS age (``051Y``, ``006M``, ``003W``, ``010D``) in years, ``None`` if unreadable."""
    text = (value or "").strip()
    if len(text) < 2 or not text[:-1].strip().isdigit():
        return None
    n = int(text[:-1])
    return round({"Y": n, "M": n / 12, "W": n * 7 / 365.25, "D": n / 365.25}.get(text[-1].upper(), n), 2)
