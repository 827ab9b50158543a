"""gui.workers: results, errors and progress come back to the GUI thread."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from dosetrail.gui.workers import Worker, active_workers, run_in_pool

pytestmark = pytest.mark.gui


def test_result_arrives_in_gui_thread(qtbot):
    seen = {}

    def work(a, b=0):
        seen["thread"] = threading.get_ident()
        return a + b

    got = []

    def on_result(value):
        got.append((value, QThread.currentThread() is qtbot_thread))

    qtbot_thread = QThread.currentThread()
    run_in_pool(work, 2, b=40, on_result=on_result)
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    assert got == [(42, True)]
    assert seen["thread"] != threading.get_ident()  # it ran elsewhere
    qtbot.waitUntil(lambda: active_workers() == 0, timeout=2000)


def test_error_is_reported_with_type(qtbot):
    def boom():
        raise KeyError("no such study")

    errors = []
    worker = run_in_pool(boom, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert errors[0].startswith("KeyError") and "no such study" in errors[0]
    assert isinstance(worker.exception, KeyError)


def test_a_library_fault_is_its_message_without_a_traceback(qtbot, caplog):
    from dosetrail.core.library_errors import LibraryError

    def full():
        raise LibraryError("the file store is full (No space left on device): /lib/store")

    errors = []
    run_in_pool(full, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert errors == ["the file store is full (No space left on device): /lib/store"]
    assert "Traceback" not in caplog.text and "file store is full" in caplog.text


def test_progress_callable_is_injected_only_when_accepted(qtbot):
    def counting(n, progress=None):
        for i in range(n):
            progress(i)
        return n

    steps, results = [], []
    run_in_pool(counting, 5, on_progress=steps.append, on_result=results.append)
    qtbot.waitUntil(lambda: results == [5], timeout=5000)
    assert len(steps) == 5  # progress is queued before the result
    assert steps == [0, 1, 2, 3, 4]

    plain = Worker(lambda x: x, 1)
    assert "progress" not in plain.kwargs


def test_instant_workers_never_lose_results(qtbot):
    # slots passed to run_in_pool are connected before the worker can finish
    got, done = [], []
    for i in range(50):
        run_in_pool(lambda x: x * 2, i, on_result=got.append, on_finished=lambda: done.append(1))
    qtbot.waitUntil(lambda: len(done) == 50, timeout=5000)
    assert sorted(got) == [2 * i for i in range(50)]
    qtbot.waitUntil(lambda: active_workers() == 0, timeout=2000)


def test_a_long_job_does_not_starve_short_ones(qtbot):
    gate = threading.Event()
    long_done, short_done = [], []
    for _ in range(2):  # as many long jobs as a 2-core machine has pool threads by default
        run_in_pool(gate.wait, 10, on_result=long_done.append)
    run_in_pool(lambda: "history", on_result=short_done.append)
    qtbot.waitUntil(lambda: short_done == ["history"], timeout=3000)
    assert long_done == []
    gate.set()
    qtbot.waitUntil(lambda: len(long_done) == 2, timeout=3000)
