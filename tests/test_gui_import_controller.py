"""gui.importing.ImportController with a library double (progress, cancel, password, errors, drops)."""
from __future__ import annotations

import threading
import time
import warnings

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QWidget

from dosetrail.core.model.import_records import ImportProgress, ImportSummary, Rejection, RejectionCode
from dosetrail.core.sources.base import SourceError
from dosetrail.gui import importing
from dosetrail.gui.importing import ImportController, paths_from_urls, summary_text
from gui_fakes import FakeLibrary

pytestmark = pytest.mark.gui

PASSWORD_REASON = "encrypted archive: give its password (--password)"


class ImportLibrary(FakeLibrary):
    """import_iter that reads ``files`` fake files per path, honours cancel and passwords."""

    def __init__(self, files: int = 5, delay: float = 0.0, password: str = "s3cret"):
        super().__init__()
        self.files, self.delay, self.password = files, delay, password
        self.import_calls: list[dict] = []
        self.progress_threads: set[int] = set()

    def import_iter(self, paths, *, link=False, password=None, cancel=None, workers=None):
        self.import_calls.append({"paths": list(paths), "password": password, "link": link})
        summary = ImportSummary(import_run_id=len(self.import_calls))
        for path in paths:
            if path.startswith("http://bad"):
                raise SourceError(f"HTTP 404 Not Found: {path}")
            if path.endswith("secret.zip") and password != self.password:
                summary.files_rejected.append(Rejection(path + "!a.dcm", PASSWORD_REASON,
                                                        code=RejectionCode.PASSWORD_NEEDED))
                continue
            for i in range(self.files):
                if cancel is not None and cancel.is_set():
                    summary.cancelled = True
                    return summary
                time.sleep(self.delay)
                summary.files_seen += 1
                summary.bytes_read += 1000
                summary.instances_imported += 1
                self.progress_threads.add(threading.get_ident())
                yield ImportProgress(summary.files_seen, summary.bytes_read, f"{path}/f{i}.dcm")
            summary.studies_touched.append(f"1.2.{len(summary.studies_touched)}")
            summary.patients_touched = ["P1"]
        summary.files_skipped_not_dicom.append(Rejection("AUTORUN.INF", "not DICOM", "skipped"))
        return summary


@pytest.fixture
def window(qtbot):
    w = QWidget()
    qtbot.addWidget(w)
    return w


def _finish(qtbot, controller, timeout=5000):
    with qtbot.waitSignal(controller.importFinished, timeout=timeout) as blocker:
        pass
    return blocker.args[0]


def test_import_runs_in_worker_and_summarises(qtbot, window):
    lib = ImportLibrary(files=4)
    ctl = ImportController(lib, window)
    changed = []
    ctl.libraryChanged.connect(lambda: changed.append(1))
    ctl.import_paths(["/media/cd", "/media/usb"])
    assert ctl.busy and ctl.progress_dialog is not None and ctl.progress_dialog.isVisible()
    summary = _finish(qtbot, ctl)
    assert summary.instances_imported == 8
    assert threading.get_ident() not in lib.progress_threads  # never on the GUI thread
    assert changed == [1]
    qtbot.waitUntil(lambda: not ctl.busy, timeout=2000)
    assert ctl.progress_dialog is None
    box = ctl.message_box
    assert box.icon() == QMessageBox.Information
    assert "8 new images" in box.text() and "2 studies" in box.text() and "1 file skipped" in box.text()
    # the summary's button opens the report of this run
    button = next(b for b in box.buttons() if b.text() == "Open import report")
    button.click()
    dialog = ctl.report_dialog
    assert dialog is not None and dialog.run_id == summary.import_run_id


def test_progress_reaches_dialog(qtbot, window):
    lib = ImportLibrary(files=30, delay=0.01)
    ctl = ImportController(lib, window)
    ctl.import_paths(["/data/folder"])
    qtbot.waitUntil(lambda: ctl.progress_dialog is not None and "files read" in ctl.progress_dialog.labelText(),
                    timeout=3000)
    label = ctl.progress_dialog.labelText()
    assert "/data/folder/f" in label and "kB" in label
    assert label.split(" files read, ")[0].isdigit()
    _finish(qtbot, ctl)


