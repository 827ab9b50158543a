"""Hostile and broken inputs: zip slip, zip bombs, nesting, truncated and garbage files."""
from __future__ import annotations

import random
import zipfile
from pathlib import Path

from pydicom import dcmwrite
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, PYDICOM_IMPLEMENTATION_UID

from .common import new_uid
from .ct import make_ct_series

__all__ = ["make_zip_slip", "make_zip_bomb", "make_nested_zip", "make_encrypted_zip",
           "make_overlap_bomb", "make_small_members_bomb",
           "truncated_file", "garbage_file", "no_preamble_dicom", "no_uid_dicom",
           "small_encapsulated_image", "SLIP_MEMBERS"]

#: Member names of :func:`make_zip_slip` that escape the extraction folder.
SLIP_MEMBERS = ("../../evil.dcm", "/abs/evil.dcm", "ok/../../../evil2.dcm")


def _dicom_bytes(ds: Dataset | None = None) -> bytes:
    import io

    ds = ds or make_ct_series(n_slices=1)[0]
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def make_zip_slip(zip_path: Path | str, *, include_good: bool = True) -> Path:
    """A ZIP whose members try to escape the extraction folder.

    Members: :data:`SLIP_MEMBERS` (``../../evil.dcm``, ``/abs/evil.dcm``,
    ``ok/../../../evil2.dcm``), each a valid DICOM file, plus ``good/IM1.dcm``
    when ``include_good``.

    Returns
    -------
    Path
    """
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in SLIP_MEMBERS:
            # ZipFile.write would sanitise the name; writestr with a ZipInfo keeps it raw
            zf.writestr(zipfile.ZipInfo(name, (2021, 3, 4, 10, 0, 0)), _dicom_bytes())
        if include_good:
            zf.writestr("good/IM1.dcm", _dicom_bytes())
    return zip_path


def make_zip_bomb(zip_path: Path | str, *, size_mb: int = 50, members: int = 1,
                  compression: int = zipfile.ZIP_DEFLATED, lie_about_size: bool = False) -> Path:
    """A ZIP of highly compressible members (``size_mb`` MB of zeros each).

    With deflate (level 9) the ratio of uncompressed to compressed size is
    above 1000; ``ZIP_BZIP2`` gives far more. Written in chunks: cheap in memory.
    With ``lie_about_size`` the headers declare an uncompressed size equal to
    the compressed one (ratio 1:1, defeating a declared-ratio check): the
    data still inflates to ``size_mb`` MB, and a reader that trusts the
    declared size hits a CRC error.

    Returns
    -------
    Path
    """
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(zip_path, "w", compression, compresslevel=9) as zf:
        for m in range(members):
            with zf.open(f"bomb{m:02d}.dcm", "w", force_zip64=size_mb >= 4096) as out:
                for _ in range(size_mb):
                    out.write(chunk)
    if lie_about_size:
        _declare_small_sizes(zip_path)
    return zip_path


def make_overlap_bomb(zip_path: Path | str, *, entries: int = 1000, kernel_kib: int = 1024,
                      same_names: bool = False, quoted: bool = False) -> Path:
    """A "zip bomb without recursion": many entries share one compressed kernel.

    One block of ``kernel_kib`` KiB of zeros is deflated once (about 1 KiB).
    By default (full overlap) the central directory lists ``entries``
    entries that all point at the one local header: 1,000 entries make a
    ~50 KB archive that unpacks to 1,000 MiB. Central names are
    ``f00000.dcm``... (the local header says ``kernel.dcm``) unless
    ``same_names``.

    With ``quoted`` (D. Fifield's construction) every entry has its own
    local header, with a name that matches: entry *i*'s deflate data is a
    stored block quoting the local header of entry *i+1*, then continues
    with entry *i+1*'s data, and so on down to the kernel. Every entry is a
    valid member that unpacks to the following headers plus the kernel.

    Returns
    -------
    Path
    """
    import struct
    import zlib

    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    raw = bytes(kernel_kib << 10)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    kernel = comp.compress(raw) + comp.flush()

    def local(name: bytes, crc: int, csize: int, usize: int) -> bytes:
        return struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, csize, usize,
                           len(name), 0) + name

    def cdir(name: bytes, crc: int, csize: int, usize: int, offset: int) -> bytes:
        return struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, csize, usize,
                           len(name), 0, 0, 0, 0, 0, offset) + name

    out, central = bytearray(), bytearray()
    if quoted:
        # built from the last entry back: each one quotes the header of the one after it
        tail = kernel  # compressed bytes from just after the current header to the end
        quoted_headers = b""  # what the current entry unpacks to before the kernel
        pieces: list[tuple[bytes, bytes, int, int, int]] = []  # (name, header, crc, csize, usize)
        for i in range(entries - 1, -1, -1):
            name = f"q{i:05d}.dcm".encode()
            crc = zlib.crc32(raw, zlib.crc32(quoted_headers))
            usize = len(quoted_headers) + len(raw)
            header = local(name, crc, len(tail), usize)
            pieces.append((name, header, crc, len(tail), usize))
            if i:
                block = struct.pack("<BHH", 0, len(header), 0xFFFF ^ len(header))  # stored, not final
                tail = block + header + tail
                quoted_headers = header + quoted_headers
        pieces.reverse()
        offset = 0
        for name, header, crc, csize, usize in pieces:
            central += cdir(name, crc, csize, usize, offset)
            offset += len(header) + 5
        first = pieces[0][1]
        out += first + tail
    else:
        crc = zlib.crc32(raw)
        out += local(b"kernel.dcm", crc, len(kernel), len(raw)) + kernel
        for i in range(entries):
            name = b"kernel.dcm" if same_names else f"f{i:05d}.dcm".encode()
            central += cdir(name, crc, len(kernel), len(raw), 0)
    eocd = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, entries, entries, len(central), len(out), 0)
    zip_path.write_bytes(bytes(out + central + eocd))
    return zip_path


