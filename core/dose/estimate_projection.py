"""Projection X-ray parts: mammography, radiography (DX), fluoroscopy (RF, XA).

- MG: E = 0.12 x mean glandular dose over both breasts
  = 0.12 x (sum of per-view AGD over distinct exposures) / 2.
- DX/RF/XA with a measured DAP: per irradiation event, DAP x the factor for
  the event's region, the exam's context and the patient's age
  (:mod:`core.dose.projection_events`); limb, head and neck radiography keep
  the typical value for the exam type.
- DX/RF/XA without a DAP: the typical value for the exam type (flagged
  ``typical-value``, adults only); otherwise unknown.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .dedupe import distinct_exposures, merge_projection_reports
from .factors import typical_dose
from .plausibility import check_agd_view, check_dap
from .records import SOURCE_DOSE_SCREEN, SOURCE_IMAGE_HEADER, SOURCE_RDSR, SOURCE_TYPICAL, DoseRecord
from .regions import RegionResult, normalise_text
from .projection_events import RawEvent, estimate_events
from .projection_regions import (FROM_ANATOMY, FROM_BODY_PART, Context, ProjectionRegion, body_part_dap_region,
                                 code_dap_region, event_region, exam_context)
from .study import EstimatePart, EventEstimate, weakest_status
from .uncertainty import factor_range, relative_range

MG_BREAST_WEIGHT = 0.12
MG_CITATION = "ICRP 103 breast tissue weighting factor 0.12 x mean glandular dose averaged over both breasts"
GROUPS = {"MG": "MG", "DX": "DX", "CR": "DX", "PX": "DX", "IO": "DX", "RF": "RF", "XA": "XA"}

# (pattern on normalised text, typical exam): used only when the data gives no DAP
_EXAM_TEXT: tuple[tuple[str, str], ...] = (
    (r"\bPCI\b|\bPTCA\b|ANGIOPLAST\w* CORONAR\w*|CORONARY ANGIOPLAST\w*|\bICP\b|STENT\w* CORONAR\w*", "PTCA"),
    (r"CORONAR\w*|CORONARIOGRAF\w*|CATETERISMO CARD\w*|CARDIAC CATH\w*|HERZKATHETER|KORONAR\w*|\bHCK\b",
     "coronary angiography"),
    (r"ENEMA|EINLAUF|LAVEMENT|CLISMA", "barium enema"),
    (r"UROGRAF\w*|UROGRAPH\w*|\bUIV\b|\bIVU\b|\bIVP\b|PYELOGRA\w*", "intravenous urography"),
)
# region (detail) -> typical radiography exam
_DX_TYPICAL = {
    ("chest", ""): "radiography chest", ("cardiac", ""): "radiography chest",
    ("spine", "cervical"): "radiography cervical spine", ("neck", "cervical"): "radiography cervical spine",
    ("spine", "thoracic"): "radiography thoracic spine", ("spine", "lumbar"): "radiography lumbar spine",
    ("abdomen-pelvis", "abdomen"): "radiography abdomen", ("abdomen-pelvis", ""): "radiography abdomen",
    ("abdomen-pelvis", "pelvis"): "radiography pelvis/hip", ("head", ""): "radiography skull",
    ("extremity", ""): "radiography other extremities", ("extremity", "lower"): "radiography other extremities",
    ("extremity", "upper"): "radiography other extremities",
}


@dataclass
class ProjectionResult:
    part: EstimatePart
    dap_gycm2: float | None = None
    agd_mgy: float | None = None
    warnings: list[str] = field(default_factory=list)
    events: list[EventEstimate] = field(default_factory=list)
    factor_status: str | None = None


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


def exam_type(texts: list[str]) -> str | None:
    """The typical exam named in the texts, or None."""
    for text in texts:
        norm = normalise_text(text)
        for pattern, typical in _EXAM_TEXT:
            if re.search(pattern, norm):
                return typical
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
    images: list = []
    merged = None
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
        per_view = MG_BREAST_WEIGHT / 2.0
        if source == SOURCE_IMAGE_HEADER:
            owner = {id(r.image): r.sop_instance_uid for r in chosen}
            shown = [(owner.get(id(i)), "projection", i.organ_dose_mgy) for i in images
                     if i.organ_dose_mgy is not None]
        else:
            shown = [(e.event_uid, "projection", e.agd_mgy) for e in merged.events if e.agd_mgy is not None]
        if not shown:
            shown = [(None, "accumulated", agd_total)]
        result.events = [EventEstimate(uid, kind, "breast", "target-region-code" if source != SOURCE_IMAGE_HEADER
                                       else "body-part", factor=per_view, factor_unit="mSv per mGy AGD",
                                       factor_status="verified", factor_source=MG_CITATION, agd_mgy=agd,
                                       effective_dose_msv=agd * per_view,
                                       effective_dose_range_msv=relative_range(agd * per_view, default_uncertainty))
                         for uid, kind, agd in shown]
        result.factor_status = "verified"
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


_KINDS = {"fluoroscopy": "fluoroscopy", "acquisition": "acquisition", "stationary": "acquisition"}


def _raw_events(group: str, source: str, chosen: list[DoseRecord], fallback: ProjectionRegion
                ) -> tuple[list[RawEvent], float | None, list[str]]:
    """The events to estimate, the study's DAP total and notes."""
    notes: list[str] = []
    if source == SOURCE_IMAGE_HEADER:
        owner = {id(r.image): r for r in chosen}
        images = distinct_exposures([r.image for r in chosen], lambda i: i.dap_gycm2)
        raw = []
        for img in images:
            rec = owner[id(img)]
            region = next((ProjectionRegion(code_dap_region(c), FROM_ANATOMY, c.meaning or c.value)
                           for c in rec.target_region_codes if code_dap_region(c)), None)
            if region is None and body_part_dap_region(img.body_part):
                region = ProjectionRegion(body_part_dap_region(img.body_part), FROM_BODY_PART, img.body_part)
            raw.append(RawEvent(rec.sop_instance_uid or None, "projection", region or fallback, img.dap_gycm2))
        daps = [e.dap_gycm2 for e in raw if e.dap_gycm2 is not None]
        return raw, (math.fsum(sorted(daps)) if daps else None), notes
    merged = merge_projection_reports(chosen)
    total = merged.dap_total_gycm2
    kind = (lambda t: "projection") if group == "DX" else (lambda t: _KINDS.get(t or "", "projection"))
    raw = [RawEvent(e.event_uid, kind(e.irradiation_type), event_region(e.target_region, fallback), e.dap_gycm2,
                    e.dose_rp_gy) for e in merged.events]
    if total is None:
        return raw, None, notes
    daps = [e.dap_gycm2 for e in raw if e.dap_gycm2 is not None]
    if not raw or len(daps) < len(raw):
        regions = [e.region for e in raw if e.region.region is not None]
        region = max(regions, key=lambda r: sum(x.region == r for x in regions)) if regions else fallback
        if raw:
            notes.append(f"{len(raw) - len(daps)} of {len(raw)} events give no DAP: the total DAP is estimated "
                         f"as one, with the events' most frequent region")
        listed = [RawEvent(e.uid, e.kind, e.region, e.dap_gycm2, e.dose_rp_gy, counted=False) for e in raw]
        return listed + [RawEvent(None, "accumulated", region, total)], total, notes
    covered = math.fsum(sorted(daps))
    if total > covered * 1.05:
        by_region: dict[str, float] = {}
        for e in raw:
            by_region[e.region.region or ""] = by_region.get(e.region.region or "", 0.0) + e.dap_gycm2
        main = max(by_region, key=by_region.get)
        region = next(e.region for e in raw if (e.region.region or "") == main)
        raw.append(RawEvent(None, "accumulated", region, total - covered))
        notes.append(f"the events hold {covered:.4g} of the {total:.4g} Gy·cm² total: the rest is estimated "
                     f"with the region of most of the events")
    return raw, total, notes


