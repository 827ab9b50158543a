"""Structured Report traversal helpers (pure pydicom, no Qt).

Concepts are matched on ``(CodeValue, CodingSchemeDesignator)`` only, never on
the meaning string; scheme designators are folded by
:func:`core.dicom.codes.normalise_scheme` (SNM3, 99SDM -> SRT).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

from pydicom.dataset import Dataset

from ..dicom.codes import normalise_scheme
from ..dicom.dates import dt_iso
from ..reading.raw_values import text as raw_text
from ..reading.sequence_items import items as sequence_items
from . import units
from .records import Code

CodeKey = tuple[str, str]


_CODE_VALUE, _LONG_CODE_VALUE, _URN_CODE_VALUE, _SCHEME = 0x00080100, 0x00080119, 0x00080120, 0x00080102


def key_of(code_item: Dataset | None) -> CodeKey | None:
    """``(CodeValue, scheme)`` of a code sequence item, ``None`` if absent.

    Parameters
    ----------
    code_item : pydicom.dataset.Dataset or None
        An item of a code sequence (ConceptNameCodeSequence etc.).

    Returns
    -------
    tuple of str or None
    """
    if code_item is None:
        return None
    # CodeValue, LongCodeValue, URNCodeValue; CodingSchemeDesignator (by tag: hot path)
    value = (raw_text(code_item, _CODE_VALUE) or raw_text(code_item, _LONG_CODE_VALUE)
             or raw_text(code_item, _URN_CODE_VALUE))
    if not value:
        return None
    return (value, normalise_scheme(raw_text(code_item, _SCHEME)))


def _first(seq) -> Dataset | None:
    try:
        return seq[0] if seq is not None and len(seq) else None
    except (TypeError, IndexError):
        return None


_CONCEPT_NAME = 0x0040A043  # ConceptNameCodeSequence (tag access skips keyword lookup)
_CONTENT = 0x0040A730  # ContentSequence


_NO_KEY = ("", "")  # cached "no concept name" (None cannot mark a cache hit)


def concept(item: Dataset) -> CodeKey | None:
    """The concept name key of a content item (or of the document root).

    Reports are walked many times (one search per concept): the key is kept
    on the item after the first look (in its ``__dict__``, not as a DICOM
    element), so later searches skip pydicom's element access.
    """
    cached = item.__dict__.get("_dosetrail_concept")
    if cached is not None:
        return None if cached is _NO_KEY else cached
    key = key_of(_first(sequence_items(item, _CONCEPT_NAME)))
    item.__dict__["_dosetrail_concept"] = _NO_KEY if key is None else key
    return key


def is_concept(item: Dataset, *keys: CodeKey) -> bool:
    """True when the item's concept name is one of ``keys``."""
    return concept(item) in {(v, normalise_scheme(s)) for v, s in keys}


def children(item: Dataset) -> list[Dataset]:
    """The direct content items of ``item`` (empty list when none; kept on the item like
    :func:`concept`: do not change the list)."""
    cached = item.__dict__.get("_dosetrail_children")
    if cached is not None:
        return cached
    seq = sequence_items(item, _CONTENT)
    found = list(seq) if seq else []
    item.__dict__["_dosetrail_children"] = found
    return found


def find_children(item: Dataset, *keys: CodeKey) -> list[Dataset]:
    """Direct children whose concept name is one of ``keys``."""
    return [c for c in children(item) if is_concept(c, *keys)]


def find_child(item: Dataset, *keys: CodeKey) -> Dataset | None:
    """First direct child with one of ``keys``, or ``None``."""
    found = find_children(item, *keys)
    return found[0] if found else None


def walk(item: Dataset) -> Iterator[Dataset]:
    """Depth-first iteration over every content item below ``item``."""
    stack = list(reversed(children(item)))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


class Index(dict):
    """Descendants of one content item grouped by concept key (built once).

    Passing an :class:`Index` instead of a dataset to :func:`find_all`,
    :func:`find_first` and :func:`first_num` avoids walking big reports
    (hundreds of fluoroscopy events) once per concept.
    """


def index(item: Dataset) -> Index:
    """Build the :class:`Index` of every descendant of ``item`` (depth-first order)."""
    idx = Index()
    for node in walk(item):
        key = concept(node)
        if key is not None:
            idx.setdefault(key, []).append(node)
    return idx


def find_all(item: Dataset | Index, *keys: CodeKey) -> list[Dataset]:
    """Every descendant (any depth) whose concept name is one of ``keys``.

    With a dataset the result is in depth-first order; with an
    :class:`Index` it is grouped by key, in the order of ``keys``.
    """
    if isinstance(item, Index):
        found: list[Dataset] = []
        for value, scheme in keys:
            found.extend(item.get((value, normalise_scheme(scheme)), []))
        return found
    wanted = {(v, normalise_scheme(s)) for v, s in keys}
    return [n for n in walk(item) if concept(n) in wanted]


def find_first(item: Dataset | Index, *keys: CodeKey) -> Dataset | None:
    """First descendant with one of ``keys``, or ``None``."""
    found = find_all(item, *keys)
    return found[0] if found else None


