"""Effective dose of radiography and fluoroscopy, one irradiation event at a time.

E = sum over events of DAP x factor(region of the event, context, age), each
factor from ``dap_coefficients.csv`` with its status and range. A region
still unknown uses the ``unknown-trunk`` row (flagged "region unknown"); limb,
head and neck radiography have no factor and keep the typical value for
their exam type, shared over their events.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .factors import ADULT_AGE, DapFactor, dap_factors, typical_dose
from .projection_regions import FROM_TEXT, FROM_UNKNOWN, Context, ProjectionRegion
from .regions import normalise_text
from .study import EventEstimate

FACTOR_UNIT = "mSv per Gy.cm2"
TYPICAL_UNIT = "mSv per exam (typical value, shared over its events)"
UNKNOWN_ROW = "unknown-trunk"
_CONTEXTS = {
    "cardiology": ("cardiology", "fluoroscopy", "interventional"),
    "fluoroscopy": ("fluoroscopy", "interventional"),
    "interventional": ("interventional", "fluoroscopy"),
    "radiography": ("radiography",),
}
# neighbours used before the unknown-trunk row (each is a row of its own when the file has it)
_ALIAS = {"cervical_spine": "neck"}
# radiography without a factor: typical value per exam type
_TYPICAL_DX = {"head": "radiography skull", "neck": "radiography cervical spine",
               "cervical_spine": "radiography cervical spine"}
_KNEE = r" (?:KNEES?|KNIE|KNA|KNAE|KNE|RODILLAS?|GENOU|GINOCCHIO|JOELHO|POLVI\w*|KOLAN\w*|GENOLL) "
_SHOULDER = r" (?:SHOULDERS?|SCHOUDER|AXEL|SKULDER|OLKAPAA|RAMIE|HOMBROS?|SCHULTER|EPAULE|SPALLA|OMBRO) "


@dataclass
class RawEvent:
    """An event as the data gives it (RDSR event, image, or an accumulated total)."""

    uid: str | None
    kind: str
    region: ProjectionRegion
    dap_gycm2: float | None = None
    dose_rp_gy: float | None = None
    counted: bool = True  # False: listed only (its DAP is inside an accumulated total counted instead)


@dataclass
class EventsResult:
    events: list[EventEstimate] = field(default_factory=list)
    effective_dose_msv: float | None = None
    range_msv: tuple[float, float] | None = None
    warnings: list[str] = field(default_factory=list)
    typical_exams: list[str] = field(default_factory=list)


def _rows(region: str, context: str) -> list[DapFactor]:
    return [f for f in dap_factors() if f.region == region and f.context == context]


def _by_age(rows: list[DapFactor], age: float | None, variant: str) -> tuple[DapFactor | None, str | None]:
    """The row for the age (nearest lower paediatric group; adult from 18 y) and a warning."""
    adult = [r for r in rows if r.age_lower is None]
    children = sorted((r for r in rows if r.age_lower is not None), key=lambda r: r.age_lower)
    if age is None or age >= ADULT_AGE:
        wanted = f"adult-{variant}" if variant else "adult"
        row = next((r for r in adult if r.age_group == wanted), None) or next(
            (r for r in adult if r.age_group == "adult"), None)
        return row, None
    if children:
        lower = [r for r in children if r.age_lower <= age]
        if lower:
            return lower[-1], None
        return children[0], (f"no {children[0].region} {children[0].context} factor for a child of {age:g} y: the "
                             f"{children[0].age_group} factor is used and probably underestimates")
    row = next((r for r in adult if r.age_group == "adult"), None)
    if row is None:
        return None, None
    return row, (f"adult {row.region} {row.context} factor used for a child of {age:g} y: it underestimates "
                 f"(children's factors are higher); the range's upper end is doubled")


def choose_factor(region: str | None, context: Context, age: float | None
                  ) -> tuple[DapFactor | None, list[str], bool]:
    """The factor row for an event's region, the warnings, and whether it is the unknown-trunk row.

    Parameters
    ----------
    region : str or None
        DAP-factor region (:mod:`core.dose.projection_regions`); None when unknown.
    context : Context
        Radiography, fluoroscopy, interventional or cardiology (+ PCI/urology variant).
    age : float or None
        Age in years (None: adult).

    Returns
    -------
    (DapFactor or None, warnings, unknown)
        None for radiography of a region without a factor (limbs, head,
        neck): the typical value for the exam type applies.
    """
    warnings: list[str] = []
    if region is not None and region != "trunk":
        contexts = _CONTEXTS[context.name]
        if region == "heart" and context.name != "radiography":
            contexts = _CONTEXTS["cardiology"]
        for name in (region, _ALIAS.get(region)):
            for ctx in contexts:
                rows = _rows(name, ctx) if name else []
                if rows:
                    row, note = _by_age(rows, age, context.variant)
                    if row is not None:
                        if note:
                            warnings.append(note)
                        return row, warnings, False
        if context.name == "radiography" and (region in _TYPICAL_DX or region.endswith("limb")):
            return None, warnings, False
        warnings.append(f"no DAP factor for {region.replace('_', ' ')} ({context.name}): the unknown-trunk factor "
                        f"is used")
    row = next((f for f in dap_factors() if f.region == UNKNOWN_ROW), None)
    if age is not None and age < ADULT_AGE and row is not None:
        warnings.append(f"adult unknown-trunk factor used for a child of {age:g} y: it underestimates")
    return row, warnings, region is None


def _range(row: DapFactor, age: float | None) -> tuple[float, float]:
    lo, hi = row.range_msv_per_gycm2
    if age is not None and age < ADULT_AGE and row.age_lower is None:
        hi *= 2.0
    return lo, hi


def _typical_exam(region: str, text: str) -> str:
    norm = normalise_text(text)
    if region in _TYPICAL_DX:
        return _TYPICAL_DX[region]
    if re.search(_KNEE, norm):
        return "radiography knee"
    if re.search(_SHOULDER, norm):
        return "radiography shoulder"
    return "radiography other extremities"


def _source(row: DapFactor, region: str | None, context: Context) -> str:
    used = f"{row.region} {row.context} {row.age_group}"
    asked = f"{region or 'unknown'} {context.name}"
    return f"{used}: {row.source}" + ("" if row.region == region and row.context == context.name
                                       else f" (for {asked})")


def estimate_events(raw: list[RawEvent], context: Context, age: float | None) -> EventsResult:
    """Per-event effective doses, their sum and summed range.

    Parameters
    ----------
    raw : list of RawEvent
        Every event; those without a DAP or not ``counted`` are listed only.
    context : Context
        The exam's context.
    age : float or None
        Age in years (None: adult).

    Returns
    -------
    EventsResult
        ``effective_dose_msv`` is None when any event has no estimate.
    """
    out = EventsResult()
    counted: list[EventEstimate] = []
    unknown = 0
    typical_groups: dict[str, list[EventEstimate]] = {}
    for ev in raw:
        region = ev.region
        if context.name == "cardiology" and region.region in (None, "chest", "trunk"):
            if region.region is not None:
                out.warnings.append(f"cardiology exam: events coded {region.region} use the heart factor")
            region = ProjectionRegion("heart", region.region_from if region.region else FROM_TEXT, region.text)
        est = EventEstimate(ev.uid, ev.kind, region.region, region.region_from, dap_gycm2=ev.dap_gycm2,
                            dose_rp_gy=ev.dose_rp_gy)
        out.events.append(est)
        if ev.dap_gycm2 is None or not ev.counted:
            continue
        counted.append(est)
        row, warnings, is_unknown = choose_factor(region.region, context, age)
        out.warnings += warnings
        if row is None:
            typical_groups.setdefault(_typical_exam(region.region or "", region.text), []).append(est)
            continue
        unknown += is_unknown
        lo, hi = _range(row, age)
        est.factor, est.factor_unit, est.factor_status = row.value, FACTOR_UNIT, row.status
        est.factor_source = _source(row, region.region, context)
        est.effective_dose_msv = ev.dap_gycm2 * row.value
        est.effective_dose_range_msv = (ev.dap_gycm2 * lo, ev.dap_gycm2 * hi)
        if is_unknown:
            est.region, est.region_from = None, FROM_UNKNOWN
    for exam, group in typical_groups.items():
        typical = typical_dose(exam) if age is None or age >= ADULT_AGE else None
        if typical is None:
            out.warnings.append(f"{exam}: no DAP factor, and the typical value is for adults: not used for a "
                                f"child; effective dose unknown" if age is not None and age < ADULT_AGE else
                                f"{exam}: no DAP factor and no typical value: effective dose unknown")
            continue
        out.typical_exams.append(exam)
        rng = typical.range_msv or (typical.msv / 2.0, typical.msv * 2.0)
        n = len(group)
        for est in group:
            est.factor, est.factor_unit, est.factor_status = typical.msv, TYPICAL_UNIT, typical.status
            est.factor_source = f"typical value for {exam}: {typical.source}"
            est.effective_dose_msv = typical.msv / n
            est.effective_dose_range_msv = (rng[0] / n, rng[1] / n)
        out.warnings.append(f"{exam}: no DAP factor for this region, typical value {typical.msv:g} mSv "
                            f"(status {typical.status}) used for its {n} event{'s' if n > 1 else ''}")
    if unknown:
        row = next(f for f in dap_factors() if f.region == UNKNOWN_ROW)
        lo, hi = row.range_msv_per_gycm2
        out.warnings.append(f"region unknown for {unknown} of {len(counted)} events: the unknown-trunk factor "
                            f"{row.value:g} mSv/Gy·cm² (range {lo:g}-{hi:g}) is used")
    with_dap = counted
    if with_dap and all(e.effective_dose_msv is not None for e in with_dap):
        out.effective_dose_msv = math.fsum(sorted(e.effective_dose_msv for e in with_dap))
        out.range_msv = (math.fsum(sorted(e.effective_dose_range_msv[0] for e in with_dap)),
                         math.fsum(sorted(e.effective_dose_range_msv[1] for e in with_dap)))
    out.warnings = list(dict.fromkeys(out.warnings))
    return out
