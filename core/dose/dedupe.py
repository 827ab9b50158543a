"""Count each irradiation once.

- Dose reports of one study that repeat events (cumulative reports, e.g.
  Siemens "continued") keep the event from the newest report; split reports
  (disjoint events) are merged. Events are keyed by Irradiation Event UID,
  or by (datetime, CTDIvol, DLP) when a report gives none.
- Projection accumulations: the newest report per plane.
- Mammography images: a For Processing and a For Presentation image of one
  exposure count once.
- Radiopharmaceutical administrations: once per administration, however
  many series carry them.

Everything here is independent of the order of its input.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, TypeVar

from ..dicom.dates import to_datetime
from .records import Accumulation, Administration, CTEvent, DoseRecord, ImageDose, ProjectionEvent

T = TypeVar("T")
MG_TIME_TOLERANCE_S = 10.0


def _content_key(rec: DoseRecord) -> str:
    return json.dumps(rec.to_dict(), sort_keys=True, default=str)


def record_sort_key(rec: DoseRecord) -> tuple[str, str, str, str]:
    """Sort key of a record (ties are broken by content in :func:`canonical_records`)."""
    return (rec.source, rec.kind, rec.content_datetime or "", rec.sop_instance_uid)


def canonical_records(records: Iterable[DoseRecord]) -> list[DoseRecord]:
    """Records sorted canonically, each DICOM object (SOP Instance UID) once.

    Parameters
    ----------
    records : iterable of DoseRecord

    Returns
    -------
    list of DoseRecord
        Sorted by (source, kind, content datetime, SOP Instance UID), ties
        by content; identical duplicates and repeated SOP instances removed
        (the first in that order is kept). The result does not depend on
        the input order.
    """
    groups: dict[tuple[str, str, str, str], list[DoseRecord]] = {}
    for rec in records:
        groups.setdefault(record_sort_key(rec), []).append(rec)
    ordered: list[DoseRecord] = []
    for key in sorted(groups):
        group = groups[key]
        ordered.extend(group if len(group) == 1 else sorted(group, key=_content_key))
    out: list[DoseRecord] = []
    seen: set[str] = set()
    for rec in ordered:
        ident = rec.sop_instance_uid or _content_key(rec)
        if ident in seen:
            continue
        seen.add(ident)
        out.append(rec)
    return out


def _newest_first(reports: list[DoseRecord]) -> list[DoseRecord]:
    """Reports newest first (content datetime; ties by SOP UID, then content)."""
    def key(rec: DoseRecord) -> tuple[str, str, str]:
        dt = to_datetime(rec.content_datetime)
        return (dt.isoformat() if dt else "", rec.sop_instance_uid,
                json.dumps(rec.to_dict(), sort_keys=True, default=str))
    return sorted(reports, key=key, reverse=True)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def union_events(reports: list[DoseRecord], get_events: Callable[[DoseRecord], list[T]],
                 fallback_key: Callable[[T], tuple[Any, ...]]) -> list[T]:
    """Union of events across reports, each irradiation once.

    Events with a UID: the copy in the newest report wins. Events without:
    keyed by ``fallback_key``; an event repeated n times inside one report
    counts n times, and the union keeps the largest such count.
    """
    by_uid: dict[str, T] = {}
    counted: dict[tuple[Any, ...], list[T]] = {}
    for rep in _newest_first(reports):
        local: dict[tuple[Any, ...], list[T]] = {}
        for ev in get_events(rep):
            uid = getattr(ev, "event_uid", None)
            if uid:
                by_uid.setdefault(uid, ev)
            else:
                local.setdefault(fallback_key(ev), []).append(ev)
        for key, evs in local.items():
            if len(evs) > len(counted.get(key, [])):
                counted[key] = evs
    events = [by_uid[u] for u in sorted(by_uid)]
    for key in sorted(counted, key=lambda k: json.dumps(k, default=str)):
        events.extend(counted[key])
    return events


def ct_event_key(ev: CTEvent) -> tuple[Any, ...]:
    return (ev.datetime or "", _r(ev.ctdivol_mgy), _r(ev.dlp_mgycm), ev.protocol or "")


def projection_event_key(ev: ProjectionEvent) -> tuple[Any, ...]:
    return (ev.datetime or "", _r(ev.dap_gycm2), _r(ev.agd_mgy), ev.laterality or "", ev.view or "",
            ev.plane or "")


@dataclass
class CTMerged:
    """The deduplicated CT events of a study's CT dose reports."""

    events: list[CTEvent] = field(default_factory=list)
    dlp_total_mgycm: float | None = None
    totals_only: bool = False  # the reports gave only an accumulated DLP
    warnings: list[str] = field(default_factory=list)


