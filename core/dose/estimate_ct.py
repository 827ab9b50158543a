"""CT part of a study estimate: E = k(region, age) x DLP, and reference levels.

Sources never add up: RDSR first, then dose screen, then image headers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..config import FACTOR_SETS, Settings
from .ct_geometry import DLP_FROM_LENGTH_WARNING, events_from_images
from .dedupe import merge_ct_reports
from .factors import ADULT_AGE, KFactor, drl_row, k_factor, typical_dose
from .plausibility import check_ctdivol, check_event_dlp
from .records import SOURCE_DOSE_SCREEN, SOURCE_IMAGE_HEADER, SOURCE_RDSR, SOURCE_TYPICAL, CTEvent, DoseRecord
from .regions import RegionResult, code_region
from .study import EstimatePart, EventEstimate, ReferenceLevelFlag, weakest_status
from .uncertainty import factor_range, relative_range

PHANTOM_WARNING = ("paediatric k-factors assume CTDIvol measured in the 16 cm phantom, but this child's CT "
                   "reports the 32 cm phantom: a 16 cm value is roughly twice the 32 cm one (the exact ratio "
                   "depends on scanner and kV), so this estimate may be about 2x too low")

# study region -> (k-factor region, warning or None)
_K_REGION: dict[str, tuple[str, str | None]] = {
    "head": ("head", None),
    "neck": ("neck", None),
    "head-neck": ("head-neck", None),
    "chest": ("chest", None),
    "cardiac": ("chest", "no k-factor for cardiac CT in the factor tables: the chest factor is used"),
    "breast": ("chest", "no k-factor for a breast CT: the chest factor is used"),
    "abdomen-pelvis": ("abdomen-pelvis", None),
    "chest-abdomen-pelvis": ("chest-abdomen-pelvis", None),
    "whole-body": ("chest-abdomen-pelvis", "no k-factor for whole-body CT: the chest-abdomen-pelvis (trunk) "
                                           "factor is used"),
    "extremity": ("head", "no k-factor for extremities: the head factor (the smallest in the set) is used, "
                          "the true value is probably lower"),
}
_SPINE = {"cervical": "neck", "thoracic": "chest", "lumbar": "abdomen-pelvis", "": "chest-abdomen-pelvis"}
_TYPICAL_CT = {"head": "CT head", "neck": "CT neck", "chest": "CT chest", "cardiac": "CT chest",
               "abdomen-pelvis": "CT abdomen(-pelvis)", "chest-abdomen-pelvis": "CT chest-abdomen-pelvis"}
# region (+ detail) -> DRL exam per scheme
_DRL_EXAM: dict[str, dict[str, str]] = {
    "UK-2022": {"head": "head (acute stroke)", "head/sinuses": "sinuses", "chest": "chest (lung cancer)",
                "chest/ctpa": "CT pulmonary angiogram",
                "abdomen-pelvis": "abdomen-pelvis (abscess)", "chest-abdomen-pelvis": "chest-abdomen-pelvis",
                "spine/cervical": "cervical spine", "neck/cervical": "cervical spine"},
    "IE-2012": {"head": "head", "chest": "chest", "abdomen-pelvis": "abdomen-pelvis"},
}


MINOR_EVENT_SHARE = 0.05


def main_scans(events: list[CTEvent]) -> list[CTEvent]:
    """The scans that say what the study examined.

    Localizers do not decide, nor do events with less than 5 % of the
    study's DLP (a laser alignment, a bolus-tracking slice) when every scan
    has a DLP. Falls back to all events when nothing is left.
    """
    scans = [e for e in events if e.acquisition_type != "localizer"] or list(events)
    if scans and all(e.dlp_mgycm is not None for e in scans):
        total = sum(e.dlp_mgycm for e in scans)
        if total > 0:
            scans = [e for e in scans if e.dlp_mgycm >= MINOR_EVENT_SHARE * total] or scans
    return scans


@dataclass
class CTResult:
    part: EstimatePart
    dlp_mgycm: float | None = None
    ctdivol_max_mgy: float | None = None
    events: int | None = None
    warnings: list[str] = field(default_factory=list)
    flags: list[ReferenceLevelFlag] = field(default_factory=list)
    used_k: bool = False
    events_detail: list[EventEstimate] = field(default_factory=list)
    factor_status: str | None = None


K_UNIT = "mSv per mGy.cm"
_CT_KINDS = {"spiral": "CT helical", "sequenced": "CT axial", "stationary": "CT axial", "localizer": "CT localizer"}
_FROM_BASIS = {"code": "target-region-code", "body-part": "body-part", "text": "description"}
PHANTOM_REGION = {16: ("head", "head"), 32: ("trunk", "chest-abdomen-pelvis")}


def phantom_region(events: list[CTEvent], age: float | None) -> tuple[int | None, list[str]]:
    """The CTDI phantom (16 or 32 cm) of a CT whose body region is unknown, and warnings.

    The scans' phantom tells a head (16 cm) from a body (32 cm) scan for
    adults; a child's body scan may be referenced to 16 cm, so a child's
    16 cm phantom tells nothing.
    """
    scans = [e for e in events if e.acquisition_type != "localizer"] or events
    phantoms = {e.phantom_cm for e in scans if e.phantom_cm in PHANTOM_REGION}
    if len(phantoms) != 1:
        return None, (["body region unknown and the scans name no single CTDI phantom"] if scans else [])
    cm = phantoms.pop()
    if cm == 16 and age is not None and age < ADULT_AGE:
        return None, ["body region unknown: a child's CT in the 16 cm phantom may be a head or a body scan"]
    label, k_region = PHANTOM_REGION[cm]
    return cm, [f"body region unknown: the CTDI phantom of the scans ({cm} cm, "
                f"{'head' if cm == 16 else 'body'}) picks the {k_region} k-factor; range widened to x/÷2"]


def resolve_k(factor_set: str, region: RegionResult | None, age: float | None
              ) -> tuple[KFactor | None, list[str]]:
    """k-factor for a study region, with fallbacks and their warnings.

    Parameters
    ----------
    factor_set : str
        The chosen set (``Settings.factor_set``).
    region : RegionResult or None
        Body region; spine uses its level, extremities and whole body fall
        back to the nearest region with a factor, with a warning.
    age : float or None
        Age in years (None: adult).

    Returns
    -------
    (KFactor or None, warnings)
    """
    if region is None or region.region == "unknown":
        return None, ["body region unknown: no CT k-factor can be chosen"]
    warnings: list[str] = []
    if region.region == "spine":
        target = _SPINE.get(region.detail, "chest-abdomen-pelvis")
        level = f"{region.detail} " if region.detail else ""
        warnings.append(f"no k-factor for the {level}spine alone: the {target} factor (nearest region) is used")
    elif region.region in _K_REGION:
        target, note = _K_REGION[region.region]
        if note:
            warnings.append(note)
    else:
        return None, [f"no k-factor for body region '{region.region}'"]
    found = k_factor(factor_set, target, age)
    if found is None:
        for alt in [target] + [r for r in ("head-neck", "neck") if r != target and target in ("neck", "head-neck")]:
            for other in FACTOR_SETS:
                if other == factor_set:
                    continue
                found = k_factor(other, alt, age)
                if found is not None:
                    warnings.append(f"factor set {factor_set} has no {target} factor: the {other} {alt} factor "
                                    f"is used")
                    break
            if found is not None:
                break
    if found is not None and found.status == "check":
        warnings.append(f"k-factor {found.value:g} ({found.factor_set}, {found.region}, {found.column_label}) "
                        f"has status 'check': widely quoted, not read in the source")
    return found, warnings


def _choose_source(records: list[DoseRecord]) -> tuple[str, list[DoseRecord]]:
    for source in (SOURCE_RDSR, SOURCE_DOSE_SCREEN):
        reps = [r for r in records if r.source == source and (r.ct_events or r.ct_dlp_total_mgycm is not None)]
        if reps:
            return source, reps
    return SOURCE_IMAGE_HEADER, [r for r in records if r.source == SOURCE_IMAGE_HEADER and r.image is not None]


def _drl_flags(region: RegionResult | None, dlp: float | None, ctdi: float | None,
               scheme: str) -> tuple[list[ReferenceLevelFlag], list[str]]:
    if region is None:
        return [], []
    table = _DRL_EXAM.get(scheme, {})
    exam = table.get(f"{region.region}/{region.detail}") or table.get(region.region)
    row = drl_row(scheme, exam) if exam else None
    if row is None:
        return [], []
    flags, warnings = [], []
    for quantity, value, ref, unit in (("DLP", dlp, row.dlp_mgycm, "mGy·cm"),
                                       ("CTDIvol", ctdi, row.ctdivol_mgy, "mGy")):
        if value is None or ref is None:
            continue
        exceeded = value > ref
        flags.append(ReferenceLevelFlag(scheme, row.exam, quantity, value, ref, exceeded))
        if exceeded:
            shown = f"{value:.0f}" if quantity == "DLP" else f"{value:.1f}"
            warnings.append(f"{quantity} {shown} {unit} above the {scheme} national reference level for "
                            f"{row.exam} ({ref:g} {unit})")
    return flags, warnings


def _typical_part(region: RegionResult | None, source: str, warnings: list[str]) -> EstimatePart | None:
    exam = _TYPICAL_CT.get(region.region) if region else None
    typical = typical_dose(exam) if exam else None
    if typical is None:
        return None
    rng = typical.range_msv or factor_range(typical.msv)
    warnings.append(f"no CT dose figures: typical value for {typical.exam} ({typical.msv:g} mSv) used")
    return EstimatePart("CT", "typical value for exam type", typical.msv, rng, SOURCE_TYPICAL,
                        {"exam_type": typical.exam, "typical_msv": typical.msv, "column": typical.column,
                         "status": typical.status, "measured_source": source}, typical.source)


def _event_region(ev: CTEvent, study: RegionResult | None) -> RegionResult | None:
    """The event's coded region; a localizer coded "entire body" takes the study region."""
    own = code_region(ev.target_region)
    if own is not None and own.region == "whole-body" and ev.acquisition_type == "localizer" and study is not None:
        return study
    return own


