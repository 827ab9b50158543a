"""Icons render from SVG at any size; plot colours follow light and dark palettes."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QPalette

from dosetrail.gui.icons import ICON_DIR, icon
from dosetrail.gui.style import is_dark, modality_color, plot_colors

pytestmark = pytest.mark.gui


def test_every_svg_icon_renders_sharp_at_high_dpi(qapp):
    names = ["app", "clinician", "import-archive", "import-folder", "import-link", "merge",
             "patient", "print", "report", "settings", "split"]
    assert all((ICON_DIR / f"{n}.svg").exists() for n in names)
    for name in names:
        ic = icon(name)
        assert not ic.isNull(), name
        pix = ic.pixmap(QSize(96, 96))
        assert pix.width() == 96 and not pix.toImage().isNull()
        img = pix.toImage()
        assert any(img.pixelColor(x, y).alpha() > 0 for x in range(0, 96, 4) for y in range(0, 96, 4)), name
    assert icon("does-not-exist").isNull()


def _palette(window: str, text: str, base: str) -> QPalette:
    pal = QPalette()
    pal.setColor(QPalette.ColorRole.Window, QColor(window))
    pal.setColor(QPalette.ColorRole.WindowText, QColor(text))
    pal.setColor(QPalette.ColorRole.Text, QColor(text))
    pal.setColor(QPalette.ColorRole.Base, QColor(base))
    return pal


def test_plot_colours_follow_the_palette(qapp):
    light = _palette("#efefef", "#111111", "#ffffff")
    dark = _palette("#2b2b2b", "#e6e6e6", "#1e1e1e")
    assert not is_dark(light) and is_dark(dark)
    for pal in (light, dark):
        colors = plot_colors(pal)
        bg = colors["background"]
        assert bg == pal.color(QPalette.ColorRole.Base)
        for key in ("line", "reference", "background_lines", "foreground"):
            # readable: clearly different lightness from the plot background
            assert abs(colors[key].lightness() - bg.lightness()) > 60, (key, pal)
    assert modality_color("CT") != modality_color("PT")
    assert modality_color("XX").isValid()
