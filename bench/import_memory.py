#!/usr/bin/env python
"""Peak memory of ``dosetrail import`` (the whole process tree) on big inputs.

    python bench/import_memory.py                 # 800 MiB ZIP of 20 files, 2 GiB file
    python bench/import_memory.py --zip-gib 4     # also a 4 GiB ZIP (20 files)
    python bench/import_memory.py --many-gib 2    # also a 2 GiB ZIP of 10 MiB files (200)
    python bench/import_memory.py --src DIR       # the code in DIR/dosetrail (e.g. an older tree)

Builds synthetic inputs in a temporary folder (tests/synth/big.py: multi-frame
CTs written in chunks), then runs ``dosetrail import`` (copy mode, a fresh
library each time) in a child process and samples the resident memory of the
child and all its descendants every 20 ms. Reported per input:

* ``tree peak``: the largest sum of VmRSS over the process tree (sampled;
  an upper bound, forked workers' shared pages count once per process);
* ``max process``: the largest ru_maxrss of any single process (exact);
* the ratio of the tree peak to the baseline, an import of one small file
  measured in the same run.

The goal of issue 10 is a tree peak under 500 MB whatever the input. Not a
test: never run as a timed test in CI.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

RUNNER = "import sys; from dosetrail.gui.entry import main; sys.exit(main(sys.argv[1:]))"
MIB = 1 << 20


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                kids += [int(k) for k in fh.read().split()]
    except OSError:
        pass
    return kids


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss_kib(root: int) -> tuple[int, int]:
    total, count, stack = 0, 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss_kib(pid)
        count += 1
        stack += _children(pid)
    return total, count


def run_import(paths: list[Path], home: Path, src: str | None) -> dict:
    """Run one import in a child process; returns peaks (MiB), exit code and seconds."""
    env = {**os.environ, "DOSETRAIL_HOME": str(home)}
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    args = [sys.executable, "-c", RUNNER, "import", *map(str, paths)]
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out_fh, tempfile.TemporaryFile("w+") as err_fh:
        proc = subprocess.Popen(args, env=env, stdout=out_fh, stderr=err_fh, text=True)
        peak, procs = 0, 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:  # exact: the child's largest RSS, and its waited-for workers'
                break
            rss, n = _tree_rss_kib(proc.pid)
            peak, procs = max(peak, rss), max(procs, n)
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - t
        out_fh.seek(0)
        err_fh.seek(0)
        out, err = out_fh.read(), err_fh.read()
    max_proc = usage.ru_maxrss
    lines = (out.strip().splitlines() or [""])[:1] + [ln for ln in err.strip().splitlines() if ln][-1:]
    return {"rc": proc.returncode, "tree_peak_mib": peak / 1024, "processes": procs,
            "max_process_mib": max_proc / 1024,
            "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime, "first_line": lines[0]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zip-mib", type=int, default=800, help="size of the stored ZIP of 20 files")
    ap.add_argument("--zip-gib", type=float, default=0, help="also a ZIP of this many GiB (20 files)")
    ap.add_argument("--many-gib", type=float, default=0, help="also a ZIP of this many GiB in 10 MiB files")
    ap.add_argument("--file-mib", type=int, default=2048, help="size of the single big file")
    ap.add_argument("--src", default=None, help="folder holding the dosetrail package to measure")
    ap.add_argument("--tmp", default=None, help="where the inputs and libraries go")
    args = ap.parse_args()
    from synth import make_big_stored_zip, make_ct_series, write_big_dicom, write_dataset

    with tempfile.TemporaryDirectory(prefix="dosetrail-bench-mem-", dir=args.tmp) as tmp:
        root = Path(tmp)
        small = write_dataset(make_ct_series(n_slices=1)[0], root / "small" / "IM1.dcm")
        inputs = [("baseline: 1 small file", [small])]
        t = time.perf_counter()
        zips = [(args.zip_mib * MIB, f"stored ZIP, 20 files, {args.zip_mib} MiB")]
        if args.zip_gib:
            zips.append((int(args.zip_gib * 1024) * MIB, f"stored ZIP, 20 files, {args.zip_gib:g} GiB"))
        shapes = [(size, 20, name) for size, name in zips]
        if args.many_gib:
            many = int(args.many_gib * 1024) // 10
            shapes.append((many * 10 * MIB, many, f"stored ZIP, {many} files, {args.many_gib:g} GiB"))
        for i, (size, count, name) in enumerate(shapes):
            z = make_big_stored_zip(root / f"in{i}.zip", count, size // count)
            inputs.append((name, [z]))
        big = write_big_dicom(root / "bigfile" / "big.dcm", args.file_mib * MIB)
        inputs.append((f"single file, {args.file_mib} MiB", [big]))
        print(f"inputs built in {time.perf_counter() - t:.0f} s; code: {args.src or 'installed dosetrail'}")
        base = None
        for i, (name, paths) in enumerate(inputs):
            r = run_import(paths, root / f"home{i}", args.src)
            base = base or r["tree_peak_mib"]
            print(f"{name:<32} tree peak {r['tree_peak_mib']:7.0f} MiB ({r['tree_peak_mib'] / base:5.1f} x baseline)"
                  f"  max process {r['max_process_mib']:7.0f} MiB  processes {r['processes']}"
                  f"  exit {r['rc']}  {r['seconds']:.0f} s  | {r['first_line'][:70]}")
            for h in (root / f"home{i}").glob("**/*.dcm"):
                h.unlink()  # free the disk before the next input
    return 0


if __name__ == "__main__":
    sys.exit(main())
