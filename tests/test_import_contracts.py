"""The layer contracts of pyproject.toml ([tool.importlinter]) hold: `lint-imports` passes.

core never imports Qt/pyqtgraph/the GUI; the GUI never imports pydicom, SQLAlchemy,
core.storage or core.importer, and enters core only through core.api (and core.wording).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(config: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                              os.environ.get("PATH", "")]))
    if exe is None:
        pytest.fail("lint-imports is not installed (pip install -e '.[test]' installs import-linter)")
    return subprocess.run([exe, "--config", str(config), "--no-cache"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_the_layer_contracts_are_kept():
    done = _lint_imports(ROOT / "pyproject.toml")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_a_broken_contract_fails(tmp_path):
    # the same tool on a contract the code breaks (the GUI does import core.api): it must say so
    config = tmp_path / "broken.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["dosetrail.core", "dosetrail.gui"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "no door at all"\ntype = "forbidden"\n'
        'source_modules = ["dosetrail.gui.app"]\nforbidden_modules = ["dosetrail.core.api"]\n',
        encoding="utf-8")
    done = _lint_imports(config)
    assert done.returncode == 1, done.stdout[-4000:]
    assert "BROKEN" in done.stdout


def test_the_gui_door_contract_covers_every_core_module():
    # a forbidden contract lists modules by name: a new core module must be added to it (or be the door)
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"]
                    if c["name"].startswith("the GUI enters core only through"))
    listed = set(contract["forbidden_modules"])
    doors = {"dosetrail.core.api", "dosetrail.core.wording"}
    core = [p for p in (ROOT / "core").iterdir()
            if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()]
    modules = {f"dosetrail.core.{p.stem if p.suffix == '.py' else p.name}" for p in core}
    assert modules - doors - listed == set(), "add these to the contract's forbidden_modules"


def test_the_layers_contract_places_every_core_module():
    # a layers contract leaves unlisted modules free: a new core module must be given its layer
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    placed = {name.strip() for layer in contract["layers"] for name in layer.replace(":", "|").split("|")}
    core = [p for p in (ROOT / "core").iterdir()
            if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()]
    for p in core:
        name = p.stem if p.suffix == ".py" else p.name
        if name == "model":  # its modules sit in different layers
            name = {f"model.{m.stem}" for m in p.glob("*.py") if m.stem != "__init__"}
            assert name - placed == set(), "give these model modules their layer"
        else:
            assert name in placed, f"give core.{name} its layer in the layers contract"
