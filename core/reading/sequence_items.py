"""Fast reading of a sequence's items, for structured reports.

A CT dose report of two events holds some 130 content items, each a small
data set with two or three nested code sequences. pydicom parses a sequence
on first access through its general reader (file-like reads, a generator per
data set, hooks): about 90 µs per item, 12 ms for such a report, more than
everything else the import does with it together. :func:`items` reads the
items of a raw little-endian sequence from its bytes with precompiled structs
instead, nested sequences included (they are all small in a report), and
builds the data sets pydicom would build: the same raw elements (tag, VR,
length, value bytes, encoding), item by item, nested sequences as
:class:`~pydicom.sequence.Sequence` values, the character set passed down.
Values stay raw: pydicom converts one when it is read, and
:mod:`.raw_values` reads plain text without converting.

Anything the walk would have to guess at (big endian, a value running past
its item, a delimiter out of place, an unknown VR, undefined-length values
that are not sequences) is left to pydicom: :func:`items` then returns what
``ds[tag].value`` gives. ``tests/test_sequence_items.py`` compares both
readers element by element on real and synthetic reports.
"""
from __future__ import annotations

from typing import Any

from pydicom.charset import convert_encodings
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.values import convert_string

from . import element_headers
from .raw_values import _INTERNED, interned

_EXPLICIT, _IMPLICIT, _LENGTH32 = element_headers.EXPLICIT, element_headers.IMPLICIT, element_headers.LENGTH32
_VRS, _EMPTY, _EMPTY_IMPLICIT = element_headers.VRS, element_headers.EMPTY, element_headers.EMPTY_IMPLICIT
_SUPPORTED = element_headers.SUPPORTED
_UNDEFINED = element_headers.UNDEFINED
_ITEM, _ITEM_END, _SEQUENCE_END = element_headers.ITEM, element_headers.ITEM_END, element_headers.SEQUENCE_END
_CHARSET = element_headers.CHARSET
_MAX_DEPTH = element_headers.MAX_DEPTH
_dictionary_sq = element_headers.dictionary_sq


# A Sequence is a list of data sets kept in ``_list`` (pydicom 3): built directly, the items
# already being data sets, it skips a validation call per item. Another layout: the constructor.
_SEQUENCE_FAST = set(Sequence([]).__dict__) == {"_list"}


def _new_sequence(found: list[Dataset], undefined: bool) -> Sequence:
    if _SEQUENCE_FAST:
        seq = object.__new__(Sequence)
        seq.__dict__["_list"] = found
    else:
        seq = Sequence(found)
    seq.is_undefined_length = undefined
    return seq


_ELEMENT_TEMPLATE = dict(DataElement(0x0040A730, "SQ", _new_sequence([], False), 0, already_converted=True).__dict__)
# an SQ element is these attributes (pydicom 3): built from them, or by the constructor otherwise
_ELEMENT_FAST = set(_ELEMENT_TEMPLATE) == {"tag", "VR", "validation_mode", "_value", "file_tell",
                                          "is_undefined_length", "private_creator"}


def _sequence_element(tag, seq: Sequence, value_tell: int, undefined: bool) -> DataElement:
    if not _ELEMENT_FAST:
        return DataElement(tag, "SQ", seq, value_tell, is_undefined_length=undefined, already_converted=True)
    elem = object.__new__(DataElement)
    attrs = elem.__dict__
    attrs.update(_ELEMENT_TEMPLATE)
    attrs["tag"] = tag
    attrs["_value"] = seq
    attrs["file_tell"] = value_tell
    attrs["is_undefined_length"] = undefined
    return elem


# Items without nested sequences (the code items: concept names, units, coded values) repeat
# from report to report: one data set per distinct encoding, read once per process. They are
# read, never changed (what pydicom converts on access it converts to the same value).
_LEAVES: dict[tuple, Dataset] = {}
_LEAVES_LIMIT = 8192
_LEAF_BYTES = 256


class _Unsupported(Exception):
    """The sequence needs pydicom's general reader."""


def items(ds: Dataset, tag: int) -> list[Dataset] | None:
    """The items of sequence ``tag`` of ``ds`` (``None`` when absent).

    A raw little-endian sequence is read here and stored back in ``ds``
    converted (as pydicom does on first access); anything else is
    ``ds[tag].value``.
    """
    store = getattr(ds, "_dict", None)
    if store is None:
        return ds[tag].value if tag in ds else None
    key = interned(tag)
    elem = store.get(key)
    if elem is None:
        return None
    if type(elem) is RawDataElement and _SUPPORTED and elem.is_little_endian and isinstance(elem.value, bytes):
        try:
            seq = _read_sequence(elem.value, elem.is_implicit_VR, _encoding(ds), elem.length == _UNDEFINED)
        except (_Unsupported, ValueError, LookupError):
            pass
        else:
            store[key] = _sequence_element(key, seq, elem.value_tell, elem.length == _UNDEFINED)
            return seq
    return ds[tag].value


def _encoding(ds: Dataset) -> Any:
    charset = ds._dict.get(interned(_CHARSET))
    if charset is None:
        return getattr(ds, "_parent_encoding", None) or getattr(ds, "_read_charset", None) or "iso8859"
    value = charset.value
    if isinstance(value, bytes):
        value = convert_string(value, True)
    return convert_encodings(value)


