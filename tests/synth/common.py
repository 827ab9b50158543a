"""Shared building blocks of the synthetic DICOM generator.

Patients, UIDs, file meta, the patient/study/equipment modules and tiny pixel
data. Everything here is test tooling: nothing in ``core/`` or ``gui/`` may
import it.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import count

import numpy as np
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    generate_uid,
)

__all__ = [
    "PatientSpec",
    "new_uid",
    "set_uid_seed",
    "file_dataset",
    "add_patient",
    "add_study",
    "add_series",
    "add_equipment",
    "add_pixels",
    "code_item",
    "ExplicitVRLittleEndian",
    "ImplicitVRLittleEndian",
    "ExplicitVRBigEndian",
]

#: Prefix of every UID the generator makes (pydicom's documented test root).
UID_PREFIX = "1.2.826.0.1.3680043.8.498."


@dataclass
class PatientSpec:
    """Who a synthetic study belongs to.

    Parameters
    ----------
    patient_id : str
        (0010,0020) PatientID.
    name : str
        (0010,0010) PatientName as DICOM PN text, e.g. ``"DOE^JANE"``.
    birth_date : str or None
        (0010,0030) as ``YYYYMMDD``; ``None`` leaves it empty.
    sex : str or None
        (0010,0040) ``"M"``, ``"F"``, ``"O"`` or ``None`` (empty).
    issuer : str or None
        (0010,0021) IssuerOfPatientID, omitted when ``None``.
    specific_character_set : str, list of str or None
        (0008,0005); the name is encoded with it when written, e.g.
        ``"ISO_IR 100"``, ``["", "ISO 2022 IR 87"]`` or ``"ISO_IR 192"``.
    """

    patient_id: str = "PID0001"
    name: str = "DOE^JANE"
    birth_date: str | None = "19700131"
    sex: str | None = "F"
    issuer: str | None = None
    specific_character_set: str | list[str] | None = None


#: Japanese example of DICOM PS3.5 Annex H (ISO 2022 IR 87, ideographic and phonetic groups).
JAPANESE_PATIENT = PatientSpec(
    patient_id="JP0001",
    name="Yamada^Tarou=山田^太郎=やまだ^たろう",
    birth_date="19650402",
    sex="M",
    specific_character_set=["", "ISO 2022 IR 87"],
)

_uid_state: dict[str, object] = {"seed": None, "counter": count()}


def set_uid_seed(seed: str | int | None) -> None:
    """Make every following :func:`new_uid` call reproducible (or random again).

    Parameters
    ----------
    seed : str, int or None
        With a seed, the n-th UID after this call is always the same;
        ``None`` returns to random UIDs.
    """
    _uid_state["seed"] = None if seed is None else str(seed)
    _uid_state["counter"] = count()


def new_uid(*parts: object) -> UID:
    """A new UID under :data:`UID_PREFIX`.

    Parameters
    ----------
    *parts : object
        When given, the UID is derived only from these (deterministic, via
        ``generate_uid(entropy_srcs=...)``). Without parts it is random, or
        reproducible when a seed was set with :func:`set_uid_seed`.

    Returns
    -------
    pydicom.uid.UID
    """
    if parts:
        return generate_uid(UID_PREFIX, entropy_srcs=[str(p) for p in parts])
    seed = _uid_state["seed"]
    if seed is None:
        return generate_uid(UID_PREFIX)
    n = next(_uid_state["counter"])  # type: ignore[call-overload]
    return generate_uid(UID_PREFIX, entropy_srcs=[str(seed), str(n)])


def file_dataset(
    sop_class_uid: str,
    sop_instance_uid: str | None = None,
    *,
    transfer_syntax: str = ExplicitVRLittleEndian,
    specific_character_set: str | list[str] | None = None,
) -> FileDataset:
    """An empty file dataset with a correct file meta group and SOP common module.

    Parameters
    ----------
    sop_class_uid : str
        SOP Class UID, copied into MediaStorageSOPClassUID.
    sop_instance_uid : str or None
        SOP Instance UID (new when ``None``).
    transfer_syntax : str
        Explicit/implicit VR little endian or explicit VR big endian.
    specific_character_set : str, list of str or None
        Set first so that text is encoded with it.

    Returns
    -------
    pydicom.dataset.FileDataset
    """
    sop_instance_uid = sop_instance_uid or new_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class_uid)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance_uid)
    meta.TransferSyntaxUID = UID(transfer_syntax)
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "DOSETRAIL_SYN"
    ts = UID(transfer_syntax)
    ds = FileDataset("", Dataset(), file_meta=meta, preamble=b"\0" * 128,
                     is_implicit_VR=ts.is_implicit_VR, is_little_endian=ts.is_little_endian)
    if specific_character_set:
        ds.SpecificCharacterSet = specific_character_set
    ds.SOPClassUID = sop_class_uid
    ds.SOPInstanceUID = sop_instance_uid
    return ds


def add_patient(ds: Dataset, patient: PatientSpec, *, patient_age: str | None = None) -> None:
    """Fill the patient module (and character set) from a :class:`PatientSpec`.

    Parameters
    ----------
    ds : Dataset
        Modified in place.
    patient : PatientSpec
    patient_age : str or None
        (0010,1010) PatientAge as DICOM AS (``"045Y"``), omitted when ``None``.
    """
    if patient.specific_character_set and "SpecificCharacterSet" not in ds:
        ds.SpecificCharacterSet = patient.specific_character_set
    ds.PatientName = patient.name
    ds.PatientID = patient.patient_id
    if patient.issuer is not None:
        ds.IssuerOfPatientID = patient.issuer
    ds.PatientBirthDate = patient.birth_date or ""
    ds.PatientSex = patient.sex or ""
    if patient_age is not None:
        ds.PatientAge = patient_age


def add_study(
    ds: Dataset,
    *,
    study_uid: str,
    study_date: str,
    study_time: str,
    study_description: str | None,
    accession_number: str = "",
    study_id: str = "1",
    referring: str = "",
) -> None:
    """Fill the general study module.

    Parameters
    ----------
    ds : Dataset
        Modified in place.
    study_uid, study_date, study_time : str
        StudyInstanceUID, StudyDate (``YYYYMMDD``), StudyTime (``HHMMSS``).
    study_description : str or None
        Omitted when ``None``.
    accession_number, study_id, referring : str
        Type 2 attributes (may be empty).
    """
    ds.StudyInstanceUID = study_uid
    ds.StudyDate = study_date
    ds.StudyTime = study_time
    ds.AccessionNumber = accession_number
    ds.StudyID = study_id
    ds.ReferringPhysicianName = referring
    if study_description is not None:
        ds.StudyDescription = study_description


def add_series(
    ds: Dataset,
    *,
    series_uid: str,
    modality: str,
    series_number: int,
    series_description: str | None,
    series_date: str,
    series_time: str,
    body_part: str | None = None,
    protocol_name: str | None = None,
) -> None:
    """Fill the general series module.

    Parameters
    ----------
    ds : Dataset
        Modified in place.
    series_uid, modality : str
    series_number : int
    series_description, body_part, protocol_name : str or None
        Omitted when ``None``.
    series_date, series_time : str
    """
    ds.SeriesInstanceUID = series_uid
    ds.Modality = modality
    ds.SeriesNumber = series_number
    ds.SeriesDate = series_date
    ds.SeriesTime = series_time
    if series_description is not None:
        ds.SeriesDescription = series_description
    if body_part is not None:
        ds.BodyPartExamined = body_part
    if protocol_name is not None:
        ds.ProtocolName = protocol_name


def add_equipment(
    ds: Dataset,
    *,
    institution: str | None,
    manufacturer: str = "SYNTH MEDICAL",
    model: str = "Synth 1",
    station: str = "SYN01",
    serial: str = "0001",
) -> None:
    """Fill the general equipment module.

    Parameters
    ----------
    ds : Dataset
        Modified in place.
    institution : str or None
        InstitutionName, omitted when ``None``.
    manufacturer, model, station, serial : str
    """
    ds.Manufacturer = manufacturer
    ds.ManufacturerModelName = model
    ds.StationName = station
    ds.DeviceSerialNumber = serial
    ds.SoftwareVersions = "1.0"
    if institution is not None:
        ds.InstitutionName = institution


_PIXEL_CACHE: dict[tuple[int, int, bool], bytes] = {}


def pixel_bytes(rows: int = 16, columns: int = 16, *, big_endian: bool = False) -> bytes:
    """Tiny uint16 test pattern (a diagonal ramp of step 64, 12 bits), cached.

    Parameters
    ----------
    rows, columns : int
    big_endian : bool
        Byte order of the returned bytes.

    Returns
    -------
    bytes
    """
    key = (rows, columns, big_endian)
    if key not in _PIXEL_CACHE:
        arr = ((np.add.outer(np.arange(rows), np.arange(columns)) * 64) % 4096).astype(
            ">u2" if big_endian else "<u2"
        )
        _PIXEL_CACHE[key] = arr.tobytes()
    return _PIXEL_CACHE[key]


def add_pixels(
    ds: Dataset,
    *,
    rows: int = 16,
    columns: int = 16,
    pixels: bool = True,
    transfer_syntax: str = ExplicitVRLittleEndian,
    photometric: str = "MONOCHROME2",
) -> None:
    """Image pixel module: 16-bit unsigned greyscale, optionally without Pixel Data.

    Parameters
    ----------
    ds : Dataset
        A dataset from :func:`file_dataset` (its file_meta must exist).
    rows, columns : int
        Image size.
    pixels : bool
        ``False`` leaves Pixel Data out (header-only object).
    transfer_syntax : str
        Native syntaxes store the ramp as is (byte-swapped for big endian);
        compressed ones (RLE Lossless, JPEG 2000 Lossless with >= 32 x 32)
        are encoded by pydicom. Deflated explicit VR is handled on write.
    photometric : str
        PhotometricInterpretation.
    """
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows = rows
    ds.Columns = columns
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    if pixels:
        ds.PixelData = pixel_bytes(rows, columns, big_endian=transfer_syntax == ExplicitVRBigEndian)
        ds["PixelData"].VR = "OW"
        if UID(transfer_syntax).is_compressed:
            # encode with pydicom: RLE Lossless always; JPEG 2000 needs >= 32 x 32
            ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
            ds.compress(transfer_syntax)


def code_item(value: str, scheme: str, meaning: str) -> Dataset:
    """A code sequence item.

    Parameters
    ----------
    value, scheme, meaning : str
        CodeValue, CodingSchemeDesignator, CodeMeaning.

    Returns
    -------
    Dataset
    """
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def code_seq(value: str, scheme: str, meaning: str) -> Sequence:
    """A one-item code sequence (see :func:`code_item`).

    Returns
    -------
    pydicom.sequence.Sequence
    """
    return Sequence([code_item(value, scheme, meaning)])
