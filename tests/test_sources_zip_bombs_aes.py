"""Zip/gzip bombs are refused early at bounded memory; AES-encrypted ZIP members are read.

Bombs here are like the audit's: zeros deflated at level 1 (about 229:1, just
over the 200:1 cap), so only a check of the ratio *so far* stops them before
the per-file limit. Memory is measured with tracemalloc around the read.
AES archives are written with pyzipper itself (no binary fixtures).
"""
from __future__ import annotations

import gzip
import io
import json
import os
import struct
import tracemalloc
import zipfile
import zlib

import pytest
import pyzipper
from pydicom.data import get_testdata_file

from dosetrail.core.cli.main import main
from dosetrail.core.sources.archive import MemberReadError
from dosetrail.core.sources.base import SourceProblem
from dosetrail.core.sources.discover import iter_source
from dosetrail.core.sources.gzip_source import gunzip_capped
from dosetrail.core.sources.limits import MIB, ArchiveLimits

from synth import make_zip_bomb
from test_sources_zip import _read_all as read_all_events

CT = get_testdata_file("CT_small.dcm", download=False)
MR = get_testdata_file("MR_small.dcm", download=False)
BOUND = 64 * MIB  # what a refused bomb may hold at most (the cap would allow 2 GiB)


def _bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _zeros_deflated(total: int, *, wbits: int = -15, level: int = 1) -> tuple[bytes, int]:
    """``total`` zero bytes compressed in chunks (cheap in memory); returns (data, CRC-32)."""
    co = zlib.compressobj(level, zlib.DEFLATED, wbits)
    block = bytes(16 * MIB)
    out, crc, left = [], 0, total
    while left:
        piece = block[:min(left, len(block))]
        out.append(co.compress(piece))
        crc = zlib.crc32(piece, crc)
        left -= len(piece)
    out.append(co.flush())
    return b"".join(out), crc


def _one_member_zip(path, name: str, packed: bytes, crc: int, declared: int, method: int = 8) -> str:
    """A ZIP with one member whose headers declare ``declared`` bytes, true or not."""
    raw_name = name.encode()
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc, len(packed),
                        declared, len(raw_name), 0) + raw_name
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, crc,
                          len(packed), declared, len(raw_name), 0, 0, 0, 0, 0, 0) + raw_name
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(packed), 0)
    with open(path, "wb") as fh:
        fh.write(local + packed + central + eocd)
    return str(path)


def _peak_of(fn):
    """(result or exception, peak traced bytes) of ``fn()``."""
    tracemalloc.start()
    try:
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 - returned for the test to judge
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _read_all(path, **kw):
    """Consume like the pipeline (tests/test_sources_zip.py); problems as their reasons."""
    items, problems, errors = read_all_events(path, **kw)
    return items, {label: p.reason for label, p in problems.items()}, errors


# -- bombs: refused early, with the usual reasons ---------------------------------------------

def test_gzip_bomb_is_refused_at_bounded_memory(tmp_path):
    packed, _crc = _zeros_deflated(200 * MIB, wbits=31)  # ~0.9 MB; the whole-file cap allows ~180 MB
    path = tmp_path / "bomb.dcm.gz"
    path.write_bytes(packed)
    (item,) = list(iter_source(str(path)))
    result, peak = _peak_of(item.read)
    assert isinstance(result, MemberReadError)
    assert str(result) == "gzip file unpacks more than 200 times its compressed size (zip bomb?)"
    assert peak < BOUND


def test_gzip_bomb_inside_a_zip_is_refused_at_bounded_memory(tmp_path):
    packed, _crc = _zeros_deflated(200 * MIB, wbits=31)
    archive = tmp_path / "wrapped.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a/bomb.dcm.gz", packed)
    (item,) = list(iter_source(str(archive)))
    result, peak = _peak_of(item.read)
    assert "times its compressed size (zip bomb?)" in str(result)
    assert peak < BOUND


