"""Big synthetic DICOM files and archives, written in chunks (never held in memory).

For memory tests and bench/import_memory.py: a multi-frame CT of (about) a
given size, and a stored (uncompressed) ZIP of several such files. The pixel
data is a repeated pseudo-random block, so it does not compress away.
"""
from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path
from typing import BinaryIO

from .common import PatientSpec, add_patient, add_pixels, add_series, add_study, file_dataset, new_uid
from .ct import CT_IMAGE_STORAGE

__all__ = ["write_big_dicom", "make_big_stored_zip"]

_BLOCK = 1 << 20


def _header_and_length(size_bytes: int, rows: int, columns: int, seed: int) -> tuple[bytes, int]:
    frame = rows * columns * 2
    frames = max(1, size_bytes // frame)
    ds = file_dataset(CT_IMAGE_STORAGE)
    add_patient(ds, PatientSpec(name=f"BIG^FILE{seed}", patient_id=f"BIG{seed}"))
    add_study(ds, study_uid=new_uid(), study_date="20240102", study_time="030405",
              study_description="BIG SYNTHETIC CT")
    add_series(ds, series_uid=new_uid(), modality="CT", series_number=1, series_description="BIG",
               series_date="20240102", series_time="030405")
    add_pixels(ds, rows=rows, columns=columns, pixels=False)
    ds.NumberOfFrames = frames
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    length = frames * frame
    # Pixel Data, explicit VR little endian: tag, "OW", 2 reserved bytes, 4-byte length
    element = struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, length)
    return buf.getvalue() + element, length


def _write_pixels(out: BinaryIO, length: int, seed: int) -> None:
    block = random.Random(seed).randbytes(_BLOCK)
    left = length
    while left:
        n = min(left, _BLOCK)
        out.write(block[:n])
        left -= n


def write_big_dicom(path: Path | str, size_bytes: int, *, rows: int = 512, columns: int = 512,
                    seed: int = 0) -> Path:
    """Write a multi-frame 16-bit CT of about ``size_bytes`` (header + whole frames).

    Parameters
    ----------
    path
        The file to write.
    size_bytes
        Wanted size; the pixel data holds ``size_bytes // (rows*columns*2)``
        frames (at least one).
    rows, columns
        Frame size.
    seed
        Makes the patient, UIDs and pixel block differ between files.

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header, length = _header_and_length(size_bytes, rows, columns, seed)
    with open(path, "wb") as out:
        out.write(header)
        _write_pixels(out, length, seed)
    return path


def make_big_stored_zip(zip_path: Path | str, members: int, member_bytes: int) -> Path:
    """A stored (uncompressed) ZIP of ``members`` big CT files of ``member_bytes`` each.

    Written member by member in chunks; ZIP64 is used when needed.

    Returns
    -------
    Path
    """
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for m in range(members):
            header, length = _header_and_length(member_bytes, 512, 512, m)
            info = zipfile.ZipInfo(f"big/IM{m:04d}.dcm", (2024, 1, 2, 3, 4, 5))
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = len(header) + length
            with zf.open(info, "w", force_zip64=info.file_size >= (1 << 31)) as out:
                out.write(header)
                _write_pixels(out, length, m)
    return zip_path
