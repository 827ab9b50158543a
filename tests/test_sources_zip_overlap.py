"""CPU on hostile archives: overlapping entries, many small bombs, too many entries.

A "zip bomb without recursion" makes every entry unpack the same compressed
kernel again: 1,000 entries in 52 KB cost 250 CPU-seconds of parsing. These
tests check what is handed on (no member of such an archive reaches a
parser), never how long it takes.
"""
from __future__ import annotations

import io
import struct
import zipfile

import numpy as np

from dosetrail.core.cli.main import main
from dosetrail.core.sources.archive import iter_zip
from dosetrail.core.sources.base import SourceItem, SourceProblem
from dosetrail.core.sources.limits import MIB, ArchiveLimits

from synth import make_ct_series, make_overlap_bomb, make_small_members_bomb, make_zip


def _events(path, **kw):
    items, problems = [], []
    for ev in iter_zip(str(path), str(path), **kw):
        if isinstance(ev, SourceItem):
            items.append(ev)
        elif isinstance(ev, SourceProblem):
            problems.append(ev)
    return items, problems


def test_full_overlap_bomb_is_refused_as_a_whole(tmp_path):
    bomb = make_overlap_bomb(tmp_path / "bomb.zip", entries=1000)
    assert bomb.stat().st_size < 60_000
    items, problems = _events(bomb)
    assert items == []
    assert len(problems) == 1 and problems[0].label == str(bomb)
    assert "1000 of the archive's 1000 entries overlap" in problems[0].reason


def test_quoted_overlap_bomb_is_refused(tmp_path):
    bomb = make_overlap_bomb(tmp_path / "quoted.zip", entries=40, kernel_kib=1000, quoted=True)
    with zipfile.ZipFile(bomb) as zf:  # every entry is a valid member on its own
        assert len(zf.read("q00039.dcm")) == 1000 << 10
    items, problems = _events(bomb)
    assert items == [] and len(problems) == 1 and "overlap" in problems[0].reason


def test_a_few_overlapping_entries_are_refused_one_by_one(tmp_path):
    bomb = make_overlap_bomb(tmp_path / "few.zip", entries=3, same_names=True)
    items, problems = _events(bomb)
    assert items == []
    assert [p.label for p in problems] == [f"{bomb}!kernel.dcm"] * 3
    assert all(p.reason.startswith("overlapping entry") and p.kind == "rejected" for p in problems)


def test_many_small_highly_compressed_members_are_capped(tmp_path):
    bomb = make_small_members_bomb(tmp_path / "small.zip", members=200, member_kib=1024)
    items, problems = _events(bomb)
    limits = ArchiveLimits()
    assert len(items) == limits.small_ratio_allowance_bytes // MIB  # the allowance, then refusals
    assert len(problems) == 200 - len(items)
    assert all("compression ratio" in p.reason and "already holds 16.0 MiB" in p.reason for p in problems)


def test_a_few_blank_images_are_still_imported(tmp_path):
    series = make_ct_series(n_slices=3)
    for ds in series:  # 512 x 512 zeros: far above 200:1 once deflated
        ds.Rows = ds.Columns = 512
        ds.PixelData = np.zeros((512, 512), "<u2").tobytes()
    archive = make_zip(series, tmp_path / "blank.zip")
    with zipfile.ZipFile(archive) as zf:
        assert all(i.file_size > 200 * i.compress_size for i in zf.infolist())
    items, problems = _events(archive)
    assert len(items) == 3 and problems == []


def test_entry_count_is_checked_on_the_end_record(tmp_path):
    archive = make_zip(make_ct_series(n_slices=1), tmp_path / "one.zip")
    data = bytearray(archive.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 65535, 65535)  # declares 65,535 entries, holds one
    archive.write_bytes(bytes(data))
    items, problems = _events(archive, limits=ArchiveLimits(max_members=1000))
    assert items == []
    assert [p.reason for p in problems] == ["archive lists 65535 entries, more than the limit of 1000 (zip bomb?)"]


def test_sound_archives_have_no_overlap(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:  # stored and deflated members, a data descriptor
        zf.writestr("a.dcm", b"a" * 1000)
        zf.writestr(zipfile.ZipInfo("b.dcm"), bytes(range(256)) * 40, compress_type=zipfile.ZIP_DEFLATED)
        with zf.open("c.dcm", "w") as out:
            out.write(b"c" * 5000)
    path = tmp_path / "sound.zip"
    path.write_bytes(buf.getvalue())
    items, problems = _events(path)
    assert [i.label.rsplit("!", 1)[1] for i in items] == ["a.dcm", "b.dcm", "c.dcm"]
    assert problems == []


def test_cli_refuses_the_overlap_bomb_with_one_line(tmp_path, capsys):
    bomb = make_overlap_bomb(tmp_path / "bomb.zip", entries=1000)
    assert main(["import", str(bomb)]) == 1
    out = capsys.readouterr().out
    assert f"rejected: {bomb}: 1000 of the archive's 1000 entries overlap" in out
    assert out.count("rejected:") == 1
