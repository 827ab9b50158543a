"""What an import source yields: candidate files and files it refused.

Every source (folder, DICOMDIR media, ZIP, gzip, link) is an iterator of
:class:`SourceItem` (a file that may hold a DICOM object),
:class:`SourceProblem` (a file the source itself refused or skipped, with a
reason) and :class:`SourceProgress` (e.g. bytes downloaded). The import
pipeline turns each item into exactly one bucket.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal, Union


@dataclass
class SourceItem:
    """A file that may hold a DICOM object.

    Attributes
    ----------
    label
        What the user sees: a file system path, or ``archive.zip!inner/path``
        for archive members (nested: ``a.zip!b.zip!c.dcm``).
    local_path
        A real file on disk, when there is one (folder and media sources).
        Worker processes read it directly; ``--link`` keeps it in place.
    read
        For members of archives: returns the member's bytes (decompressed,
        size-capped). ``None`` when ``local_path`` is set.
    size
        Size in bytes when known.
    copy_to
        For members of archives: streams the same bytes as ``read()`` into a
        sink (called with each chunk, at most a few MiB) and returns how many
        were written, so a big member never has to be held in memory. The
        same caps and checks apply; ``None`` when the source has no stream.
    origin
        ``"folder"``, ``"dicomdir"``, ``"zip"``, ``"gzip"`` or ``"link"``.
    """

    label: str
    local_path: str | None = None
    read: Callable[[], bytes] | None = field(default=None, repr=False)
    size: int | None = None
    origin: str = "folder"
    copy_to: Callable[[Callable[[bytes], object]], int] | None = field(default=None, repr=False)


@dataclass
class SourceProblem:
    """A file the source did not hand on, with a reason for the user.

    ``kind`` is ``"rejected"`` (should have been importable but is refused:
    path traversal, zip bomb, encrypted, corrupt member) or ``"skipped"``
    (not a DICOM object: viewer programs, autorun, web pages, DICOMDIR index).
    """

    label: str
    reason: str
    kind: Literal["rejected", "skipped"] = "rejected"
    code: str | None = None  # a core.model.import_records.RejectionCode value when the reason has one


@dataclass
class SourceProgress:
    """Progress a source reports before it has files (e.g. a download)."""

    message: str
    done_bytes: int = 0
    total_bytes: int | None = None


SourceEvent = Union[SourceItem, SourceProblem, SourceProgress]


class SourceError(Exception):
    """A whole source cannot be read (missing path, HTTP error, not an archive)."""
