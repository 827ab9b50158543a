"""A patient's dose history as a FHIR R4 Bundle (type ``collection``).

The bundle holds, per patient, one ``Patient``, one ``ImagingStudy`` per
study and ``Observation`` resources for the radiation dose figures the data
gives:

- one observation per known dose quantity of a study (DLP, maximum mean
  CTDIvol, dose-area product, average glandular dose, administered
  activity), coded with DICOM DCM codes and UCUM units;
- one "Effective Dose" (DCM 113839) observation when the study has an
  estimate, with the method as ``method.text``, the factor set, the
  uncertainty range, sources and warnings as ``note``, and ``derivedFrom``
  pointing at the study and the dose figures it was computed from.

A figure the data does not give is left out (never written as 0).
Non-ionising studies (MR, US) get an ``ImagingStudy`` and no dose
observation. ``ImagingStudy.started`` and ``Observation.effectiveDateTime``
carry the study date only: DICOM times have no time zone, and FHIR requires
one on a dateTime with a time.

A ``Device`` resource names the software (DoseTrail and its version) and is
the ``device`` of every observation. Resource ids are deterministic UUIDs
(derived from the patient key and the Study Instance UIDs), so two exports of
the same library give the same ids. The output is plain JSON-ready dicts;
:func:`validate_bundle` checks it against the FHIR R4 (4.0.1) structure with
the SMART on FHIR models (``fhirclient``, generated from the R4 structure
definitions: unknown elements and missing required ones are errors), and
against ``fhir.resources.R4B`` (pydantic, also checks value types).
"""
from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from ..birth_date import known_birth_date
from ..dicom.dates import is_iso_date
from ..dose.study import DoseFigures
from ..model.history import ExamView, PatientHistory
from .constant_json import constant

DCM = "http://dicom.nema.org/resources/ontology/DCM"
UCUM = "http://unitsofmeasure.org"
DICOM_UID_SYSTEM = "urn:dicom:uid"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
_NAMESPACE = uuid.UUID("6f1d4a52-0c43-4a8e-9f57-2c1b7d0e3a11")
_NAMESPACE_BYTES = _NAMESPACE.bytes

#: DoseFigures field -> (DCM code, DCM meaning, UCUM unit code, unit label)
DOSE_QUANTITIES: dict[str, tuple[str, str, str, str]] = {
    "ct_dlp_mgycm": ("113838", "DLP", "mGy.cm", "mGy·cm"),
    "ct_ctdivol_mgy_max": ("113830", "Mean CTDIvol", "mGy", "mGy"),
    "dap_gycm2": ("122130", "Dose Area Product", "Gy.cm2", "Gy·cm²"),
    "agd_mgy": ("111631", "Average Glandular Dose", "mGy", "mGy"),
    "administered_activity_mbq": ("113507", "Administered activity", "MBq", "MBq"),
}
EFFECTIVE_DOSE = ("113839", "Effective Dose", "mSv", "mSv")

# DICOM modality (0008,0060) values and their DCM meanings (Part 16, CID 29/33)
_MODALITY_MEANINGS = {
    "CT": "Computed Tomography",
    "MR": "Magnetic Resonance",
    "PT": "Positron emission tomography",
    "NM": "Nuclear Medicine",
    "MG": "Mammography",
    "DX": "Digital Radiography",
    "CR": "Computed Radiography",
    "RF": "Radio Fluoroscopy",
    "XA": "X-Ray Angiography",
    "US": "Ultrasound",
    "SR": "SR Document",
    "PX": "Panoramic X-Ray",
    "IO": "Intra-oral Radiography",
    "OT": "Other",
    "KO": "Key Object Selection",
    "PR": "Presentation State",
    "SEG": "Segmentation",
    "REG": "Registration",
    "DOC": "Document",
}
_GENDER = {"M": "male", "F": "female", "O": "other"}

# values every resource of a kind shares: built once, read-only (core.export.constant_json), encoded once
_IMAGING_CATEGORY = constant([{"coding": [{"system": OBS_CATEGORY, "code": "imaging", "display": "Imaging"}]}])
_MRN_TYPE = constant({"coding": [{"system": V2_0203, "code": "MR"}]})
_ACCESSION_TYPE = constant({"coding": [{"system": V2_0203, "code": "ACSN"}]})
_SHARED_LIMIT = 256  # distinct modality codings, observation codes and device references kept
_modality_codings: dict[str, dict[str, Any]] = {}
_observation_codes: dict[tuple[str, str, str, str], dict[str, Any]] = {}
_device_refs: dict[str, dict[str, Any]] = {}
_recent_refs: dict[str, dict[str, Any]] = {}
_recent_part_of: dict[str, list[dict[str, Any]]] = {}


