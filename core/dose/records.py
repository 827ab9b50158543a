"""Dose records: what one DICOM object says about radiation, in fixed units.

:func:`core.dose.extract.extract_dose` turns a dataset into a
:class:`DoseRecord` at import time (in the worker process); the record is
stored as JSON on the instance row (``DoseRecord.to_dict``) and the estimator
(:mod:`core.dose.estimate`) works from stored records only, so changing the
factor set never needs a re-import.

Units are fixed by field names and normalised at the edge:
``*_mgy`` mGy, ``*_gy`` Gy, ``*_mgycm`` mGy·cm, ``*_gycm2`` Gy·cm²,
``*_mm`` mm, ``*_mbq`` MBq, ``*_msv`` mSv, ``*_s`` seconds.
A value the object does not give is ``None``, never 0.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

# DoseRecord.source values (the contract's ``sources`` vocabulary)
SOURCE_RDSR = "RDSR"
SOURCE_RRDSR = "RRDSR"
SOURCE_DOSE_SCREEN = "dose-screen"
SOURCE_IMAGE_HEADER = "image-header"
SOURCE_TYPICAL = "typical-value"


@dataclass
class Code:
    value: str
    scheme: str
    meaning: str = ""


@dataclass
class CTEvent:
    """One CT irradiation event (TID 10013), or one reconstructed acquisition
    assembled from image headers."""

    event_uid: str | None = None
    ctdivol_mgy: float | None = None
    dlp_mgycm: float | None = None
    scanning_length_mm: float | None = None
    target_region: Code | None = None
    phantom_cm: int | None = None  # 16 or 32
    acquisition_type: str | None = None  # spiral|sequenced|localizer|stationary|free|None
    protocol: str | None = None
    datetime: str | None = None
    effective_dose_msv: float | None = None  # as reported by the device, if any
    kvp: float | None = None


@dataclass
class ProjectionEvent:
    """One projection X-ray irradiation event (TID 10003)."""

    event_uid: str | None = None
    dap_gycm2: float | None = None
    dose_rp_gy: float | None = None
    agd_mgy: float | None = None
    entrance_exposure_mgy: float | None = None
    laterality: str | None = None  # "L", "R", "B" or None
    view: str | None = None
    plane: str | None = None  # "A", "B" or None (single plane)
    irradiation_type: str | None = None  # fluoroscopy|acquisition|stationary|None
    target_region: Code | None = None
    datetime: str | None = None
    kvp: float | None = None
    exposure_time_s: float | None = None


@dataclass
class Accumulation:
    """Accumulated X-ray dose data (TID 10002/10004/10005/10007), one per plane."""

    plane: str | None = None
    dap_total_gycm2: float | None = None
    fluoro_dap_total_gycm2: float | None = None
    acquisition_dap_total_gycm2: float | None = None
    dose_rp_total_gy: float | None = None
    fluoro_time_s: float | None = None
    acquisition_time_s: float | None = None
    agd_by_laterality_mgy: dict[str, float] = field(default_factory=dict)  # {"L": 2.1, "R": 2.3}


@dataclass
class Administration:
    """One radiopharmaceutical administration (TID 10022 or image header)."""

    activity_mbq: float | None = None
    radiopharmaceutical: str | None = None  # free text name
    radiopharmaceutical_code: Code | None = None
    nuclide: str | None = None  # e.g. "F-18"
    nuclide_code: Code | None = None
    start_datetime: str | None = None
    reported_effective_dose_msv: float | None = None
    administration_uid: str | None = None
    half_life_s: float | None = None  # RadionuclideHalfLife (0018,1075), image headers


@dataclass
class ImageDose:
    """Dose-relevant fields of an image header (CT, DX/CR/PX, MG, NM, PT, RF/XA)."""

    series_uid: str | None = None
    series_number: int | None = None
    acquisition_number: int | None = None
    acquisition_datetime: str | None = None
    frame_of_reference_uid: str | None = None
    image_type: list[str] = field(default_factory=list)
    presentation_intent: str | None = None  # FOR PROCESSING / FOR PRESENTATION
    # CT
    ctdivol_mgy: float | None = None
    position_mm: list[float] | None = None  # ImagePositionPatient
    orientation: list[float] | None = None  # ImageOrientationPatient
    slice_thickness_mm: float | None = None
    slice_location_mm: float | None = None
    phantom_cm: int | None = None
    kvp: float | None = None
    # projection
    dap_gycm2: float | None = None
    entrance_dose_mgy: float | None = None
    organ_dose_mgy: float | None = None  # MG: glandular dose
    compressed_thickness_mm: float | None = None
    laterality: str | None = None
    view: str | None = None
    exposure_time_s: float | None = None
    # anatomy text (for region classification)
    body_part: str | None = None
    series_description: str | None = None
    protocol_name: str | None = None


@dataclass
class DoseRecord:
    """What one DICOM object says about dose.

    ``kind``: ``"ct"``, ``"projection"`` or ``"nm"``.
    ``report_modality``: for projection reports the class the report gives
    (``"DX"``, ``"RF"``, ``"XA"``, ``"MG"``); for images their modality.
    """

    source: str
    kind: str
    sop_instance_uid: str = ""
    study_uid: str = ""
    report_modality: str | None = None
    content_datetime: str | None = None  # newest cumulative RDSR wins
    # CT reports
    ct_events: list[CTEvent] = field(default_factory=list)
    ct_dlp_total_mgycm: float | None = None
    ct_effective_dose_total_msv: float | None = None
    # projection reports
    projection_events: list[ProjectionEvent] = field(default_factory=list)
    accumulations: list[Accumulation] = field(default_factory=list)
    # radiopharmaceutical
    administrations: list[Administration] = field(default_factory=list)
    # image headers
    image: ImageDose | None = None
    target_region_codes: list[Code] = field(default_factory=list)
    device: str | None = None  # manufacturer + model, for the record
    # SR patient characteristics (e.g. TID 10023), when the report gives them
    patient_height_m: float | None = None
    patient_weight_kg: float | None = None
    procedure_description: str | None = None  # PerformedProcedureStepDescription (names the exam's region)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "DoseRecord":
        return _build(cls, raw)


def _plain(obj: Any) -> Any:
    """Dataclasses to dicts without None, empty lists and empty dicts.

    Like ``dataclasses.asdict`` with the empty values dropped, several times
    faster (no deep copies): this runs once per imported file.
    """
    if hasattr(obj, "__dataclass_fields__"):
        out = {}
        for key, value in obj.__dict__.items():
            if value is None or (not value and isinstance(value, (list, dict))):
                continue
            out[key] = value if type(value) in _SCALARS else _plain(value)
        return out
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items() if v is not None and v != [] and v != {}}
    return obj


_SCALARS = frozenset((str, float, int, bool))


_NESTED = {
    "ct_events": CTEvent,
    "projection_events": ProjectionEvent,
    "accumulations": Accumulation,
    "administrations": Administration,
    "target_region_codes": Code,
}
_SINGLE = {
    "image": ImageDose,
    "target_region": Code,
    "radiopharmaceutical_code": Code,
    "nuclide_code": Code,
}


_FIELD_NAMES: dict[type, frozenset[str]] = {}


def _build(cls: type, raw: dict[str, Any]) -> Any:
    known = _FIELD_NAMES.get(cls)
    if known is None:
        known = _FIELD_NAMES[cls] = frozenset(f.name for f in fields(cls))
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            continue
        if key in _NESTED and isinstance(value, list):
            value = [_build(_NESTED[key], v) for v in value]
        elif key in _SINGLE and isinstance(value, dict):
            value = _build(_SINGLE[key], value)
        kwargs[key] = value
    return cls(**kwargs)
