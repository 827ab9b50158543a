"""CT dose screens: images whose header carries an Exposure Dose Sequence.

The Philips CT "Dose Info" secondary capture lists one item per acquisition
in (0040,030E) with CTDIvol (0018,9345) and the DLP in the private element
(00E1,1021) of the ``ELSCINT1`` block; the study total DLP is in the same
private element at the top level, and repeated as text in
CommentsOnRadiationDose (0040,0310).
"""
from __future__ import annotations

import re

from pydicom.dataset import Dataset

from ..reading import raw_values as fast
from ..dicom.dates import dt_iso

from . import units
from .records import CTEvent, DoseRecord

ELSCINT = "ELSCINT1"
ACQUISITION_TYPES = {
    "SPIRAL": "spiral",
    "SEQUENCED": "sequenced",
    "CONSTANT_ANGLE": "localizer",
    "STATIONARY": "stationary",
    "FREE": "free",
}
_TOTAL_DLP = re.compile(r"total\s*dlp\s*[=:]\s*([0-9]+(?:\.[0-9]+)?)", re.IGNORECASE)


def has_dose_screen(ds: Dataset) -> bool:
    """True when the dataset has a non-empty Exposure Dose Sequence (0040,030E)."""
    seq = fast.sequence(ds, 0x0040030E)  # absent in most images: one dict lookup
    return seq is not None and len(seq) > 0


_float = units.as_float


def private_value(ds: Dataset, group: int, creator: str, element: int):
    """Value of a private element, checked against its private creator.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
    group : int
        Private group, e.g. ``0x00E1``.
    creator : str
        Private creator string the block must carry (e.g. ``"ELSCINT1"``).
    element : int
        Element offset in the block, e.g. ``0x21`` for (00E1,xx21).

    Returns
    -------
    object or None
        The element value, ``None`` when the creator or element is absent.
    """
    try:
        block = ds.private_block(group, creator)
    except KeyError:
        return None
    try:
        elem = block[element]
    except KeyError:
        return None
    value = elem.value
    if isinstance(value, bytes):  # read as UN (implicit VR without a dictionary)
        value = value.decode("ascii", "replace").strip("\x00 ")
    return value


def extract_dose_screen(ds: Dataset, record: DoseRecord) -> DoseRecord:
    """Fill ``record`` (kind ``"ct"``, source ``"dose-screen"``) from a dose screen.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        An image with ExposureDoseSequence.
    record : DoseRecord
        The record to fill.

    Returns
    -------
    DoseRecord
        ``ct_events`` per sequence item (CTDIvol, DLP, scan length, kVp,
        acquisition type, series description as protocol) and
        ``ct_dlp_total_mgycm`` from the private total, the comments text or
        (with a warning) the sum of the events.
    """
    record.report_modality = "CT"
    warnings = record.warnings
    for index, item in enumerate(ds.ExposureDoseSequence, start=1):
        event = CTEvent()
        event.ctdivol_mgy = _float(item.get("CTDIvol"))
        event.dlp_mgycm = _float(private_value(item, 0x00E1, ELSCINT, 0x21))
        length = _float(item.get("ScanLength"))
        event.scanning_length_mm = length if length else None
        event.kvp = _float(item.get("KVP"))
        acq = str(item.get("AcquisitionType", "") or "").strip().upper()
        event.acquisition_type = ACQUISITION_TYPES.get(acq)
        if acq and event.acquisition_type is None:
            warnings.append(f"dose screen item {index}: unknown acquisition type {acq!r}")
        event.protocol = str(item.get("SeriesDescription", "") or "").strip() or None
        event.datetime = dt_iso(item.get("AcquisitionDateTime"))
        if event.ctdivol_mgy is None and event.dlp_mgycm is None:
            warnings.append(f"dose screen item {index}: no CTDIvol or DLP")
        record.ct_events.append(event)
    total = _float(private_value(ds, 0x00E1, ELSCINT, 0x21))
    if total is None:
        match = _TOTAL_DLP.search(str(ds.get("CommentsOnRadiationDose", "") or ""))
        total = float(match.group(1)) if match else None
    if total is None:
        dlps = [e.dlp_mgycm for e in record.ct_events]
        if dlps and all(d is not None for d in dlps):
            total = sum(dlps)
            warnings.append("dose screen gives no DLP total; the sum of its acquisitions is used")
    record.ct_dlp_total_mgycm = total
    return record