def test_cancel_sets_the_event_and_reports_cancelled(qtbot, window):
    lib = ImportLibrary(files=10_000, delay=0.002)
    ctl = ImportController(lib, window)
    ctl.import_paths(["/huge"])
    qtbot.waitUntil(lambda: "files read" in ctl.progress_dialog.labelText(), timeout=3000)
    cancel_button = ctl.progress_dialog.findChild(QPushButton)
    assert cancel_button.text() == "Cancel"
    cancel_button.click()
    summary = _finish(qtbot, ctl)
    assert summary.cancelled and 0 < summary.files_seen < 10_000
    assert "cancelled" in ctl.message_box.text()


def test_encrypted_archive_asks_password_and_retries(qtbot, window, monkeypatch):
    lib = ImportLibrary(files=2)
    ctl = ImportController(lib, window)
    answers = iter(["wrong", "s3cret"])
    asked = []
    monkeypatch.setattr(ctl, "ask_password", lambda attempt: asked.append(attempt) or next(answers))
    ctl.import_paths(["/dl/secret.zip"])
    first = _finish(qtbot, ctl)
    assert importing.needs_password(first)
    second = _finish(qtbot, ctl)
    assert importing.needs_password(second)
    third = _finish(qtbot, ctl)
    assert third.instances_imported == 2 and not third.files_rejected
    assert [c["password"] for c in lib.import_calls] == [None, "wrong", "s3cret"]
    assert asked == [0, 1]


def test_password_prompt_cancelled_shows_rejections(qtbot, window, monkeypatch):
    lib = ImportLibrary(files=1)
    ctl = ImportController(lib, window)
    monkeypatch.setattr(ctl, "ask_password", lambda attempt: None)
    ctl.import_paths(["/dl/secret.zip"])
    _finish(qtbot, ctl)
    assert len(lib.import_calls) == 1
    assert "1 file could not be imported" in ctl.message_box.text()


def test_source_error_gives_clear_message(qtbot, window):
    lib = ImportLibrary()
    ctl = ImportController(lib, window)
    changed = []
    ctl.libraryChanged.connect(lambda: changed.append(1))
    ctl.import_paths(["http://bad.example/dl"])
    result = _finish(qtbot, ctl)
    assert isinstance(result, importing.SourceFailure)
    box = ctl.message_box
    assert box.icon() == QMessageBox.Warning and "HTTP 404" in box.text()
    assert changed == []


def test_unexpected_error_is_shown_not_raised(qtbot, window, monkeypatch):
    lib = ImportLibrary()
    def broken(*a, **k):
        yield ImportProgress()
        return 1 / 0

    monkeypatch.setattr(lib, "import_iter", broken)
    ctl = ImportController(lib, window)
    ctl.import_paths(["/x"])
    qtbot.waitUntil(lambda: ctl.message_box is not None, timeout=3000)
    assert "ZeroDivisionError" in ctl.message_box.text()
    qtbot.waitUntil(lambda: not ctl.busy, timeout=2000)


def test_second_import_is_queued(qtbot, window):
    lib = ImportLibrary(files=3, delay=0.01)
    ctl = ImportController(lib, window)
    ctl.import_paths(["/a"])
    ctl.import_paths(["/b"])
    _finish(qtbot, ctl)
    _finish(qtbot, ctl)
    assert [c["paths"] for c in lib.import_calls] == [["/a"], ["/b"]]


def test_dialog_slots_and_link_option(qtbot, window, monkeypatch):
    lib = ImportLibrary(files=1)
    ctl = ImportController(lib, window)
    monkeypatch.setattr(importing.QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: "/media/cdrom"))
    monkeypatch.setattr(importing.QFileDialog, "getOpenFileNames",
                        staticmethod(lambda *a, **k: (["/dl/a.zip", "/dl/b.zip"], "")))
    monkeypatch.setattr(ctl, "ask_link", lambda: "https://portal.example/magic/abc")
    ctl.link_files = True
    ctl.import_folder_dialog()
    _finish(qtbot, ctl)
    ctl.import_archive_dialog()
    _finish(qtbot, ctl)
    ctl.import_link_dialog()
    _finish(qtbot, ctl)
    qtbot.waitUntil(lambda: not ctl.busy, timeout=2000)
    assert [c["paths"] for c in lib.import_calls] == [
        ["/media/cdrom"], ["/dl/a.zip", "/dl/b.zip"], ["https://portal.example/magic/abc"]]
    assert all(c["link"] for c in lib.import_calls)
    monkeypatch.setattr(ctl, "ask_link", lambda: "")
    ctl.import_link_dialog()  # cancelled: nothing starts
    assert not ctl.busy and len(lib.import_calls) == 3


