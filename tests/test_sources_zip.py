"""ZIP and gzip sources: members in memory, nesting, zip slip, bombs, encryption, damage."""
from __future__ import annotations

import gzip
import io
import os
import struct
import zipfile
import zlib

import pytest
from pydicom.data import get_testdata_file

from dosetrail.core.sources.archive import MemberReadError, iter_zip, unsafe_member_name
from dosetrail.core.sources.base import SourceError, SourceItem, SourceProblem, SourceProgress
from dosetrail.core.sources.discover import iter_source, source_kind
from dosetrail.core.sources.limits import ArchiveLimits

CT = get_testdata_file("CT_small.dcm", download=False)
MR = get_testdata_file("MR_small.dcm", download=False)


def _bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _make_zip(path, members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> str:
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return str(path)


def _zip_bytes(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _split(events):
    items = [e for e in events if isinstance(e, SourceItem)]
    problems = [e for e in events if isinstance(e, SourceProblem)]
    return items, problems


def _read_all(path, **kw):
    """Consume like the pipeline: read each item before advancing."""
    items, problems, errors = {}, {}, {}
    for ev in iter_source(str(path), **kw):
        if isinstance(ev, SourceItem):
            try:
                items[ev.label] = ev.read()
            except MemberReadError as exc:
                errors[ev.label] = str(exc)
        elif isinstance(ev, SourceProblem):
            problems[ev.label] = ev
    return items, problems, errors


# -- ZipCrypto / AES archives written by hand (zipfile cannot write them) --------------------

def _zipcrypto(data: bytes, password: bytes, crc: int) -> bytes:
    keys = [0x12345678, 0x23456789, 0x34567890]

    def crc_byte(value: int, byte: int) -> int:
        return zlib.crc32(bytes([byte]), value ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    def update(byte: int) -> None:
        keys[0] = crc_byte(keys[0], byte)
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = crc_byte(keys[2], keys[1] >> 24)

    for b in password:
        update(b)
    out = bytearray()
    for b in os.urandom(11) + bytes([crc >> 24]) + data:
        temp = (keys[2] | 2) & 0xFFFF
        out.append(b ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
        update(b)
    return bytes(out)


def _raw_zip(members: list[tuple[str, bytes, int, int, int, int, bytes]]) -> bytes:
    """(name, payload, flags, method, crc, size, extra) stored as given."""
    body, central = bytearray(), bytearray()
    for name, payload, flags, method, crc, size, extra in members:
        raw_name = name.encode()
        offset = len(body)
        body += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, flags, method, 0, 0x21, crc,
                            len(payload), size, len(raw_name), len(extra)) + raw_name + extra + payload
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, flags, method, 0, 0x21,
                               crc, len(payload), size, len(raw_name), len(extra), 0, 0, 0, 0,
                               offset) + raw_name + extra
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central),
                       len(body), 0)
    return bytes(body + central + eocd)


def _encrypted_zip(path, password: bytes) -> str:
    data = _bytes(CT)
    crc = zlib.crc32(data)
    aes_extra = struct.pack("<HHH2sBH", 0x9901, 7, 2, b"AE", 3, 8)
    raw = _raw_zip([
        ("secret/CT_small.dcm", _zipcrypto(data, password, crc), 0x1, 0, crc, len(data), b""),
        ("secret/aes.dcm", os.urandom(64), 0x1, 99, 0, 40, aes_extra),
    ])
    with open(path, "wb") as fh:
        fh.write(raw)
    return str(path)


# -- members ---------------------------------------------------------------------------------

def test_members_are_read_in_memory_with_archive_labels(tmp_path):
    archive = _make_zip(tmp_path / "study.zip", {"DICOM/CT1": _bytes(CT), "DICOM/MR1.dcm": _bytes(MR)})
    before = set(os.listdir(tmp_path))
    events = list(iter_source(archive))
    items, problems = _split(events)
    assert not problems
    assert [i.label for i in items] == [f"{archive}!DICOM/CT1", f"{archive}!DICOM/MR1.dcm"]
    assert all(i.local_path is None and i.origin == "zip" for i in items)
    assert items[0].read() == _bytes(CT) and items[1].read() == _bytes(MR)
    assert items[0].size == len(_bytes(CT))
    assert set(os.listdir(tmp_path)) == before  # nothing extracted


