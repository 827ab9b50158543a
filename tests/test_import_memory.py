"""Memory of an import stays bounded by bytes, whatever the size of a file or archive.

Measured with tracemalloc (every Python allocation, deterministic for a given
input), in this process only: the worker's copy of a big file, and the main
process's reading of archive members. Durations and whole-process figures are
in bench/import_memory.py.
"""
from __future__ import annotations

import filecmp
import os
import tempfile
import tracemalloc
import zipfile

from dosetrail.core.api import Library
from dosetrail.core.importer import pipeline
from dosetrail.core.importer.worker import Task, process_task
from dosetrail.core.model.import_records import ParsedInstance
from dosetrail.core.storage.filestore import copy_atomic, resolve

from synth import make_big_stored_zip, write_big_dicom

MIB = 1 << 20


def _peak(fn):
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_big_file_is_parsed_in_place_and_copied_in_chunks(tmp_path):
    src = write_big_dicom(tmp_path / "src" / "big.dcm", 48 * MIB)
    store = tmp_path / "store"
    (rec, nbytes), peak = _peak(lambda: process_task(Task(str(src), local_path=str(src)), str(store), False))
    assert isinstance(rec, ParsedInstance), rec
    assert rec.size == nbytes == os.path.getsize(src)
    assert filecmp.cmp(src, resolve(store, rec.stored_path), shallow=False)
    assert peak < 8 * MIB  # the file is 48 MiB: it was never held whole


def test_copy_atomic_hashes_while_copying_and_keeps_a_same_size_copy(tmp_path):
    import hashlib

    src = tmp_path / "a.bin"
    src.write_bytes(os.urandom(3 * MIB + 17))
    digest = copy_atomic(tmp_path / "store", "ab/x.dcm", src)
    assert digest == hashlib.sha256(src.read_bytes()).hexdigest()
    assert (tmp_path / "store" / "ab" / "x.dcm").read_bytes() == src.read_bytes()
    assert copy_atomic(tmp_path / "store", "ab/x.dcm", src) is None  # already there: nothing written
    assert [p.name for p in (tmp_path / "store" / "ab").iterdir()] == ["x.dcm"]  # no temporary left


def test_big_archive_members_are_streamed_not_held(tmp_path, monkeypatch):
    archive = make_big_stored_zip(tmp_path / "big.zip", 8, 12 * MIB)
    spool = tmp_path / "tmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    lib = Library()
    try:
        summary, peak = _peak(lambda: lib.run_import([str(archive)], workers=1))
    finally:
        lib.close()
    assert summary.instances_imported == 8, summary.files_rejected
    assert peak < 32 * MIB  # 96 MiB of members went through this process
    assert list(spool.iterdir()) == []  # temporary copies of the members are gone
    with zipfile.ZipFile(archive) as zf:
        first = zf.read("big/IM0000.dcm")
    stored = [p for p in lib.store_root.rglob("*.dcm")]
    assert len(stored) == 8 and first in {p.read_bytes() for p in stored}


def test_small_members_in_flight_are_bounded_by_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "IN_FLIGHT_BYTES", 8 * MIB)
    monkeypatch.setattr(pipeline, "CHUNK_BYTES", 2 * MIB)
    archive = make_big_stored_zip(tmp_path / "many.zip", 40, 2 * MIB)  # 80 MiB in 2 MiB members
    lib = Library()
    try:
        summary, peak = _peak(lambda: lib.run_import([str(archive)], workers=1))
    finally:
        lib.close()
    assert summary.instances_imported == 40, summary.files_rejected
    assert peak < 40 * MIB  # read ahead by bytes (8 MiB), not by file count (48 files)


def test_a_huge_value_in_the_header_is_not_read_into_memory(tmp_path):
    from synth import make_ct_series, truncated_file, write_dataset

    ds = make_ct_series(n_slices=1)[0]
    ds.add_new(0x00091010, "OB", bytes(64 * MIB))  # a private value before the pixel data
    src = write_dataset(ds, tmp_path / "src" / "IM1.dcm")
    store = tmp_path / "store"
    (rec, nbytes), peak = _peak(lambda: process_task(Task(str(src), local_path=str(src)), str(store), False))
    assert isinstance(rec, ParsedInstance), rec
    assert rec.sop_instance_uid == ds.SOPInstanceUID and nbytes == os.path.getsize(src)
    assert filecmp.cmp(src, resolve(store, rec.stored_path), shallow=False)
    assert peak < 24 * MIB  # the value is 64 MiB
    cut = truncated_file(src, tmp_path / "cut.dcm", 40 * MIB)  # ends inside that value
    rejection, _ = process_task(Task("cut", local_path=str(cut)), str(store), False)
    assert rejection.reason == "truncated file: the file ends inside a header element"
