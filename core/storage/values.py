"""Making values storable in every backend: column lengths, 32-bit integers, text.

SQLite stores anything; PostgreSQL refuses a string longer than its column,
an integer beyond 32 bits in an INTEGER column, a NUL character or invalid
UTF-8. The writer cuts such values at the edge instead of failing a batch.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String

from .models import Instance, Series, Study

INT32_MAX = 2**31 - 1


def _limits(model) -> tuple[dict[str, int], set[str]]:
    lengths = {c.name: c.type.length for c in model.__table__.columns
               if isinstance(c.type, String) and c.type.length}
    ints = {c.name for c in model.__table__.columns if isinstance(c.type, Integer)}
    return lengths, ints


LIMITS = {m: _limits(m) for m in (Instance, Series, Study)}


def storable_text(value: Any, length: int | None = None) -> Any:
    """Return ``value`` without NUL characters, as valid UTF-8, cut to ``length``.

    Parameters
    ----------
    value : Any
        Non-strings are returned unchanged.
    length : int, optional
        The column's length.
    """
    if not isinstance(value, str):
        return value
    if not value.isascii():
        value = value.encode("utf-8", "replace").decode("utf-8")
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value[:length] if length else value


def fit_row(model, row: dict[str, Any]) -> dict[str, Any]:
    """Fit a row's values to ``model``'s columns (in place, and returned).

    Strings are cut to their column's length; an integer a 32-bit column
    cannot hold becomes None (unknown) rather than an error or a wrapped value.

    Parameters
    ----------
    model : type
        ``Instance``, ``Series`` or ``Study``.
    row : dict
        Column name -> value.
    """
    lengths, ints = LIMITS[model]
    for name, value in row.items():
        if isinstance(value, str):
            row[name] = storable_text(value, lengths.get(name))
        elif name in ints and isinstance(value, int) and not isinstance(value, bool) \
                and not -INT32_MAX <= value <= INT32_MAX:
            row[name] = None
    return row