def test_nested_zips_by_name_and_by_magic(tmp_path):
    inner = _zip_bytes({"CT_small.dcm": _bytes(CT)})
    deeper = _zip_bytes({"deep/MR_small.dcm": _bytes(MR)})
    middle = _zip_bytes({"inner2.zip": deeper}, method=zipfile.ZIP_STORED)
    archive = _make_zip(tmp_path / "outer.zip", {"inner.zip": inner, "payload.bin": middle})
    items, problems, errors = _read_all(archive)
    assert not problems and not errors
    assert items[f"{archive}!inner.zip!CT_small.dcm"] == _bytes(CT)
    assert items[f"{archive}!payload.bin!inner2.zip!deep/MR_small.dcm"] == _bytes(MR)
    assert len(items) == 2


def test_nesting_deeper_than_limit_is_rejected(tmp_path):
    level3 = _zip_bytes({"c.zip": _zip_bytes({"CT.dcm": _bytes(CT)})})
    archive = _make_zip(tmp_path / "a.zip", {"b.zip": level3, "top.dcm": _bytes(MR)})
    items, problems, _ = _read_all(archive, limits=ArchiveLimits(max_nesting=2))
    assert list(items) == [f"{archive}!top.dcm"]
    (label, problem), = problems.items()
    assert label == f"{archive}!b.zip!c.zip" and "nested" in problem.reason
    assert problem.kind == "rejected"
    items, problems, _ = _read_all(archive, limits=ArchiveLimits(max_nesting=3))
    assert f"{archive}!b.zip!c.zip!CT.dcm" in items and not problems


@pytest.mark.parametrize("name", ["../evil.dcm", "/abs/evil.dcm", "C:/evil.dcm", "a/../../evil.dcm",
                                  "..\\evil.dcm"])
def test_zip_slip_names_are_refused(tmp_path, name):
    workdir = tmp_path / "work"
    workdir.mkdir()
    archive = _make_zip(workdir / "slip.zip", {name: _bytes(CT), "ok/CT.dcm": _bytes(CT)})
    items, problems, _ = _read_all(archive)
    assert list(items) == [f"{archive}!ok/CT.dcm"]
    (problem,) = problems.values()
    assert problem.kind == "rejected" and problem.reason.startswith("unsafe path in archive")
    assert not (tmp_path / "evil.dcm").exists()


def test_unsafe_member_name_rules():
    assert not unsafe_member_name("a/b..c/..d/file.dcm")
    assert unsafe_member_name("\\\\server\\share\\x") and unsafe_member_name("d:evil")


def test_zip_bomb_by_ratio_is_rejected_and_archive_goes_on(tmp_path):
    archive = _make_zip(tmp_path / "bomb.zip", {"zeros.dcm": b"\0" * (8 << 20), "CT.dcm": _bytes(CT)})
    items, problems, errors = _read_all(archive)
    assert list(items) == [f"{archive}!CT.dcm"] and not errors
    reason = problems[f"{archive}!zeros.dcm"].reason
    assert "ratio" in reason and "zip bomb" in reason


def test_small_regular_members_are_not_refused_for_their_ratio(tmp_path):
    archive = _make_zip(tmp_path / "blank.zip", {"blank.dcm": b"\0" * 500_000})
    items, problems, _ = _read_all(archive)
    assert items[f"{archive}!blank.dcm"] == b"\0" * 500_000 and not problems


def test_zip_bomb_by_declared_size_with_small_limit(tmp_path):
    big = os.urandom(300_000)
    archive = _make_zip(tmp_path / "big.zip", {"big.dcm": big, "CT.dcm": _bytes(CT)})
    items, problems, _ = _read_all(archive, limits=ArchiveLimits(max_member_bytes=200_000))
    assert list(items) == [f"{archive}!CT.dcm"]
    assert "per-file limit" in problems[f"{archive}!big.dcm"].reason
    items, problems, _ = _read_all(archive, limits=ArchiveLimits(max_member_bytes=400_000))
    assert items[f"{archive}!big.dcm"] == big


