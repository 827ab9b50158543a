"""Removable media (CDs, DVDs, USB sticks) that hold DICOM studies.

Linux: ``/proc/mounts`` entries whose block device is removable
(``/sys/block/<disk>/removable``), optical file systems, and folders under
``/media/*`` and ``/run/media/*/*``. macOS: ``/Volumes/*``. Windows: drives
whose type is removable or CD-ROM. A volume is listed only when it holds
DICOM: a DICOMDIR at its root, or a quick, bounded scan finds a file with the
``DICM`` marker. Every location is injectable for tests.
"""
from __future__ import annotations

import glob
import os
import re
import sys
from collections import deque
from dataclasses import dataclass
from typing import Callable

from . import skip_rules
from .dicomdir import find_dicomdir

_OPTICAL_FS = {"iso9660", "udf"}
_DEFAULT_ROOTS = ("/media/*", "/run/media/*/*")
SCAN_MAX_ENTRIES = 400
SCAN_MAX_FILES_PEEKED = 40
SCAN_MAX_DEPTH = 4


@dataclass
class RemovableVolume:
    """A mounted removable volume holding DICOM.

    Attributes
    ----------
    mount_point
        Where it is mounted (a drive root like ``E:\\`` on Windows).
    label
        A name for the user (volume label, else the mount point's name).
    has_dicomdir
        Whether a DICOMDIR sits at its root.
    """

    mount_point: str
    label: str
    has_dicomdir: bool


def _unescape(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _is_removable_device(device: str, sys_block: str) -> bool:
    if not device.startswith("/dev/"):
        return False
    name = os.path.basename(os.path.realpath(device) if os.path.islink(device) else device)
    for disk in dict.fromkeys((name, re.sub(r"p?\d+$", "", name), re.sub(r"\d+$", "", name))):
        try:
            with open(os.path.join(sys_block, disk, "removable"), encoding="ascii") as fh:
                if fh.read().strip() == "1":
                    return True
        except OSError:
            continue
    return False


def linux_mount_candidates(mounts_file: str = "/proc/mounts",
                           sys_block: str = "/sys/block") -> list[tuple[str, str]]:
    """Mount points of removable devices and optical discs from a mounts table.

    Parameters
    ----------
    mounts_file
        A file in ``/proc/mounts`` format.
    sys_block
        The ``/sys/block`` folder (``<disk>/removable`` holds ``1``).

    Returns
    -------
    list of (mount_point, label)
        In the table's order.
    """
    found: list[tuple[str, str]] = []
    try:
        with open(mounts_file, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return found
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        device, mount_point, fstype = _unescape(fields[0]), _unescape(fields[1]), fields[2]
        under_media = mount_point.startswith(("/media/", "/run/media/"))
        if fstype in _OPTICAL_FS or under_media or _is_removable_device(device, sys_block):
            found.append((mount_point, os.path.basename(mount_point.rstrip("/")) or mount_point))
    return found


def _windows_candidates() -> list[tuple[str, str]]:  # pragma: no cover - Windows only
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    kernel32.SetErrorMode(0x0001)  # no "insert a disk" dialogs for empty drives
    found: list[tuple[str, str]] = []
    mask = kernel32.GetLogicalDrives()
    for index in range(26):
        if not mask & (1 << index):
            continue
        root = f"{chr(65 + index)}:\\"
        if kernel32.GetDriveTypeW(ctypes.c_wchar_p(root)) not in (2, 5):  # REMOVABLE, CDROM
            continue
        buf = ctypes.create_unicode_buffer(261)
        ok = kernel32.GetVolumeInformationW(ctypes.c_wchar_p(root), buf, 261, None, None, None, None, 0)
        found.append((root, buf.value if ok and buf.value else root))
    return found


def holds_dicom(folder: str, *, max_entries: int = SCAN_MAX_ENTRIES,
                max_peeks: int = SCAN_MAX_FILES_PEEKED, max_depth: int = SCAN_MAX_DEPTH) -> bool:
    """A quick, bounded look for DICOM on a volume.

    Parameters
    ----------
    folder
        The volume's root.
    max_entries, max_peeks, max_depth
        Bounds: folder entries looked at, files opened (132 bytes read each),
        and folder depth.

    Returns
    -------
    bool
        ``True`` when a DICOMDIR is at the root or a scanned file has the
        ``DICM`` marker.
    """
    if find_dicomdir(folder):
        return True
    queue: deque[tuple[str, int]] = deque([(folder, 0)])
    seen = peeks = 0
    while queue and seen < max_entries and peeks < max_peeks:
        current, depth = queue.popleft()
        try:
            with os.scandir(current) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > max_entries or peeks >= max_peeks:
                break
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth < max_depth and not skip_rules.skip_reason_for_dir(entry.name):
                        queue.append((entry.path, depth + 1))
                elif entry.is_file(follow_symlinks=False) and not skip_rules.skip_reason_for_file(entry.name):
                    peeks += 1
                    with open(entry.path, "rb") as fh:
                        if skip_rules.has_dicm_marker(fh.read(132)):
                            return True
            except OSError:
                continue
    return False


def list_removable_media(
    *,
    mounts_file: str = "/proc/mounts",
    sys_block: str = "/sys/block",
    roots: tuple[str, ...] | list[str] | None = None,
    platform: str | None = None,
    is_mount: Callable[[str], bool] = os.path.ismount,
) -> list[RemovableVolume]:
    """Mounted removable volumes that hold DICOM.

    Parameters
    ----------
    mounts_file, sys_block
        Linux mount table and block-device folder (injectable for tests).
    roots
        Glob patterns of folders that are volumes: default ``/media/*`` and
        ``/run/media/*/*`` on Linux, ``/Volumes/*`` on macOS.
    platform
        ``sys.platform`` value to act as (default: this machine's).
    is_mount
        Whether a folder is a mount point (injectable for tests). A folder
        from ``roots`` counts only when it is a mount point or has a DICOMDIR
        at its root, so ``/media/<user>`` is not mistaken for a volume.

    Returns
    -------
    list of RemovableVolume
        Sorted by mount point, each volume once; folders inside another
        listed volume are left out.
    """
    platform = platform or sys.platform
    candidates: list[tuple[str, str]] = []
    if platform.startswith("win"):
        candidates.extend(_windows_candidates())
    elif platform == "darwin":
        for pattern in roots if roots is not None else ("/Volumes/*",):
            for path in sorted(glob.glob(pattern)):
                if os.path.realpath(path) != "/":  # the boot volume is a link to /
                    candidates.append((path, os.path.basename(path)))
    else:
        candidates.extend(linux_mount_candidates(mounts_file, sys_block))
        for pattern in roots if roots is not None else _DEFAULT_ROOTS:
            candidates.extend((p, os.path.basename(p)) for p in sorted(glob.glob(pattern))
                              if is_mount(p) or find_dicomdir(p))
    volumes: dict[str, RemovableVolume] = {}
    for mount_point, label in sorted(candidates, key=lambda c: len(os.path.realpath(c[0]))):
        key = os.path.realpath(mount_point)
        inside = any(key.startswith(other.rstrip(os.sep) + os.sep) for other in volumes)
        if key in volumes or inside or not os.path.isdir(mount_point) or not holds_dicom(mount_point):
            continue
        volumes[key] = RemovableVolume(mount_point, label, find_dicomdir(mount_point) is not None)
    return sorted(volumes.values(), key=lambda v: v.mount_point)
