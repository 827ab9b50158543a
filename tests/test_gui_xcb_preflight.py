"""The window's pre-flight check on Linux/X11 (gui/xcb_check.py): a missing library of Qt's xcb
platform plugin is named with the command that installs it, exit 3, never Qt's abort (134).

A library is hidden two ways: a fake plugin folder (a copy of PySide6's libqxcb.so whose
dependency on libxcb-cursor.so.0 is renamed to one that exists nowhere, found by Qt's own
QT_QPA_PLATFORM_PLUGIN_PATH), and, as root, a mount namespace whose overlay hides the real
libxcb-cursor.so.0 from the dynamic loader."""
from __future__ import annotations

import importlib.util
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dosetrail.gui import xcb_check
from dosetrail.gui.xcb_check import install_message, missing_libraries, packages_for, preflight, qt_platform

LINUX = sys.platform.startswith("linux")
HIDDEN = "libxcb-hidden.so.0"  # as long as libxcb-cursor.so.0, so it fits in the ELF string table
START_WINDOW = "import sys; from dosetrail.gui.entry import main; sys.exit(main(['gui']))"


def _real_plugin() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    plugin = Path(spec.origin).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so" if spec else None
    return plugin if plugin is not None and plugin.is_file() else None


@pytest.fixture
def fake_plugin_dir(tmp_path) -> Path:
    """<tmp>/Qt/plugins/platforms/libqxcb.so needing HIDDEN instead of libxcb-cursor.so.0."""
    real = _real_plugin()
    if not LINUX or real is None or shutil.which("ldd") is None:
        pytest.skip("needs Linux, ldd and PySide6's xcb plugin")
    data = real.read_bytes()
    if data.count(b"libxcb-cursor.so.0\x00") != 1:
        pytest.skip("this libqxcb.so does not name libxcb-cursor.so.0 once")
    platforms = tmp_path / "Qt" / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    (platforms / "libqxcb.so").write_bytes(data.replace(b"libxcb-cursor.so.0\x00", HIDDEN.encode() + b"\x00"))
    os.symlink(real.parents[2] / "lib", tmp_path / "Qt" / "lib")  # its RUNPATH: $ORIGIN/../../lib
    return platforms


def _x11_env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "QT_QPA_PLATFORM_PLUGIN_PATH")}
    env.update(DISPLAY=":99", XDG_SESSION_TYPE="x11", **extra)
    return env


def _assert_explained(run: subprocess.CompletedProcess, soname: str, packages: tuple[str, ...]) -> None:
    assert run.returncode == 3, (run.returncode, run.stderr)
    err = run.stderr
    assert "Aborted" not in err and "core dumped" not in err and "Traceback" not in err
    assert "the window cannot start" in err.splitlines()[0] and soname in err.splitlines()[0]
    for manager, package in zip(("apt-get install", "dnf install", "zypper install", "pacman -S"), packages):
        assert any(manager in line and package in line for line in err.splitlines()), (manager, package, err)


