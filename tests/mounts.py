"""Small tmpfs mounts for disk-full and read-only tests (root only; the tests skip otherwise)."""
from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest


def _run(*argv: str) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "1m", read_only: bool = False):
    """Mount a tmpfs of ``size`` at ``path`` for the block (skips the test when not possible).

    ``read_only``: remounted read-only once the block's setup has run; use
    :func:`remount_read_only` to choose the moment instead.
    """
    path.mkdir(parents=True, exist_ok=True)
    if os.name != "posix" or os.geteuid() != 0 or not _run("mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                                                         str(path)):
        pytest.skip("needs root and mount (a real full or read-only file system)")
    try:
        if read_only:
            remount_read_only(path)
        yield path
    finally:
        _run("umount", "-l", str(path))


def remount_read_only(path: Path) -> None:
    """Make a mounted tmpfs read-only (what a full or locked share looks like to root too)."""
    assert _run("mount", "-o", "remount,ro", str(path)), f"cannot remount {path} read-only"