def estimate_ct(records: list[DoseRecord], region: RegionResult | None, age: float | None,
                settings: Settings) -> CTResult:
    """Estimate the CT part of a study.

    Parameters
    ----------
    records : list of DoseRecord
        The study's ``kind == "ct"`` records, canonical order.
    region : RegionResult or None
        The study's body region (used for events without a target region).
    age : float or None
        Age at the exam in years.
    settings : Settings
        ``factor_set``, ``drl_set`` and ``default_uncertainty``.

    Returns
    -------
    CTResult
    """
    source, chosen = _choose_source(records)
    warnings: list[str] = []
    from_length = False
    totals_only = False
    if source == SOURCE_IMAGE_HEADER:
        events, geo_warnings = events_from_images([r.image for r in chosen if r.image is not None])
        warnings += geo_warnings
        dlps = [e.dlp_mgycm for e in events if e.dlp_mgycm is not None]
        dlp = math.fsum(sorted(dlps)) if dlps else None
        from_length = dlp is not None
    else:
        merged = merge_ct_reports(chosen)
        events, dlp, totals_only = merged.events, merged.dlp_total_mgycm, merged.totals_only
        warnings += merged.warnings
    ctdis = [e.ctdivol_mgy for e in events if e.ctdivol_mgy is not None and e.acquisition_type != "localizer"]
    ctdi_max = max(ctdis) if ctdis else None
    for ev in events:
        if ev.acquisition_type != "localizer":
            warnings += check_ctdivol(ev.ctdivol_mgy)
        warnings += check_event_dlp(ev.dlp_mgycm)
    result = CTResult(EstimatePart("CT", "k-factor x DLP", None, None, source), dlp, ctdi_max,
                      len(events) if events else None)
    paediatric = age is not None and age < ADULT_AGE
    if dlp is None:
        typical = None
        if paediatric:
            warnings.append("typical CT values are for adults: not used for a child")
        else:
            typical = _typical_part(region, source, warnings)
        if typical is not None:
            result.part = typical
            result.factor_status = typical.inputs.get("status")
        else:
            warnings.append("no DLP for this CT: effective dose unknown")
        result.warnings = warnings
        return result
    if from_length:
        warnings.append(DLP_FROM_LENGTH_WARNING)
    per_event = [(ev, _event_region(ev, region)) for ev in events if ev.dlp_mgycm is not None]
    use_events = not totals_only and any(r is not None for _, r in per_event)
    terms: list[tuple[float, KFactor, str]] = []
    if use_events:
        for ev, ev_region in per_event:
            k, kw = resolve_k(settings.factor_set, ev_region or region, age)
            warnings += kw
            if k is None:
                terms = []
                break
            terms.append((ev.dlp_mgycm, k, (ev_region or region).region))
    else:
        k, kw = resolve_k(settings.factor_set, region, age)
        warnings += kw
        if k is not None:
            terms.append((dlp, k, region.region if region else "unknown"))
    phantom_cm = None
    if not terms and (region is None or region.region == "unknown") and not any(r for _, r in per_event):
        phantom_cm, pw = phantom_region(events, age)
        k = k_factor(settings.factor_set, PHANTOM_REGION[phantom_cm][1], age) if phantom_cm else None
        if k is not None:
            warnings = [w for w in warnings if w != "body region unknown: no CT k-factor can be chosen"] + pw
            terms.append((dlp, k, PHANTOM_REGION[phantom_cm][0]))
        else:
            warnings += pw
    if not terms:
        warnings.append("effective dose unknown: no k-factor for this CT")
        result.warnings = sorted(set(warnings), key=warnings.index)
        return result
    effective = math.fsum(sorted(d * k.value for d, k, _ in terms))
    ks = sorted({(k.factor_set, k.region, k.column, k.value, k.source) for _, k, _ in terms})
    method = "k-factor x DLP"
    if use_events and len({(k.region, k.value) for _, k, _ in terms}) > 1:
        method += " (per-event regions)"
    if from_length:
        method += " (DLP from CTDIvol x imaged length)"
    if phantom_cm:
        method += f" (region from the {phantom_cm} cm CTDI phantom)"
    if paediatric:
        labels = sorted({k.column_label for _, k, _ in terms})
        method += f"; age {age:.1f} y -> {', '.join(labels)} column (nearest lower)"
        if any(ev.phantom_cm == 32 for ev in events):
            warnings.append(PHANTOM_WARNING)
    elif age is None:
        warnings.append("age unknown: adult k-factors used")
    wide = paediatric or phantom_cm is not None
    rng = factor_range(effective) if wide else relative_range(effective, settings.default_uncertainty)
    inputs = {"dlp_mgycm": dlp, "factor_set": settings.factor_set,
              "k_msv_per_mgycm": ks[0][3] if len(ks) == 1 else [k[3] for k in ks],
              "k_region": ks[0][1] if len(ks) == 1 else [k[1] for k in ks],
              "k_age_column": sorted({k.column for _, k, _ in terms}),
              "region": region.region if region else None, "events": len(events)}
    if use_events:
        inputs["per_event"] = [{"dlp_mgycm": d, "region": r, "k_msv_per_mgycm": k.value} for d, k, r in terms]
    if ctdi_max is not None:
        inputs["ctdivol_max_mgy"] = ctdi_max
    citation = "; ".join(sorted({f"{k[0]} {k[1]}: {k[4]}" for k in ks}))
    result.part = EstimatePart("CT", method, effective, rng, source, inputs, citation)
    result.used_k = True
    result.factor_status = weakest_status(k.status for _, k, _ in terms)
    inputs["factor_status"] = result.factor_status
    result.events_detail = _event_details(events, per_event if use_events else None, terms, region, phantom_cm,
                                          wide, settings.default_uncertainty)
    main = {id(e) for e in main_scans([ev for ev, _ in per_event])} if use_events else set()
    scans = [(ev, r or region) for ev, r in per_event if id(ev) in main]
    event_regions = {r.region for _, r in scans if r is not None}
    mixed = len(event_regions) > 1 and not (region and region.region == "chest-abdomen-pelvis"
                                            and event_regions <= {"chest", "cardiac", "abdomen-pelvis",
                                                                  "chest-abdomen-pelvis", "whole-body"})
    if mixed:
        warnings.append("irradiation events cover several body regions: no single reference level applies")
    elif not paediatric:
        result.flags, drl_warnings = _drl_flags(region, dlp, ctdi_max, settings.drl_set)
        warnings += drl_warnings
    result.warnings = sorted(set(warnings), key=warnings.index)
    return result


