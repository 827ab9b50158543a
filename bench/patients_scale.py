#!/usr/bin/env python
"""Time of ``dosetrail patients`` (list and search) over many patients, against an empty library.

    python bench/patients_scale.py --patients 10000 [--before REF]

Builds a library of N patients with one single-image study each (tests/synth
generate_many), then runs, each in a fresh process, best of three:

* ``patients --json`` on an empty library (the startup: interpreter, imports, migrations check);
* ``patients --json`` over the N patients;
* ``patients --search`` by part of a name, by an ID, by a birth date (one patient's), and by the
  birth date every generated patient shares (the whole list as a table).

Prints wall time, the time above the empty library's, and peak RSS side by
side (issue 14: list under 0.3 s and search under 0.2 s over 10,000 patients).
With ``--before REF`` every command also runs with the code of commit REF
(bench/code_versions.py), interleaved, and the ratio after/before of the time
above the empty library is printed next to it.
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
sys.path.insert(0, str(HERE))

from code_versions import code_env, label  # noqa: E402


def _timed(args: list[str], home: Path, refs: list[str | None]) -> list[float]:
    """Best of three wall times of ``args`` for each code version, the versions interleaved."""
    best = [float("inf")] * len(refs)
    for _ in range(3):
        for i, ref in enumerate(refs):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "dosetrail.gui.entry", *args], check=True,
                           stdout=subprocess.DEVNULL, env=code_env(ref, {**os.environ, "DOSETRAIL_HOME": str(home)}))
            best[i] = min(best[i], time.perf_counter() - t)
    return best


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=10000)
    ap.add_argument("--before", help="also run the code of this git commit, side by side (e.g. main)")
    args = ap.parse_args()
    from synth import PatientSpec, generate_many, make_ct_series, write_study

    with tempfile.TemporaryDirectory(prefix="dosetrail-bench-patients-") as tmp:
        root = Path(tmp)
        home, empty = root / "home", root / "empty"
        home.mkdir()
        empty.mkdir()
        generate_many(root / "src", args.patients - 1, files_per_series=1, series_per_study=1, studies_per_patient=1,
                      pixels=False, seed="patients-scale")
        # generate_many's patients share one birth date: one patient born on another day, for a birth-date
        # search that finds one patient (searching the shared date lists them all, as a table)
        write_study(make_ct_series(PatientSpec(patient_id="OTHERDAY1", name="OTHER^DAY", birth_date="19850615"),
                                   n_slices=1, pixels=False), root / "src" / "zz-other-day")
        t = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "dosetrail.gui.entry", "import", str(root / "src"), "--link",
                              "--json"], capture_output=True, text=True, check=True,
                             env={**os.environ, "DOSETRAIL_HOME": str(home)})
        print(f"imported {json.loads(res.stdout)['instances_imported']} patients' studies "
              f"in {time.perf_counter() - t:.1f} s")
        refs = [args.before, None] if args.before else [None]
        bases = _timed(["patients", "--json"], empty, refs)
        head = "".join(f" | {label(r)[:30]:>30}" for r in refs)
        print(f"{'':<44}{head}")
        print(f"{'command':<44}" + " | {:>14} {:>15}".format("seconds", "above empty") * len(refs)
              + ("  after/before (above empty)" if args.before else ""))
        print(f"{'patients --json (empty library)':<44}"
              + "".join(f" | {b:14.2f} {0.0:15.2f}" for b in bases))
        mid = f"{args.patients // 2:05d}"
        for label_, cmd in (("patients --json", ["patients", "--json"]),
                            ("patients (table)", ["patients"]),
                            (f"patients --search patient{mid[:4]} (name part)",
                             ["patients", "--search", f"patient{mid[:4]}"]),
                            (f"patients --search BENCH{mid} (ID)", ["patients", "--search", f"BENCH{mid}"]),
                            ("patients --search 1985-06-15 (birth date)", ["patients", "--search", "1985-06-15"]),
                            (f"patients --search 1970-01-31 ({args.patients - 1} match)",
                             ["patients", "--search", "1970-01-31"])):
            secs = _timed(cmd, home, refs)
            above = [s_ - b for s_, b in zip(secs, bases)]
            ratio = f"  {above[1] / above[0]:.2f}" if args.before and above[0] > 0 else ""
            print(f"{label_:<44}" + "".join(f" | {s_:14.2f} {a:15.2f}" for s_, a in zip(secs, above)) + ratio)
        print(f"peak RSS of any run: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
