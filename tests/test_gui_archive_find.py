"""File > Find in archive…: search an archive, see the studies (in the library or not), retrieve
them dose-only with progress; errors as one message; against the fake and a real Orthanc."""
from __future__ import annotations

import os

from dosetrail.core.api import ArchiveInfo, ArchiveStudy, Library
from dosetrail.gui.dialogs.archive_find import COLUMNS, ArchiveFindDialog
from gui_fakes import FakeLibrary

from orthanc_server import PATIENT, orthanc  # noqa: F401 - the session fixture

IN_LIBRARY = COLUMNS.index("In library")


def _fake(**kw) -> FakeLibrary:
    lib = FakeLibrary(archive_list=[ArchiveInfo("hosp", "dimse", "ORTHANC@127.0.0.1:4242")], **kw)
    lib.archive_studies = [
        ArchiveStudy("1.2.3", "P7", "DOE^JANE", "20240105", ["CT", "SR"], "CT chest", 3, 250, False),
        ArchiveStudy("1.2.4", "P7", "DOE^JANE", "20230211", ["DX"], "Chest PA", 1, 2, True),
    ]
    return lib


def _dialog(qtbot, lib) -> ArchiveFindDialog:
    dialog = ArchiveFindDialog(lib)
    qtbot.addWidget(dialog)
    return dialog


def _search(qtbot, dialog, **fields) -> None:
    for name, value in fields.items():
        getattr(dialog, name).setText(value)
    dialog.search_button.click()
    qtbot.waitUntil(lambda: dialog.search_button.isEnabled(), timeout=60000)


def test_search_fills_the_table_and_retrieve_reports(qtbot, tmp_path):
    lib = _fake()
    dialog = _dialog(qtbot, lib)
    assert dialog.dose_only.isChecked()
    assert not dialog.retrieve_button.isEnabled()
    _search(qtbot, dialog, patient_id="P7")
    assert ("find_in_archive", "hosp", "P7", None, None) in lib.calls
    assert dialog.table.rowCount() == 2
    assert dialog.table.item(0, 0).text() == "2024-01-05"
    assert dialog.table.item(0, COLUMNS.index("Modalities")).text() == "CT, SR"
    assert dialog.table.item(0, COLUMNS.index("Instances")).text() == "250"
    assert [dialog.table.item(r, IN_LIBRARY).text() for r in range(2)] == ["no", "yes"]
    assert "2 studies found, 1 already in the library" in dialog.message.text()
    dialog.resize(820, 420)
    shot = tmp_path / "archive_find.png"
    assert dialog.grab().save(str(shot)) and shot.stat().st_size > 0

    dialog.table.clearSelection()
    dialog.table.selectRow(0)
    with qtbot.waitSignal(dialog.retrieved, timeout=60000) as got:
        dialog.retrieve_button.click()
    assert got.args == [["P7"]]
    assert ("retrieve_from_archive_iter", "hosp", "P7", ["1.2.3"], True) in lib.calls
    assert dialog.table.item(0, IN_LIBRARY).text() == "yes"
    qtbot.waitUntil(lambda: dialog.worker is None and dialog.progress.isHidden(), timeout=60000)
    assert "1 instance received (1,000 bytes), 1 imported" in dialog.message.text()
    assert dialog.close_button.isEnabled() and not dialog.cancel_button.isEnabled()


def test_dose_only_unchecked_asks_for_everything(qtbot):
    lib = _fake()
    dialog = _dialog(qtbot, lib)
    _search(qtbot, dialog, patient_name="DOE*")
    dialog.dose_only.setChecked(False)
    with qtbot.waitSignal(dialog.retrieved, timeout=60000):
        dialog.retrieve_button.click()
    assert ("retrieve_from_archive_iter", "hosp", "P7", ["1.2.3", "1.2.4"], False) in lib.calls


def test_an_unreachable_archive_is_one_message(qtbot):
    lib = _fake(archive_error="the archive hosp does not answer (127.0.0.1:4242)")
    dialog = _dialog(qtbot, lib)
    _search(qtbot, dialog, patient_id="P7")
    assert dialog.message.text() == "the archive hosp does not answer (127.0.0.1:4242)"
    assert "Traceback" not in dialog.message.text() and dialog.table.rowCount() == 0


def test_an_empty_search_asks_for_a_field(qtbot):
    lib = _fake()
    dialog = _dialog(qtbot, lib)
    dialog.search_button.click()
    assert "patient ID" in dialog.message.text()
    assert not [c for c in lib.calls if c[0] == "find_in_archive"]


