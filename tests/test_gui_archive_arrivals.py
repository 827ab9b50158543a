"""The timeline fills as a retrieve's studies arrive: the window shows the patient and each study
imported while the retrieve still runs (reloads throttled, off the GUI thread); the bar counts
instances received of those announced. Against the fake library and a real Orthanc."""
from __future__ import annotations

import os
import threading
from types import SimpleNamespace

from dosetrail.core.api import ArchiveInfo, ArchiveStudy, Library
from dosetrail.gui.dialogs.archive_find import COLUMNS, ThrottledReload, open_archive_find
from dosetrail.gui.main_window import MainWindow
from gui_fakes import K_CHEST, FakeLibrary, _ct_exam

from orthanc_server import PATIENT, orthanc  # noqa: F401 - the session fixture

IN_LIBRARY = COLUMNS.index("In library")


def _fake() -> FakeLibrary:
    lib = FakeLibrary(archive_list=[ArchiveInfo("hosp", "dimse", "ORTHANC@127.0.0.1:4242")],
                      archive_gate=threading.Event())
    lib.archive_studies = [
        ArchiveStudy("1.2.3", "P7", "DOE^JANE", "20240105", ["CT", "SR"], "CT chest", 3, 250, False),
        ArchiveStudy("1.2.4", "P7", "DOE^JANE", "20230211", ["CT", "SR"], "CT chest", 2, 120, False),
    ]
    lib.archive_exams = {
        "1.2.3": _ct_exam("1.2.3", "2024-01-05", 400.0, "CT CHEST", "chest", K_CHEST, "AAPM-96"),
        "1.2.4": _ct_exam("1.2.4", "2023-02-11", 300.0, "CT CHEST", "chest", K_CHEST, "AAPM-96"),
    }
    return lib


def _shown(win) -> list[str]:
    h = win.controller.history
    return sorted(e.study_instance_uid for e in h.exams) if h is not None else []


def test_the_window_shows_each_study_while_the_retrieve_runs(qtbot, tmp_path):
    lib = _fake()
    win = MainWindow(lib, watch_media=False)
    qtbot.addWidget(win)
    win.show()
    dialog = open_archive_find(win)
    dialog.patient_id.setText("P7")
    dialog.search_button.click()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2 and dialog.search_button.isEnabled(), timeout=60000)
    dialog.retrieve_button.click()
    # the fake holds the retrieve after its first study: the window already shows the patient with it
    qtbot.waitUntil(lambda: _shown(win) == ["1.2.3"], timeout=60000)
    assert dialog.worker is not None and dialog.cancel_button.isEnabled()  # still retrieving
    assert win.controller.current_key == "P7" and win.exam_model.rowCount() == 1
    assert (dialog.progress.minimum(), dialog.progress.maximum(), dialog.progress.value()) == (0, 2, 1)
    assert [dialog.table.item(r, IN_LIBRARY).text() for r in range(2)] == ["yes", "no"]
    assert "Receiving: 1 of 2 instances" in dialog.message.text() and "1 of 2 studies in the library" in \
        dialog.message.text()
    shot = os.environ.get("DOSETRAIL_SHOTS") or str(tmp_path)
    assert win.grab().save(os.path.join(shot, "archive_arrivals_window.png"))
    assert dialog.grab().save(os.path.join(shot, "archive_arrivals_dialog.png"))
    with qtbot.waitSignal(dialog.retrieved, timeout=60000):
        lib.archive_gate.set()
    qtbot.waitUntil(lambda: _shown(win) == ["1.2.3", "1.2.4"], timeout=60000)
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=60000)
    dialog.close()


def test_reloads_are_throttled(qapp):
    reloads: list[str | None] = []
    controller = SimpleNamespace(current_key=None)
    controller.reload = lambda: reloads.append(controller.current_key)
    throttle = ThrottledReload(SimpleNamespace(controller=controller), interval_ms=60000)
    throttle.request(["P7"])
    throttle.request(["P7", "P8"])
    throttle.request(["P7", "P8"])
    assert reloads == ["P7"]  # the first at once, the others wait for the interval
    controller.current_key = "P9"  # the user picked another patient meanwhile: it stays
    throttle._timer.stop()
    throttle._due()
    assert reloads == ["P7", "P9"] and throttle.reloads == 2