def merge_ct_reports(reports: list[DoseRecord]) -> CTMerged:
    """Merge CT dose reports (cumulative or split) counting each event once.

    Parameters
    ----------
    reports : list of DoseRecord
        ``kind == "ct"`` records of one source (RDSR or dose screen).

    Returns
    -------
    CTMerged
        Total DLP = sum of the deduplicated events' DLP; when no report lists
        events with DLP, the newest accumulated total.
    """
    merged = CTMerged()
    merged.events = union_events(reports, lambda r: r.ct_events, ct_event_key)
    dlps = [e.dlp_mgycm for e in merged.events if e.dlp_mgycm is not None]
    for rep in _newest_first(reports):
        own = [e.dlp_mgycm for e in rep.ct_events if e.dlp_mgycm is not None]
        total = rep.ct_dlp_total_mgycm
        if own and total is not None and abs(math.fsum(sorted(own)) - total) > 0.05 * max(total, 1.0):
            merged.warnings.append(f"a CT dose report's total DLP ({total:g} mGy·cm) differs from the sum of its "
                                   f"events ({math.fsum(sorted(own)):g} mGy·cm); the events are used")
    if dlps:
        merged.dlp_total_mgycm = math.fsum(sorted(dlps))
        missing = sum(1 for e in merged.events if e.dlp_mgycm is None and e.acquisition_type != "localizer")
        if missing:
            merged.warnings.append(f"{missing} CT irradiation event(s) without DLP not counted in the total")
        return merged
    totals = [r for r in _newest_first(reports) if r.ct_dlp_total_mgycm is not None]
    if totals:
        merged.dlp_total_mgycm = totals[0].ct_dlp_total_mgycm
        merged.totals_only = True
        if len({round(r.ct_dlp_total_mgycm, 3) for r in totals}) > 1:
            merged.warnings.append("several CT dose reports give only a total DLP; the newest is used")
    return merged


@dataclass
class ProjectionMerged:
    events: list[ProjectionEvent] = field(default_factory=list)
    accumulations: list[Accumulation] = field(default_factory=list)  # newest per plane
    dap_total_gycm2: float | None = None
    agd_total_mgy: float | None = None
    agd_by_laterality_mgy: dict[str, float] = field(default_factory=dict)


def merge_projection_reports(reports: list[DoseRecord]) -> ProjectionMerged:
    """Merge projection dose reports: events by UID, accumulations newest per plane.

    The DAP total is the newest accumulation of each plane when the newest
    report holds every event (one report, or cumulative reports); for split
    reports it is the sum of the distinct events. AGD totals come from the
    events when every event carries them, otherwise from the accumulations.

    Parameters
    ----------
    reports : list of DoseRecord
        ``kind == "projection"`` reports of one source.

    Returns
    -------
    ProjectionMerged
    """
    out = ProjectionMerged()
    out.events = union_events(reports, lambda r: r.projection_events, projection_event_key)
    planes: dict[str, Accumulation] = {}
    for rep in _newest_first(reports):
        for acc in rep.accumulations:
            planes.setdefault(acc.plane or "", acc)
    out.accumulations = [planes[p] for p in sorted(planes)]
    daps = [e.dap_gycm2 for e in out.events if e.dap_gycm2 is not None]
    acc_daps = [a.dap_total_gycm2 for a in out.accumulations if a.dap_total_gycm2 is not None]
    if not acc_daps:
        parts = [math.fsum(x for x in (a.fluoro_dap_total_gycm2, a.acquisition_dap_total_gycm2) if x is not None)
                 for a in out.accumulations
                 if a.fluoro_dap_total_gycm2 is not None or a.acquisition_dap_total_gycm2 is not None]
        acc_daps = parts
    complete = len(daps) == len(out.events)
    newest = _newest_first(reports)[0] if reports else None
    newest_covers_all = newest is not None and (
        {projection_event_key(e) for e in out.events} <= {projection_event_key(e) for e in newest.projection_events})
    if acc_daps and (newest_covers_all or not daps):
        # one report, or a cumulative series whose newest report holds every event: the device's own
        # accumulated total (events are often rounded: RF-RDSR-GE gives 2.4126 vs 2.4125 summed)
        out.dap_total_gycm2 = math.fsum(sorted(acc_daps))
    elif daps and (complete or not acc_daps):  # split reports: each accumulation covers only its own part
        out.dap_total_gycm2 = math.fsum(sorted(daps))
    elif acc_daps:  # some events without DAP: the accumulated total is more complete
        out.dap_total_gycm2 = math.fsum(sorted(acc_daps))
    by_lat: dict[str, list[float]] = {}
    for e in out.events:
        if e.agd_mgy is not None:
            by_lat.setdefault((e.laterality or "").upper(), []).append(e.agd_mgy)
    if by_lat:
        out.agd_by_laterality_mgy = {k: math.fsum(sorted(v)) for k, v in sorted(by_lat.items())}
    else:
        for acc in out.accumulations:
            for lat, agd in sorted(acc.agd_by_laterality_mgy.items()):
                if agd is not None:
                    out.agd_by_laterality_mgy[lat.upper()] = out.agd_by_laterality_mgy.get(lat.upper(), 0.0) + agd
    if out.agd_by_laterality_mgy:
        out.agd_total_mgy = math.fsum(sorted(out.agd_by_laterality_mgy.values()))
    return out