def test_no_archive_says_how_to_add_one(qtbot, tmp_path):
    dialog = _dialog(qtbot, FakeLibrary())
    assert "dosetrail pacs add" in dialog.message.text()
    assert not dialog.search_button.isEnabled() and not dialog.retrieve_button.isEnabled()
    shot = tmp_path / "archive_find_none.png"
    assert dialog.grab().save(str(shot))


def test_the_window_opens_it_from_the_file_menu(qtbot):
    from dosetrail.gui.main_window import MainWindow

    win = MainWindow(_fake(), watch_media=False)
    qtbot.addWidget(win)
    file_menu = win.menuBar().actions()[0].menu()
    assert win.act_find_archive in file_menu.actions()
    win.act_find_archive.trigger()
    dialog = win.findChild(ArchiveFindDialog)
    assert dialog is not None and dialog.archive.currentData() == "hosp"
    dialog.close()


def test_find_then_retrieve_dose_only_from_orthanc(qtbot, orthanc, tmp_path):
    from dosetrail.core.cli.main import main

    assert main(["pacs", "add", "arch", "--dimse", f"{orthanc.aet}@127.0.0.1:{orthanc.dicom_port}"]) == 0
    lib = Library(f"sqlite:///{tmp_path / 'lib.db'}")
    try:
        dialog = _dialog(qtbot, lib)
        _search(qtbot, dialog, patient_id=PATIENT.patient_id)
        assert sorted(s.study_instance_uid for s in dialog.studies) == sorted(orthanc.study_uids)
        assert all(not s.in_library for s in dialog.studies)
        assert dialog.dose_only.isChecked()
        with qtbot.waitSignal(dialog.retrieved, timeout=300000) as got:
            dialog.retrieve_button.click()
        summary = dialog.summary
        n_files = sum(1 for _ in orthanc.files.rglob("*.dcm"))
        assert 0 < summary.instances_received < n_files  # dose only: not everything
        assert summary.bytes_received > 0 and not summary.files_rejected
        assert sorted(summary.studies_touched) == sorted(orthanc.study_uids)
        assert got.args[0] and lib.history(got.args[0][0]) is not None
        history = lib.history(got.args[0][0])
        assert sorted(e.study_instance_uid for e in history.exams) == sorted(orthanc.study_uids)
        assert all(dialog.table.item(r, IN_LIBRARY).text() == "yes" for r in range(dialog.table.rowCount()))
        # searched again, the archive's studies show as already in the library
        _search(qtbot, dialog, patient_id=PATIENT.patient_id)
        assert all(s.in_library for s in dialog.studies)
        qtbot.waitUntil(lambda: dialog.worker is None, timeout=60000)
        if os.environ.get("DOSETRAIL_SHOTS"):
            dialog.grab().save(os.path.join(os.environ["DOSETRAIL_SHOTS"], "archive_find_orthanc.png"))
    finally:
        lib.close()


def test_cancel_stops_the_retrieve_and_keeps_what_arrived(qtbot):
    import threading

    lib = _fake(archive_gate=threading.Event())
    dialog = _dialog(qtbot, lib)
    _search(qtbot, dialog, patient_id="P7")
    dialog.retrieve_button.click()
    assert dialog.cancel_button.isEnabled() and not dialog.progress.isHidden()
    assert not dialog.close_button.isEnabled() and not dialog.retrieve_button.isEnabled()
    dialog.cancel_button.click()
    with qtbot.waitSignal(dialog.retrieved, timeout=60000) as got:
        lib.archive_gate.set()
    assert got.args == [["P7"]] and dialog.summary.cancelled
    assert dialog.message.text().startswith("Cancelled: 1 instance received")
    assert [dialog.table.item(r, IN_LIBRARY).text() for r in range(2)] == ["yes", "yes"]  # 1.2.4 was held already
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=60000)


def test_a_retrieve_shows_the_patient_in_the_window(qtbot):
    from dosetrail.gui.dialogs.archive_find import open_archive_find
    from dosetrail.gui.main_window import MainWindow

    lib = _fake()
    lib.histories.update(FakeLibrary.populated().histories)
    win = MainWindow(lib, watch_media=False)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.controller.history is not None, timeout=60000)
    first = win.controller.current_key
    other = next(k for k in lib.histories if k != first)
    dialog = open_archive_find(win)
    dialog.retrieved.emit([other])
    qtbot.waitUntil(lambda: win.controller.history is not None and win.controller.history.patient.key == other,
                    timeout=60000)
    dialog.close()
