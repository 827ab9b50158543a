"""Turn one file's bytes (or path) into a :class:`ParsedInstance` or a :class:`Rejection`.

Runs in worker processes. Header-only: pixel data is never decoded, only its
length is checked so that truncated files are refused.
"""
from __future__ import annotations

import io
import os
import struct
import zlib
from typing import Any

import pydicom
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from ..reading import raw_values as fast
from ..dicom.dates import date_warning, iso_date, iso_time
from ..model.import_records import ParsedInstance, PatientInfo, Rejection, RejectionCode

MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"
IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_BE = "1.2.840.10008.1.2.2"
DEFLATED_EXPLICIT_LE = "1.2.840.10008.1.2.1.99"
_SEQ_DELIMITER_LE = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
_UNDEFINED = 0xFFFFFFFF
# VRs pixel data can carry; in explicit VR they are followed by two zero bytes and a 4-byte length
_PIXEL_VRS = frozenset((b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"UN"))
# explicit VRs with a 2-byte length (PS3.5 7.1.2)
_SHORT_LENGTH_VRS = frozenset((
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"PN",
    b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US",
))

_KEYWORDS = (
    "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientSex", "ContentDate", "AcquisitionDate",
    "ContentTime", "AcquisitionTime", "Modality", "StudyDate", "SeriesDate", "StudyTime", "StudyDescription",
    "AccessionNumber", "InstitutionName", "PatientAge", "PatientWeight", "PatientSize", "SeriesNumber",
    "SeriesDescription", "BodyPartExamined", "ProtocolName", "Manufacturer", "ManufacturerModelName",
    "StationName", "InstanceNumber", "ImageType", "PresentationIntentType", "NumberOfFrames", "Rows", "Columns",
    "SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID",
)
_TAGS = {kw: tag_for_keyword(kw) for kw in _KEYWORDS}
_ROWS, _COLUMNS, _PIXEL_DATA = 0x00280010, 0x00280011, 0x7FE00010
_SAMPLES_PER_PIXEL, _PHOTOMETRIC, _NUMBER_OF_FRAMES, _BITS_ALLOCATED = 0x00280002, 0x00280004, 0x00280008, 0x00280100
_CONTENT_SEQUENCE = 0x0040A730
_ITEM_LE = b"\xfe\xff\x00\xe0"
SR_STORAGE_PREFIX = "1.2.840.10008.5.1.4.1.1.88."  # every structured report SOP class (dose SRs included)
# X-Ray, Radiopharmaceutical, Patient and Enhanced X-Ray Radiation Dose SR Storage
DOSE_SR_CLASSES = frozenset(SR_STORAGE_PREFIX + n for n in ("67", "68", "73", "76"))
# X-Ray / Radiopharmaceutical Radiation Dose Report (DCM 113701 / 113500): the document title
DOSE_REPORT_TITLES = frozenset(("113701", "113500"))
_CONCEPT_NAME_CODE_SEQUENCE, _CODE_VALUE = 0x0040A043, 0x00080100


def has_dicm_marker(head: bytes) -> bool:
    return len(head) >= 132 and head[128:132] == b"DICM"


def parse_bytes(label: str, data: bytes) -> tuple[Dataset | None, Rejection | None]:
    """Parse a file's header from memory; returns (dataset, None) or (None, rejection)."""
    return _parse(label, io.BytesIO(data), len(data), lambda: data[-1024:], data)


def parse_path(label: str, path: str) -> tuple[Dataset | None, Rejection | None, int]:
    """Parse a file's header in place (``--link``): reads up to the pixel data only.

    Returns (dataset, None, size) or (None, rejection, size).
    """
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size

        def tail() -> bytes:
            fh.seek(max(0, size - 1024))
            return fh.read()

        return (*_parse(label, fh, size, tail), size)


def _parse(label: str, fh: Any, size: int, tail,
           data: bytes | None = None) -> tuple[Dataset | None, Rejection | None]:
    head = fh.read(132)
    fh.seek(0)
    if size == 0:
        return None, Rejection(label, "empty file (not DICOM)", kind="skipped")
    part10 = has_dicm_marker(head)
    fast = _fast_read(fh, size, data) if part10 else None
    if fast is not None:
        ds, pixel_pos = fast
    else:
        ds, rejection = _dcmread(label, fh, part10)
        if ds is None:
            return None, rejection
        pixel_pos = fh.tell()
    return _check(label, ds, fh, pixel_pos, part10, size, tail)


