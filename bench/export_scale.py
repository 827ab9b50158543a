#!/usr/bin/env python
"""Time and peak memory of the exports on a large synthetic library, streamed against built whole.

    python bench/export_scale.py --studies 5000          # 1,000 patients, 5 studies each
    python bench/export_scale.py --studies 5000 --db postgresql+psycopg://...   # another database
    python bench/export_scale.py --studies 5000 --formats fhir --before main --skip-whole  # side by side

Builds a library like issue 14's (tests/synth generate_many: 2 series of 2
header-only images and one CT RDSR per study, 5 studies per patient), imports
it, then runs each export in a fresh child process and reports its wall time
and peak RSS (``ru_maxrss``) side by side:

* ``whole``: the implementation before streaming, in the same run: one
  ``build_history`` per patient (each with its own summary query), the whole
  document in memory, then ``json.dumps`` (JSON) or the CSV text;
* ``stream``: ``dosetrail export --format F -o FILE`` as shipped (JSON, CSV,
  FHIR Bundle, FHIR NDJSON, Parquet lake).

With ``--before REF`` the streamed exports also run with the code of commit
REF (bench/code_versions.py) and the ratio of the per-study costs is printed.
Also prints the per-study cost (ms and KB per study) so the figure at 50,000
studies can be read off (the goal of issue 14: under 15 s and 300 MB). Not a
test: never run as a timed test in CI.
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

from code_versions import code_env  # noqa: E402

MEASURE = r"""
import json, resource, sys, time
t = time.perf_counter()
rc = run()
dt = time.perf_counter() - t
me = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"rc": rc, "seconds": dt, "max_rss_mb": me.ru_maxrss / 1024}), file=sys.stderr)
"""

STREAM = r"""
import sys
from dosetrail.gui.entry import main
def run():
    return main(sys.argv[1:])
""" + MEASURE

WHOLE = r"""
import json, sys
from sqlalchemy import select
from dosetrail.core import __version__
from dosetrail.core.api import Library
from dosetrail.core.export.csv_export import export_csv
from dosetrail.core.export.json_export import export_document
from dosetrail.core.storage.models import Patient
from dosetrail.core.library.summaries import build_history
def run():
    fmt, out, db = sys.argv[1], sys.argv[2], (sys.argv[3] if len(sys.argv) > 3 else None)
    lib = Library(db)
    with lib.session_factory() as s:  # Library.histories before streaming
        histories = [build_history(s, p, lib.settings)
                     for p in s.scalars(select(Patient).order_by(Patient.name_normalised, Patient.id))]
    if fmt == "json":
        text = json.dumps(export_document(histories, lib.settings.factor_set, __version__),
                          ensure_ascii=False, indent=2) + "\n"
    else:
        text = export_csv(histories)
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    lib.close()
    return 0
""" + MEASURE


def _run(code: str, args: list[str], home: Path, ref: str | None = None) -> dict:
    res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         env=code_env(ref, {**os.environ, "DOSETRAIL_HOME": str(home)}))
    if res.returncode != 0:
        raise SystemExit(f"failed: {args}\n{res.stderr[-2000:]}")
    return json.loads(res.stderr.strip().splitlines()[-1])


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--studies", type=int, default=5000)
    ap.add_argument("--db", default=None, help="SQLAlchemy URL (default: a SQLite library in the temp folder)")
    ap.add_argument("--skip-whole", action="store_true", help="only the streamed exports")
    ap.add_argument("--formats", default="json,csv,fhir,fhir-ndjson,parquet", help="comma-separated")
    ap.add_argument("--before", help="also stream with the code of this git commit, side by side (e.g. main)")
    args = ap.parse_args()
    from synth import generate_many

    with tempfile.TemporaryDirectory(prefix="dosetrail-bench-export-") as tmp:
        root = Path(tmp)
        home = root / "home"
        home.mkdir()
        t = time.perf_counter()
        generate_many(root / "src", args.studies * 4, files_per_series=2, series_per_study=2,
                      studies_per_patient=5, pixels=False, rdsr_per_study=True, seed="export-scale")
        print(f"generated {args.studies} studies ({args.studies * 5} files) in {time.perf_counter() - t:.1f} s")
        db = ["--db", args.db] if args.db else []
        t = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "dosetrail.gui.entry", "import", str(root / "src"), "--json",
                              "--link", *db], capture_output=True, text=True,
                             env={**os.environ, "DOSETRAIL_HOME": str(home)})
        doc = json.loads(res.stdout)
        print(f"imported {doc['instances_imported']} instances, {len(doc['studies_touched'])} studies "
              f"in {time.perf_counter() - t:.1f} s")
        n = len(doc["studies_touched"])
        empty_home = root / "empty-home"
        empty_home.mkdir()
        empty_db = ["--db", f"sqlite:///{root / 'empty.db'}"]
        print(f"\n{'export':<12} {'how':<7} {'seconds':>8} {'peak MB':>8} {'ms/study':>9} {'output MB':>10}"
              f"   at 50,000 studies (startup + 50,000 x the cost per study above an empty library's)")
        for fmt in args.formats.split(","):
            runs = []
            if fmt in ("json", "csv") and not args.skip_whole:
                out = root / f"whole.{fmt}"
                runs.append(("whole", _run(WHOLE, [fmt, str(out), *(args.db and [args.db] or [])], home), out))
            if args.before:
                out = root / f"before-{fmt}"
                runs.append(("before", _run(STREAM, ["export", "--format", fmt, "-o", str(out), *db], home,
                                            args.before), out))
            out = root / f"stream-{fmt}"
            runs.append(("stream", _run(STREAM, ["export", "--format", fmt, "-o", str(out), *db], home), out))
            empty = _run(STREAM, ["export", "--format", fmt, "-o", str(root / f"empty-{fmt}"), *empty_db], empty_home)
            empties = {"whole": empty, "stream": empty}
            if args.before:
                empties["before"] = _run(STREAM, ["export", "--format", fmt, "-o", str(root / f"empty-b-{fmt}"),
                                                  *empty_db], empty_home, args.before)
                above = [max(st["seconds"] - empties[how]["seconds"], 1e-9) for how, st, _ in runs[-2:]]
                print(f"{'':<12} per study above an empty library, this tree / {args.before}: "
                      f"{above[1] / above[0]:.2f}")
            for how, st, out in runs:
                per = st["seconds"] / n * 1000
                base = empties[how]
                marginal = max(st["seconds"] - base["seconds"], 0.0) / n * 1000
                print(f"{fmt:<12} {how:<7} {st['seconds']:8.2f} {st['max_rss_mb']:8.0f} {per:9.3f} "
                      f"{_size(out) / 1e6:10.1f}   ~{base['seconds'] + marginal * 50:.0f} s")
            for how, e in empties.items():
                if how != "whole":
                    print(f"{'':<12} {'empty':<7} {e['seconds']:8.2f} {e['max_rss_mb']:8.0f}   "
                          f"(an empty library, {'this tree' if how == 'stream' else args.before}: startup)")
            if len(runs) == 2 and runs[0][0] == "whole":
                same = runs[0][2].read_bytes() == runs[1][2].read_bytes()
                print(f"{'':<12} stream/whole: time {runs[1][1]['seconds'] / runs[0][1]['seconds']:.2f}, "
                      f"memory {runs[1][1]['max_rss_mb'] / runs[0][1]['max_rss_mb']:.2f}, same bytes: {same}")
        print("\npeak MB is the process's ru_maxrss; a streamed export's does not grow with the library "
              "(run two sizes to see it), a whole one's does.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