def test_zip_member_declaring_a_plausible_size_is_refused_at_bounded_memory(tmp_path):
    # declares 150 MiB (a believable ~165:1), really unpacks to 200 MiB at ~229:1
    packed, crc = _zeros_deflated(200 * MIB)
    archive = _one_member_zip(tmp_path / "liar.zip", "bomb.dcm", packed, crc, 150 * MIB)
    (item,) = list(iter_source(archive))
    result, peak = _peak_of(item.read)
    assert isinstance(result, MemberReadError)
    assert str(result) == "member unpacks more than 200 times its compressed size (zip bomb?)"
    assert peak < BOUND


def test_truncated_archive_bomb_is_refused_at_bounded_memory(tmp_path):
    packed, crc = _zeros_deflated(200 * MIB)
    archive = _one_member_zip(tmp_path / "liar.zip", "bomb.dcm", packed, crc, 150 * MIB)
    with open(archive, "r+b") as fh:  # no table of contents: read by the salvage path
        fh.truncate(os.path.getsize(archive) - 40)
    (events, peak) = _peak_of(lambda: list(iter_source(archive)))
    problems = [e for e in events if isinstance(e, SourceProblem)]
    assert [p.reason for p in problems] == ["member unpacks more than 200 times its compressed size (zip bomb?)"]
    assert peak < BOUND


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_member_unpacking_past_its_declared_size_is_refused(tmp_path, method):
    # declared size = compressed size (1:1); zipfile would inflate a whole bz2/LZMA read at once
    archive = make_zip_bomb(tmp_path / "liar.zip", size_mb=64, compression=method, lie_about_size=True)
    (item,) = list(iter_source(str(archive)))
    result, peak = _peak_of(item.read)
    assert isinstance(result, MemberReadError)
    assert "its header declares (damaged archive or zip bomb?)" in str(result)
    assert peak < 16 * MIB


def test_nested_zip_bomb_is_refused_at_bounded_memory(tmp_path):
    packed, crc = _zeros_deflated(200 * MIB)
    inner = _one_member_zip(tmp_path / "inner.zip", "bomb.dcm", packed, crc, 150 * MIB)
    outer = tmp_path / "outer.zip"
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_STORED) as zf:
        zf.write(inner, "x/inner.zip")
        zf.writestr("x/CT.dcm", _bytes(CT))
    (items, problems, errors), peak = _peak_of(lambda: _read_all(outer))
    assert items == {f"{outer}!x/CT.dcm": _bytes(CT)}
    assert errors == {f"{outer}!x/inner.zip!bomb.dcm":
                      "member unpacks more than 200 times its compressed size (zip bomb?)"}
    assert peak < BOUND


# -- what must still come through -------------------------------------------------------------

def _blank_then_noise() -> bytes:
    """40 MiB of zeros (blank frames) then 24 MiB of noise: ~2.7:1 overall, but over 200:1
    for its first 40 MiB (past the running-ratio floor)."""
    return bytes(40 * MIB) + os.urandom(24 * MIB)


def test_large_member_starting_blank_is_read_whole(tmp_path):
    data = _blank_then_noise()
    archive = tmp_path / "study.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("DICOM/IM1", data)
    items, problems, errors = _read_all(archive)
    assert not problems and not errors and items[f"{archive}!DICOM/IM1"] == data
    path = tmp_path / "IM1.dcm.gz"
    path.write_bytes(gzip.compress(data, 1))
    (item,) = list(iter_source(str(path)))
    assert item.read() == data


