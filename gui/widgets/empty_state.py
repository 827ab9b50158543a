"""What an empty library shows: how to import the first study."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..icons import icon
from ..style import large_font


class EmptyLibraryWidget(QWidget):
    """A friendly first screen with one button per way to import."""

    importFolder = Signal()
    importArchive = Signal()
    importLink = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Welcome to DoseTrail", self)
        title.setFont(large_font(self.font(), 1.8))
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(
            "Your library is empty. Import the images you were given: a CD or USB stick "
            "from the hospital, a folder, a ZIP file downloaded from a patient portal, or a "
            "download link. You can also drag files or folders onto this window.\n\n"
            "DoseTrail keeps a copy in its own library and estimates the radiation dose of "
            "every exam it can.", self)
        text.setWordWrap(True)
        text.setFont(large_font(self.font(), 1.15))
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setFixedWidth(640)
        text.setMinimumHeight(text.heightForWidth(640) + 8)
        self.folder_button = QPushButton(icon("import-folder"), "Import a &folder, CD or USB stick…", self)
        self.archive_button = QPushButton(icon("import-archive"), "Import a &ZIP archive…", self)
        self.link_button = QPushButton(icon("import-link"), "Import from a &link…", self)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button, signal, name in ((self.folder_button, self.importFolder, "Import a folder"),
                                     (self.archive_button, self.importArchive, "Import a ZIP archive"),
                                     (self.link_button, self.importLink, "Import from a link")):
            button.setIconSize(QSize(24, 24))
            button.setMinimumHeight(40)
            button.setAccessibleName(name)
            button.clicked.connect(signal)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(title)
        layout.addSpacing(12)
        layout.addWidget(text, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(20)
        layout.addLayout(buttons)
        layout.addStretch(3)
