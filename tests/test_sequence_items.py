"""The fast sequence item reader builds what pydicom builds, or steps aside.

Every comparison reads the same bytes twice: once with ``pydicom.dcmread`` and
its own sequence parsing (``ds[tag].value``), once with
:func:`dosetrail.core.reading.sequence_items.items`, and compares the content
trees item by item: the tags, VRs and converted values of every element, the
nesting, undefined lengths, and the dose extracted from the report.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from dosetrail.core.dose.extract import extract_dose
from dosetrail.core.importer.parse import parse_bytes
from dosetrail.core.reading import sequence_items
from synth import (PatientSpec, make_ct_rdsr, make_cumulative_ct_rdsrs, make_projection_rdsr, make_rrdsr,
                   write_dataset)

CONTENT = 0x0040A730


def _tree(items, reader) -> list:
    """A comparable picture of a content tree: per item, (tag, VR, value or subtree)."""
    out = []
    for item in items:
        row = []
        for tag in sorted(int(t) for t in item._dict):
            try:
                if reader == "fast" and tag in (CONTENT, 0x0040A043, 0x0040A168, 0x0040A300, 0x004008EA):
                    value = sequence_items.items(item, tag)  # what the dose code reads through the reader
                else:
                    value = item[tag].value
                elem = item[tag]
            except Exception as exc:  # noqa: BLE001 - a damaged value: both readers must fail alike
                row.append((tag, "unreadable", type(exc).__name__))
                continue
            if isinstance(value, Sequence) or elem.VR == "SQ":
                row.append((tag, "SQ", bool(elem.is_undefined_length), _tree(value or [], reader)))
            else:
                row.append((tag, elem.VR, repr(value)))
        out.append((getattr(item, "is_undefined_length_sequence_item", None), row))
    return out


def _both(data: bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        slow = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
        fast, rejection = parse_bytes("x", data)
        assert fast is not None, rejection
        reference = slow[CONTENT].value if CONTENT in slow else None
        read = sequence_items.items(fast, CONTENT)
        return slow, fast, reference, read


def _encode(ds: Dataset, tmp_path: Path, name: str) -> bytes:
    return write_dataset(ds, tmp_path / name).read_bytes()


def _compare(data: bytes) -> None:
    slow, fast, reference, read = _both(data)
    assert (reference is None) == (read is None)
    if reference is None:
        return
    assert _tree(read, "fast") == _tree(reference, "slow")
    # and the dose read from the report is the same
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = extract_dose(slow), extract_dose(fast)
    assert (a is None) == (b is None)
    assert a == b


SYNTHETIC = {
    "ct": lambda: make_ct_rdsr(PatientSpec("SEQ1", "SEQ^ONE")),
    "ct-implicit": lambda: make_ct_rdsr(PatientSpec("SEQ2", "SEQ^TWO"), implicit=True),
    "ct-big-endian": lambda: make_ct_rdsr(PatientSpec("SEQ3", "SEQ^THREE"), big_endian=True),
    "ct-cumulative": lambda: make_cumulative_ct_rdsrs(PatientSpec("SEQ4", "SEQ^FOUR"))[1],
    "projection": lambda: make_projection_rdsr(PatientSpec("SEQ5", "SEQ^FIVE")),
    "rrdsr": lambda: make_rrdsr(PatientSpec("SEQ6", "SEQ^SIX")),
}


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_synthetic_reports_read_the_same(tmp_path, name):
    _compare(_encode(SYNTHETIC[name](), tmp_path, f"{name}.dcm"))


def test_character_set_is_passed_to_items(tmp_path):
    ds = make_ct_rdsr(PatientSpec("SEQ7", "SEQ^SEVEN"), institution="Hôpital Nord")
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ContentSequence[0].add_new(0x0040A160, "UT", "Protocole thorax épaule")
    data = _encode(ds, tmp_path, "latin1.dcm")
    _slow, fast, reference, read = _both(data)
    assert read[0].TextValue == reference[0].TextValue == "Protocole thorax épaule"
    _compare(data)


def test_defined_length_sequences_read_the_same(tmp_path):
    """pydicom keeps a defined-length sequence raw; so does the fast header reader."""
    ds = make_ct_rdsr(PatientSpec("SEQ8", "SEQ^EIGHT"))
    for item in ds.ContentSequence:  # defined lengths all the way down
        item.is_undefined_length_sequence_item = False
    ds["ContentSequence"].is_undefined_length = False
    data = _encode(ds, tmp_path, "defined.dcm")
    assert b"\xfe\xff\xdd\xe0" not in data  # no sequence delimiter: every length is defined
    _compare(data)


@pytest.mark.parametrize("cut", [40, 200, 1000])
def test_damaged_sequence_steps_aside(tmp_path, cut):
    """A sequence cut short or scrambled: the fast reader gives what pydicom gives (or raises what it raises)."""
    data = _encode(make_ct_rdsr(PatientSpec("SEQ9", "SEQ^NINE")), tmp_path, "r.dcm")
    fast, _rejection = parse_bytes("x", data)
    elem = fast._dict[next(t for t in fast._dict if int(t) == CONTENT)]
    value = bytearray(elem.value)
    value[cut:cut + 8] = b"\x01\x02\x03\x04\xff\xff\xff\x7f"  # garbage where an element header was
    fast._dict[elem.tag] = type(elem)(*(tuple(elem)[:3] + (bytes(value),) + tuple(elem)[4:]))
    other, _ = parse_bytes("x", data)
    other._dict[elem.tag] = fast._dict[elem.tag]
    try:
        expected = other[CONTENT].value
    except Exception as exc:  # noqa: BLE001 - pydicom's own failure
        with pytest.raises(type(exc)):
            sequence_items.items(fast, CONTENT)
        return
    got = sequence_items.items(fast, CONTENT)
    assert _tree(got, "slow") == _tree(expected, "slow")


def test_every_corpus_report_reads_the_same(openrem_dir):
    compared = 0
    for path in sorted(Path(openrem_dir).rglob("*")):
        if not path.is_file() or path.stat().st_size > 4 << 20:  # reports are small; skip the big images
            continue
        data = path.read_bytes()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True, force=True)
            except Exception:  # noqa: BLE001 - not DICOM
                continue
        if CONTENT not in ds:
            continue
        _compare(data)
        compared += 1
    assert compared >= 25  # the corpus holds 29 files with a content tree


def test_the_fast_reader_is_used_for_reports(tmp_path):
    """The sequence comes back converted by the fast reader (not left to pydicom)."""
    data = _encode(make_ct_rdsr(PatientSpec("SEQ10", "SEQ^TEN")), tmp_path, "r.dcm")
    fast, _ = parse_bytes("x", data)
    called = []
    original = sequence_items._read_sequence

    def spy(*args, **kwargs):
        called.append(1)
        return original(*args, **kwargs)

    sequence_items._read_sequence = spy
    try:
        assert sequence_items.items(fast, CONTENT)
    finally:
        sequence_items._read_sequence = original
    assert called


def test_code_items_are_read_once_per_encoding(tmp_path):
    """Code items repeat from report to report: the same bytes under the same character set
    give the same (read-only) data set; another character set gives its own."""
    first = _encode(make_ct_rdsr(PatientSpec("SEQ11", "SEQ^ELEVEN")), tmp_path, "a.dcm")
    second = _encode(make_ct_rdsr(PatientSpec("SEQ12", "SEQ^TWELVE")), tmp_path, "b.dcm")
    latin = make_ct_rdsr(PatientSpec("SEQ13", "SEQ^THIRTEEN"))
    latin.SpecificCharacterSet = "ISO_IR 100"
    third = _encode(latin, tmp_path, "c.dcm")

    def concept_items(data):
        ds, _ = parse_bytes("x", data)
        return [sequence_items.items(item, 0x0040A043)[0] for item in sequence_items.items(ds, CONTENT)]

    a, b, c = concept_items(first), concept_items(second), concept_items(third)
    assert [x is y for x, y in zip(a, b)] == [True] * len(a)
    assert not any(x is y for x, y in zip(a, c))
    assert [x.CodeValue for x in a] == [x.CodeValue for x in c]
    _compare(first)
    _compare(third)
