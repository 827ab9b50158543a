"""What kind of exam it is, in plain words (``["PT", "CT", "SR"]`` -> "PET-CT scan")."""
from __future__ import annotations

from ..dicom.modalities import SUPPORTING_OBJECTS
from .locale_format import gettext


def N_(message: str) -> str:  # noqa: N802 - the gettext convention: marked for the catalogue, translated later
    """Mark ``message`` for the catalogue without translating it now."""
    return message


def is_typical_value(exam) -> bool:
    """True when ``exam``'s (an ``ExamView``) estimate is a typical value for the exam type (the
    study carries no dose figures), not one computed from its own dose data."""
    return exam.effective_dose_msv is not None and "typical-value" in exam.sources


#: What a typical-value estimate means, for legends and tooltips.
TYPICAL_VALUE_TEXT = N_("typical value for the exam type (the study has no dose figures)")


_DOCUMENTS = SUPPORTING_OBJECTS  # dose reports, presentation states, key images... (core.dicom)


def modality_label(modalities: list[str]) -> str:
    """The modalities a user cares about (dose reports ``SR``/``PR`` left out)."""
    shown = [m for m in modalities if m not in _DOCUMENTS]
    return "/".join(shown or modalities)


_PLAIN_KIND = {  # message ids, translated when used
    "CT": N_("CT scan"), "PT": N_("PET scan"), "NM": N_("nuclear medicine scan"), "MG": N_("mammogram"),
    "DX": N_("X-ray"), "CR": N_("X-ray"), "PX": N_("dental panoramic X-ray"), "IO": N_("dental X-ray"),
    "RF": N_("fluoroscopy (moving X-ray)"), "XA": N_("angiography (X-ray)"), "MR": N_("MRI scan"),
    "US": N_("ultrasound"), "BMD": N_("bone density scan"), "SR": N_("dose report"),
}


def exam_modalities(exam) -> list[str]:
    """An exam's modalities; a study of dose reports only (an RDSR without its images) gets
    the modality its dose figures imply (CT, NM, MG, DX), so it reads "CT scan", not "dose report".

    ``exam`` is an ``ExamView``.
    """
    mods = list(exam.modalities)
    if any(m not in _DOCUMENTS for m in mods):
        return mods
    d = exam.dose
    implied = [m for m, v in (("CT", d.ct_dlp_mgycm), ("NM", d.administered_activity_mbq),
                              ("MG", d.agd_mgy), ("DX", d.dap_gycm2)) if v is not None]
    return implied + mods if implied else mods


def exam_kind(modalities: list[str]) -> str:
    """The kind of exam in plain words: ``["PT", "CT", "SR"]`` -> ``"PET-CT scan"``."""
    shown = [m for m in modalities if m not in _DOCUMENTS] or list(modalities)
    if "PT" in shown and "CT" in shown:
        return gettext("PET-CT scan")
    if "NM" in shown and "CT" in shown:
        return gettext("SPECT-CT scan")
    kinds = []
    for m in shown:
        kind = gettext(_PLAIN_KIND[m]) if m in _PLAIN_KIND else m
        if kind not in kinds:
            kinds.append(kind)
    return gettext(" and ").join(kinds) or gettext("exam")
