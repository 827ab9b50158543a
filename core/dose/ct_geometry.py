"""CT irradiation events from image headers alone (no dose report).

Images of one series with the same acquisition number form a *scan*; scans
of different series that share the frame of reference, have the same
CTDIvol (within 2 %), overlap along the slice normal and were acquired at
about the same time are reconstructions of one irradiation and count once
(reformats, ImageType DERIVED/SECONDARY, need no overlap: their positions
run along another axis, and their length is not used).
Localizers are events of their own. The scan length is taken from the image
positions along the slice normal (SliceLocation as fallback) plus one slice
thickness, and DLP = CTDIvol x length, an estimate that misses helical
over-ranging.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from ..dicom.dates import to_datetime
from .records import CTEvent, ImageDose

DLP_FROM_LENGTH_WARNING = "DLP estimated from CTDIvol x imaged length; underestimates helical over-ranging"
CTDI_TOLERANCE = 0.02
TIME_TOLERANCE_S = 120.0


@dataclass
class Scan:
    """Images of one series and acquisition."""

    series_uid: str
    acquisition: str
    frame_of_reference: str | None
    localizer: bool
    images: list[ImageDose] = field(default_factory=list)

    @property
    def derived(self) -> bool:
        """Reformats (ImageType DERIVED or SECONDARY, e.g. MPR): no irradiation of their own."""
        return bool(self.images) and all(
            {t.strip().upper() for t in i.image_type} & {"DERIVED", "SECONDARY"} for i in self.images)

    @property
    def ctdivol_mgy(self) -> float | None:
        values = sorted(i.ctdivol_mgy for i in self.images if i.ctdivol_mgy is not None)
        return math.fsum(values) / len(values) if values else None

    @property
    def z_interval(self) -> tuple[float, float] | None:
        """(start, end) in mm along the slice normal, each slice widened by its thickness."""
        spans = []
        for img in self.images:
            z = slice_position(img)
            if z is None:
                continue
            half = (img.slice_thickness_mm or 0.0) / 2.0
            spans.append((z - half, z + half))
        if not spans:
            return None
        return min(s[0] for s in spans), max(s[1] for s in spans)

    @property
    def times(self) -> list[datetime]:
        return sorted(t for t in (to_datetime(i.acquisition_datetime) for i in self.images) if t is not None)

    @property
    def phantom_cm(self) -> int | None:
        values = sorted({i.phantom_cm for i in self.images if i.phantom_cm})
        return values[-1] if values else None

    @property
    def kvp(self) -> float | None:
        values = sorted({i.kvp for i in self.images if i.kvp})
        return values[-1] if values else None


def slice_normal(orientation: list[float] | None) -> tuple[float, float, float] | None:
    """Unit normal of the image plane from ImageOrientationPatient."""
    if not orientation or len(orientation) != 6:
        return None
    r, c = orientation[:3], orientation[3:]
    n = (r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0])
    norm = math.sqrt(sum(x * x for x in n))
    if norm < 1e-6:
        return None
    return (n[0] / norm, n[1] / norm, n[2] / norm)


def slice_position(image: ImageDose) -> float | None:
    """Position of an image along its slice normal in mm (None if unknown)."""
    normal = slice_normal(image.orientation)
    if normal is not None and image.position_mm and len(image.position_mm) == 3:
        return math.fsum(p * n for p, n in zip(image.position_mm, normal))
    if image.position_mm and len(image.position_mm) == 3 and not image.orientation:
        return float(image.position_mm[2])  # axial assumed
    return image.slice_location_mm


def scan_length_mm(images: list[ImageDose]) -> float | None:
    """Imaged length: (max - min position along the normal) + slice thickness.

    Parameters
    ----------
    images : list of ImageDose
        Images of one scan.

    Returns
    -------
    float or None
        Length in mm; None when no image has a usable position.
    """
    scan = Scan("", "", None, False, list(images))
    interval = scan.z_interval
    return None if interval is None else interval[1] - interval[0]


def is_localizer(image: ImageDose) -> bool:
    return any(t.strip().upper() == "LOCALIZER" for t in image.image_type)


def group_scans(images: list[ImageDose]) -> list[Scan]:
    """Group images by series and acquisition number (or acquisition time)."""
    scans: dict[tuple[str, str], Scan] = {}
    for img in images:
        series = img.series_uid or f"#{img.series_number}"
        if img.acquisition_number is not None:
            acq = f"n{img.acquisition_number}"
        else:
            acq = f"t{img.acquisition_datetime or ''}" if is_localizer(img) else "all"
        key = (series, acq)
        if key not in scans:
            scans[key] = Scan(series, acq, img.frame_of_reference_uid, is_localizer(img))
        scan = scans[key]
        scan.images.append(img)
        scan.localizer = scan.localizer or is_localizer(img)
        scan.frame_of_reference = scan.frame_of_reference or img.frame_of_reference_uid
    return [scans[k] for k in sorted(scans)]


def _close_in_time(a: Scan, b: Scan) -> bool:
    ta, tb = a.times, b.times
    if not ta or not tb:
        return True  # unknown: decided by geometry and CTDIvol
    gap = max(ta[0], tb[0]) - min(ta[-1], tb[-1])
    return gap.total_seconds() <= TIME_TOLERANCE_S


def same_irradiation(a: Scan, b: Scan) -> bool:
    """True when two scans are reconstructions of one irradiation."""
    if a.localizer or b.localizer:
        return False
    if not a.frame_of_reference or a.frame_of_reference != b.frame_of_reference:
        return False
    ca, cb = a.ctdivol_mgy, b.ctdivol_mgy
    if ca is None or cb is None or abs(ca - cb) > CTDI_TOLERANCE * max(ca, cb):
        return False
    if not (a.derived or b.derived):  # a reformat's positions run along another axis
        za, zb = a.z_interval, b.z_interval
        if za is None or zb is None or min(za[1], zb[1]) < max(za[0], zb[0]):
            return False
    return _close_in_time(a, b)


def merge_reconstructions(scans: list[Scan]) -> list[list[Scan]]:
    """Union of scans that are reconstructions of one irradiation (transitive)."""
    parent = list(range(len(scans)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(scans)):
        for j in range(i + 1, len(scans)):
            if same_irradiation(scans[i], scans[j]):
                parent[find(j)] = find(i)
    groups: dict[int, list[Scan]] = {}
    for i, scan in enumerate(scans):
        groups.setdefault(find(i), []).append(scan)
    return [groups[k] for k in sorted(groups)]


def events_from_images(images: list[ImageDose]) -> tuple[list[CTEvent], list[str]]:
    """CT irradiation events from CT image headers, each irradiation once.

    Parameters
    ----------
    images : list of ImageDose
        Headers of the CT images of one study (any order).

    Returns
    -------
    (events, warnings)
        One :class:`CTEvent` per irradiation with ``dlp_mgycm`` estimated
        from CTDIvol x imaged length (None when either is missing).
    """
    warnings: list[str] = []
    events: list[CTEvent] = []
    for group in merge_reconstructions(group_scans(images)):
        members = [img for scan in group for img in scan.images]
        ctdis = sorted(s.ctdivol_mgy for s in group if s.ctdivol_mgy is not None)
        ctdi = ctdis[-1] if ctdis else None
        # reconstructions of one irradiation: the longest imaged range stands for it
        primary = [s for s in group if not s.derived] or group
        lengths = [i[1] - i[0] for i in (s.z_interval for s in primary) if i is not None]
        length = max(lengths) if lengths else None
        dlp = ctdi * length / 10.0 if ctdi is not None and length is not None else None
        times = sorted(t for s in group for t in s.times)
        localizer = any(s.localizer for s in group)
        if not localizer and ctdi is not None and length is None:
            warnings.append(f"scan length unknown for series {group[0].series_uid}: no image positions")
        phantoms = sorted({s.phantom_cm for s in group if s.phantom_cm})
        kvps = sorted({s.kvp for s in group if s.kvp})
        protocol = next((i.protocol_name or i.series_description for i in members
                         if i.protocol_name or i.series_description), None)
        events.append(CTEvent(
            event_uid=None, ctdivol_mgy=ctdi, dlp_mgycm=dlp, scanning_length_mm=length,
            phantom_cm=phantoms[-1] if phantoms else None,
            acquisition_type="localizer" if localizer else None, protocol=protocol,
            datetime=times[0].isoformat() if times else None, kvp=kvps[-1] if kvps else None,
        ))
    return events, warnings
