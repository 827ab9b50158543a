"""Settings > File store: this machine's path to the library's file store, from the window."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from dosetrail.core.api import Library, StoreLocation
from dosetrail.core.config import Settings
from dosetrail.gui.dialogs.settings import SettingsDialog
from dosetrail.gui.main_window import MainWindow
from dosetrail.gui.settings_store import SettingsStore
from gui_fakes import FakeLibrary
from synth import PatientSpec, make_ct_series, write_study

pytestmark = pytest.mark.gui


def _window(qtbot, lib, tmp_path) -> MainWindow:
    win = MainWindow(lib, store=SettingsStore.at_path(str(tmp_path / "window.ini")), watch_media=False)
    qtbot.addWidget(win)
    return win


def test_the_dialog_shows_the_store_and_gives_only_a_changed_path(qtbot, tmp_path):
    d = SettingsDialog(Settings(), str(tmp_path), store=StoreLocation(tmp_path / "store", "default"))
    qtbot.addWidget(d)
    assert d.store_folder.text() == str(tmp_path / "store") and d.store_folder.isEnabled()
    assert d.store_path() is None  # unchanged
    d.store_folder.setText(f" {tmp_path / 'share'} ")
    assert d.store_path() == str(tmp_path / "share")
    assert d.store_label.buddy() is d.store_folder


def test_a_store_chosen_by_the_environment_is_not_editable(qtbot, tmp_path):
    d = SettingsDialog(Settings(), str(tmp_path), store=StoreLocation(tmp_path / "env", "DOSETRAIL_STORE"))
    qtbot.addWidget(d)
    assert not d.store_folder.isEnabled() and "DOSETRAIL_STORE" in d.store_folder.toolTip()
    d.store_folder.setText(str(tmp_path / "x"))
    assert d.store_path() is None


def test_the_window_points_the_library_at_the_new_store_or_says_why_not(qtbot, tmp_path, monkeypatch):
    lib = FakeLibrary.populated()
    win = _window(qtbot, lib, tmp_path)
    (tmp_path / "share").mkdir()
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: warnings.append(text))

    def edit_to(path):
        def edit(dialog):
            dialog.store_folder.setText(path)
            return SettingsDialog.DialogCode.Accepted
        return edit

    monkeypatch.setattr(SettingsDialog, "exec", edit_to(str(tmp_path / "share")))
    win.presenter.open_settings()
    assert ("set_store", str(tmp_path / "share")) in lib.calls
    assert lib.store_location.path == tmp_path / "share" and warnings == []
    monkeypatch.setattr(SettingsDialog, "exec", edit_to(str(tmp_path / "not-mounted")))
    win.presenter.open_settings()
    assert lib.store_location.path == tmp_path / "share"  # unchanged
    assert warnings and "not-mounted" in warnings[0]


def test_a_moved_store_is_found_again_from_the_settings(qtbot, tmp_path, monkeypatch):
    """The real library: the store moved to another folder; pointing Settings at it keeps every file."""
    write_study(make_ct_series(PatientSpec("STORE1", "STORE^ONE"), n_slices=3), tmp_path / "cd")
    lib = Library()
    lib.run_import([str(tmp_path / "cd")])
    old = Path(lib.store_root)
    moved = tmp_path / "moved-store"
    shutil.copytree(old, moved)
    win = _window(qtbot, lib, tmp_path)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: pytest.fail(f"warning: {a[2]}"))

    def edit(dialog):
        dialog.store_folder.setText(str(moved))
        shot = os.environ.get("DOSETRAIL_SHOTS") or str(tmp_path)
        assert dialog.grab().save(os.path.join(shot, "settings_store.png"))
        return SettingsDialog.DialogCode.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", edit)
    shutil.rmtree(old)
    win.presenter.open_settings()
    assert lib.store_location.path == moved and Path(lib.store_root) == moved
    [uid] = [e.study_instance_uid for e in lib.history(lib.patients()[0].key).exams]
    assert all(Path(p).exists() for p in lib.study_files(uid)) and len(lib.study_files(uid)) == 3
    assert Settings.load(lib.home).store == str(moved)
    lib.close()