def test_link_dialog_value(qtbot):
    dialog = importing.LinkDialog()
    qtbot.addWidget(dialog)
    dialog.edit.setText("  https://x.example/dl  ")
    assert dialog.value() == "https://x.example/dl"


def test_paths_from_urls_filters_schemes():
    urls = [QUrl.fromLocalFile("/media/cd"), QUrl("https://portal.example/dl?id=1"),
            QUrl("ftp://old.example/x"), QUrl.fromLocalFile("/media/cd"), QUrl("mailto:a@b")]
    assert paths_from_urls(urls) == ["/media/cd", "https://portal.example/dl?id=1"]


def test_drop_imports_files_folders_and_links(qtbot, window, tmp_path):
    lib = ImportLibrary(files=1)
    ctl = ImportController(lib, window)
    target = QWidget()
    qtbot.addWidget(target)
    ctl.install_drop_target(target)
    assert target.acceptDrops()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path)), QUrl("http://portal.example/x.zip")])
    assert _drag_enter(target, mime)  # Qt delivers a drop only after an accepted drag-enter
    event = QDropEvent(QPointF(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(target, event)
    assert event.isAccepted()
    _finish(qtbot, ctl)
    assert lib.import_calls[0]["paths"] == [str(tmp_path), "http://portal.example/x.zip"]
    other = QMimeData()
    other.setText("just text")
    assert not _drag_enter(target, other)
    ftp = QMimeData()
    ftp.setUrls([QUrl("ftp://old.example/x")])
    assert not _drag_enter(target, ftp)
    assert len(lib.import_calls) == 1


def _drag_enter(widget, mime) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        event = QDragEnterEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def test_show_last_report(qtbot, window):
    lib = ImportLibrary()
    ctl = ImportController(lib, window)
    ctl.show_last_report()
    qtbot.waitUntil(lambda: ctl.report_dialog is not None, timeout=3000)
    dialog = ctl.report_dialog
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=3000)
    assert dialog.report.run_id == lib.import_runs()[0].run_id


def test_summary_text_wording():
    s = ImportSummary(files_seen=3, instances_imported=0, cancelled=False)
    assert "0 new" in summary_text(s)
    assert "No files" in summary_text(ImportSummary())


def test_gc_is_tamed_during_import_and_restored(qtbot, window):
    import gc

    outside = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # a known start (an import an earlier test left running may still hold its own)
    before = gc.get_threshold()
    lib = ImportLibrary(files=3, delay=0.01)
    ctl = ImportController(lib, window)
    seen = []
    lib_run = lib.import_iter

    def spy(*a, **k):
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        return (yield from lib_run(*a, **k))

    lib.import_iter = spy
    ctl.import_paths(["/a"])
    _finish(qtbot, ctl)
    qtbot.waitUntil(lambda: not ctl.busy, timeout=2000)
    (threshold, frozen), = seen
    assert threshold[2] > before[2] and threshold[:2] == before[:2]  # no full collections meanwhile
    assert frozen > 0
    assert gc.get_threshold() == before  # restored afterwards
    gc.set_threshold(*outside)


def test_show_last_report_when_reports_cannot_be_read(qtbot, window, monkeypatch):
    lib = ImportLibrary()

    def broken():
        raise OSError("database is locked")

    monkeypatch.setattr(lib, "import_runs", broken)
    ctl = ImportController(lib, window)
    ctl.show_last_report()
    qtbot.waitUntil(lambda: ctl.message_box is not None, timeout=3000)
    assert "could not be read" in ctl.message_box.text() and "database is locked" in ctl.message_box.text()
    monkeypatch.setattr(lib, "import_runs", lambda: [])
    ctl.show_last_report()
    qtbot.waitUntil(lambda: "Nothing has been imported" in ctl.message_box.text(), timeout=3000)


def test_needs_password_reads_the_reason_code_not_the_text():
    by_text = ImportSummary(files_rejected=[Rejection("a.zip!x", "something about --password")])
    by_code = ImportSummary(files_rejected=[Rejection("a.zip!x", "locked", code=RejectionCode.PASSWORD_NEEDED)])
    assert not importing.needs_password(by_text)
    assert importing.needs_password(by_code)
