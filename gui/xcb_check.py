"""Before the window starts on Linux/X11: do the xcb platform plugin's libraries load?

Qt 6.5+ loads its X11 platform plugin (``libqxcb.so``) when the
``QApplication`` is created; when one of the plugin's system libraries is
missing (``libxcb-icccm4`` and ``libxcb-keysyms1`` are not on every desktop)
Qt prints a misleading "xcb-cursor0 is needed" hint and aborts the process
(exit 134). :func:`preflight` runs first, without importing Qt: it lists the
plugin's libraries that do not load (``ldd``, or ``ctypes`` where ``ldd`` is
missing) and prints the command that installs them with apt, dnf, zypper and
pacman, and the caller exits with status 3.

Nothing is checked when Qt will not use xcb: ``QT_QPA_PLATFORM`` (or
``-platform``) names another plugin (``offscreen``, ``minimal``, ``wayland``),
a Wayland session (Qt picks its wayland plugin there), Windows, macOS, or a
build without the plugin file.
"""
from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

EXIT_CANNOT = 3

#: soname -> (apt, dnf, zypper, pacman) package names.
PACKAGES: dict[str, tuple[str, str, str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil", "libxcb-render-util0",
                                "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util", "libxcb-util1", "xcb-util"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon", "libxkbcommon0", "libxkbcommon"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb", "libX11-xcb1", "libx11"),
    "libX11.so.6": ("libx11-6", "libX11", "libX11-6", "libx11"),
    "libxcb.so.1": ("libxcb1", "libxcb", "libxcb1", "libxcb"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl", "libEGL1", "libglvnd"),
    "libGL.so.1": ("libgl1", "libglvnd-glx", "libGL1", "libglvnd"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig", "libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype", "libfreetype6", "freetype2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs", "libdbus-1-3", "dbus"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2", "libglib-2_0-0", "glib2"),
}
_XCB_EXTENSION = re.compile(r"^libxcb-([a-z0-9-]+)\.so\.(\d+)$")  # libxcb-randr.so.0 ...
MANAGERS = (("Debian/Ubuntu", "sudo apt-get install"), ("Fedora/RHEL", "sudo dnf install"),
            ("openSUSE", "sudo zypper install"), ("Arch", "sudo pacman -S"))
_FAMILY = {"debian": 0, "ubuntu": 0, "linuxmint": 0, "pop": 0, "fedora": 1, "rhel": 1, "centos": 1,
           "rocky": 1, "almalinux": 1, "opensuse": 2, "suse": 2, "sles": 2, "arch": 3, "manjaro": 3,
           "endeavouros": 3}


def packages_for(soname: str) -> tuple[str, str, str, str]:
    """The (apt, dnf, zypper, pacman) packages that provide ``soname``.

    Libraries of the xcb extension family not in :data:`PACKAGES`
    (``libxcb-randr.so.0``) follow the distributions' naming rule; anything
    else is named by its soname.
    """
    if soname in PACKAGES:
        return PACKAGES[soname]
    m = _XCB_EXTENSION.match(soname)
    if m:
        apt = f"libxcb-{m.group(1)}{'-' if m.group(1)[-1].isdigit() else ''}{m.group(2)}"
        return apt, "libxcb", apt, "libxcb"
    return soname, soname, soname, soname


def qt_platform(argv: list[str], environ: dict[str, str] | os._Environ) -> str:
    """The platform plugin Qt will try first: ``-platform NAME``, ``QT_QPA_PLATFORM``, ``wayland``
    in a Wayland session, else ``xcb``."""
    for i, arg in enumerate(argv):
        if arg in ("-platform", "--platform") and i + 1 < len(argv):
            return argv[i + 1].split(":")[0].split(";")[0].strip()
        if arg.startswith(("-platform=", "--platform=")):
            return arg.split("=", 1)[1].split(":")[0].split(";")[0].strip()
    forced = environ.get("QT_QPA_PLATFORM", "").strip()
    if forced:
        return forced.split(";")[0].split(":")[0].strip()
    if environ.get("WAYLAND_DISPLAY") or environ.get("XDG_SESSION_TYPE", "").lower() == "wayland":
        return "wayland"
    return "xcb"


def xcb_plugin(environ: dict[str, str] | os._Environ) -> Path | None:
    """``libqxcb.so`` as Qt will load it (``QT_QPA_PLATFORM_PLUGIN_PATH`` first, then PySide6's)."""
    folders = []
    if environ.get("QT_QPA_PLATFORM_PLUGIN_PATH"):
        folders.append(Path(environ["QT_QPA_PLATFORM_PLUGIN_PATH"]))
    try:
        import importlib.util

        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin:
        folders.append(Path(spec.origin).parent / "Qt" / "plugins" / "platforms")
    for folder in folders:
        if (folder / "libqxcb.so").is_file():
            return folder / "libqxcb.so"
    return None


def missing_libraries(plugin: Path, environ: dict[str, str] | os._Environ | None = None) -> list[str]:
    """The sonames among ``plugin``'s (transitive) dependencies that do not load.

    Parameters
    ----------
    plugin : Path
        The platform plugin (``libqxcb.so``).
    environ : mapping, optional
        Environment for ``ldd`` (``LD_LIBRARY_PATH`` counts); default this process's.

    Returns
    -------
    list of str
        Sonames such as ``"libxcb-icccm.so.4"``, in the order found, each once; empty when
        everything loads (or nothing could be checked).
    """
    ldd = shutil.which("ldd")
    if ldd is None:
        return _missing_by_ctypes(plugin)
    try:
        run = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=30,
                             env=dict(environ if environ is not None else os.environ))
    except (OSError, subprocess.SubprocessError):
        return _missing_by_ctypes(plugin)
    found: list[str] = []
    for line in (run.stdout + "\n" + run.stderr).splitlines():
        m = re.match(r"\s*(\S+)\s+=>\s+not found", line)
        # a library that is there but cannot be loaded (damaged, wrong architecture) stops ldd
        bad = re.search(r"error while loading shared libraries: ([^:]+):", line)
        name = m.group(1) if m else Path(bad.group(1)).name if bad else None
        if name and name not in found:
            found.append(name)
    return found


