"""Effective dose of one study from its stored dose records.

:func:`estimate_study` is deterministic and independent of the order of the
records; a record repeated (same SOP instance) counts once. Each modality
part (CT, NM/PT, MG, DX, RF, XA) takes its figures from one source only:
RDSR first, then dose screen, then image headers. Parts are summed (PET/CT:
CT + PET, ranges summed); when an ionising part has no estimate, the study
total is unknown (null), never zero.
"""
from __future__ import annotations

import math

from ..config import Settings
from .dedupe import canonical_records
from .estimate_ct import estimate_ct, main_scans
from .estimate_nm import estimate_nm
from .estimate_projection import estimate_dap_part, estimate_mg, group_of
from .projection_regions import fallback_region
from ..dicom.modalities import DOCUMENTS, IONISING, NON_IONISING, NUCLEAR, normalised
from .plausibility import check_effective
from .records import (SOURCE_DOSE_SCREEN, SOURCE_IMAGE_HEADER, SOURCE_RDSR, SOURCE_RRDSR, SOURCE_TYPICAL,
                      DoseRecord)
from .regions import RegionResult, body_part_region, code_region, combine_regions, first_text_region
from .study import DoseFigures, EstimatePart, EventEstimate, StudyDoseInput, StudyEstimate, weakest_status
from .uncertainty import sum_ranges

SOURCE_ORDER = (SOURCE_RDSR, SOURCE_RRDSR, SOURCE_DOSE_SCREEN, SOURCE_IMAGE_HEADER, SOURCE_TYPICAL)
PART_ORDER = ("CT", "PT", "NM", "MG", "DX", "RF", "XA")


def _modalities(inp: StudyDoseInput) -> set[str]:
    return normalised(inp.modalities)


def is_ionising(modalities: set[str], records: list[DoseRecord]) -> bool | None:
    """True for an exam with X-rays or radionuclides; False when the
    modalities are only non-ionising ones and documents; None when only
    documents or unknown modalities are known."""
    if modalities & IONISING or records:
        return True
    if modalities & NON_IONISING and modalities <= (NON_IONISING | DOCUMENTS):
        return False
    return None


def _texts(inp: StudyDoseInput, records: list[DoseRecord]) -> list[str]:
    texts = [inp.description]
    texts += [s.description for s in inp.series] + [s.protocol_name for s in inp.series]
    texts += [rec.procedure_description for rec in records]
    for rec in records:
        if rec.image is not None:
            texts += [rec.image.series_description, rec.image.protocol_name]
        texts += [e.protocol for e in rec.ct_events]
    return list(dict.fromkeys(t.strip() for t in texts if t and t.strip()))


def study_region(inp: StudyDoseInput, records: list[DoseRecord]) -> RegionResult | None:
    """Body region: anatomy codes, then BodyPartExamined, then descriptions.

    Parameters
    ----------
    inp : StudyDoseInput
    records : list of DoseRecord
        Canonical records of the study.

    Returns
    -------
    RegionResult or None
        ``basis == "text"`` when guessed from a description (its
        ``warning`` says so).
    """
    ct_events = [e for r in records for e in r.ct_events]
    scans = main_scans(ct_events)
    coded = [code_region(e.target_region) for e in scans]  # a localizer's "entire body" does not decide
    coded += [code_region(e.target_region) for r in records for e in r.projection_events]
    # a CT report's own list repeats its events' regions, minor ones included: the events decide
    coded += [code_region(c) for r in records if not r.ct_events for c in r.target_region_codes]
    found = combine_regions([c for c in coded if c is not None and c.region != "unknown"])
    if found is not None:
        return found
    parts = [s.body_part for s in inp.series] + [r.image.body_part for r in records if r.image is not None]
    found = combine_regions([b for b in (body_part_region(p) for p in sorted({p for p in parts if p})) if b])
    if found is not None:
        return found
    return first_text_region(_texts(inp, records))


def _non_ionising() -> StudyEstimate:
    return StudyEstimate(ionising=False, body_region=None, effective_dose_msv=0.0,
                         effective_dose_range_msv=(0.0, 0.0), method="non-ionising")


