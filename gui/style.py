"""Look of the app: follows the system's light or dark palette.

Qt already takes the palette from the platform; this module picks the Fusion
style (consistent on every OS), a readable base font, and plot colours that
work on both light and dark backgrounds.
"""
from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

# one colour per modality, readable on light and dark backgrounds
MODALITY_COLORS = {
    "CT": "#1c7ed6",
    "PT": "#e8590c",
    "NM": "#f08c00",
    "MG": "#d6336c",
    "DX": "#2f9e44",
    "CR": "#2f9e44",
    "PX": "#2f9e44",
    "IO": "#2f9e44",
    "XA": "#7048e8",
    "RF": "#9c36b5",
    "MR": "#868e96",
    "US": "#868e96",
}
NO_ESTIMATE_COLOR = "#9aa0a6"


def apply_style(app: QApplication) -> None:
    """Use the Fusion style with the system palette and a slightly larger font.

    Parameters
    ----------
    app : QApplication
        The running application.
    """
    app.setStyle("Fusion")
    font = app.font()
    if font.pointSizeF() > 0 and font.pointSizeF() < 10:
        font.setPointSizeF(10)
        app.setFont(font)


def is_dark(palette: QPalette | None = None) -> bool:
    """True when the window background is darker than its text."""
    pal = palette or QApplication.palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < pal.color(
        QPalette.ColorRole.WindowText).lightness()


def modality_color(modality: str) -> QColor:
    """The marker colour of a modality (grey for unknown ones)."""
    return QColor(MODALITY_COLORS.get(modality, "#495057"))


def plot_colors(palette: QPalette | None = None) -> dict[str, QColor]:
    """Colours of the timeline for the current palette.

    Returns
    -------
    dict
        ``background``, ``foreground``, ``line``, ``band``, ``bars``,
        ``reference``, ``background_lines``, ``selection``, ``no_estimate``.
    """
    pal = palette or QApplication.palette()
    dark = is_dark(pal)
    band = QColor("#4dabf7" if dark else "#74c0fc")
    band.setAlpha(70)
    bars = QColor("#adb5bd" if dark else "#868e96")
    bars.setAlpha(90)
    return {
        "background": pal.color(QPalette.ColorRole.Base),
        "foreground": pal.color(QPalette.ColorRole.Text),
        "line": QColor("#4dabf7" if dark else "#1864ab"),
        "band": band,
        "bars": bars,
        "reference": QColor("#ff8787" if dark else "#c92a2a"),
        "background_lines": QColor("#8ce99a" if dark else "#2b8a3e"),
        "selection": QColor("#ffd43b" if dark else "#f08c00"),
        "no_estimate": QColor(NO_ESTIMATE_COLOR),
    }


def large_font(base: QFont, factor: float = 1.3) -> QFont:
    """``base`` scaled by ``factor`` (the patient view's larger type)."""
    f = QFont(base)
    size = f.pointSizeF() if f.pointSizeF() > 0 else 10.0
    f.setPointSizeF(size * factor)
    return f
