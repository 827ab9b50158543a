"""The import flow of the desktop app: choose or drop sources, import, report.

:class:`ImportController` owns no widgets of the main window: it opens the
file dialogs, drives the ``Library.import_iter`` generator from a
:class:`~.workers.GeneratorWorker` on the thread pool with a progress dialog
(one throttle; Cancel sets the ``threading.Event`` passed as ``cancel=``, seen
by the import between files), asks for a
password when an archive is encrypted and retries, explains a source that
cannot be read at all, and ends with a short summary that opens the import
report.
"""
from __future__ import annotations

import gc
import threading
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QUrl, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dosetrail.core.api import RejectionCode, SourceError

from .formatting import plural
from .workers import GeneratorWorker, Worker, connect_and_start, error_text, run_in_pool

#: Progress is forwarded to the GUI at most this often (seconds).
PROGRESS_INTERVAL = 0.1
#: Seconds the closing window waits for a cancelled import to stop (it stops after the files in hand).
SHUTDOWN_WAIT_S = 120.0
#: Password prompts per import before giving up.
MAX_PASSWORD_ATTEMPTS = 3


@dataclass
class SourceFailure:
    """A source that could not be read at all (``core.sources.base.SourceError``)."""

    message: str


def paths_from_urls(urls: list[QUrl]) -> list[str]:
    """Import sources from dropped or pasted URLs.

    Parameters
    ----------
    urls
        ``file://`` URLs (files, folders, ZIP archives) and ``http(s)://``
        links (patient-portal downloads); anything else is ignored.

    Returns
    -------
    list of str
        Local paths and link URLs, in the order given, without duplicates.
    """
    out: list[str] = []
    for url in urls:
        if url.isLocalFile():
            item = url.toLocalFile()
        elif url.scheme().lower() in ("http", "https"):
            item = url.toString()
        else:
            continue
        if item and item not in out:
            out.append(item)
    return out


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB"


