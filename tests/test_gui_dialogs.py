"""Settings dialog, merge/split dialogs and the window-state store."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMainWindow, QSplitter, QWidget

from dosetrail.core.config import Settings
from dosetrail.gui.dialogs.merge_split import MergePatientsDialog, SplitPatientDialog
from dosetrail.gui.dialogs.settings import SettingsDialog
from dosetrail.gui.settings_store import SettingsStore
from gui_fakes import FakeLibrary

pytestmark = pytest.mark.gui


def test_settings_dialog_round_trip(qtbot, tmp_path):
    original = Settings(factor_set="AAPM-96", drl_set="UK-2022", background_msv_per_year=2.4,
                        default_uncertainty=0.5)
    d = SettingsDialog(original, str(tmp_path / "home"))
    qtbot.addWidget(d)
    assert d.settings() == original and not d.settings_changed()
    d.factor_set.setCurrentText("ICRP-103-NCI")
    d.drl_set.setCurrentText("IE-2012")
    d.background.setValue(3.7)
    d.uncertainty.setValue(40)
    d.data_folder.setText(f"  {tmp_path / 'other'}  ")
    got = d.settings()
    assert got == Settings(factor_set="ICRP-103-NCI", drl_set="IE-2012",
                           background_msv_per_year=3.7, default_uncertainty=0.4)
    assert d.settings_changed()
    assert d.data_folder_path() == str(tmp_path / "other")
    assert original.factor_set == "AAPM-96"  # input not modified
    # round trip through the saved settings file
    got.save(tmp_path)
    again = SettingsDialog(Settings.load(tmp_path), "x")
    qtbot.addWidget(again)
    assert again.settings() == got


def test_settings_labels_have_buddies_and_the_folder_field_stretches(qtbot, tmp_path):
    from PySide6.QtWidgets import QFormLayout, QLabel

    folder = str(tmp_path / "a" / "rather" / "long" / "path" / "to" / "the" / "dosetrail" / "data")
    d = SettingsDialog(Settings(), folder)
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    form = d.findChild(QFormLayout)
    for row in range(form.rowCount()):
        label = form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget()
        assert isinstance(label, QLabel) and label.buddy() is not None, label.text()
    assert d.data_folder_label.buddy() is d.data_folder  # Alt+D reaches the folder field
    assert d.data_folder_label.text() == "&Data folder:"  # shown as "Data folder:", D underlined
    width = d.data_folder.width()
    assert width >= d.data_folder.fontMetrics().horizontalAdvance("x") * 40
    d.resize(d.width() + 200, d.height())
    qtbot.waitUntil(lambda: d.data_folder.width() >= width + 150, timeout=2000)
    assert d.data_folder.toolTip() == folder


def test_merge_dialog_calls_library(qtbot):
    lib = FakeLibrary.populated()
    patients = lib.patients()
    d = MergePatientsDialog(lib, patients, current_key="P2")
    qtbot.addWidget(d)
    assert d.keep.currentData() == "P2" and d.other.currentData() != "P2"
    d.other.setCurrentIndex(d.other.findData("P1"))
    d.accept()
    assert ("merge_patients", "P2", "P1") in lib.calls
    assert d.merged_key == "P2" and d.result() == d.DialogCode.Accepted


def test_merge_dialog_refuses_same_patient(qtbot):
    lib = FakeLibrary.populated()
    d = MergePatientsDialog(lib, lib.patients(), current_key="P1")
    qtbot.addWidget(d)
    d.other.setCurrentIndex(d.other.findData("P1"))
    assert not d.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    d.accept()
    assert not any(c[0] == "merge_patients" for c in lib.calls)
    assert "different" in d.message.text()


def test_split_dialog_calls_library_with_ticked_ids(qtbot):
    lib = FakeLibrary.populated()
    patient = lib.history("P1").patient
    d = SplitPatientDialog(lib, patient)
    qtbot.addWidget(d)
    ok = d.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # nothing ticked
    d.set_checked(patient.patient_ids)
    assert not ok.isEnabled()  # everything ticked
    d.set_checked([patient.patient_ids[1]])
    assert ok.isEnabled()
    d.accept()
    assert ("split_patient", "P1", [patient.patient_ids[1]]) in lib.calls
    assert d.new_key == "P1-split"


def test_split_dialog_reports_library_error(qtbot):
    lib = FakeLibrary.populated()

    def boom(key, ids):
        raise ValueError("identifier in use")

    lib.split_patient = boom
    patient = lib.history("P1").patient
    d = SplitPatientDialog(lib, patient)
    qtbot.addWidget(d)
    d.set_checked([patient.patient_ids[0]])
    d.accept()
    assert "identifier in use" in d.message.text()
    assert d.result() != d.DialogCode.Accepted


def test_settings_store_round_trip(qtbot, tmp_path):
    store = SettingsStore.at_path(str(tmp_path / "ui.ini"))
    win = QMainWindow()
    qtbot.addWidget(win)
    split = QSplitter()
    split.addWidget(QWidget())
    split.addWidget(QWidget())
    win.setCentralWidget(split)
    win.resize(800, 500)
    win.show()
    split.setSizes([300, 500])
    sizes = split.sizes()
    store.save_window(win)
    store.save_splitter("main", split)
    store.set_last_view("clinician")
    store.set_flag("show_bars", True)
    store.set_data_folder(str(tmp_path / "lib"))
    store.sync()

    again = SettingsStore.at_path(str(tmp_path / "ui.ini"))
    split.setSizes([700, 100])
    assert again.restore_splitter("main", split)
    assert split.sizes() == sizes
    assert again.last_view() == "clinician"
    assert again.flag("show_bars", False) is True
    assert again.flag("never_set", True) is True
    assert again.data_folder() == str(tmp_path / "lib")
    win2 = QMainWindow()
    qtbot.addWidget(win2)
    assert again.restore_window(win2)
    assert SettingsStore.at_path(str(tmp_path / "empty.ini")).last_view() == "patient"
