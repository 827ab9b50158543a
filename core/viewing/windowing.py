"""Window/level for display: CT presets, automatic windows, 8-bit rendering."""
from __future__ import annotations

import numpy as np

#: CT window presets, name -> (center, width) in HU.
CT_PRESETS: dict[str, tuple[float, float]] = {
    "Brain": (40.0, 80.0),
    "Lung": (-600.0, 1500.0),
    "Bone": (300.0, 1500.0),
    "Soft tissue": (40.0, 400.0),
}


def auto_window(frames: np.ndarray, low_pct: float = 1.0, high_pct: float = 99.0) -> tuple[float, float]:
    """A window spanning the given percentiles of the pixel values.

    Parameters
    ----------
    frames
        Monochrome pixel values (any shape). Large stacks are subsampled.
    low_pct, high_pct
        Percentiles mapped to black and white.

    Returns
    -------
    tuple of float
        ``(center, width)``; width is at least 1.
    """
    values = np.asarray(frames, dtype=np.float32).ravel()
    if values.size == 0:
        return (0.0, 1.0)
    if values.size > 2_000_000:
        values = values[:: values.size // 1_000_000]
    values = values[np.isfinite(values)]
    if values.size == 0:
        return (0.0, 1.0)
    lo, hi = np.percentile(values, [low_pct, high_pct])
    if hi <= lo:
        lo, hi = float(values.min()), float(values.max())
    width = max(float(hi - lo), 1.0)
    return (float(lo + hi) / 2.0, width)


def window_to_uint8(frame: np.ndarray, center: float, width: float, invert: bool = False) -> np.ndarray:
    """Map values to 0..255 with a linear window (DICOM's ``LINEAR_EXACT``).

    Parameters
    ----------
    frame
        Monochrome values in modality units.
    center, width
        The window; values below ``center - width/2`` are black, above
        ``center + width/2`` white.
    invert
        Swap black and white (MONOCHROME1).

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of the same shape.
    """
    width = max(float(width), 1e-6)
    low = float(center) - width / 2.0
    scaled = (np.asarray(frame, dtype=np.float32) - low) * (255.0 / width)
    out = np.clip(scaled, 0.0, 255.0).astype(np.uint8)
    return 255 - out if invert else out
