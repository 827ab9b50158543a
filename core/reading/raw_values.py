"""Fast reads of header values for the per-file import path.

pydicom converts a raw element on first access (about 40 µs each); the
import reads some 40 values per file, which would cost more than parsing the
file. These helpers decode the raw bytes directly (about 3 µs) for plain
ASCII values and fall back to pydicom's conversion for anything else (other
character sets, odd VRs), so results are the same as ``ds.get(keyword)``.
"""
from __future__ import annotations

import struct
from typing import Any, Callable

from pydicom.datadict import dictionary_VR
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag

_BINARY = {"US": "H", "SS": "h", "UL": "I", "SL": "i", "FL": "f", "FD": "d", "UV": "Q", "SV": "q"}
_TEXT_NUMBER = {"DS", "IS"}
_NOT_TEXT = frozenset(_BINARY) | {"SQ", "OB", "OW", "UN", "OF", "OD", "OL", "OV"}


# One BaseTag object per tag number, shared by the import's header reader (its data
# sets are keyed by these) and the lookups below: a dict lookup that finds the very
# same key object skips BaseTag.__eq__, a Python-level call, on every hit.
_INTERNED: dict[int, BaseTag] = {}
_INTERNED_LIMIT = 65536


def interned(tag: int) -> BaseTag:
    """The shared :class:`~pydicom.tag.BaseTag` for ``tag``."""
    try:
        return _INTERNED[tag]
    except KeyError:
        obj = BaseTag(tag)
        if len(_INTERNED) < _INTERNED_LIMIT:
            _INTERNED[tag] = obj
        return obj


def present(ds: Dataset, tag: int) -> bool:
    """Whether ``ds`` has an element ``tag`` (cheaper than ``tag in ds``)."""
    return _raw(ds, tag) is not None


def sequence(ds: Dataset, tag: int):
    """A sequence's items (``ds[tag].value``), or None when absent (one dict lookup)."""
    return ds[tag].value if _raw(ds, tag) is not None else None


def _raw(ds: Dataset, tag: int):
    # Dataset._dict is keyed by BaseTag (an int subclass): a plain int finds it without
    # the Tag() construction and comparisons of Dataset.get_item
    store = getattr(ds, "_dict", None)
    if store is not None:
        return store.get(_INTERNED.get(tag, tag))
    try:
        return ds.get_item(tag)
    except (KeyError, ValueError):
        return None


def _vr(raw, tag: int) -> str | None:
    vr = getattr(raw, "VR", None)
    if vr:
        return vr
    try:
        return dictionary_VR(tag)
    except KeyError:
        return None


def _converted(ds: Dataset, tag: int) -> Any:
    try:
        elem = ds[tag]
    except (KeyError, ValueError, TypeError):
        return None
    except Exception:  # noqa: BLE001 - undecodable value: treat as absent
        return None
    return elem.value


def text(ds: Dataset, tag: int) -> str | None:
    """A string value (multi-values joined with a backslash), stripped; None when empty."""
    raw = _raw(ds, tag)
    if raw is None:
        return None
    # ISO 2022 encodings (Japanese, Korean) are 7-bit: an ESC byte means the
    # bytes are not plain ASCII text and must go through the character set
    is_raw = type(raw) is RawDataElement or getattr(raw, "is_raw", False)  # the type test: the common case
    if is_raw:
        data = raw.value
        if isinstance(data, bytes) and data.isascii() and b"\x1b" not in data:
            vr = raw.VR or _vr(raw, tag)
            if vr not in _NOT_TEXT:
                value = data.decode("ascii").replace("\x00", "").strip()
                return value or None
    value = raw.value if not is_raw else _converted(ds, tag)
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        value = "\\".join(str(v) for v in value)
    value = str(value).replace("\x00", "").strip()
    return value or None


def numbers(ds: Dataset, tag: int) -> list[float] | None:
    """All numeric values of an element (DS/IS text or binary VRs)."""
    raw = _raw(ds, tag)
    if raw is None:
        return None
    if getattr(raw, "is_raw", False) and isinstance(raw.value, bytes):
        vr = _vr(raw, tag)
        data = raw.value
        if vr in _TEXT_NUMBER and data.isascii():
            out = []
            for part in data.decode("ascii").replace("\x00", "").split("\\"):
                part = part.strip()
                if part:
                    try:
                        out.append(float(part))
                    except ValueError:
                        return None
            return out or None
        if vr in _BINARY:
            fmt = _BINARY[vr]
            size = struct.calcsize(fmt)
            if not data or len(data) % size:
                return None
            order = "<" if raw.is_little_endian else ">"
            return [float(v) for v in struct.unpack(f"{order}{len(data) // size}{fmt}", data)] or None
    value = raw.value if not getattr(raw, "is_raw", False) else _converted(ds, tag)
    if value is None or value == "" or value == b"":
        return None
    if not isinstance(value, (list, tuple)) and type(value).__name__ != "MultiValue":
        value = [value]
    try:
        return [float(v) for v in value] or None
    except (TypeError, ValueError):
        return None


def number(ds: Dataset, tag: int) -> float | None:
    """The first numeric value, or None."""
    values = numbers(ds, tag)
    return values[0] if values else None


def integer(ds: Dataset, tag: int) -> int | None:
    value = number(ds, tag)
    try:
        return int(value) if value is not None else None
    except (OverflowError, ValueError):
        return None


# Values that are costly to convert (sequences, person names in other character sets)
# repeat from file to file of a series: convert each distinct raw value once per process.
_MEMO: dict[tuple, Any] = {}
_MEMO_LIMIT = 4096
_CHARSET = 0x00080005


def memo(ds: Dataset, tag: int, compute: Callable[[Any], Any]) -> Any:
    """``compute(value)`` of an element, cached on its raw bytes (and character set).

    ``compute`` receives the converted value (``None`` when absent) and must
    return something immutable; it must be the same function object on every
    call (it is part of the cache key).
    """
    raw = _raw(ds, tag)
    if raw is None:
        return compute(None)
    if not (getattr(raw, "is_raw", False) and isinstance(raw.value, bytes)):
        return compute(raw.value)
    charset = _raw(ds, _CHARSET)
    if charset is not None:  # raw bytes, or the value dcmread converted while reading
        charset = charset.value if getattr(charset, "is_raw", False) else str(charset.value)
    key = (compute, tag, raw.value, raw.is_little_endian, raw.is_implicit_VR, charset)
    try:
        return _MEMO[key]
    except KeyError:
        pass
    except TypeError:  # unhashable (should not happen for raw bytes)
        return compute(_converted(ds, tag))
    result = compute(_converted(ds, tag))
    if len(_MEMO) >= _MEMO_LIMIT:
        _MEMO.clear()
    _MEMO[key] = result
    return result
