"""The GUI stays responsive during a large import (real Library, synthetic files).

A 10 ms QTimer runs while ImportController imports 2,000 generated CT files;
the longest gap between two ticks is the longest the event loop was blocked.
bench/gui_responsiveness.py does the same with 10,000 files.
"""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from dosetrail.core.api import Library
from dosetrail.gui.importing import ImportController
from synth import generate_many

pytestmark = pytest.mark.gui

N_FILES = 2000
MAX_GAP_S = 0.100


def measure_import(qtbot, folder, library, timeout_ms: int = 120_000):
    """Import ``folder`` through an ImportController; return (summary, max tick gap, ticks)."""
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    controller = ImportController(library, window)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    qtbot.wait(50)
    with qtbot.waitSignal(controller.importFinished, timeout=timeout_ms) as blocker:
        controller.import_paths([str(folder)])
    qtbot.wait(50)
    timer.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    return blocker.args[0], max(gaps), len(ticks), controller


def test_event_loop_never_blocked_during_import(qtbot, tmp_path):
    folder = tmp_path / "cd"
    generate_many(folder, N_FILES, seed="responsiveness")
    library = Library()
    try:
        summary, max_gap, ticks, controller = measure_import(qtbot, folder, library)
        assert summary.files_seen == N_FILES
        assert summary.instances_imported == N_FILES
        print(f"\n{N_FILES} files: max event-loop gap {max_gap * 1000:.0f} ms over {ticks} ticks")
        assert ticks > 20  # the timer really ran during the import
        assert max_gap < MAX_GAP_S, f"event loop blocked for {max_gap * 1000:.0f} ms"
        assert f"{N_FILES} new images" in controller.message_box.text()
        assert library.import_runs()[0].run_id == summary.import_run_id
    finally:
        library.close()
