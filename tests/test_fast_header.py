"""The import's fast header reader builds what pydicom's dcmread builds, or steps aside.

Every comparison is element by element against ``pydicom.dcmread(stop_before_pixels=True)``
on the same bytes: raw elements (tag, VR, length, value bytes, offsets, encoding), the
converted value of every element, the data set's and file meta's attributes, the
position where reading stopped.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import pydicom
import pydicom.data
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence
from pydicom.uid import DeflatedExplicitVRLittleEndian

from dosetrail.core.importer import fast_header
from dosetrail.core.importer.fast_header import NeedMore, read_header
from dosetrail.core.importer.parse import describe, parse_bytes, parse_path
from pydicom.uid import ExplicitVRBigEndian, ImplicitVRLittleEndian
from synth import (PatientSpec, make_ct_rdsr, make_ct_series,
                   make_mr_series, make_pt_series, write_dataset)

PYDICOM_FILES = Path(pydicom.data.__file__).parent / "test_files"
_ATTRS_NOT_COMPARED = {"_dict", "file_meta", "buffer", "filename", "fileobj_type", "timestamp"}


def _elements(ds: Dataset) -> list:
    out = []
    for tag in list(ds._dict):
        # dcmread converts the character set, some file meta and undefined-length sequences
        # while reading (the fast reader keeps those sequences raw): compare what they convert to
        try:
            converted = ds[tag]
        except Exception as exc:  # noqa: BLE001 - a damaged value both readers keep raw fails the same way
            out.append((int(tag), "unreadable", type(exc).__name__))
            continue
        out.append((int(tag), converted.VR, converted.is_undefined_length, repr(converted.value)))
    return out


def _raw_elements(ds: Dataset) -> dict:
    return {int(t): tuple(e) for t, e in ds._dict.items() if type(e).__name__ == "RawDataElement"}


def _attrs(ds: Dataset) -> dict:
    return {k: v for k, v in ds.__dict__.items() if k not in _ATTRS_NOT_COMPARED}


def differences(data: bytes) -> list[str] | None:
    """None when the fast reader steps aside; else what differs from dcmread (empty: nothing)."""
    result = read_header(data, len(data))
    if result is None:
        return None
    fast, pos = result
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fh = io.BytesIO(data)
        ref = pydicom.dcmread(fh, stop_before_pixels=True)
    problems = []
    attrs = (_attrs(fast), _attrs(ref), _attrs(fast.file_meta), _attrs(ref.file_meta))  # before any access
    raw_ref = _raw_elements(ref)  # before _elements converts them
    raw_fast = _raw_elements(fast)
    if any(raw_ref[t] != e for t, e in raw_fast.items() if t in raw_ref):
        problems.append("raw elements")
    # raw here, converted by dcmread: the character set, and undefined-length sequences
    # (kept raw by the fast reader, parsed on first access)
    if any(t != 0x00080005 and not (e[1] == "SQ" and e[2] == 0xFFFFFFFF)
           for t, e in raw_fast.items() if t not in raw_ref):
        problems.append("raw where dcmread converted")
    if any(t not in raw_fast for t in raw_ref):
        problems.append("converted where dcmread kept raw")
    if _elements(fast) != _elements(ref):
        problems.append("elements")
    if _elements(fast.file_meta) != _elements(ref.file_meta):
        problems.append("file meta")
    if pos != fh.tell():
        problems.append(f"stopped at {pos}, dcmread at {fh.tell()}")
    if attrs[0] != attrs[1]:
        problems.append(f"attributes {attrs[0]} != {attrs[1]}")
    if attrs[2] != attrs[3]:
        problems.append("file meta attributes")
    if fast.original_encoding != ref.original_encoding or fast._character_set != ref._character_set:
        problems.append("encoding")
    return problems


def _bytes(ds: Dataset) -> bytes:
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


JANE = PatientSpec(patient_id="J1", name="DOE^JANE", birth_date="19700131", sex="F")


def test_pydicom_test_files_read_the_same_or_go_to_dcmread():
    fast = set()
    for path in sorted(p for p in PYDICOM_FILES.rglob("*") if p.is_file()):
        diff = differences(path.read_bytes())
        assert not diff, f"{path.name}: {diff}"
        if diff is not None:
            fast.add(path.relative_to(PYDICOM_FILES).as_posix())
    # explicit and implicit VR, undefined-length and UN sequences, private sequences, SR, a DICOMDIR,
    # encapsulated pixel data, a file cut inside its pixel data (refused later, by the pixel data check)
    assert {"CT_small.dcm", "MR_small_implicit.dcm", "rtplan.dcm", "UN_sequence.dcm", "priv_SQ.dcm",
            "test-SR.dcm", "dicomdirtests/DICOMDIR", "JPEG2000.dcm", "MR_truncated.dcm"} <= fast
    assert len(fast) > 100
    # big endian, deflated, no file meta, a missing transfer syntax: dcmread's business
    assert not fast & {"MR_small_bigendian.dcm", "image_dfl.dcm", "no_meta.dcm", "meta_missing_tsyntax.dcm",
                       "rtplan_truncated.dcm"}


def test_openrem_corpus_reads_the_same(openrem_dir):
    names = []
    for path in sorted(p for p in openrem_dir.rglob("*") if p.is_file()):
        diff = differences(path.read_bytes())
        assert not diff, f"{path.name}: {diff}"
        if diff is not None:
            names.append(path.name)
    assert len(names) >= 38  # of 42 vendors' RDSRs and images
    undefined = [n for n in names if any(
        getattr(e, "length", None) == 0xFFFFFFFF for e in read_header(*_whole(openrem_dir / n))[0]._dict.values())]
    # real devices write undefined-length sequences: found by walking their items, kept raw,
    # and (compared above) converted to what dcmread reads
    assert len(undefined) >= 3


def _whole(path: Path) -> tuple[bytes, int]:
    data = path.read_bytes()
    return data, len(data)


@pytest.mark.parametrize("syntax", [None, ImplicitVRLittleEndian])
def test_synthetic_studies_read_the_same(syntax):
    kwargs = {"transfer_syntax": syntax} if syntax else {}
    datasets = (make_ct_series(JANE, n_slices=2, ctdivol=8.0, **kwargs)
                + make_mr_series(JANE, n_slices=1) + make_pt_series(JANE, n_slices=1, activity_bq=3.7e8))
    rdsr = make_ct_rdsr(JANE, implicit=syntax is not None)
    nested = _all_undefined(make_ct_rdsr(JANE, implicit=syntax is not None))  # items in items, undefined lengths
    for ds in datasets + [rdsr, nested]:
        assert differences(_bytes(ds)) == [], ds.SOPClassUID


def test_undefined_length_sequences_and_other_character_sets():
    (ds,) = make_ct_series(PatientSpec(patient_id="K", name="Yamada^Tarou=山田^太郎", birth_date="19600101",
                                       sex="M"), n_slices=1, ctdivol=5.0)
    ds.SpecificCharacterSet = ["ISO 2022 IR 6", "ISO 2022 IR 87"]
    item = Dataset()
    item.ReferencedSOPClassUID = ds.SOPClassUID
    item.ReferencedSOPInstanceUID = ds.SOPInstanceUID
    item.PatientName = "Yamada^Tarou=山田^太郎"  # decoded with the character set of the data set around it
    ds.ReferencedImageSequence = Sequence([item])
    ds["ReferencedImageSequence"].is_undefined_length = True
    ds.ReferencedImageSequence.is_undefined_length = True
    data = _bytes(ds)
    assert b"\xfe\xff\xdd\xe0" in data  # a sequence delimiter: the sequence really is undefined length
    assert differences(data) == []
    fast, _pos = read_header(data, len(data))
    assert fast.ReferencedImageSequence[0].ReferencedSOPInstanceUID == ds.SOPInstanceUID
    assert fast.ReferencedImageSequence[0].PatientName == "Yamada^Tarou=山田^太郎"


def test_implicit_vr_items_in_an_explicit_data_set():
    # some writers encode sequence items in implicit VR inside an explicit VR data set;
    # pydicom reads such an item as implicit, and so does the item walk
    (ds,) = make_ct_series(JANE, n_slices=1, ctdivol=5.0)
    data = _bytes(ds)
    fast, _pos = read_header(data, len(data))
    after = next(e for t, e in fast._dict.items() if t > 0x00081140)
    at = after.value_tell - (12 if after.VR in ("OB", "OW", "SQ", "UN", "UT", "UC", "UR") else 8)
    item = b"\x08\x00\x55\x11" + (6).to_bytes(4, "little") + b"1.2.3\0"  # (0008,1155) UI, implicit
    sequence = (b"\x08\x00\x40\x11SQ\0\0\xff\xff\xff\xff" + b"\xfe\xff\x00\xe0\xff\xff\xff\xff" + item
                + b"\xfe\xff\x0d\xe0\0\0\0\0" + b"\xfe\xff\xdd\xe0\0\0\0\0")
    data = data[:at] + sequence + data[at:]
    assert differences(data) == []
    fast, _pos = read_header(data, len(data))
    assert type(fast._dict[0x00081140]).__name__ == "RawDataElement"  # walked, not parsed
    assert fast.ReferencedImageSequence[0].ReferencedSOPInstanceUID == "1.2.3"


def test_sequences_the_walk_cannot_follow_are_read_by_pydicom():
    # an icon image with encapsulated (undefined-length) pixel data inside an undefined-length
    # sequence: the item walk stops there and pydicom's sequence reader parses that sequence
    (ds,) = make_ct_series(JANE, n_slices=1, ctdivol=5.0)
    icon = Dataset()
    icon.Rows, icon.Columns, icon.BitsAllocated, icon.SamplesPerPixel = 4, 4, 8, 1
    icon.PixelData = encapsulate([b"\x01" * 16])
    icon["PixelData"].VR = "OB"
    icon["PixelData"].is_undefined_length = True
    ds.IconImageSequence = Sequence([icon])
    ds["IconImageSequence"].is_undefined_length = True
    ds.IconImageSequence.is_undefined_length = True
    item = Dataset()
    item.ReferencedSOPInstanceUID = ds.SOPInstanceUID
    ds.ReferencedImageSequence = Sequence([item])
    ds["ReferencedImageSequence"].is_undefined_length = True
    ds.ReferencedImageSequence.is_undefined_length = True
    data = _bytes(ds)
    assert differences(data) == []
    fast, _pos = read_header(data, len(data))
    assert type(fast._dict[0x00880200]).__name__ == "DataElement"  # parsed by read_sequence
    assert type(fast._dict[0x00081140]).__name__ == "RawDataElement"  # walked, kept raw
    assert fast.IconImageSequence[0].Rows == 4


@pytest.mark.parametrize("change", ["big endian", "deflated", "no preamble", "cut header", "cut value",
                                    "unknown VR", "top-level item delimiter"])
def test_anything_else_goes_to_dcmread(change, tmp_path):
    syntax = {"big endian": ExplicitVRBigEndian, "top-level item delimiter": ImplicitVRLittleEndian}.get(change)
    (ds,) = make_ct_series(JANE, n_slices=1, ctdivol=5.0, **({"transfer_syntax": syntax} if syntax else {}))
    if change == "deflated":
        ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    data = _bytes(ds)
    pixel = data.find(b"\xe0\x7f\x10\x00")
    if change == "no preamble":
        data = data[132:]
    elif change == "cut header":
        data = data[:pixel - 3]
    elif change == "cut value":
        data = data[:pixel - 30]
    elif change == "top-level item delimiter":  # dcmread ends the data set there
        data = data[:pixel] + b"\xfe\xff\x0d\xe0\x00\x00\x00\x00" + data[pixel:]
    elif change == "unknown VR":
        at = data.index(b"\x08\x00\x60\x00CS")  # Modality
        data = data[:at + 4] + b"ZZ" + data[at + 6:]
    assert read_header(data, len(data)) is None


def test_a_header_longer_than_the_first_read_is_read_whole(tmp_path):
    (ds,) = make_ct_series(JANE, n_slices=1, ctdivol=5.0)
    ds.add_new(0x00091010, "LO", "DOSETRAIL")  # private creator
    ds.add_new(0x00091011, "OB", b"\x01" * 100_000)  # a long private value before the pixel data
    path = write_dataset(ds, tmp_path / "long.dcm")
    data = path.read_bytes()
    with pytest.raises(NeedMore):
        read_header(data[:32768], len(data))
    parsed, rejection, _size = parse_path("long.dcm", str(path))
    assert rejection is None
    assert parsed[0x00091011].value == b"\x01" * 100_000
    assert differences(data) == []


def test_import_describes_files_the_same_either_way(tmp_path, monkeypatch, openrem_dir):
    paths = [write_dataset(d, tmp_path / f"{i}.dcm") for i, d in enumerate(
        make_ct_series(JANE, n_slices=2, ctdivol=8.0) + [make_ct_rdsr(JANE)])]
    # the corpus but its multi-megabyte multi-frame files (compared element by element above)
    paths += sorted(p for p in openrem_dir.rglob("*") if p.is_file() and p.stat().st_size < 1_000_000)

    def records():
        out = []
        for path in paths:
            ds, rejection, _size = parse_path(path.name, str(path))
            ds2, rejection2 = parse_bytes(path.name, path.read_bytes())
            assert (rejection is None) == (rejection2 is None)
            out.append(rejection.reason if ds is None else describe(ds, path.name))
            out.append(rejection2.reason if ds2 is None else describe(ds2, path.name))
        return out

    fast = records()
    monkeypatch.setattr(fast_header, "_SUPPORTED", False)  # every file through dcmread
    assert records() == fast


@pytest.mark.parametrize("reader", ["fast", "dcmread"])
def test_same_name_bytes_in_other_character_sets_are_other_names(reader, monkeypatch):
    # names are converted once per distinct raw value: the character set is part of that value
    monkeypatch.setattr(fast_header, "_SUPPORTED", reader == "fast")
    names = []
    for charset in ("ISO_IR 100", "ISO_IR 144"):
        (ds,) = make_ct_series(JANE, n_slices=1, ctdivol=1.0)
        ds.SpecificCharacterSet = charset
        ds["PatientName"].value = b"\xc4\xe5^\xe8"  # Latin-1: Äå^è; Cyrillic: Фх^ш
        parsed, _rejection = parse_bytes("x.dcm", _bytes(ds))
        names.append(describe(parsed, "x.dcm").patient.name)
    assert names == ["Äå^è", "Фх^ш"]


def _fuzz_sources() -> list[bytes]:
    (ct,) = make_ct_series(JANE, n_slices=1, ctdivol=5.0)
    item = Dataset()
    item.ReferencedSOPInstanceUID = ct.SOPInstanceUID
    ct.ReferencedImageSequence = Sequence([item])
    ct["ReferencedImageSequence"].is_undefined_length = True
    ct.ReferencedImageSequence.is_undefined_length = True
    (implicit,) = make_ct_series(JANE, n_slices=1, ctdivol=5.0, transfer_syntax=ImplicitVRLittleEndian)
    return [_bytes(ct), _bytes(implicit), _bytes(make_ct_rdsr(JANE)), _bytes(_all_undefined(make_ct_rdsr(JANE))),
            _bytes(_all_undefined(make_ct_rdsr(JANE, implicit=True)))]


def _all_undefined(ds: Dataset) -> Dataset:
    """Every sequence and every item of ``ds`` written with undefined length (as many devices do)."""
    for elem in ds:
        if elem.VR == "SQ":
            elem.is_undefined_length = True
            elem.value.is_undefined_length = True
            for item in elem.value:
                item.is_undefined_length_sequence_item = True
                _all_undefined(item)
    return ds


_FUZZ = _fuzz_sources()


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, len(_FUZZ) - 1), edits=st.lists(
    st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.one_of(st.none(), st.floats(0, 1)))
def test_damaged_headers_read_the_same_or_go_to_dcmread(which, edits, cut):
    # bytes changed anywhere in the header (lengths, VRs, tags, values), or the file cut short:
    # the fast reader never raises, and what it returns is what dcmread returns
    data = bytearray(_FUZZ[which])
    end = len(data) if _FUZZ[which].find(b"\xe0\x7f\x10\x00") < 0 else _FUZZ[which].find(b"\xe0\x7f\x10\x00")
    for where, value in edits:
        data[132 + int(where * (end - 132))] = value
    if cut is not None:
        data = data[:int(cut * len(data))]
    data = bytes(data)
    try:
        result = read_header(data, len(data))
    except NeedMore:  # only for a buffer shorter than the file
        raise AssertionError("NeedMore for a whole file") from None
    if result is None:
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
    except Exception:  # noqa: BLE001
        raise AssertionError("the fast reader accepted bytes dcmread refuses") from None
    assert differences(data) == []
