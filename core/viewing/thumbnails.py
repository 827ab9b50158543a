"""Series thumbnails as PNG files, cached on disk (numpy + zlib, no Qt).

The cache key is the file's path, size and modification time plus the
thumbnail size, so a changed file gets a new thumbnail and an unchanged one
is never decoded twice. Thumbnails live under
:func:`dosetrail.core.config.thumbnail_dir`.
"""
from __future__ import annotations

import hashlib
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from ..config import thumbnail_dir
from .pixels import load_series
from .windowing import window_to_uint8


def write_png(path: str | os.PathLike, image: np.ndarray) -> None:
    """Write an 8-bit greyscale ``(H, W)`` or RGB ``(H, W, 3)`` image as PNG.

    Parameters
    ----------
    path
        Destination file (written atomically through a temporary file).
    image
        ``uint8`` pixels.
    """
    img = np.ascontiguousarray(image, dtype=np.uint8)
    if img.ndim == 2:
        colour_type, channels = 0, 1
    elif img.ndim == 3 and img.shape[2] == 3:
        colour_type, channels = 2, 3
    else:
        raise ValueError(f"unsupported image shape {img.shape}")
    height, width = img.shape[:2]
    raw = np.zeros((height, 1 + width * channels), dtype=np.uint8)  # filter byte 0 per row
    raw[:, 1:] = img.reshape(height, width * channels)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)) + chunk(b"IEND", b"")
    target = Path(path)
    tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
    tmp.write_bytes(png)
    os.replace(tmp, target)


def _shrink(image: np.ndarray, size: int) -> np.ndarray:
    """Fit ``image`` into ``size`` x ``size`` (block average, then sampling)."""
    height, width = image.shape[:2]
    factor = max(height, width) / float(size)
    if factor <= 1.0:
        return image
    step = int(factor)
    if step >= 2:  # average step x step blocks: smoother than sampling
        h, w = (height // step) * step, (width // step) * step
        blocks = image[:h, :w].astype(np.float32)
        shape = (h // step, step, w // step, step) + image.shape[2:]
        image = blocks.reshape(shape).mean(axis=(1, 3))
        height, width = image.shape[:2]
    out_h = max(1, round(height * size / max(height, width)))
    out_w = max(1, round(width * size / max(height, width)))
    rows = (np.arange(out_h) * height / out_h).astype(int)
    cols = (np.arange(out_w) * width / out_w).astype(int)
    return image[rows][:, cols]


def _cache_key(path: str, size: int) -> str:
    st = os.stat(path)
    text = f"{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}|{size}|v1"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def render_thumbnail(path: str, size: int = 128) -> np.ndarray | None:
    """Decode one file's middle frame and render it as a small 8-bit image.

    Returns
    -------
    numpy.ndarray or None
        ``uint8`` ``(h, w)`` or ``(h, w, 3)`` with ``max(h, w) <= size``;
        ``None`` when the file has no decodable image.
    """
    volume = load_series([path])
    if volume.frame_count == 0:
        return None
    frame = volume.frames[volume.frame_count // 2]
    if volume.is_colour:
        small = _shrink(frame, size)
        return np.clip(small, 0, 255).astype(np.uint8)
    center, width = volume.window or (0.0, 1.0)
    return window_to_uint8(_shrink(frame, size), center, width, invert=volume.inverted)


def thumbnail_for(path: str, size: int = 128, cache_dir: str | os.PathLike | None = None) -> Path | None:
    """The cached PNG thumbnail of one DICOM file, made if needed.

    Parameters
    ----------
    path
        A DICOM file with an image.
    size
        Longest side in pixels.
    cache_dir
        Where thumbnails are kept; default :func:`thumbnail_dir`.

    Returns
    -------
    pathlib.Path or None
        The PNG file, or ``None`` when the file is missing or has no image.
        A file without an image leaves an empty ``.none`` marker so it is not
        decoded again.
    """
    try:
        key = _cache_key(path, size)
    except OSError:
        return None
    folder = Path(cache_dir) if cache_dir is not None else thumbnail_dir(create=True)
    folder = folder / key[:2]
    png = folder / f"{key}.png"
    marker = folder / f"{key}.none"
    if png.exists():
        return png
    if marker.exists():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    image = render_thumbnail(path, size)
    if image is None:
        marker.touch()
        return None
    write_png(png, image)
    return png


def series_thumbnail(paths: list[str], size: int = 128, cache_dir: str | os.PathLike | None = None) -> Path | None:
    """The thumbnail of a series: its middle file (or the nearest with an image).

    Parameters
    ----------
    paths
        The series' files in display order.

    Returns
    -------
    pathlib.Path or None
        A PNG file, or ``None`` when no file tried has an image (e.g. SR).
    """
    if not paths:
        return None
    mid = len(paths) // 2
    order = sorted(range(len(paths)), key=lambda i: abs(i - mid))[:5]
    for i in order:
        result = thumbnail_for(paths[i], size, cache_dir)
        if result is not None:
            return result
    return None