def estimate_study(inp: StudyDoseInput, settings: Settings) -> StudyEstimate:
    """Estimate a study's effective dose from its stored dose records.

    Parameters
    ----------
    inp : StudyDoseInput
        Modalities, descriptions, age and dose records of one study.
    settings : Settings
        Factor set (``AAPM-96`` or ``ICRP-103-NCI``), DRL set and default
        relative uncertainty.

    Returns
    -------
    StudyEstimate
        The contract's per-study fields plus parts, reference level flags
        and the reported effective dose (RRDSR) when given.
    """
    records = canonical_records(inp.records)
    modalities = _modalities(inp)
    ionising = is_ionising(modalities, records)
    region = study_region(inp, records)
    if region is None and "MG" in modalities:
        region = RegionResult("breast", "", "modality", "MG")
    if ionising is False:
        est = _non_ionising()
        est.body_region = region.region if region else None
        return est
    est = StudyEstimate(ionising=ionising, body_region=region.region if region else None)
    if ionising is None:
        est.warnings.append("no imaging modality known for this study: effective dose unknown")
        return est
    warnings: list[str] = []
    for rec in records:
        warnings += rec.warnings
    if region is not None and region.warning:
        warnings.append(region.warning)
    parts: list[EstimatePart] = []
    measured: list[tuple[EstimatePart, bool]] = []  # (part, the data gave dose figures for it)
    dose = DoseFigures()
    texts = _texts(inp, records)
    used_k = False
    events: list[EventEstimate] = []  # per-event breakdown, CT then NM then projection
    statuses: list[str | None] = []  # status of every factor used
    nm_events: list[EventEstimate] = []

    ct_records = [r for r in records if r.kind == "ct"]
    if ct_records or "CT" in modalities:
        ct = estimate_ct(ct_records, region, inp.age_years, settings)
        parts.append(ct.part)
        measured.append((ct.part, ct.dlp_mgycm is not None or ct.ctdivol_max_mgy is not None))
        warnings += ct.warnings
        dose.ct_dlp_mgycm, dose.ct_ctdivol_mgy_max, dose.ct_irradiation_events = \
            ct.dlp_mgycm, ct.ctdivol_max_mgy, ct.events
        est.reference_levels = ct.flags
        used_k = ct.used_k

    nm_records = [r for r in records if r.kind == "nm"]
    if nm_records or modalities & NUCLEAR:
        nm = estimate_nm(nm_records, modalities, settings.default_uncertainty)
        parts.append(nm.part)
        measured.append((nm.part, nm.activity_mbq is not None))
        nm_inputs = nm.part.inputs.get("administrations", [])
        nm_events = [EventEstimate(None, "administration", None, "unknown", factor=a["msv_per_mbq"],
                                   factor_unit="mSv per MBq", factor_status=a.get("status"),
                                   factor_source=f"{a['radiopharmaceutical']}: {a.get('source', '')}",
                                   effective_dose_msv=a["activity_mbq"] * a["msv_per_mbq"],
                                   administered_activity_mbq=a["activity_mbq"]) for a in nm_inputs]
        if nm.part.effective_dose_msv is not None:
            statuses += [e.factor_status for e in nm_events]
        warnings += nm.warnings
        dose.administered_activity_mbq, dose.radiopharmaceutical = nm.activity_mbq, nm.radiopharmaceutical
        est.reported_effective_dose_msv = nm.reported_msv

    groups: dict[str, list[DoseRecord]] = {}
    for rec in records:
        if rec.kind == "projection":
            groups.setdefault(group_of(rec, modalities), []).append(rec)
    for mod in sorted(modalities):
        group = {"MG": "MG", "DX": "DX", "CR": "DX", "PX": "DX", "RF": "RF", "XA": "XA"}.get(mod)
        if group:
            groups.setdefault(group, [])
    daps: list[float] = []
    if ct_records or "CT" in modalities:
        events += ct.events_detail
        statuses.append(ct.factor_status)
    if nm_records or modalities & NUCLEAR:
        events += nm_events
    # Anatomic Region Sequence of the images; a report's anatomy codes that are not its events' own
    anatomy = [c for r in records if r.image is not None for c in r.target_region_codes]
    anatomy += [c for r in records if r.kind == "projection" and r.image is None for c in r.target_region_codes
                if all(c != e.target_region for e in r.projection_events)]
    fallback = fallback_region(
        anatomy,
        sorted({p for p in [s.body_part for s in inp.series] + [r.image.body_part for r in records
                                                                if r.image is not None] if p}),
        texts)
    for group in sorted(groups, key=PART_ORDER.index):
        if group == "MG":
            res = estimate_mg(groups[group], settings.default_uncertainty)
            dose.agd_mgy = res.agd_mgy
            if res.part.effective_dose_msv is not None:
                statuses.append(res.part.inputs.get("status", "verified"))
            events += res.events
        else:
            res = estimate_dap_part(group, groups[group], region, texts, settings.default_uncertainty,
                                    adult=inp.age_years is None or inp.age_years >= 18, age=inp.age_years,
                                    fallback=fallback)
            events += res.events
            statuses.append(res.factor_status)
        if res.dap_gycm2 is not None:
            daps.append(res.dap_gycm2)
        parts.append(res.part)
        measured.append((res.part, res.dap_gycm2 is not None or res.agd_mgy is not None))
        warnings += res.warnings
    if daps:
        dose.dap_gycm2 = math.fsum(sorted(daps))
    if not parts:
        warnings.append("no dose data for this ionising study: effective dose unknown")

    for part in parts:
        if part.effective_dose_msv is None:
            part.method = "not estimated"
    est.dose = dose
    est.parts = parts
    est.events = events
    est.body_region = _projection_body_region(est.body_region, parts, events)
    est.factor_status = weakest_status(statuses)
    est.factor_set = _factor_set_label(parts, settings.factor_set if used_k else None)
    used_sources = {p.source for p in parts if p.effective_dose_msv is not None}
    for part, has_figures in measured:
        if has_figures:
            used_sources.add(part.inputs.get("measured_source", part.source) if part.source == SOURCE_TYPICAL
                             else part.source)
    est.sources = [s for s in SOURCE_ORDER if s in used_sources]
    known = [p for p in parts if p.effective_dose_msv is not None]
    if parts and len(known) == len(parts):
        est.effective_dose_msv = math.fsum(sorted(p.effective_dose_msv for p in known))
        est.effective_dose_range_msv = sum_ranges([p.range_msv or (p.effective_dose_msv, p.effective_dose_msv)
                                                   for p in known])
    elif known:
        missing = ", ".join(p.modality for p in parts if p.effective_dose_msv is None)
        warnings.append(f"effective dose unknown: no estimate for the {missing} part "
                        f"(the other parts are listed in the estimate's parts)")
    est.method = parts[0].method if len(parts) == 1 else " + ".join(f"{p.modality}: {p.method}" for p in parts) \
        if parts else None
    warnings += check_effective(est.effective_dose_msv)
    est.warnings = list(dict.fromkeys(warnings))
    return est