def _missing_by_ctypes(plugin: Path) -> list[str]:
    """Without ``ldd``: load the plugin; the loader names the first library it cannot open."""
    try:
        ctypes.CDLL(str(plugin), mode=getattr(os, "RTLD_LAZY", 1) | getattr(os, "RTLD_LOCAL", 0))
    except OSError as exc:
        m = re.search(r"([\w.+-]+\.so[\w.]*): cannot open shared object file", str(exc))
        return [m.group(1) if m else str(exc)]
    return []


def _os_family(os_release: str) -> int | None:
    ids: list[str] = []
    for line in os_release.splitlines():
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            ids += value.strip().strip('"').lower().split()
    for i in ids:
        for name, family in _FAMILY.items():
            if i == name or i.startswith(name):
                return family
    return None


def install_message(missing: list[str], os_release: str = "") -> str:
    """What to tell the user: the missing libraries and the command for their distribution first,
    then the commands for the other package managers."""
    family = _os_family(os_release)
    lines = ["dosetrail: the window cannot start: Qt's X11 (xcb) platform plugin needs libraries "
             "that are not installed: " + ", ".join(missing)]

    def names(i: int) -> str:
        return " ".join(dict.fromkeys(packages_for(s)[i] for s in missing))

    if family is not None:
        label, command = MANAGERS[family]
        lines += [f"Install them ({label}):", f"    {command} {names(family)}", "Other distributions:"]
    else:
        lines.append("Install them with your distribution's package manager:")
    for i, (label, command) in enumerate(MANAGERS):
        if i != family:
            lines.append(f"    {label + ':':<14} {command} {names(i)}")
    if family == 0:
        lines.append("(or run packaging/linux/install-deps.sh from a DoseTrail checkout)")
    lines.append("The command line works without them: dosetrail --help")
    return "\n".join(line for line in lines if line)


def _read_os_release() -> str:
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            return Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
    return ""


def preflight(argv: list[str] | None = None, environ: dict[str, str] | os._Environ | None = None,
              stream=None, platform: str | None = None) -> int | None:
    """Check the X11 platform plugin before the ``QApplication`` exists.

    Parameters
    ----------
    argv : list of str, optional
        The app's arguments (``-platform NAME`` is honoured).
    environ : mapping, optional
        Default: this process's environment.
    stream : file, optional
        Where the explanation goes (default: standard error).
    platform : str, optional
        ``sys.platform`` (for tests).

    Returns
    -------
    int or None
        :data:`EXIT_CANNOT` after printing why the window cannot start; None when it can (or
        when Qt will not use xcb, so there is nothing to check).
    """
    environ = os.environ if environ is None else environ
    stream = sys.stderr if stream is None else stream
    if not (platform or sys.platform).startswith("linux") or qt_platform(argv or [], environ) != "xcb":
        return None
    plugin = xcb_plugin(environ)
    if plugin is None:
        return None
    missing = missing_libraries(plugin, environ)
    if missing:
        print(install_message(missing, _read_os_release()), file=stream)
        return EXIT_CANNOT
    if not environ.get("DISPLAY"):
        print("dosetrail: the window cannot start: no X11 display (DISPLAY is not set); start it from a "
              "desktop session. The command line works without one: dosetrail --help", file=stream)
        return EXIT_CANNOT
    return None