def _same_exposure(a: ImageDose, b: ImageDose, value: Callable[[ImageDose], float | None]) -> bool:
    if (a.laterality or "") != (b.laterality or ""):
        return False
    if a.acquisition_datetime and a.acquisition_datetime == b.acquisition_datetime and \
            (a.view or "") == (b.view or ""):
        return True
    va, vb = value(a), value(b)
    if va is None or vb is None or abs(va - vb) > 1e-6 * max(abs(va), abs(vb), 1e-12):
        return False
    ta, tb = to_datetime(a.acquisition_datetime), to_datetime(b.acquisition_datetime)
    if ta is not None and tb is not None:
        return abs((ta - tb).total_seconds()) <= MG_TIME_TOLERANCE_S
    return (a.view or "") == (b.view or "")


def distinct_exposures(images: list[ImageDose], value: Callable[[ImageDose], float | None]) -> list[ImageDose]:
    """One image per exposure (processing/presentation copies merged).

    Two images are one exposure when they share laterality, view and
    acquisition datetime, or have the same dose ``value`` and laterality and
    were taken within 10 s (same view when no time is given). The image
    kept is the one that carries the dose value (For Presentation first).
    """
    def pref(img: ImageDose) -> tuple[int, int, str]:
        presentation = 0 if (img.presentation_intent or "").upper().startswith("FOR PRESENTATION") else 1
        return (0 if value(img) is not None else 1, presentation,
                json.dumps(img.__dict__, sort_keys=True, default=str))
    groups: list[list[ImageDose]] = []
    for img in sorted(images, key=pref):
        for group in groups:
            if any(_same_exposure(img, other, value) for other in group):
                group.append(img)
                break
        else:
            groups.append([img])
    return [g[0] for g in groups]


def admin_key(adm: Administration, name: str | None) -> tuple[Any, ...]:
    """Identity of an administration: start datetime, activity, radiopharmaceutical."""
    dt = to_datetime(adm.start_datetime)
    activity = None if adm.activity_mbq is None else round(adm.activity_mbq, 1)
    return (dt.isoformat() if dt else (adm.start_datetime or ""), activity, name or "")


def distinct_administrations(admins: list[Administration],
                             name_of: Callable[[Administration], str | None]) -> list[Administration]:
    """Each administration once, keyed by (start datetime, activity, radiopharmaceutical).

    Parameters
    ----------
    admins : list of Administration
        Administrations of one source (RRDSR or image headers), any order.
    name_of : callable
        Maps an administration to the canonical radiopharmaceutical name
        (so "FDG" and "Fludeoxyglucose" are one).

    Returns
    -------
    list of Administration
        The copy with the most information is kept for each key.
    """
    best: dict[tuple[Any, ...], Administration] = {}
    for adm in admins:
        key = admin_key(adm, name_of(adm))
        current = best.get(key)
        score = sum(v is not None for v in adm.__dict__.values())
        if current is None:
            best[key] = adm
            continue
        cur_score = sum(v is not None for v in current.__dict__.values())
        if (score, json.dumps(adm.__dict__, default=str, sort_keys=True)) > \
                (cur_score, json.dumps(current.__dict__, default=str, sort_keys=True)):
            best[key] = adm
    return [best[k] for k in sorted(best, key=lambda k: json.dumps(k, default=str))]
