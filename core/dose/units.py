"""Unit normalisation at the edge (UCUM codes as vendors really write them).

Every dose figure read from DICOM goes through :func:`convert`, which maps a
value in the unit the file names to the unit fixed by the record's field name
(see :mod:`core.dose.records`). Unit codes are compared after
:func:`canonical_unit` folds the spellings real files use (``Gy.m2``,
``Gym2``, ``Gy.m^2``, ``Gy*m²``, ``µGy.m2`` ...) onto one key. Case is kept:
``mBq`` (milli) and ``MBq`` (mega) are different units.

An unknown unit is never guessed: :func:`convert` raises
:class:`UnknownUnitError` and the caller keeps the value as unknown (``None``)
with a warning naming the unit.
"""
from __future__ import annotations

import math

# target units, by quantity
DAP_GYCM2 = "dap_gycm2"
DOSE_MGY = "dose_mgy"
DOSE_GY = "dose_gy"
DLP_MGYCM = "dlp_mgycm"
LENGTH_MM = "length_mm"
TIME_S = "time_s"
ACTIVITY_MBQ = "activity_mbq"
EFFECTIVE_DOSE_MSV = "effective_dose_msv"
KVP_KV = "kvp_kv"
MASS_KG = "mass_kg"

#: Factors to the target unit of each quantity, keyed by canonical unit code.
FACTORS: dict[str, dict[str, float]] = {
    DAP_GYCM2: {
        "Gycm2": 1.0,
        "Gym2": 1e4,
        "dGycm2": 0.1,
        "cGycm2": 0.01,
        "mGycm2": 1e-3,
        "uGycm2": 1e-6,
        "mGym2": 10.0,
        "uGym2": 1e-2,
        "dGym2": 1e3,
        "cGym2": 1e2,
        "Gydm2": 1e2,
        "mGydm2": 0.1,
    },
    DOSE_MGY: {"Gy": 1e3, "dGy": 100.0, "cGy": 10.0, "mGy": 1.0, "uGy": 1e-3},
    DOSE_GY: {"Gy": 1.0, "dGy": 0.1, "cGy": 0.01, "mGy": 1e-3, "uGy": 1e-6},
    DLP_MGYCM: {
        "mGycm": 1.0,
        "Gycm": 1e3,
        "mGymm": 0.1,
        "mGym": 100.0,
        "uGycm": 1e-3,
        "cGycm": 10.0,
        "dGycm": 100.0,
    },
    LENGTH_MM: {"mm": 1.0, "cm": 10.0, "m": 1e3, "um": 1e-3, "dm": 100.0},
    TIME_S: {"s": 1.0, "ms": 1e-3, "us": 1e-6, "min": 60.0, "h": 3600.0},
    ACTIVITY_MBQ: {
        "MBq": 1.0,
        "Bq": 1e-6,
        "kBq": 1e-3,
        "GBq": 1e3,
        "TBq": 1e6,
        "mCi": 37.0,
        "uCi": 0.037,
        "Ci": 37000.0,
    },
    EFFECTIVE_DOSE_MSV: {"mSv": 1.0, "Sv": 1e3, "uSv": 1e-3, "cSv": 10.0},
    KVP_KV: {"kV": 1.0, "kVp": 1.0, "V": 1e-3},
    MASS_KG: {"kg": 1.0, "g": 1e-3, "lb_av": 0.45359237, "lb": 0.45359237},
}

_DROP = str.maketrans({c: None for c in " .*·^[]{}()"})
_REPLACE = {"µ": "u", "μ": "u", "²": "2", "³": "3"}


class UnknownUnitError(ValueError):
    """The unit code is not one this quantity can be converted from."""


def canonical_unit(unit: str | None) -> str:
    """Fold a unit code onto the key used in :data:`FACTORS`.

    Parameters
    ----------
    unit : str or None
        Unit code as written in the file (UCUM CodeValue or free text).

    Returns
    -------
    str
        The code without separators, exponent marks and brackets
        (``"Gy.m^2"`` -> ``"Gym2"``); ``""`` for ``None``. Case is kept.
    """
    if not unit:
        return ""
    text = str(unit).strip()
    for old, new in _REPLACE.items():
        text = text.replace(old, new)
    text = text.translate(_DROP)
    # "mGy cm" style separators are gone; "sec" and "mins" are seen in old files
    return {"sec": "s", "secs": "s", "msec": "ms", "mins": "min"}.get(text, text)


def factor(unit: str | None, quantity: str) -> float:
    """Multiplier from ``unit`` to the target unit of ``quantity``.

    Parameters
    ----------
    unit : str or None
        Unit code as written in the file.
    quantity : str
        One of the keys of :data:`FACTORS` (e.g. :data:`DAP_GYCM2`).

    Returns
    -------
    float
        The factor ``f`` with ``value_in_target = value * f``.

    Raises
    ------
    UnknownUnitError
        When the unit is missing or not known for this quantity.
    KeyError
        When ``quantity`` is not a known quantity (a programming error).
    """
    table = FACTORS[quantity]
    key = canonical_unit(unit)
    if key not in table:
        raise UnknownUnitError(f"unit {unit!r} is not a known unit for {quantity}")
    return table[key]


def convert(value: float, unit: str | None, quantity: str) -> float:
    """Convert ``value`` given in ``unit`` to the target unit of ``quantity``.

    Parameters
    ----------
    value : float
        The number as read.
    unit : str or None
        Its unit code as written in the file.
    quantity : str
        Target quantity (a key of :data:`FACTORS`).

    Returns
    -------
    float
        The value in the target unit.

    Raises
    ------
    UnknownUnitError
        When the unit cannot be converted (the caller keeps ``None``).
    ValueError
        When ``value`` is not a finite number.
    """
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number * factor(unit, quantity)


def convert_between(value: float, from_unit: str, to_unit: str, quantity: str) -> float:
    """Convert between two units of the same quantity (used by tests and tools).

    Parameters
    ----------
    value : float
        The number in ``from_unit``.
    from_unit, to_unit : str
        Unit codes known for ``quantity``.
    quantity : str
        A key of :data:`FACTORS`.

    Returns
    -------
    float
        The value expressed in ``to_unit``.
    """
    return convert(value, from_unit, quantity) / factor(to_unit, quantity)


def dgycm2_to_gycm2(value: float) -> float:
    """Image header (0018,115E) dGy·cm² to Gy·cm² (divide by 10)."""
    return float(value) / 10.0


def dgy_to_mgy(value: float) -> float:
    """Image header (0040,0316)/(0040,0302) dGy to mGy (multiply by 100)."""
    return float(value) * 100.0


def ms_to_s(value: float) -> float:
    """Image header (0018,1150) ExposureTime ms to s."""
    return float(value) / 1000.0


def as_float(value) -> float | None:
    """A header or SR value as a finite float (first of several values), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple)) or (hasattr(value, "__len__") and not isinstance(value, (str, bytes))):
        value = value[0] if len(value) else None
        if value is None:
            return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
