"""No traceback, anywhere: every command, given bad paths, a bad or unreachable database or an
unusable DOSETRAIL_HOME, exits with the contract's status and one readable line on stderr."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dosetrail.core.cli.main import main

from mounts import tmpfs

UNREACHABLE = "postgresql+psycopg://dosetrail@127.0.0.1:1/x"

# every command, with arguments that are fine on a healthy library
COMMANDS = {
    "import": lambda t: ["import", str(t / "src")],
    "patients": lambda t: ["patients"],
    "patients --json": lambda t: ["patients", "--json"],
    "history": lambda t: ["history", "P1"],
    "export": lambda t: ["export", "--format", "csv", "-o", str(t / "out.csv")],
    "report": lambda t: ["report", "P1", "-o", str(t / "out.pdf")],
    "import-report": lambda t: ["import-report"],
    "merge": lambda t: ["merge", "AAAA", "BBBB"],
    "split": lambda t: ["split", "AAAA", "ID1"],
    "settings": lambda t: ["settings", "--factor-set", "ICRP-103-NCI"],
    "media": lambda t: ["media"],
    "--version": lambda t: ["--version"],
}
NO_LIBRARY = {"media", "--version"}  # they never open the library
WITH_DB = [c for c in COMMANDS if c not in NO_LIBRARY]


@pytest.fixture
def src(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "note.txt").write_text("not DICOM")
    return tmp_path


def _run(argv, capsys) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    err = captured.err
    assert "Traceback" not in err and "Traceback" not in captured.out
    return code, err


def _one_readable_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("dosetrail "), err
    return lines[0]


@pytest.mark.parametrize("command", WITH_DB)
@pytest.mark.parametrize("url, status, words", [
    ("not a url", 2, "not a usable database URL"),
    ("nosuchdb://host/x", 2, "not a usable database URL"),
    (UNREACHABLE, 3, "cannot use the library database"),
    ("sqlite:////proc/no-such-folder/lib.db", 3, "/proc/no-such-folder"),
])
def test_bad_or_unreachable_database(command, url, status, words, src, capsys):
    code, err = _run(COMMANDS[command](src) + ["--db", url], capsys)
    assert code == status
    line = _one_readable_line(err)
    assert words in line
    assert "dosetrail@" not in line or ":1/x" in line  # the URL is named (without a password)


def test_database_password_is_not_shown(src, capsys):
    code, err = _run(["patients", "--db", "postgresql+psycopg://ann:s3cret@127.0.0.1:1/x"], capsys)
    assert code == 3 and "s3cret" not in err and "127.0.0.1" in _one_readable_line(err)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_home_is_a_file(command, src, monkeypatch, capsys):
    blocker = src / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("DOSETRAIL_HOME", str(blocker))
    code, err = _run(COMMANDS[command](src), capsys)
    if command in NO_LIBRARY:  # needs no library: works, at most one line of its own ("no removable media ...")
        assert code == 0 and "Traceback" not in err and len(err.splitlines()) <= 1
        return
    assert code == 3
    assert f"DOSETRAIL_HOME {blocker} is not a usable folder" in _one_readable_line(err)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_home_inside_a_file(command, src, monkeypatch, capsys):
    blocker = src / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("DOSETRAIL_HOME", str(blocker / "home"))
    code, err = _run(COMMANDS[command](src), capsys)
    assert code == (0 if command in NO_LIBRARY else 3)
    if command not in NO_LIBRARY:
        assert "is not a usable folder" in _one_readable_line(err)


@pytest.mark.parametrize("command", WITH_DB)
def test_home_not_writable(command, src, monkeypatch, capsys):
    with tmpfs(src / "ro", "1m", read_only=True) as ro:
        monkeypatch.setenv("DOSETRAIL_HOME", str(ro))
        code, err = _run(COMMANDS[command](src), capsys)
    assert code == 3
    assert f"DOSETRAIL_HOME {ro} is not writable" in _one_readable_line(err)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permission bits (see above)")
@pytest.mark.parametrize("command", WITH_DB)
def test_home_without_write_permission(command, src, monkeypatch, capsys):
    home = src / "locked"
    home.mkdir()
    os.chmod(home, 0o500)
    try:
        monkeypatch.setenv("DOSETRAIL_HOME", str(home))
        code, err = _run(COMMANDS[command](src), capsys)
    finally:
        os.chmod(home, 0o700)
    assert code == 3
    assert f"DOSETRAIL_HOME {home} is not writable" in _one_readable_line(err)


@pytest.mark.parametrize("command", ["export", "report"])
@pytest.mark.parametrize("where, status", [
    ("inside-a-file", 2), ("a-directory", 2), ("missing-folder", 2), ("/proc/no-such/x", 2),
    ("/proc/version", 3), ("/sys/x", 3),
])
def test_bad_output_paths(command, where, status, src, capsys):
    from synth import PatientSpec, make_ct_series, write_study

    write_study(make_ct_series(PatientSpec(patient_id="P1"), n_slices=2), src / "src")
    assert main(["import", str(src / "src")]) == 0
    capsys.readouterr()
    (src / "a-file").write_text("x")
    (src / "a-directory").mkdir()
    out = {"inside-a-file": src / "a-file" / "out", "a-directory": src / "a-directory",
           "missing-folder": src / "no-such" / "deeper" / "out"}.get(where, where)
    argv = COMMANDS[command](src)
    argv[argv.index("-o") + 1] = str(out)
    if command == "report" and where == "missing-folder":
        status = 0  # the report makes its folder (as before)
    code, err = _run(argv, capsys)
    assert code == status, err
    if status:
        assert str(out) in _one_readable_line(err)


def test_cancelled_command_is_130(src, monkeypatch, capsys):
    from dosetrail.core import api

    def interrupted(self, *a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(api.Library, "patients", interrupted)
    code, err = _run(["patients"], capsys)
    assert code == 130 and "cancelled" in _one_readable_line(err)


def test_unexpected_error_is_one_line(src, monkeypatch, capsys):
    from dosetrail.core import api

    def bug(self, *a, **k):
        raise TypeError("something\nspanning lines")

    monkeypatch.setattr(api.Library, "patients", bug)
    code, err = _run(["patients"], capsys)
    assert code == 3
    line = _one_readable_line(err)
    assert "internal error (TypeError: something)" in line and "DOSETRAIL_DEBUG=1" in line


@pytest.mark.parametrize("argv, env, status", [
    (["patients", "--db", UNREACHABLE], {}, 3),
    (["export", "--format", "json", "-o", "/proc/no-such/x"], {}, 2),
    (["import", "."], {"DOSETRAIL_HOME": "/proc/version"}, 3),
])
def test_console_script_prints_no_traceback(argv, env, status, tmp_path):
    """The installed entry point, in a process of its own: the real stderr has one line."""
    proc = subprocess.run([sys.executable, "-c", "import sys; from dosetrail.gui.entry import main; "
                           "sys.exit(main())", *argv], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DOSETRAIL_HOME": str(tmp_path / "home"), **env}, cwd=tmp_path)
    assert proc.returncode == status
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
