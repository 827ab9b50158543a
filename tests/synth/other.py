"""Non-ionising studies (MR, US) and vendor dose screens (Philips secondary capture)."""
from __future__ import annotations

import copy
from typing import Any

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from .common import (
    ExplicitVRLittleEndian,
    PatientSpec,
    add_equipment,
    add_patient,
    add_pixels,
    add_series,
    add_study,
    file_dataset,
    new_uid,
)

__all__ = ["make_mr_series", "make_us_image", "make_philips_dose_screen", "MR_STORAGE",
           "US_STORAGE", "SECONDARY_CAPTURE"]

MR_STORAGE = "1.2.840.10008.5.1.4.1.1.4"
US_STORAGE = "1.2.840.10008.5.1.4.1.1.6.1"
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def _shell(patient: PatientSpec, sop: str, modality: str, *, study_uid: str | None,
           series_uid: str | None, study_date: str, study_time: str,
           study_description: str | None, series_description: str | None,
           institution: str | None, series_number: int, transfer_syntax: str,
           body_part: str | None, manufacturer: str = "SYNTH MEDICAL") -> Dataset:
    ds = file_dataset(sop, "1.2.3", transfer_syntax=transfer_syntax,
                      specific_character_set=patient.specific_character_set)
    add_patient(ds, patient)
    add_study(ds, study_uid=study_uid or new_uid(), study_date=study_date, study_time=study_time,
              study_description=study_description)
    add_series(ds, series_uid=series_uid or new_uid(), modality=modality, series_number=series_number,
               series_description=series_description, series_date=study_date,
               series_time=study_time, body_part=body_part)
    add_equipment(ds, institution=institution, manufacturer=manufacturer)
    ds.ContentDate = study_date
    ds.ContentTime = study_time
    return ds


def _instances(template: Dataset, n: int) -> list[Dataset]:
    out = []
    for i in range(n):
        ds = copy.deepcopy(template)
        uid = new_uid()
        ds.SOPInstanceUID = uid
        ds.file_meta.MediaStorageSOPInstanceUID = uid
        ds.InstanceNumber = i + 1
        if "ImageOrientationPatient" in ds:
            ds.ImagePositionPatient = ["-100", "-100", f"{5.0 * i:g}"]
            ds.SliceLocation = f"{5.0 * i:g}"
        out.append(ds)
    return out


def make_mr_series(
    patient: PatientSpec | None = None,
    *,
    n_slices: int = 10,
    study_uid: str | None = None,
    series_uid: str | None = None,
    study_date: str = "20210304",
    study_time: str = "140000",
    study_description: str | None = "MR BRAIN",
    series_description: str | None = "T2 TSE AX",
    body_part: str | None = "HEAD",
    institution: str | None = "Hospital A",
    series_number: int = 1,
    pixels: bool = True,
    transfer_syntax: str = ExplicitVRLittleEndian,
) -> list[Dataset]:
    """An MR series (MR Image Storage): no ionising radiation, no dose fields.

    Returns
    -------
    list of pydicom.dataset.FileDataset
    """
    ds = _shell(patient or PatientSpec(), MR_STORAGE, "MR", study_uid=study_uid,
                series_uid=series_uid, study_date=study_date, study_time=study_time,
                study_description=study_description, series_description=series_description,
                institution=institution, series_number=series_number,
                transfer_syntax=transfer_syntax, body_part=body_part)
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "ND"]
    ds.ScanningSequence = "SE"
    ds.SequenceVariant = "SK"
    ds.ScanOptions = ""
    ds.MRAcquisitionType = "2D"
    ds.RepetitionTime = "4000"
    ds.EchoTime = "90"
    ds.EchoTrainLength = 15
    ds.MagneticFieldStrength = "1.5"
    ds.SliceThickness = "5"
    ds.FrameOfReferenceUID = new_uid()
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.PixelSpacing = ["0.9", "0.9"]
    add_pixels(ds, pixels=pixels, transfer_syntax=transfer_syntax)
    return _instances(ds, n_slices)