def make_small_members_bomb(zip_path: Path | str, *, members: int = 200, member_kib: int = 1024) -> Path:
    """Many separate small members of zeros (``member_kib`` KiB each, about 1,000:1).

    Each member stays under the 1 MiB size from which the per-member ratio
    used to be checked; together they unpack to ``members * member_kib`` KiB.

    Returns
    -------
    Path
    """
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    data = bytes(member_kib << 10)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for m in range(members):
            zf.writestr(f"zeros/{m:05d}.dcm", data)
    return zip_path


def _declare_small_sizes(zip_path: Path) -> None:
    """Overwrite every member's uncompressed size with its compressed size."""
    import struct

    data = bytearray(zip_path.read_bytes())
    with zipfile.ZipFile(zip_path) as zf:
        infos = zf.infolist()
    for info in infos:
        local = info.header_offset
        assert data[local:local + 4] == b"PK\x03\x04"
        struct.pack_into("<I", data, local + 22, info.compress_size)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        csize = struct.unpack_from("<I", data, central + 20)[0]
        struct.pack_into("<I", data, central + 24, csize)
        central = data.find(b"PK\x01\x02", central + 46)
    zip_path.write_bytes(bytes(data))


def make_nested_zip(zip_path: Path | str, depth: int = 3, *,
                    datasets: list[Dataset] | None = None) -> Path:
    """ZIPs inside ZIPs ``depth`` levels deep; the innermost holds DICOM files.

    ``depth=1`` is a plain ZIP of the datasets. Each outer level contains
    ``level<n>.zip`` and one DICOM file of its own (``outer<n>.dcm``).

    Returns
    -------
    Path
    """
    import io

    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    datasets = datasets if datasets is not None else make_ct_series(n_slices=2)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, ds in enumerate(datasets):
            zf.writestr(f"inner/IM{i + 1:04d}.dcm", _dicom_bytes(ds))
    payload = buf.getvalue()
    for level in range(depth - 1, 0, -1):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(f"level{level + 1}.zip", payload)
            zf.writestr(f"outer{level}.dcm", _dicom_bytes())
        payload = buf.getvalue()
    zip_path.write_bytes(payload)
    return zip_path


def make_encrypted_zip(zip_path: Path | str) -> Path:
    """A ZIP whose single member is flagged encrypted (reading it needs a password).

    Returns
    -------
    Path
    """
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("secret/IM1.dcm", _dicom_bytes())
    data = bytearray(zip_path.read_bytes())
    data[6] |= 0x01  # local header general purpose flag: encrypted
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x01  # central directory copy of the flag
    zip_path.write_bytes(bytes(data))
    return zip_path


def truncated_file(path_in: Path | str, path_out: Path | str, keep_bytes: int) -> Path:
    """Copy the first ``keep_bytes`` bytes of ``path_in`` to ``path_out``."""
    path_out = Path(path_out)
    path_out.parent.mkdir(parents=True, exist_ok=True)
    with open(path_in, "rb") as f:
        path_out.write_bytes(f.read(keep_bytes))
    return path_out


def garbage_file(path: Path | str, n: int = 4096, *, dicm_marker: bool = False,
                 seed: int = 0) -> Path:
    """``n`` random bytes; with ``dicm_marker`` the file has a 128-byte
    preamble and ``DICM`` then nonsense (looks like DICOM, is not).

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    body = bytes(rng.getrandbits(8) for _ in range(n))
    if dicm_marker:
        body = bytes(128) + b"DICM" + body[132:] if n > 132 else bytes(128) + b"DICM"
    path.write_bytes(body)
    return path


def no_preamble_dicom(path: Path | str, ds: Dataset | None = None) -> Path:
    """A bare implicit-VR-little-endian dataset: no preamble, no ``DICM``, no
    file meta, but with SOP Class/Instance UIDs (old PACS exports).

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = ds or make_ct_series(n_slices=1)[0]
    bare = Dataset()
    bare.update(ds)
    dcmwrite(path, bare, implicit_vr=True, little_endian=True, enforce_file_format=False)
    return path


def no_uid_dicom(path: Path | str, ds: Dataset | None = None) -> Path:
    """A DICOM file (preamble, ``DICM``, meta) whose dataset has no SOP
    Instance UID, Study or Series Instance UID.

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds = ds or make_ct_series(n_slices=1)[0]
    for keyword in ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
        if keyword in ds:
            delattr(ds, keyword)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.file_meta = meta
    ds.preamble = bytes(128)
    dcmwrite(path, ds, enforce_file_format=False)
    return path



def small_encapsulated_image(path: Path | str, *, fragment_size: int = 400) -> Path:
    """A small JPEG-encapsulated CT image whose last element before the pixel data is a sequence
    of undefined length: its delimiter lies within 1 KiB of any point inside the pixel data.

    The one fragment holds placeholder bytes after a JPEG start marker (never decoded).
    """
    from pydicom.encaps import encapsulate
    from pydicom.sequence import Sequence
    from pydicom.uid import JPEGBaseline8Bit

    ds = make_ct_series(n_slices=1, pixels=False)[0]
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.Rows = ds.Columns = 16
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ref = Dataset()
    ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID = ds.SOPClassUID, new_uid()
    ds.ReferencedImageSequence = Sequence([ref])
    ds["ReferencedImageSequence"].is_undefined_length = True
    ds.PixelData = encapsulate([b"\xff\xd8" + bytes(i % 256 for i in range(fragment_size))])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path
