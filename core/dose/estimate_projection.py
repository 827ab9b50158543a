"""Projection X-ray parts: mammography, radiography (DX), fluoroscopy (RF, XA).

- MG: E = 0.12 x mean glandular dose over both breasts
  = 0.12 x (sum of per-view AGD over distinct exposures) / 2.
- DX/RF/XA: DAP x coefficient where ``dap_coefficients.csv`` has one for the
  exam type (interventional cardiology only); otherwise the typical value for
  the exam type (flagged ``typical-value``) while the measured DAP is shown.
  When the exam type cannot be told the effective dose stays unknown.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .dedupe import distinct_exposures, merge_projection_reports
from .factors import dap_coefficient, typical_dose
from .plausibility import check_agd_view, check_dap
from .records import SOURCE_DOSE_SCREEN, SOURCE_IMAGE_HEADER, SOURCE_RDSR, SOURCE_TYPICAL, DoseRecord
from .regions import RegionResult, normalise_text
from .study import EstimatePart
from .uncertainty import factor_range, relative_range

MG_BREAST_WEIGHT = 0.12
MG_CITATION = "ICRP 103 breast tissue weighting factor 0.12 x mean glandular dose averaged over both breasts"
GROUPS = {"MG": "MG", "DX": "DX", "CR": "DX", "PX": "DX", "IO": "DX", "RF": "RF", "XA": "XA"}

# (pattern on normalised text, DAP coefficient procedure or None, typical exam)
_EXAM_TEXT: tuple[tuple[str, str | None, str], ...] = (
    (r"\bPCI\b|\bPTCA\b|ANGIOPLAST\w* CORONAR\w*|CORONARY ANGIOPLAST\w*|\bICP\b|STENT\w* CORONAR\w*",
     "PCI (radial access)", "PTCA"),
    (r"CORONAR\w*|CORONARIOGRAF\w*|CATETERISMO CARD\w*|CARDIAC CATH\w*|HERZKATHETER|KORONAR\w*",
     "coronary angiography (radial access)", "coronary angiography"),
    (r"ENEMA|EINLAUF|LAVEMENT|CLISMA", None, "barium enema"),
    (r"UROGRAF\w*|UROGRAPH\w*|\bUIV\b|\bIVU\b|\bIVP\b|PYELOGRA\w*", None, "intravenous urography"),
)
# region (detail) -> typical radiography exam
_DX_TYPICAL = {
    ("chest", ""): "radiography chest", ("cardiac", ""): "radiography chest",
    ("spine", "cervical"): "radiography cervical spine", ("neck", "cervical"): "radiography cervical spine",
    ("spine", "thoracic"): "radiography thoracic spine", ("spine", "lumbar"): "radiography lumbar spine",
    ("abdomen-pelvis", "abdomen"): "radiography abdomen", ("abdomen-pelvis", ""): "radiography abdomen",
    ("abdomen-pelvis", "pelvis"): "radiography pelvis/hip", ("head", ""): "radiography skull",
}


@dataclass
class ProjectionResult:
    part: EstimatePart
    dap_gycm2: float | None = None
    agd_mgy: float | None = None
    warnings: list[str] = field(default_factory=list)


def group_of(rec: DoseRecord, study_modalities: set[str]) -> str:
    """Part group of a projection record: MG, DX, RF or XA."""
    mod = (rec.report_modality or "").upper()
    if mod in GROUPS:
        return GROUPS[mod]
    candidates = sorted({GROUPS[m] for m in study_modalities if m in GROUPS})
    return candidates[0] if len(candidates) == 1 else "DX"


def _pick_source(records: list[DoseRecord]) -> tuple[str, list[DoseRecord]]:
    for source in (SOURCE_RDSR, SOURCE_DOSE_SCREEN):
        reps = [r for r in records if r.source == source and (r.projection_events or r.accumulations)]
        if reps:
            return source, reps
    return SOURCE_IMAGE_HEADER, [r for r in records if r.source == SOURCE_IMAGE_HEADER and r.image is not None]


def exam_type(texts: list[str]) -> tuple[str | None, str] | None:
    """(DAP coefficient procedure or None, typical exam) named in the texts, or None."""
    for text in texts:
        norm = normalise_text(text)
        for pattern, procedure, typical in _EXAM_TEXT:
            if re.search(pattern, norm):
                return procedure, typical
    return None


def estimate_mg(records: list[DoseRecord], default_uncertainty: float) -> ProjectionResult:
    """Mammography part: 0.12 x (sum of distinct per-view AGD) / 2.

    Parameters
    ----------
    records : list of DoseRecord
        The study's MG projection records.
    default_uncertainty : float
        Relative half-width of the range.

    Returns
    -------
    ProjectionResult
    """
    source, chosen = _pick_source(records)
    warnings: list[str] = []
    agd_total = None
    views: list[float] = []
    if source == SOURCE_IMAGE_HEADER:
        images = distinct_exposures([r.image for r in chosen], lambda i: i.organ_dose_mgy)
        views = [i.organ_dose_mgy for i in images if i.organ_dose_mgy is not None]
        agd_total = math.fsum(sorted(views)) if views else None
    else:
        merged = merge_projection_reports(chosen)
        views = [e.agd_mgy for e in merged.events if e.agd_mgy is not None]
        agd_total = merged.agd_total_mgy
    for v in views:
        warnings += check_agd_view(v)
    part = EstimatePart("MG", "0.12 x mean glandular dose", None, None, source)
    result = ProjectionResult(part, agd_mgy=agd_total)
    if agd_total is not None:
        effective = MG_BREAST_WEIGHT * agd_total / 2.0
        part.effective_dose_msv = effective
        part.range_msv = relative_range(effective, default_uncertainty)
        part.inputs = {"agd_total_mgy": agd_total, "exposures": len(views) or None,
                       "tissue_weight": MG_BREAST_WEIGHT, "breasts": 2}
        part.factor_reference = MG_CITATION
    else:
        typical = typical_dose("mammography screening (two views per breast)")
        if typical is not None:
            result.part = EstimatePart("MG", "typical value for exam type", typical.msv,
                                       typical.range_msv or factor_range(typical.msv), SOURCE_TYPICAL,
                                       {"exam_type": typical.exam, "typical_msv": typical.msv,
                                        "column": typical.column, "status": typical.status}, typical.source)
            warnings.append(f"no glandular dose in the data: typical value for {typical.exam} "
                            f"({typical.msv:g} mSv) used")
    result.warnings = list(dict.fromkeys(warnings))
    return result


def estimate_dap_part(group: str, records: list[DoseRecord], region: RegionResult | None, texts: list[str],
                      default_uncertainty: float, adult: bool = True) -> ProjectionResult:
    """Radiography (DX) or fluoroscopy (RF, XA) part.

    Parameters
    ----------
    group : str
        ``"DX"``, ``"RF"`` or ``"XA"``.
    records : list of DoseRecord
        The study's records of that group.
    region : RegionResult or None
        The study's body region (picks the typical radiography exam).
    texts : list of str
        Study, series and protocol descriptions (pick the exam type).
    default_uncertainty : float
        Relative half-width for radiography typical values without a range.
    adult : bool
        False for a child: adult typical values are not used.

    Returns
    -------
    ProjectionResult
    """
    source, chosen = _pick_source(records)
    warnings: list[str] = []
    if source == SOURCE_IMAGE_HEADER:
        images = distinct_exposures([r.image for r in chosen], lambda i: i.dap_gycm2)
        daps = [i.dap_gycm2 for i in images if i.dap_gycm2 is not None]
        dap = math.fsum(sorted(daps)) if daps else None
    else:
        dap = merge_projection_reports(chosen).dap_total_gycm2
    warnings += check_dap(dap, group)
    result = ProjectionResult(EstimatePart(group, "DAP x coefficient", None, None, source), dap_gycm2=dap)
    fluoro = group in ("RF", "XA")
    found = exam_type(texts)
    procedure, typical_exam = (found if found else (None, None))
    if typical_exam is None and group == "DX" and region is not None:
        typical_exam = _DX_TYPICAL.get((region.region, region.detail)) or _DX_TYPICAL.get((region.region, ""))
    coefficient = dap_coefficient(procedure) if procedure else None
    if coefficient is not None and dap is not None:
        effective = dap * coefficient.msv_per_gycm2
        result.part.effective_dose_msv = effective
        result.part.range_msv = factor_range(effective)
        result.part.inputs = {"dap_gycm2": dap, "procedure": coefficient.procedure,
                              "msv_per_gycm2": coefficient.msv_per_gycm2}
        result.part.factor_reference = f"{coefficient.procedure}: {coefficient.source}"
        if coefficient.notes:
            warnings.append(f"DAP coefficient for {coefficient.procedure}: {coefficient.notes}")
        warnings.append(f"DAP coefficient assumes {coefficient.procedure}; access route and filtration not "
                        f"known from the data")
    else:
        typical = typical_dose(typical_exam) if typical_exam and adult else None
        if typical_exam and not adult:
            warnings.append(f"typical value for {typical_exam} is for adults: not used for a child; "
                            f"effective dose unknown")
        elif typical is not None:
            rng = typical.range_msv or (factor_range(typical.msv) if fluoro
                                        else relative_range(typical.msv, default_uncertainty))
            shown = f"; measured DAP {dap:.4g} Gy·cm² shown" if dap is not None else ""
            result.part = EstimatePart(group, "typical value for exam type", typical.msv, rng, SOURCE_TYPICAL,
                                       {"exam_type": typical.exam, "typical_msv": typical.msv,
                                        "column": typical.column, "status": typical.status, "dap_gycm2": dap,
                                        "measured_source": source}, typical.source)
            warnings.append(f"no verified DAP coefficient for {typical.exam}: typical value "
                            f"({typical.msv:g} mSv) used{shown}")
        else:
            warnings.append(f"exam type of this {group} study cannot be told: effective dose unknown"
                            + (f" (measured DAP {dap:.4g} Gy·cm²)" if dap is not None else ""))
    result.warnings = list(dict.fromkeys(warnings))
    return result
