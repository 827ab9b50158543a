"""Render the application icon (gui/resources/icons/dosetrail.svg) for packaging.

Writes ``packaging/icons/dosetrail-<size>.png`` (16 ... 512, the Linux
hicolor sizes), ``dosetrail.ico`` (Windows) and ``dosetrail.icns`` (macOS).
Qt renders the SVG (offscreen); Pillow writes ICO and ICNS. Run it after
changing the SVG and commit the results::

    QT_QPA_PLATFORM=offscreen python packaging/make_icons.py
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "gui" / "resources" / "icons" / "dosetrail.svg"
OUT = ROOT / "packaging" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render_pngs(svg: Path = SVG, out: Path = OUT, sizes: tuple[int, ...] = SIZES) -> list[Path]:
    """Render ``svg`` to square PNGs of the given sizes.

    Parameters
    ----------
    svg
        The SVG file.
    out
        Output folder (created).
    sizes
        Edge lengths in pixels.

    Returns
    -------
    list of Path
        The PNG files written.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - keeps Qt alive
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {svg}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = out / f"dosetrail-{size}.png"
        if not image.save(str(path)):
            raise SystemExit(f"cannot write {path}")
        written.append(path)
    return written


def write_ico_icns(out: Path = OUT) -> list[Path]:
    """Write ``dosetrail.ico`` and ``dosetrail.icns`` from the rendered PNGs.

    Parameters
    ----------
    out
        The folder holding ``dosetrail-<size>.png``.

    Returns
    -------
    list of Path
        The files written.
    """
    from PIL import Image

    big = Image.open(out / "dosetrail-512.png").convert("RGBA")
    ico = out / "dosetrail.ico"
    big.save(ico, sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    icns = out / "dosetrail.icns"
    big.save(icns)
    return [ico, icns]


if __name__ == "__main__":
    files = render_pngs() + write_ico_icns()
    for f in files:
        print(f.relative_to(ROOT), f.stat().st_size)
