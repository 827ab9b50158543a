"""Projection X-ray: dose SRs (TID 10001), DX/CR and mammography images."""
from __future__ import annotations

from typing import Any

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
from .sr import (
    XRAY_RDSR,
    Code,
    code,
    container,
    datetime_item,
    num,
    observer_device,
    sr_document,
    sr_transfer_syntax,
    study_scope,
    text,
    uidref,
)

__all__ = ["make_projection_rdsr", "make_dx_image", "make_mg_image", "VIEWS", "DX_STORAGE",
           "CR_STORAGE", "MG_PRESENTATION", "MG_PROCESSING", "DAP_UNIT_SCALE"]

DX_STORAGE = {"FOR PRESENTATION": "1.2.840.10008.5.1.4.1.1.1.1",
              "FOR PROCESSING": "1.2.840.10008.5.1.4.1.1.1.1.1"}
CR_STORAGE = "1.2.840.10008.5.1.4.1.1.1"
MG_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.2"
MG_PROCESSING = "1.2.840.10008.5.1.4.1.1.1.2.1"

#: value written = Gy·cm² x scale, per DAP unit code
DAP_UNIT_SCALE = {"Gy.m2": 1e-4, "Gym2": 1e-4, "dGy.cm2": 10.0, "Gy.cm2": 1.0, "mGy.cm2": 1000.0}

VIEWS: dict[str, Code] = {
    "CC": ("R-10242", "SRT", "cranio-caudal"),
    "MLO": ("R-10226", "SRT", "medio-lateral oblique"),
    "PA": ("R-10214", "SRT", "postero-anterior"),
    "AP": ("R-10206", "SRT", "antero-posterior"),
    "LAT": ("R-10232", "SRT", "lateral"),
}
_LATERALITY: dict[str, Code] = {
    "R": ("T-04020", "SRT", "Right breast"),
    "L": ("T-04030", "SRT", "Left breast"),
    "B": ("T-04080", "SRT", "Both breasts"),
}
_PROCEDURE: dict[str, Code] = {
    "MG": ("P5-40010", "SRT", "Mammography"),
}
_PROJECTION: Code = ("113704", "DCM", "Projection X-Ray")
_IRRADIATION: dict[str, Code] = {
    "fluoroscopy": ("P5-06000", "SRT", "Fluoroscopy"),
    "acquisition": ("113611", "DCM", "Stationary Acquisition"),
    "rotational": ("113613", "DCM", "Rotational Acquisition"),
}
_DEVICE: dict[str, Code] = {
    "DX": ("113958", "DCM", "Integrated Projection Radiography System"),
    "RF": ("113957", "DCM", "Fluoroscopy-Guided Projection Radiography System"),
    "XA": ("113957", "DCM", "Fluoroscopy-Guided Projection Radiography System"),
    "MG": ("113958", "DCM", "Integrated Projection Radiography System"),
}
_REGION: dict[str, Code] = {
    "DX": ("T-D3000", "SRT", "Chest"),
    "RF": ("T-D4000", "SRT", "Abdomen"),
    "XA": ("T-32000", "SRT", "Heart"),
    "MG": ("T-04000", "SRT", "Breast"),
}


#: Target Region codes of one place in every generation real RDSRs carry: SNOMED-RT in scheme SRT and
#: (some vendors) SNM3, SNOMED CT as in DICOM before 2020 and since (CID 4031; only chest changed code).
TARGET_REGIONS: dict[str, dict[str, Code]] = {
    "chest": {"SRT": ("T-D3000", "SRT", "Chest"), "SNM3": ("T-D3000", "SNM3", "Chest"),
              "SCT-2019": ("51185008", "SCT", "Chest"), "SCT": ("816094009", "SCT", "Chest")},
    "head": {"SRT": ("T-D1100", "SRT", "Head"), "SNM3": ("T-D1100", "SNM3", "Head"),
             "SCT-2019": ("69536005", "SCT", "Head"), "SCT": ("69536005", "SCT", "Head")},
    "abdomen": {"SRT": ("T-D4000", "SRT", "Abdomen"), "SNM3": ("T-D4000", "SNM3", "Abdomen"),
                "SCT-2019": ("113345001", "SCT", "Abdomen"), "SCT": ("818981001", "SCT", "Abdomen")},
    "femur": {"SRT": ("T-12710", "SRT", "Femur"), "SNM3": ("T-12710", "SNM3", "Femur"),
              "SCT-2019": ("71341001", "SCT", "Femur"), "SCT": ("71341001", "SCT", "Femur")},
    "knee": {"SRT": ("T-D9200", "SRT", "Knee"), "SNM3": ("T-D9200", "SNM3", "Knee"),
             "SCT-2019": ("72696002", "SCT", "Knee"), "SCT": ("72696002", "SCT", "Knee")},
    "heart": {"SRT": ("T-32000", "SRT", "Heart"), "SNM3": ("T-32000", "SNM3", "Heart"),
              "SCT-2019": ("80891009", "SCT", "Heart"), "SCT": ("80891009", "SCT", "Heart")},
    "entire body": {"SRT": ("T-D0010", "SRT", "Entire body"), "SNM3": ("T-D0010", "SNM3", "Entire body"),
                    "SCT-2019": ("38266002", "SCT", "Entire body"), "SCT": ("38266002", "SCT", "Entire body")},
    "topography unknown": {"SRT": ("T-D0001", "SRT", "Topography unknown"),
                           "SNM3": ("T-D0001", "SNM3", "Topography unknown")},
}
CODE_GENERATIONS = ("SRT", "SNM3", "SCT-2019", "SCT")


