#!/usr/bin/env python
"""How long the GUI's event loop is blocked during a large import.

    QT_QPA_PLATFORM=offscreen python bench/gui_responsiveness.py --files 10000

Generates N synthetic CT files (tests/synth), imports them into a fresh
library through ``ImportController`` (the app's import flow: worker thread,
progress dialog, summary) while a 10 ms QTimer ticks, and prints the longest
gap between two ticks (the longest the event loop was blocked), the 99th
percentile, the tick count and the import time, each also as a ratio to the
same figures of the idle event loop measured first in the same run (the
baseline: what the machine's load alone costs). ``--no-gc-freeze`` turns the
controller's garbage-collector freeze off for comparison. Not a test (the
test, tests/test_gui_import_responsiveness.py, checks that the import runs off
the GUI thread with throttled progress, which no machine load can break).
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
    parser.add_argument("--baseline-s", type=float, default=3.0, help="idle event loop measured first (s)")
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
    timer.start()  # idle first (the baseline), then the import
    QTimer.singleShot(int(args.baseline_s * 1000), lambda: (result.setdefault("idle_ticks", len(ticks)), start()))
    app.exec()
    timer.stop()
    library.close()

    def figures(ts: list[float]) -> tuple[float, float, float]:
        gaps = sorted(b - a for a, b in zip(ts, ts[1:]))
        return gaps[-1], gaps[int(len(gaps) * 0.99)], statistics.median(gaps)

    idle = figures(ticks[:result["idle_ticks"]])
    busy = figures(ticks[result["idle_ticks"]:])
    summary = result["summary"]
    print(f"imported {summary.instances_imported} of {summary.files_seen} files "
          f"in {result['end'] - result['start']:.1f} s (gc freeze: {controller.freeze_gc})")
    for label, (mx, p99, med) in (("idle baseline", idle), ("during import", busy)):
        print(f"{label:>14}: max gap {mx * 1000:.0f} ms; p99 {p99 * 1000:.0f} ms; median {med * 1000:.1f} ms")
    print(f"ratio import/idle: max gap {busy[0] / idle[0]:.1f}x; p99 {busy[1] / idle[1]:.1f}x; "
          f"median {busy[2] / idle[2]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