def test_which_platform_qt_will_use():
    assert qt_platform([], {}) == "xcb"
    assert qt_platform([], {"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert qt_platform([], {"QT_QPA_PLATFORM": "minimal"}) == "minimal"
    assert qt_platform([], {"QT_QPA_PLATFORM": "wayland;xcb"}) == "wayland"
    assert qt_platform([], {"WAYLAND_DISPLAY": "wayland-0"}) == "wayland"
    assert qt_platform([], {"XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"}) == "wayland"
    assert qt_platform([], {"XDG_SESSION_TYPE": "wayland", "QT_QPA_PLATFORM": "xcb"}) == "xcb"
    assert qt_platform(["-platform", "offscreen"], {}) == "offscreen"


def test_packages_per_distribution():
    assert packages_for("libxcb-icccm.so.4") == ("libxcb-icccm4", "xcb-util-wm", "libxcb-icccm4", "xcb-util-wm")
    assert packages_for("libxcb-randr.so.0")[0] == "libxcb-randr0"
    text = install_message(["libxcb-icccm.so.4", "libxcb-keysyms.so.1"], 'ID=fedora\n')
    assert text.splitlines()[1] == "Install them (Fedora/RHEL):"
    assert "sudo dnf install xcb-util-wm xcb-util-keysyms" in text
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in text


def test_fake_plugin_dir_names_the_hidden_library(fake_plugin_dir):
    assert HIDDEN in missing_libraries(fake_plugin_dir / "libqxcb.so")
    env = _x11_env(QT_QPA_PLATFORM_PLUGIN_PATH=str(fake_plugin_dir))
    out = io.StringIO()
    assert preflight([], env, stream=out, platform="linux") == 3
    assert HIDDEN in out.getvalue()


def test_dosetrail_exits_3_and_says_what_to_install_instead_of_aborting(fake_plugin_dir):
    env = _x11_env(QT_QPA_PLATFORM_PLUGIN_PATH=str(fake_plugin_dir))
    run = subprocess.run([sys.executable, "-c", START_WINDOW], env=env, capture_output=True, text=True,
                         timeout=120)
    _assert_explained(run, HIDDEN, ("libxcb-hidden0", "libxcb", "libxcb-hidden0", "libxcb"))


def test_not_checked_where_qt_will_not_use_xcb(fake_plugin_dir):
    base = _x11_env(QT_QPA_PLATFORM_PLUGIN_PATH=str(fake_plugin_dir))
    for env in ({**base, "QT_QPA_PLATFORM": "offscreen"}, {**base, "QT_QPA_PLATFORM": "minimal"},
                {**base, "XDG_SESSION_TYPE": "wayland"}, {**base, "WAYLAND_DISPLAY": "wayland-0"}):
        assert preflight([], env, stream=io.StringIO(), platform="linux") is None
    for platform in ("win32", "darwin"):
        assert preflight([], base, stream=io.StringIO(), platform=platform) is None


def test_ctypes_is_used_where_ldd_is_missing(fake_plugin_dir, monkeypatch):
    monkeypatch.setattr(xcb_check.shutil, "which", lambda name: None)
    missing = missing_libraries(fake_plugin_dir / "libqxcb.so")
    assert len(missing) == 1 and missing[0].startswith("lib") and ".so" in missing[0]


def test_no_display_is_explained(monkeypatch, tmp_path):
    monkeypatch.setattr(xcb_check, "xcb_plugin", lambda environ: tmp_path / "libqxcb.so")
    monkeypatch.setattr(xcb_check, "missing_libraries", lambda plugin, environ=None: [])
    out = io.StringIO()
    assert preflight([], {}, stream=out, platform="linux") == 3
    assert "no X11 display" in out.getvalue()
    assert preflight([], {"DISPLAY": ":0"}, stream=io.StringIO(), platform="linux") is None


def _can_hide_with_a_mount_namespace() -> str | None:
    if not LINUX or os.geteuid() != 0 or shutil.which("unshare") is None or _real_plugin() is None:
        return "needs root, unshare and PySide6's xcb plugin"
    return None


@pytest.mark.skipif(_can_hide_with_a_mount_namespace() is not None, reason="needs root and unshare")
def test_real_library_hidden_in_a_mount_namespace(tmp_path):
    ldd = subprocess.run(["ldd", str(_real_plugin())], capture_output=True, text=True, timeout=60).stdout
    line = next((x for x in ldd.splitlines() if x.strip().startswith("libxcb-cursor.so.0 => /")), None)
    if line is None:
        pytest.skip("libxcb-cursor.so.0 is not installed here: nothing to hide")
    real = Path(os.path.realpath(line.split("=>")[1].split("(")[0].strip()))
    upper, work = tmp_path / "upper", tmp_path / "work"
    script = (f"mount -t tmpfs tmpfs '{tmp_path}' && mkdir '{upper}' '{work}' "
              f"&& mknod '{upper / real.name}' c 0 0 "  # an overlay whiteout: the file is gone
              f"&& mount -t overlay overlay -o lowerdir='{real.parent}',upperdir='{upper}',workdir='{work}' "
              f"'{real.parent}' || exit 99; exec \"$0\" -c \"$1\"")
    run = subprocess.run(["unshare", "-m", "sh", "-c", script, sys.executable, START_WINDOW],
                         env=_x11_env(), capture_output=True, text=True, timeout=120)
    if run.returncode == 99:
        pytest.skip(f"overlay mount not possible here: {run.stderr.strip()}")
    _assert_explained(run, "libxcb-cursor.so.0", ("libxcb-cursor0", "xcb-util-cursor", "libxcb-cursor0",
                                                  "xcb-util-cursor"))