def target_region(place: str, generation: str = "SRT") -> Code:
    """The Target Region code of ``place`` (a key of :data:`TARGET_REGIONS`) in one code generation."""
    return TARGET_REGIONS[place][generation]


def _view_code(view: str | Code) -> Code:
    if isinstance(view, tuple):
        return view
    return VIEWS.get(view.upper(), (view, "99SYNTH", view))


def _event(ev: dict[str, Any], kind: str, dap_unit: str, dose_rp_unit: str, i: int,
           default_dt: str) -> Dataset:
    irr = ev.get("irradiation_type", "fluoroscopy" if kind in ("RF", "XA") else "acquisition")
    items = [
        code(("113764", "DCM", "Acquisition Plane"), ("113622", "DCM", "Single Plane")),
        uidref(("113769", "DCM", "Irradiation Event UID"), ev["event_uid"]),
        datetime_item(("111526", "DCM", "DateTime Started"), ev.get("datetime", default_dt)),
        code(("113721", "DCM", "Irradiation Event Type"), _IRRADIATION[irr]),
        text(("125203", "DCM", "Acquisition Protocol"), ev.get("protocol", f"{kind} {i + 1}")),
        code(("123014", "DCM", "Target Region"), tuple(ev.get("region_code", _REGION[kind]))),
    ]
    if ev.get("view") is not None:
        items.append(code(("111031", "DCM", "Image View"), _view_code(ev["view"])))
    if ev.get("laterality") is not None:
        items.append(code(("111027", "DCM", "Image Laterality"), _LATERALITY[ev["laterality"]]))
    if ev.get("dap_gycm2") is not None:
        items.append(num(("122130", "DCM", "Dose Area Product"),
                         ev["dap_gycm2"] * DAP_UNIT_SCALE[dap_unit], dap_unit))
    if ev.get("dose_rp_gy") is not None:
        scale = 1000.0 if dose_rp_unit == "mGy" else 1.0
        items.append(num(("113738", "DCM", "Dose (RP)"), ev["dose_rp_gy"] * scale, dose_rp_unit))
    if ev.get("entrance_mgy") is not None:
        items.append(num(("111636", "DCM", "Entrance Exposure at RP"), ev["entrance_mgy"], "mGy"))
    if ev.get("agd_mgy") is not None:
        items.append(num(("111631", "DCM", "Average Glandular Dose"), ev["agd_mgy"], "mGy"))
    if ev.get("compression_mm") is not None:
        items.append(num(("111633", "DCM", "Compression Thickness"), ev["compression_mm"], "mm"))
    if ev.get("kvp") is not None:
        items.append(num(("113733", "DCM", "KVP"), ev["kvp"], "kV"))
    return container(("113706", "DCM", "Irradiation Event X-Ray Data"), items)