def code_of(item: Dataset | None) -> Code | None:
    """The value of a CODE content item as a :class:`Code`, or ``None``."""
    if item is None:
        return None
    first = _first(item.get("ConceptCodeSequence"))
    key = key_of(first)
    if key is None:
        return None
    return Code(value=key[0], scheme=str(first.get("CodingSchemeDesignator", "")).strip(),
                meaning=str(first.get("CodeMeaning", "")))


def code_key(item: Dataset | None) -> CodeKey | None:
    """The value of a CODE content item as a ``(value, scheme)`` key."""
    if item is None:
        return None
    return key_of(_first(item.get("ConceptCodeSequence")))


def text_of(item: Dataset | None) -> str | None:
    """TEXT value (stripped), ``None`` when absent or empty."""
    if item is None:
        return None
    text = item.get("TextValue")
    text = str(text).strip() if text is not None else ""
    return text or None


def uid_of(item: Dataset | None) -> str | None:
    """UIDREF value, ``None`` when absent or empty."""
    if item is None:
        return None
    uid = item.get("UID")
    uid = str(uid).strip() if uid is not None else ""
    return uid or None


def datetime_of(item: Dataset | None) -> str | None:
    """DATETIME content item as ISO 8601, ``None`` when absent or unreadable."""
    if item is None:
        return None
    return dt_iso(item.get("DateTime"))


def raw_numbers(item: Dataset) -> tuple[list[float], str | None]:
    """Numbers and unit code of a NUM content item.

    Parameters
    ----------
    item : pydicom.dataset.Dataset
        A NUM content item.

    Returns
    -------
    (list of float, str or None)
        Every finite value of NumericValue (possibly several, possibly none:
        an empty MeasuredValueSequence gives ``[]``), and the unit CodeValue.
    """
    mv = _first(item.get("MeasuredValueSequence"))
    if mv is None:
        return [], None
    unit_item = _first(mv.get("MeasurementUnitsCodeSequence"))
    unit = str(unit_item.get("CodeValue", "")).strip() if unit_item is not None else None
    raw = mv.get("NumericValue")
    values: list[float] = []
    if raw is None or raw == "":
        floating = mv.get("FloatingPointValue")
        raw = floating if floating is not None else []
    items = raw if isinstance(raw, (list, tuple)) or hasattr(raw, "__iter__") and not isinstance(raw, str) else [raw]
    for v in items:
        try:
            number = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            values.append(number)
    return values, unit or None


def num(item: Dataset | None, quantity: str, warnings: list[str], label: str,
        default_unit: str | None = None) -> float | None:
    """Read a NUM content item in the target unit of ``quantity``.

    Parameters
    ----------
    item : pydicom.dataset.Dataset or None
        The NUM content item (``None`` gives ``None``).
    quantity : str
        Target quantity, a key of :data:`core.dose.units.FACTORS`.
    warnings : list of str
        Warnings are appended here (unknown unit, several values, no value).
    label : str
        Human name of the figure for the warning text (e.g. ``"CTDIvol"``).
    default_unit : str, optional
        Unit assumed when the file names none (only where the template fixes
        one); a warning says so.

    Returns
    -------
    float or None
        The value, ``None`` when the file gives no usable value or unit.
        Several values (a multi-valued NumericValue) give their mean, with a
        warning.
    """
    if item is None:
        return None
    values, unit = raw_numbers(item)
    if not values:
        mv = _first(item.get("MeasuredValueSequence"))
        raw = mv.get("NumericValue") if mv is not None else None
        if raw not in (None, ""):
            warnings.append(f"{label}: unreadable numeric value {str(raw)[:40]!r}; not used")
        elif item.get("MeasuredValueSequence") is not None:
            warnings.append(f"{label}: no numeric value in the report (empty measured value)")
        return None
    if unit is None:
        if default_unit is None:
            warnings.append(f"{label}: no unit given; value {values[0]:g} not used")
            return None
        warnings.append(f"{label}: no unit given; assumed {default_unit}")
        unit = default_unit
    value = sum(values) / len(values)
    if len(values) > 1:
        warnings.append(f"{label}: {len(values)} values in one number; their mean {value:g} {unit} is used")
    try:
        return units.convert(value, unit, quantity)
    except units.UnknownUnitError:
        warnings.append(f"{label}: unknown unit {unit!r}; value {value:g} not used")
        return None


def first_num(item: Dataset | Index, keys: Iterable[CodeKey], quantity: str, warnings: list[str],
              label: str, default_unit: str | None = None) -> float | None:
    """:func:`num` of the first descendant with one of ``keys`` that has a value."""
    found = find_all(item, *keys)
    scratch: list[str] = []
    for node in found:
        value = num(node, quantity, scratch, label, default_unit)
        if value is not None:
            warnings.extend(scratch)
            return value
    warnings.extend(scratch)
    return None



def add_region(record, code: Code | None) -> None:
    """Append an anatomy code to ``record.target_region_codes`` once.

    Parameters
    ----------
    record : DoseRecord
        The record being filled.
    code : Code or None
        The anatomy code (``None`` is ignored).
    """
    if code is None:
        return
    key = (code.value, normalise_scheme(code.scheme))
    if all((c.value, normalise_scheme(c.scheme)) != key for c in record.target_region_codes):
        record.target_region_codes.append(code)
