"""What a query finds (studies, series, instances) and what a dose-only retrieve picks of it."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..dicom.dates import iso_date
from ..dicom.modalities import CT, NUCLEAR, NON_IMAGE_OBJECTS

__all__ = ["MAX_STUDIES", "StudyMatch", "InstanceMatch", "dose_only", "iso_date", "to_int"]

#: Secondary Capture storage classes (dose screens are secondary captures)
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"
#: series whose images are a stack: the estimate needs only the first and the last header
#: (CTDIvol, kVp and the table positions that give the scan length)
STACK_MODALITIES = CT | NUCLEAR | {"MR"}
#: more studies than this for one search is not one patient: the user narrows the search
MAX_STUDIES = 500
#: structured reports (dose reports are SRs: RDSR, RRDSR, Enhanced/Comprehensive SR)
SR_PREFIX = "1.2.840.10008.5.1.4.1.1.88."


@dataclass
class StudyMatch:
    """One study an archive holds (the ``dosetrail.pacs-find/1`` fields)."""

    study_instance_uid: str
    patient_id: str | None = None
    patient_name: str | None = None
    date: str | None = None
    modalities: list[str] = field(default_factory=list)
    description: str | None = None
    series_count: int | None = None
    instance_count: int | None = None


@dataclass
class InstanceMatch:
    """One instance of a study, with what a dose-only retrieve decides on."""

    study_uid: str
    series_uid: str
    sop_instance_uid: str
    sop_class_uid: str
    modality: str
    instance_number: int | None = None


def study_match(ds) -> StudyMatch:
    """A study-level C-FIND or QIDO-RS answer (a pydicom Dataset) as a :class:`StudyMatch`."""
    mods = ds.get("ModalitiesInStudy", [])
    mods = [mods] if isinstance(mods, str) else list(mods)
    return StudyMatch(
        study_instance_uid=str(ds.get("StudyInstanceUID", "")), patient_id=str(ds.get("PatientID", "")) or None,
        patient_name=str(ds.get("PatientName", "")) or None, date=iso_date(ds.get("StudyDate")),
        modalities=sorted(str(m) for m in mods if m), description=str(ds.get("StudyDescription", "")) or None,
        series_count=to_int(ds.get("NumberOfStudyRelatedSeries")),
        instance_count=to_int(ds.get("NumberOfStudyRelatedInstances")))


def to_int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def dose_only(instances: list[InstanceMatch]) -> list[InstanceMatch]:
    """The instances a dose estimate needs.

    Every structured report (the dose reports) and every secondary capture (the dose
    screens); of an image series of a stacking modality (CT, PT, MR, NM), its first and
    last instance by instance number (the scan length comes from their positions, the
    rest of the header is the same for the whole series); of other image series (DX, MG,
    fluoroscopy: one exposure per image) every instance.

    Parameters
    ----------
    instances : list of InstanceMatch

    Returns
    -------
    list of InstanceMatch
    """
    by_series: dict[str, list[InstanceMatch]] = {}
    for inst in instances:
        by_series.setdefault(inst.series_uid, []).append(inst)
    picked: list[InstanceMatch] = []
    for series in by_series.values():
        stack = [i for i in series if not _always(i)]
        picked += [i for i in series if _always(i)]
        if stack and stack[0].modality in STACK_MODALITIES and len(stack) > 2:
            ordered = sorted(stack, key=lambda i: (i.instance_number is None, i.instance_number or 0,
                                                   i.sop_instance_uid))
            picked += [ordered[0], ordered[-1]]
        else:
            picked += stack
    return picked


def _always(inst: InstanceMatch) -> bool:
    cls = inst.sop_class_uid or ""
    return cls.startswith(SR_PREFIX) or cls.startswith(SECONDARY_CAPTURE) or inst.modality in NON_IMAGE_OBJECTS
