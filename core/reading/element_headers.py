"""What the fast readers share: element header structs, VR tables and data set templates.

Two readers decode DICOM element headers from bytes without pydicom's general reader: the
import's header reader (:mod:`core.importer.fast_header`) and the sequence item reader of
dose reports (:mod:`.sequence_items`). Their loops stay inline (they run for every
element); the tables they read and the way they build pydicom's data sets live here.
"""
from __future__ import annotations

import io
from struct import Struct
from typing import Any

from pydicom.datadict import dictionary_VR
from pydicom.dataelem import RawDataElement, empty_value_for_VR
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.valuerep import EXPLICIT_VR_LENGTH_32, VR

EXPLICIT = Struct("<HH2sH").unpack_from  # group, element, VR bytes, 16-bit length
IMPLICIT = Struct("<HHL").unpack_from  # group, element, 32-bit length (also item and delimiter tags)
LENGTH32 = Struct("<L").unpack_from
# VR bytes -> (VR string, has a 4-byte length)
VRS = {v.value.encode("ascii"): (v.value, v.value in EXPLICIT_VR_LENGTH_32) for v in VR}
# empty raw values by VR (pydicom's own table), and for implicit VR (VR unknown)
EMPTY = {vr: empty_value_for_VR(vr, raw=True) for vr, _long in VRS.values()}
EMPTY_IMPLICIT = empty_value_for_VR(None, raw=True)
# raw elements are built field by field: another pydicom's RawDataElement turns the readers off
SUPPORTED = RawDataElement._fields == (
    "tag", "VR", "length", "value", "value_tell", "is_implicit_VR", "is_little_endian", "is_raw", "is_buffered")
UNDEFINED = 0xFFFFFFFF
CHARSET = 0x00080005
ITEM, ITEM_END, SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
ITEM_BYTES = b"\xfe\xff\x00\xe0"
MAX_DEPTH = 32  # nested sequences followed; deeper ones are left to pydicom


def implicit_sequence(buf: bytes, tag: int, value_tell: int) -> bool:
    """Whether pydicom reads an implicit-VR undefined-length element as a sequence: its
    dictionary VR is SQ or, for a tag it does not know (private), an item follows."""
    try:
        return dictionary_VR(tag) == "SQ"
    except KeyError:
        return buf[value_tell:value_tell + 4] == ITEM_BYTES


def dictionary_sq(tag: int) -> bool:
    """Whether the data dictionary says ``tag`` is a sequence."""
    try:
        return dictionary_VR(tag) == "SQ"
    except KeyError:
        return False


# What Dataset.__init__ and FileDataset.__init__ set, taken from real instances: building
# a data set from that (a dict copy) skips ~20 attribute writes through Dataset.__setattr__
# per instance, which cost more than reading the elements. The mutable values are copied.
_TEMPLATES = {
    cls: dict(inst.__dict__) for cls, inst in (
        (Dataset, Dataset()),
        (FileMetaDataset, FileMetaDataset()),
        (FileDataset, FileDataset(io.BytesIO(), Dataset(), None, FileMetaDataset(), True, True)),
    )
}
_TEMPLATES[FileDataset].update(fileobj_type=None, buffer=None)  # no file object kept (as for bytes)
for _attrs in _TEMPLATES.values():
    _attrs.pop("_dict", None)
    _attrs.pop("file_meta", None)
_MUTABLE = {cls: tuple(k for k, v in attrs.items() if isinstance(v, (dict, list, set)))
            for cls, attrs in _TEMPLATES.items()}


def new_dataset(cls, raw: dict, implicit: bool, little: bool, encoding: Any):
    """An instance of ``cls`` (``Dataset``, ``FileMetaDataset`` or ``FileDataset``) holding
    the elements ``raw``, as pydicom's reader leaves one read with that encoding."""
    obj = cls.__new__(cls)
    attrs = obj.__dict__
    attrs.update(_TEMPLATES[cls])
    for key in _MUTABLE[cls]:
        attrs[key] = attrs[key].copy()
    attrs["_dict"] = raw
    attrs["_read_implicit"] = implicit
    attrs["_read_little"] = little
    if cls is not FileMetaDataset and "_is_implicit_VR" in attrs:  # (pydicom < 4 keeps these too)
        attrs["_is_implicit_VR"] = implicit
        attrs["_is_little_endian"] = little
    attrs["_read_charset"] = encoding
    return obj
