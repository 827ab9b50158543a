"""Removable media listing with an injected mount table, /sys/block and volume roots."""
from __future__ import annotations

import os
import shutil

from pydicom.data import get_testdata_file

from dosetrail.core.sources.media import (
    RemovableVolume,
    holds_dicom,
    linux_mount_candidates,
    list_removable_media,
)

CT = get_testdata_file("CT_small.dcm", download=False)


def _removable(sys_block, disk, value="1"):
    (sys_block / disk).mkdir(parents=True, exist_ok=True)
    (sys_block / disk / "removable").write_text(value + "\n")


def _cd_with_dicomdir(path):
    path.mkdir(parents=True)
    (path / "DICOMDIR").write_bytes(b"index")
    return path


def _stick_with_dicom(path, depth=3):
    deep = path.joinpath(*[f"D{i}" for i in range(depth)])
    deep.mkdir(parents=True)
    (path / "readme.txt").write_text("x")
    shutil.copy(CT, deep / "IM0001")
    return path


def test_linux_mounts_removable_devices_with_dicom(tmp_path):
    sys_block = tmp_path / "sys_block"
    _removable(sys_block, "sdb")
    _removable(sys_block, "sda", "0")
    _removable(sys_block, "mmcblk0")
    usb = _cd_with_dicomdir(tmp_path / "mnt" / "usb stick")
    internal = _stick_with_dicom(tmp_path / "mnt" / "internal")
    optical = _stick_with_dicom(tmp_path / "mnt" / "cdrom")
    card = _stick_with_dicom(tmp_path / "mnt" / "card")
    empty = tmp_path / "mnt" / "photos"
    empty.mkdir()
    (empty / "holiday.jpg").write_bytes(b"\xff\xd8")
    mounts = tmp_path / "mounts"
    mounts.write_text("\n".join([
        "/dev/sda2 / ext4 rw 0 0",
        f"/dev/sda3 {internal} ext4 rw 0 0",
        f"/dev/sdb1 {str(usb).replace(' ', chr(92) + '040')} vfat rw 0 0",
        f"/dev/sr0 {optical} iso9660 ro 0 0",
        f"/dev/mmcblk0p1 {card} exfat rw 0 0",
        f"/dev/sdb2 {empty} vfat rw 0 0",
        "proc /proc proc rw 0 0",
    ]) + "\n")
    volumes = list_removable_media(mounts_file=str(mounts), sys_block=str(sys_block), roots=[],
                                   platform="linux")
    assert volumes == sorted([
        RemovableVolume(str(usb), "usb stick", True),
        RemovableVolume(str(optical), "cdrom", False),
        RemovableVolume(str(card), "card", False),
    ], key=lambda v: v.mount_point)
    assert [c[0] for c in linux_mount_candidates(str(mounts), str(sys_block))] == [
        str(usb), str(optical), str(card), str(empty)]


def test_media_folders_and_user_folders(tmp_path):
    media = tmp_path / "media"
    cd = _cd_with_dicomdir(media / "alice" / "PATIENT_CD")  # /media/<user>/<label>
    stick = _stick_with_dicom(media / "STICK")
    other = media / "alice" / "OTHER"  # a volume without DICOM
    other.mkdir()
    loose = _stick_with_dicom(media / "bob" / "copied")  # a plain folder, not a mount point
    mounts = {str(cd), str(stick), str(other)}
    volumes = list_removable_media(mounts_file=str(tmp_path / "no-such-file"), sys_block=str(tmp_path),
                                   roots=[f"{media}/*", f"{media}/*/*"], platform="linux",
                                   is_mount=lambda p: p in mounts)
    # /media/alice is a user folder (not a mount point); STICK/D0 is a folder on a volume
    assert volumes == [RemovableVolume(str(stick), "STICK", False),
                       RemovableVolume(str(cd), "PATIENT_CD", True)]
    assert holds_dicom(str(loose))


def test_macos_volumes_skip_the_boot_volume(tmp_path):
    volumes_dir = tmp_path / "Volumes"
    volumes_dir.mkdir()
    os.symlink("/", volumes_dir / "Macintosh HD")
    cd = _cd_with_dicomdir(volumes_dir / "NO NAME")
    found = list_removable_media(roots=[f"{volumes_dir}/*"], platform="darwin")
    assert found == [RemovableVolume(str(cd), "NO NAME", True)]


def test_quick_scan_is_bounded(tmp_path):
    stick = tmp_path / "stick"
    stick.mkdir()
    for i in range(30):
        (stick / f"a{i:02d}.bin").write_bytes(b"not dicom")
    shutil.copy(CT, stick / "z_last")
    assert holds_dicom(str(stick))
    assert not holds_dicom(str(stick), max_peeks=10)
    deep = _stick_with_dicom(tmp_path / "deep", depth=6)
    assert not holds_dicom(str(deep)) and holds_dicom(str(deep), max_depth=6)