def test_a_retrieve_from_orthanc_reports_each_study_imported(orthanc, tmp_path):
    """The library's generator: each study is in the library (history) before the retrieve ends."""
    from dosetrail.core.cli.main import main

    assert main(["pacs", "add", "arch", "--dicomweb", orthanc.dicomweb]) == 0
    lib = Library(f"sqlite:///{tmp_path / 'lib.db'}")
    try:
        gen = lib.retrieve_from_archive_iter("arch", PATIENT.patient_id, [], dose_only=True)
        seen_before_end: list[int] = []
        expected = set()
        try:
            while True:
                p = next(gen)
                if getattr(p, "instances_expected", 0):
                    expected.add(p.instances_expected)
                    assert 0 <= p.instances_received <= p.instances_expected
                if getattr(p, "studies_imported", None) and len(p.studies_imported) > len(seen_before_end):
                    history = lib.history(p.patients_touched[0])
                    seen_before_end.append(len(history.exams))
        except StopIteration as stop:
            summary = stop.value
        assert sorted(summary.studies_touched) == sorted(orthanc.study_uids)
        assert len(expected) == 1 and summary.instances_received == expected.pop()
        # each study was in the patient's history while later ones were still on their way
        assert seen_before_end[0] < len(orthanc.study_uids) and seen_before_end == sorted(seen_before_end)
        assert seen_before_end[-1] == len(orthanc.study_uids)
    finally:
        lib.close()


def test_cancel_in_the_dialog_stops_the_transfer_from_orthanc(qtbot, orthanc, monkeypatch, tmp_path):
    """A full retrieve over a slow network: the bar counts towards the announced total, Cancel stops the
    C-GET half-way, what arrived is in the library and the window shows it."""
    import time

    from dosetrail.core.cli.main import main
    from dosetrail.core.pacs import transfer as transfer_mod

    real = transfer_mod.Transfer._count

    def slow(self, path, size):
        time.sleep(0.03)
        real(self, path, size)

    monkeypatch.setattr(transfer_mod.Transfer, "_count", slow)
    assert main(["pacs", "add", "arch", "--dimse", f"{orthanc.aet}@127.0.0.1:{orthanc.dicom_port}"]) == 0
    total = sum(1 for _ in orthanc.files.rglob("*.dcm"))
    lib = Library(f"sqlite:///{tmp_path / 'lib.db'}")
    try:
        win = MainWindow(lib, watch_media=False)
        qtbot.addWidget(win)
        dialog = open_archive_find(win)
        dialog.patient_id.setText(PATIENT.patient_id)
        dialog.search_button.click()
        qtbot.waitUntil(lambda: dialog.table.rowCount() == len(orthanc.study_uids)
                        and dialog.search_button.isEnabled(), timeout=60000)
        dialog.dose_only.setChecked(False)
        dialog.retrieve_button.click()
        qtbot.waitUntil(lambda: dialog.progress.maximum() == total and dialog.progress.value() >= total // 3,
                        timeout=120000)
        with qtbot.waitSignal(dialog.retrieved, timeout=120000) as got:
            dialog.cancel_button.click()
        summary = dialog.summary
        assert summary.cancelled and total // 3 <= summary.instances_received < total
        assert summary.instances_imported == summary.instances_received
        assert dialog.message.text().startswith("Cancelled:")
        qtbot.waitUntil(lambda: win.controller.history is not None and sorted(
            e.study_instance_uid for e in win.controller.history.exams) == sorted(summary.studies_touched),
            timeout=60000)
        assert got.args[0] and 0 < len(summary.studies_touched) < len(orthanc.study_uids)
        qtbot.waitUntil(lambda: dialog.worker is None, timeout=60000)
        dialog.close()
    finally:
        lib.close()


def test_a_reload_that_does_not_follow_keeps_the_patient_shown(qapp):
    reloads: list[str | None] = []
    controller = SimpleNamespace(current_key="P1")
    controller.reload = lambda: reloads.append(controller.current_key)
    throttle = ThrottledReload(SimpleNamespace(controller=controller), interval_ms=0, follow=False)
    throttle.request(["P7"])
    assert reloads == ["P1"]  # refreshed (the list gains P7), the patient being read stays
    controller.current_key = None
    throttle._timer.stop()
    throttle.request(["P8"])
    assert reloads == ["P1", "P8"]  # nothing shown: the sender's patient is


def test_closing_the_window_cancels_a_retrieve(qtbot):
    lib = _fake()
    win = MainWindow(lib, watch_media=False)
    qtbot.addWidget(win)
    dialog = open_archive_find(win)
    dialog.patient_id.setText("P7")
    dialog.search_button.click()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2 and dialog.search_button.isEnabled(), timeout=60000)
    dialog.retrieve_button.click()
    qtbot.waitUntil(lambda: _shown(win) == ["1.2.3"], timeout=60000)
    cancel = dialog._cancel
    threading.Timer(0.2, lib.archive_gate.set).start()  # the fake goes on while the window closes
    win.close()
    assert cancel is not None and cancel.is_set()
    assert dialog.summary is None or dialog.summary.cancelled