def _elide(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width // 2 - 1] + "…" + text[-(width // 2 - 1):]


def progress_text(progress) -> str:
    """The progress dialog's label for an ``ImportProgress``."""
    count = f"{progress.files_seen:,}".replace(",", "\u2009")  # thin space between thousands
    head = f"{plural(progress.files_seen, 'file', shown=count)} read, {_mb(progress.bytes_read)}"
    lines = [head]
    if progress.message:
        lines.append(progress.message)
    if progress.current:
        lines.append(_elide(progress.current))
    return "\n".join(lines)


def summary_text(summary) -> str:
    """A short, plain-language summary of an ``ImportSummary``."""
    n_studies, n_patients = len(summary.studies_touched), len(summary.patients_touched)
    parts = []
    if summary.cancelled:
        parts.append(f"Import cancelled after {plural(summary.files_seen, 'file')}.")
    parts.append(
        f"{summary.instances_imported} new "
        f"{'image or report' if summary.instances_imported == 1 else 'images or reports'} imported"
        f" ({n_studies} {'study' if n_studies == 1 else 'studies'},"
        f" {n_patients} {'patient' if n_patients == 1 else 'patients'})."
    )
    if summary.instances_already_present:
        n = summary.instances_already_present
        parts.append(f"{n} {'was' if n == 1 else 'were'} already in the library.")
    if summary.files_rejected:
        parts.append(f"{plural(len(summary.files_rejected), 'file')} could not be imported (see the report).")
    if summary.files_skipped_not_dicom:
        parts.append(f"{plural(len(summary.files_skipped_not_dicom), 'file')} skipped (not DICOM).")
    if summary.files_seen == 0 and not summary.cancelled and not summary.files_rejected:
        parts.append("No files were found in what you chose.")
    if nothing_imported(summary) and summary.files_rejected:
        parts.append("")
        parts.extend(f"• {_elide(r.label, 60)}: {r.reason}" for r in summary.files_rejected[:3])
        if len(summary.files_rejected) > 3:
            parts.append(f"… and {len(summary.files_rejected) - 3} more in the import report")
    return "\n".join(parts)


def nothing_imported(summary) -> bool:
    """True when the import added nothing and found nothing already present."""
    return not summary.instances_imported and not summary.instances_already_present


def needs_password(summary) -> bool:
    """True when files were refused because an archive needs a password (their reason code says so)."""
    return any(r.code == RejectionCode.PASSWORD_NEEDED for r in summary.files_rejected)


def freeze_long_lived_objects() -> None:
    """Keep full garbage collections short while an import runs.

    A full (generation 2) collection scans every tracked object while holding
    the GIL, whichever thread triggers it: with the GUI's and the libraries'
    objects (10^5 and more) that blocks the event loop for 100+ ms, and an
    import's worker thread triggers several. :func:`gc.freeze` moves the
    objects that exist now (long-lived: modules, widgets, caches) to the
    permanent generation, so collections only scan what was created later.
    Young generations are collected first so short-lived cycles are not
    frozen; old unreachable cycles, if any, stay in memory. The controller
    also postpones full collections until the import ends (young ones still
    run, so most garbage is still freed during the import).
    """
    gc.collect(1)
    gc.freeze()


class LinkDialog(QDialog):
    """Ask for a download link (Magic Link, patient portal) or a downloaded file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import from a link")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            "Paste the link of a patient-portal or Magic Link download,\n"
            "or choose a file you already downloaded (ZIP or DICOM)."))
        row = QHBoxLayout()
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("https://… or /path/to/download.zip")
        self.edit.setMinimumWidth(420)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.edit)
        row.addWidget(browse)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Downloaded file", "", "Archives and DICOM (*.zip *.dcm *.gz);;All files (*)")
        if path:
            self.edit.setText(path)

    def value(self) -> str:
        """The link or path typed or chosen (stripped)."""
        return self.edit.text().strip()


class _DropFilter(QObject):
    """Event filter giving a widget drag-and-drop import."""

    def __init__(self, controller: "ImportController", widget: QWidget) -> None:
        super().__init__(widget)
        self.controller = controller

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind in (QEvent.DragEnter, QEvent.DragMove):
            mime = event.mimeData()
            if mime.hasUrls() and paths_from_urls(mime.urls()):
                event.acceptProposedAction()
                return True
            return False
        if kind == QEvent.Drop:
            mime = event.mimeData()
            paths = paths_from_urls(mime.urls()) if mime.hasUrls() else []
            if paths:
                event.acceptProposedAction()
                self.controller.import_paths(paths)
                return True
        return False


class ImportController(QObject):
    """Runs imports for the main window.

    Parameters
    ----------
    library
        A ``dosetrail.core.api.Library`` (or a test double with its methods).
    parent
        The window the dialogs belong to.

    Attributes
    ----------
    link_files
        Import with ``link=True`` (leave files where they are) instead of
        copying them into the library's store.
    """

    libraryChanged = Signal()
    importFinished = Signal(object)  # the ImportSummary (or SourceFailure)
    #: Freeze the garbage collector's view of the objects that exist when an
    #: import starts (see :func:`freeze_long_lived_objects`).
    freeze_gc = True

    def __init__(self, library, parent: QWidget) -> None:
        super().__init__(parent)
        self.library = library
        self.parent_widget = parent
        self.link_files = False
        self.worker: Worker | None = None
        self.progress_dialog: QProgressDialog | None = None
        self.message_box: QMessageBox | None = None
        self.report_dialog = None
        self.last_summary = None
        self._cancel: threading.Event | None = None
        self._pending: list[tuple[list[str], str | None, int]] = []
        self._filters: list[_DropFilter] = []
        self._closing = False
        self._shut_down = False
        self._saved_gc_threshold: tuple[int, ...] | None = None

    # ---- entry points -------------------------------------------------
    @property
    def busy(self) -> bool:
        """True while an import runs."""
        return self.worker is not None

    @Slot(list)
    def import_paths(self, paths: list[str], password: str | None = None, _attempt: int = 0) -> None:
        """Import files, folders, archives or links (queued if one is running).

        Parameters
        ----------
        paths
            Local paths or ``http(s)`` links.
        password
            Password of encrypted archives, when already known.
        """
        paths = [str(p) for p in paths if str(p).strip()]
        if not paths:
            return
        if self.busy:
            self._pending.append((paths, password, _attempt))
            return
        self._start(paths, password, _attempt)

    @Slot()
    def import_folder_dialog(self) -> None:
        """Ask for a folder (CD, USB stick, unpacked download) and import it."""
        folder = QFileDialog.getExistingDirectory(self.parent_widget, "Import a folder, CD or USB stick")
        if folder:
            self.import_paths([folder])

    @Slot()
    def import_archive_dialog(self) -> None:
        """Ask for ZIP archives and import them."""
        files, _ = QFileDialog.getOpenFileNames(
            self.parent_widget, "Import ZIP archives", "",
            "Archives (*.zip *.ZIP *.gz *.tgz);;All files (*)")
        if files:
            self.import_paths(files)

    @Slot()
    def import_link_dialog(self) -> None:
        """Ask for a download link or a downloaded file and import it."""
        value = self.ask_link()
        if value:
            self.import_paths([value])

    @Slot()
    def show_last_report(self) -> None:
        """Open the report of the newest import run (loaded in the background)."""
        run_in_pool(self.library.import_runs, on_result=self._open_newest,
                    on_error=lambda exc: self._message(QMessageBox.Warning, "Import report",
                                                       f"The import reports could not be read:\n{error_text(exc)}"),
                    owner=self)

    def install_drop_target(self, widget: QWidget) -> None:
        """Let ``widget`` accept dropped files, folders, ZIP archives and links."""
        widget.setAcceptDrops(True)
        filt = _DropFilter(self, widget)
        widget.installEventFilter(filt)
        self._filters.append(filt)

    # ---- prompts (separate methods so tests can replace them) ----------
    def ask_link(self) -> str:
        """Show :class:`LinkDialog`; ``""`` when cancelled."""
        dialog = LinkDialog(self.parent_widget)
        return dialog.value() if dialog.exec() == QDialog.Accepted else ""

    def ask_password(self, attempt: int) -> str | None:
        """Ask for an archive's password; ``None`` when the user cancels."""
        label = "This archive is encrypted. Password:" if attempt == 0 else "Wrong password? Try again:"
        text, ok = QInputDialog.getText(self.parent_widget, "Encrypted archive", label, QLineEdit.Password)
        return text if ok and text else None

    # ---- running --------------------------------------------------------
    def _start(self, paths: list[str], password: str | None, attempt: int) -> None:
        if self.freeze_gc:
            freeze_long_lived_objects()
            if self._saved_gc_threshold is None:  # no full collections until the import ends
                self._saved_gc_threshold = gc.get_threshold()
                gc.set_threshold(self._saved_gc_threshold[0], self._saved_gc_threshold[1], 1_000_000)
        self._cancel = threading.Event()
        dialog = QProgressDialog("Starting import…", "Cancel", 0, 0, self.parent_widget)
        dialog.setWindowTitle("Importing")
        dialog.setWindowModality(Qt.WindowModal)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setMinimumDuration(0)
        dialog.setMinimumWidth(460)
        dialog.canceled.connect(self.cancel)
        dialog.show()
        self.progress_dialog = dialog
        self.worker = connect_and_start(
            GeneratorWorker(self.library.import_iter, paths, link=self.link_files, password=password,
                            cancel=self._cancel, throttle=PROGRESS_INTERVAL),
            on_progress=self._on_progress,
            on_result=lambda result, p=paths, a=attempt: self._on_result(result, p, a),
            on_error=self._on_error,
            on_finished=self._on_finished,
            owner=self,
        )

    @Slot()
    def cancel(self) -> None:
        """Ask the running import to stop (it ends after the current file)."""
        if self._closing:
            return
        if self._cancel is not None:
            self._cancel.set()
        if self.progress_dialog is not None:
            self.progress_dialog.setLabelText("Cancelling…")

    def shutdown(self, timeout: float = SHUTDOWN_WAIT_S) -> bool:
        """Cancel the running import, drop queued ones and wait for its worker (the window closes).

        What was imported stays and the run is recorded ``cancelled``; no
        message is shown afterwards. Returns False when the worker had not
        stopped within ``timeout`` seconds.
        """
        self._shut_down = True
        self._pending.clear()
        worker = self.worker
        if worker is None:
            return True
        if self._cancel is not None:
            self._cancel.set()
        self._close_progress()
        stopped = worker.wait(timeout)
        self._restore_gc()  # the finished signal may never be delivered to a closing window
        return stopped

    def _on_progress(self, progress) -> None:
        if self.progress_dialog is not None and not (self._cancel and self._cancel.is_set()):
            self.progress_dialog.setLabelText(progress_text(progress))

    def _close_progress(self) -> None:
        dialog, self.progress_dialog = self.progress_dialog, None
        if dialog is not None:
            self._closing = True  # QProgressDialog.closeEvent emits canceled()
            try:
                dialog.close()
            finally:
                self._closing = False
            dialog.deleteLater()

    def _on_result(self, result, paths: list[str], attempt: int) -> None:
        self._close_progress()
        if self._shut_down:  # the window has closed: no message, no password prompt
            return
        if isinstance(result, SourceFailure):
            self.last_summary = result
            self._message(QMessageBox.Warning, "Cannot read this source",
                          f"{result.message}\n\nNothing was imported from it.")
            self.importFinished.emit(result)
            return
        summary = result
        self.last_summary = summary
        if summary.instances_imported or summary.studies_touched:
            self.libraryChanged.emit()
        if needs_password(summary) and not summary.cancelled and attempt < MAX_PASSWORD_ATTEMPTS:
            password = self.ask_password(attempt)
            if password:
                # everything else was already imported: the retry adds the archive's files
                self._pending.insert(0, (paths, password, attempt + 1))
                self.importFinished.emit(summary)
                return
        self._show_summary(summary)
        self.importFinished.emit(summary)

    def _on_error(self, exc: BaseException) -> None:
        if isinstance(exc, SourceError):  # a source that cannot be read at all: said, not an error
            self._on_result(SourceFailure(str(exc)), [], 0)
            return
        self._close_progress()
        if not self._shut_down:
            self._show_error(exc)

    def _show_error(self, exc: BaseException) -> None:
        self._message(QMessageBox.Critical, "Import failed", f"The import stopped with an error:\n{error_text(exc)}")

    def _on_finished(self) -> None:
        self.worker = None
        self._cancel = None
        if self._pending and not self._shut_down:
            paths, password, attempt = self._pending.pop(0)
            self._start(paths, password, attempt)
        else:
            self._restore_gc()

    def _restore_gc(self) -> None:
        """The collector's thresholds as they were before the import (see :meth:`_start`)."""
        if self._saved_gc_threshold is not None:
            gc.set_threshold(*self._saved_gc_threshold)
            self._saved_gc_threshold = None

    # ---- results --------------------------------------------------------
    def _message(self, icon, title: str, text: str) -> QMessageBox:
        box = QMessageBox(icon, title, text, QMessageBox.Ok, self.parent_widget)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()  # not exec(): never a nested event loop
        self.message_box = box
        return box

    def _show_summary(self, summary) -> None:
        failed = nothing_imported(summary) and bool(summary.files_rejected) and not summary.cancelled
        box = self._message(QMessageBox.Warning if failed else QMessageBox.Information,
                            "Nothing was imported" if failed else "Import finished", summary_text(summary))
        if summary.import_run_id is not None:
            button = box.addButton("Open import report", QMessageBox.ActionRole)
            button.clicked.connect(lambda _=False, rid=summary.import_run_id: self.open_report(rid))

    def open_report(self, run_id: int):
        """Show the :class:`ImportReportDialog` of an import run."""
        from .widgets.import_report import ImportReportDialog

        dialog = ImportReportDialog(self.library, run_id, self.parent_widget)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.show()
        self.report_dialog = dialog
        return dialog

    def _open_newest(self, runs) -> None:
        if not runs:
            self._message(QMessageBox.Information, "Import report", "Nothing has been imported yet.")
            return
        self.open_report(runs[0].run_id)
