"""gui.media_watcher.MediaWatcher: new DICOM volumes are reported once, off the GUI thread."""
from __future__ import annotations

import threading

import pytest

from dosetrail.core.sources.media import RemovableVolume
from dosetrail.gui.media_watcher import MediaWatcher

pytestmark = pytest.mark.gui


class MediaLibrary:
    def __init__(self):
        self.volumes: list[RemovableVolume] = []
        self.threads: list[int] = []

    def removable_media(self):
        self.threads.append(threading.get_ident())
        return list(self.volumes)


@pytest.fixture
def setup(qtbot, monkeypatch):
    lib = MediaLibrary()
    watcher = MediaWatcher(lib, interval_ms=20)
    mounted = {"/", "/home"}
    monkeypatch.setattr(watcher, "mounted_roots", lambda: set(mounted))
    seen = []
    watcher.mediaInserted.connect(lambda mount, label: seen.append((mount, label)))
    yield lib, watcher, mounted, seen
    watcher.stop()


def test_inserted_dicom_cd_is_reported_once(qtbot, setup):
    lib, watcher, mounted, seen = setup
    watcher.start()
    qtbot.wait(60)
    assert seen == [] and lib.threads == []  # nothing new: no scan at all
    lib.volumes = [RemovableVolume("/media/cdrom", "PATIENT_CD", True)]
    mounted.add("/media/cdrom")
    qtbot.waitUntil(lambda: seen == [("/media/cdrom", "PATIENT_CD")], timeout=3000)
    assert threading.get_ident() not in lib.threads
    qtbot.wait(100)  # later polls do not report it again
    assert seen == [("/media/cdrom", "PATIENT_CD")]
    # ejected and inserted again: reported again
    mounted.discard("/media/cdrom")
    qtbot.wait(60)
    mounted.add("/media/cdrom")
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=3000)


def test_volumes_without_dicom_are_not_reported(qtbot, setup):
    lib, watcher, mounted, seen = setup
    watcher.start()
    mounted.add("/media/usb")  # the library does not list it: no DICOM on it
    qtbot.waitUntil(lambda: len(lib.threads) >= 1, timeout=3000)
    qtbot.wait(60)
    assert seen == []


def test_existing_media_optionally_reported(qtbot, monkeypatch):
    lib = MediaLibrary()
    lib.volumes = [RemovableVolume("/media/usb/", "", False)]
    watcher = MediaWatcher(lib, interval_ms=1000, report_existing=True)
    monkeypatch.setattr(watcher, "mounted_roots", lambda: {"/", "/media/usb"})
    with qtbot.waitSignal(watcher.mediaInserted, timeout=3000) as blocker:
        watcher.start()
    assert blocker.args == ["/media/usb/", "usb"]  # label falls back to the folder name
    watcher.stop()
    assert not watcher.timer.isActive()


def test_real_mounted_roots_are_cheap_paths(qtbot):
    watcher = MediaWatcher(MediaLibrary())
    roots = watcher.mounted_roots()
    assert all(isinstance(r, str) and r for r in roots)