def fhir_bundle(histories: list[PatientHistory], *, software_version: str,
                timestamp: datetime | None = None) -> dict[str, Any]:
    """Build a FHIR R4 ``collection`` Bundle of patients, studies and doses.

    Parameters
    ----------
    histories
        The patients to export (``core.model.history.PatientHistory``).
    software_version
        DoseTrail's version, recorded on the ``Device`` resource.
    timestamp
        The bundle's timestamp; now (UTC) when omitted.

    Returns
    -------
    dict
        The bundle as JSON-ready data (``json.dumps`` it as is).
    """
    when = (timestamp or datetime.now(timezone.utc)).astimezone(timezone.utc)
    entries = [_entry(r) for r in device_resources(software_version)]
    for history in histories:
        entries.extend(_entry(r) for r in history_resources(history, software_version))
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"tag": [{"system": "urn:dosetrail:software", "code": "DoseTrail",
                          "display": f"DoseTrail {software_version}"}]},
        "type": "collection",
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "entry": entries,
    }


def device_resources(software_version: str) -> list[dict[str, Any]]:
    """The resources every export starts with (the ``Device`` naming DoseTrail)."""
    return [_device(_uuid("device", "DoseTrail", software_version), software_version)]


def history_resources(history: PatientHistory, software_version: str) -> Iterator[dict[str, Any]]:
    """One patient's resources in bundle order: Patient, then each study and its observations.

    Parameters
    ----------
    history : PatientHistory
    software_version : str
        DoseTrail's version (the observations' ``device``).

    Yields
    ------
    dict
        JSON-ready FHIR resources (a bundle entry or an NDJSON line each).
    """
    device_id = _uuid("device", "DoseTrail", software_version)
    patient = _patient(history)
    yield patient
    for exam in history.exams:
        study = _imaging_study(exam, patient["id"])
        yield study
        yield from _dose_observations(exam, patient["id"], study["id"], device_id, history.factor_set)


def entry(resource: dict[str, Any]) -> dict[str, Any]:
    """A bundle entry for ``resource``."""
    return _entry(resource)


def validate_bundle(bundle: dict[str, Any]) -> Any:
    """Parse a bundle with the FHIR R4 models; raise ``ValueError`` if invalid.

    Parameters
    ----------
    bundle
        A bundle as returned by :func:`fhir_bundle` (or read from JSON).

    Returns
    -------
    fhir.resources.R4B.bundle.Bundle
        The parsed model (after the R4 4.0.1 check has passed).

    Raises
    ------
    ValueError
        The R4 (``fhirclient``) or R4B (``fhir.resources``) models reject it.
    """
    import copy

    from fhir.resources.R4B.bundle import Bundle  # imported on use: they are slow to load
    from fhirclient.models.bundle import Bundle as R4Bundle
    from fhirclient.models.fhirabstractbase import FHIRValidationError

    try:
        R4Bundle(copy.deepcopy(bundle), strict=True).as_json()  # as_json checks required elements
    except FHIRValidationError as exc:
        raise ValueError(f"not a valid FHIR R4 (4.0.1) bundle: {exc}") from exc
    return Bundle.model_validate(bundle)


# --- resources -------------------------------------------------------------


