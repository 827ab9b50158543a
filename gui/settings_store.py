"""Window state kept between sessions (QSettings): geometry, splitters, view, data folder."""
from __future__ import annotations

import hashlib

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

VIEWS = ("patient", "clinician")


class SettingsStore:
    """Thin typed wrapper around :class:`QSettings`.

    Parameters
    ----------
    qsettings : QSettings, optional
        Where to keep the values; default the user's ``DoseTrail/DoseTrail``
        settings. Tests pass an INI file in a temporary folder.
    """

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.q = qsettings if qsettings is not None else QSettings("DoseTrail", "DoseTrail")

    @classmethod
    def at_path(cls, ini_path: str) -> "SettingsStore":
        """A store backed by the INI file ``ini_path``."""
        return cls(QSettings(ini_path, QSettings.Format.IniFormat))

    # window -------------------------------------------------------------------
    def save_window(self, window: QMainWindow) -> None:
        """Remember ``window``'s geometry and tool bar/dock state."""
        self.q.setValue("window/geometry", window.saveGeometry())
        self.q.setValue("window/state", window.saveState())

    def restore_window(self, window: QMainWindow) -> bool:
        """Restore what :meth:`save_window` kept; False when nothing was kept."""
        geometry = self.q.value("window/geometry")
        state = self.q.value("window/state")
        ok = False
        if isinstance(geometry, (QByteArray, bytes)) and geometry:
            ok = window.restoreGeometry(QByteArray(geometry))
        if isinstance(state, (QByteArray, bytes)) and state:
            window.restoreState(QByteArray(state))
        return ok

    def save_splitter(self, name: str, splitter: QSplitter) -> None:
        """Remember the sizes of splitter ``name``."""
        self.q.setValue(f"splitters/{name}", [int(s) for s in splitter.sizes()])

    def restore_splitter(self, name: str, splitter: QSplitter) -> bool:
        """Restore splitter ``name``'s sizes; False when none were kept."""
        sizes = self.q.value(f"splitters/{name}")
        if not sizes:
            return False
        if isinstance(sizes, str):
            sizes = [sizes]
        try:
            values = [int(s) for s in sizes]
        except (TypeError, ValueError):
            return False
        if len(values) != splitter.count():
            return False
        splitter.setSizes(values)
        return True

    # preferences ----------------------------------------------------------------
    @staticmethod
    def _view_key(library_id: str | None) -> str:
        if not library_id:
            return "view/last"
        return "view/by_library/" + hashlib.sha1(library_id.encode("utf-8")).hexdigest()[:16]

    def last_view(self, library_id: str | None = None) -> str:
        """``"patient"`` or ``"clinician"`` as last chosen for the library ``library_id``.

        Parameters
        ----------
        library_id : str, optional
            What identifies a library (its database URL, see :func:`library_id`); each library
            keeps its own view, so opening the demo does not switch a real library's. A library
            never shown before starts with the view remembered before views were per library,
            else the patient view.
        """
        view = str(self.q.value(self._view_key(library_id), "") or self.q.value("view/last", "patient"))
        return view if view in VIEWS else "patient"

    def set_last_view(self, view: str, library_id: str | None = None) -> None:
        """Remember the view (``"patient"`` or ``"clinician"``) of the library ``library_id``."""
        if view in VIEWS:
            self.q.setValue(self._view_key(library_id), view)

    def flag(self, name: str, default: bool) -> bool:
        """A remembered on/off option (e.g. ``"show_bars"``)."""
        value = self.q.value(f"view/{name}", default)
        if isinstance(value, str):
            return value.lower() in ("true", "1", "yes")
        return bool(value)

    def set_flag(self, name: str, value: bool) -> None:
        """Remember an on/off option."""
        self.q.setValue(f"view/{name}", bool(value))

    def data_folder(self) -> str:
        """The data folder chosen in Settings ("" when never chosen)."""
        return str(self.q.value("data/folder", "") or "")

    def set_data_folder(self, folder: str) -> None:
        """Remember the data folder (used as ``DOSETRAIL_HOME`` on next start)."""
        self.q.setValue("data/folder", folder)

    def listener(self) -> tuple[str | None, int | None]:
        """The window's storage listener: AE title and port (None: the ``dosetrail receive`` defaults)."""
        aet = str(self.q.value("listener/aet", "") or "").strip() or None
        try:
            port = int(self.q.value("listener/port", 0) or 0) or None
        except (TypeError, ValueError):
            port = None
        return aet, port

    def set_listener(self, aet: str | None, port: int | None) -> None:
        """Remember the listener's AE title and port (None: the defaults)."""
        self.q.setValue("listener/aet", aet or "")
        self.q.setValue("listener/port", int(port or 0))

    def sync(self) -> None:
        """Write to disk now."""
        self.q.sync()


def library_id(library) -> str:
    """What identifies a library for the window's per-library state: its database URL
    (``Library.db_url``), else its data folder; "" for a test double without either."""
    return str(getattr(library, "db_url", "") or getattr(library, "home", "") or "")
