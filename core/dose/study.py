"""Input and output of the per-study dose estimate (plain dataclasses).

:func:`core.dose.estimate.estimate_study` maps a :class:`StudyDoseInput`
(everything stored about a study, no file access) to a :class:`StudyEstimate`
whose fields are the contract's per-study export fields.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from .records import DoseRecord


@dataclass
class SeriesText:
    """Anatomy-bearing text and codes of one series (for region classification)."""

    series_uid: str
    modality: str
    description: str | None = None
    body_part: str | None = None
    protocol_name: str | None = None
    image_count: int = 0


@dataclass
class StudyDoseInput:
    study_uid: str
    date: str | None  # ISO
    modalities: list[str]  # every modality seen in the study (incl. SR)
    description: str | None = None
    age_years: float | None = None  # at the study date
    sex: str | None = None
    series: list[SeriesText] = field(default_factory=list)
    records: list[DoseRecord] = field(default_factory=list)


@dataclass
class DoseFigures:
    """The contract's ``dose`` object (units fixed by field name)."""

    ct_dlp_mgycm: float | None = None
    ct_ctdivol_mgy_max: float | None = None
    ct_irradiation_events: int | None = None
    dap_gycm2: float | None = None
    agd_mgy: float | None = None
    administered_activity_mbq: float | None = None
    radiopharmaceutical: str | None = None


@dataclass
class EstimatePart:
    """One component of a study's estimate (PET/CT has a CT and an NM part).

    ``inputs`` names the figures used with their units, e.g.
    ``{"dlp_mgycm": 812.4, "k_msv_per_mgycm": 0.015, "region": "chest"}``.
    """

    modality: str  # CT, NM, PT, MG, DX, RF, XA, ...
    method: str
    effective_dose_msv: float | None
    range_msv: tuple[float, float] | None
    source: str  # RDSR, RRDSR, dose-screen, image-header, typical-value
    inputs: dict[str, Any] = field(default_factory=dict)
    factor_reference: str | None = None  # citation of the factor used


@dataclass
class EventEstimate:
    """One irradiation event of the estimate: where its dose went and which factor it got.

    The contract's per-event breakdown (``events`` of a study in ``export``
    and ``history --json``). ``kind``: ``CT helical``, ``CT axial``,
    ``CT localizer``, ``CT`` (type not given), ``fluoroscopy``,
    ``acquisition``, ``projection``, ``accumulated`` (a total without
    events, or the part of the total the events do not cover),
    ``administration``. ``region_from``: ``target-region-code``,
    ``anatomic-region``, ``body-part``, ``description``, ``phantom``,
    ``study`` (the study's region) or ``unknown``.
    """

    uid: str | None
    kind: str
    region: str | None
    region_from: str
    ct_dlp_mgycm: float | None = None
    ct_ctdivol_mgy: float | None = None
    dap_gycm2: float | None = None
    dose_rp_gy: float | None = None
    factor: float | None = None
    factor_unit: str | None = None
    factor_status: str | None = None  # verified, secondary, proxy, check
    factor_source: str | None = None
    effective_dose_msv: float | None = None
    effective_dose_range_msv: tuple[float, float] | None = None
    administered_activity_mbq: float | None = None  # NM/PET administrations
    agd_mgy: float | None = None  # mammography views


#: Factor statuses, best known first (a study's status is its weakest factor's).
STATUS_ORDER = ("verified", "check", "secondary", "proxy")


def weakest_status(statuses) -> str | None:
    """The least well-known of several factor statuses (None when none is given)."""
    known = [s for s in statuses if s]
    if not known:
        return None
    return max(known, key=lambda s: STATUS_ORDER.index(s) if s in STATUS_ORDER else len(STATUS_ORDER))


@dataclass
class ReferenceLevelFlag:
    scheme: str  # UK-2022
    exam: str  # "chest (lung cancer)"
    quantity: str  # "DLP" or "CTDIvol"
    value: float
    reference: float
    exceeded: bool


@dataclass
class StudyEstimate:
    ionising: bool | None  # None when the modalities do not tell
    body_region: str | None
    dose: DoseFigures = field(default_factory=DoseFigures)
    effective_dose_msv: float | None = None
    effective_dose_range_msv: tuple[float, float] | None = None
    method: str | None = None
    factor_set: str | None = None
    sources: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    parts: list[EstimatePart] = field(default_factory=list)
    reference_levels: list[ReferenceLevelFlag] = field(default_factory=list)
    reported_effective_dose_msv: float | None = None  # e.g. from an RRDSR, shown beside
    # per-event breakdown and the weakest factor status (estimates stored before these existed lack them)
    events: list[EventEstimate] = field(default_factory=list)
    factor_status: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``dataclasses.asdict(self)``, without its deep copies (the values are plain and
        the result is stored as JSON): this runs for every study an import estimates."""
        return _as_dict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "StudyEstimate":
        known = {f.name for f in fields(cls)}
        raw = {k: v for k, v in raw.items() if k in known}  # e.g. the estimator stamp (core.dose.version)
        raw["dose"] = DoseFigures(**raw.get("dose", {}))
        raw["parts"] = [EstimatePart(**p) for p in raw.get("parts", [])]
        raw["reference_levels"] = [ReferenceLevelFlag(**f) for f in raw.get("reference_levels", [])]
        known = EventEstimate.__dataclass_fields__
        raw["events"] = [EventEstimate(**(e if e.keys() <= known.keys()  # the usual case: no filtering
                                          else {k: v for k, v in e.items() if k in known}))
                         for e in raw.get("events", [])]
        for e in raw["events"]:
            if e.effective_dose_range_msv:
                e.effective_dose_range_msv = tuple(e.effective_dose_range_msv)
        rng = raw.get("effective_dose_range_msv")
        raw["effective_dose_range_msv"] = tuple(rng) if rng else None
        for p in raw["parts"]:
            if p.range_msv:
                p.range_msv = tuple(p.range_msv)
        return cls(**raw)


_LEAVES = frozenset((str, float, int, bool, type(None)))


def _as_dict(obj: Any) -> Any:
    """What ``dataclasses.asdict`` gives for these data classes (same keys, tuples kept), faster."""
    if hasattr(obj, "__dataclass_fields__"):
        return {name: (value if type(value) in _LEAVES else _as_dict(value))
                for name, value in ((name, getattr(obj, name)) for name in obj.__dataclass_fields__)}
    kind = type(obj)
    if kind is list:
        return [_as_dict(v) for v in obj]
    if kind is tuple:
        return tuple(_as_dict(v) for v in obj)
    if kind is dict:
        return {k: _as_dict(v) for k, v in obj.items()}
    return obj
