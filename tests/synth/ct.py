"""Synthetic CT image series (CT Image Storage) and their reconstructions."""
from __future__ import annotations

import copy
from collections.abc import Sequence as Seq

import numpy as np
from pydicom.dataset import Dataset

from .common import (
    ExplicitVRLittleEndian,
    PatientSpec,
    add_equipment,
    add_patient,
    add_pixels,
    add_series,
    add_study,
    code_seq,
    file_dataset,
    new_uid,
)

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"

__all__ = ["CT_IMAGE_STORAGE", "make_ct_series", "make_ct_reconstruction"]


def _normal(orientation: Seq[float]) -> np.ndarray:
    row = np.asarray(orientation[:3], dtype=float)
    col = np.asarray(orientation[3:6], dtype=float)
    return np.cross(row, col)


def _fmt(value: float) -> str:
    """A DS-safe decimal string (at most 16 characters)."""
    text = f"{value:.6g}"
    return "0" if text == "-0" else text


def make_ct_series(
    patient: PatientSpec | None = None,
    *,
    study_uid: str | None = None,
    series_uid: str | None = None,
    n_slices: int = 20,
    slice_thickness: float = 5.0,
    spacing: float | None = None,
    start_z: float = 0.0,
    ctdivol: float | None = 10.0,
    kvp: float | None = 120,
    body_part: str | None = "CHEST",
    study_description: str | None = "CT THORAX",
    series_description: str | None = "Thorax 5mm",
    protocol_name: str | None = None,
    image_type: Seq[str] = ("ORIGINAL", "PRIMARY", "AXIAL"),
    study_date: str = "20210304",
    study_time: str = "102200",
    institution: str | None = "Hospital A",
    acquisition_number: int = 1,
    frame_of_reference_uid: str | None = None,
    localizer: bool = False,
    orientation: Seq[float] = (1, 0, 0, 0, 1, 0),
    modality: str = "CT",
    pixels: bool = True,
    transfer_syntax: str = ExplicitVRLittleEndian,
    patient_age: str | None = None,
    series_number: int | None = None,
    kernel: str = "B30f",
    exposure_modulation: str | None = "XYZ_EC",
    phantom: str | None = "32",
    accession_number: str = "",
    manufacturer: str = "SYNTH MEDICAL",
    rows: int = 16,
    columns: int = 16,
) -> list[Dataset]:
    """One CT acquisition as a list of CT Image Storage datasets.

    Parameters
    ----------
    patient : PatientSpec or None
        Owner of the study (a default ``DOE^JANE`` when ``None``).
    study_uid, series_uid, frame_of_reference_uid : str or None
        New UIDs when ``None``.
    n_slices : int
        Number of images.
    slice_thickness : float
        (0018,0050) in mm.
    spacing : float or None
        Distance between positions along the slice normal (default: thickness).
    start_z : float
        Position of the first slice along the normal, mm (also SliceLocation).
    ctdivol : float or None
        (0018,9345) CTDIvol in mGy; ``None`` omits it (header-only dose unknown).
    kvp : float or None
        (0018,0060); ``None`` omits it.
    localizer : bool
        A scout: ImageType ``ORIGINAL\\PRIMARY\\LOCALIZER``, coronal
        orientation, all images at the same position.
    orientation : sequence of 6 float
        ImageOrientationPatient; positions advance along row x column.
    pixels : bool
        ``False`` writes header-only images (no Pixel Data).
    transfer_syntax : str
        Explicit VR little endian by default; implicit and big endian allowed.
    phantom : {"32", "16", None}
        CTDIPhantomTypeCodeSequence (113691 body / 113690 head) or omitted.

    Other keyword arguments fill the header field of the same name.

    Returns
    -------
    list of pydicom.dataset.Dataset
        File datasets, one per slice, sorted by InstanceNumber.
    """
    patient = patient or PatientSpec()
    study_uid = study_uid or new_uid()
    series_uid = series_uid or new_uid()
    frame_uid = frame_of_reference_uid or new_uid()
    step = float(spacing if spacing is not None else slice_thickness)
    if localizer:
        image_type = ("ORIGINAL", "PRIMARY", "LOCALIZER")
        orientation = (1, 0, 0, 0, 0, -1)
        step = 0.0
    normal = _normal(orientation)
    origin = np.array([-125.0, -125.0, 0.0])
    origin = origin - normal * float(np.dot(origin, normal))
    number = series_number if series_number is not None else (1 if localizer else 2)
    acq_time = _add_seconds(study_time, 60 * number)

    template = file_dataset(
        CT_IMAGE_STORAGE, "1.2.3", transfer_syntax=transfer_syntax,
        specific_character_set=patient.specific_character_set,
    )
    add_patient(template, patient, patient_age=patient_age)
    add_study(template, study_uid=study_uid, study_date=study_date, study_time=study_time,
              study_description=study_description, accession_number=accession_number)
    add_series(template, series_uid=series_uid, modality=modality, series_number=number,
               series_description=series_description, series_date=study_date,
               series_time=acq_time, body_part=body_part, protocol_name=protocol_name)
    add_equipment(template, institution=institution, manufacturer=manufacturer)
    template.FrameOfReferenceUID = frame_uid
    template.PositionReferenceIndicator = ""
    template.ImageType = list(image_type)
    template.AcquisitionNumber = acquisition_number
    template.AcquisitionDate = study_date
    template.AcquisitionTime = acq_time
    template.AcquisitionDateTime = study_date + acq_time
    template.ContentDate = study_date
    template.ImageOrientationPatient = [_fmt(v) for v in orientation]
    template.SliceThickness = _fmt(slice_thickness)
    template.PixelSpacing = ["0.976562", "0.976562"]
    template.RescaleIntercept = "-1024"
    template.RescaleSlope = "1"
    template.RescaleType = "HU"
    template.ConvolutionKernel = kernel
    template.PatientPosition = "HFS"
    if kvp is not None:
        template.KVP = _fmt(kvp)
    template.XRayTubeCurrent = 200
    template.ExposureTime = 500
    template.Exposure = 100
    template.DataCollectionDiameter = "500"
    template.ReconstructionDiameter = "250"
    if ctdivol is not None:
        template.CTDIvol = ctdivol
    if exposure_modulation:
        template.ExposureModulationType = exposure_modulation
    if phantom in ("32", "16"):
        template.CTDIPhantomTypeCodeSequence = code_seq(
            "113691" if phantom == "32" else "113690", "DCM",
            "IEC Body Dosimetry Phantom" if phantom == "32" else "IEC Head Dosimetry Phantom",
        )
    add_pixels(template, rows=rows, columns=columns, pixels=pixels, transfer_syntax=transfer_syntax)

    out: list[Dataset] = []
    for i in range(n_slices):
        ds = copy.deepcopy(template)
        sop_uid = new_uid()
        ds.SOPInstanceUID = sop_uid
        ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
        ds.InstanceNumber = i + 1
        loc = start_z + i * step
        pos = origin + normal * loc
        ds.ImagePositionPatient = [_fmt(v) for v in pos]
        ds.SliceLocation = _fmt(loc)
        ds.ContentTime = _add_seconds(acq_time, i // 10)
        out.append(ds)
    return out


def make_ct_reconstruction(
    series: list[Dataset],
    *,
    slice_thickness: float,
    kernel: str,
    series_uid: str | None = None,
    series_description: str | None = None,
    series_number: int | None = None,
) -> list[Dataset]:
    """Another reconstruction of the same CT acquisition.

    Same FrameOfReference, acquisition date/time and number, CTDIvol and z
    extent as ``series``; a new series UID, thickness and ConvolutionKernel.

    Parameters
    ----------
    series : list of Dataset
        Output of :func:`make_ct_series` (not modified).
    slice_thickness : float
        New thickness in mm; the slice count follows from the z extent.
    kernel : str
        New (0018,1210) ConvolutionKernel.
    series_uid, series_description, series_number : optional
        Defaults: a new UID, ``"<old description> <thickness>mm <kernel>"``,
        old number + 1.

    Returns
    -------
    list of pydicom.dataset.Dataset
    """
    if not series:
        return []
    first = series[0]
    locs = [float(ds.SliceLocation) for ds in series]
    lo, hi = min(locs), max(locs)
    n = max(1, int(round((hi - lo) / slice_thickness)) + 1)
    step = (hi - lo) / (n - 1) if n > 1 else 0.0
    series_uid = series_uid or new_uid()
    old_desc = str(first.get("SeriesDescription", "Recon"))
    desc = series_description or f"{old_desc} {slice_thickness:g}mm {kernel}"
    number = series_number if series_number is not None else int(first.SeriesNumber) + 1
    normal = _normal([float(v) for v in first.ImageOrientationPatient])
    pos0 = np.array([float(v) for v in first.ImagePositionPatient]) - normal * float(first.SliceLocation)
    out: list[Dataset] = []
    for i in range(n):
        ds = copy.deepcopy(first)
        sop_uid = new_uid()
        ds.SOPInstanceUID = sop_uid
        ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
        ds.SeriesInstanceUID = series_uid
        ds.SeriesDescription = desc
        ds.SeriesNumber = number
        ds.SliceThickness = _fmt(slice_thickness)
        ds.ConvolutionKernel = kernel
        ds.InstanceNumber = i + 1
        loc = lo + i * step
        ds.SliceLocation = _fmt(loc)
        ds.ImagePositionPatient = [_fmt(v) for v in pos0 + normal * loc]
        out.append(ds)
    return out


def _add_seconds(hhmmss: str, seconds: int) -> str:
    """Add seconds to a DICOM TM ``HHMMSS`` (wrapping at midnight)."""
    t = hhmmss[:6].ljust(6, "0")
    total = int(t[:2]) * 3600 + int(t[2:4]) * 60 + int(t[4:6]) + seconds
    total %= 86400
    return f"{total // 3600:02d}{total % 3600 // 60:02d}{total % 60:02d}"
