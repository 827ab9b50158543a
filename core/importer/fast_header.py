"""A fast reader for the common case of a Part 10 file's header.

``pydicom.dcmread(stop_before_pixels=True)`` spends most of its time in a
general element generator written for every oddity of the format (file-like
reads, deferred values, VR switches, debugging hooks). Almost every file an
import sees is a plain Part 10 file in explicit or implicit VR little endian:
for those, :func:`read_header` walks the element headers of a bytes buffer
with precompiled structs and builds the same :class:`~pydicom.dataset.FileDataset`
that ``dcmread`` builds: the same raw elements (tag, VR, length, value bytes,
value offset, encoding), the same file meta, the same original encoding.

One difference, by design: ``dcmread`` parses an undefined-length sequence
as it reads it, items and all (a defined-length one it keeps raw until it is
read). Here the items are walked, element headers only, to find where the
sequence ends, and the sequence is kept raw with its undefined length: pydicom
parses it into the same items on first access, and the import reads few
sequences. A sequence the walk cannot follow exactly is parsed by pydicom's
``read_sequence`` on the spot.

Anything else is not guessed at: big endian, deflated or private transfer
syntaxes, files without preamble, a command set, an unknown VR, a VR that
does not match the transfer syntax, an undefined-length value that is not a
sequence, a value running past the end of the file, an item delimiter at the
top level. For those :func:`read_header` returns ``None`` and the caller uses
``dcmread``, which also gives the reasons a damaged file is refused.
``tests/test_fast_header.py`` compares both readers element by element.
"""
from __future__ import annotations

from typing import Any

from pydicom.charset import convert_encodings, default_encoding
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filereader import read_sequence
from pydicom.tag import BaseTag
from pydicom.uid import (DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ImplicitVRLittleEndian,
                         PrivateTransferSyntaxes)
from pydicom.values import convert_string

from ..reading import element_headers
from ..reading.raw_values import interned

_PIXEL_TAGS = frozenset((0x7FE00010, 0x7FE00008, 0x7FE00009))
_CHARSET = element_headers.CHARSET
_UNDEFINED = element_headers.UNDEFINED
_EXPLICIT, _IMPLICIT, _LENGTH32 = element_headers.EXPLICIT, element_headers.IMPLICIT, element_headers.LENGTH32
_VRS, _EMPTY, _EMPTY_IMPLICIT = element_headers.VRS, element_headers.EMPTY, element_headers.EMPTY_IMPLICIT
_SUPPORTED = element_headers.SUPPORTED
_PRIVATE_SYNTAXES = frozenset(str(uid) for uid in PrivateTransferSyntaxes)


class _Unsupported(Exception):
    """The file needs pydicom's general reader."""


class NeedMore(Exception):
    """Raised by :func:`read_header`: the buffer ends before the header does and the
    file goes on; call it again with more of the file."""


def read_header(buf: bytes, size: int) -> tuple[FileDataset, int] | None:
    """Parse a Part 10 header from ``buf`` (the first bytes of a file of ``size`` bytes).

    Returns ``(dataset, position)`` where ``position`` is the offset at which
    ``dcmread(stop_before_pixels=True)`` would leave the file (the start of
    the pixel data element, or the end of the file); ``None`` when the file
    is not the simple case (use ``dcmread``). Raises :class:`NeedMore` when
    ``buf`` is shorter than the file and the header goes on past it.
    """
    if not _SUPPORTED:
        return None
    try:
        return _read(buf, size)
    except NeedMore:
        raise
    except Exception:  # noqa: BLE001 - _Unsupported, or damage pydicom's sequence reader tripped on:
        return None  # dcmread reads the file again and gives the reason


