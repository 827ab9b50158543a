"""Closing the window during an import cancels it and waits for its worker before the library
closes (the run ends "cancelled", nothing is left running, no worker fails afterwards)."""
from __future__ import annotations

import gc
import logging
import time

import pytest
from PySide6.QtCore import QThreadPool
from sqlalchemy import select

from dosetrail.core.api import Library
from dosetrail.core.storage.models import ImportRun
from synth import generate_many

pytestmark = pytest.mark.gui


def test_closing_the_window_cancels_the_import_and_waits(qtbot, tmp_path, caplog):
    from dosetrail.gui.main_window import MainWindow
    from dosetrail.gui.settings_store import SettingsStore

    generate_many(tmp_path / "cd", 10, files_per_series=20, series_per_study=1, seed="close")  # 200 files: the pool
    library = Library()
    import_iter = library.import_iter

    def slowed_with_summary(paths, *, link=False, password=None, cancel=None, workers=None):
        gen = import_iter(paths, link=link, password=password, cancel=cancel, workers=workers)
        while True:
            try:
                p = next(gen)
            except StopIteration as stop:
                return stop.value
            time.sleep(0.3)  # still running when the window closes, however fast
            yield p

    library.import_iter = slowed_with_summary
    win = MainWindow(library, SettingsStore.at_path(str(tmp_path / "ui.ini")), watch_media=False)
    qtbot.addWidget(win)
    win.show()
    seen: list = []
    ctl = win.importer
    gc_threshold = gc.get_threshold()
    caplog.set_level(logging.ERROR, logger="dosetrail.gui.workers")
    ctl.import_paths([str(tmp_path / "cd")])
    worker = ctl.worker
    assert worker is not None
    progress = worker.signals.progress
    progress.connect(seen.append)
    qtbot.waitUntil(lambda: any(p.files_seen for p in seen), timeout=60_000)  # under way
    win.close()  # what the user does; app.py then closes the library
    assert QThreadPool.globalInstance().activeThreadCount() == 0, "a worker still runs after the close"
    with library.session_factory() as s:
        statuses = s.scalars(select(ImportRun.status)).all()
    assert statuses == ["cancelled"]  # not "running": the import ended before the library closes
    library.close()
    QThreadPool.globalInstance().waitForDone(60_000)
    qtbot.wait(200)  # late signals arrive: nothing fails, no message box after the close
    assert worker.exception is None
    assert not [r for r in caplog.records if "failed" in r.getMessage()]
    assert ctl.message_box is None
    assert gc.get_threshold() == gc_threshold  # the import's collector thresholds are undone too
