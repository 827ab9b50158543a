"""Dose-relevant image header fields (CT, projection X-ray, mammography, NM/PT).

Header units are fixed by the standard and normalised here:
(0018,115E) dGy·cm² -> Gy·cm² (/10), (0040,0316)/(0040,0302) dGy -> mGy
(x100), (0018,1150) ms -> s, (0018,1074) Bq -> MBq (/1e6; values below 1e4
are taken as MBq already, with a warning).
"""
from __future__ import annotations

import math

from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset

from ..reading import raw_values as fast
from ..dicom.codes import MAMMOGRAPHY_VIEWS
from ..dicom.dates import date_time_iso, dt_iso
from ..dicom.modalities import CT, NUCLEAR, PROJECTION
from . import units
from .extract_rrdsr import nuclide_name
from .records import Administration, Code, DoseRecord, ImageDose
from .sr import key_of

PROCESSING_SOP = {
    "1.2.840.10008.5.1.4.1.1.1.1.1": "FOR PROCESSING",  # DX
    "1.2.840.10008.5.1.4.1.1.1.1": "FOR PRESENTATION",
    "1.2.840.10008.5.1.4.1.1.1.2.1": "FOR PROCESSING",  # MG
    "1.2.840.10008.5.1.4.1.1.1.2": "FOR PRESENTATION",
    "1.2.840.10008.5.1.4.1.1.1.3.1": "FOR PROCESSING",  # IO
    "1.2.840.10008.5.1.4.1.1.1.3": "FOR PRESENTATION",
}
PHANTOMS_CM = {("113690", "DCM"): 16, ("113691", "DCM"): 32}
MBQ_THRESHOLD_BQ = 1e4


def header_kind(modality: str | None) -> str | None:
    """Record kind for an image modality (``None``: not an ionising image)."""
    mod = (modality or "").strip().upper()
    if mod in CT:
        return "ct"
    if mod in PROJECTION:
        return "projection"
    if mod in NUCLEAR:
        return "nm"
    return None


_float = units.as_float


def _int(value) -> int | None:
    number = _float(value)
    return int(number) if number is not None else None