def make_projection_rdsr(
    patient: PatientSpec | None = None,
    *,
    study_uid: str | None = None,
    kind: str = "DX",
    events: list[dict[str, Any]] | None = None,
    accumulated: dict[str, Any] | None = None,
    dap_unit: str = "Gy.m2",
    dose_rp_unit: str = "Gy",
    content_datetime: str = "20210304103000",
    sop_class: str = XRAY_RDSR,
    implicit: bool = False,
    big_endian: bool = False,
    **sr_kwargs: Any,
) -> Dataset:
    """A projection X-ray Radiation Dose SR following TID 10001.

    Parameters
    ----------
    patient : PatientSpec or None
    study_uid : str or None
    kind : {"DX", "RF", "XA", "MG"}
        Procedure, device type and default region; MG reports accumulated
        average glandular dose per breast (111637 with laterality).
    events : list of dict or None
        One Irradiation Event X-Ray Data (113706) per dict with optional keys
        ``dap_gycm2`` (Gy·cm², written in ``dap_unit``), ``dose_rp_gy``,
        ``agd_mgy``, ``entrance_mgy``, ``laterality`` (``"L"``/``"R"``),
        ``view`` (``"CC"``, ``"MLO"``, ``"PA"``... or a Code),
        ``irradiation_type`` (``"fluoroscopy"``/``"acquisition"``/``"rotational"``),
        ``event_uid`` (new when missing; stored back in the dict),
        ``compression_mm``, ``kvp``, ``protocol``, ``datetime``.
        Default: one PA chest acquisition of 0.12 Gy·cm².
    accumulated : dict or None
        ``dap_total_gycm2``, ``fluoro_time_s``, ``dose_rp_total_gy``; DAP and
        Dose (RP) totals default to the sums over events. The fluoroscopy and
        acquisition DAP totals (113726/113727) are always the per-type sums.
    dap_unit : {"Gy.m2", "Gym2", "dGy.cm2", "Gy.cm2", "mGy.cm2"}
        Unit code of every DAP (so Gy·m² values are Gy·cm² / 1e4).
    dose_rp_unit : {"Gy", "mGy"}

    Returns
    -------
    pydicom.dataset.FileDataset
    """
    kind = kind.upper()
    patient = patient or PatientSpec()
    study_uid = study_uid or new_uid()
    if events is None:
        events = [dict(dap_gycm2=0.12, view="PA", irradiation_type="acquisition")]
    for ev in events:
        if not ev.get("event_uid"):
            ev["event_uid"] = new_uid()
    acc = dict(accumulated or {})
    daps = [(ev.get("irradiation_type", "fluoroscopy" if kind in ("RF", "XA") else "acquisition"),
             ev.get("dap_gycm2")) for ev in events]
    scale = DAP_UNIT_SCALE[dap_unit]

    acc_items = [code(("113764", "DCM", "Acquisition Plane"), ("113622", "DCM", "Single Plane"))]
    if kind == "MG":
        for side in ("R", "L"):
            agds = [ev["agd_mgy"] for ev in events if ev.get("laterality") == side
                    and ev.get("agd_mgy") is not None]
            if agds:
                item = num(("111637", "DCM", "Accumulated Average Glandular Dose"), sum(agds), "mGy")
                item.ContentSequence = [code(("111027", "DCM", "Image Laterality"), _LATERALITY[side],
                                             "HAS CONCEPT MOD")]
                acc_items.append(item)
    dap_total = acc.get("dap_total_gycm2")
    if dap_total is None and any(d is not None for _, d in daps):
        dap_total = sum(d for _, d in daps if d is not None)
    if dap_total is not None:
        acc_items.append(num(("113722", "DCM", "Dose Area Product Total"), dap_total * scale, dap_unit))
    rp_total = acc.get("dose_rp_total_gy")
    if rp_total is None and any(ev.get("dose_rp_gy") is not None for ev in events):
        rp_total = sum(ev["dose_rp_gy"] for ev in events if ev.get("dose_rp_gy") is not None)
    if rp_total is not None:
        rp_scale = 1000.0 if dose_rp_unit == "mGy" else 1.0
        acc_items.append(num(("113725", "DCM", "Dose (RP) Total"), rp_total * rp_scale, dose_rp_unit))
    if kind in ("RF", "XA"):
        fluoro = sum(d for t, d in daps if t == "fluoroscopy" and d is not None)
        acqu = sum(d for t, d in daps if t != "fluoroscopy" and d is not None)
        acc_items.append(num(("113726", "DCM", "Fluoro Dose Area Product Total"), fluoro * scale, dap_unit))
        acc_items.append(num(("113727", "DCM", "Acquisition Dose Area Product Total"),
                             acqu * scale, dap_unit))
    if acc.get("fluoro_time_s") is not None:  # unknown stays absent, never 0
        acc_items.append(num(("113730", "DCM", "Total Fluoro Time"), acc["fluoro_time_s"], "s"))
    acc_items.append(num(("113731", "DCM", "Total Number of Radiographic Frames"),
                         sum(1 for t, _ in daps if t != "fluoroscopy"), "{frames}"))

    children: list[Dataset] = [
        code(("121058", "DCM", "Procedure reported"), _PROCEDURE.get(kind, _PROJECTION), "HAS CONCEPT MOD"),
        *observer_device(new_uid("device", kind, sr_kwargs.get("institution", "A"))),
        code(("122142", "DCM", "Acquisition Device Type"), _DEVICE[kind], "HAS OBS CONTEXT"),
        study_scope(study_uid),
        container(("113702", "DCM", "Accumulated X-Ray Dose Data"), acc_items),
    ]
    children += [_event(ev, kind, dap_unit, dose_rp_unit, i, content_datetime)
                 for i, ev in enumerate(events)]
    children.append(code(("113854", "DCM", "Source of Dose Information"),
                         ("113856", "DCM", "Automated Data Collection")))
    return sr_document(
        patient, sop_class=sop_class, title=("113701", "DCM", "X-Ray Radiation Dose Report"),
        template_id="10001", children=children, study_uid=study_uid,
        content_datetime=content_datetime,
        transfer_syntax=sr_transfer_syntax(implicit, big_endian), **sr_kwargs,
    )