FAST_CHUNK = 32768  # first read of a file in --link mode: most headers end well before
FAST_LIMIT = 8 << 20  # a header longer than this (a huge private or document value) goes to dcmread
DEFER_SIZE = 1 << 20  # dcmread on a file leaves values bigger than this on disk (read if ever used)


def _fast_read(fh: Any, size: int, data: bytes | None):
    """(dataset, pixel data position) from :mod:`.fast_header`, or None (use dcmread).

    ``data`` is the whole file when it is already in memory (copy mode, archives).
    """
    from .fast_header import NeedMore, read_header

    if data is not None:
        buf = data  # no copy (BytesIO.getvalue() would copy the whole file)
    else:
        fh.seek(0)
        buf = fh.read(FAST_CHUNK)
    while True:
        try:
            result = read_header(buf, size)
            break
        except NeedMore:
            if len(buf) >= FAST_LIMIT:  # the header alone would cost its size in memory, twice
                result = None
                break
            more = fh.read(max(len(buf), FAST_CHUNK))
            if not more:
                result = None
                break
            buf += more
    fh.seek(0)
    return result


def _dcmread(label: str, fh: Any, part10: bool) -> tuple[Dataset | None, Rejection | None]:
    # a file on disk: big values stay there (pydicom reads one again by name if it is ever used)
    defer = DEFER_SIZE if isinstance(getattr(fh, "name", None), str) else None
    try:
        return pydicom.dcmread(fh, stop_before_pixels=True, force=not part10, defer_size=defer), None
    except zlib.error as exc:  # deflated data set: the compressed stream is cut short or damaged
        if part10:
            return None, Rejection(
                label, f"truncated file: the deflate-compressed data set is cut short or corrupt ({_short(exc)})",
                code=RejectionCode.UNREADABLE)
        return None, Rejection(label, "not a DICOM file", kind="skipped")
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError, struct.error, TypeError, AttributeError, IndexError, NotImplementedError) as exc:
        if part10:
            return None, Rejection(label, f"unreadable DICOM file (truncated or corrupt header): {_short(exc)}",
                                   code=RejectionCode.UNREADABLE)
        return None, Rejection(label, "not a DICOM file", kind="skipped")
    except Exception as exc:  # noqa: BLE001 - pydicom raises many kinds on garbage
        if part10:
            return None, Rejection(label, f"unreadable DICOM file: {_short(exc)}", code=RejectionCode.UNREADABLE)
        return None, Rejection(label, "not a DICOM file", kind="skipped")


def _check(label: str, ds: Dataset, fh: Any, pixel_pos: int, part10: bool, size: int,
           tail) -> tuple[Dataset | None, Rejection | None]:
    """Refuse a parsed header without the UIDs the library needs, or with a cut header or pixel data."""
    try:
        sop_class = _text(ds, "SOPClassUID") or str(ds.file_meta.get("MediaStorageSOPClassUID", "") or "").strip()
        sop_inst = _text(ds, "SOPInstanceUID") or ""
    except Exception:  # noqa: BLE001
        sop_class = sop_inst = ""
    if not part10 and not (sop_class and sop_inst):
        # a file without preamble is accepted only when it parses and carries both UIDs
        return None, Rejection(label, "not a DICOM file", kind="skipped")
    if sop_class == MEDIA_STORAGE_DIRECTORY:
        return None, Rejection(label, "DICOMDIR (media index; the files it lists are imported)", kind="skipped",
                               code=RejectionCode.DICOMDIR)
    # offsets below are in the stream pydicom parsed (the inflated copy for a deflated file)
    stream, pos, stream_size, stream_tail = _parsed_stream(ds, fh, pixel_pos, size, tail)
    raw = _last_raw(ds)
    if stream is not None and _header_cut(raw, pos, stream_size):
        # before the UID checks: a cut header is missing whatever came after the cut
        return None, Rejection(label, "truncated file: the file ends inside a header element", code=RejectionCode.UNREADABLE)
    if not sop_inst:
        return None, Rejection(label, "DICOM file without SOP Instance UID (incomplete header)",
                               code=RejectionCode.INCOMPLETE)
    if not sop_class:
        return None, Rejection(label, "DICOM file without SOP Class UID", code=RejectionCode.INCOMPLETE)
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID"):
        if not _text(ds, keyword):
            return None, Rejection(label, f"DICOM file without {keyword}: cannot be placed in a study",
                                   code=RejectionCode.INCOMPLETE)
    problem = _pixel_data_problem(ds, stream, pos, stream_size, stream_tail, raw) if stream is not None else None
    if problem:
        return None, Rejection(label, problem, code=RejectionCode.UNREADABLE)
    if sop_class.startswith(SR_STORAGE_PREFIX) and _CONTENT_SEQUENCE not in ds and _dose_report(ds, sop_class):
        # the content tree is the SR's last top-level element: a dose report cut at an element
        # boundary before it parses cleanly and would be imported without its dose data
        return None, Rejection(label, "truncated file: the dose report ends before its content tree",
                               code=RejectionCode.UNREADABLE)
    return ds, None


