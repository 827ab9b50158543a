"""NM/PET part of a study estimate: E = activity x dose coefficient.

The radiopharmaceutical is recognised by its code (SRT, 99SDM, SNM3, SCT,
NCIt, UMLS) or by its name in free text. RRDSR administrations are used
when present, otherwise image headers; each administration counts once.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .dedupe import distinct_administrations
from ..dicom.codes import normalise_scheme
from .factors import NMCoefficient, name_patterns, nm_coefficient, radiopharmaceutical_matches
from .plausibility import check_activity
from .records import SOURCE_IMAGE_HEADER, SOURCE_RRDSR, Administration, DoseRecord
from .regions import normalise_text
from .study import EstimatePart
from .uncertainty import relative_range

PET_NUCLIDES = {"F-18", "Ga-68", "N-13", "Rb-82", "C-11", "O-15", "Cu-64", "Zr-89"}
_NUCLIDE_PATTERNS = {
    "F-18": r"F ?18|18 ?F|FLUOR(?:INE)? ?18",
    "Ga-68": r"GA ?68|68 ?GA|GALLIUM ?68",
    "Tc-99m": r"TC ?99M?|99M? ?TC|TECHNETIUM|TECNECIO",
    "Ga-67": r"GA ?67|67 ?GA",
    "I-123": r"I ?123|123 ?I",
    "I-131": r"I ?131|131 ?I",
    "N-13": r"N ?13|13 ?N",
    "Rb-82": r"RB ?82|82 ?RB",
    "Tl-201": r"TL ?201|201 ?TL",
}


@dataclass
class NMResult:
    part: EstimatePart
    activity_mbq: float | None = None
    radiopharmaceutical: str | None = None
    reported_msv: float | None = None
    warnings: list[str] = field(default_factory=list)


def _nuclide_in(text: str) -> str | None:
    norm = normalise_text(text)
    for nuclide, pattern in _NUCLIDE_PATTERNS.items():
        if re.search(r"(?<![A-Z0-9])(?:" + pattern + r")(?![0-9])", norm):
            return nuclide
    return None


def administration_text(adm: Administration) -> str:
    """All the free text that names an administration's radiopharmaceutical."""
    parts = [adm.radiopharmaceutical, adm.nuclide]
    for code in (adm.radiopharmaceutical_code, adm.nuclide_code):
        if code is not None:
            parts.append(code.meaning)
    return " ".join(p for p in parts if p)


def identify(adm: Administration) -> NMCoefficient | None:
    """The dose coefficient row for an administration, or None if unknown.

    Parameters
    ----------
    adm : Administration
        With a radiopharmaceutical code and/or a free-text name.

    Returns
    -------
    NMCoefficient or None
        None when nothing is recognised, or when the nuclide named in the
        data contradicts the recognised radiopharmaceutical.
    """
    found: str | None = None
    code = adm.radiopharmaceutical_code
    if code is not None and code.value:
        scheme, value = normalise_scheme(code.scheme), code.value.strip().upper()
        for m in radiopharmaceutical_matches():
            if m.match == "code" and normalise_scheme(m.scheme) == scheme and m.value.upper() == value:
                found = m.radiopharmaceutical
                break
    text = administration_text(adm)
    if found is None and text:
        norm = normalise_text(text)
        for pattern, name in name_patterns():
            if pattern.search(norm):
                found = name
                break
    if found is None:
        return None
    coefficient = nm_coefficient(found)
    if coefficient is None:
        return None
    nuclide = _nuclide_in(" ".join(p for p in (adm.nuclide, adm.nuclide_code.meaning if adm.nuclide_code else None,
                                               adm.radiopharmaceutical) if p))
    if nuclide is not None and nuclide != coefficient.nuclide:
        return None
    return coefficient


def _name_of(adm: Administration) -> str | None:
    coefficient = identify(adm)
    if coefficient is not None:
        return coefficient.radiopharmaceutical
    text = administration_text(adm)
    return normalise_text(text).strip() or None