def _image_shell(patient: PatientSpec, sop_class: str, modality: str, *, study_uid: str | None,
                 series_uid: str | None, study_date: str, study_time: str,
                 study_description: str | None, series_description: str | None,
                 body_part: str | None, institution: str | None, series_number: int,
                 instance_number: int, transfer_syntax: str, patient_age: str | None,
                 manufacturer: str, accession_number: str) -> Dataset:
    ds = file_dataset(sop_class, new_uid(), transfer_syntax=transfer_syntax,
                      specific_character_set=patient.specific_character_set)
    add_patient(ds, patient, patient_age=patient_age)
    add_study(ds, study_uid=study_uid or new_uid(), study_date=study_date, study_time=study_time,
              study_description=study_description, accession_number=accession_number)
    add_series(ds, series_uid=series_uid or new_uid(), modality=modality, series_number=series_number,
               series_description=series_description, series_date=study_date,
               series_time=study_time, body_part=body_part)
    add_equipment(ds, institution=institution, manufacturer=manufacturer)
    ds.InstanceNumber = instance_number
    ds.ContentDate = study_date
    ds.ContentTime = study_time
    return ds


def make_dx_image(
    patient: PatientSpec | None = None,
    *,
    dap_dgycm2: float | None = 1.2,
    body_part: str = "CHEST",
    view: str = "PA",
    entrance_dose_mgy: float | None = None,
    modality: str = "DX",
    presentation_intent: str = "FOR PRESENTATION",
    study_uid: str | None = None,
    series_uid: str | None = None,
    study_date: str = "20210304",
    study_time: str = "090000",
    study_description: str | None = "XR CHEST",
    series_description: str | None = None,
    institution: str | None = "Hospital A",
    kvp: float | None = 125,
    series_number: int = 1,
    instance_number: int = 1,
    pixels: bool = True,
    transfer_syntax: str = ExplicitVRLittleEndian,
    patient_age: str | None = None,
    manufacturer: str = "SYNTH MEDICAL",
    accession_number: str = "",
    anatomic_region: Code | None = None,
) -> Dataset:
    """A DX (or CR) radiograph with its header dose.

    Parameters
    ----------
    dap_dgycm2 : float or None
        (0018,115E) ImageAndFluoroscopyAreaDoseProduct, in dGy·cm² as the
        standard says; ``None`` omits it.
    entrance_dose_mgy : float or None
        (0040,8302) EntranceDoseInmGy.
    modality : {"DX", "CR"}
        CR uses Computed Radiography Image Storage.
    presentation_intent : {"FOR PRESENTATION", "FOR PROCESSING"}
        DX only: SOP class and (0008,0068).
    anatomic_region : Code or None
        (0008,2218) Anatomic Region Sequence, e.g. ``("T-D4000", "SNM3", "Abdomen")``.

    Returns
    -------
    pydicom.dataset.FileDataset
    """
    patient = patient or PatientSpec()
    sop = CR_STORAGE if modality == "CR" else DX_STORAGE[presentation_intent]
    ds = _image_shell(patient, sop, modality, study_uid=study_uid, series_uid=series_uid,
                      study_date=study_date, study_time=study_time,
                      study_description=study_description,
                      series_description=series_description or f"{body_part} {view}",
                      body_part=body_part, institution=institution, series_number=series_number,
                      instance_number=instance_number, transfer_syntax=transfer_syntax,
                      patient_age=patient_age, manufacturer=manufacturer,
                      accession_number=accession_number)
    if modality != "CR":
        ds.PresentationIntentType = presentation_intent
        ds.ImageType = ["ORIGINAL", "PRIMARY", ""]
    ds.ViewPosition = view
    ds.ViewCodeSequence = code_seq(*_view_code(view))
    if anatomic_region is not None:
        ds.AnatomicRegionSequence = code_seq(*anatomic_region)
    if kvp is not None:
        ds.KVP = f"{kvp:g}"
    ds.ExposureTime = 10
    ds.XRayTubeCurrent = 250
    ds.Exposure = 3
    ds.DistanceSourceToDetector = "1800"
    if dap_dgycm2 is not None:
        ds.ImageAndFluoroscopyAreaDoseProduct = f"{dap_dgycm2:.6g}"
    if entrance_dose_mgy is not None:
        ds.EntranceDoseInmGy = f"{entrance_dose_mgy:.6g}"
    ds.PatientOrientation = ["L", "F"] if modality == "DX" else ""
    add_pixels(ds, pixels=pixels, transfer_syntax=transfer_syntax,
               photometric="MONOCHROME2")
    return ds