def test_total_limit_counts_what_was_read_across_nested_archives(tmp_path):
    parts = {f"m{i}.dcm": os.urandom(60_000) for i in range(3)}
    archive = _make_zip(tmp_path / "t.zip", {"in.zip": _zip_bytes(parts)})
    items, problems, _ = _read_all(archive, limits=ArchiveLimits(max_total_bytes=300_000))
    # the nested archive itself (~180 kB) and its first member fit; later members do not
    assert len(items) == 1 and len(problems) == 2
    assert all("total limit" in p.reason for p in problems.values())


def test_too_many_members_refuses_the_archive(tmp_path):
    archive = _make_zip(tmp_path / "many.zip", {f"f{i}": b"x" for i in range(6)})
    events = list(iter_source(archive, limits=ArchiveLimits(max_members=5)))
    items, problems = _split(events)
    assert not items and len(problems) == 1 and "6 entries" in problems[0].reason


def test_encrypted_members_need_the_password(tmp_path):
    archive = _encrypted_zip(tmp_path / "enc.zip", b"s3cret")
    items, problems, _ = _read_all(archive)
    assert not items
    assert problems[f"{archive}!secret/CT_small.dcm"].reason == "encrypted archive: run again with --password"

    items, problems, _ = _read_all(archive, password="s3cret")
    assert items == {f"{archive}!secret/CT_small.dcm": _bytes(CT)}
    assert "AES" in problems[f"{archive}!secret/aes.dcm"].reason

    items, problems, errors = _read_all(archive, password="wrong")
    assert errors == {f"{archive}!secret/CT_small.dcm": "wrong password for encrypted member"}


def test_corrupted_member_fails_its_read_only(tmp_path):
    archive = _make_zip(tmp_path / "crc.zip", {"a.dcm": _bytes(CT), "b.dcm": _bytes(MR)},
                        method=zipfile.ZIP_STORED)
    raw = bytearray(_bytes(archive))
    pos = raw.index(_bytes(CT)[200:240])  # inside the first member's stored data
    raw[pos] ^= 0xFF
    (tmp_path / "crc.zip").write_bytes(bytes(raw))
    items, problems, errors = _read_all(archive)
    assert "bad CRC-32" in errors[f"{archive}!a.dcm"]
    assert items == {f"{archive}!b.dcm": _bytes(MR)}


def test_truncated_archive_salvages_complete_members(tmp_path):
    members = {"1.dcm": _bytes(CT), "2.dcm": _bytes(MR), "3.dcm": _bytes(CT)}
    archive = _make_zip(tmp_path / "cut.zip", members)
    raw = _bytes(archive)
    cut = raw.index(b"PK\x03\x04", raw.index(b"3.dcm") - 30) + 200  # inside member 3's data
    (tmp_path / "cut.zip").write_bytes(raw[:cut])
    events = list(iter_source(archive))
    items, problems = _split(events)
    assert {i.label: i.read() for i in items} == {f"{archive}!1.dcm": _bytes(CT),
                                                  f"{archive}!2.dcm": _bytes(MR)}
    assert [p.label for p in problems] == [f"{archive}!3.dcm"]
    assert "truncated" in problems[0].reason
    assert any(isinstance(e, SourceProgress) and "damaged or incomplete" in e.message for e in events)


def test_file_named_zip_that_is_not_a_zip(tmp_path):
    fake = tmp_path / "study.zip"
    fake.write_text("<html>login</html>")
    events = list(iter_source(str(fake)))
    assert len(events) == 1 and isinstance(events[0], SourceProblem)
    assert events[0].kind == "rejected" and "not a ZIP archive" in events[0].reason


def test_zip_detected_by_magic_and_dicom_named_zip_is_a_file(tmp_path):
    archive = _make_zip(tmp_path / "download", {"CT.dcm": _bytes(CT)})
    assert source_kind(archive) == "zip"
    dicom = tmp_path / "oddly.zip"
    dicom.write_bytes(_bytes(CT))
    assert source_kind(str(dicom)) == "file"


