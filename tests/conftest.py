"""Shared fixtures: an isolated DOSETRAIL_HOME per test, and the OpenREM corpus."""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

OPENREM_VERSION = "0.10.0"


@pytest.fixture(autouse=True)
def dosetrail_home(tmp_path, monkeypatch):
    """Every test gets its own data folder; nothing touches the user's library."""
    home = tmp_path / "dosetrail-home"
    home.mkdir()
    monkeypatch.setenv("DOSETRAIL_HOME", str(home))
    return home


def _cached_corpus() -> Path | None:
    env = os.environ.get("DOSETRAIL_OPENREM_DIR")
    if env and Path(env).is_dir():
        return Path(env)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dosetrail"
    target = cache / f"OpenREM-{OPENREM_VERSION}" / "openrem" / "remapp" / "tests" / "test_files"
    if target.is_dir():
        return target
    # fetch once (package registry only); the corpus is GPL test data, never committed
    try:
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"openrem=={OPENREM_VERSION}", "--no-deps",
             "--no-binary", ":all:", "-d", str(cache), "-q"],
            check=True, timeout=300, capture_output=True,
        )
        with tarfile.open(cache / f"OpenREM-{OPENREM_VERSION}.tar.gz") as tf:
            members = [m for m in tf.getmembers() if "/remapp/tests/test_files/" in m.name and m.isfile()]
            tf.extractall(cache, members=members, filter="data")
    except Exception:  # noqa: BLE001 - reported by the fixture below
        return None
    return target if target.is_dir() else None


@pytest.fixture(scope="session")
def openrem_dir() -> Path:
    """The OpenREM 0.10.0 test files: fail in CI when missing, skip elsewhere."""
    path = _cached_corpus()
    if path is None:
        msg = "OpenREM corpus missing (set DOSETRAIL_OPENREM_DIR or allow pip download)"
        if os.environ.get("DOSETRAIL_REQUIRE_CORPUS") or os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path
