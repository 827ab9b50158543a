"""DICOMDIR media: index order, case-insensitive IDs, stale and broken indexes, unlisted files."""
from __future__ import annotations

import os
import shutil

import pytest
from pydicom.data import get_testdata_file
from pydicom.fileset import FileSet

from dosetrail.core.sources.base import SourceItem, SourceProblem, SourceProgress
from dosetrail.core.sources.dicomdir import find_dicomdir, iter_dicomdir, read_file_ids, read_index
from dosetrail.core.sources.discover import iter_source, source_kind

DICOMDIR_TESTS = os.path.dirname(get_testdata_file("DICOMDIR", download=False))
CT = get_testdata_file("CT_small.dcm", download=False)
INDEX_FILES = {"DICOMDIR", "TINY_ALPHA/DICOMDIR"}
DOCUMENTS = {"README.txt", "TINY_ALPHA/README"}


@pytest.fixture
def medium(tmp_path):
    root = tmp_path / "cd"
    shutil.copytree(DICOMDIR_TESTS, root)
    return root


def _all_files(root) -> set[str]:
    return {os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs}


def _listed(root) -> list[str]:
    """What pydicom's own FileSet says the index references (computed independently)."""
    fs = FileSet(os.path.join(root, "DICOMDIR"))
    return [os.path.relpath(inst.path, root) for inst in fs]


def _events(root):
    events = list(iter_source(str(root)))
    items = [e for e in events if isinstance(e, SourceItem)]
    problems = [e for e in events if isinstance(e, SourceProblem)]
    progress = [e for e in events if isinstance(e, SourceProgress)]
    return items, problems, progress


def _rel(root, items):
    return [os.path.relpath(i.label, root) for i in items]


def test_index_files_first_then_every_other_file_once(medium):
    listed = _listed(medium)
    assert len(listed) > 20
    items, problems, progress = _events(medium)
    rel = _rel(medium, items)
    assert rel[: len(listed)] == listed  # index order
    assert len(rel) == len(set(rel))
    assert set(rel) == _all_files(medium) - INDEX_FILES - DOCUMENTS
    assert all(i.origin == "dicomdir" and i.local_path == i.label for i in items)
    assert problems[0].label == str(medium / "DICOMDIR")
    assert problems[0].reason == "DICOMDIR (media index, read as index)" and problems[0].kind == "skipped"
    assert not progress


def test_case_mismatch_between_index_and_disk(medium):
    listed = _listed(medium)
    for top in ("77654033", "98892003"):  # lower-case every name on disk, bottom-up
        for d, dirs, files in os.walk(medium / top, topdown=False):
            for name in files + dirs:
                os.rename(os.path.join(d, name), os.path.join(d, name.lower()))
    os.rename(medium / "DICOMDIR", medium / "dicomdir")
    assert source_kind(str(medium)) == "dicomdir"
    items, problems, progress = _events(medium)
    rel = _rel(medium, items)
    assert not progress  # nothing stale: every ID resolved despite the case
    assert [r.lower() for r in rel[: len(listed)]] == [x.lower() for x in listed]
    assert all(os.path.exists(medium / r) for r in rel)
    assert problems[0].label == str(medium / "dicomdir")


def test_iso9660_version_suffix_is_resolved(medium):
    first = _listed(medium)[0]
    os.rename(medium / first, medium / (first + ";1"))
    items, _, progress = _events(medium)
    assert _rel(medium, items)[0] == first + ";1" and not progress


def test_stale_reference_is_reported_not_counted(medium):
    listed = _listed(medium)
    gone = listed[3]
    os.remove(medium / gone)
    items, _, progress = _events(medium)
    rel = _rel(medium, items)
    assert gone not in rel
    assert rel[: len(listed) - 1] == [x for x in listed if x != gone]
    (note,) = progress
    assert "1 file(s) that are not on the medium" in note.message and gone in note.message
    _, problems, _ = _events(medium)  # the skipped index says so too, for the import report
    assert "stale index" in problems[0].reason and gone in problems[0].reason


@pytest.mark.parametrize("damage", ["garbage", "truncated", "not-a-dicomdir"])
def test_broken_dicomdir_falls_back_to_a_folder_scan(medium, damage):
    expected = _all_files(medium) - INDEX_FILES - DOCUMENTS
    path = medium / "DICOMDIR"
    if damage == "garbage":
        path.write_bytes(os.urandom(4000))
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:700])
    else:
        shutil.copy(CT, path)  # a valid DICOM file, but no directory records
    items, problems, progress = _events(medium)
    rel = _rel(medium, items)
    assert set(rel) == expected and len(rel) == len(set(rel))
    assert problems[0].reason.startswith("DICOMDIR (media index")
    assert problems[0].reason != "DICOMDIR (media index, read as index)"  # the damage is said
    if damage != "truncated":  # a truncated index may still give its first records
        assert rel == sorted(rel, key=lambda r: [p.lower() for p in r.split(os.sep)])
        assert any("could not be read" in p.message for p in progress)
        assert "could not be read" in problems[0].reason and "scanned" in problems[0].reason


def test_unlisted_files_on_the_medium_are_yielded_too(medium):
    listed = _listed(medium)
    (medium / "EXTRA").mkdir()
    shutil.copy(CT, medium / "EXTRA" / "IM1")
    items, _, _ = _events(medium)
    rel = _rel(medium, items)
    assert rel.count(os.path.join("EXTRA", "IM1")) == 1
    assert rel.index(os.path.join("EXTRA", "IM1")) >= len(listed)


def test_dicomdir_file_path_reads_its_medium(medium):
    by_root = [e.label for e in iter_source(str(medium))]
    by_file = [e.label for e in iter_source(str(medium / "DICOMDIR"))]
    assert by_file == by_root


def test_read_file_ids_reads_every_record_even_without_offsets():
    plain = read_file_ids(os.path.join(DICOMDIR_TESTS, "DICOMDIR"))
    no_offsets = read_file_ids(os.path.join(DICOMDIR_TESTS, "DICOMDIR-nooffset"))
    assert no_offsets == plain and len(plain) == len(_listed(DICOMDIR_TESTS))


def test_nested_medium_folder(medium):
    # TINY_ALPHA holds its own DICOMDIR: read as a medium of its own
    root = medium / "TINY_ALPHA"
    assert find_dicomdir(str(root)) == str(root / "DICOMDIR")
    items = [e for e in iter_dicomdir(str(root)) if isinstance(e, SourceItem)]
    assert len(items) == len([f for f in _all_files(root) if f.startswith("PT")])


def test_an_intact_index_is_not_called_damaged():
    for name in ("DICOMDIR", "DICOMDIR-nooffset", "DICOMDIR-reordered", "DICOMDIR-implicit", "DICOMDIR-bigEnd"):
        ids, damage = read_index(os.path.join(DICOMDIR_TESTS, name))
        assert len(ids) == 31 and damage is None, name
