#!/usr/bin/env python
"""CPU time of ``dosetrail import`` on hostile ZIPs, against a small import in the same run.

    python bench/import_hostile_cpu.py                  # 200-entry overlap bomb, 200 small bombs
    python bench/import_hostile_cpu.py --entries 1000   # the issue's 52 KB, 1,000-entry bomb
    python bench/import_hostile_cpu.py --src DIR        # the code in DIR/dosetrail

Inputs (tests/synth/hostile.py): a full-overlap "zip bomb without recursion"
(every entry points at one deflated 1 MiB block of zeros), the quoted-overlap
variant, and a ZIP of separate 1 MiB members of zeros. Each is imported in a
child process (a fresh library); reported: CPU seconds of the import and its
workers (exact, from wait4), ratio to the baseline, and the first output line.
Not a test.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

from import_memory import run_import  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--entries", type=int, default=200, help="entries of each bomb")
    ap.add_argument("--src", default=None, help="folder holding the dosetrail package to measure")
    args = ap.parse_args()
    from synth import make_ct_series, make_overlap_bomb, make_small_members_bomb, write_dataset

    with tempfile.TemporaryDirectory(prefix="dosetrail-bench-cpu-") as tmp:
        root = Path(tmp)
        n = args.entries
        inputs = [
            ("baseline: 1 small file", write_dataset(make_ct_series(n_slices=1)[0], root / "small" / "IM1.dcm")),
            (f"full overlap, {n} entries", make_overlap_bomb(root / "full.zip", entries=n)),
            (f"quoted overlap, {n} entries", make_overlap_bomb(root / "quoted.zip", entries=n, kernel_kib=1000,
                                                                quoted=True)),
            (f"{n} separate 1 MiB zero members", make_small_members_bomb(root / "small.zip", members=n)),
        ]
        print(f"code: {args.src or 'installed dosetrail'}")
        base = None
        for i, (name, path) in enumerate(inputs):
            r = run_import([path], root / f"home{i}", args.src)
            base = base or max(r["cpu_seconds"], 0.01)
            print(f"{name:<32} {path.stat().st_size / 1000:8.0f} KB  cpu {r['cpu_seconds']:7.1f} s "
                  f"({r['cpu_seconds'] / base:6.1f} x baseline)  exit {r['rc']}  | {r['first_line'][:80]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