def estimate_dap_part(group: str, records: list[DoseRecord], region: RegionResult | None, texts: list[str],
                      default_uncertainty: float, adult: bool = True, age: float | None = None,
                      fallback: ProjectionRegion | None = None) -> ProjectionResult:
    """Radiography (DX) or fluoroscopy (RF, XA) part.

    Parameters
    ----------
    group : str
        ``"DX"``, ``"RF"`` or ``"XA"``.
    records : list of DoseRecord
        The study's records of that group.
    region : RegionResult or None
        The study's body region (picks the typical radiography exam when
        the data gives no DAP).
    texts : list of str
        Study, series, protocol and performed-procedure descriptions.
    default_uncertainty : float
        Relative half-width for radiography typical values without a range.
    adult : bool
        False for a child: adult typical values are not used.
    age : float or None
        Age in years (picks paediatric factor rows).
    fallback : ProjectionRegion, optional
        The study-level region for events whose own code says nothing.

    Returns
    -------
    ProjectionResult
    """
    source, chosen = _pick_source(records)
    fallback = fallback or ProjectionRegion(None, "unknown")
    raw, dap, notes = _raw_events(group, source, chosen, fallback)
    warnings: list[str] = list(notes)
    warnings += check_dap(dap, group)
    result = ProjectionResult(EstimatePart(group, "DAP x coefficient per irradiation event", None, None, source),
                              dap_gycm2=dap)
    if dap is not None:
        context = exam_context(group, texts, [e.region.region for e in raw if e.dap_gycm2 is not None])
        res = estimate_events(raw, context, age)
        warnings += res.warnings
        result.events = res.events
        result.factor_status = weakest_status(e.factor_status for e in res.events)
        if res.effective_dose_msv is not None:
            _fill_part(result, res, context, dap, source)
            result.warnings = list(dict.fromkeys(warnings))
            return result
    _typical_fallback(result, group, region, texts, source, dap, adult, default_uncertainty, warnings)
    result.warnings = list(dict.fromkeys(warnings))
    return result


