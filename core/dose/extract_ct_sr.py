"""CT Radiation Dose SR (TID 10011) to :class:`DoseRecord` (kind ``"ct"``).

Works for X-Ray Radiation Dose SR objects and for Enhanced/Comprehensive SRs
carrying the same template (GE's CT "ESR"). Concepts matched on code value and
scheme only.
"""
from __future__ import annotations

from pydicom.dataset import Dataset

from . import sr, units
from .records import CTEvent, DoseRecord

DCM = "DCM"
CT_ACCUMULATED = ("113811", DCM)
CT_ACQUISITION = ("113819", DCM)
CT_DLP_TOTAL = ("113813", DCM)
CT_EFFECTIVE_TOTAL = ("113814", DCM)
CT_ACQ_PARAMS = ("113822", DCM)
CT_DOSE = ("113829", DCM)
CTDIVOL = ("113830", DCM)
DLP = ("113838", DCM)
PHANTOM = ("113835", DCM)
EFFECTIVE_DOSE = ("113839", DCM)
SCANNING_LENGTH = ("113825", DCM)
EXPOSED_RANGE = ("113899", DCM)
TARGET_REGION = ("123014", DCM)
ACQ_TYPE = ("113820", DCM)
EVENT_UID = ("113769", DCM)
PROTOCOL = ("125203", DCM)
DATETIME_STARTED = ("111526", DCM)
KVP = ("113733", DCM)

ACQUISITION_TYPES = {
    ("113805", DCM): "localizer",  # Constant Angle Acquisition
    ("113804", DCM): "sequenced",
    ("P5-08001", "SRT"): "spiral",
    ("116152004", "SCT"): "spiral",
    ("113806", DCM): "stationary",
    ("113807", DCM): "free",
}
PHANTOMS_CM = {
    ("113690", DCM): 16,  # IEC Head Dosimetry Phantom
    ("113691", DCM): 32,  # IEC Body Dosimetry Phantom
}


def is_ct_report(ds: Dataset) -> bool:
    """True when the SR carries CT accumulated dose data or CT acquisitions.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A Structured Report dataset.

    Returns
    -------
    bool
    """
    return bool(sr.find_children(ds, CT_ACCUMULATED, CT_ACQUISITION))


def extract_ct_sr(ds: Dataset, record: DoseRecord) -> DoseRecord:
    """Fill ``record`` with the totals and irradiation events of a CT dose SR.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The CT Radiation Dose SR (TID 10011), read without pixel data.
    record : DoseRecord
        A record with ``kind="ct"`` whose identity fields are already set.

    Returns
    -------
    DoseRecord
        The same record: ``ct_events`` (one per CT Acquisition container, in
        file order), ``ct_dlp_total_mgycm``, ``ct_effective_dose_total_msv``,
        ``target_region_codes``; problems are listed in ``record.warnings``.
    """
    record.report_modality = "CT"
    warnings = record.warnings
    accumulated = sr.find_child(ds, CT_ACCUMULATED)
    if accumulated is not None:
        record.ct_dlp_total_mgycm = sr.first_num(
            accumulated, [CT_DLP_TOTAL], units.DLP_MGYCM, warnings, "CT DLP total", "mGy.cm")
        record.ct_effective_dose_total_msv = sr.first_num(
            accumulated, [CT_EFFECTIVE_TOTAL], units.EFFECTIVE_DOSE_MSV, warnings, "CT effective dose total")
    else:
        warnings.append("CT dose report without CT Accumulated Dose Data")
    for index, container in enumerate(sr.find_children(ds, CT_ACQUISITION), start=1):
        try:
            event = _event(container, warnings, f"CT event {index}")
        except Exception as exc:  # noqa: BLE001 - keep the other events
            warnings.append(f"CT event {index} could not be read: {type(exc).__name__}: {exc}")
            continue
        record.ct_events.append(event)
        sr.add_region(record, event.target_region)
    if not record.ct_events:
        warnings.append("CT dose report without irradiation events")
    return record


def _event(container: Dataset, warnings: list[str], label: str) -> CTEvent:
    event = CTEvent()
    found = sr.index(container)  # one walk of the event; its two sub-containers indexed alike
    event.event_uid = sr.uid_of(sr.find_first(found, EVENT_UID))
    event.protocol = sr.text_of(sr.find_first(found, PROTOCOL))
    event.target_region = sr.code_of(sr.find_first(found, TARGET_REGION))
    event.datetime = sr.datetime_of(sr.find_first(found, DATETIME_STARTED))
    acq_type = sr.find_first(found, ACQ_TYPE)
    if acq_type is not None:
        key = sr.code_key(acq_type)
        event.acquisition_type = ACQUISITION_TYPES.get(key) if key else None
        if key and event.acquisition_type is None:
            warnings.append(f"{label}: unknown CT acquisition type code {key[0]} ({key[1]})")
    dose_container = sr.find_first(found, CT_DOSE)
    dose = sr.index(dose_container) if dose_container is not None else found
    event.ctdivol_mgy = sr.first_num(dose, [CTDIVOL], units.DOSE_MGY, warnings, f"{label} CTDIvol", "mGy")
    event.dlp_mgycm = sr.first_num(dose, [DLP], units.DLP_MGYCM, warnings, f"{label} DLP", "mGy.cm")
    event.effective_dose_msv = sr.first_num(
        found, [EFFECTIVE_DOSE], units.EFFECTIVE_DOSE_MSV, warnings, f"{label} effective dose")
    phantom = sr.find_first(found, PHANTOM)
    if phantom is not None:
        key = sr.code_key(phantom)
        event.phantom_cm = PHANTOMS_CM.get(key) if key else None
        if key and event.phantom_cm is None:
            warnings.append(f"{label}: CTDI phantom code {key[0]} ({key[1]}) has no known diameter")
    params_container = sr.find_first(found, CT_ACQ_PARAMS)
    params = sr.index(params_container) if params_container is not None else found
    length = sr.first_num(params, [SCANNING_LENGTH], units.LENGTH_MM, warnings, f"{label} scanning length", "mm")
    if not length:  # missing or reported as 0: the exposed range is the better figure
        exposed = sr.first_num(params, [EXPOSED_RANGE], units.LENGTH_MM, warnings, f"{label} exposed range", "mm")
        length = exposed if exposed else None
    event.scanning_length_mm = length
    event.kvp = sr.first_num(params, [KVP], units.KVP_KV, warnings, f"{label} kVp", "kV")
    return event
