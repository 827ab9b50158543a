#!/usr/bin/env python
"""Import throughput against a plain pydicom header-reading loop, in the same run.

    python bench/import_throughput.py --files 20000

Generates N synthetic CT files (tests/synth), then times

* baseline: ``pydicom.dcmread(path, stop_before_pixels=True)`` over every file,
  in one process;
* ``dosetrail import --link`` of the same folder (a fresh library);
* ``dosetrail import`` (copy mode) of the same folder (another fresh library),

and prints files/s for each, the ratio import/baseline, the peak memory of
the import's main process and of its workers, and bytes read / source size in
copy mode. Not a test: never run as a timed test in CI.
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

RUNNER = r"""
import json, resource, sys, time
from dosetrail.gui.entry import main
t = time.perf_counter()
rc = main(sys.argv[1:])
dt = time.perf_counter() - t
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "seconds": dt, "self_max_rss_mb": me.ru_maxrss / 1024, "worker_max_rss_mb": kids.ru_maxrss / 1024,
                  "main_cpu_s": me.ru_utime + me.ru_stime, "worker_cpu_s": kids.ru_utime + kids.ru_stime}), file=sys.stderr)
"""


def baseline(files: list[Path]) -> float:
    import pydicom

    t = time.perf_counter()
    for f in files:
        pydicom.dcmread(f, stop_before_pixels=True)
    return time.perf_counter() - t


def run_import(folder: Path, home: Path, link: bool) -> tuple[dict, dict]:
    args = [sys.executable, "-c", RUNNER, "import", str(folder), "--json"] + (["--link"] if link else [])
    res = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "DOSETRAIL_HOME": str(home)})
    stats = json.loads(res.stderr.strip().splitlines()[-1])
    return json.loads(res.stdout), stats


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--per-series", type=int, default=200)
    args = ap.parse_args()
    from synth import generate_many

    with tempfile.TemporaryDirectory(prefix="dosetrail-bench-") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        files = generate_many(root / "src", args.files, files_per_series=args.per_series)
        gen = time.perf_counter() - t
        size = sum(f.stat().st_size for f in files)
        print(f"generated {len(files)} files ({size / 1e6:.1f} MB) in {gen:.1f} s")
        base = min(baseline(files), baseline(files))  # best of two, warm cache like the imports
        link_doc, link = run_import(root / "src", root / "home-link", link=True)
        copy_doc, copy = run_import(root / "src", root / "home-copy", link=False)
        base_rate = len(files) / base
        print(f"baseline dcmread(stop_before_pixels) loop: {base_rate:8.0f} files/s ({base:.2f} s)")
        for name, doc, st in (("import --link", link_doc, link), ("import (copy)", copy_doc, copy)):
            rate = doc["instances_imported"] / st["seconds"]
            print(f"{name:<14}: {rate:8.0f} files/s ({st['seconds']:.2f} s, {doc['instances_imported']} imported) "
                  f"ratio {rate / base_rate:.2f}  peak RSS main {st['self_max_rss_mb']:.0f} MB, "
                  f"worker {st['worker_max_rss_mb']:.0f} MB; CPU main {st['main_cpu_s']:.1f} s, workers {st['worker_cpu_s']:.1f} s")
        print(f"copy mode bytes read / source size: {copy_doc['bytes_read'] / size:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