def _fill_part(result: ProjectionResult, res, context: Context, dap: float, source: str) -> None:
    part = result.part
    part.effective_dose_msv, part.range_msv = res.effective_dose_msv, res.range_msv
    regions: dict[str, int] = {}
    per_region: dict[str, float] = {}
    for e in res.events:
        name = (e.region or "unknown").replace("_", " ")
        regions[name] = regions.get(name, 0) + 1
        if e.effective_dose_msv is not None:
            per_region[name] = per_region.get(name, 0.0) + e.effective_dose_msv
    part.inputs = {"dap_gycm2": dap, "context": context.name + (f" ({context.variant})" if context.variant else ""),
                   "events": len(res.events), "regions": regions, "factor_status": result.factor_status}
    if len(per_region) > 1:  # a multi-region procedure shows its parts
        part.inputs["effective_dose_by_region_msv"] = per_region
    part.factor_reference = "; ".join(sorted({e.factor_source for e in res.events if e.factor_source}))
    if res.typical_exams and all(e.factor_unit != "mSv per Gy.cm2" for e in res.events):
        part.method, part.source = "typical value for exam type", SOURCE_TYPICAL
        part.inputs.update({"exam_type": ", ".join(res.typical_exams), "measured_source": source})
    elif res.typical_exams:
        part.method += " (+ typical value for " + ", ".join(res.typical_exams) + ")"
    if len(regions) > 1:
        part.method += f"; {len(regions)} regions"


def _typical_fallback(result: ProjectionResult, group: str, region: RegionResult | None, texts: list[str],
                      source: str, dap: float | None, adult: bool, default_uncertainty: float,
                      warnings: list[str]) -> None:
    """No DAP (or no factor could be used): the typical value for the exam type, adults only."""
    fluoro = group in ("RF", "XA")
    typical_exam = exam_type(texts)
    if typical_exam is None and group == "DX" and region is not None:
        typical_exam = _DX_TYPICAL.get((region.region, region.detail)) or _DX_TYPICAL.get((region.region, ""))
    typical = typical_dose(typical_exam) if typical_exam and adult else None
    if typical_exam and not adult:
        warnings.append(f"typical value for {typical_exam} is for adults: not used for a child; "
                        f"effective dose unknown")
    elif typical is not None:
        rng = typical.range_msv or (factor_range(typical.msv) if fluoro
                                    else relative_range(typical.msv, default_uncertainty))
        result.part = EstimatePart(group, "typical value for exam type", typical.msv, rng, SOURCE_TYPICAL,
                                   {"exam_type": typical.exam, "typical_msv": typical.msv,
                                    "column": typical.column, "status": typical.status, "dap_gycm2": dap,
                                    "measured_source": source, "factor_status": typical.status}, typical.source)
        result.factor_status = typical.status
        why = "no DAP in the data" if dap is None else "no DAP factor could be used"
        warnings.append(f"{why}: typical value for {typical.exam} ({typical.msv:g} mSv) used")
    else:
        warnings.append(f"exam type of this {group} study cannot be told: effective dose unknown"
                        + (f" (measured DAP {dap:.4g} Gy·cm²)" if dap is not None else ""))
