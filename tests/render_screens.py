"""Render the main window offscreen to docs/screenshots/*.png (not a pytest test).

Builds a real library in a temporary DOSETRAIL_HOME from the synthetic
multi-hospital history and the rough-edge patients (tests/synth), or uses the
GUI test double with ``--fake``, and saves the patient view, the clinician
view, typical-value estimates, a patient with only undated exams and no
patient ID, and the empty library at 1400x900::

    QT_QPA_PLATFORM=offscreen python tests/render_screens.py [--fake] [--out DIR]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZE = (1400, 900)


def _wait(app, condition, timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if condition():
            return True
        time.sleep(0.02)
    return False


def _library(fake: bool, tmp: Path):
    if fake:
        from gui_fakes import FakeLibrary

        return FakeLibrary.populated(extra=25)
    from synth import make_edge_patients, make_mixed_patient_history

    from dosetrail.core.api import Library

    make_mixed_patient_history(tmp / "studies")
    make_edge_patients(tmp / "edge")
    lib = Library()
    summary = lib.run_import([str(tmp / "studies"), str(tmp / "edge")])
    print(f"imported {summary.instances_imported} objects, {len(summary.files_rejected)} rejected")
    return lib


def _select_patient(app, win, name_part: str) -> None:
    proxy = win.patient_proxy
    for row in range(proxy.rowCount()):
        if name_part in (proxy.index(row, 0).data() or ""):
            win.patient_view.setCurrentIndex(proxy.index(row, 0))
            break
    _wait(app, lambda: win.controller.history is not None
          and name_part.split(",")[0] in win.controller.history.patient.name.upper())


def _select_biggest_exam(win) -> None:
    exams = [e for e in win.exam_model.exams() if e.effective_dose_msv is not None]
    if exams:
        win.sync.select_uid(max(exams, key=lambda e: e.effective_dose_msv).study_instance_uid)


def _dark_palette():
    """A dark system palette, as a desktop in dark mode gives it."""
    from PySide6.QtGui import QColor, QPalette

    pal = QPalette()
    role = QPalette.ColorRole
    for r, c in ((role.Window, "#2b2b2b"), (role.WindowText, "#e6e6e6"), (role.Base, "#1e1e1e"),
                 (role.AlternateBase, "#262626"), (role.Text, "#e6e6e6"), (role.Button, "#353535"),
                 (role.ButtonText, "#e6e6e6"), (role.Highlight, "#2f6fb3"),
                 (role.HighlightedText, "#ffffff"), (role.ToolTipBase, "#353535"),
                 (role.ToolTipText, "#e6e6e6"), (role.PlaceholderText, "#9a9a9a")):
        pal.setColor(r, QColor(c))
    return pal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fake", action="store_true", help="use the GUI test double")
    parser.add_argument("--out", default=str(HERE.parent / "docs" / "screenshots"))
    parser.add_argument("--dark", action="store_true", help="also render with a dark palette")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(HERE))
    tmp = Path(tempfile.mkdtemp(prefix="dosetrail-screens-"))
    os.environ["DOSETRAIL_HOME"] = str(tmp / "home")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtWidgets import QApplication

    from dosetrail.gui.main_window import MainWindow
    from dosetrail.gui.settings_store import SettingsStore
    from dosetrail.gui.style import apply_style

    app = QApplication.instance() or QApplication([])
    apply_style(app)
    if args.dark:
        app.setPalette(_dark_palette())
    lib = _library(args.fake, tmp)
    store = SettingsStore.at_path(str(tmp / "ui.ini"))
    win = MainWindow(lib, store, watch_media=False)
    win.resize(*SIZE)
    win.show()
    if not _wait(app, lambda: win.controller.history is not None):
        print("no history loaded", file=sys.stderr)
        return 1
    _select_patient(app, win, "DOE")
    win.act_bars.setChecked(True)
    win.act_patient_view.setChecked(True)
    _select_biggest_exam(win)
    _wait(app, lambda: False, 1.5)
    suffix = "-dark" if args.dark else ""
    win.grab().save(str(out / f"patient-view{suffix}.png"))
    win.act_clinician_view.setChecked(True)
    _wait(app, lambda: False, 0.5)
    win.grab().save(str(out / f"clinician-view{suffix}.png"))
    if not args.fake:
        _select_patient(app, win, "TYPICAL")
        _wait(app, lambda: False, 0.8)
        win.grab().save(str(out / f"typical-values{suffix}.png"))
        win.act_patient_view.setChecked(True)
        _select_patient(app, win, "UNDATED")
        _wait(app, lambda: False, 0.8)
        win.grab().save(str(out / f"undated-exams{suffix}.png"))
        _select_patient(app, win, "NOID")
        _wait(app, lambda: False, 0.8)
        win.grab().save(str(out / f"no-patient-id{suffix}.png"))
    win.close()

    from gui_fakes import FakeLibrary

    empty = MainWindow(FakeLibrary(), SettingsStore.at_path(str(tmp / "ui2.ini")), watch_media=False)
    empty.resize(*SIZE)
    empty.show()
    _wait(app, lambda: empty.pages.currentWidget() is empty.empty)
    _wait(app, lambda: False, 0.3)
    empty.grab().save(str(out / f"empty-library{suffix}.png"))
    empty.close()
    if hasattr(lib, "close"):
        lib.close()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