def test_running_ratio_floor_is_a_limit(tmp_path):
    # a gzip trailer that understates the size (forged, or a multi-member file) is only a hint:
    # past it the ratio so far counts again
    data = bytes(8 * MIB) + os.urandom(MIB)
    packed = bytearray(gzip.compress(data, 1))
    packed[-4:] = (1000).to_bytes(4, "little")
    path = tmp_path / "IM1.dcm.gz"
    path.write_bytes(bytes(packed))
    (item,) = list(iter_source(str(path), limits=ArchiveLimits(running_ratio_floor_bytes=4 * MIB)))
    with pytest.raises(MemberReadError, match="times its compressed size"):
        item.read()
    honest = tmp_path / "IM2.dcm.gz"
    honest.write_bytes(gzip.compress(data, 1))  # the same data with its true size: read whole
    (item,) = list(iter_source(str(honest), limits=ArchiveLimits(running_ratio_floor_bytes=4 * MIB)))
    assert item.read() == data


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                                    zipfile.ZIP_LZMA])
def test_every_method_reads_back_exactly(tmp_path, method):
    members = {"a/CT.dcm": _bytes(CT), "a/MR.dcm": _bytes(MR), "empty.dcm": b"",
               "big.dcm": os.urandom(3 * MIB) + bytes(5 * MIB)}
    archive = tmp_path / "m.zip"
    with zipfile.ZipFile(archive, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    items, problems, errors = _read_all(archive)
    assert not problems and not errors
    assert items == {f"{archive}!{name}": data for name, data in members.items()}


def test_corrupt_deflated_member_fails_its_crc(tmp_path):
    data = os.urandom(200_000)
    archive = tmp_path / "c.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.dcm", data)
        zf.writestr("b.dcm", _bytes(CT))
    info = zipfile.ZipFile(archive).getinfo("a.dcm")
    raw = bytearray(archive.read_bytes())
    start = info.header_offset + 30 + len(info.filename)
    raw[start + 5000] ^= 0xFF  # a stored (incompressible) block: still inflates, wrong bytes
    archive.write_bytes(bytes(raw))
    items, _problems, errors = _read_all(archive)
    assert errors == {f"{archive}!a.dcm": "damaged member: bad CRC-32 (the archive is corrupt)"}
    assert list(items) == [f"{archive}!b.dcm"]


@pytest.mark.parametrize("size", [0, 1, MIB - 1, MIB, 2 * MIB, 3 * MIB + 17])
def test_gzip_reads_back_like_gzipfile(size):
    data = bytes(size // 2) + os.urandom(size - size // 2)
    limits = ArchiveLimits()
    assert gunzip_capped(gzip.compress(data, 9), limits) == data
    # several members, zero padding between and after (as GzipFile allows)
    multi = gzip.compress(data) + b"\0" * 10 + gzip.compress(b"tail") + b"\0" * 3
    assert gunzip_capped(multi, limits) == data + b"tail"
    assert gunzip_capped(b"", limits) == b""
    with pytest.raises(MemberReadError, match="not gzip"):
        gunzip_capped(gzip.compress(data) + b"garbage", limits)
    with pytest.raises(MemberReadError, match="truncated"):
        gunzip_capped(gzip.compress(data)[:-3], limits)
    bad_crc = bytearray(gzip.compress(data))
    bad_crc[-8] ^= 0xFF
    with pytest.raises(MemberReadError, match="damaged"):
        gunzip_capped(bytes(bad_crc), limits)


def test_gzip_of_zeros_filling_whole_output_chunks():
    # all input used while zlib still holds output back (output chunk full): must not be "truncated"
    lenient = ArchiveLimits(max_ratio=1e6)
    for n in (MIB, 2 * MIB, 4 * MIB, 4 * MIB + 1):
        assert gunzip_capped(gzip.compress(bytes(n), 9), lenient) == bytes(n)


# -- AES ----------------------------------------------------------------------------------------

PASSWORD = "portal-2024"


def _aes_zip(path, members: dict[str, bytes], *, nbits: int = 256, method=zipfile.ZIP_DEFLATED,
             password: str = PASSWORD, level: int | None = None) -> str:
    with pyzipper.AESZipFile(path, "w", compression=method, compresslevel=level,
                             encryption=pyzipper.WZ_AES) as zf:
        zf.setpassword(password.encode())
        zf.setencryption(pyzipper.WZ_AES, nbits=nbits)
        for name, data in members.items():
            zf.writestr(name, data)
    return str(path)


@pytest.mark.parametrize("nbits", [128, 192, 256])
@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                                    zipfile.ZIP_LZMA])
def test_aes_members_are_read_with_the_password(tmp_path, nbits, method):
    members = {"DICOM/IM0001": _bytes(CT), "DICOM/IM0002.dcm": _bytes(MR)}
    archive = _aes_zip(tmp_path / "portal.zip", members, nbits=nbits, method=method)
    items, problems, errors = _read_all(archive, password=PASSWORD)
    assert not problems and not errors
    assert items == {f"{archive}!{name}": data for name, data in members.items()}