def _uuid(*parts: str) -> str:
    """``str(uuid.uuid5(_NAMESPACE, "\\x1f".join(parts)))``, without the UUID object (four per study)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + "\x1f".join(parts).encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def _ref(resource_id: str, display: str | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"reference": f"urn:uuid:{resource_id}"}
    if display:
        ref["display"] = display
    return ref


def _device(device_id: str, software_version: str) -> dict[str, Any]:
    return {
        "resourceType": "Device",
        "id": device_id,
        "deviceName": [{"name": "DoseTrail", "type": "user-friendly-name"}],
        "type": {"text": "Dose estimation software"},
        "version": [{"value": software_version}],
    }


def _patient(history: PatientHistory) -> dict[str, Any]:
    summary = history.patient
    res: dict[str, Any] = {"resourceType": "Patient", "id": _uuid("patient", summary.key)}
    identifiers = [{"system": "urn:dosetrail:patient-key", "value": summary.key}]
    for pid, issuer in summary.patient_ids:
        if not pid:
            continue
        ident: dict[str, Any] = {"use": "usual", "value": pid, "type": _MRN_TYPE}
        if issuer:
            if _looks_like_oid(issuer):
                ident["system"] = f"urn:oid:{issuer}"
            ident["assigner"] = {"display": issuer}
        identifiers.append(ident)
    res["identifier"] = identifiers
    name = _human_name(summary.name)
    if name:
        res["name"] = [name]
    if summary.sex in _GENDER:
        res["gender"] = _GENDER[summary.sex]
    if known_birth_date(summary.birth_date) and _is_fhir_date(summary.birth_date):  # no placeholder dates
        res["birthDate"] = summary.birth_date
    return res


def _human_name(dicom_name: str | None) -> dict[str, Any] | None:
    """DICOM PN (``FAMILY^GIVEN^MIDDLE^PREFIX^SUFFIX``, first component group)."""
    if not dicom_name or not dicom_name.strip("^ ="):
        return None
    alphabetic = dicom_name.split("=")[0]
    parts = [p.strip() for p in alphabetic.split("^")] + [""] * 5
    family, given, middle, prefix, suffix = parts[:5]
    name: dict[str, Any] = {"use": "official"}
    givens = [g for g in (given, middle) if g]
    text = " ".join(x for x in (prefix, *givens, family, suffix) if x)
    name["text"] = text or dicom_name
    if family:
        name["family"] = family
    if givens:
        name["given"] = givens
    if prefix:
        name["prefix"] = [prefix]
    if suffix:
        name["suffix"] = [suffix]
    return name


def _modality_coding(modality: str) -> dict[str, Any]:
    shared = _modality_codings.get(modality)
    if shared is not None:
        return shared
    coding = {"system": DCM, "code": modality}
    if modality in _MODALITY_MEANINGS:
        coding["display"] = _MODALITY_MEANINGS[modality]
    if len(_modality_codings) < _SHARED_LIMIT:
        _modality_codings[modality] = coding = constant(coding)
    return coding


def _observation_code(code: tuple[str, str, str, str]) -> dict[str, Any]:
    shared = _observation_codes.get(code)
    if shared is None:
        shared = constant({"coding": [{"system": DCM, "code": code[0], "display": code[1]}], "text": code[1]})
        if len(_observation_codes) < _SHARED_LIMIT:
            _observation_codes[code] = shared
    return shared


def _shared_ref(resource_id: str) -> dict[str, Any]:
    """A read-only reference to ``resource_id``, shared while its patient is written (a study's
    observations refer to the patient and the study again and again)."""
    shared = _recent_refs.get(resource_id)
    if shared is None:
        if len(_recent_refs) >= 64:
            _recent_refs.clear()
        shared = _recent_refs[resource_id] = constant(_ref(resource_id))
    return shared


def _shared_part_of(study_id: str) -> list[dict[str, Any]]:
    shared = _recent_part_of.get(study_id)
    if shared is None:
        if len(_recent_part_of) >= 64:
            _recent_part_of.clear()
        shared = _recent_part_of[study_id] = constant([_shared_ref(study_id)])
    return shared


def _device_ref(device_id: str) -> dict[str, Any]:
    shared = _device_refs.get(device_id)
    if shared is None:
        shared = constant(_ref(device_id, "DoseTrail"))
        if len(_device_refs) < _SHARED_LIMIT:
            _device_refs[device_id] = shared
    return shared


def _imaging_study(exam: ExamView, patient_id: str) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "ImagingStudy",
        "id": _uuid("study", exam.study_instance_uid),
        "identifier": [{"system": DICOM_UID_SYSTEM, "value": f"urn:oid:{exam.study_instance_uid}"}],
        "status": "available",
        "subject": _shared_ref(patient_id),
    }
    if exam.accession_number:
        res["identifier"].append({"type": _ACCESSION_TYPE, "value": exam.accession_number})
    modalities = [m for m in dict.fromkeys(exam.modalities) if m]
    if modalities:
        res["modality"] = [_modality_coding(m) for m in modalities]
    if exam.date and _is_fhir_date(exam.date):
        res["started"] = exam.date
    if exam.description:
        res["description"] = exam.description
    if exam.series:
        res["numberOfSeries"] = len(exam.series)
        res["numberOfInstances"] = sum(max(s.instance_count, 0) for s in exam.series)
        series = []
        for s in exam.series:
            item: dict[str, Any] = {"uid": s.series_uid,
                                    "modality": _modality_coding(s.modality or "OT")}
            if s.number is not None and s.number >= 0:
                item["number"] = s.number
            if s.description:
                item["description"] = s.description
            if s.instance_count >= 0:
                item["numberOfInstances"] = s.instance_count
            if s.body_part:
                item["bodySite"] = {"display": s.body_part}
            series.append(item)
        res["series"] = series
    if exam.institution:
        res["location"] = {"display": exam.institution}
    return res


def _quantity(value: float, unit_code: str, unit_label: str) -> dict[str, Any]:
    return {"value": _round(value), "unit": unit_label, "system": UCUM, "code": unit_code}


def _round(value: float) -> float:
    return float(f"{value:.6g}")


def _observation(obs_id: str, code: tuple[str, str, str, str], exam: ExamView,
                 patient_id: str, study_id: str, device_id: str) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Observation",
        "id": obs_id,
        "partOf": _shared_part_of(study_id),
        "status": "final",
        "category": _IMAGING_CATEGORY,
        "code": _observation_code(code),
        "subject": _shared_ref(patient_id),
        "device": _device_ref(device_id),
    }
    if exam.date and _is_fhir_date(exam.date):
        res["effectiveDateTime"] = exam.date
    return res


def _dose_observations(exam: ExamView, patient_id: str, study_id: str, device_id: str,
                       default_factor_set: str | None) -> list[dict[str, Any]]:
    if exam.ionising is False:
        return []
    out: list[dict[str, Any]] = []
    figures: DoseFigures = exam.dose
    for field_name, code in DOSE_QUANTITIES.items():
        value = getattr(figures, field_name)
        if value is None:
            continue
        obs = _observation(_uuid("obs", exam.study_instance_uid, field_name), code, exam,
                           patient_id, study_id, device_id)
        obs["valueQuantity"] = _quantity(value, code[2], code[3])
        notes = []
        if field_name == "ct_ctdivol_mgy_max":
            notes.append("Highest mean CTDIvol of the study's irradiation events.")
        if field_name == "ct_dlp_mgycm" and figures.ct_irradiation_events is not None:
            notes.append(f"Total of {figures.ct_irradiation_events} irradiation event(s).")
        if field_name == "administered_activity_mbq" and figures.radiopharmaceutical:
            notes.append(f"Radiopharmaceutical: {figures.radiopharmaceutical}")
        if exam.sources:
            notes.append("Sources: " + ", ".join(exam.sources))
        if notes:
            obs["note"] = [{"text": " ".join(notes)}]
        out.append(obs)
    if exam.effective_dose_msv is not None:
        obs = _observation(_uuid("obs", exam.study_instance_uid, "effective_dose"), EFFECTIVE_DOSE,
                           exam, patient_id, study_id, device_id)
        obs["valueQuantity"] = _quantity(exam.effective_dose_msv, "mSv", "mSv")
        if exam.method:
            obs["method"] = {"text": exam.method}
        obs["derivedFrom"] = [_shared_ref(study_id)] + [_ref(o["id"]) for o in out]
        obs["note"] = [{"text": t} for t in _effective_dose_notes(exam, default_factor_set)]
        out.append(obs)
    return out


def _effective_dose_notes(exam: ExamView, default_factor_set: str | None) -> list[str]:
    notes = []
    factor_set = exam.factor_set or default_factor_set
    if factor_set:
        notes.append(f"Factor set: {factor_set}")
    if exam.effective_dose_range_msv:
        low, high = exam.effective_dose_range_msv
        notes.append(f"Uncertainty range: {_round(low):g} to {_round(high):g} mSv")
    if exam.sources:
        notes.append("Sources: " + ", ".join(exam.sources))
    for part in exam.parts:
        if part.effective_dose_msv is None:
            continue
        ref = f" ({part.factor_reference})" if part.factor_reference else ""
        notes.append(f"{part.modality} part: {_round(part.effective_dose_msv):g} mSv, "
                     f"{part.method}{ref}")
    if exam.reported_effective_dose_msv is not None:
        notes.append(f"Effective dose reported by the device: "
                     f"{_round(exam.reported_effective_dose_msv):g} mSv")
    for warning in exam.warnings:
        notes.append(f"Warning: {warning}")
    notes.append("Effective dose describes a reference person, not an individual risk.")
    return notes


def _looks_like_oid(text: str) -> bool:
    parts = text.split(".")
    return len(parts) > 1 and all(p.isdigit() for p in parts)


def _is_fhir_date(text: str) -> bool:
    return is_iso_date(text)
