"""Folder source: recursive, sorted, cheap skips by name, symlink loops, unreadable folders."""
from __future__ import annotations

import os
import shutil
import zipfile

import pytest
from pydicom.data import get_testdata_file

from dosetrail.core.sources import folder as folder_mod
from dosetrail.core.sources.base import SourceError, SourceItem, SourceProblem
from dosetrail.core.sources.discover import iter_source, source_kind
from dosetrail.core.sources.folder import iter_folder

CT = get_testdata_file("CT_small.dcm", download=False)
MR = get_testdata_file("MR_small.dcm", download=False)


def _split(events):
    items = [e for e in events if isinstance(e, SourceItem)]
    problems = [e for e in events if isinstance(e, SourceProblem)]
    return items, problems


def _rel(root, label):
    return os.path.relpath(label.rstrip(os.sep), root)


@pytest.fixture
def cd_copy(tmp_path):
    """A patient CD as found in practice: images with and without extensions, a viewer,
    autorun, IHE PDI web pages and documents."""
    root = tmp_path / "cd"
    (root / "DICOM" / "ST1").mkdir(parents=True)
    shutil.copy(CT, root / "DICOM" / "ST1" / "IM00001")
    shutil.copy(MR, root / "DICOM" / "ST1" / "IM00002.dcm")
    shutil.copy(CT, root / "DICOM" / "ST1" / "scan.HTM")  # DICOM with an odd name: kept
    (root / "IHE_PDI").mkdir()
    (root / "IHE_PDI" / "INDEX.HTM").write_text("<html></html>")
    (root / "IHE_PDI" / "IMG0001").write_bytes(b"\xff\xd8\xff jpeg")  # web picture without extension
    (root / "VIEWER").mkdir()
    (root / "VIEWER" / "viewer.dat").write_bytes(b"data")
    shutil.copy(MR, root / "VIEWER" / "sample")  # DICOM inside a viewer folder: kept
    (root / "Setup.EXE").write_bytes(b"MZ\x90\x00")
    (root / "lib.dll").write_bytes(b"MZ")
    (root / "run.sh").write_text("#!/bin/sh\ntouch executed\n")
    (root / "AUTORUN.INF").write_text("[autorun]\nopen=Setup.exe\n")
    (root / "settings.ini").write_text("[x]")
    (root / "README.TXT").write_text("read me")
    (root / "report.pdf").write_bytes(b"%PDF-1.4")
    (root / ".DS_Store").write_bytes(b"\0")
    return root


def test_every_file_is_yielded_or_skipped_with_a_reason(cd_copy):
    events = list(iter_source(str(cd_copy)))
    items, problems = _split(events)
    assert len(items) + len(problems) == len(events)
    assert [_rel(cd_copy, i.label) for i in items] == [
        "DICOM/ST1/IM00001", "DICOM/ST1/IM00002.dcm", "DICOM/ST1/scan.HTM", "VIEWER/sample"]
    assert all(i.local_path == i.label and i.origin == "folder" and os.path.isabs(i.local_path)
               for i in items)
    assert items[0].size == os.path.getsize(CT)
    reasons = {_rel(cd_copy, p.label): (p.kind, p.reason) for p in problems}
    assert reasons == {
        ".DS_Store": ("skipped", "not DICOM (operating-system file)"),
        "AUTORUN.INF": ("skipped", "autorun file"),
        "settings.ini": ("skipped", "autorun file"),
        "IHE_PDI/IMG0001": ("skipped", "IHE PDI web content"),
        "IHE_PDI/INDEX.HTM": ("skipped", "IHE PDI web content"),
        "lib.dll": ("skipped", "viewer program (not executed)"),
        "README.TXT": ("skipped", "not DICOM (document)"),
        "report.pdf": ("skipped", "not DICOM (document)"),
        "run.sh": ("skipped", "viewer program (not executed)"),
        "Setup.EXE": ("skipped", "viewer program (not executed)"),
        "VIEWER/viewer.dat": ("skipped", "viewer program (not executed)"),
    }
    assert not (cd_copy / "executed").exists() and not os.path.exists("executed")


def test_order_is_sorted_and_repeatable(cd_copy):
    first = [e.label for e in iter_source(str(cd_copy))]
    second = [e.label for e in iter_folder(str(cd_copy))]
    assert first == second
    in_dicom = [lb for lb in first if "/DICOM/" in lb]
    assert in_dicom == sorted(in_dicom, key=str.lower)


