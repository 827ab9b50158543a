"""Dialogs to merge two patients and to split identifiers off a patient.

Both call the library when accepted (``merge_patients`` / ``split_patient``)
and keep the dialog open with a message when the choice is not valid.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dosetrail.core.api import PatientSummary

from ..formatting import fmt_birth_date, plural
from ..models.patients import display_name


def _label(p: PatientSummary) -> str:
    ids = ", ".join(i for i, _ in p.patient_ids)
    return f"{display_name(p.name)} – {fmt_birth_date(p.birth_date, 'no birth date')} – {ids} ({plural(p.exam_count, 'exam')})"


class MergePatientsDialog(QDialog):
    """Merge ``other`` into ``keep``: the two records are one person.

    Parameters
    ----------
    library : Library
        Facade whose ``merge_patients(keep_key, other_key)`` is called on OK.
    patients : list of PatientSummary
        Candidates.
    current_key : str, optional
        Preselected as the patient to keep.
    parent : QWidget, optional
    """

    def __init__(self, library, patients: list[PatientSummary], current_key: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Merge patients")
        self._library = library
        self.merged_key: str | None = None
        self.keep = QComboBox(self)
        self.other = QComboBox(self)
        for combo, name in ((self.keep, "Patient to keep"), (self.other, "Patient to merge into it")):
            for p in patients:
                combo.addItem(_label(p), p.key)
            combo.setAccessibleName(name)
        if current_key is not None and self.keep.findData(current_key) >= 0:
            self.keep.setCurrentIndex(self.keep.findData(current_key))
        if self.other.currentData() == self.keep.currentData() and self.other.count() > 1:
            self.other.setCurrentIndex(1 if self.keep.currentIndex() == 0 else 0)
        form = QFormLayout()
        form.addRow("&Keep:", self.keep)
        form.addRow("&Merge into it:", self.other)
        intro = QLabel("Use this when two records belong to the same person (for example the "
                       "same patient with IDs from two hospitals). All exams and identifiers "
                       "of the second record move to the first.", self)
        intro.setWordWrap(True)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Merge")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.keep.currentIndexChanged.connect(self._validate)
        self.other.currentIndexChanged.connect(self._validate)
        self._validate()

    def _validate(self, *_args) -> bool:
        ok = self.keep.currentData() is not None and self.keep.currentData() != self.other.currentData()
        self.message.setText("" if ok else "Choose two different patients.")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        return ok

    def accept(self) -> None:  # noqa: D102
        if not self._validate():
            return
        try:
            self._library.merge_patients(self.keep.currentData(), self.other.currentData())
        except Exception as exc:  # noqa: BLE001 - shown to the user, dialog stays open
            self.message.setText(f"Could not merge: {exc}")
            return
        self.merged_key = self.keep.currentData()
        super().accept()


class SplitPatientDialog(QDialog):
    """Move some identifiers (and their studies) of a patient to a new patient.

    Parameters
    ----------
    library : Library
        Facade whose ``split_patient(key, identifiers)`` is called on OK.
    patient : PatientSummary
        The patient to split; needs at least two identifiers.
    parent : QWidget, optional
    """

    def __init__(self, library, patient: PatientSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Split patient")
        self._library = library
        self._patient = patient
        self.new_key: str | None = None
        intro = QLabel(f"Tick the identifiers of <b>{display_name(patient.name)}</b> that belong to "
                       "a different person. They and their exams move to a new patient.", self)
        intro.setWordWrap(True)
        self.ids = QListWidget(self)
        self.ids.setAccessibleName("Patient identifiers to move")
        for pid, issuer in patient.patient_ids:
            item = QListWidgetItem(f"{pid}  (issuer: {issuer or 'none'})")
            item.setData(Qt.ItemDataRole.UserRole, (pid, issuer))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.ids.addItem(item)
        self.ids.itemChanged.connect(self._validate)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Split")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.ids)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self._validate()

    def set_checked(self, identifiers: list[tuple[str, str]]) -> None:
        """Tick exactly ``identifiers`` (for keyboard-free use and tests)."""
        wanted = {tuple(i) for i in identifiers}
        for row in range(self.ids.count()):
            item = self.ids.item(row)
            state = Qt.CheckState.Checked if tuple(item.data(Qt.ItemDataRole.UserRole)) in wanted \
                else Qt.CheckState.Unchecked
            item.setCheckState(state)

    def checked(self) -> list[tuple[str, str]]:
        """The ticked ``(id, issuer)`` pairs."""
        out = []
        for row in range(self.ids.count()):
            item = self.ids.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(tuple(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def _validate(self, *_args) -> bool:
        n, total = len(self.checked()), self.ids.count()
        if total < 2:
            msg = "This patient has only one identifier; there is nothing to split off."
        elif n == 0:
            msg = "Tick at least one identifier to move."
        elif n == total:
            msg = "Leave at least one identifier with this patient."
        else:
            msg = ""
        self.message.setText(msg)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not msg)
        return not msg

    def accept(self) -> None:  # noqa: D102
        if not self._validate():
            return
        try:
            self.new_key = self._library.split_patient(self._patient.key, self.checked())
        except Exception as exc:  # noqa: BLE001 - shown to the user, dialog stays open
            self.message.setText(f"Could not split: {exc}")
            return
        super().accept()
