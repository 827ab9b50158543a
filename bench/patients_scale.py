#!/usr/bin/env python
"""Time of ``dosetrail patients`` (list and search) over many patients, against an empty library.

    python bench/patients_scale.py --patients 10000

Builds a library of N patients with one single-image study each (tests/synth
generate_many), then runs, each in a fresh process, best of three:

* ``patients --json`` on an empty library (the startup: interpreter, imports, migrations check);
* ``patients --json`` over the N patients;
* ``patients --search`` by part of a name, by an ID, by a birth date.

Prints wall time, the time above the empty library's, and peak RSS side by
side (issue 14: list under 0.3 s and search under 0.2 s over 10,000 patients).
Not a test: never run as a timed test in CI.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def _timed(args: list[str], home: Path) -> tuple[float, float]:
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dosetrail.gui.entry", *args], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "DOSETRAIL_HOME": str(home)})
        best = min(best, time.perf_counter() - t)
    return best, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=10000)
    args = ap.parse_args()
    from synth import generate_many

    with tempfile.TemporaryDirectory(prefix="dosetrail-bench-patients-") as tmp:
        root = Path(tmp)
        home, empty = root / "home", root / "empty"
        home.mkdir()
        empty.mkdir()
        generate_many(root / "src", args.patients, files_per_series=1, series_per_study=1, studies_per_patient=1,
                      pixels=False, seed="patients-scale")
        t = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "dosetrail.gui.entry", "import", str(root / "src"), "--link",
                              "--json"], capture_output=True, text=True, check=True,
                             env={**os.environ, "DOSETRAIL_HOME": str(home)})
        print(f"imported {json.loads(res.stdout)['instances_imported']} patients' studies "
              f"in {time.perf_counter() - t:.1f} s")
        base, _ = _timed(["patients", "--json"], empty)
        print(f"{'command':<44} {'seconds':>8} {'above empty':>12}")
        print(f"{'patients --json (empty library)':<44} {base:8.2f} {0.0:12.2f}")
        mid = f"{args.patients // 2:05d}"
        for label, cmd in (("patients --json", ["patients", "--json"]),
                           ("patients (table)", ["patients"]),
                           (f"patients --search patient{mid[:4]} (name part)", ["patients", "--search", f"patient{mid[:4]}"]),
                           (f"patients --search BENCH{mid} (ID)", ["patients", "--search", f"BENCH{mid}"]),
                           ("patients --search 1970-01-31 (birth date)", ["patients", "--search", "1970-01-31"])):
            sec, _ = _timed(cmd, home)
            print(f"{label:<44} {sec:8.2f} {sec - base:12.2f}")
        print(f"peak RSS of any run: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
