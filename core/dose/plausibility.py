"""Plausibility checks: a value is kept, a doubtful one gets a warning.

The ranges catch unit errors (10x, 10^4x) and typing slips, not clinical
outliers; they are deliberately wide.
"""
from __future__ import annotations

CTDIVOL_RANGE_MGY = (0.1, 200.0)
DLP_EVENT_MAX_MGYCM = 10_000.0
DAP_RANGE_GYCM2 = {
    "DX": (1e-4, 100.0),  # one radiograph or a radiography exam
    "MG": (1e-4, 100.0),
    "RF": (1e-3, 2_000.0),  # fluoroscopy and interventional procedures
    "XA": (1e-3, 2_000.0),
}
ACTIVITY_RANGE_MBQ = (1.0, 15_000.0)
AGD_VIEW_RANGE_MGY = (0.1, 20.0)
EFFECTIVE_STUDY_MAX_MSV = 200.0


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def check_ctdivol(value: float | None, what: str = "CTDIvol") -> list[str]:
    """Warn when a CTDIvol lies outside ~0.1..200 mGy."""
    lo, hi = CTDIVOL_RANGE_MGY
    if value is None or lo <= value <= hi:
        return []
    return [f"{what} {_fmt(value)} mGy outside the plausible range {lo:g}-{hi:g} mGy (unit error?)"]


def check_event_dlp(value: float | None) -> list[str]:
    """Warn when one irradiation event's DLP exceeds 10,000 mGy·cm or is negative."""
    if value is None:
        return []
    if value < 0:
        return [f"negative DLP {_fmt(value)} mGy·cm"]
    if value > DLP_EVENT_MAX_MGYCM:
        return [f"DLP {_fmt(value)} mGy·cm for one irradiation event is implausibly high (unit error?)"]
    return []


def check_dap(value: float | None, modality: str) -> list[str]:
    """Warn when a DAP total only makes sense in another unit (e.g. DX > 100 Gy·cm²)."""
    if value is None:
        return []
    lo, hi = DAP_RANGE_GYCM2.get(modality.upper(), DAP_RANGE_GYCM2["RF"])
    if lo <= value <= hi:
        return []
    return [f"DAP {_fmt(value)} Gy·cm² outside the plausible range for {modality} ({lo:g}-{hi:g} Gy·cm²; "
            f"unit error?)"]


def check_activity(value: float | None) -> list[str]:
    """Warn when an administered activity lies outside 1..15000 MBq."""
    lo, hi = ACTIVITY_RANGE_MBQ
    if value is None or lo <= value <= hi:
        return []
    return [f"administered activity {_fmt(value)} MBq outside the plausible range {lo:g}-{hi:g} MBq "
            f"(Bq/MBq confusion?)"]


def check_agd_view(value: float | None) -> list[str]:
    """Warn when one mammography view's glandular dose lies outside 0.1..20 mGy."""
    lo, hi = AGD_VIEW_RANGE_MGY
    if value is None or lo <= value <= hi:
        return []
    return [f"glandular dose {_fmt(value)} mGy for one view outside the plausible range {lo:g}-{hi:g} mGy "
            f"(dGy/mGy confusion?)"]


def check_effective(value: float | None) -> list[str]:
    """Warn when a single study's effective dose exceeds 200 mSv."""
    if value is None or value <= EFFECTIVE_STUDY_MAX_MSV:
        return []
    return [f"effective dose {_fmt(value)} mSv for one study is implausibly high; check the inputs"]
