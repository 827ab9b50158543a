"""packaging/linux/install-deps.sh (called by the README's install command): installs the missing
X11 libraries and python3-venv on Debian/Ubuntu, does nothing when they are there or where apt is
absent, and says what to run without root. apt-get, dpkg-query, apt-cache, id, sudo and python3
are stubs that log their calls."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "packaging" / "linux" / "install-deps.sh"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("sh") is None,
                                reason="Linux shell script")


def _stubs(tmp_path: Path, *, missing=(), uid=0, venv=True, sudo=False, apt=True) -> Path:
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    log = tmp_path / "calls.log"

    def stub(name: str, body: str) -> None:
        path = bin_ / name
        path.write_text(f"#!/bin/sh\necho \"{name} $*\" >> '{log}'\n{body}\n")
        path.chmod(0o755)

    for tool in ("uname", "grep", "cat"):  # the only real tools the script may use
        os.symlink(shutil.which(tool), bin_ / tool)
    stub("id", f"echo {uid}")
    stub("python3", "exit 0" if venv else "exit 1")
    if apt:
        cases = "\n".join(f"  {p}) exit 1 ;;" for p in missing)
        stub("dpkg-query", f'for last; do :; done\ncase "$last" in\n{cases}\n  *) printf "install ok installed" ;;\nesac')
        stub("apt-cache", 'echo "  Candidate: 1.0-1"')
        stub("apt-get", "exit 0")
    if sudo:
        stub("sudo", '"$@"')
    return bin_


def _run(bin_: Path, tty: bool = False) -> tuple[subprocess.CompletedProcess, list[str]]:
    env = {"PATH": str(bin_), "HOME": str(bin_.parent)}
    run = subprocess.run(["/bin/sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60,
                         stdin=subprocess.DEVNULL)
    log = bin_.parent / "calls.log"
    calls = log.read_text().splitlines() if log.exists() else []
    return run, calls


def test_nothing_missing_does_nothing(tmp_path):
    run, calls = _run(_stubs(tmp_path))
    assert run.returncode == 0 and run.stderr == ""
    assert not any(c.startswith("apt-get") for c in calls)


def test_root_installs_only_the_missing_libraries(tmp_path):
    run, calls = _run(_stubs(tmp_path, missing=("libxcb-icccm4", "libxcb-keysyms1")))
    assert run.returncode == 0, run.stderr
    (install,) = [c for c in calls if c.startswith("apt-get install")]
    assert install.split()[-2:] == ["libxcb-icccm4", "libxcb-keysyms1"]
    assert "libxcb-cursor0" not in install


def test_missing_venv_module_installs_python3_venv(tmp_path):
    run, calls = _run(_stubs(tmp_path, venv=False))
    (install,) = [c for c in calls if c.startswith("apt-get install")]
    assert install.endswith("python3-venv") and run.returncode == 0


def test_without_root_or_terminal_it_says_what_to_run(tmp_path):
    run, calls = _run(_stubs(tmp_path, missing=("libxcb-icccm4",), uid=1000, sudo=True))
    assert run.returncode == 0  # the rest of the install goes on; the window's pre-flight says it again
    assert "apt-get install libxcb-icccm4" in run.stderr and "as root" in run.stderr
    assert not any(c.startswith(("apt-get install", "sudo")) for c in calls)


def test_without_root_and_without_venv_it_fails(tmp_path):
    run, _ = _run(_stubs(tmp_path, uid=1000, venv=False))
    assert run.returncode == 1 and "python3-venv" in run.stderr


def test_where_apt_is_absent_it_does_nothing(tmp_path):
    run, calls = _run(_stubs(tmp_path, apt=False, missing=("libxcb-icccm4",)))
    assert run.returncode == 0 and run.stderr == "" and run.stdout == ""
    assert not any(c.startswith(("apt-get", "dpkg-query")) for c in calls)
