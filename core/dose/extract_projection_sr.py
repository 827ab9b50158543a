"""Projection X-Ray Radiation Dose SR (TID 10001) to :class:`DoseRecord`.

Covers radiography (DX/CR), fluoroscopy and angiography (RF/XA, single and
biplane) and mammography (MG), plus Siemens fluoroscopy Enhanced SRs that
carry only the private ``99SMS_RADSUM`` cumulative dose-area product.
"""
from __future__ import annotations

from pydicom.dataset import Dataset

from ..dicom.codes import MAMMOGRAPHY_VIEWS
from . import sr, units
from .records import Accumulation, DoseRecord, ProjectionEvent

DCM = "DCM"
ACCUMULATED = ("113702", DCM)
EVENT = ("113706", DCM)
PLANE = ("113764", DCM)
DAP_TOTAL = ("113722", DCM)
DOSE_RP_TOTAL = ("113725", DCM)
FLUORO_DAP_TOTAL = ("113726", DCM)
ACQ_DAP_TOTAL = ("113727", DCM)
FLUORO_TIME = ("113730", DCM)
ACQ_TIME = ("113855", DCM)
AGD_ACCUMULATED = ("111637", DCM)
DAP = ("122130", DCM)
DOSE_RP = ("113738", DCM)
AGD = ("111631", DCM)
ENTRANCE_EXPOSURE = ("111636", DCM)
EVENT_UID = ("113769", DCM)
DATETIME_STARTED = ("111526", DCM)
EVENT_TYPE = ("113721", DCM)
TARGET_REGION = ("123014", DCM)
ANATOMY = [("T-D0005", "SRT"), ("91723000", "SCT")]
LATERALITY = [("G-C171", "SRT"), ("272741003", "SCT"), ("111027", DCM)]  # 111027 Image Laterality
IMAGE_VIEW = ("111031", DCM)
KVP = ("113733", DCM)
EXPOSURE_TIME = [("113735", DCM), ("113824", DCM)]
PROCEDURE_REPORTED = ("121058", DCM)
DEVICE_TYPE = ("122142", DCM)
SIEMENS_RADSUM_TITLE = ("C-10", "99SMS_RADSUM")  # Siemens (Varic) radiation summary document
SIEMENS_CUMULATIVE_DAP = ("C-204", "99SMS_RADSUM")  # Gy.cm^2 in real files
SIEMENS_FLUORO_TIME = ("C-202", "99SMS_RADSUM")

PLANES = {("113620", DCM): "A", ("113621", DCM): "B", ("113622", DCM): None}
EVENT_TYPES = {
    ("P5-06000", "SRT"): "fluoroscopy",
    ("44491008", "SCT"): "fluoroscopy",
    ("113611", DCM): "stationary",
    ("113612", DCM): "acquisition",  # stepping acquisition
    ("113613", DCM): "acquisition",  # rotational acquisition
}
LATERALITIES = {
    ("G-A101", "SRT"): "L", ("7771000", "SCT"): "L",
    ("G-A100", "SRT"): "R", ("24028007", "SCT"): "R",
    ("G-A102", "SRT"): "B", ("51440002", "SCT"): "B",
    ("T-04030", "SRT"): "L", ("80248007", "SCT"): "L",  # left breast
    ("T-04020", "SRT"): "R", ("73056007", "SCT"): "R",  # right breast
}
MAMMOGRAPHY_PROCEDURES = {("P5-40010", "SRT"), ("71651007", "SCT")}
DEVICE_TYPE_MODALITY = {("113957", DCM): "RF", ("113958", DCM): "DX", ("113959", DCM): "DX"}


def is_projection_report(ds: Dataset) -> bool:
    """True when the SR carries projection accumulated data or events."""
    return bool(sr.find_children(ds, ACCUMULATED, EVENT))


def has_siemens_cumulative(ds: Dataset, doc: sr.Index | None = None) -> bool:
    """True when the SR holds Siemens' private cumulative DAP (C-204 99SMS_RADSUM)."""
    return sr.is_concept(ds, SIEMENS_RADSUM_TITLE) or sr.find_first(
        doc if doc is not None else ds, SIEMENS_CUMULATIVE_DAP) is not None


