"""Structured-report building blocks: content items and the SR document shell."""
from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from .common import PatientSpec, add_equipment, add_patient, add_series, add_study, code_item, file_dataset, new_uid

__all__ = [
    "COMPREHENSIVE_SR", "ENHANCED_SR", "XRAY_RDSR", "RADIOPHARMACEUTICAL_RDSR",
    "Code", "container", "num", "code", "text", "uidref", "datetime_item", "sr_document",
    "sr_transfer_syntax",
]

COMPREHENSIVE_SR = "1.2.840.10008.5.1.4.1.1.88.33"
ENHANCED_SR = "1.2.840.10008.5.1.4.1.1.88.22"
XRAY_RDSR = "1.2.840.10008.5.1.4.1.1.88.67"
RADIOPHARMACEUTICAL_RDSR = "1.2.840.10008.5.1.4.1.1.88.68"

#: A coded concept as (code value, coding scheme designator, code meaning).
Code = tuple[str, str, str]


def _item(value_type: str, concept: Code, relationship: str) -> Dataset:
    item = Dataset()
    item.RelationshipType = relationship
    item.ValueType = value_type
    item.ConceptNameCodeSequence = Sequence([code_item(*concept)])
    return item


def container(concept: Code, children: list[Dataset], relationship: str = "CONTAINS") -> Dataset:
    """A CONTAINER content item (continuity SEPARATE) holding ``children``."""
    item = _item("CONTAINER", concept, relationship)
    item.ContinuityOfContent = "SEPARATE"
    item.ContentSequence = Sequence(children)
    return item


def _ds_text(value: float) -> str:
    text = f"{value:.10g}"
    if len(text) > 16:
        text = f"{value:.9e}".replace("e+0", "e").replace("e-0", "e-")
    return text[:16]


def num(concept: Code, value: float, unit: str | Code, relationship: str = "CONTAINS") -> Dataset:
    """A NUM content item with MeasuredValueSequence and a UCUM unit code.

    Parameters
    ----------
    concept : Code
        Concept name.
    value : float
        Numeric value, written as DS.
    unit : str or Code
        A UCUM code string (``"mGy.cm"`` -> ``("mGy.cm", "UCUM", "mGy.cm")``) or a full code.
    """
    item = _item("NUM", concept, relationship)
    measured = Dataset()
    measured.NumericValue = _ds_text(float(value))
    unit_code = (unit, "UCUM", unit) if isinstance(unit, str) else unit
    measured.MeasurementUnitsCodeSequence = Sequence([code_item(*unit_code)])
    item.MeasuredValueSequence = Sequence([measured])
    return item


def code(concept: Code, value: Code, relationship: str = "CONTAINS") -> Dataset:
    """A CODE content item (ConceptCodeSequence)."""
    item = _item("CODE", concept, relationship)
    item.ConceptCodeSequence = Sequence([code_item(*value)])
    return item


def text(concept: Code, value: str, relationship: str = "CONTAINS") -> Dataset:
    """A TEXT content item."""
    item = _item("TEXT", concept, relationship)
    item.TextValue = value
    return item


def uidref(concept: Code, value: str, relationship: str = "CONTAINS") -> Dataset:
    """A UIDREF content item (0040,A124)."""
    item = _item("UIDREF", concept, relationship)
    item.UID = value
    return item


def datetime_item(concept: Code, value: str, relationship: str = "CONTAINS") -> Dataset:
    """A DATETIME content item (0040,A120), ``value`` as ``YYYYMMDDHHMMSS``."""
    item = _item("DATETIME", concept, relationship)
    item.DateTime = value
    return item


def sr_transfer_syntax(implicit: bool = False, big_endian: bool = False) -> str:
    """The transfer syntax UID for the ``implicit``/``big_endian`` switches."""
    if big_endian:
        return ExplicitVRBigEndian
    return ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian


def sr_document(
    patient: PatientSpec,
    *,
    sop_class: str,
    title: Code,
    template_id: str,
    children: list[Dataset],
    study_uid: str,
    content_datetime: str,
    study_date: str | None = None,
    study_time: str | None = None,
    study_description: str | None = None,
    series_uid: str | None = None,
    series_number: int = 999,
    series_description: str | None = "Radiation Dose Information",
    institution: str | None = "Hospital A",
    manufacturer: str = "SYNTH MEDICAL",
    transfer_syntax: str = ExplicitVRLittleEndian,
    sop_instance_uid: str | None = None,
    patient_age: str | None = None,
    accession_number: str = "",
) -> Dataset:
    """An SR document: SR modules, the root CONTAINER and its content tree.

    Parameters
    ----------
    patient : PatientSpec
    sop_class : str
        SR storage SOP class UID.
    title : Code
        Concept name of the root container (document title).
    template_id : str
        TID written in ContentTemplateSequence (DCMR).
    children : list of Dataset
        Content items of the root container.
    study_uid : str
    content_datetime : str
        ``YYYYMMDDHHMMSS``: ContentDate/ContentTime (and study date/time by default).

    Returns
    -------
    pydicom.dataset.FileDataset
    """
    date, time = content_datetime[:8], content_datetime[8:14] or "000000"
    ds = file_dataset(sop_class, sop_instance_uid or new_uid(), transfer_syntax=transfer_syntax,
                      specific_character_set=patient.specific_character_set)
    add_patient(ds, patient, patient_age=patient_age)
    add_study(ds, study_uid=study_uid, study_date=study_date or date, study_time=study_time or time,
              study_description=study_description, accession_number=accession_number)
    add_series(ds, series_uid=series_uid or new_uid(), modality="SR", series_number=series_number,
               series_description=series_description, series_date=date, series_time=time)
    add_equipment(ds, institution=institution, manufacturer=manufacturer)
    ds.InstanceNumber = 1
    ds.ContentDate = date
    ds.ContentTime = time
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "UNVERIFIED"
    ds.ValueType = "CONTAINER"
    ds.ConceptNameCodeSequence = Sequence([code_item(*title)])
    ds.ContinuityOfContent = "SEPARATE"
    tpl = Dataset()
    tpl.MappingResource = "DCMR"
    tpl.TemplateIdentifier = template_id
    ds.ContentTemplateSequence = Sequence([tpl])
    ds.PerformedProcedureCodeSequence = Sequence([])
    ds.ReferencedPerformedProcedureStepSequence = Sequence([])
    ds.ContentSequence = Sequence(children)
    return ds


def observer_device(device_uid: str, name: str = "SYNTH") -> list[Dataset]:
    """Observer context items for a device observer (TID 1004)."""
    return [
        code(("121005", "DCM", "Observer Type"), ("121007", "DCM", "Device"), "HAS OBS CONTEXT"),
        uidref(("121012", "DCM", "Device Observer UID"), device_uid, "HAS OBS CONTEXT"),
        text(("121013", "DCM", "Device Observer Name"), name, "HAS OBS CONTEXT"),
    ]


def study_scope(study_uid: str) -> Dataset:
    """Scope of accumulation = Study, with the Study Instance UID (HAS OBS CONTEXT)."""
    scope = code(("113705", "DCM", "Scope of Accumulation"), ("113014", "DCM", "Study"),
                 "HAS OBS CONTEXT")
    scope.ContentSequence = Sequence([
        uidref(("110180", "DCM", "Study Instance UID"), study_uid, "HAS PROPERTIES")
    ])
    return scope
