"""Start the desktop app: ``dosetrail [gui] [PATH ...] [--demo]``."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the GUI's command line.

    Parameters
    ----------
    argv : list of str
        Arguments after ``gui`` (Qt's own options are left to Qt).

    Returns
    -------
    argparse.Namespace
        ``paths`` (list of str) and ``demo`` (bool).
    """
    parser = argparse.ArgumentParser(prog="dosetrail gui", description="DoseTrail desktop app")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="folders, files, ZIP archives or links to import on start")
    parser.add_argument("--demo", action="store_true",
                        help="open a temporary library filled with synthetic example studies")
    args, _qt_args = parser.parse_known_args(argv)
    return args


def _demo_paths(folder: Path) -> list[str]:
    """Write synthetic studies (the test generator of a source checkout) into ``folder``."""
    tests = Path(__file__).resolve().parent.parent / "tests"
    if str(tests) not in sys.path:
        sys.path.insert(0, str(tests))
    try:
        from synth import make_mixed_patient_history  # type: ignore[import-not-found]
    except ImportError:
        print("--demo needs the synthetic study generator (tests/synth) of a source checkout",
              file=sys.stderr)
        return []
    out = make_mixed_patient_history(folder)
    if isinstance(out, (list, tuple)):
        return [str(p) for p in out] or [str(folder)]
    return [str(folder)]


def run_gui(argv: list[str]) -> int:
    """Create the application and the main window; import PATHs on start.

    Parameters
    ----------
    argv : list of str
        ``[PATH ...] [--demo]``.

    Returns
    -------
    int
        The Qt event loop's exit status (0 on normal close).
    """
    args = parse_args(argv)
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from .settings_store import SettingsStore

    if QApplication.instance() is None:  # crisp SVG icons and text at 125 %, 150 % ...
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
            Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication([sys.argv[0], *[a for a in argv if a.startswith("-")
                                                                  and a != "--demo"]])
    app.setApplicationName("DoseTrail")
    app.setOrganizationName("DoseTrail")
    app.setApplicationDisplayName("DoseTrail")
    store = SettingsStore()
    demo_dir = None
    if args.demo:
        demo_dir = tempfile.TemporaryDirectory(prefix="dosetrail-demo-")
        os.environ["DOSETRAIL_HOME"] = str(Path(demo_dir.name) / "home")
    elif not os.environ.get("DOSETRAIL_HOME") and store.data_folder():
        os.environ["DOSETRAIL_HOME"] = store.data_folder()

    from dosetrail.core.api import Library

    from .icons import icon
    from .main_window import MainWindow
    from .style import apply_style

    apply_style(app)
    app.setWindowIcon(icon("app"))
    library = Library()
    window = MainWindow(library, store)  # restores the last geometry, else 1400x900
    window.show()
    paths = list(args.paths)
    if demo_dir is not None:
        paths += _demo_paths(Path(demo_dir.name) / "studies")
    if paths and window.importer is not None:
        QTimer.singleShot(0, lambda: window.importer.import_paths(paths))
    try:
        return app.exec()
    finally:
        library.close()
        if demo_dir is not None:
            demo_dir.cleanup()