def make_mg_image(
    patient: PatientSpec | None = None,
    *,
    organ_dose_dgy: float | None = 0.012,
    entrance_dose_mgy: float | None = 6.5,
    laterality: str = "L",
    view: str = "CC",
    compressed_thickness_mm: float | None = 55.0,
    presentation_intent: str = "FOR PRESENTATION",
    acquisition_datetime: str = "20210304091500",
    study_uid: str | None = None,
    series_uid: str | None = None,
    study_date: str | None = None,
    study_time: str | None = None,
    study_description: str | None = "MAMMOGRAPHY SCREENING",
    series_description: str | None = None,
    institution: str | None = "Hospital A",
    kvp: float | None = 29,
    series_number: int = 1,
    instance_number: int = 1,
    pixels: bool = True,
    transfer_syntax: str = ExplicitVRLittleEndian,
    patient_age: str | None = None,
    manufacturer: str = "SYNTH MEDICAL",
    accession_number: str = "",
) -> Dataset:
    """A digital mammogram with its header dose.

    Parameters
    ----------
    organ_dose_dgy : float or None
        (0040,0316) OrganDose in dGy (the view's average glandular dose).
    entrance_dose_mgy : float or None
        (0040,8302) EntranceDoseInmGy.
    laterality : {"L", "R"}
        (0020,0062) ImageLaterality.
    view : {"CC", "MLO"}
        ViewPosition and ViewCodeSequence.
    presentation_intent : {"FOR PRESENTATION", "FOR PROCESSING"}
        Selects Digital Mammography X-Ray Image Storage - For Presentation
        (1.2.840.10008.5.1.4.1.1.1.2) or - For Processing (...1.2.1).
    acquisition_datetime : str
        (0008,002A); give the processing and presentation copies of one
        exposure the same value.

    Returns
    -------
    pydicom.dataset.FileDataset
    """
    patient = patient or PatientSpec()
    sop = MG_PRESENTATION if presentation_intent == "FOR PRESENTATION" else MG_PROCESSING
    date = study_date or acquisition_datetime[:8]
    time = study_time or acquisition_datetime[8:14]
    ds = _image_shell(patient, sop, "MG", study_uid=study_uid, series_uid=series_uid,
                      study_date=date, study_time=time, study_description=study_description,
                      series_description=series_description or f"{laterality}{view}",
                      body_part="BREAST", institution=institution, series_number=series_number,
                      instance_number=instance_number, transfer_syntax=transfer_syntax,
                      patient_age=patient_age, manufacturer=manufacturer,
                      accession_number=accession_number)
    ds.PresentationIntentType = presentation_intent
    ds.ImageType = ["ORIGINAL", "PRIMARY", ""]
    ds.ImageLaterality = laterality
    ds.ViewPosition = view
    ds.ViewCodeSequence = code_seq(*_view_code(view))
    ds.AcquisitionDateTime = acquisition_datetime
    ds.AcquisitionDate = acquisition_datetime[:8]
    ds.AcquisitionTime = acquisition_datetime[8:14]
    ds.PatientOrientation = ["A", "R"] if laterality == "L" else ["P", "L"]
    ds.AnodeTargetMaterial = "TUNGSTEN"
    ds.FilterMaterial = "RHODIUM"
    if kvp is not None:
        ds.KVP = f"{kvp:g}"
    ds.Exposure = 80
    if organ_dose_dgy is not None:
        ds.OrganDose = f"{organ_dose_dgy:.6g}"
        ds.OrganExposed = "BREAST"
    if entrance_dose_mgy is not None:
        ds.EntranceDoseInmGy = f"{entrance_dose_mgy:.6g}"
    if compressed_thickness_mm is not None:
        ds.BodyPartThickness = f"{compressed_thickness_mm:g}"
        ds.CompressionForce = "120"
    add_pixels(ds, pixels=pixels, transfer_syntax=transfer_syntax)
    return ds
