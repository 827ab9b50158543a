"""CT radiation dose structured reports (DICOM PS3.16 TID 10011)."""
from __future__ import annotations

from typing import Any

from pydicom.dataset import Dataset

from .common import PatientSpec, new_uid
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

__all__ = ["make_ct_rdsr", "make_cumulative_ct_rdsrs", "make_split_ct_rdsrs", "ct_events",
           "ACQUISITION_TYPES", "PHANTOMS"]

#: event ``acquisition_type`` -> 113820 CT Acquisition Type value
ACQUISITION_TYPES: dict[str, Code] = {
    "spiral": ("P5-08001", "SRT", "Spiral Acquisition"),
    "spiral-sct": ("116152004", "SCT", "Spiral Acquisition"),
    "sequenced": ("113804", "DCM", "Sequenced Acquisition"),
    "localizer": ("113805", "DCM", "Constant Angle Acquisition"),
    "stationary": ("113806", "DCM", "Stationary Acquisition"),
    "free": ("113807", "DCM", "Free Acquisition"),
}
#: event ``phantom`` -> 113835 CTDIw Phantom Type value
PHANTOMS: dict[str, Code] = {
    "32": ("113691", "DCM", "IEC Body Dosimetry Phantom"),
    "16": ("113690", "DCM", "IEC Head Dosimetry Phantom"),
}
CHEST: Code = ("T-D3000", "SRT", "Chest")
CT_PROCEDURE: Code = ("P5-08000", "SRT", "Computed Tomography X-Ray")


def ct_events(n: int = 2, *, ctdivol: float = 10.0, length_mm: float = 300.0,
              region_code: Code = CHEST, phantom: str = "32") -> list[dict[str, Any]]:
    """``n`` spiral events with event UIDs (DLP = CTDIvol x length / 10).

    Returns
    -------
    list of dict
        Ready for :func:`make_ct_rdsr`'s ``events``.
    """
    return [
        dict(ctdivol=ctdivol, dlp=round(ctdivol * length_mm / 10.0, 2), length_mm=length_mm,
             region_code=region_code, phantom=phantom, acquisition_type="spiral",
             event_uid=new_uid(), protocol=f"Routine {i + 1}")
        for i in range(n)
    ]


def _event_items(ev: dict[str, Any], unit_dlp: str, index: int) -> Dataset:
    acq_type = ev.get("acquisition_type", "spiral")
    children = [
        text(("125203", "DCM", "Acquisition Protocol"), ev.get("protocol", f"Series {index + 1}")),
    ]
    region = ev.get("region_code", CHEST)
    if region is not None:
        children.append(code(("123014", "DCM", "Target Region"), tuple(region)))
    children.append(code(("113820", "DCM", "CT Acquisition Type"),
                         ACQUISITION_TYPES[acq_type] if isinstance(acq_type, str) else tuple(acq_type)))
    children.append(uidref(("113769", "DCM", "Irradiation Event UID"), ev["event_uid"]))
    if ev.get("datetime"):
        children.append(datetime_item(("111526", "DCM", "DateTime Started"), ev["datetime"]))
    params = [num(("113824", "DCM", "Exposure Time"), ev.get("exposure_time_s", 5.0), "s")]
    if ev.get("length_mm") is not None:
        params.append(num(("113825", "DCM", "Scanning Length"), ev["length_mm"], "mm"))
    params += [
        num(("113826", "DCM", "Nominal Single Collimation Width"), 0.6, "mm"),
        num(("113827", "DCM", "Nominal Total Collimation Width"), 38.4, "mm"),
        num(("113823", "DCM", "Number of X-Ray Sources"), 1, "{X-Ray sources}"),
    ]
    if acq_type in ("spiral", "spiral-sct"):
        params.append(num(("113828", "DCM", "Pitch Factor"), ev.get("pitch", 1.0), "{ratio}"))
    source = container(("113831", "DCM", "CT X-Ray Source Parameters"), [
        text(("113832", "DCM", "Identification of the X-Ray Source"), "A"),
        num(("113733", "DCM", "KVP"), ev.get("kvp", 120), "kV"),
        num(("113833", "DCM", "Maximum X-Ray Tube Current"), ev.get("ma_max", 300), "mA"),
        num(("113734", "DCM", "X-Ray Tube Current"), ev.get("ma", 200), "mA"),
        num(("113834", "DCM", "Exposure Time per Rotation"), 0.5, "s"),
    ])
    params.append(source)
    children.append(container(("113822", "DCM", "CT Acquisition Parameters"), params))
    if ev.get("ctdivol") is not None or ev.get("dlp") is not None:
        dose = []
        if ev.get("ctdivol") is not None:
            dose.append(num(("113830", "DCM", "Mean CTDIvol"), ev["ctdivol"], "mGy"))
        if ev.get("phantom") is not None:
            dose.append(code(("113835", "DCM", "CTDIw Phantom Type"), PHANTOMS[str(ev["phantom"])]))
        if ev.get("dlp") is not None:
            dose.append(num(("113838", "DCM", "DLP"), ev["dlp"], unit_dlp))
        if ev.get("effective_dose_msv") is not None:
            dose.append(num(("113839", "DCM", "Effective Dose"), ev["effective_dose_msv"], "mSv"))
        children.append(container(("113829", "DCM", "CT Dose"), dose))
    return container(("113819", "DCM", "CT Acquisition"), children)


