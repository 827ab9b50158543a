#!/usr/bin/env python
"""How long the GUI's event loop is blocked during a large import.

    QT_QPA_PLATFORM=offscreen python bench/gui_responsiveness.py --files 10000

Generates N synthetic CT files (tests/synth), imports them into a fresh
library through ``ImportController`` (the app's import flow: worker thread,
progress dialog, summary) while a 10 ms QTimer ticks, and prints the longest
gap between two ticks (the longest the event loop was blocked), the 99th
percentile, the tick count and the import time. ``--no-gc-freeze`` turns the
controller's garbage-collector freeze off for comparison. Not a test.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--no-gc-freeze", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="dosetrail-bench-"))
    os.environ["DOSETRAIL_HOME"] = str(work / "home")

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    from dosetrail.core.api import Library
    from dosetrail.gui.importing import ImportController
    from synth import generate_many

    app = QApplication([])
    t = time.perf_counter()
    generate_many(work / "cd", args.files, seed="bench-gui")
    print(f"generated {args.files} files in {time.perf_counter() - t:.1f} s")

    library = Library()
    window = QWidget()
    window.show()
    controller = ImportController(library, window)
    controller.freeze_gc = not args.no_gc_freeze
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    result = {}

    def finished(summary) -> None:
        result["summary"] = summary
        result["end"] = time.perf_counter()
        QTimer.singleShot(50, app.quit)

    def start() -> None:
        result["start"] = time.perf_counter()
        controller.import_paths([str(work / "cd")])

    controller.importFinished.connect(finished)
    timer.start()
    QTimer.singleShot(50, start)
    app.exec()
    timer.stop()
    library.close()

    gaps = sorted(b - a for a, b in zip(ticks, ticks[1:]))
    summary = result["summary"]
    print(f"imported {summary.instances_imported} of {summary.files_seen} files "
          f"in {result['end'] - result['start']:.1f} s (gc freeze: {controller.freeze_gc})")
    print(f"ticks: {len(ticks)}; max gap: {gaps[-1] * 1000:.0f} ms; "
          f"p99: {gaps[int(len(gaps) * 0.99)] * 1000:.0f} ms; median: {statistics.median(gaps) * 1000:.1f} ms")
    return 0 if gaps[-1] < 0.1 else 1


if __name__ == "__main__":
    sys.exit(main())
