"""Nuclear medicine: radiopharmaceutical dose SRs (TID 10021), NM and PET images."""
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
    code_seq,
    file_dataset,
    new_uid,
)
from .sr import (
    RADIOPHARMACEUTICAL_RDSR,
    Code,
    code,
    container,
    datetime_item,
    num,
    observer_device,
    sr_document,
    sr_transfer_syntax,
    text,
    uidref,
)

__all__ = ["make_rrdsr", "make_nm_image", "make_pt_series", "FDG", "F18", "FDG_SCT", "F18_SCT", "TC99M",
           "MDP", "NM_STORAGE", "PET_STORAGE"]

NM_STORAGE = "1.2.840.10008.5.1.4.1.1.20"
PET_STORAGE = "1.2.840.10008.5.1.4.1.1.128"

FDG: Code = ("C-B1031", "SRT", "Fluorodeoxyglucose F^18^")
F18: Code = ("C-111A1", "SRT", "^18^Fluorine")
#: the same concepts in SNOMED CT (newer files use SCT instead of SRT)
FDG_SCT: Code = ("35321007", "SCT", "Fluorodeoxyglucose F^18^")
F18_SCT: Code = ("77004003", "SCT", "^18^Fluorine")
_CONCEPTS = {
    False: {"agent": ("F-61FDB", "SRT", "Radiopharmaceutical agent"),
            "nuclide": ("C-10072", "SRT", "Radionuclide"),
            "half_life": ("R-42806", "SRT", "Radionuclide Half Life"),
            "route": ("G-C340", "SRT", "Route of administration")},
    True: {"agent": ("349358000", "SCT", "Radiopharmaceutical agent"),
           "nuclide": ("89457008", "SCT", "Radionuclide"),
           "half_life": ("304283002", "SCT", "Radionuclide Half Life"),
           "route": ("410675002", "SCT", "Route of administration")},
}
TC99M: Code = ("C-163A8", "SRT", "^99m^Technetium")
MDP: Code = ("C-B1038", "SRT", "Technetium Tc-99m medronate")
_HALF_LIFE_S = {"C-111A1": 6586.2, "77004003": 6586.2, "C-163A8": 21624.12}


def make_rrdsr(
    patient: PatientSpec | None = None,
    *,
    study_uid: str | None = None,
    activity_mbq: float | None = 370.0,
    radiopharmaceutical: Code | None = None,
    nuclide: Code | None = None,
    sct: bool = False,
    effective_dose_msv: float | None = None,
    effective_dose_in_private_container: bool = False,
    start_datetime: str = "20210304093000",
    content_datetime: str = "20210304110000",
    event_uid: str | None = None,
    route: Code = ("G-D101", "SRT", "Intravenous route"),
    implicit: bool = False,
    big_endian: bool = False,
    height_cm: float | None = None,
    weight_kg: float | None = None,
    **sr_kwargs: Any,
) -> Dataset:
    """A Radiopharmaceutical Radiation Dose SR (SOP 1.2.840.10008.5.1.4.1.1.88.68, TID 10021).

    Parameters
    ----------
    patient : PatientSpec or None
    study_uid : str or None
    activity_mbq : float or None
        113507 Administered activity in MBq; ``None`` omits it.
    radiopharmaceutical : Code or None
        Value of Radiopharmaceutical agent; default Fluorodeoxyglucose F^18^
        (:data:`FDG`, SRT C-B1031, or :data:`FDG_SCT`, SCT 35321007, with ``sct``).
    nuclide : Code or None
        Value of Radionuclide; default ^18^Fluorine (SRT C-111A1 / SCT 77004003).
    sct : bool
        Use the SNOMED CT concept names (349358000 agent, 89457008 radionuclide,
        304283002 half life, 410675002 route) instead of the retired SRT ones
        (F-61FDB, C-10072, R-42806, G-C340).
    effective_dose_msv : float or None
        113839 Effective Dose (mSv) in the administration container, or in a
        private container when ``effective_dose_in_private_container``.
    start_datetime : str
        123003 Radiopharmaceutical Start DateTime.
    height_cm, weight_kg : float or None
        Patient Height (8302-2, LN, in cm) and Patient Weight (29463-7, LN, in kg)
        in a Patient Characteristics container (TID 10023); omitted when None.

    Returns
    -------
    pydicom.dataset.FileDataset
    """
    patient = patient or PatientSpec()
    study_uid = study_uid or new_uid()
    names = _CONCEPTS[sct]
    radiopharmaceutical = radiopharmaceutical or (FDG_SCT if sct else FDG)
    nuclide = nuclide or (F18_SCT if sct else F18)
    if sct and route[1] == "SRT":
        route = ("47625008", "SCT", "Intravenous route")
    admin = [
        code(names["agent"], radiopharmaceutical),
        code(names["nuclide"], nuclide),
    ]
    if nuclide[0] in _HALF_LIFE_S:
        admin.append(num(names["half_life"], _HALF_LIFE_S[nuclide[0]], "s"))
    admin += [
        datetime_item(("123003", "DCM", "Radiopharmaceutical Start DateTime"), start_datetime),
        datetime_item(("123004", "DCM", "Radiopharmaceutical Stop DateTime"), start_datetime),
    ]
    if activity_mbq is not None:
        admin.append(num(("113507", "DCM", "Administered activity"), activity_mbq, "MBq"))
    admin += [
        code(names["route"], route),
        uidref(("113503", "DCM", "Radiopharmaceutical Administration Event UID"),
               event_uid or new_uid()),
    ]
    if effective_dose_msv is not None:
        dose = num(("113839", "DCM", "Effective Dose"), effective_dose_msv, "mSv")
        if effective_dose_in_private_container:
            admin.append(container(("99001", "99SYNTH", "Vendor Dose Estimate"), [dose]))
        else:
            admin.append(dose)
    children = [
        code(("121058", "DCM", "Procedure reported"), ("P5-A0700", "SRT", "PET study"),
             "HAS CONCEPT MOD"),
        *observer_device(new_uid("device", "rrdsr", sr_kwargs.get("institution", "A"))),
        container(("113502", "DCM", "Radiopharmaceutical Administration"), admin),
        text(("121106", "DCM", "Comment"), "synthetic"),
    ]
    characteristics = ([num(("8302-2", "LN", "Patient Height"), height_cm, "cm")] if height_cm is not None else []) \
        + ([num(("29463-7", "LN", "Patient Weight"), weight_kg, "kg")] if weight_kg is not None else [])
    if characteristics:
        children.insert(-1, container(("121118", "DCM", "Patient Characteristics"), characteristics))
    return sr_document(
        patient, sop_class=RADIOPHARMACEUTICAL_RDSR,
        title=("113500", "DCM", "Radiopharmaceutical Radiation Dose Report"),
        template_id="10021", children=children, study_uid=study_uid,
        content_datetime=content_datetime,
        transfer_syntax=sr_transfer_syntax(implicit, big_endian), **sr_kwargs,
    )