def _dose_report(ds: Dataset, sop_class: str) -> bool:
    """A radiation dose SR, by its SOP class or its document title (CT dose reports in generic SRs)."""
    if sop_class in DOSE_SR_CLASSES:
        return True
    try:
        title = fast.sequence(ds, _CONCEPT_NAME_CODE_SEQUENCE) or []
        code = fast.text(title[0], _CODE_VALUE) if len(title) else None
    except Exception:  # noqa: BLE001 - an unreadable title: not known to be a dose report
        return False
    return code in DOSE_REPORT_TITLES


def _parsed_stream(ds: Dataset, fh: Any, pos: int, size: int, tail):
    """(stream, position, size, tail) of the bytes pydicom parsed the data set from.

    That is the file, except for a deflated data set: pydicom inflates it into a
    buffer it keeps (``ds.buffer``) and every offset it records is in that buffer.
    ``zlib`` refuses a cut deflate stream, so for such a file only the inflated data
    set is left to check, and it is already in memory (no read of the file).
    The stream is None when the inflated buffer is not available.
    """
    meta = getattr(ds, "file_meta", None)
    ts = _syntax(meta)
    if ts != DEFLATED_EXPLICIT_LE:
        return fh, pos, size, tail
    src = getattr(ds, "buffer", None)
    if src is None or src is fh or not hasattr(src, "seek"):
        return None, pos, size, tail
    pos = src.tell()
    size = src.seek(0, os.SEEK_END)
    src.seek(pos)

    def inflated_tail() -> bytes:
        src.seek(max(0, size - 1024))
        return src.read()

    return src, pos, size, inflated_tail


def _header_cut(raw, pos: int, size: int) -> bool:
    """Whether the stream ends inside the last element read (``raw``) or inside the next header.

    pydicom stops quietly at the end of the stream: it either keeps a value shorter than
    its declared length, or it consumes the few bytes of an element header it cannot complete.
    """
    end = _element_end(raw)
    if end is None:
        return False
    return end > size or (pos >= size and end < size)


def _pixel_data_problem(ds: Dataset, fh: Any, pos: int, size: int, tail, raw) -> str | None:
    """Return a reason when the pixel data is missing or cut short, else None.

    ``fh``, ``pos``, ``size`` and ``tail`` describe the stream pydicom parsed (see
    :func:`_parsed_stream`), ``pos`` being where it stopped; ``raw`` is the last
    element it read. Reads at most the 12 bytes of the pixel data element header
    (and the last 1 KiB when its length is undefined).
    """
    if pos >= size:
        if _ROWS in ds and _COLUMNS in ds and _PIXEL_DATA not in ds:
            ds.__dict__.setdefault("_dosetrail_warnings", []).append(
                "image without pixel data (header only): dose fields are read, nothing can be shown")
        return None
    if _ROWS not in ds or _COLUMNS not in ds:
        return None  # not an image (SR, KO, ...): nothing else to check
    fh.seek(pos)
    head = fh.read(12)
    if len(head) < 8:
        return "truncated file: pixel data header cut short"
    implicit, little = _encoding(ds, raw)
    tag = struct.unpack("<HH" if little else ">HH", head[:4])
    if tag not in ((0x7FE0, 0x0010), (0x7FE0, 0x0008), (0x7FE0, 0x0009)):
        return None  # something else follows the header; nothing to check
    # pydicom picks implicit or explicit VR from what the data looks like, not only
    # from the transfer syntax (files written as implicit VR under an explicit
    # syntax are common): decide the same way from the bytes themselves
    if implicit:
        implicit = not (head[4:6] in _PIXEL_VRS and head[6:8] == b"\0\0")
    else:
        implicit = not _is_vr(head[4:6])
    if implicit:
        length = struct.unpack("<I" if little else ">I", head[4:8])[0]
        start = pos + 8
    else:
        if len(head) < 12:
            return "truncated file: pixel data header cut short"
        if head[4:6] in _SHORT_LENGTH_VRS:  # not a pixel data VR, but keep the offsets right
            length = struct.unpack("<H" if little else ">H", head[6:8])[0]
            start = pos + 8
        else:
            length = struct.unpack("<I" if little else ">I", head[8:12])[0]
            start = pos + 12
    if length == _UNDEFINED:
        if not little:  # encapsulated pixel data is always little endian: look for the delimiter
            closed = _SEQ_DELIMITER_LE in tail()
        else:
            closed = _items_closed(fh, start, size)
        return None if closed else "truncated file: compressed pixel data has no end (sequence delimiter missing)"
    if start + length > size:
        return f"truncated file: pixel data declares {length} bytes, only {max(0, size - start)} present"
    if tag == (0x7FE0, 0x0010):
        needed = _native_pixel_bytes(ds)
        if needed is not None and length < needed:
            return (f"truncated file: pixel data holds {length} bytes, its image size "
                    f"(rows x columns x frames x samples x bits) needs {needed}")
    return None


