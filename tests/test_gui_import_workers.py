"""gui.workers: results, errors and progress come back to the GUI thread."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from dosetrail.core.api import LibraryError
from dosetrail.gui.workers import GeneratorWorker, Worker, active_workers, connect_and_start, error_text, run_in_pool

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
    assert isinstance(errors[0], KeyError) and errors[0] is worker.exception  # the object, not text
    assert error_text(errors[0]).startswith("KeyError") and "no such study" in error_text(errors[0])


def test_a_library_fault_is_its_message_without_a_traceback(qtbot, caplog):
    def full():
        raise LibraryError("the file store is full (No space left on device): /lib/store")

    errors = []
    run_in_pool(full, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], LibraryError)
    assert [error_text(e) for e in errors] == ["the file store is full (No space left on device): /lib/store"]
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


def test_generator_worker_yields_progress_and_returns_the_result(qtbot):
    def gen(n):
        for i in range(n):
            yield i
        return "summary"

    seen, results = [], []
    worker = GeneratorWorker(gen, 5)
    connect_and_start(worker, on_progress=seen.append, on_result=results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert seen == [0, 1, 2, 3, 4] and results == ["summary"]  # throttle 0: every value


def test_generator_worker_cancel_is_seen_at_the_next_yield(qtbot):
    started, release = threading.Event(), threading.Event()
    after_cancel = []

    def with_cancel(cancel=None):  # takes cancel: driven on until it returns (an import's summary)
        started.set()
        release.wait(5)
        yield 1
        after_cancel.append(cancel.is_set())
        return "cancelled" if cancel.is_set() else "done"

    worker = GeneratorWorker(with_cancel)
    results = []
    connect_and_start(worker, on_result=results.append)
    started.wait(5)
    worker.quit()
    release.set()
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results == ["cancelled"] and after_cancel == [True]

    closed = []

    def without_cancel():  # no cancel parameter: closed at the next yield
        try:
            for i in range(10_000):
                yield i
                release.wait(0.001)
        finally:
            closed.append(True)
        return "never"

    worker = GeneratorWorker(without_cancel)
    results.clear()
    worker.quit()  # before it starts: stops at the first yield
    connect_and_start(worker, on_result=results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results == [None] and closed == [True]


def test_generator_worker_throttles_progress_with_a_fake_clock(qtbot, monkeypatch):
    from types import SimpleNamespace

    from dosetrail.gui import workers

    clock = [1000.0]
    monkeypatch.setattr(workers, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    n, step, interval = 1000, 0.001, 0.1

    def gen():
        for i in range(n):
            clock[0] += step
            yield SimpleNamespace(i=i, done=i == n - 1)

    seen, finished = [], []
    connect_and_start(GeneratorWorker(gen, throttle=interval), on_progress=seen.append,
                      on_finished=lambda: finished.append(1))
    qtbot.waitUntil(lambda: bool(finished), timeout=5000)
    expected = int(n * step / interval)  # one per interval, the last (done) one included
    assert expected - 1 <= len(seen) <= expected + 2
    assert seen[-1].done