def _event_details(events: list[CTEvent], per_event, terms, region: RegionResult | None, phantom_cm: int | None,
                   wide: bool, uncertainty: float) -> list[EventEstimate]:
    """Every CT event with its region, k-factor and share of the estimate."""
    own = {id(ev): r for ev, r in per_event} if per_event is not None else {}
    by_event = {}
    if per_event is not None:
        with_dlp = [ev for ev, _ in per_event]
        by_event = {id(ev): term for ev, term in zip(with_dlp, terms)}
    out = []
    for ev in events:
        term = by_event.get(id(ev)) or (terms[0] if per_event is None and len(terms) == 1 else None)
        mine = own.get(id(ev)) if per_event is not None else None
        if phantom_cm:
            where, name = "phantom", PHANTOM_REGION[phantom_cm][0]
        elif mine is not None and code_region(ev.target_region) is not None:
            where, name = "target-region-code", mine.region
        elif region is not None:
            where, name = _FROM_BASIS.get(region.basis, "description"), region.region
        else:
            where, name = "unknown", None
        detail = EventEstimate(ev.event_uid, _CT_KINDS.get(ev.acquisition_type or "", "CT"), name, where,
                               ct_dlp_mgycm=ev.dlp_mgycm, ct_ctdivol_mgy=ev.ctdivol_mgy)
        if term is not None:
            k = term[1]
            detail.region = term[2] if not phantom_cm else name
            detail.factor, detail.factor_unit, detail.factor_status = k.value, K_UNIT, k.status
            detail.factor_source = f"{k.factor_set} {k.region} {k.column_label}: {k.source}"
            if ev.dlp_mgycm is not None:
                e = ev.dlp_mgycm * k.value
                detail.effective_dose_msv = e
                detail.effective_dose_range_msv = factor_range(e) if wide else relative_range(e, uncertainty)
        out.append(detail)
    return out


def ct_events_regions(events: list[CTEvent]) -> list[RegionResult]:
    """Regions named by the events' target region codes (unknown codes skipped)."""
    return [r for r in (code_region(e.target_region) for e in events) if r is not None]
