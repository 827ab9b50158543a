"""DICOM modality codes (0008,0060) and what they mean: the one definition.

Every layer asks here whether a modality is ionising, projection radiography,
nuclear medicine, or a document that accompanies an exam rather than being one.
"""
from __future__ import annotations

#: Tomography with X-rays.
CT = frozenset({"CT"})
#: Projection X-ray imaging: radiography, fluoroscopy, angiography, mammography, dental.
PROJECTION = frozenset({"DX", "CR", "PX", "RF", "XA", "MG", "IO", "DF", "DS"})
#: Nuclear medicine: a radiopharmaceutical is given (planar/SPECT and PET).
NUCLEAR = frozenset({"NM", "PT"})
#: Modalities that expose the patient to ionising radiation.
IONISING = frozenset({"CT", "NM", "PT", "MG", "DX", "CR", "PX", "IO", "RF", "XA", "RG", "DXA", "BMD", "BI"})
#: Modalities that do not (MRI, ultrasound, ECG, endoscopy, photography, ophthalmology...).
NON_IONISING = frozenset({
    "MR", "US", "ECG", "EPS", "HD", "IVUS", "OCT", "OP", "OPT", "OPM", "OPV", "OAM", "SM", "XC", "ES", "GM",
    "IVOCT", "EEG", "EMG", "RESP", "BDUS", "VA", "LEN", "KER", "SRF", "OPTBSV", "OPTENF", "VF", "DMS", "AU",
    "TG", "HC", "POS", "FID", "M3D"})
#: Objects that are not an acquisition: reports (SR), presentation states, key-object
#: selections, documents, registrations, segmentations, plans...
DOCUMENTS = frozenset({"SR", "KO", "PR", "OT", "DOC", "REG", "SEG", "RTSTRUCT", "RWV", "PLAN", "REGISTRATION",
                       "FID", "ASMT", "AR", "IOL"})
#: Series whose instances are objects to read, not images to look at (dose reports,
#: key-object selections, presentation states, encapsulated documents).
NON_IMAGE_OBJECTS = frozenset({"SR", "KO", "PR", "DOC"})
#: Modalities that never name the kind of an exam: the :data:`NON_IMAGE_OBJECTS` and
#: ``OT`` ("other"); an exam of CT and SR is a CT scan.
SUPPORTING_OBJECTS = NON_IMAGE_OBJECTS | {"OT"}


def normalised(modalities) -> set[str]:
    """Upper-case, stripped modality codes without blanks.

    Parameters
    ----------
    modalities : iterable of str or None
        ``["ct ", "", "SR"]``.

    Returns
    -------
    set of str
        ``{"CT", "SR"}``.
    """
    return {m.strip().upper() for m in modalities if m and m.strip()}