# DAP-factor region of projection events -> study region vocabulary
_EVENT_TO_STUDY = {"head": "head", "neck": "neck", "chest": "chest", "heart": "cardiac", "abdomen": "abdomen-pelvis",
                   "pelvis": "abdomen-pelvis", "cervical_spine": "spine", "thoracic_spine": "spine",
                   "lumbar_spine": "spine", "spine": "spine", "upper_limb": "extremity", "lower_limb": "extremity",
                   "limb": "extremity", "breast": "breast", "trunk": "chest-abdomen-pelvis"}


def _projection_body_region(current: str | None, parts: list[EstimatePart], events: list[EventEstimate]) -> str | None:
    """A radiography/fluoroscopy study's region from its events when the study's own says less.

    Only for studies whose parts are all DX/RF/XA: events that all name one
    region fill an unknown region, and a cath-lab exam coded chest becomes
    cardiac.
    """
    if not parts or any(p.modality not in ("DX", "RF", "XA") for p in parts):
        return current
    named = {_EVENT_TO_STUDY.get(e.region or "") for e in events if e.region}
    if len(named) != 1 or None in named:
        return current
    (found,) = named
    if current is None or (current == "chest" and found == "cardiac"):
        return found
    return current


# Every estimate names the set of factors behind it (the citations are in the parts).
_METHOD_SETS = (
    ("0.12 x mean glandular dose", "ICRP-103-breast-wT"),
    ("activity x coefficient", "NM-coefficients"),
    ("DAP x coefficient", "DAP-coefficients"),
    ("typical value", "typical-values"),
)


def _factor_set_label(parts, ct_factor_set: str | None) -> str | None:
    labels: list[str] = []
    for part in parts:
        if part.effective_dose_msv is None or not part.method:
            continue
        if part.method.startswith("k-factor") and ct_factor_set:
            labels.append(ct_factor_set)
            continue
        for prefix, label in _METHOD_SETS:
            if part.method.startswith(prefix):
                labels.append(label)
    return "+".join(dict.fromkeys(labels)) or ct_factor_set
