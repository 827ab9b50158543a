"""File > Receive from archives: the storage listener switched on and off in the window (off the GUI
thread), "Listening as AET on port N" in the status bar, a C-STORE landing shows the patient,
off frees the port, a port in use is one message. Against the fake and the real library."""
from __future__ import annotations

import os
import socket

from dosetrail.core.api import Library
from dosetrail.gui.main_window import MainWindow
from dosetrail.gui.settings_store import SettingsStore
from gui_fakes import FakeLibrary
from synth import PatientSpec, make_ct_rdsr, make_ct_series, new_uid, write_study

from orthanc_server import free_port

PATIENT = PatientSpec("RCV-2002", "SENDER^SAM", "19700101", "M")


def _window(qtbot, lib, tmp_path, aet=None, port=None) -> MainWindow:
    store = SettingsStore.at_path(str(tmp_path / "window.ini"))
    store.set_listener(aet, port)
    win = MainWindow(lib, store=store, watch_media=False)
    qtbot.addWidget(win)
    return win


def _file_menu(win):
    return win.menuBar().actions()[0].menu()


def test_the_switch_starts_and_stops_the_listener(qtbot, tmp_path):
    lib = FakeLibrary.populated()
    win = _window(qtbot, lib, tmp_path)
    switch = win.listener_switch
    assert win.act_receive in _file_menu(win).actions() and win.act_receive.isCheckable()
    with qtbot.waitSignal(switch.listeningChanged, timeout=30000) as on:
        win.act_receive.trigger()
    assert on.args == [True] and win.act_receive.isChecked()
    assert ("receive_iter", None, None) in lib.calls  # the defaults of `dosetrail receive`
    qtbot.waitUntil(lambda: switch.status.text() == "Listening as DOSETRAIL on port 11112", timeout=30000)
    assert not switch.status.isHidden()
    with qtbot.waitSignal(switch.listeningChanged, timeout=30000) as off:
        win.act_receive.trigger()
    assert off.args == [False] and not win.act_receive.isChecked() and switch.status.isHidden()
    assert switch.worker is None


def test_a_port_in_use_is_one_message_and_the_switch_goes_off(qtbot, tmp_path):
    lib = FakeLibrary.populated()
    lib.receive_error = "cannot listen on port 11112 (Address already in use); choose another --port"
    win = _window(qtbot, lib, tmp_path)
    win.act_receive.trigger()
    qtbot.waitUntil(lambda: win.listener_switch.worker is None, timeout=30000)
    assert not win.act_receive.isChecked()
    assert win.listener_switch.last_error == ("The listener could not run: cannot listen on port 11112 "
                                              "(Address already in use); choose another --port")
    assert win.presenter.last_message.text() == win.listener_switch.last_error
    assert "Traceback" not in win.listener_switch.last_error


def _send(port: int, aet: str, folder) -> int:
    from pynetdicom import AE, StoragePresentationContexts

    ae = AE(ae_title="MODALITY")
    ae.requested_contexts = StoragePresentationContexts
    assoc = ae.associate("127.0.0.1", port, ae_title=aet)
    assert assoc.is_established
    try:
        statuses = [assoc.send_c_store(str(p)).Status for p in sorted(folder.rglob("*.dcm"))]
    finally:
        assoc.release()
    assert statuses and set(statuses) == {0}
    return len(statuses)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("", port))
        except OSError:
            return False
    return True


def test_a_c_store_lands_in_the_window_and_off_frees_the_port(qtbot, tmp_path):
    uid = new_uid()
    write_study(make_ct_series(PATIENT, study_uid=uid, n_slices=4, ctdivol=8.0)
                + [make_ct_rdsr(PATIENT, study_uid=uid)], tmp_path / "study")
    port = free_port()
    lib = Library(f"sqlite:///{tmp_path / 'lib.db'}")
    try:
        win = _window(qtbot, lib, tmp_path, aet="DTWINDOW", port=port)
        win.show()
        switch = win.listener_switch
        with qtbot.waitSignal(switch.listeningChanged, timeout=60000):
            win.act_receive.setChecked(True)
        assert switch.status.text() == f"Listening as DTWINDOW on port {port}"
        assert not _port_free(port)
        sent = _send(port, "DTWINDOW", tmp_path / "study")
        qtbot.waitUntil(lambda: win.controller.history is not None
                        and [e.study_instance_uid for e in win.controller.history.exams] == [uid], timeout=120000)
        assert win.controller.history.patient.name == PATIENT.name
        qtbot.waitUntil(lambda: f"{sent} instances received, {sent} imported" in switch.status.text(), timeout=60000)
        shot = os.environ.get("DOSETRAIL_SHOTS") or str(tmp_path)
        assert win.grab().save(os.path.join(shot, "listener_window.png"))
        with qtbot.waitSignal(switch.listeningChanged, timeout=60000):
            win.act_receive.setChecked(False)
        assert _port_free(port) and switch.status.isHidden()
    finally:
        lib.close()