def test_metadata_viewers_and_dicomdir_inside_are_skipped(tmp_path):
    archive = _make_zip(tmp_path / "cd.zip", {
        "__MACOSX/DICOM/._IM1": b"apple", "DICOM/._IM1": b"apple", "DICOMDIR": b"index",
        "Viewer.exe": b"MZ", "autorun.inf": b"[autorun]", "IHE_PDI/INDEX.HTM": b"<html>",
        "DICOM/IM1": _bytes(CT), "web/odd.htm": _bytes(MR),  # DICOM with an odd name is kept
    })
    items, problems, _ = _read_all(archive)
    assert set(items) == {f"{archive}!DICOM/IM1", f"{archive}!web/odd.htm"}
    reasons = {label.split("!", 1)[1]: p.reason for label, p in problems.items()}
    assert all(p.kind == "skipped" for p in problems.values())
    assert reasons["__MACOSX/DICOM/._IM1"] == reasons["DICOM/._IM1"] == "macOS metadata (not DICOM)"
    assert "media index" in reasons["DICOMDIR"]
    assert reasons["Viewer.exe"] == "viewer program (not executed)"
    assert reasons["autorun.inf"] == "autorun file"
    assert reasons["IHE_PDI/INDEX.HTM"] == "IHE PDI web content"


def test_link_mode_refuses_archives(tmp_path):
    archive = _make_zip(tmp_path / "s.zip", {"CT.dcm": _bytes(CT)})
    with pytest.raises(SourceError, match="--link keeps files where they are"):
        list(iter_source(archive, link_mode=True))


def test_iter_zip_accepts_a_file_object():
    data = _zip_bytes({"x/CT.dcm": _bytes(CT)})
    (item,) = list(iter_zip(io.BytesIO(data), "mem.zip"))
    assert item.label == "mem.zip!x/CT.dcm" and item.read() == _bytes(CT)


# -- gzip ------------------------------------------------------------------------------------

def test_gzip_single_file(tmp_path):
    path = tmp_path / "study.dcm.gz"
    path.write_bytes(gzip.compress(_bytes(CT)))
    (item,) = list(iter_source(str(path)))
    assert item.origin == "gzip" and item.label == str(path) and item.read() == _bytes(CT)


def test_gzip_bomb_is_stopped_while_reading(tmp_path):
    path = tmp_path / "bomb.dcm.gz"
    path.write_bytes(gzip.compress(os.urandom(300_000)))
    (item,) = list(iter_source(str(path), limits=ArchiveLimits(max_member_bytes=100_000)))
    with pytest.raises(MemberReadError, match="per-file limit"):
        item.read()
    path.write_bytes(gzip.compress(b"\0" * (4 << 20)))
    (item,) = list(iter_source(str(path)))
    with pytest.raises(MemberReadError, match="times its compressed size"):
        item.read()


def test_truncated_and_fake_gzip(tmp_path):
    path = tmp_path / "cut.dcm.gz"
    path.write_bytes(gzip.compress(_bytes(CT))[:-100])
    (item,) = list(iter_source(str(path)))
    with pytest.raises(MemberReadError, match="truncated"):
        item.read()
    fake = tmp_path / "fake.gz"
    fake.write_bytes(b"plain text, not gzip")
    (item,) = list(iter_source(str(fake)))
    with pytest.raises(MemberReadError, match="not gzip"):
        item.read()


def test_gzip_member_inside_zip(tmp_path):
    archive = _make_zip(tmp_path / "g.zip", {"a/CT.dcm.gz": gzip.compress(_bytes(CT))},
                        method=zipfile.ZIP_STORED)
    items, problems, errors = _read_all(archive)
    assert items == {f"{archive}!a/CT.dcm.gz": _bytes(CT)} and not problems and not errors


