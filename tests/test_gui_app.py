"""run_gui: command line, window title, PATHs imported on start; the window over a real library."""
from __future__ import annotations

import pytest

from dosetrail.gui.app import parse_args

pytestmark = pytest.mark.gui


def test_parse_args():
    args = parse_args(["a", "/media/cd", "--demo"])
    assert args.paths == ["a", "/media/cd"] and args.demo
    assert parse_args([]).paths == [] and not parse_args([]).demo


_RUN_GUI_SCRIPT = r"""
import json, sys
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication
from dosetrail.gui import app as app_mod, importing

QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[1])
imported, seen = [], {}
importing.ImportController.import_paths = lambda self, paths, *a, **k: imported.append(list(paths))

def close_soon():
    for w in QApplication.topLevelWidgets():
        if type(w).__name__ == "MainWindow":
            seen["title"] = w.windowTitle()
            seen["pages"] = w.pages.currentIndex()
            w.close()

if __name__ == "__main__":
    app = QApplication([sys.argv[0]])  # run_gui reuses it; the timer needs it
    QTimer.singleShot(1500, close_soon)
    rc = app_mod.run_gui(sys.argv[2:])
    print(json.dumps({"rc": rc, "imported": imported, **seen}))
"""


def test_run_gui_opens_window_and_imports_paths(tmp_path):
    # a separate process: run_gui owns the QApplication event loop and quits it
    import json
    import os
    import subprocess
    import sys

    script = tmp_path / "run_gui_check.py"
    script.write_text(_RUN_GUI_SCRIPT, encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "qs"), str(tmp_path / "cd")],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["rc"] == 0
    assert "DoseTrail" in out["title"]
    assert out["pages"] == 0  # empty library: the first-import help
    assert out["imported"] == [[str(tmp_path / "cd")]]


def test_main_window_over_real_library(qtbot, tmp_path):
    synth = pytest.importorskip("synth")
    from dosetrail.core.api import Library
    from dosetrail.gui.main_window import MainWindow
    from dosetrail.gui.models.patients import KeyRole
    from dosetrail.gui.settings_store import SettingsStore

    synth.make_mixed_patient_history(tmp_path / "studies", n_ct_slices=3, pixels=False)
    lib = Library()
    summary = lib.run_import([str(tmp_path / "studies")])
    assert not summary.files_rejected
    win = MainWindow(lib, SettingsStore.at_path(str(tmp_path / "ui.ini")), watch_media=False)
    qtbot.addWidget(win)
    errors = []
    win.controller.failed.disconnect()
    win.controller.failed.connect(errors.append)
    win.show()
    qtbot.waitUntil(lambda: win.controller.history is not None or bool(errors), timeout=10000)
    assert not errors
    assert win.patient_model.rowCount() == len(lib.patients())
    for row in range(win.patient_proxy.rowCount()):
        key = win.patient_proxy.index(row, 0).data(KeyRole)
        win.patient_view.setCurrentIndex(win.patient_proxy.index(row, 0))
        qtbot.waitUntil(lambda: win.controller.history is not None
                        and win.controller.history.patient.key == key, timeout=10000)
        history = lib.history(key)
        assert len(win.timeline.marker_infos()) == sum(1 for e in history.exams if e.date)
        if history.cumulative:
            _, y = win.timeline.step_curve.getData()
            assert y[-1] == pytest.approx(history.patient.cumulative_effective_dose_msv)
    out = tmp_path / "report.pdf"
    with qtbot.waitSignal(win.controller.pdfWritten, timeout=20000):
        win.controller.export_pdf(win.controller.current_key, str(out))
    assert out.read_bytes().startswith(b"%PDF")
    # changing the factor set recomputes in the pool and the window shows the new figures
    from dataclasses import replace

    win.controller.apply_settings(replace(lib.settings, factor_set="ICRP-103-NCI"))
    qtbot.waitUntil(lambda: win.controller.history is not None
                    and win.controller.history.factor_set == "ICRP-103-NCI" or bool(errors),
                    timeout=20000)
    assert not errors
    assert "ICRP-103-NCI" in win.clinician.plain_text()
    lib.close()


def test_demo_opens_the_bundled_library_and_smoke_exit(tmp_path):
    """`dosetrail gui --demo` imports the bundled demo once into its own home and opens it."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg"), "QT_QPA_PLATFORM": "offscreen",
           "DOSETRAIL_SMOKE_EXIT_MS": "500"}
    env.pop("DOSETRAIL_HOME", None)
    cmd = [sys.executable, "-c", "import sys; from dosetrail.gui.entry import main; sys.exit(main(sys.argv[1:]))",
           "gui", "--demo"]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stderr
    homes = list((tmp_path / "xdg").rglob("dosetrail.db"))
    assert len(homes) == 1 and "demo" in str(homes[0]).lower()
    listing = subprocess.run(cmd[:3] + ["patients", "--json"], capture_output=True, text=True, timeout=60,
                             env={**env, "DOSETRAIL_HOME": str(homes[0].parent)})
    import json

    assert len(json.loads(listing.stdout)["patients"]) >= 3


def test_a_library_that_cannot_open_is_one_line_and_a_message(tmp_path):
    """`dosetrail gui` with DOSETRAIL_HOME a file: exit 3, one line on stderr, no traceback."""
    import os
    import subprocess
    import sys

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    env = {**os.environ, "DOSETRAIL_HOME": str(blocker), "QT_QPA_PLATFORM": "offscreen",
           "DOSETRAIL_SMOKE_EXIT_MS": "300"}
    cmd = [sys.executable, "-c", "import sys; from dosetrail.gui.entry import main; sys.exit(main(sys.argv[1:]))",
           "gui"]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 3
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("dosetrail")]
    assert lines == [f"dosetrail gui: DOSETRAIL_HOME {blocker} is not a usable folder "
                     "(a file is in the way, not a folder)"]
