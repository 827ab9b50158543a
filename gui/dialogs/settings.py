"""The Settings dialog: factor set, reference levels, background rate, data folder, file store, the listener's AE title and port."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dosetrail.core.api import DRL_SETS, FACTOR_SETS, RECEIVE_AET, RECEIVE_PORT, Settings, StoreLocation

FACTOR_SET_HELP = {
    "AAPM-96": "AAPM Report 96 (2008) k-factors (ICRP 60 weights) – the default",
    "ICRP-103-NCI": "ICRP 103 weights (NCI-based k-factors)",
}


class SettingsDialog(QDialog):
    """Edit :class:`Settings` and the data folder.

    Parameters
    ----------
    settings : Settings
        Current settings (not modified).
    data_folder : str
        Current data folder (``DOSETRAIL_HOME``); a change takes effect on restart.
    parent : QWidget, optional
    listener : (str or None, int or None)
        File > Receive from archives: its AE title and port (None: ``dosetrail receive``'s defaults).
    store : StoreLocation, optional
        Where the library's file store is on this machine (editable unless ``DOSETRAIL_STORE``
        chose it for this run).
    """

    def __init__(self, settings: Settings, data_folder: str, parent: QWidget | None = None,
                 listener: tuple[str | None, int | None] = (None, None),
                 store: StoreLocation | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("DoseTrail settings")
        self._original = settings
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.factor_set = QComboBox(self)
        for name in FACTOR_SETS:
            self.factor_set.addItem(name, name)
            self.factor_set.setItemData(self.factor_set.count() - 1, FACTOR_SET_HELP.get(name, name),
                                        Qt.ItemDataRole.ToolTipRole)
        self.factor_set.setCurrentText(settings.factor_set)
        self.factor_set.setAccessibleName("Dose factor set")
        form.addRow("&Factor set:", self.factor_set)

        self.drl_set = QComboBox(self)
        self.drl_set.addItems(list(DRL_SETS))
        self.drl_set.setCurrentText(settings.drl_set)
        self.drl_set.setAccessibleName("Diagnostic reference level set")
        form.addRow("&Reference levels:", self.drl_set)

        self.background = QDoubleSpinBox(self)
        self.background.setRange(0.1, 20.0)
        self.background.setSingleStep(0.1)
        self.background.setDecimals(2)
        self.background.setSuffix(" mSv/year")
        self.background.setValue(settings.background_msv_per_year)
        self.background.setAccessibleName("Natural background dose rate in millisievert per year")
        self.background.setToolTip("World average 2.4 mSv a year (UNSCEAR 2000); "
                                   "use your country's value if you know it")
        form.addRow("&Natural background:", self.background)

        self.uncertainty = QDoubleSpinBox(self)
        self.uncertainty.setRange(0.0, 300.0)
        self.uncertainty.setSingleStep(5.0)
        self.uncertainty.setDecimals(0)
        self.uncertainty.setPrefix("± ")
        self.uncertainty.setSuffix(" %")
        self.uncertainty.setValue(settings.default_uncertainty * 100)
        self.uncertainty.setAccessibleName("Default uncertainty in percent")
        form.addRow("Default &uncertainty:", self.uncertainty)

        self.data_folder = QLineEdit(data_folder, self)
        self.data_folder.setAccessibleName("Data folder")
        browse = QPushButton("&Browse…", self)
        browse.setAccessibleName("Choose data folder")
        browse.clicked.connect(self._browse)
        self.data_folder.setMinimumWidth(self.data_folder.fontMetrics().horizontalAdvance("x") * 48)
        self.data_folder.setToolTip(data_folder)
        self.data_folder.textChanged.connect(self.data_folder.setToolTip)
        row = QHBoxLayout()
        row.addWidget(self.data_folder, 1)
        row.addWidget(browse)
        # addRow(str, layout) makes a label without a buddy: the mnemonic would show as a literal "&"
        self.data_folder_label = QLabel("&Data folder:", self)
        self.data_folder_label.setBuddy(self.data_folder)
        form.addRow(self.data_folder_label, row)
        self._store = store
        self.store_folder = QLineEdit(str(store.path) if store is not None else "", self)
        self.store_folder.setAccessibleName("File store folder")
        self.store_folder.setToolTip("Where this library keeps its copies of the imported files on this "
                                     "machine (a shared folder, say); they are not moved")
        store_browse = QPushButton("B&rowse…", self)
        store_browse.setAccessibleName("Choose file store folder")
        store_browse.clicked.connect(self._browse_store)
        store_row = QHBoxLayout()
        store_row.addWidget(self.store_folder, 1)
        store_row.addWidget(store_browse)
        self.store_label = QLabel("File &store:", self)
        self.store_label.setBuddy(self.store_folder)
        form.addRow(self.store_label, store_row)
        if store is None or store.source == "DOSETRAIL_STORE":  # this run's environment decides
            self.store_folder.setEnabled(False)
            store_browse.setEnabled(False)
            if store is not None:
                self.store_folder.setToolTip("Chosen for this run by DOSETRAIL_STORE")
        self.listener_aet = QLineEdit(listener[0] or "", self)
        self.listener_aet.setPlaceholderText(RECEIVE_AET)
        self.listener_aet.setMaxLength(16)
        self.listener_aet.setAccessibleName("AE title to receive as")
        self.listener_aet.setToolTip("The AE title archives and modalities send to (File > Receive from archives)")
        form.addRow("Receive as &AE title:", self.listener_aet)
        self.listener_port = QSpinBox(self)
        self.listener_port.setRange(0, 65535)
        self.listener_port.setSpecialValueText(f"{RECEIVE_PORT} (default)")
        self.listener_port.setValue(listener[1] or 0)
        self.listener_port.setAccessibleName("Port to receive on")
        form.addRow("Receive on &port:", self.listener_port)
        note = QLabel("A new data folder is used the next time DoseTrail starts. A new file store "
                      "folder must already hold this library's files (the store moved, or a shared "
                      "folder mounted here); nothing is copied. Changing the factor set recomputes "
                      "every estimate. The AE title and port are used the next time File > Receive "
                      "from archives is switched on.", self)
        note.setWordWrap(True)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Data folder", self.data_folder.text())
        if folder:
            self.data_folder.setText(folder)

    def _browse_store(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "File store", self.store_folder.text())
        if folder:
            self.store_folder.setText(folder)

    def store_path(self) -> str | None:
        """The file store folder as edited, or None when unchanged (or not editable)."""
        if self._store is None or not self.store_folder.isEnabled():
            return None
        edited = self.store_folder.text().strip()
        return edited if edited and edited != str(self._store.path) else None

    def settings(self) -> Settings:
        """The settings as edited."""
        return replace(self._original, factor_set=self.factor_set.currentText(),
                       drl_set=self.drl_set.currentText(),
                       background_msv_per_year=round(self.background.value(), 3),
                       default_uncertainty=round(self.uncertainty.value() / 100.0, 4))

    def listener(self) -> tuple[str | None, int | None]:
        """The listener's AE title and port as edited (None: the default)."""
        return self.listener_aet.text().strip() or None, self.listener_port.value() or None

    def data_folder_path(self) -> str:
        """The data folder as edited (stripped)."""
        return self.data_folder.text().strip()

    def settings_changed(self) -> bool:
        """True when :meth:`settings` differs from the settings passed in."""
        return self.settings() != self._original
