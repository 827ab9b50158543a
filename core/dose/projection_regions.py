"""Region of each projection irradiation event, in the DAP-factor vocabulary.

Best first: the event's Target Region code (DCM 123014; SNOMED-RT in schemes
SRT/SNM3, SNOMED CT before and after 2020), then the study's Anatomic Region
Sequence codes, Body Part Examined, then the study, series, protocol and
performed-procedure descriptions. 'Entire body' and 'Topography unknown'
name no region and fall through.

Regions: ``head``, ``neck``, ``chest``, ``heart``, ``abdomen``, ``pelvis``,
``cervical_spine``, ``thoracic_spine``, ``lumbar_spine``, ``spine``,
``upper_limb``, ``lower_limb``, ``limb``, ``breast``, ``trunk`` (several
trunk regions at once), or None (unknown).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from ..dicom.codes import normalise_scheme
from .factors import region_codes
from .records import Code
from .region_words import CARDIOLOGY, INTERVENTIONAL, PCI, PROJECTION_LOWER_LIMB, UROLOGY
from .regions import RegionResult, body_part_region, code_region, normalise_text, text_region

# region_codes.csv vocabulary -> DAP-factor region (None: says nothing about where)
_TABLE = {
    "abdomen": "abdomen", "abdomen_pelvis": "abdomen", "breast": "breast", "cervical_spine": "cervical_spine",
    "cervicothoracic_spine": "spine", "chest": "chest", "chest_abdomen": "trunk", "chest_abdomen_pelvis": "trunk",
    "extremity_unspecified": "limb", "head": "head", "head_neck": "head", "heart": "heart",
    "lower_limb": "lower_limb", "lumbar_spine": "lumbar_spine", "neck": "neck", "neck_chest": "chest",
    "neck_chest_abdomen": "trunk", "neck_chest_abdomen_pelvis": "trunk", "pelvis": "pelvis",
    "pelvis_lower_limb": "pelvis", "spine_unspecified": "spine", "thoracic_spine": "thoracic_spine",
    "thoracolumbar_spine": "spine", "upper_limb": "upper_limb",
}
# study-region vocabulary (regions.py) -> DAP-factor region
_STUDY = {
    ("head", ""): "head", ("head", "sinuses"): "head", ("neck", ""): "neck", ("neck", "cervical"): "neck",
    ("head-neck", ""): "head", ("chest", ""): "chest", ("chest", "ctpa"): "chest", ("cardiac", ""): "heart",
    ("abdomen-pelvis", ""): "abdomen", ("abdomen-pelvis", "abdomen"): "abdomen",
    ("abdomen-pelvis", "pelvis"): "pelvis", ("chest-abdomen-pelvis", ""): "trunk",
    ("chest-abdomen-pelvis", "chest-abdomen"): "trunk", ("spine", ""): "spine",
    ("spine", "cervical"): "cervical_spine", ("spine", "thoracic"): "thoracic_spine",
    ("spine", "lumbar"): "lumbar_spine", ("extremity", ""): "limb", ("extremity", "lower"): "lower_limb",
    ("extremity", "upper"): "upper_limb", ("breast", ""): "breast",
}
_W = r"(?<![A-Z0-9])(?:{})(?![A-Z0-9])"
_CARDIOLOGY = re.compile(_W.format(CARDIOLOGY))
_PCI = re.compile(_W.format(PCI))
_UROLOGY = re.compile(_W.format(UROLOGY))
_INTERVENTIONAL = re.compile(_W.format(INTERVENTIONAL))
_LEG_ANGIO = re.compile(_W.format(PROJECTION_LOWER_LIMB))

FROM_CODE = "target-region-code"
FROM_ANATOMY = "anatomic-region"
FROM_BODY_PART = "body-part"
FROM_TEXT = "description"
FROM_UNKNOWN = "unknown"


@dataclass(frozen=True)
class ProjectionRegion:
    """A DAP-factor region, where it came from and the text or code meaning behind it."""

    region: str | None
    region_from: str
    text: str = ""


def _from_study_region(found: RegionResult | None) -> str | None:
    if found is None:
        return None
    return _STUDY.get((found.region, found.detail)) or _STUDY.get((found.region, ""))


def code_dap_region(code: Code | None) -> str | None:
    """DAP-factor region of one anatomy code (any scheme generation), or None."""
    if code is None or not code.value:
        return None
    row = region_codes().get((normalise_scheme(code.scheme), code.value.strip().upper()))
    if row is not None:
        return _TABLE.get(row.region)
    return _from_study_region(code_region(code))


def body_part_dap_region(body_part: str | None) -> str | None:
    """DAP-factor region of a Body Part Examined value, or None."""
    if not body_part or not body_part.strip():
        return None
    key = re.sub(r"[^A-Z_]", "", body_part.upper())
    row = region_codes().get(("BodyPartExamined", key))
    if row is not None:
        return _TABLE.get(row.region)
    return _from_study_region(body_part_region(body_part))


def text_dap_region(text: str | None) -> str | None:
    """DAP-factor region named by a description in any supported language, or None."""
    if text and _LEG_ANGIO.search(normalise_text(text)):
        return "lower_limb"
    return _from_study_region(text_region(text))


def _first(pairs: Iterable[tuple[str | None, str]]) -> tuple[str | None, str]:
    for region, text in pairs:
        if region is not None:
            return region, text
    return None, ""


def fallback_region(codes: Iterable[Code], body_parts: Iterable[str | None],
                    texts: Iterable[str]) -> ProjectionRegion:
    """The study-level region for events whose own code says nothing.

    Parameters
    ----------
    codes : iterable of Code
        Anatomic Region Sequence codes of the study's images.
    body_parts : iterable of str
        Body Part Examined values (series and images).
    texts : iterable of str
        Study, series, protocol and performed-procedure descriptions, best first.
    """
    region, text = _first((code_dap_region(c), c.meaning or c.value) for c in codes)
    if region is not None:
        return ProjectionRegion(region, FROM_ANATOMY, text)
    region, text = _first((body_part_dap_region(b), b or "") for b in body_parts)
    if region is not None:
        return ProjectionRegion(region, FROM_BODY_PART, text)
    region, text = _first((text_dap_region(t), t) for t in texts)
    if region is not None:
        return ProjectionRegion(region, FROM_TEXT, text)
    return ProjectionRegion(None, FROM_UNKNOWN)


def event_region(code: Code | None, fallback: ProjectionRegion) -> ProjectionRegion:
    """An event's region: its own Target Region code, else the study fallback."""
    region = code_dap_region(code)
    if region is not None:
        return ProjectionRegion(region, FROM_CODE, code.meaning or code.value)
    return fallback


@dataclass(frozen=True)
class Context:
    """What kind of projection exam: picks the factor row."""

    name: str  # radiography, fluoroscopy, interventional, cardiology
    variant: str = ""  # "PCI", "urology" or ""


def exam_context(group: str, texts: Iterable[str], regions: Iterable[str | None]) -> Context:
    """Context of a projection part from its group, descriptions and event regions.

    DX is radiography; RF/XA is cardiology when a description names the
    heart or a cardiac procedure (HCK, PCI, pacemaker...) or an event is
    coded heart, interventional for XA or angiography/embolisation words,
    otherwise fluoroscopy.
    """
    norm = " ".join(normalise_text(t) for t in texts if t)
    if group == "DX":
        return Context("radiography")
    if _CARDIOLOGY.search(norm) or "heart" in set(regions):
        return Context("cardiology", "PCI" if _PCI.search(norm) else "")
    variant = "urology" if _UROLOGY.search(norm) else ""
    if group == "XA" or _INTERVENTIONAL.search(norm):
        return Context("interventional", variant)
    return Context("fluoroscopy", variant)
