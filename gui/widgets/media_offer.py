"""A non-modal bar offering to import a CD or USB stick that was just inserted."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from ..icons import icon


class MediaOfferBar(QFrame):
    """Hidden until :meth:`offer`; ``importRequested(mount_point)`` on Import."""

    importRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setAccessibleName("New media found")
        self.label = QLabel(self)
        self.import_button = QPushButton(icon("import-folder"), "&Import it", self)
        self.import_button.setAccessibleName("Import the inserted media")
        self.dismiss_button = QPushButton("Not now", self)
        self.dismiss_button.setAccessibleName("Dismiss the media offer")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.import_button)
        layout.addWidget(self.dismiss_button)
        self.import_button.clicked.connect(self._accept)
        self.dismiss_button.clicked.connect(self.hide)
        self.mount_point = ""
        self.hide()

    def offer(self, mount_point: str, label: str = "") -> None:
        """Show the offer for ``mount_point`` (named ``label`` if given)."""
        self.mount_point = mount_point
        name = f"“{label}”" if label else mount_point
        self.label.setText(f"A disc or drive {name} was inserted. Import its images?")
        self.show()

    def _accept(self) -> None:
        self.hide()
        self.importRequested.emit(self.mount_point)