def test_a_real_port_in_use_says_so(qtbot, tmp_path):
    with socket.socket() as busy:
        busy.bind(("", 0))
        busy.listen()
        port = busy.getsockname()[1]
        lib = Library(f"sqlite:///{tmp_path / 'lib.db'}")
        try:
            win = _window(qtbot, lib, tmp_path, port=port)
            win.act_receive.setChecked(True)
            qtbot.waitUntil(lambda: win.listener_switch.last_error is not None, timeout=60000)
            qtbot.waitUntil(lambda: win.listener_switch.worker is None, timeout=60000)
            assert f"cannot listen on port {port}" in win.listener_switch.last_error
            assert "Traceback" not in win.listener_switch.last_error and not win.act_receive.isChecked()
        finally:
            lib.close()


def test_the_settings_dialog_sets_the_listeners_aet_and_port(qtbot, tmp_path, monkeypatch):
    from dosetrail.gui.dialogs.settings import SettingsDialog

    lib = FakeLibrary.populated()
    win = _window(qtbot, lib, tmp_path)

    def edit(dialog):
        assert dialog.listener() == (None, None)  # the defaults, shown as such
        assert dialog.listener_aet.placeholderText() == "DOSETRAIL"
        assert dialog.listener_port.text().startswith("11112")
        shot = os.environ.get("DOSETRAIL_SHOTS") or str(tmp_path)
        assert dialog.grab().save(os.path.join(shot, "settings_listener.png"))
        dialog.listener_aet.setText(" DTDESK ")
        dialog.listener_port.setValue(4106)
        return SettingsDialog.DialogCode.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", edit)
    win.presenter.open_settings()
    assert win.store.listener() == ("DTDESK", 4106)
    win.act_receive.setChecked(True)
    qtbot.waitUntil(lambda: win.listener_switch.status.text() == "Listening as DTDESK on port 4106", timeout=30000)
    assert ("receive_iter", "DTDESK", 4106) in lib.calls
    win.act_receive.setChecked(False)
    qtbot.waitUntil(lambda: win.listener_switch.worker is None, timeout=30000)


def test_a_study_arriving_leaves_the_patient_being_read(qtbot, tmp_path):
    """The listener refreshes the window (the list gains the sender's patient) without leaving the patient shown."""
    uid = new_uid()
    write_study([make_ct_rdsr(PATIENT, study_uid=uid)], tmp_path / "study")
    other = PatientSpec("READ-1", "READING^RITA", "19600101", "F")
    write_study([make_ct_rdsr(other, study_uid=new_uid())], tmp_path / "reading")
    port = free_port()
    lib = Library(f"sqlite:///{tmp_path / 'lib.db'}")
    try:
        lib.run_import([str(tmp_path / "reading")])
        win = _window(qtbot, lib, tmp_path, aet="DTWINDOW", port=port)
        qtbot.waitUntil(lambda: win.controller.history is not None, timeout=60000)
        reading = win.controller.current_key
        with qtbot.waitSignal(win.listener_switch.listeningChanged, timeout=60000):
            win.act_receive.setChecked(True)
        _send(port, "DTWINDOW", tmp_path / "study")
        qtbot.waitUntil(lambda: win.patient_model.rowCount() == 2, timeout=120000)
        assert win.controller.current_key == reading and win.controller.history.patient.name == other.name
        with qtbot.waitSignal(win.listener_switch.listeningChanged, timeout=60000):
            win.act_receive.setChecked(False)
    finally:
        lib.close()
