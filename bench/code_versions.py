"""Run another version of DoseTrail's code next to this one, in the same bench run.

    env = code_env("HEAD~3")   # os.environ with that commit's code first on the path
    subprocess.run([sys.executable, "-m", "dosetrail.gui.entry", ...], env=env)

:func:`code_env` extracts the commit (``git archive``) once into a temporary
folder with a ``dosetrail`` package whose ``core``, ``gui`` and ``resources``
are that commit's, and returns an environment whose ``PYTHONPATH`` finds it
before the editable install of the working tree. The benches use it to print
"before" and "after" figures side by side, measured on the same machine in
the same minutes. Not a test.
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_made: dict[str, Path] = {}


def code_env(ref: str | None, base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default ``os.environ``) running the code of commit ``ref`` (None: the working tree)."""
    env = dict(os.environ if base is None else base)
    if not ref:
        return env
    if ref not in _made:
        tmp = Path(tempfile.mkdtemp(prefix="dosetrail-bench-code-"))
        atexit.register(shutil.rmtree, tmp, True)
        tree = tmp / "tree"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "core", "gui", "resources"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        pkg = tmp / "path" / "dosetrail"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        for name in ("core", "gui", "resources"):
            if (tree / name).exists():
                (pkg / name).symlink_to(tree / name)
        _made[ref] = tmp / "path"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_made[ref]), env.get("PYTHONPATH", "")) if p)
    return env


def label(ref: str | None) -> str:
    """A column title for ``ref``."""
    if not ref:
        return "this tree"
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", ref], capture_output=True,
                         text=True).stdout.strip()
    return f"{ref} ({sha})" if sha and sha != ref else ref