def test_aes_members_without_or_with_a_wrong_password(tmp_path):
    archive = _aes_zip(tmp_path / "portal.zip", {"IM1": _bytes(CT), "IM2": _bytes(MR)})
    items, problems, errors = _read_all(archive)
    assert not items and not errors
    assert set(problems.values()) == {"encrypted archive: run again with --password"}
    items, problems, errors = _read_all(archive, password="not-it")
    assert not items and not errors
    assert set(problems.values()) == {"wrong password for encrypted member (AES)"}


def test_tampered_aes_member_fails_its_authentication(tmp_path):
    archive = tmp_path / "portal.zip"
    _aes_zip(archive, {"IM1": _bytes(CT)}, method=zipfile.ZIP_STORED)
    raw = bytearray(archive.read_bytes())
    raw[raw.index(b"IM1") + 3 + 11 + 16 + 2 + 500] ^= 0x01  # inside the ciphertext
    archive.write_bytes(bytes(raw))
    items, problems, errors = _read_all(archive, password=PASSWORD)
    assert not items and not problems
    (reason,) = errors.values()
    assert reason == "wrong password or damaged member: the AES authentication check failed"


def test_zip_inside_an_aes_member_is_found_by_its_content(tmp_path):
    inner = io.BytesIO()
    _aes_zip(inner, {"in/CT.dcm": _bytes(CT)})
    archive = _aes_zip(tmp_path / "outer.zip", {"payload.bin": inner.getvalue()}, nbits=128)
    items, problems, errors = _read_all(archive, password=PASSWORD)
    assert not problems and not errors
    assert items == {f"{archive}!payload.bin!in/CT.dcm": _bytes(CT)}


def test_aes_member_lying_about_its_size_is_refused_at_bounded_memory(tmp_path):
    archive = tmp_path / "liar.zip"
    _aes_zip(archive, {"bomb.dcm": bytes(200 * MIB)}, level=1)
    info = zipfile.ZipFile(archive).getinfo("bomb.dcm")
    raw = bytearray(archive.read_bytes())
    struct.pack_into("<I", raw, info.header_offset + 22, 150 * MIB)  # local header
    central = raw.index(b"PK\x01\x02")
    struct.pack_into("<I", raw, central + 24, 150 * MIB)
    archive.write_bytes(bytes(raw))
    (item,) = list(iter_source(str(archive), password=PASSWORD))
    result, peak = _peak_of(item.read)
    assert str(result) == "member unpacks more than 200 times its compressed size (zip bomb?)"
    assert peak < BOUND


# -- as a user runs it ----------------------------------------------------------------------

def _cli(capsys, *argv: str) -> tuple[int, dict]:
    code = main(list(argv))
    return code, json.loads(capsys.readouterr().out)


def test_cli_imports_an_aes_portal_download(tmp_path, capsys):
    archive = _aes_zip(tmp_path / "portal.zip", {"DICOM/IM0001": _bytes(CT), "DICOM/IM0002": _bytes(MR)})
    code, doc = _cli(capsys, "import", archive, "--json", "--password", "wrong")
    assert code == 1 and doc["instances_imported"] == 0
    assert {r["reason"] for r in doc["files_rejected"]} == {"wrong password for encrypted member (AES)"}
    code, doc = _cli(capsys, "import", archive, "--json", "--password", PASSWORD)
    assert code == 0 and doc["instances_imported"] == 2 and not doc["files_rejected"]


def test_cli_refuses_a_gzip_bomb_with_its_reason(tmp_path, capsys):
    packed, _crc = _zeros_deflated(200 * MIB, wbits=31)
    path = tmp_path / "bomb.dcm.gz"
    path.write_bytes(packed)
    (code, doc), peak = _peak_of(lambda: _cli(capsys, "import", str(path), "--json"))
    assert code == 1
    assert doc["files_rejected"] == [{"path": str(path), "reason":
                                      "gzip file unpacks more than 200 times its compressed size (zip bomb?)",
                                      "code": "source"}]
    assert peak < BOUND
