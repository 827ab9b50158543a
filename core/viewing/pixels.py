"""Decode a series' pixels into a display-ready volume (pydicom + numpy, no Qt).

:func:`load_series` reads the files of one series (already in instance or
slice order), decodes compressed transfer syntaxes through pydicom's pixel
backends (pylibjpeg for JPEG, JPEG-LS and JPEG 2000; pydicom's own RLE
decoder), applies the modality LUT (rescale slope and intercept) and stacks
every frame into one ``float32`` array. A file that cannot be decoded is not
fatal: it is listed in :attr:`Volume.errors` with a reason the user can read.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .windowing import auto_window

#: Photometric interpretations that arrive as (or are converted to) RGB.
_COLOUR = {"RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT", "YBR_PARTIAL_420", "PALETTE COLOR"}


@dataclass
class Volume:
    """The decoded frames of one series.

    Attributes
    ----------
    frames
        ``(N, H, W)`` for monochrome or ``(N, H, W, 3)`` for colour images,
        ``float32``, monochrome in modality units (HU for CT) after the
        rescale slope and intercept.
    photometric
        ``"MONOCHROME1"`` (display inverted), ``"MONOCHROME2"`` or ``"RGB"``
        (colour, whatever the file's colour space was).
    is_ct
        The series is CT (the viewer offers CT window presets).
    window
        Default ``(center, width)``: the file's WindowCenter/WindowWidth when
        present, otherwise percentiles of the pixel values; ``None`` for
        colour or when there are no frames.
    pixel_spacing
        ``(row, column)`` spacing in mm when the file gives it.
    errors
        ``(path, reason)`` for every file that gave no frames.
    """

    frames: np.ndarray
    photometric: str = "MONOCHROME2"
    is_ct: bool = False
    modality: str = ""
    window: tuple[float, float] | None = None
    file_window: tuple[float, float] | None = None
    pixel_spacing: tuple[float, float] | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    frame_paths: list[str] = field(default_factory=list)

    @property
    def frame_count(self) -> int:
        """Number of frames that could be decoded."""
        return int(self.frames.shape[0])

    @property
    def is_colour(self) -> bool:
        """True for ``(N, H, W, 3)`` colour frames."""
        return self.frames.ndim == 4

    @property
    def inverted(self) -> bool:
        """True when low values are displayed white (MONOCHROME1)."""
        return self.photometric == "MONOCHROME1"


def _first_number(value) -> float | None:
    """The first value of a possibly multi-valued DICOM number, or None."""
    if value is None or value == "":
        return None
    try:
        if hasattr(value, "__len__") and not isinstance(value, (str, bytes)):
            if len(value) == 0:
                return None
            value = value[0]
        return float(value)
    except (TypeError, ValueError):
        return None


def _syntax_name(ds) -> str:
    meta = getattr(ds, "file_meta", None)
    uid = getattr(meta, "TransferSyntaxUID", None) if meta is not None else None
    if uid is None:
        return "unknown transfer syntax"
    name = getattr(uid, "name", "") or ""
    return f"{name} ({uid})" if name and name != str(uid) else f"unknown transfer syntax {uid}"


def _decode_file(path: str):
    """Read one file: ``(frames, meta)`` or raise ``ValueError`` with a user reason."""
    import pydicom
    from pydicom.errors import InvalidDicomError
    from pydicom.pixels import apply_color_lut, apply_rescale

    try:
        ds = pydicom.dcmread(path, force=False)
    except InvalidDicomError as exc:
        raise ValueError(f"not a DICOM file ({exc})") from None
    except (OSError, EOFError) as exc:
        raise ValueError(f"cannot read the file: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - pydicom raises many kinds on corrupt files
        raise ValueError(f"corrupt DICOM file: {exc}") from None
    if not any(t in ds for t in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
        raise ValueError("no image in this object (no Pixel Data); it may be a report")
    try:
        arr = ds.pixel_array
    except NotImplementedError as exc:
        raise ValueError(f"cannot decode {_syntax_name(ds)}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - decoder plugins raise RuntimeError, ValueError...
        lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
        detail = " ".join(lines[:1]) + (" " + "; ".join(lines[1:]) if len(lines) > 1 else "")
        detail = (detail or type(exc).__name__)[:400]
        raise ValueError(f"cannot decode pixel data ({_syntax_name(ds)}): {detail}") from None

    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip().upper()
    samples = int(ds.get("SamplesPerPixel", 1) or 1)
    n_frames = int(_first_number(ds.get("NumberOfFrames")) or 1)
    if photometric == "PALETTE COLOR":
        arr = apply_color_lut(arr, ds)
        # 16-bit palettes give 0..65535: bring them to 0..255 for display
        if arr.dtype != np.uint8:
            arr = arr.astype(np.float32) / 257.0
        samples = 3
    colour = samples == 3 or photometric in _COLOUR
    if colour:
        frames = arr if arr.ndim == 4 else arr[None]
        if arr.dtype == np.uint16:
            frames = frames.astype(np.float32) / 257.0
        frames = frames.astype(np.float32)
        photometric = "RGB"
    else:
        frames = arr if (n_frames > 1 and arr.ndim == 3) else arr.reshape((1,) + arr.shape[-2:])
        frames = frames.astype(np.float32)
        if "RescaleSlope" in ds or "RescaleIntercept" in ds or "ModalityLUTSequence" in ds:
            try:
                frames = np.asarray(apply_rescale(frames, ds), dtype=np.float32)
            except Exception:  # noqa: BLE001 - a broken modality LUT: keep stored values
                pass
        if photometric not in ("MONOCHROME1", "MONOCHROME2"):
            photometric = "MONOCHROME2"
    spacing = ds.get("PixelSpacing") or ds.get("ImagerPixelSpacing")
    meta = {
        "photometric": photometric,
        "modality": str(ds.get("Modality", "") or ""),
        "window": (_first_number(ds.get("WindowCenter")), _first_number(ds.get("WindowWidth"))),
        "spacing": (float(spacing[0]), float(spacing[1])) if spacing and len(spacing) >= 2 else None,
    }
    return frames, meta


def load_series(paths: list[str], max_frames: int | None = None, max_bytes: int | None = None) -> Volume:
    """Decode the files of one series into a :class:`Volume`.

    Parameters
    ----------
    paths
        The series' files in display order (``Library.series_files``).
    max_frames
        Stop after this many frames (protects memory on huge series);
        ``None`` reads everything.
    max_bytes
        Also stop when the ``float32`` frames would exceed this size (the
        limit in frames is set from the first decoded file's frame size).

    Returns
    -------
    Volume
        Frames of the most common image size; files of another size or that
        cannot be decoded are listed in ``errors`` with a reason.
    """
    decoded: list[tuple[str, np.ndarray, dict]] = []
    errors: list[tuple[str, str]] = []
    total = 0
    for path in paths:
        if max_frames is not None and total >= max_frames:
            errors.append((path, f"not loaded: the viewer shows the first {max_frames} frames"))
            continue
        try:
            frames, meta = _decode_file(path)
        except ValueError as exc:
            errors.append((path, str(exc)))
            continue
        decoded.append((path, frames, meta))
        total += frames.shape[0]
        if max_bytes is not None and len(decoded) == 1:
            per_frame = max(1, frames[0].size * 4)
            by_bytes = max(1, max_bytes // per_frame)
            max_frames = by_bytes if max_frames is None else min(max_frames, by_bytes)
    if not decoded:
        return Volume(frames=np.zeros((0, 0, 0), dtype=np.float32), errors=errors)

    shapes = Counter(f.shape[1:] for _, f, _ in decoded)
    shape = shapes.most_common(1)[0][0]
    kept = []
    for path, frames, meta in decoded:
        if frames.shape[1:] != shape:
            errors.append((path, f"image size {frames.shape[1:3]} differs from the series' {shape[:2]}"))
        else:
            kept.append((path, frames, meta))
    stack = np.concatenate([f for _, f, _ in kept], axis=0)
    if max_frames is not None:
        stack = stack[:max_frames]
    frame_paths = [p for p, f, _ in kept for _ in range(f.shape[0])][: stack.shape[0]]
    meta = kept[0][2]
    center, width = meta["window"]
    file_window = (center, width) if center is not None and width and width > 0 else None
    colour = stack.ndim == 4
    window = None if colour else (file_window or auto_window(stack))
    return Volume(
        frames=stack,
        photometric="RGB" if colour else meta["photometric"],
        is_ct=meta["modality"].upper() == "CT",
        modality=meta["modality"],
        window=window,
        file_window=None if colour else file_window,
        pixel_spacing=meta["spacing"],
        errors=errors,
        frame_paths=frame_paths,
    )
