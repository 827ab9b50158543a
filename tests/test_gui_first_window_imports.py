"""The window shows its patient list before the heavy libraries are imported (issue 14).

Importing the main window (and core's door) must not import pyqtgraph (the
timeline's plot imports it when first drawn), numpy (the image viewer's), nor
the exports' libraries. Checked in a fresh interpreter through sys.modules;
the time itself is measured by bench/first_window.py, never here.
"""
from __future__ import annotations

import subprocess
import sys

HEAVY = ("pyqtgraph", "numpy", "reportlab", "pydicom", "pyarrow", "fhir", "alembic")


def _loaded_after(code: str) -> list[str]:
    probe = (f"{code}\nimport sys\n"
             f"print(','.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr
    return [m for m in res.stdout.strip().split(",") if m]


def test_importing_the_window_imports_no_heavy_library():
    assert _loaded_after("import dosetrail.gui.app, dosetrail.gui.main_window, dosetrail.core.api") == []


def test_the_deferred_names_still_come_through_the_door():
    code = "from dosetrail.core.api import Volume, CT_PRESETS, auto_window; assert CT_PRESETS and Volume"
    assert "numpy" in _loaded_after(code)


def test_the_timeline_builds_its_plot_on_first_use(qtbot):
    from dosetrail.gui.widgets.timeline import TimelineWidget

    w = TimelineWidget()
    qtbot.addWidget(w)
    w.set_history(None)
    assert w._plot is None  # nothing to draw: no plot, no pyqtgraph
    assert w.plot.accessibleName() == "Cumulative dose timeline"  # built when asked for
    assert w.layout().indexOf(w.plot) == 0


def test_the_timeline_lays_out_the_same_before_its_plot_is_built(qtbot):
    from dosetrail.gui.widgets.timeline import TimelineWidget

    w = TimelineWidget()
    qtbot.addWidget(w)
    before = (w.minimumSizeHint(), w.sizeHint())
    w.ensure_plot()
    assert (w.minimumSizeHint(), w.sizeHint()) == before  # splitters restore the same sizes either way