def make_us_image(
    patient: PatientSpec | None = None,
    *,
    study_uid: str | None = None,
    series_uid: str | None = None,
    study_date: str = "20210304",
    study_time: str = "150000",
    study_description: str | None = "US ABDOMEN",
    series_description: str | None = None,
    institution: str | None = "Hospital A",
    series_number: int = 1,
    instance_number: int = 1,
    pixels: bool = True,
    transfer_syntax: str = ExplicitVRLittleEndian,
) -> Dataset:
    """One ultrasound image (US Image Storage, MONOCHROME2): no dose.

    Returns
    -------
    pydicom.dataset.FileDataset
    """
    ds = _shell(patient or PatientSpec(), US_STORAGE, "US", study_uid=study_uid,
                series_uid=series_uid, study_date=study_date, study_time=study_time,
                study_description=study_description, series_description=series_description,
                institution=institution, series_number=series_number,
                transfer_syntax=transfer_syntax, body_part="ABDOMEN")
    ds.ImageType = ["ORIGINAL", "PRIMARY", "ABDOMINAL", ""]
    add_pixels(ds, pixels=pixels, transfer_syntax=transfer_syntax)
    ds.BitsStored = 16
    ds.HighBit = 15
    image = _instances(ds, 1)[0]
    image.InstanceNumber = instance_number
    return image


def make_philips_dose_screen(
    patient: PatientSpec | None = None,
    *,
    study_uid: str | None = None,
    events: list[dict[str, Any]] | None = None,
    total_dlp: float | None = None,
    study_date: str = "20210304",
    study_time: str = "102200",
    study_description: str | None = "CT THORAX",
    institution: str | None = "Hospital A",
    series_number: int = 999,
    pixels: bool = True,
    transfer_syntax: str = ExplicitVRLittleEndian,
) -> Dataset:
    """A Philips CT "Dose Info" screen: Secondary Capture with ExposureDoseSequence.

    Each event becomes an item of (0040,030E) ExposureDoseSequence carrying
    CTDIvol (0018,9345), KVP, exposure and, in the private block of creator
    ``ELSCINT1`` at (00E1,0010), the event's DLP (00E1,1021). The study's
    total DLP goes into the dataset's own (00E1,1021).

    Parameters
    ----------
    events : list of dict or None
        ``ctdivol`` (mGy) and ``dlp`` (mGy·cm) per event; default two.
    total_dlp : float or None
        Default: the sum of event DLPs.

    Returns
    -------
    pydicom.dataset.FileDataset
        Modality ``CT``, ImageType ``DERIVED\\SECONDARY\\DOSE_INFO``,
        SeriesDescription ``Dose Info``.
    """
    events = events if events is not None else [dict(ctdivol=2.1, dlp=48.3),
                                                 dict(ctdivol=9.8, dlp=401.7)]
    ds = _shell(patient or PatientSpec(), SECONDARY_CAPTURE, "CT", study_uid=study_uid,
                series_uid=None, study_date=study_date, study_time=study_time,
                study_description=study_description, series_description="Dose Info",
                institution=institution, series_number=series_number,
                transfer_syntax=transfer_syntax, body_part=None,
                manufacturer="Philips")
    ds.ManufacturerModelName = "Brilliance 64"
    ds.ImageType = ["DERIVED", "SECONDARY", "DOSE_INFO"]
    ds.ConversionType = "WSD"
    ds.InstanceNumber = 1
    items = []
    for i, ev in enumerate(events):
        item = Dataset()
        item.KVP = f"{ev.get('kvp', 120):g}"
        item.ExposureTime = 1000
        item.XRayTubeCurrent = ev.get("ma", 200)
        item.AcquisitionType = ev.get("acquisition_type", "SPIRAL")
        item.CommentsOnRadiationDose = f"Series {i + 1}"
        if ev.get("ctdivol") is not None:
            item.CTDIvol = float(ev["ctdivol"])
        if ev.get("dlp") is not None:
            block = item.private_block(0x00E1, "ELSCINT1", create=True)
            block.add_new(0x21, "DS", f"{float(ev['dlp']):.6g}")
        items.append(item)
    ds.ExposureDoseSequence = Sequence(items)
    if total_dlp is None:
        total_dlp = sum(float(ev["dlp"]) for ev in events if ev.get("dlp") is not None)
    block = ds.private_block(0x00E1, "ELSCINT1", create=True)
    block.add_new(0x21, "DS", f"{float(total_dlp):.6g}")
    add_pixels(ds, rows=32, columns=32, pixels=pixels, transfer_syntax=transfer_syntax)
    return ds
