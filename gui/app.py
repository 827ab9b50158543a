"""Start the desktop app: ``dosetrail [gui] [PATH ...] [--demo]``."""
from __future__ import annotations

import argparse
import os
import sys


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
                        help="open the bundled demo library (synthetic studies of several patients)")
    args, _qt_args = parser.parse_known_args(argv)
    return args


def _demo_home() -> str | None:
    """The bundled demo library's home (imported from resources/demo the first time)."""
    from dosetrail.core.api import DemoUnavailable, ensure_demo_library

    try:
        print("Preparing the demo library...", file=sys.stderr)
        return str(ensure_demo_library())
    except DemoUnavailable as exc:
        print(f"--demo: {exc}", file=sys.stderr)
        return None


def _cannot_open_library(exc: BaseException) -> int:
    """Say why the library cannot be opened (stderr and a message box); the exit status (2 or 3)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from dosetrail.core.api import describe_error, terminal_print

    code, line = describe_error(exc, argparse.Namespace(db=None, output=None))
    terminal_print(f"dosetrail gui: {line}", file=sys.stderr)
    box = QMessageBox(QMessageBox.Icon.Critical, "DoseTrail", "The library cannot be opened.",
                      QMessageBox.StandardButton.Close)
    box.setInformativeText(line)
    smoke_ms = os.environ.get("DOSETRAIL_SMOKE_EXIT_MS")
    if smoke_ms and smoke_ms.isdigit():
        QTimer.singleShot(int(smoke_ms), box.reject)
    box.exec()  # before the event loop: the only window there is
    return code


def run_gui(argv: list[str]) -> int:
    """Create the application and the main window; import PATHs on start.

    Parameters
    ----------
    argv : list of str
        ``[PATH ...] [--demo]``.

    Returns
    -------
    int
        The Qt event loop's exit status (0 on normal close); 3 when the window cannot start
        (missing X11 libraries or no display, see :mod:`.xcb_check`).
    """
    args = parse_args(argv)
    widgets = sys.modules.get("PySide6.QtWidgets")
    if widgets is None or widgets.QApplication.instance() is None:
        from .xcb_check import preflight

        cannot = preflight(argv)  # Linux/X11: the xcb plugin's libraries load, else say which (exit 3)
        if cannot is not None:
            return cannot
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
    if args.demo:
        home = _demo_home()
        if home is None:
            return 2
        os.environ["DOSETRAIL_HOME"] = home
        os.environ.pop("DOSETRAIL_STORE", None)  # the demo library keeps its own store
    elif not os.environ.get("DOSETRAIL_HOME") and store.data_folder():
        os.environ["DOSETRAIL_HOME"] = store.data_folder()

    from dosetrail.core.api import Library

    from .icons import icon
    from .main_window import MainWindow
    from .style import apply_style

    apply_style(app)
    app.setWindowIcon(icon("app"))
    try:
        library = Library()
    except Exception as exc:  # noqa: BLE001 - a library that cannot open is said, never a traceback
        return _cannot_open_library(exc)
    window = MainWindow(library, store)  # restores the last geometry, else 1400x900
    window.show()
    paths = list(args.paths)
    smoke_ms = os.environ.get("DOSETRAIL_SMOKE_EXIT_MS")  # packaging/build.sh: open, then quit
    if smoke_ms and smoke_ms.isdigit():
        QTimer.singleShot(int(smoke_ms), app.quit)
    if paths:
        QTimer.singleShot(0, lambda: window.importer.import_paths(paths))
    try:
        return app.exec()
    finally:
        from PySide6.QtCore import QThreadPool

        from .importing import SHUTDOWN_WAIT_S

        window.importer.shutdown()  # quit without a close (app.quit, a signal): no worker outlives the library
        QThreadPool.globalInstance().waitForDone(int(SHUTDOWN_WAIT_S * 1000))
        library.close()