def _items_closed(fh: Any, pos: int, size: int) -> bool:
    """Whether the items of encapsulated pixel data starting at ``pos`` end with the sequence delimiter.

    Walks the item headers (8 bytes each, one read per fragment); the fragments are skipped.
    """
    while pos + 8 <= size:
        fh.seek(pos)
        head = fh.read(8)
        if len(head) < 8:
            return False
        if head == _SEQ_DELIMITER_LE:
            return True
        if head[:4] != _ITEM_LE:
            return False
        pos += 8 + struct.unpack("<I", head[4:])[0]
    return False


def _native_pixel_bytes(ds: Dataset) -> int | None:
    """Bytes native pixel data needs: rows x columns x frames x samples x bits allocated (None when unknown)."""
    rows, columns, bits = fast.integer(ds, _ROWS), fast.integer(ds, _COLUMNS), fast.integer(ds, _BITS_ALLOCATED)
    if not rows or not columns or not bits or rows < 0 or columns < 0 or bits < 0:
        return None
    frames = fast.integer(ds, _NUMBER_OF_FRAMES) or 1
    samples = fast.integer(ds, _SAMPLES_PER_PIXEL) or 1
    photometric = (fast.text(ds, _PHOTOMETRIC) or "").upper()
    if photometric.startswith("YBR_") and photometric.endswith("_422") and samples == 3:
        samples = 2  # two chroma samples shared by two pixels
    return (rows * columns * max(frames, 1) * max(samples, 1) * bits + 7) // 8


def _last_raw(ds: Dataset):
    """The last top-level element read (elements are stored in file order), or None."""
    store = getattr(ds, "_dict", None)
    try:
        return store[next(reversed(store))] if store else ds.get_item(max(ds.keys()))
    except (ValueError, KeyError, StopIteration, TypeError):
        return None


def _element_end(raw) -> int | None:
    """Stream offset where an element's value ends (None when unknown)."""
    tell = getattr(raw, "value_tell", None)
    length = getattr(raw, "length", None)
    if tell is None or length is None or length == _UNDEFINED:
        return None
    return tell + length


def _encoding(ds: Dataset, raw) -> tuple[bool, bool]:
    """(implicit VR, little endian) as pydicom actually read the data set."""
    implicit = getattr(raw, "is_implicit_VR", None)
    little = getattr(raw, "is_little_endian", None)
    if implicit is not None and little is not None:
        return bool(implicit), bool(little)
    meta = getattr(ds, "file_meta", None)
    ts = _syntax(meta)
    if ts:
        return ts == IMPLICIT_LE, ts != EXPLICIT_BE
    original = getattr(ds, "original_encoding", None)
    if original and None not in original[:2]:
        return bool(original[0]), bool(original[1])
    return True, True


_TRANSFER_SYNTAX = 0x00020010


def _syntax(meta) -> str:
    """The file meta's Transfer Syntax UID ("" when absent)."""
    return (fast.text(meta, _TRANSFER_SYNTAX) or "") if meta is not None else ""


def _is_vr(code: bytes) -> bool:
    return len(code) == 2 and 0x41 <= code[0] <= 0x5A and 0x41 <= code[1] <= 0x5A


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _text(ds: Dataset, keyword: str) -> str | None:
    return fast.text(ds, _TAGS[keyword])


def _int(ds: Dataset, keyword: str) -> int | None:
    return fast.integer(ds, _TAGS[keyword])


def _float(ds: Dataset, keyword: str) -> float | None:
    return fast.number(ds, _TAGS[keyword])


def _person_name(value) -> str:
    return str(value or "").strip()


