"""Cheap, name-based decisions: which files on a medium are clearly not DICOM.

Patient CDs and portal downloads carry viewer programs, autorun files and
IHE PDI web pages next to the images. They are skipped by name (never opened,
never executed). DICOM files often have no extension or odd names, so anything
not matched here is handed on for the importer to decide.
"""
from __future__ import annotations

import os

VIEWER = "viewer program (not executed)"
AUTORUN = "autorun file"
WEB = "IHE PDI web content"
DOCUMENT = "not DICOM (document)"
PICTURE = "not DICOM (picture)"
SYSTEM = "not DICOM (operating-system file)"
MACOS = "macOS metadata (not DICOM)"
INDEX_READ = "DICOMDIR (media index, read as index)"
INDEX_UNREAD = "DICOMDIR (media index; its files are found by the folder scan)"
INDEX_ARCHIVE = "DICOMDIR (media index; every archive member is read anyway)"

_PROGRAM_EXT = {
    ".exe", ".dll", ".msi", ".app", ".jar", ".bat", ".cmd", ".com", ".sh", ".so",
    ".dylib", ".ocx", ".sys", ".class", ".vbs", ".ps1", ".scr", ".cpl", ".drv",
    ".pif", ".msp", ".appimage", ".dmg", ".pkg", ".deb", ".rpm", ".py", ".pl",
}
_WEB_EXT = {".html", ".htm", ".xhtml", ".css", ".js", ".xsl", ".xslt", ".xml", ".xsd", ".dtd"}
_DOC_EXT = {".txt", ".pdf", ".doc", ".docx", ".rtf", ".md", ".odt", ".log", ".csv", ".nfo"}
_PICTURE_EXT = {".ico", ".bmp", ".png", ".gif", ".jpg", ".jpeg", ".svg", ".icns", ".tif", ".tiff"}
_AUTORUN_EXT = {".inf", ".ini"}
_SYSTEM_NAMES = {".ds_store", "thumbs.db", "desktop.ini", ".localized", "ehthumbs.db"}
_SYSTEM_DIRS = {"$recycle.bin", "system volume information", ".spotlight-v100", ".trashes",
                ".fseventsd", ".temporaryitems", ".trash"}
#: folder names that, on patient media, hold a viewer and its support files
VIEWER_DIRS = {
    "viewer", "viewers", "dicomviewer", "dicom_viewer", "dicom viewer", "program", "programs",
    "program files", "jre", "java", "osirix", "osirix lite", "horos", "radiant", "efilm",
    "efilm lite", "kpacs", "k-pacs", "weasis", "microdicom", "irfanview", "ezdicom",
    "santedicomviewer", "mdview", "synedra", "pacsviewer", "imageviewer", "autorun",
}
PDI_DIR = "ihe_pdi"


def _ext(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def skip_reason_for_file(name: str) -> str | None:
    """Why a file is clearly not DICOM, judged by its name alone.

    Parameters
    ----------
    name
        The file's base name (no folder).

    Returns
    -------
    str or None
        A reason for the user, or ``None`` when the file must be handed on.
    """
    low = name.lower()
    ext = _ext(low)
    if low.startswith("._"):
        return MACOS
    if low in _SYSTEM_NAMES:
        return SYSTEM
    if low.startswith("autorun.") or ext in _AUTORUN_EXT:
        return AUTORUN
    if ext in _PROGRAM_EXT:
        return VIEWER
    if ext in _WEB_EXT:
        return WEB
    if ext in _DOC_EXT or low in {"readme", "license", "licence", "copying"}:
        return DOCUMENT
    if ext in _PICTURE_EXT:
        return PICTURE
    return None


def skip_reason_for_dir(name: str) -> str | None:
    """Why every file under a folder is skipped, or ``None``.

    Only macOS metadata and operating-system folders are skipped wholesale;
    viewer and IHE PDI folders are handled by :func:`folder_context`.

    Parameters
    ----------
    name
        The folder's base name.

    Returns
    -------
    str or None
        A reason, or ``None`` to walk the folder.
    """
    low = name.lower()
    if low == "__macosx":
        return MACOS
    if low in _SYSTEM_DIRS:
        return SYSTEM
    if low.endswith(".app"):
        return VIEWER
    return None


def folder_context(parts: list[str] | tuple[str, ...]) -> str | None:
    """The reason files under these folders are presumed not DICOM.

    Parameters
    ----------
    parts
        Folder names from the source's root down to the file's folder.

    Returns
    -------
    str or None
        :data:`WEB` under ``IHE_PDI``, :data:`VIEWER` under a known viewer
        folder, else ``None``. Files there are still kept when they carry
        the DICOM ``DICM`` marker (see :func:`has_dicm_marker`).
    """
    for part in parts:
        low = part.lower()
        if low == PDI_DIR:
            return WEB
        if low in VIEWER_DIRS:
            return VIEWER
    return None


def has_dicm_marker(head: bytes) -> bool:
    """Whether the first bytes of a file are a DICOM Part 10 preamble.

    Parameters
    ----------
    head
        At least the first 132 bytes of the file.

    Returns
    -------
    bool
        ``True`` when ``DICM`` sits at offset 128.
    """
    return len(head) >= 132 and head[128:132] == b"DICM"


def is_dicomdir_name(name: str) -> bool:
    """Whether a file name is a DICOMDIR media index (any case, ISO 9660 ``;1``)."""
    return name.upper().split(";")[0].rstrip(".") == "DICOMDIR"


def is_zip_name(name: str) -> bool:
    """Whether a name says ZIP archive."""
    return name.lower().endswith(".zip")


_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_OTHER_ARCHIVE_SUFFIXES = (".rar", ".7z")


def is_gzip_name(name: str) -> bool:
    """Whether a name says gzip-compressed single file."""
    return name.lower().endswith(".gz") and not name.lower().endswith(".tar.gz")


def unsupported_archive_reason(name: str) -> str | None:
    """A reason for archive formats DoseTrail does not open (tar, RAR, 7-Zip).

    Parameters
    ----------
    name
        The file's base name.

    Returns
    -------
    str or None
        The reason, or ``None`` for any other name.
    """
    low = name.lower()
    if low.endswith(_TAR_SUFFIXES):
        return "tar archive: not supported; unpack it and import the folder"
    if low.endswith(_OTHER_ARCHIVE_SUFFIXES):
        return f"{low.rsplit('.', 1)[1].upper()} archive: not supported; unpack it and import the folder"
    return None
