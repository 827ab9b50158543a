"""Static checks of the packaging files (fast; the real build is packaging/build.sh)."""
from __future__ import annotations

import ast
import configparser
import shutil
import struct
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
APP_ID = "io.dosetrail.DoseTrail"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _spec_tree() -> ast.Module:
    return ast.parse((PACKAGING / "dosetrail.spec").read_text(encoding="utf-8"))


def _string_constants(tree: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _call_names(tree: ast.AST) -> set[str]:
    return {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def test_spec_parses_and_builds_the_right_things():
    tree = _spec_tree()
    calls = _call_names(tree)
    assert {"Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"} <= calls
    strings = _string_constants(tree)
    assert "dosetrail_launcher.py" in strings and (PACKAGING / "dosetrail_launcher.py").is_file()
    # package data, migrations as files, pixel decoder plugins and their entry points
    for needed in ("dosetrail/core/data", "dosetrail/core/storage/migrations",
                   "dosetrail/gui/resources", "dosetrail/resources/demo",
                   "libjpeg", "openjpeg", "pylibjpeg-libjpeg", "pylibjpeg-openjpeg",
                   "pydicom.pixels", "alembic", "NSHighResolutionCapable", APP_ID):
        assert needed in strings, needed
    # unused Qt modules are excluded, the ones in use are not
    excluded = next(n.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "excludes" for t in n.targets))
    names = {e.value for e in excluded.elts if isinstance(e, ast.Constant)}
    assert "PySide6.QtQml" in names and "PySide6.QtNetwork" in names
    assert not names & {"PySide6.QtWidgets", "PySide6.QtGui", "PySide6.QtSvg",
                        "PySide6.QtPrintSupport", "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets"}
    # the files the spec reads exist
    assert (PACKAGING / "windows" / "version_info.txt.in").is_file()
    assert (ROOT / "core" / "storage" / "migrations").is_dir()


def test_launcher_calls_freeze_support_before_main():
    tree = ast.parse((PACKAGING / "dosetrail_launcher.py").read_text(encoding="utf-8"))
    main_block = next(n for n in tree.body if isinstance(n, ast.If))
    first = main_block.body[0]
    assert isinstance(first, ast.Expr) and ast.unparse(first) == "multiprocessing.freeze_support()"
    assert "dosetrail.gui.entry" in ast.unparse(main_block)


def test_desktop_entry():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(PACKAGING / "linux" / "dosetrail.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    for key in ("Type", "Name", "Exec", "Icon", "Categories", "Terminal", "Comment"):
        assert entry.get(key), key
    assert entry["Type"] == "Application"
    assert entry["Exec"].split()[0] == "dosetrail"
    assert entry["Icon"] == APP_ID
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";") and entry["MimeType"].endswith(";")


def test_desktop_file_validates():
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate not installed")
    result = subprocess.run([tool, str(PACKAGING / "linux" / "dosetrail.desktop")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_metainfo_is_well_formed_and_consistent():
    tree = ET.parse(PACKAGING / "linux" / f"{APP_ID}.metainfo.xml")
    root = tree.getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    for tag in ("name", "summary", "metadata_license", "project_license"):
        assert (root.findtext(tag) or "").strip(), tag
    assert root.find("description/p") is not None
    assert root.findtext("launchable") == f"{APP_ID}.desktop"
    assert root.find("releases/release").get("version") == VERSION


def test_metainfo_validates_with_appstreamcli():
    tool = shutil.which("appstreamcli")
    if tool is None:
        pytest.skip("appstreamcli not installed")
    result = subprocess.run([tool, "validate", "--no-net",
                             str(PACKAGING / "linux" / f"{APP_ID}.metainfo.xml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def test_icons_exist():
    svg = ET.parse(ROOT / "gui" / "resources" / "icons" / "dosetrail.svg").getroot()
    assert svg.tag.endswith("svg")
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert _png_size(PACKAGING / "icons" / f"dosetrail-{size}.png") == (size, size)
    assert (PACKAGING / "icons" / "dosetrail.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert (PACKAGING / "icons" / "dosetrail.icns").read_bytes()[:4] == b"icns"


def test_windows_installer_script_matches_the_spec():
    iss = (PACKAGING / "windows" / "dosetrail.iss").read_text(encoding="utf-8")
    spec = (PACKAGING / "dosetrail.spec").read_text(encoding="utf-8")
    assert '"dosetrail-gui"' in spec and "dosetrail-gui.exe" in iss
    assert r"dist\dosetrail" in iss and r"..\icons\dosetrail.ico" in iss
    for section in ("[Setup]", "[Files]", "[Icons]"):
        assert section in iss
    template = (PACKAGING / "windows" / "version_info.txt.in").read_text(encoding="utf-8")
    assert "@NUMBERS@" in template and "@VERSION@" in template


def test_build_script_syntax():
    script = PACKAGING / "build.sh"
    assert script.stat().st_mode & 0o111, "build.sh must be executable"
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash not installed")
    result = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_demo_archive_is_bundled():
    assert (ROOT / "resources" / "demo" / "demo-studies.zip").is_file()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    tool = pyproject["tool"]["setuptools"]
    assert tool["package-dir"]["dosetrail.resources"] == "resources"
    assert "dosetrail.resources" in tool["packages"]
    assert any(p.endswith(".zip") for p in tool["package-data"]["dosetrail.resources"])