def _sex(value: str | None) -> str | None:
    value = (value or "").strip().upper()[:1]
    return value if value in ("M", "F", "O") else None


_DATES = (("birth date", "PatientBirthDate"), ("study date", "StudyDate"), ("series date", "SeriesDate"),
          ("content date", "ContentDate"), ("acquisition date", "AcquisitionDate"))


def describe(ds: Dataset, label: str) -> ParsedInstance:
    """Read the fields the library stores (and the dose record) from a parsed header."""
    meta = getattr(ds, "file_meta", None)
    warnings: list[str] = []
    try:
        name = fast.memo(ds, 0x00100010, _person_name)
    except Exception:  # noqa: BLE001 - character set pydicom cannot decode
        name = ""
        warnings.append("patient name could not be decoded with the file's character set")
    unreadable: set[str] = set()
    for what, keyword in _DATES:  # an impossible date (20230231) is unknown, and said so once
        value = _text(ds, keyword)
        warning = date_warning(what, value)
        if warning and value not in unreadable:
            unreadable.add(value)
            warnings.append(warning)
    patient = PatientInfo(
        patient_id=_text(ds, "PatientID") or "",
        issuer=_text(ds, "IssuerOfPatientID") or "",
        name=name,
        birth_date=iso_date(_text(ds, "PatientBirthDate")),
        sex=_sex(_text(ds, "PatientSex")),
    )
    content_date = _text(ds, "ContentDate") or _text(ds, "AcquisitionDate")
    content_time = _text(ds, "ContentTime") or _text(ds, "AcquisitionTime")
    content_dt = iso_date(content_date)  # no date, no date-time (not "T10:30:00")
    if content_dt and iso_time(content_time):
        content_dt += "T" + iso_time(content_time)
    modality = (_text(ds, "Modality") or "OT").upper()
    rec = ParsedInstance(
        label=label,
        sop_instance_uid=_text(ds, "SOPInstanceUID") or "",
        sop_class_uid=_text(ds, "SOPClassUID") or str((meta.get("MediaStorageSOPClassUID", "") if meta else "")).strip(),
        study_instance_uid=_text(ds, "StudyInstanceUID") or "",
        series_instance_uid=_text(ds, "SeriesInstanceUID") or "",
        modality=modality,
        patient=patient,
        transfer_syntax=_syntax(meta) if meta is not None and fast.present(meta, _TRANSFER_SYNTAX) else None,
        study_date=iso_date(_text(ds, "StudyDate")) or iso_date(_text(ds, "SeriesDate")) or iso_date(content_date),
        study_time=iso_time(_text(ds, "StudyTime")),
        study_description=_text(ds, "StudyDescription"),
        accession_number=_text(ds, "AccessionNumber"),
        institution=_text(ds, "InstitutionName"),
        patient_age=_text(ds, "PatientAge"),
        patient_weight_kg=_float(ds, "PatientWeight"),
        patient_size_m=_float(ds, "PatientSize"),
        series_number=_int(ds, "SeriesNumber"),
        series_description=_text(ds, "SeriesDescription"),
        series_date=iso_date(_text(ds, "SeriesDate")),
        body_part=_text(ds, "BodyPartExamined"),
        protocol_name=_text(ds, "ProtocolName"),
        manufacturer=_text(ds, "Manufacturer"),
        model=_text(ds, "ManufacturerModelName"),
        station=_text(ds, "StationName"),
        instance_number=_int(ds, "InstanceNumber"),
        image_type=_text(ds, "ImageType"),
        presentation_intent=_text(ds, "PresentationIntentType"),
        number_of_frames=_int(ds, "NumberOfFrames"),
        rows=_int(ds, "Rows"),
        columns=_int(ds, "Columns"),
        content_datetime=content_dt,
        warnings=warnings + list(ds.__dict__.get("_dosetrail_warnings", [])),
    )
    rec.dose = _dose(ds, rec)
    if rec.dose:  # a dose report's patient characteristics stand in for empty header fields
        if rec.patient_size_m is None:
            rec.patient_size_m = rec.dose.get("patient_height_m")
        if rec.patient_weight_kg is None:
            rec.patient_weight_kg = rec.dose.get("patient_weight_kg")
    return rec


def _dose(ds: Dataset, rec: ParsedInstance) -> dict | None:
    from ..dose.extract import extract_dose

    try:
        record = extract_dose(ds)
    except Exception as exc:  # noqa: BLE001 - a dose bug must not lose the file
        rec.warnings.append(f"dose data could not be read: {_short(exc)}")
        return None
    return record.to_dict() if record is not None else None