def _read(buf: bytes, size: int) -> tuple[FileDataset, int]:
    complete = len(buf) >= size
    if len(buf) < 132 or buf[128:132] != b"DICM":
        if not complete and len(buf) < 132:
            raise NeedMore
        raise _Unsupported
    meta_raw, pos = _elements(buf, 132, False, complete, meta=True)
    if not meta_raw:
        raise _Unsupported
    file_meta = _new(FileMetaDataset, meta_raw, False, True, default_encoding)
    if 0x00020010 not in meta_raw:
        raise _Unsupported  # pydicom guesses the encoding from the data
    syntax = convert_string(meta_raw[0x00020010].value or b"", True).strip()
    if not syntax:
        raise _Unsupported
    if syntax in (ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian) or syntax in _PRIVATE_SYNTAXES:
        raise _Unsupported
    implicit = syntax == ImplicitVRLittleEndian
    if pos + 8 > len(buf):
        if not complete:
            raise NeedMore
        raise _Unsupported  # nothing (or a few bytes) after the file meta
    group = buf[pos] | buf[pos + 1] << 8
    if group == 0 or group == 2:
        raise _Unsupported  # a command set, or file meta pydicom stopped reading
    # pydicom decides implicit or explicit from the first element's VR bytes
    looks_implicit = not (0x40 < buf[pos + 4] < 0x5B and 0x40 < buf[pos + 5] < 0x5B)
    if looks_implicit != implicit:
        raise _Unsupported
    raw, pos = _elements(buf, pos, implicit, complete)
    charset = raw.get(_CHARSET)
    encoding: Any = default_encoding
    if charset is not None:
        encoding = convert_encodings(convert_string(charset.value or b"", True))
    fds = _new(FileDataset, raw, implicit, True, encoding)
    fds.__dict__.update(preamble=buf[:128], file_meta=file_meta)
    return fds, pos


_new = element_headers.new_dataset


def _elements(buf: bytes, pos: int, implicit: bool, complete: bool,
              meta: bool = False) -> tuple[dict, int]:
    """Top-level raw elements from ``pos`` to the pixel data (or the end of the group
    for the file meta); returns them and the position where reading stopped.

    The loop runs once per element of every imported file: names are bound
    locally and raw elements are built with ``tuple.__new__`` (what the
    namedtuple's own constructor does, minus a call).
    """
    raw: dict = {}
    end = len(buf)
    vrs = _VRS
    empty = _EMPTY
    unpack = _IMPLICIT if implicit else _EXPLICIT
    new = tuple.__new__
    element = RawDataElement
    base_tag = interned
    encoding: Any = default_encoding
    while pos + 8 <= end:
        if implicit:
            group, elem, length = unpack(buf, pos)
            vr = None
            value_tell = pos + 8
        else:
            group, elem, vr_bytes, length = unpack(buf, pos)
            if meta and group != 2:  # (the file meta is always explicit VR)
                return raw, pos  # the end of the file meta; the data set may be implicit VR
            info = vrs.get(vr_bytes)
            if info is None:
                raise _Unsupported  # unknown VR or implicit data: pydicom's heuristics decide
            vr, long_length = info
            if long_length:
                if pos + 12 > end:
                    break
                length = _LENGTH32(buf, pos + 8)[0]
                value_tell = pos + 12
            else:
                value_tell = pos + 8
        if not meta and group >= 0x7FE0 and group << 16 | elem in _PIXEL_TAGS:
            return raw, pos
        if group == 0xFFFE:
            raise _Unsupported  # an item or delimiter at the top level
        number = group << 16 | elem
        tag = base_tag(number)
        if length == _UNDEFINED:
            pos = _sequence(buf, raw, tag, vr, value_tell, implicit, complete, meta, encoding)
            continue
        stop = value_tell + length
        if stop > end:
            break
        if length:
            value = buf[value_tell:stop]
        else:
            value = empty[vr] if vr is not None else _EMPTY_IMPLICIT
        if number == _CHARSET:  # an int comparison: BaseTag.__eq__ is a Python call
            encoding = convert_encodings(convert_string(value or b"", True))
        raw[tag] = new(element, (tag, vr, length, value, value_tell, implicit, True, True, False))
        pos = stop
    if not complete:
        raise NeedMore
    if pos != end:
        raise _Unsupported  # an element cut short: dcmread reads what is there and the caller reports it
    return raw, pos