def _radiopharmaceutical_seq(activity_bq: float | None, agent: str, start_datetime: str,
                             agent_code: Code | None, nuclide: Code | None) -> Sequence:
    item = Dataset()
    item.Radiopharmaceutical = agent
    item.RadiopharmaceuticalStartDateTime = start_datetime
    item.RadiopharmaceuticalStartTime = start_datetime[8:14]
    if activity_bq is not None:
        item.RadionuclideTotalDose = f"{activity_bq:.6g}"
    if nuclide is not None:
        item.RadionuclideCodeSequence = code_seq(*nuclide)
        if nuclide[0] in _HALF_LIFE_S:
            item.RadionuclideHalfLife = f"{_HALF_LIFE_S[nuclide[0]]:g}"
    if agent_code is not None:
        item.RadiopharmaceuticalCodeSequence = code_seq(*agent_code)
    item.RadiopharmaceuticalRoute = "Intravenous"
    return Sequence([item])


def _nm_pt(patient: PatientSpec | None, sop: str, modality: str, *, n_slices: int,
           activity_bq: float | None, activity_in_mbq_field: bool, radiopharmaceutical: str,
           agent_code: Code | None, nuclide: Code | None, start_datetime: str,
           study_uid: str | None, series_uid: str | None, study_date: str, study_time: str,
           study_description: str | None, series_description: str | None,
           institution: str | None, series_number: int, pixels: bool, transfer_syntax: str,
           patient_age: str | None, body_part: str | None) -> list[Dataset]:
    patient = patient or PatientSpec()
    ds = file_dataset(sop, "1.2.3", transfer_syntax=transfer_syntax,
                      specific_character_set=patient.specific_character_set)
    add_patient(ds, patient, patient_age=patient_age)
    add_study(ds, study_uid=study_uid or new_uid(), study_date=study_date, study_time=study_time,
              study_description=study_description)
    add_series(ds, series_uid=series_uid or new_uid(), modality=modality, series_number=series_number,
               series_description=series_description, series_date=study_date,
               series_time=study_time, body_part=body_part)
    add_equipment(ds, institution=institution)
    written = activity_bq
    if activity_bq is not None and activity_in_mbq_field:
        written = activity_bq / 1e6  # the vendor quirk: MBq in a Bq field
    ds.RadiopharmaceuticalInformationSequence = _radiopharmaceutical_seq(
        written, radiopharmaceutical, start_datetime, agent_code, nuclide)
    ds.AcquisitionDate = study_date
    ds.AcquisitionTime = study_time
    ds.ContentDate = study_date
    ds.ContentTime = study_time
    ds.FrameOfReferenceUID = new_uid()
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.PixelSpacing = ["4", "4"]
    ds.SliceThickness = "4"
    if modality == "PT":
        ds.ImageType = ["ORIGINAL", "PRIMARY"]
        ds.Units = "BQML"
        ds.DecayCorrection = "START"
        ds.CorrectedImage = ["DECY", "ATTN", "SCAT"]
        ds.SeriesType = ["WHOLE BODY", "IMAGE"]
        ds.RescaleIntercept = "0"
        ds.RescaleSlope = "1"
        ds.NumberOfSlices = n_slices
    else:
        ds.ImageType = ["ORIGINAL", "PRIMARY", "STATIC", ""]
        ds.NumberOfFrames = 1
        ds.FrameIncrementPointer = 0x00540080
        ds.SliceVector = [1]
    add_pixels(ds, pixels=pixels, transfer_syntax=transfer_syntax)
    out = []
    for i in range(n_slices):
        item = copy.deepcopy(ds)
        uid = new_uid()
        item.SOPInstanceUID = uid
        item.file_meta.MediaStorageSOPInstanceUID = uid
        item.InstanceNumber = i + 1
        item.ImagePositionPatient = ["-32", "-32", f"{4.0 * i:g}"]
        if modality == "PT":
            item.ImageIndex = i + 1
        out.append(item)
    return out


