#!/usr/bin/env python
"""Full against dose-only retrieve from a real Orthanc: time and bytes, side by side.

    python bench/pacs_retrieve.py                                  # issue 13: 20 CT studies x 300 images
    python bench/pacs_retrieve.py --studies 3 --images 60          # a quick look

One patient with ``--studies`` CT studies of ``--images`` images (``--rows`` x ``--rows``
16-bit pixels, 512 as a real CT) plus an RDSR each, uploaded to an Orthanc started for the
run (tests/orthanc_server.py: Debian packages orthanc and orthanc-dicomweb). Each retrieve
(``dosetrail pacs retrieve --json``) runs into a fresh library, over DIMSE (C-GET) and
DICOMweb (WADO-RS), full and ``--dose-only``; the histories are checked equal. Not a test.

Measured (2 shared cores, loaded; Orthanc 1.10.1 with its DICOMweb plugin 1.7), default sizes,
6020 files, 3155 MB: DIMSE full 102 s / dose-only 21 s and 21.3 MB (0.7 % of the bytes);
DICOMweb full 39 s / dose-only 10 s and 21.3 MB (0.7 %); histories equal.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def _run(argv: list[str]) -> tuple[int, str, float]:
    from dosetrail.core.cli.main import main

    out = io.StringIO()
    t = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        rc = main(argv)
    return rc, out.getvalue(), time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--studies", type=int, default=20)
    ap.add_argument("--images", type=int, default=300)
    ap.add_argument("--rows", type=int, default=512)
    args = ap.parse_args()
    from orthanc_server import PATIENT, orthanc_binaries, running_orthanc, upload
    from synth import make_ct_rdsr, make_ct_series, new_uid, write_study
    from test_pacs_retrieve import _stable, differences

    exe, plugin = orthanc_binaries()
    if not exe or not plugin:
        print("Orthanc or its DICOMweb plugin is not installed (apt-get install orthanc orthanc-dicomweb)")
        return 3
    work = Path(tempfile.mkdtemp(prefix="dosetrail-bench-pacs-"))
    os.environ["DOSETRAIL_HOME"] = str(work / "home")
    (work / "home").mkdir()
    with running_orthanc(exe, plugin) as server:
        t = time.perf_counter()
        for i in range(args.studies):
            uid = new_uid()
            date = f"20{10 + i % 15:02d}0{1 + i % 9}15"
            write_study(make_ct_series(PATIENT, study_uid=uid, n_slices=args.images, study_date=date,
                                       rows=args.rows, columns=args.rows)
                        + [make_ct_rdsr(PATIENT, study_uid=uid, study_date=date, study_time="102200",
                                        content_datetime=f"{date}103000")], server.files / f"s{i}")
        n = upload(server, server.files)
        on_disk = sum(p.stat().st_size for p in server.files.rglob("*.dcm"))
        print(f"{args.studies} CT studies x {args.images} images ({args.rows}x{args.rows}) + RDSR: {n} files, "
              f"{on_disk / 1e6:.1f} MB, uploaded in {time.perf_counter() - t:.1f} s")
        assert _run(["pacs", "add", "dimse", "--dimse", f"{server.aet}@127.0.0.1:{server.dicom_port}"])[0] == 0
        assert _run(["pacs", "add", "web", "--dicomweb", server.dicomweb])[0] == 0
        exports = {}
        print(f"{'archive':<8} {'mode':<10} {'seconds':>8} {'instances':>9} {'MB':>9} {'share':>7}")
        for name in ("dimse", "web"):
            full = None
            for mode in ("full", "dose-only"):
                db = f"sqlite:///{work / f'{name}-{mode}.db'}"
                extra = ["--dose-only"] if mode == "dose-only" else []
                rc, out, seconds = _run(["pacs", "retrieve", name, "--patient-id", PATIENT.patient_id, "--json",
                                         "--db", db, *extra])
                assert rc == 0, out
                doc = json.loads(out)
                full = full or doc["bytes_received"]
                print(f"{name:<8} {mode:<10} {seconds:>8.2f} {doc['instances_received']:>9} "
                      f"{doc['bytes_received'] / 1e6:>9.2f} {doc['bytes_received'] / full:>7.1%}")
                exports[(name, mode)] = _stable(json.loads(_run(["export", "--format", "json", "--db", db])[1]))
        first = exports[("dimse", "full")]
        same = all(not differences(doc, first) for doc in exports.values())
        print("histories equal (full, dose-only; DIMSE, DICOMweb):", same)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