class _Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes data descriptors (sizes after the data)."""

    def __init__(self):
        self.buf = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.buf += b
        return len(b)


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_truncated_streamed_archive_with_data_descriptors(tmp_path, method):
    stream = _Unseekable()
    with zipfile.ZipFile(stream, "w", compression=method) as zf:
        for name, src in (("a.dcm", CT), ("b.dcm", MR), ("c.dcm", CT)):
            zf.writestr(name, _bytes(src))
    raw = bytes(stream.buf)
    assert struct.unpack("<H", raw[6:8])[0] & 0x8  # sizes follow the data
    path = tmp_path / "streamed.zip"
    path.write_bytes(raw[: raw.index(b"c.dcm") + 300])
    items, problems = _split(list(iter_source(str(path))))
    assert {i.label.rsplit("!", 1)[1]: i.read() for i in items} == {"a.dcm": _bytes(CT),
                                                                  "b.dcm": _bytes(MR)}
    assert [p.label.rsplit("!", 1)[1] for p in problems] == ["c.dcm"]
    assert "truncated" in problems[0].reason


def test_stored_member_containing_the_descriptor_signature(tmp_path):
    tricky = b"head" + b"PK\x07\x08" + b"\0" * 12 + _bytes(CT)  # a false descriptor inside
    stream = _Unseekable()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("tricky.dcm", tricky)
        zf.writestr("next.dcm", _bytes(MR))
    raw = bytes(stream.buf)
    path = tmp_path / "t.zip"
    path.write_bytes(raw[: raw.index(b"PK\x01\x02") + 10])  # central directory cut
    items, problems = _split(list(iter_source(str(path))))
    assert [i.read() for i in items] == [tricky, _bytes(MR)]
    assert problems == []  # only the table of contents was lost: every member is intact


def test_tar_rar_and_7z_are_refused_with_a_reason(tmp_path):
    import tarfile

    path = tmp_path / "study.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        tf.add(CT, "CT.dcm")
    (problem,) = list(iter_source(str(path)))
    assert problem.kind == "rejected" and problem.reason.startswith("tar archive: not supported")
    archive = _make_zip(tmp_path / "z.zip", {"inner.rar": b"Rar!\x1a\x07", "CT.dcm": _bytes(CT)})
    items, problems, _ = _read_all(archive)
    assert list(items) == [f"{archive}!CT.dcm"]
    assert problems[f"{archive}!inner.rar"].reason.startswith("RAR archive: not supported")


def test_names_judged_safe_never_leave_the_archive_folder():
    """Every name of up to 4 tricky parts: if judged safe, it stays inside (POSIX and Windows)."""
    import itertools
    import ntpath
    import posixpath

    parts = ["..", ".", "a", "", "C:", "c:x", "\\", "..\\..", " ", "..."]
    checked = 0
    for length in range(1, 5):
        for pieces in itertools.product(parts, repeat=length):
            for sep in ("/", "\\"):
                name = sep.join(pieces)
                if unsafe_member_name(name):
                    continue
                checked += 1
                for mod, root in ((posixpath, "/r/x"), (ntpath, "D:\\r\\x")):
                    native = name.replace("\\", "/") if mod is posixpath else name
                    target = mod.normpath(mod.join(root, native))
                    assert target == root or target.startswith(root + mod.sep), (name, target)
    assert checked > 1000


def test_damaged_archives_never_crash_the_source(tmp_path):
    """Random truncations and byte flips: every failure is a problem or a MemberReadError."""
    import random

    inner = _zip_bytes({"x.dcm": _bytes(CT)[:3000]})
    members = {"a/1.dcm": _bytes(CT)[:3000], "in.zip": inner, "b.dcm.gz": gzip.compress(_bytes(MR)[:3000])}
    stream = _Unseekable()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    bases = [_zip_bytes(members), _zip_bytes(members, zipfile.ZIP_STORED), bytes(stream.buf)]
    rng = random.Random(20261125)
    path = tmp_path / "damaged.zip"
    outcomes = set()
    for _ in range(250):
        raw = bytearray(rng.choice(bases))
        if rng.random() < 0.4:
            raw = raw[: rng.randrange(len(raw))]
        else:
            for _flip in range(rng.randint(1, 8)):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
        path.write_bytes(bytes(raw))
        for ev in iter_source(str(path)):
            outcomes.add(type(ev).__name__)
            if isinstance(ev, SourceItem):
                try:
                    ev.read()
                except MemberReadError:
                    outcomes.add("MemberReadError")
    assert {"SourceItem", "SourceProblem", "MemberReadError"} <= outcomes