def estimate_nm(records: list[DoseRecord], modalities: set[str], default_uncertainty: float) -> NMResult:
    """Estimate the NM/PET part of a study.

    Parameters
    ----------
    records : list of DoseRecord
        The study's ``kind == "nm"`` records (canonical order).
    modalities : set of str
        Modalities of the study (PT names the part "PT").
    default_uncertainty : float
        Relative half-width of the range (0.5 = +-50 %).

    Returns
    -------
    NMResult
    """
    rr = [a for r in records if r.source == SOURCE_RRDSR for a in r.administrations]
    source = SOURCE_RRDSR if rr else SOURCE_IMAGE_HEADER
    admins = rr or [a for r in records if r.source == SOURCE_IMAGE_HEADER for a in r.administrations]
    admins = distinct_administrations(admins, _name_of)
    with_activity = {(a.start_datetime, _name_of(a)) for a in admins if a.activity_mbq is not None}
    admins = [a for a in admins if a.activity_mbq is not None or (a.start_datetime, _name_of(a)) not in with_activity]
    modality = "PT" if "PT" in modalities else "NM"
    warnings: list[str] = []
    terms: list[float] = []
    inputs: list[dict] = []
    citations: set[str] = set()
    names: list[str] = []
    unknown = False
    for adm in admins:
        coefficient = identify(adm)
        label = adm.radiopharmaceutical or (adm.radiopharmaceutical_code.meaning
                                            if adm.radiopharmaceutical_code else None)
        warnings += check_activity(adm.activity_mbq)
        if coefficient is not None:
            names.append(coefficient.radiopharmaceutical)
            if coefficient.nuclide in PET_NUCLIDES and "NM" not in modalities:
                modality = "PT"
            if "warn" in coefficient.notes.lower():
                # the data file ends such notes with "; warn" (an instruction to us, not text for users)
                note = re.sub(r"[;,]?\s*warn\.?\s*$", "", coefficient.notes.strip(), flags=re.IGNORECASE)
                warnings.append(f"{coefficient.radiopharmaceutical}: {note}")
            if coefficient.status == "check":
                warnings.append(f"dose coefficient for {coefficient.radiopharmaceutical} has status 'check': "
                                f"widely quoted, not read in the source")
        elif label:
            names.append(label)
        if adm.activity_mbq is None:
            warnings.append(f"administered activity unknown for {label or 'the radiopharmaceutical'}")
            unknown = True
            continue
        if coefficient is None:
            warnings.append(f"radiopharmaceutical '{label or 'unnamed'}' not recognised: no dose coefficient, "
                            f"effective dose unknown")
            unknown = True
            continue
        terms.append(adm.activity_mbq * coefficient.msv_per_mbq)
        citations.add(f"{coefficient.radiopharmaceutical}: {coefficient.source}")
        inputs.append({"radiopharmaceutical": coefficient.radiopharmaceutical, "activity_mbq": adm.activity_mbq,
                       "msv_per_mbq": coefficient.msv_per_mbq, "basis": coefficient.basis,
                       "start_datetime": adm.start_datetime, "status": coefficient.status,
                       "source": coefficient.source})
    activities = [a.activity_mbq for a in admins if a.activity_mbq is not None]
    reported = [a.reported_effective_dose_msv for a in admins if a.reported_effective_dose_msv is not None]
    result = NMResult(EstimatePart(modality, "activity x coefficient", None, None, source),
                      math.fsum(sorted(activities)) if activities else None,
                      "; ".join(dict.fromkeys(names)) or None,
                      math.fsum(sorted(reported)) if reported else None)
    if not admins:
        warnings.append(f"no administered activity found for this {modality} study: effective dose unknown")
    elif terms and not unknown:
        effective = math.fsum(sorted(terms))
        result.part.effective_dose_msv = effective
        result.part.range_msv = relative_range(effective, default_uncertainty)
    result.part.inputs = {"administrations": inputs, "count": len(admins)}
    result.part.factor_reference = "; ".join(sorted(citations)) or None
    result.warnings = list(dict.fromkeys(warnings))
    return result