def _sequence(buf: bytes, raw: dict, tag: BaseTag, vr: str | None, value_tell: int, implicit: bool,
              complete: bool, meta: bool, encoding: Any) -> int:
    """Store an undefined-length sequence; returns the position after it.

    Its items are walked (element headers only) to find where it ends, and the
    sequence is kept raw: pydicom parses it when it is first read, as it does
    for a defined-length sequence. Only items the walk does not follow exactly
    as pydicom's reader would (see :func:`_sequence_end`) are parsed here, by
    pydicom's ``read_sequence``.
    """
    if meta or vr not in ("SQ", "UN", None):
        raise _Unsupported  # an undefined-length value that is not a sequence
    if vr is None and not _implicit_sequence(buf, tag, value_tell):
        raise _Unsupported
    if not complete:
        raise NeedMore  # a sequence is parsed from the whole buffer
    try:
        stop = _sequence_end(buf, value_tell, implicit, 0)
    except _Unsupported:
        pass
    else:
        raw[tag] = tuple.__new__(RawDataElement, (tag, "SQ", _UNDEFINED, buf[value_tell:stop], value_tell,
                                                  implicit, True, True, False))
        return stop
    fp = DicomBytesIO(buf)
    fp.is_little_endian = True
    fp.is_implicit_VR = implicit
    fp.seek(value_tell)
    seq = read_sequence(fp, implicit, True, _UNDEFINED, encoding)
    raw[tag] = DataElement(tag, "SQ", seq, value_tell, is_undefined_length=True)
    pos = fp.tell()
    if pos > len(buf):
        raise _Unsupported
    return pos


_implicit_sequence = element_headers.implicit_sequence
_ITEM, _ITEM_END, _SEQUENCE_END = element_headers.ITEM, element_headers.ITEM_END, element_headers.SEQUENCE_END
_ITEM_BYTES = element_headers.ITEM_BYTES
_MAX_DEPTH = element_headers.MAX_DEPTH


def _sequence_end(buf: bytes, pos: int, implicit: bool, depth: int) -> int:
    """Where an undefined-length sequence whose value starts at ``pos`` ends (after its delimiter).

    Follows pydicom's reader: items of defined or undefined length, each item's
    elements read in implicit VR when the data set is, or when its first
    element's VR bytes are not letters (pydicom's switch for sequences);
    nested undefined-length sequences (SQ, UN, implicit SQ) the same way.
    Raises :class:`_Unsupported` for anything it would have to guess at.
    """
    end = len(buf)
    if depth > _MAX_DEPTH:
        raise _Unsupported
    while True:
        if pos + 8 > end:
            raise _Unsupported
        group, elem, length = _IMPLICIT(buf, pos)
        tag = group << 16 | elem
        if tag == _SEQUENCE_END:
            if length:
                raise _Unsupported
            return pos + 8
        if tag != _ITEM:
            raise _Unsupported
        pos += 8
        if length == _UNDEFINED:
            pos = _item_end(buf, pos, None, implicit, depth)
        elif length:
            stop = pos + length
            if stop > end or _item_end(buf, pos, stop, implicit, depth) != stop:
                raise _Unsupported
            pos = stop


def _item_end(buf: bytes, pos: int, stop: int | None, implicit: bool, depth: int) -> int:
    """Walk one item's elements from ``pos``; ``stop`` is its end for a defined length,
    None for an undefined one (it ends after its item delimiter). Returns where it ends.

    The element header decoding repeats :func:`_elements` on purpose: that loop runs
    for every element of every imported file and stays inline (no call per element).
    """
    end = len(buf)
    if not implicit and pos + 6 <= end:  # pydicom: an item may switch to implicit VR
        implicit = not (0x40 < buf[pos + 4] < 0x5B and 0x40 < buf[pos + 5] < 0x5B)
    vrs = _VRS
    while stop is None or pos < stop:
        if pos + 8 > end:
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
                    raise _Unsupported  # pydicom would switch to implicit VR here
                vr, long_length = info
                if long_length:
                    if pos + 12 > end:
                        raise _Unsupported
                    length = _LENGTH32(buf, pos + 8)[0]
                    value_tell = pos + 12
                else:
                    value_tell = pos + 8
        if group == 0xFFFE:
            if group << 16 | elem == _ITEM_END and stop is None and not length:
                return value_tell
            raise _Unsupported  # a delimiter inside a defined-length item, or a stray item tag
        if length == _UNDEFINED:
            tag = group << 16 | elem
            if vr in ("SQ", "UN") or (vr is None and _implicit_sequence(buf, tag, value_tell)):
                pos = _sequence_end(buf, value_tell, implicit, depth + 1)
                continue
            raise _Unsupported  # an undefined-length value that is not a sequence (icon pixel data, ...)
        pos = value_tell + length
        if pos > end:
            raise _Unsupported
    return pos