def _text(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _floats(value) -> list[float] | None:
    if value is None or value == "":
        return None
    try:
        numbers = [float(v) for v in value]
    except (TypeError, ValueError):
        return None
    return numbers or None


def _tag(keyword: str) -> int:
    tag = _TAG_CACHE.get(keyword)
    if tag is None:
        tag = _TAG_CACHE[keyword] = tag_for_keyword(keyword)
    return tag


_TAG_CACHE: dict[str, int] = {}


# Top-level header values go through core.reading.raw_values: the import reads every
# file's header here, and pydicom's first-access conversion costs more than
# the parse itself.
def _ftext(ds: Dataset, keyword: str) -> str | None:
    return fast.text(ds, _tag(keyword))


def _fnum(ds: Dataset, keyword: str) -> float | None:
    value = fast.number(ds, _tag(keyword))
    return value if value is not None and math.isfinite(value) else None


def _fint(ds: Dataset, keyword: str) -> int | None:
    value = _fnum(ds, keyword)
    return int(value) if value is not None else None


def _fnums(ds: Dataset, keyword: str) -> list[float] | None:
    return fast.numbers(ds, _tag(keyword))


def _first(seq) -> Dataset | None:
    try:
        return seq[0] if seq is not None and len(seq) else None
    except (TypeError, IndexError):
        return None


def _code(item: Dataset | None) -> Code | None:
    key = key_of(item)
    if key is None:
        return None
    return Code(key[0], str(item.get("CodingSchemeDesignator", "")).strip(), str(item.get("CodeMeaning", "")))


def _acquisition_datetime(ds: Dataset) -> str | None:
    stamp = dt_iso(_ftext(ds, "AcquisitionDateTime"))
    if stamp:
        return stamp
    time = _ftext(ds, "AcquisitionTime")
    if time:
        return date_time_iso(_ftext(ds, "AcquisitionDate") or _ftext(ds, "SeriesDate") or _ftext(ds, "StudyDate"),
                             time)
    return None


def _base(ds: Dataset) -> ImageDose:
    image = ImageDose()
    image.series_uid = _ftext(ds, "SeriesInstanceUID")
    image.series_number = _fint(ds, "SeriesNumber")
    image.acquisition_number = _fint(ds, "AcquisitionNumber")
    image.acquisition_datetime = _acquisition_datetime(ds)
    image.frame_of_reference_uid = _ftext(ds, "FrameOfReferenceUID")
    raw_type = _ftext(ds, "ImageType")
    if raw_type:
        image.image_type = [v.strip().upper() for v in raw_type.split("\\") if v.strip()]
    image.presentation_intent = (_ftext(ds, "PresentationIntentType")
                                 or PROCESSING_SOP.get(_ftext(ds, "SOPClassUID") or ""))
    if image.presentation_intent:
        image.presentation_intent = image.presentation_intent.upper()
    image.kvp = _fnum(ds, "KVP")
    image.body_part = _ftext(ds, "BodyPartExamined")
    image.series_description = _ftext(ds, "SeriesDescription")
    image.protocol_name = _ftext(ds, "ProtocolName")
    return image


def _sequence(ds: Dataset, keyword: str):
    """A sequence's items, or None; absent ones cost a dict lookup, not a keyword lookup."""
    return fast.sequence(ds, _tag(keyword))


def _frame_groups(ds: Dataset) -> list[Dataset]:
    """Shared then per-frame functional group items (enhanced multi-frame)."""
    groups = []
    shared = _first(_sequence(ds, "SharedFunctionalGroupsSequence"))
    if shared is not None:
        groups.append(shared)
    groups.extend(_sequence(ds, "PerFrameFunctionalGroupsSequence") or [])
    return groups


def _ct(ds: Dataset, image: ImageDose, record: DoseRecord) -> None:
    image.ctdivol_mgy = _fnum(ds, "CTDIvol")
    image.position_mm = _fnums(ds, "ImagePositionPatient")
    image.orientation = _fnums(ds, "ImageOrientationPatient")
    image.slice_thickness_mm = _fnum(ds, "SliceThickness")
    image.slice_location_mm = _fnum(ds, "SliceLocation")
    phantom_cm = fast.memo(ds, _tag("CTDIPhantomTypeCodeSequence"), _phantom_of_sequence)
    phantom = None
    groups = _frame_groups(ds)
    per_frame: list[float] = []
    for group in groups:
        exposure = _first(group.get("CTExposureSequence"))
        if exposure is not None:
            value = _float(exposure.get("CTDIvol"))
            if value is not None:
                per_frame.append(value)
            phantom = phantom or _first(exposure.get("CTDIPhantomTypeCodeSequence"))
        if image.position_mm is None:
            image.position_mm = _floats(getattr(_first(group.get("PlanePositionSequence")),
                                                "ImagePositionPatient", None))
        if image.orientation is None:
            image.orientation = _floats(getattr(_first(group.get("PlaneOrientationSequence")),
                                                "ImageOrientationPatient", None))
        if image.slice_thickness_mm is None:
            image.slice_thickness_mm = _float(getattr(_first(group.get("PixelMeasuresSequence")),
                                                      "SliceThickness", None))
        if image.kvp is None:
            image.kvp = _float(getattr(_first(group.get("CTXRayDetailsSequence")), "KVP", None))
    if image.ctdivol_mgy is None and per_frame:
        image.ctdivol_mgy = sum(per_frame) / len(per_frame)
        if len(set(per_frame)) > 1:
            record.warnings.append(
                f"CTDIvol varies over {len(per_frame)} frames; their mean {image.ctdivol_mgy:g} mGy is used")
    if phantom_cm is None and phantom is not None:
        phantom_cm = PHANTOMS_CM.get(key_of(phantom))
    image.phantom_cm = phantom_cm


def _phantom_of_sequence(seq) -> int | None:
    """16 or 32 from a CTDI Phantom Type Code Sequence (memoised per distinct raw value)."""
    item = _first(seq)
    return PHANTOMS_CM.get(key_of(item)) if item is not None else None


def _exposure_time_s(ds: Dataset) -> float | None:
    us = _fnum(ds, "ExposureTimeInuS")
    if us is not None:
        return us / 1e6
    ms = _fnum(ds, "ExposureTimeInms")
    if ms is None:
        ms = _fnum(ds, "ExposureTime")
    return units.ms_to_s(ms) if ms is not None else None


def _projection(ds: Dataset, image: ImageDose, record: DoseRecord) -> None:
    dap = _fnum(ds, "ImageAndFluoroscopyAreaDoseProduct")
    image.dap_gycm2 = units.dgycm2_to_gycm2(dap) if dap is not None else None
    entrance = _fnum(ds, "EntranceDoseInmGy")
    if entrance is None:
        entrance_dgy = _fnum(ds, "EntranceDose")
        entrance = units.dgy_to_mgy(entrance_dgy) if entrance_dgy is not None else None
    image.entrance_dose_mgy = entrance
    organ = _fnum(ds, "OrganDose")
    image.organ_dose_mgy = units.dgy_to_mgy(organ) if organ is not None else None
    image.compressed_thickness_mm = _fnum(ds, "BodyPartThickness")
    side = (_ftext(ds, "ImageLaterality") or _ftext(ds, "Laterality") or "").upper()
    image.laterality = side if side in {"L", "R", "B"} else None
    image.view = _ftext(ds, "ViewPosition")
    if image.view is None:
        view_item = _first(_sequence(ds, "ViewCodeSequence"))
        code = _code(view_item)
        if code is not None:
            image.view = MAMMOGRAPHY_VIEWS.get(key_of(view_item)) or code.meaning or None
    image.exposure_time_s = _exposure_time_s(ds)


def _nm(ds: Dataset, record: DoseRecord) -> None:
    for index, item in enumerate(_sequence(ds, "RadiopharmaceuticalInformationSequence") or [], start=1):
        record.administrations.append(_administration(ds, item, record.warnings, f"radiopharmaceutical {index}"))


def _administration(ds: Dataset, item: Dataset, warnings: list[str], label: str) -> Administration:
    admin = Administration()
    total = _float(item.get("RadionuclideTotalDose"))
    if total is None:
        pass
    elif total <= 0:
        warnings.append(f"{label}: radionuclide total dose {total:g} is not a usable activity")
    elif total < MBQ_THRESHOLD_BQ:
        admin.activity_mbq = total
        warnings.append(f"{label}: RadionuclideTotalDose {total:g} is below 1e4 Bq, so it is taken as "
                        "already in MBq (vendor wrote MBq in a Bq field)")
    else:
        admin.activity_mbq = units.convert(total, "Bq", units.ACTIVITY_MBQ)
    admin.radiopharmaceutical = _text(item.get("Radiopharmaceutical"))
    admin.radiopharmaceutical_code = _code(_first(item.get("RadiopharmaceuticalCodeSequence")))
    if admin.radiopharmaceutical is None and admin.radiopharmaceutical_code is not None:
        admin.radiopharmaceutical = admin.radiopharmaceutical_code.meaning or None
    admin.nuclide_code = _code(_first(item.get("RadionuclideCodeSequence")))
    admin.nuclide = nuclide_name(admin.nuclide_code.meaning) if admin.nuclide_code else None
    admin.start_datetime = dt_iso(item.get("RadiopharmaceuticalStartDateTime"))
    if admin.start_datetime is None and item.get("RadiopharmaceuticalStartTime"):
        admin.start_datetime = date_time_iso(ds.get("SeriesDate") or ds.get("StudyDate"),
                                             item.get("RadiopharmaceuticalStartTime"))
    half_life = _float(item.get("RadionuclideHalfLife"))
    admin.half_life_s = half_life if half_life and half_life > 0 else None
    return admin


def extract_headers(ds: Dataset, record: DoseRecord) -> DoseRecord:
    """Fill ``record`` (source ``"image-header"``) from an image header.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A CT, projection (DX/CR/PX/RF/XA/MG/IO) or NM/PT image, without pixels.
    record : DoseRecord
        A record whose ``kind`` is set (see :func:`header_kind`).

    Returns
    -------
    DoseRecord
        The record with ``image`` (:class:`ImageDose`) and, for NM/PT, the
        ``administrations`` of RadiopharmaceuticalInformationSequence.
    """
    modality = (_ftext(ds, "Modality") or "").upper()
    record.report_modality = modality or None
    image = _base(ds)
    record.image = image
    if record.kind == "ct":
        _ct(ds, image, record)
    elif record.kind == "projection":
        _projection(ds, image, record)
    elif record.kind == "nm":
        _nm(ds, record)
    region = _code(_first(_sequence(ds, "AnatomicRegionSequence")))
    if region is not None:
        record.target_region_codes.append(region)
    return record