def test_symlink_loop_ends_and_each_file_once(tmp_path):
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    shutil.copy(CT, root / "a" / "b" / "img")
    os.symlink(root, root / "a" / "b" / "loop")  # back to the top
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(MR, outside / "mr")
    os.symlink(outside, root / "link1")
    os.symlink(outside, root / "link2")  # the same folder twice
    os.symlink(root / "a" / "b" / "img", root / "img-link")  # a file link is a file
    os.symlink(tmp_path / "nowhere", root / "dangling")
    items, problems = _split(list(iter_folder(str(root))))
    assert sorted(_rel(root, i.label) for i in items) == ["a/b/img", "img-link", "link1/mr"]
    reasons = {_rel(root, p.label): p for p in problems}
    assert "already scanned" in reasons["a/b/loop"].reason and reasons["a/b/loop"].kind == "skipped"
    assert "already scanned" in reasons["link2"].reason
    assert reasons["dangling"].kind == "rejected" and "broken symbolic link" in reasons["dangling"].reason


def test_unreadable_folder_is_reported_and_the_rest_goes_on(tmp_path, monkeypatch):
    root = tmp_path / "root"
    (root / "locked").mkdir(parents=True)
    (root / "open").mkdir()
    shutil.copy(CT, root / "locked" / "img")
    shutil.copy(MR, root / "open" / "img")
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(folder_mod.os, "scandir", scandir)
    items, problems = _split(list(iter_folder(str(root))))
    assert [_rel(root, i.label) for i in items] == ["open/img"]
    (problem,) = problems
    assert problem.kind == "rejected" and problem.reason == "cannot read folder: Permission denied"


def test_macos_and_system_folders_and_special_files(tmp_path):
    root = tmp_path / "usb"
    (root / "__MACOSX").mkdir(parents=True)
    (root / "__MACOSX" / "._img").write_bytes(b"x")
    (root / "Viewer.app" / "Contents").mkdir(parents=True)
    (root / "System Volume Information").mkdir()
    shutil.copy(CT, root / "img")
    os.mkfifo(root / "pipe")
    items, problems = _split(list(iter_folder(str(root))))
    assert [_rel(root, i.label) for i in items] == ["img"]
    reasons = {_rel(root, p.label): p.reason for p in problems}
    assert reasons == {
        "__MACOSX": "macOS metadata (not DICOM)",
        "Viewer.app": "viewer program (not executed)",
        "System Volume Information": "not DICOM (operating-system file)",
        "pipe": "not a regular file (device, pipe or socket)",
    }


def test_archives_in_a_folder_are_opened_unless_link_mode(tmp_path):
    root = tmp_path / "downloads"
    root.mkdir()
    shutil.copy(CT, root / "a.dcm")
    with zipfile.ZipFile(root / "study.zip", "w") as zf:
        zf.write(MR, "MR_small.dcm")
    (root / "old.7z").write_bytes(b"7z\xbc\xaf\x27\x1c")
    items, problems = _split(list(iter_source(str(root))))
    assert [i.label for i in items] == [str(root / "a.dcm"), f"{root / 'study.zip'}!MR_small.dcm"]
    assert [(p.label, p.kind) for p in problems] == [(str(root / "old.7z"), "rejected")]
    assert "7Z archive: not supported" in problems[0].reason
    with open(MR, "rb") as fh:
        assert items[1].read() == fh.read()
    items, problems = _split(list(iter_source(str(root), link_mode=True)))
    assert [i.label for i in items] == [str(root / "a.dcm")]
    assert problems[1].label == str(root / "study.zip") and "--link" in problems[1].reason


def test_single_file_and_missing_path(tmp_path):
    path = tmp_path / "IMG"
    shutil.copy(CT, path)
    (item,) = list(iter_source(str(path)))
    assert item.local_path == str(path) and item.size == os.path.getsize(CT)
    assert source_kind(str(path)) == "file"
    with pytest.raises(SourceError, match="no such file or folder"):
        list(iter_source(str(tmp_path / "nope")))


def test_empty_folder_yields_nothing(tmp_path):
    (tmp_path / "empty").mkdir()
    assert list(iter_source(str(tmp_path / "empty"))) == []
