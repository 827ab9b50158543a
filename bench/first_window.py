#!/usr/bin/env python
"""Time from process start to the first window shown with its patient list filled.

    python bench/first_window.py [--patients 2000] [--before REF]

Each run is a fresh process (offscreen Qt) started as ``dosetrail`` starts
(``dosetrail.gui.entry.main([])``); the clock starts just before the process
is spawned and stops when the window's presenter has put the first list of
patients in the patient table (or shown the empty library's page), after the
window is shown. Best of five, side by side:

* ``python -c pass`` (the interpreter alone);
* the window on an empty library;
* the window on a library of N patients (tests/synth generate_many).

With ``--before REF`` the two window runs also run the code of commit REF
(bench/code_versions.py), interleaved. Issue 14: first window under 1.0 s.
Also prints the heavy modules the window has loaded by then. Not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from code_versions import code_env, label  # noqa: E402

HEAVY = ("pyqtgraph", "reportlab", "pydicom", "fhir", "pyarrow", "numpy", "sqlalchemy", "alembic", "PIL")

RUNNER = r"""
import json, sys, time
t0 = float(sys.argv[1])
from dosetrail.gui import window_presenter
from PySide6.QtWidgets import QApplication
shown = window_presenter.WindowPresenter.show_patients
def show_patients(self, patients):
    shown(self, patients)
    if self.w.isVisible():
        dt = time.time() - t0
        heavy = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2].split(",")))
        print(json.dumps({"seconds": dt, "patients": len(patients), "heavy": heavy}), file=sys.stderr)
        QApplication.instance().quit()
window_presenter.WindowPresenter.show_patients = show_patients
from dosetrail.gui.entry import main
main([])
"""


def _once(home: Path, ref: str | None) -> dict:
    env = code_env(ref, {**os.environ, "DOSETRAIL_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
                         "XDG_CONFIG_HOME": str(home / "config")})
    t0 = time.time()
    res = subprocess.run([sys.executable, "-c", RUNNER, repr(t0), ",".join(HEAVY)], env=env, capture_output=True,
                         text=True, timeout=120)
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("{")]
    if not lines:
        raise SystemExit(f"the window did not report:\n{res.stderr[-2000:]}")
    return json.loads(lines[-1])


def _best(home: Path, refs: list[str | None], runs: int) -> list[dict]:
    best: list[dict] = [{"seconds": float("inf")} for _ in refs]
    for _ in range(runs):
        for i, ref in enumerate(refs):
            r = _once(home, ref)
            if r["seconds"] < best[i]["seconds"]:
                best[i] = r
    return best


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--before", help="also run the code of this git commit, side by side (e.g. main)")
    args = ap.parse_args()
    from synth import generate_many

    with tempfile.TemporaryDirectory(prefix="dosetrail-bench-window-") as tmp:
        root = Path(tmp)
        home, empty = root / "home", root / "empty"
        home.mkdir()
        empty.mkdir()
        generate_many(root / "src", args.patients, files_per_series=1, series_per_study=1, studies_per_patient=1,
                      pixels=False, seed="first-window")
        subprocess.run([sys.executable, "-m", "dosetrail.gui.entry", "import", str(root / "src"), "--link",
                        "--json"], capture_output=True, check=True, env={**os.environ, "DOSETRAIL_HOME": str(home)})
        subprocess.run([sys.executable, "-m", "dosetrail.gui.entry", "patients"], capture_output=True, check=True,
                       env={**os.environ, "DOSETRAIL_HOME": str(empty)})  # creates the empty library
        bare = float("inf")
        for _ in range(args.runs):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            bare = min(bare, time.perf_counter() - t)
        refs = [args.before, None] if args.before else [None]
        print(f"{'python -c pass':<36} {bare:6.2f} s")
        print(f"{'':<36}" + "".join(f" | {label(r)[:34]:>34}" for r in refs)
              + ("  after/before" if args.before else ""))
        for title, where in (("window, empty library", empty), (f"window, {args.patients} patients", home)):
            best = _best(where, refs, args.runs)
            ratio = f"  {best[1]['seconds'] / best[0]['seconds']:.2f}" if args.before else ""
            print(f"{title:<36}" + "".join(f" | {b['seconds']:8.2f} s ({b['patients']:>6} listed)      "
                                           for b in best) + ratio)
            for r, b in zip(refs, best):
                print(f"    heavy modules loaded ({label(r)}): {', '.join(b['heavy']) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
