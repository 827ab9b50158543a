"""Entry point of dose extraction: one DICOM dataset -> one :class:`DoseRecord`.

Called at import time in worker processes on a dataset read with
``pydicom.dcmread(..., stop_before_pixels=True)``. Dispatch:

* Structured Reports: radiopharmaceutical dose SR (RRDSR), CT dose SR
  (TID 10011, also as Enhanced/Comprehensive SR), projection X-ray dose SR
  (TID 10001), Siemens private fluoroscopy summaries; any other SR -> ``None``.
* Images with an Exposure Dose Sequence -> dose screen.
* CT, projection X-ray and NM/PT images -> image header record.
* Everything else (MR, US, KOS, PR, ...) -> ``None``.

:func:`extract_dose` never raises.
"""
from __future__ import annotations

from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset

from ..reading import raw_values as fast
from ..dicom.dates import date_time_iso

from . import sr
from .extract_ct_sr import extract_ct_sr, is_ct_report
from .extract_dose_screen import extract_dose_screen, has_dose_screen
from .extract_headers import extract_headers, header_kind
from .extract_patient import body_size
from .extract_projection_sr import extract_projection_sr, has_siemens_cumulative, is_projection_report
from .extract_rrdsr import extract_rrdsr, is_rrdsr
from .records import (SOURCE_DOSE_SCREEN, SOURCE_IMAGE_HEADER, SOURCE_RDSR, SOURCE_RRDSR,
                      DoseRecord)

SR_SOP_PREFIX = "1.2.840.10008.5.1.4.1.1.88."
XRAY_DOSE_REPORT = ("113701", "DCM")
PROCEDURE_REPORTED = ("121058", "DCM")
CT_PROCEDURES = {("P5-08000", "SRT"), ("77477000", "SCT")}
NON_REPORT_SR_SOP = {
    "1.2.840.10008.5.1.4.1.1.88.59",  # Key Object Selection
    "1.2.840.10008.5.1.4.1.1.88.40",  # Procedure Log
}


def is_structured_report(ds: Dataset) -> bool:
    """True for SR documents (by SOP class, or Modality SR with content)."""
    sop = _text(ds, "SOPClassUID")
    if sop.startswith(SR_SOP_PREFIX):
        return True
    return _text(ds, "Modality").upper() == "SR" and "ContentSequence" in ds


def _text(ds: Dataset, keyword: str) -> str:
    try:
        return fast.text(ds, tag_for_keyword(keyword)) or ""  # raw read: no pydicom conversion on the import path
    except Exception:  # noqa: BLE001 - a malformed element is just unknown here
        return ""


def new_record(ds: Dataset, source: str, kind: str) -> DoseRecord:
    """A :class:`DoseRecord` with the identity fields of ``ds`` filled.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
    source : str
        One of the ``SOURCE_*`` constants of :mod:`core.dose.records`.
    kind : str
        ``"ct"``, ``"projection"`` or ``"nm"``.

    Returns
    -------
    DoseRecord
        With ``sop_instance_uid``, ``study_uid``, ``content_datetime``
        (ContentDate + ContentTime, ISO) and ``device`` (manufacturer + model).
    """
    record = DoseRecord(source=source, kind=kind)
    record.sop_instance_uid = _text(ds, "SOPInstanceUID")
    record.study_uid = _text(ds, "StudyInstanceUID")
    record.content_datetime = date_time_iso(_text(ds, "ContentDate"), _text(ds, "ContentTime"))
    device = " ".join(part for part in (_text(ds, "Manufacturer"), _text(ds, "ManufacturerModelName")) if part)
    record.device = device or None
    record.procedure_description = _text(ds, "PerformedProcedureStepDescription") or None
    return record


OBSERVER_MANUFACTURER = ("121014", "DCM")
OBSERVER_MODEL = ("121015", "DCM")


def _sr_device(ds: Dataset, record: DoseRecord) -> DoseRecord:
    """Complete ``record.device`` from the device observer context when the
    header's Manufacturer / ManufacturerModelName are empty."""
    maker = _text(ds, "Manufacturer") or sr.text_of(sr.find_child(ds, OBSERVER_MANUFACTURER)) or ""
    model = _text(ds, "ManufacturerModelName") or sr.text_of(sr.find_child(ds, OBSERVER_MODEL)) or ""
    record.device = " ".join(part for part in (maker, model) if part) or None
    return record


def _extract_sr(ds: Dataset) -> DoseRecord | None:
    record = _extract_sr_content(ds)
    return body_size(ds, _sr_device(ds, record)) if record is not None else None


def _extract_sr_content(ds: Dataset) -> DoseRecord | None:
    if str(ds.get("SOPClassUID", "") or "") in NON_REPORT_SR_SOP:
        return None
    doc = sr.index(ds)  # one walk of the whole tree; big fluoroscopy reports have 15k items
    if is_rrdsr(ds, doc):
        return extract_rrdsr(ds, new_record(ds, SOURCE_RRDSR, "nm"), doc)
    titled = sr.is_concept(ds, XRAY_DOSE_REPORT)
    if is_ct_report(ds):
        record = extract_ct_sr(ds, new_record(ds, SOURCE_RDSR, "ct"))
        if not titled:
            record.warnings.append("CT dose content found in an SR without the X-Ray Radiation Dose Report title")
        return record
    if is_projection_report(ds) or has_siemens_cumulative(ds, doc):
        return extract_projection_sr(ds, new_record(ds, SOURCE_RDSR, "projection"), doc)
    if titled:
        procedure = sr.code_key(sr.find_child(ds, PROCEDURE_REPORTED))
        kind = "ct" if procedure in CT_PROCEDURES else "projection"
        record = new_record(ds, SOURCE_RDSR, kind)
        record.report_modality = "CT" if kind == "ct" else None
        record.warnings.append("X-Ray Radiation Dose Report without CT or projection dose data "
                               "(no known template content)")
        return record
    return None


def _extract(ds: Dataset) -> DoseRecord | None:
    if is_structured_report(ds):
        return _extract_sr(ds)
    if has_dose_screen(ds):
        return extract_dose_screen(ds, new_record(ds, SOURCE_DOSE_SCREEN, "ct"))
    kind = header_kind(_text(ds, "Modality"))
    if kind is None:
        return None
    return extract_headers(ds, new_record(ds, SOURCE_IMAGE_HEADER, kind))


def extract_dose(ds: Dataset) -> DoseRecord | None:
    """Extract every dose figure a DICOM object carries.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The object, typically read with ``stop_before_pixels=True``.

    Returns
    -------
    DoseRecord or None
        ``None`` for objects without dose information (MR, US, non-dose SR,
        key object selection...). Otherwise a record in the fixed units of
        :mod:`core.dose.records`; whatever could not be read is ``None`` and
        explained in ``record.warnings``. Never raises: an unexpected error
        returns a record holding what identity could be read and the error
        as a warning (or ``None`` if even that fails).
    """
    try:
        return _extract(ds)
    except Exception as exc:  # noqa: BLE001 - the import must go on
        try:
            kind = header_kind(_text(ds, "Modality")) or "ct"
            source = SOURCE_RDSR if is_structured_report(ds) else SOURCE_IMAGE_HEADER
            record = new_record(ds, source, kind)
        except Exception:  # noqa: BLE001
            return None
        record.warnings.append(f"dose data could not be read: {type(exc).__name__}: {exc}")
        return record