def make_pt_series(
    patient: PatientSpec | None = None,
    *,
    activity_bq: float | None = 370e6,
    activity_in_mbq_field: bool = False,
    radiopharmaceutical: str = "Fludeoxyglucose",
    agent_code: Code | None = FDG,
    nuclide: Code | None = F18,
    start_datetime: str = "20210304093000",
    n_slices: int = 10,
    study_uid: str | None = None,
    series_uid: str | None = None,
    study_date: str = "20210304",
    study_time: str = "103000",
    study_description: str | None = "PET-CT WHOLE BODY",
    series_description: str | None = "PET WB AC",
    institution: str | None = "Hospital A",
    series_number: int = 5,
    pixels: bool = True,
    transfer_syntax: str = ExplicitVRLittleEndian,
    patient_age: str | None = None,
    body_part: str | None = "WHOLEBODY",
) -> list[Dataset]:
    """A PET series (PET Image Storage) with its radiopharmaceutical information.

    Parameters
    ----------
    activity_bq : float or None
        Injected activity in Bq, written to (0018,1074) RadionuclideTotalDose.
    activity_in_mbq_field : bool
        Write MBq into the Bq field (e.g. ``370``), as some vendors do.
    radiopharmaceutical : str
        (0018,0031) Radiopharmaceutical.
    agent_code, nuclide : Code or None
        RadiopharmaceuticalCodeSequence / RadionuclideCodeSequence.
    start_datetime : str
        (0018,1078) RadiopharmaceuticalStartDateTime.

    Returns
    -------
    list of pydicom.dataset.FileDataset
    """
    return _nm_pt(patient, PET_STORAGE, "PT", n_slices=n_slices, activity_bq=activity_bq,
                  activity_in_mbq_field=activity_in_mbq_field, radiopharmaceutical=radiopharmaceutical,
                  agent_code=agent_code, nuclide=nuclide, start_datetime=start_datetime,
                  study_uid=study_uid, series_uid=series_uid, study_date=study_date,
                  study_time=study_time, study_description=study_description,
                  series_description=series_description, institution=institution,
                  series_number=series_number, pixels=pixels, transfer_syntax=transfer_syntax,
                  patient_age=patient_age, body_part=body_part)


def make_nm_image(
    patient: PatientSpec | None = None,
    *,
    activity_bq: float | None = 740e6,
    activity_in_mbq_field: bool = False,
    radiopharmaceutical: str = "Tc99m MDP",
    agent_code: Code | None = MDP,
    nuclide: Code | None = TC99M,
    start_datetime: str = "20210304080000",
    n_slices: int = 1,
    study_uid: str | None = None,
    series_uid: str | None = None,
    study_date: str = "20210304",
    study_time: str = "110000",
    study_description: str | None = "NM BONE SCAN",
    series_description: str | None = "WB ANT",
    institution: str | None = "Hospital A",
    series_number: int = 1,
    pixels: bool = True,
    transfer_syntax: str = ExplicitVRLittleEndian,
    patient_age: str | None = None,
    body_part: str | None = "WHOLEBODY",
) -> list[Dataset]:
    """NM images (NM Image Storage), ``n_slices`` single-frame objects.

    Same radiopharmaceutical options as :func:`make_pt_series` (default
    740 MBq Tc-99m MDP bone scan; ``activity_in_mbq_field=True`` writes 740).

    Returns
    -------
    list of pydicom.dataset.FileDataset
    """
    return _nm_pt(patient, NM_STORAGE, "NM", n_slices=n_slices, activity_bq=activity_bq,
                  activity_in_mbq_field=activity_in_mbq_field, radiopharmaceutical=radiopharmaceutical,
                  agent_code=agent_code, nuclide=nuclide, start_datetime=start_datetime,
                  study_uid=study_uid, series_uid=series_uid, study_date=study_date,
                  study_time=study_time, study_description=study_description,
                  series_description=series_description, institution=institution,
                  series_number=series_number, pixels=pixels, transfer_syntax=transfer_syntax,
                  patient_age=patient_age, body_part=body_part)
