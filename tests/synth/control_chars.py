"""Inputs whose names and values hold terminal control characters (ESC, newline, bidi)."""
from __future__ import annotations

import zipfile
from pathlib import Path

__all__ = ["CONTROL_MEMBERS", "make_control_char_zip"]

#: Member names of :func:`make_control_char_zip`: an ANSI colour escape, a newline that would
#: fake a ``rejected:`` line, a carriage return that would overwrite the line, a right-to-left
#: override, a C1 control (CSI) and a DEL.
CONTROL_MEMBERS = (
    "red\x1b[31mtext\x1b[0m.dcm",
    "a.dcm: bad\nrejected: fake.dcm",
    "b.dcm\rOVERWRITTEN",
    "evil\u202egpj.dcm",
    "c1\x9b31m.dcm",
    "del\x7f.dcm",
)


def make_control_char_zip(zip_path: Path | str) -> Path:
    """A ZIP of not-DICOM-enough members named :data:`CONTROL_MEMBERS` (each is rejected).

    Each member starts with a DICOM preamble and ``DICM`` marker followed by
    nonsense, so the import rejects it and prints its name.

    Returns
    -------
    Path
    """
    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w") as zf:
        for i, name in enumerate(CONTROL_MEMBERS):
            # writestr with a ZipInfo keeps the raw name (UTF-8 flag set for non-ASCII)
            zf.writestr(zipfile.ZipInfo(name, (2021, 3, 4, 10, 0, 0)), bytes(128) + b"DICM" + bytes([i]) * 300)
    return zip_path