def _read_sequence(buf: bytes, implicit: bool, encoding: Any, undefined: bool) -> Sequence:
    found, pos = _items(buf, 0, None if undefined else len(buf), implicit, encoding, 0)
    if not undefined and pos != len(buf):
        raise _Unsupported
    return _new_sequence(found, undefined)


def _items(buf: bytes, pos: int, stop: int | None, implicit: bool, encoding: Any,
           depth: int) -> tuple[list[Dataset], int]:
    """Items from ``pos`` to ``stop`` (defined length) or to the sequence delimiter."""
    if depth > _MAX_DEPTH:
        raise _Unsupported
    end = len(buf) if stop is None else stop
    found: list[Dataset] = []
    while True:
        if stop is not None and pos == stop:
            return found, pos
        if pos + 8 > end:
            raise _Unsupported
        group, elem, length = _IMPLICIT(buf, pos)
        tag = group << 16 | elem
        if tag == _SEQUENCE_END:
            if stop is not None or length:
                raise _Unsupported
            return found, pos + 8
        if tag != _ITEM:
            raise _Unsupported
        start = pos
        pos += 8
        if length == _UNDEFINED:
            ds, pos = _item(buf, pos, None, end, implicit, encoding, depth)
        else:
            after = pos + length
            if after > end:
                raise _Unsupported
            key = (buf[pos:after], implicit, encoding if type(encoding) is str else tuple(encoding))
            ds = _LEAVES.get(key)
            if ds is not None:  # a code item met before (the same bytes): the same data set
                found.append(ds)
                pos = after
                continue
            ds, item_end = _item(buf, pos, after, end, implicit, encoding, depth)
            if item_end != after:
                raise _Unsupported
            pos = after
            if len(key[0]) <= _LEAF_BYTES and not any(type(e) is DataElement for e in ds._dict.values()):
                if len(_LEAVES) >= _LEAVES_LIMIT:
                    _LEAVES.clear()
                _LEAVES[key] = ds
        ds.__dict__["seq_item_tell"] = start
        found.append(ds)


def _item(buf: bytes, pos: int, stop: int | None, end: int, implicit: bool, parent_encoding: Any,
          depth: int) -> tuple[Dataset, int]:
    """One item's data set from ``pos``; ``stop`` is its end (None: up to its delimiter)."""
    limit = end if stop is None else stop
    if not implicit and pos + 6 <= limit:  # pydicom: an item may switch to implicit VR
        implicit = not (0x40 < buf[pos + 4] < 0x5B and 0x40 < buf[pos + 5] < 0x5B)
    raw: dict = {}
    encoding = parent_encoding
    vrs, empty, new, element = _VRS, _EMPTY, tuple.__new__, RawDataElement
    while True:
        if stop is not None and pos == stop:
            break
        if pos + 8 > limit:
            raise _Unsupported
        if implicit:
            group, elem, length = _IMPLICIT(buf, pos)
            vr = None
            value_tell = pos + 8
        else:
            group, elem, vr_bytes, length = _EXPLICIT(buf, pos)
            if group == 0xFFFE:
                vr, value_tell = None, pos + 8
                length = _LENGTH32(buf, pos + 4)[0]
            else:
                info = vrs.get(vr_bytes)
                if info is None:
                    raise _Unsupported
                vr, long_length = info
                if long_length:
                    if pos + 12 > limit:
                        raise _Unsupported
                    length = _LENGTH32(buf, pos + 8)[0]
                    value_tell = pos + 12
                else:
                    value_tell = pos + 8
        number = group << 16 | elem
        if group == 0xFFFE:
            if number == _ITEM_END and stop is None and not length:
                pos = value_tell
                break
            raise _Unsupported
        tag = _INTERNED.get(number) or interned(number)
        is_sequence = vr == "SQ" or (vr is None and _dictionary_sq(number))
        if length == _UNDEFINED:
            # (an undefined-length UN holds implicit VR items: pydicom's reader decides those)
            if not (is_sequence or (vr is None and _starts_item(buf, value_tell))):
                raise _Unsupported
            seq_items, pos = _items(buf, value_tell, None, implicit, encoding, depth + 1)
            raw[tag] = _sequence_element(tag, _new_sequence(seq_items, True), value_tell, True)
            continue
        after = value_tell + length
        if after > limit:
            raise _Unsupported
        if is_sequence and length:  # (an empty one stays raw, converted by pydicom as it would be)
            seq_items, _pos = _items(buf, value_tell, after, implicit, encoding, depth + 1)
            raw[tag] = _sequence_element(tag, _new_sequence(seq_items, False), value_tell, False)
        else:
            value = buf[value_tell:after] if length else (empty[vr] if vr is not None else _EMPTY_IMPLICIT)
            if number == _CHARSET:
                encoding = convert_encodings(convert_string(value or b"", True))
            raw[tag] = new(element, (tag, vr, length, value, value_tell, implicit, True, True, False))
        pos = after
    ds = element_headers.new_dataset(Dataset, raw, implicit, True, encoding)
    attrs = ds.__dict__
    attrs["_parent_encoding"] = parent_encoding
    attrs["is_undefined_length_sequence_item"] = stop is None
    return ds, pos


def _starts_item(buf: bytes, pos: int) -> bool:
    return buf[pos:pos + 4] == element_headers.ITEM_BYTES
