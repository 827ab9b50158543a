"""The archives the user added, kept in the library's settings (``settings.json``, mode 0600)."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from ..config import Settings
from ..model.library_errors import LibraryError

#: DoseTrail's own AE title when the user gives none (calling AE, and the listener's)
DEFAULT_AET = "DOSETRAIL"
_DIMSE = re.compile(r"^(?P<aet>[^@]{1,16})@(?P<host>[^:@]+):(?P<port>\d{1,5})$")


class ArchiveError(LibraryError):
    """An archive cannot be reached, refuses us, or fails a query/retrieve (exit 3, one line)."""


@dataclass
class Archive:
    """One hospital archive.

    Attributes
    ----------
    name : str
        The user's name for it.
    kind : str
        ``"dimse"`` or ``"dicomweb"``.
    aet, host, port : str, str, int
        The archive's AE title and address (DIMSE).
    calling_aet : str
        DoseTrail's AE title towards it (DIMSE).
    url : str
        The DICOMweb service root (DICOMweb).
    """

    name: str
    kind: str
    aet: str = ""
    host: str = ""
    port: int = 0
    calling_aet: str = DEFAULT_AET
    url: str = ""

    def address(self) -> str:
        """``AET@HOST:PORT`` or the URL, as the user typed it."""
        return f"{self.aet}@{self.host}:{self.port}" if self.kind == "dimse" else self.url


def parse_dimse(text: str) -> tuple[str, str, int]:
    """``AET@HOST:PORT`` -> (aet, host, port).

    Raises
    ------
    ValueError
        When ``text`` has not that shape or the port is out of range.
    """
    m = _DIMSE.match(text.strip())
    if not m or not 0 < int(m["port"]) < 65536:
        raise ValueError(f"not AET@HOST:PORT: {text}")
    return m["aet"].strip(), m["host"], int(m["port"])


def load_archives(home: Path | None = None) -> list[Archive]:
    """The archives in the settings, in the order they were added."""
    known = Archive.__dataclass_fields__
    out = []
    for raw in Settings.load(home).archives:
        if isinstance(raw, dict) and raw.get("name") and raw.get("kind") in ("dimse", "dicomweb"):
            out.append(Archive(**{k: v for k, v in raw.items() if k in known}))
    return out


def find_archive(name: str, home: Path | None = None) -> Archive | None:
    """The archive called ``name``, or None."""
    return next((a for a in load_archives(home) if a.name == name), None)


def save_archive(archive: Archive, home: Path | None = None) -> None:
    """Add ``archive`` (replacing one of the same name) to the settings."""
    settings = Settings.load(home)
    settings.archives = [a for a in settings.archives if not (isinstance(a, dict) and a.get("name") == archive.name)]
    settings.archives.append(asdict(archive))
    settings.save(home)


def remove_archive(name: str, home: Path | None = None) -> bool:
    """Remove the archive called ``name``; False when there was none."""
    settings = Settings.load(home)
    kept = [a for a in settings.archives if not (isinstance(a, dict) and a.get("name") == name)]
    if len(kept) == len(settings.archives):
        return False
    settings.archives = kept
    settings.save(home)
    return True
