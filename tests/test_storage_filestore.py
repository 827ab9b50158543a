"""The managed file store: paths from UIDs, atomic writes, resolving paths."""
from __future__ import annotations

import hashlib
import multiprocessing
import os
from pathlib import Path

import pytest

from dosetrail.core.storage.filestore import resolve, store_path_for, write_atomic


def test_store_path_is_sha1_of_uid_in_two_levels():
    uid = "1.2.826.0.1.3680043.8.498.1"
    digest = hashlib.sha1(uid.encode()).hexdigest()
    rel = store_path_for(uid)
    assert rel == f"{digest[:2]}/{digest}.dcm"
    # DICOM padding and whitespace do not change the path; another UID does
    assert store_path_for(uid + "\x00") == rel
    assert store_path_for(f" {uid} ") == rel
    assert store_path_for(uid + "0") != rel


def test_store_path_rejects_empty_uid():
    with pytest.raises(ValueError):
        store_path_for(" \x00")


def test_write_atomic_creates_folders_and_leaves_no_temp_files(tmp_path):
    rel = store_path_for("1.2.3")
    write_atomic(tmp_path / "store", rel, b"DICM" * 10)
    dest = tmp_path / "store" / rel
    assert dest.read_bytes() == b"DICM" * 10
    assert sorted(p.name for p in dest.parent.iterdir()) == [dest.name]


def test_write_atomic_skips_same_size_and_replaces_different_size(tmp_path):
    rel = "aa/bb/x.dcm"
    write_atomic(tmp_path, rel, b"first")
    dest = tmp_path / rel
    mtime = dest.stat().st_mtime_ns
    os.utime(dest, ns=(mtime - 10**9, mtime - 10**9))
    write_atomic(tmp_path, rel, b"other")  # same size: the same instance again, skipped
    assert dest.read_bytes() == b"first"
    write_atomic(tmp_path, rel, b"longer content")  # different size: replaced
    assert dest.read_bytes() == b"longer content"
    write_atomic(tmp_path, rel, b"other bytes", keep_existing=lambda p: True)  # an intact copy stays
    assert dest.read_bytes() == b"longer content"
    write_atomic(tmp_path, rel, b"repaired", keep_existing=lambda p: False)  # a broken copy is rewritten
    assert dest.read_bytes() == b"repaired"


def test_write_atomic_cleans_up_when_the_write_fails(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(tmp_path, "aa/bb/y.dcm", b"data")
    assert list((tmp_path / "aa" / "bb").iterdir()) == []


def _writer(args):
    root, rel, data = args
    write_atomic(Path(root), rel, data)
    return len(data)


def test_write_atomic_from_several_processes(tmp_path):
    rels = [store_path_for(f"1.2.{i % 5}") for i in range(40)]
    payload = {rel: hashlib.sha256(rel.encode()).digest() * 100 for rel in set(rels)}
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        pool.map(_writer, [(str(tmp_path), rel, payload[rel]) for rel in rels])
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 5
    for rel, data in payload.items():
        assert (tmp_path / rel).read_bytes() == data


def test_resolve_relative_absolute_and_escapes(tmp_path):
    assert resolve(tmp_path, "ab/cd/e.dcm") == tmp_path / "ab" / "cd" / "e.dcm"
    linked = tmp_path.parent / "elsewhere" / "IM0001"
    assert resolve(tmp_path, str(linked)) == linked
    with pytest.raises(ValueError):
        resolve(tmp_path, "../outside.dcm")
    with pytest.raises(ValueError):
        resolve(tmp_path, "")


def test_store_relative_finds_the_copy_in_an_absolute_store_path():
    from dosetrail.core.storage.filestore import store_relative

    rel = store_path_for("1.2.3.4")
    assert store_relative(f"/old/home/store/{rel}") == rel
    assert store_relative("C:\\Users\\ann\\DoseTrail\\store\\" + rel.replace("/", "\\")) == rel
    # a linked file's own name, or a path that only looks half like a copy, is not a store path
    assert store_relative("/media/cd/DICOM/IM0001") is None
    assert store_relative(f"/old/{rel.split('/')[1]}") is None
    assert store_relative(rel.upper()) is None


def test_instance_file_reads_copies_under_this_machines_store(tmp_path):
    from dosetrail.core.storage.filestore import instance_file

    rel = store_path_for("1.2.3.4")
    assert instance_file(tmp_path, rel, False) == str(tmp_path / rel)
    assert instance_file(tmp_path, f"/elsewhere/store/{rel}", False) == str(tmp_path / rel)
    # linked files stay where they are, even when their path looks like a store's
    assert instance_file(tmp_path, f"/elsewhere/store/{rel}", True) == f"/elsewhere/store/{rel}"
    assert instance_file(tmp_path, "/media/cd/IM0001", False) == "/media/cd/IM0001"


def test_open_store_makes_a_new_store_and_refuses_a_missing_or_empty_one(tmp_path):
    from dosetrail.core.config import StoreLocation
    from dosetrail.core.model.library_errors import LibraryError
    from dosetrail.core.storage.filestore import open_store

    asked = []

    def copies(answer):
        def holds():
            asked.append(answer)
            return answer
        return holds

    new = StoreLocation(tmp_path / "share" / "store", "settings")
    with pytest.raises(LibraryError, match="is not there"):  # its parent (the mount point) is missing
        open_store(new, copies(False))
    (tmp_path / "share").mkdir()
    assert open_store(new, copies(False)) == new.path and new.path.is_dir()
    with pytest.raises(LibraryError, match="is empty but the library has files in it"):
        open_store(new, copies(True))
    (new.path / "ab").mkdir()
    asked.clear()
    assert open_store(new, copies(True)) == new.path
    assert asked == []  # a folder with something in it: the database is not asked
    new.path.joinpath("ab").rmdir()
    new.path.rmdir()
    with pytest.raises(LibraryError, match=r"\(the store setting\) is not there: mount the shared folder"):
        open_store(new, copies(True))
    new.path.write_text("a file")
    with pytest.raises(LibraryError, match="is not a folder"):
        open_store(new, copies(True))
    # the library folder's own store/ is made when missing, as always (each desktop sharing a database may
    # keep its own): never an error, and the database is not asked
    default = StoreLocation(tmp_path / "home" / "store", "default")
    (tmp_path / "home").mkdir()
    asked.clear()
    assert open_store(default, copies(True)).is_dir()
    assert default.path.stat().st_mode & 0o777 == 0o700 and asked == []