def make_ct_rdsr(
    patient: PatientSpec | None = None,
    *,
    study_uid: str | None = None,
    events: list[dict[str, Any]] | None = None,
    dlp_total: float | None = None,
    content_datetime: str = "20210304103000",
    sop_class: str = XRAY_RDSR,
    unit_dlp: str = "mGy.cm",
    implicit: bool = False,
    big_endian: bool = False,
    start_datetime: str | None = None,
    device_uid: str | None = None,
    **sr_kwargs: Any,
) -> Dataset:
    """A CT Radiation Dose SR following TID 10011.

    Parameters
    ----------
    patient : PatientSpec or None
    study_uid : str or None
        Study the report belongs to (new when ``None``).
    events : list of dict or None
        One CT Acquisition (113819) per dict with keys ``ctdivol`` (mGy),
        ``dlp`` (in ``unit_dlp``), ``length_mm``, ``region_code`` (Code or
        ``None``), ``phantom`` (``"32"``/``"16"``/``None``),
        ``acquisition_type`` (``"spiral"``, ``"spiral-sct"``, ``"sequenced"``, ``"localizer"``,
        ``"stationary"``, ``"free"`` or a Code), ``event_uid`` (new when
        missing; the dict is updated so cumulative reports can reuse it),
        ``protocol``, optional ``kvp``, ``datetime``, ``effective_dose_msv``.
        A ``ctdivol`` and ``dlp`` both ``None`` omit the CT Dose container.
        Default: :func:`ct_events` (2 chest spirals).
    dlp_total : float or None
        113813 CT Dose Length Product Total; default the sum of event DLPs.
    content_datetime : str
        ``YYYYMMDDHHMMSS`` of the report.
    sop_class : str
        X-Ray Radiation Dose SR (default), Comprehensive SR or Enhanced SR.
    unit_dlp : str
        UCUM-ish unit code of DLP values (``"mGy.cm"``; real files also ``"mGycm"``).
    implicit, big_endian : bool
        Transfer syntax switches (default explicit VR little endian).
    **sr_kwargs
        Passed to :func:`synth.sr.sr_document` (series_uid, institution, ...).

    Returns
    -------
    pydicom.dataset.FileDataset
    """
    patient = patient or PatientSpec()
    study_uid = study_uid or new_uid()
    events = ct_events() if events is None else events
    for ev in events:
        if not ev.get("event_uid"):
            ev["event_uid"] = new_uid()
    if dlp_total is None:
        dlp_total = sum(float(ev["dlp"]) for ev in events if ev.get("dlp") is not None)
    children: list[Dataset] = [
        code(("121058", "DCM", "Procedure reported"), CT_PROCEDURE, "HAS CONCEPT MOD"),
        *observer_device(device_uid or new_uid("device", sr_kwargs.get("institution", "A"))),
        study_scope(study_uid),
        datetime_item(("113809", "DCM", "Start of X-Ray Irradiation"),
                      start_datetime or content_datetime, "CONTAINS"),
        container(("113811", "DCM", "CT Accumulated Dose Data"), [
            num(("113812", "DCM", "Total Number of Irradiation Events"), len(events), "{events}"),
            num(("113813", "DCM", "CT Dose Length Product Total"), dlp_total, unit_dlp),
        ]),
    ]
    children += [_event_items(ev, unit_dlp, i) for i, ev in enumerate(events)]
    children.append(code(("113854", "DCM", "Source of Dose Information"),
                         ("113856", "DCM", "Automated Data Collection")))
    return sr_document(
        patient, sop_class=sop_class, title=("113701", "DCM", "X-Ray Radiation Dose Report"),
        template_id="10011", children=children, study_uid=study_uid,
        content_datetime=content_datetime,
        transfer_syntax=sr_transfer_syntax(implicit, big_endian), **sr_kwargs,
    )


def make_cumulative_ct_rdsrs(
    patient: PatientSpec | None = None,
    *,
    study_uid: str | None = None,
    events: list[dict[str, Any]] | None = None,
    first_n: int = 1,
    content_datetimes: tuple[str, str] = ("20210304103000", "20210304104500"),
    **kwargs: Any,
) -> list[Dataset]:
    """Two reports of one study: the first ``first_n`` events, then all of them.

    The second report repeats the first one's Irradiation Event UIDs and has a
    later content date/time (what scanners send after each added series).
    Counting each event UID once gives the study's dose.

    Returns
    -------
    list of Dataset
        ``[partial, complete]`` with different SOP Instance UIDs.
    """
    events = ct_events(3) if events is None else events
    for ev in events:
        ev.setdefault("event_uid", new_uid())
    study_uid = study_uid or new_uid()
    first = make_ct_rdsr(patient, study_uid=study_uid, events=events[:first_n],
                         content_datetime=content_datetimes[0], **kwargs)
    full = make_ct_rdsr(patient, study_uid=study_uid, events=events,
                        content_datetime=content_datetimes[1], **kwargs)
    return [first, full]


def make_split_ct_rdsrs(
    patient: PatientSpec | None = None,
    *,
    study_uid: str | None = None,
    events: list[dict[str, Any]] | None = None,
    first_n: int = 1,
    content_datetimes: tuple[str, str] = ("20210304103000", "20210304104500"),
    **kwargs: Any,
) -> list[Dataset]:
    """Two reports of one study with disjoint events (both must be summed).

    Returns
    -------
    list of Dataset
        ``[events[:first_n], events[first_n:]]`` reports.
    """
    events = ct_events(3) if events is None else events
    study_uid = study_uid or new_uid()
    return [
        make_ct_rdsr(patient, study_uid=study_uid, events=events[:first_n],
                     content_datetime=content_datetimes[0], **kwargs),
        make_ct_rdsr(patient, study_uid=study_uid, events=events[first_n:],
                     content_datetime=content_datetimes[1], **kwargs),
    ]