def extract_projection_sr(ds: Dataset, record: DoseRecord, doc: sr.Index | None = None) -> DoseRecord:
    """Fill ``record`` from a projection X-ray dose SR.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A TID 10001 report (or a Siemens private fluoroscopy summary).
    record : DoseRecord
        A record with ``kind="projection"`` whose identity fields are set.
    doc : core.dose.sr.Index, optional
        The report's index, when the caller already built it.

    Returns
    -------
    DoseRecord
        The same record with ``accumulations`` (one per plane),
        ``projection_events`` and ``report_modality`` (``"MG"``, ``"RF"``,
        ``"XA"`` or ``"DX"``) filled.
    """
    warnings = record.warnings
    doc = doc if doc is not None else sr.index(ds)
    for index, container in enumerate(sr.find_children(ds, ACCUMULATED), start=1):
        try:
            record.accumulations.append(_accumulation(container, warnings, f"accumulated data {index}"))
        except Exception as exc:  # noqa: BLE001
            warnings.append(f"accumulated data {index} could not be read: {type(exc).__name__}: {exc}")
    for index, container in enumerate(sr.find_children(ds, EVENT), start=1):
        try:
            event = _event(container, warnings, f"event {index}")
        except Exception as exc:  # noqa: BLE001
            warnings.append(f"event {index} could not be read: {type(exc).__name__}: {exc}")
            continue
        record.projection_events.append(event)
        sr.add_region(record, event.target_region)
    for node in sr.find_all(doc, *ANATOMY):
        sr.add_region(record, sr.code_of(node))
    if not record.accumulations and not record.projection_events:
        _siemens_private(doc, record)
    record.report_modality = classify(ds, record, doc)
    return record


def _plane(container: Dataset) -> str | None:
    node = sr.find_child(container, PLANE)
    return PLANES.get(sr.code_key(node)) if node is not None else None


def _laterality(node: Dataset) -> str | None:
    """Laterality of a NUM/CODE item from its own modifier or the item below."""
    for mod in sr.find_all(node, *LATERALITY):
        value = LATERALITIES.get(sr.code_key(mod))
        if value:
            return value
    return None


def _accumulation(container: Dataset, warnings: list[str], label: str) -> Accumulation:
    acc = Accumulation(plane=_plane(container))
    tree = sr.index(container)
    dap = units.DAP_GYCM2
    acc.dap_total_gycm2 = sr.first_num(tree, [DAP_TOTAL], dap, warnings, f"{label} DAP total")
    acc.fluoro_dap_total_gycm2 = sr.first_num(tree, [FLUORO_DAP_TOTAL], dap, warnings,
                                              f"{label} fluoro DAP total")
    acc.acquisition_dap_total_gycm2 = sr.first_num(tree, [ACQ_DAP_TOTAL], dap, warnings,
                                                   f"{label} acquisition DAP total")
    acc.dose_rp_total_gy = sr.first_num(tree, [DOSE_RP_TOTAL], units.DOSE_GY, warnings,
                                        f"{label} dose (RP) total")
    acc.fluoro_time_s = sr.first_num(tree, [FLUORO_TIME], units.TIME_S, warnings,
                                     f"{label} fluoro time", "s")
    acc.acquisition_time_s = sr.first_num(tree, [ACQ_TIME], units.TIME_S, warnings,
                                          f"{label} acquisition time", "s")
    for node in sr.find_all(tree, AGD_ACCUMULATED):
        value = sr.num(node, units.DOSE_MGY, warnings, f"{label} accumulated AGD", "mGy")
        if value is None:
            continue
        side = _laterality(node)
        if side is None:
            warnings.append(f"{label}: accumulated AGD {value:g} mGy without laterality, kept as 'B'")
            side = "B"
        acc.agd_by_laterality_mgy[side] = acc.agd_by_laterality_mgy.get(side, 0.0) + value
    return acc


