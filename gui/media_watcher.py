"""Notice a CD or USB stick with DICOM studies being inserted.

:class:`MediaWatcher` compares the root paths of
:meth:`QStorageInfo.mountedVolumes` every few seconds (cheap: no disk is
read on the GUI thread). When new volumes appear it asks the library, on a
pool thread, which removable volumes hold DICOM data
(``Library.removable_media()`` lists only volumes with a DICOMDIR or files
with the ``DICM`` marker) and emits :attr:`mediaInserted`.
"""
from __future__ import annotations

import os

from PySide6.QtCore import QObject, QStorageInfo, QTimer, Signal, Slot

from .workers import run_in_pool

def _norm(path: str) -> str:
    return os.path.normcase(os.path.normpath(str(path)))


class MediaWatcher(QObject):
    """Emits :attr:`mediaInserted` for new removable volumes that hold DICOM.

    Parameters
    ----------
    library
        ``dosetrail.core.api.Library`` (``removable_media()`` runs on a pool thread).
    parent
        Owner.
    interval_ms
        Polling period.
    report_existing
        Also report media already inserted when watching starts.
    """

    mediaInserted = Signal(str, str)  # mount point, label

    def __init__(self, library, parent: QObject | None = None, interval_ms: int = 3000,
                 report_existing: bool = False) -> None:
        super().__init__(parent)
        self.library = library
        self.report_existing = report_existing
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)
        self._known: set[str] | None = None
        self._waiting: set[str] = set()
        self._checking = False

    def start(self) -> None:
        """Start polling (the first poll runs at once)."""
        self.poll()
        self.timer.start()

    def stop(self) -> None:
        """Stop polling."""
        self.timer.stop()

    def mounted_roots(self) -> set[str]:
        """Root paths of the mounted, ready volumes (no disk access)."""
        return {v.rootPath() for v in QStorageInfo.mountedVolumes() if v.isValid() and v.isReady()}

    @Slot()
    def poll(self) -> None:
        """Compare the mounted volumes with the last poll; check new ones in the background."""
        roots = self.mounted_roots()
        if self._known is None:
            self._known = set() if self.report_existing else set(roots)
        new = roots - self._known
        self._known = roots
        self._waiting = (self._waiting & roots) | new
        if self._waiting and not self._checking:
            batch, self._waiting = set(self._waiting), set()
            self._checking = True
            run_in_pool(self._find_dicom_media, batch, on_result=self._found,
                        on_finished=self._done_checking)

    def _find_dicom_media(self, roots: set[str]) -> list[tuple[str, str]]:
        """Pool thread: the new removable volumes that hold DICOM."""
        wanted = {_norm(r) for r in roots}
        found = []
        for vol in self.library.removable_media():
            mount = str(vol.mount_point)
            if _norm(mount) in wanted:
                found.append((mount, vol.label or os.path.basename(mount.rstrip("/\\")) or mount))
        return found

    def _found(self, volumes: list[tuple[str, str]]) -> None:
        known = {_norm(r) for r in self._known or ()}
        for mount, label in volumes:
            if _norm(mount) in known:  # still mounted
                self.mediaInserted.emit(mount, label)

    def _done_checking(self) -> None:
        self._checking = False
        if self._waiting:
            self.poll()
