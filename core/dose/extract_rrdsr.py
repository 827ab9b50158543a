"""Radiopharmaceutical Radiation Dose SR (TID 10021) to :class:`DoseRecord`.

One :class:`Administration` per Radiopharmaceutical Administration container
(113502 DCM). The reported effective dose (113839) is searched in the whole
administration subtree, since vendors nest it inside private containers.
"""
from __future__ import annotations

import re

from pydicom.dataset import Dataset

from . import sr, units
from .records import Administration, Code, DoseRecord

DCM = "DCM"
RRDSR_TITLE = ("113500", DCM)
ADMINISTRATION = ("113502", DCM)
ADMIN_UID = ("113503", DCM)
ACTIVITY = ("113507", DCM)
PHARMACEUTICAL = [("349358000", "SCT"), ("F-61FDB", "SRT")]
RADIONUCLIDE = [("89457008", "SCT"), ("C-10072", "SRT")]
START_DATETIME = ("123003", DCM)
EFFECTIVE_DOSE = ("113839", DCM)

_ELEMENTS = {
    "fluorine": "F", "technetium": "Tc", "iodine": "I", "gallium": "Ga", "indium": "In",
    "thallium": "Tl", "rubidium": "Rb", "nitrogen": "N", "oxygen": "O", "carbon": "C",
    "lutetium": "Lu", "yttrium": "Y", "radium": "Ra", "copper": "Cu", "zirconium": "Zr",
    "xenon": "Xe", "krypton": "Kr", "samarium": "Sm", "strontium": "Sr", "holmium": "Ho",
    "chromium": "Cr", "cobalt": "Co", "selenium": "Se", "erbium": "Er", "rhenium": "Re",
    "phosphorus": "P", "actinium": "Ac", "lead": "Pb", "bismuth": "Bi", "scandium": "Sc",
}


def is_rrdsr(ds: Dataset, doc: sr.Index | None = None) -> bool:
    """True for a radiopharmaceutical dose report (title 113500 or an administration).

    ``doc`` is the report's :func:`core.dose.sr.index`, when already built.
    """
    return sr.is_concept(ds, RRDSR_TITLE) or sr.find_first(doc if doc is not None else ds,
                                                           ADMINISTRATION) is not None


def nuclide_name(text: str | None) -> str | None:
    """Short nuclide name from a code meaning (``"^18^Fluorine"`` -> ``"F-18"``).

    Parameters
    ----------
    text : str or None
        Meaning or free text such as ``"^99m^Technetium"``, ``"Fluorine^18^"``,
        ``"18F"`` or ``"F-18"``.

    Returns
    -------
    str or None
        ``"F-18"``, ``"Tc-99m"``...; the stripped input when no element is
        recognised; ``None`` for empty input.
    """
    if not text or not str(text).strip():
        return None
    raw = str(text).strip()
    mass = re.search(r"(\d+)(m?)", raw.lower())
    letters = re.sub(r"[^a-z]", " ", raw.lower()).split()
    symbol = None
    for word in letters:
        if word in _ELEMENTS:
            symbol = _ELEMENTS[word]
            break
    if symbol is None:
        short = {v.lower(): v for v in _ELEMENTS.values()}
        for word in letters:
            for cand in (word, word[:-1] if word.endswith("m") else "", word[1:] if word.startswith("m") else ""):
                if cand in short:
                    symbol = short[cand]
                    break
            if symbol:
                break
    if symbol is None or mass is None:
        return raw
    return f"{symbol}-{mass.group(1)}{'m' if mass.group(2) else ''}"


def extract_rrdsr(ds: Dataset, record: DoseRecord, doc: sr.Index | None = None) -> DoseRecord:
    """Fill ``record`` with the administrations of a radiopharmaceutical dose SR.

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        A Radiopharmaceutical Radiation Dose SR.
    record : DoseRecord
        A record with ``kind="nm"`` and ``source="RRDSR"``.
    doc : core.dose.sr.Index, optional
        The report's index, when the caller already built it.

    Returns
    -------
    DoseRecord
        The same record with ``administrations`` (activity in MBq, agent,
        nuclide, start time, reported effective dose).
    """
    for index, container in enumerate(sr.find_all(doc if doc is not None else ds, ADMINISTRATION), start=1):
        try:
            record.administrations.append(_administration(container, record.warnings, f"administration {index}"))
        except Exception as exc:  # noqa: BLE001
            record.warnings.append(f"administration {index} could not be read: {type(exc).__name__}: {exc}")
    if not record.administrations:
        record.warnings.append("radiopharmaceutical report without an administration")
    return record


def _administration(container: Dataset, warnings: list[str], label: str) -> Administration:
    admin = Administration()
    admin.administration_uid = sr.uid_of(sr.find_first(container, ADMIN_UID))
    admin.activity_mbq = sr.first_num(container, [ACTIVITY], units.ACTIVITY_MBQ, warnings,
                                      f"{label} administered activity", "MBq")
    agent = sr.find_first(container, *PHARMACEUTICAL)
    if agent is not None:
        admin.radiopharmaceutical_code = sr.code_of(agent)
        admin.radiopharmaceutical = (admin.radiopharmaceutical_code.meaning or None
                                     if admin.radiopharmaceutical_code else sr.text_of(agent))
    nuclide = sr.find_first(container, *RADIONUCLIDE)
    if nuclide is not None:
        code: Code | None = sr.code_of(nuclide)
        admin.nuclide_code = code
        admin.nuclide = nuclide_name(code.meaning if code else sr.text_of(nuclide))
    admin.start_datetime = sr.datetime_of(sr.find_first(container, START_DATETIME))
    admin.reported_effective_dose_msv = sr.first_num(container, [EFFECTIVE_DOSE], units.EFFECTIVE_DOSE_MSV,
                                                     warnings, f"{label} effective dose", "mSv")
    if admin.activity_mbq == 0:
        warnings.append(f"{label}: administered activity reported as 0; kept as unknown")
        admin.activity_mbq = None
    return admin