def _event(container: Dataset, warnings: list[str], label: str) -> ProjectionEvent:
    event = ProjectionEvent(plane=_plane(container))
    tree = sr.index(container)
    event.event_uid = sr.uid_of(sr.find_first(tree, EVENT_UID))
    event.datetime = sr.datetime_of(sr.find_first(tree, DATETIME_STARTED))
    type_node = sr.find_first(tree, EVENT_TYPE)
    if type_node is not None:
        key = sr.code_key(type_node)
        event.irradiation_type = EVENT_TYPES.get(key)
        if key and event.irradiation_type is None:
            warnings.append(f"{label}: unknown irradiation event type {key[0]} ({key[1]})")
    event.dap_gycm2 = sr.first_num(tree, [DAP], units.DAP_GYCM2, warnings, f"{label} DAP")
    event.dose_rp_gy = sr.first_num(tree, [DOSE_RP], units.DOSE_GY, warnings, f"{label} dose (RP)")
    event.agd_mgy = sr.first_num(tree, [AGD], units.DOSE_MGY, warnings, f"{label} AGD", "mGy")
    event.entrance_exposure_mgy = sr.first_num(tree, [ENTRANCE_EXPOSURE], units.DOSE_MGY, warnings,
                                               f"{label} entrance exposure", "mGy")
    event.kvp = sr.first_num(tree, [KVP], units.KVP_KV, warnings, f"{label} kVp", "kV")
    event.exposure_time_s = sr.first_num(tree, EXPOSURE_TIME, units.TIME_S, warnings,
                                         f"{label} exposure time")
    event.target_region = sr.code_of(sr.find_first(tree, TARGET_REGION))
    anatomy = sr.find_first(tree, *ANATOMY)
    event.laterality = _laterality(anatomy) if anatomy is not None else None
    if event.laterality is None:
        direct = [n for n in sr.children(container) if sr.is_concept(n, *LATERALITY)]
        event.laterality = LATERALITIES.get(sr.code_key(direct[0])) if direct else None
    view = sr.find_first(tree, IMAGE_VIEW)
    if view is not None:
        key = sr.code_key(view)
        code = sr.code_of(view)
        event.view = MAMMOGRAPHY_VIEWS.get(key) or (code.meaning if code else None) or None
    return event


def _siemens_private(doc: sr.Index, record: DoseRecord) -> None:
    node = sr.find_first(doc, SIEMENS_CUMULATIVE_DAP)
    if node is None:
        record.warnings.append("projection dose report without accumulated data or events")
        return
    dap = sr.num(node, units.DAP_GYCM2, record.warnings, "Siemens cumulative DAP (C-204 99SMS_RADSUM)")
    fluoro_time = sr.first_num(doc, [SIEMENS_FLUORO_TIME], units.TIME_S, record.warnings,
                               "Siemens total fluoro time (C-202 99SMS_RADSUM)", "s")
    record.accumulations.append(Accumulation(dap_total_gycm2=dap, fluoro_time_s=fluoro_time))
    record.warnings.append("dose read from Siemens private summary (99SMS_RADSUM), no standard template")


def classify(ds: Dataset, record: DoseRecord, doc: sr.Index | None = None) -> str:
    """Report modality of a projection dose report from its content.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The report (its own Modality is ``SR`` and says nothing).
    record : DoseRecord
        The filled record.
    doc : core.dose.sr.Index, optional
        The report's index (built here when not given).

    Returns
    -------
    str
        ``"MG"`` for mammography (procedure code or glandular dose),
        ``"XA"`` for biplane fluoroscopy, ``"RF"`` when there is fluoroscopy
        data or a fluoroscopy-guided device, otherwise by acquisition device
        type, ``"DX"`` by default.
    """
    doc = doc if doc is not None else sr.index(ds)
    procedure = sr.find_child(ds, PROCEDURE_REPORTED)
    if procedure is not None and sr.code_key(procedure) in MAMMOGRAPHY_PROCEDURES:
        return "MG"
    if any(e.agd_mgy is not None for e in record.projection_events) or any(
            a.agd_by_laterality_mgy for a in record.accumulations):
        return "MG"
    fluoro = any(e.irradiation_type == "fluoroscopy" for e in record.projection_events) or any(
        (a.fluoro_time_s or 0) > 0 or (a.fluoro_dap_total_gycm2 or 0) > 0 for a in record.accumulations)
    if sr.find_first(doc, SIEMENS_CUMULATIVE_DAP) is not None:
        fluoro = True
    if fluoro:
        planes = {a.plane for a in record.accumulations} | {e.plane for e in record.projection_events}
        return "XA" if "B" in planes else "RF"
    device = sr.find_first(doc, DEVICE_TYPE)
    if device is not None and sr.code_key(device) in DEVICE_TYPE_MODALITY:
        return DEVICE_TYPE_MODALITY[sr.code_key(device)]
    return "DX"
