"""Build ``resources/demo/demo-studies.zip``: DoseTrail's bundled demo library.

Everything in the archive is synthetic, made by the project's own generator
(``tests/synth``): no real patient data. Run from a source checkout and
commit the result::

    python resources/demo/build_demo.py          # rewrite the zip
    python resources/demo/build_demo.py --check  # exit 1 if the committed zip is stale

The output is reproducible: UIDs come from a fixed seed and the archive
members have fixed time stamps, so rebuilding gives identical bytes.

Contents: the generator's mixed history (Jane: CT chest with RDSR 2015,
CT abdomen header-only 2018, screening mammography 2019, PET/CT with RRDSR
2021; John: DX chest 2016, MR brain 2020, CT head with RDSR 2022; José:
US abdomen 2023), plus a Japanese-named patient (ISO 2022 IR 87) with a
CT chest-abdomen-pelvis with RDSR (2017) and a follow-up CT (2024), to show
names in other scripts and a longer CT history.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUTPUT = HERE / "demo-studies.zip"
SEED = "dosetrail-demo-1"
FIXED_TIME = (2024, 1, 1, 0, 0, 0)


def _generator():
    tests = ROOT / "tests"
    if str(tests) not in sys.path:
        sys.path.insert(0, str(tests))
    import synth  # noqa: PLC0415 - test tooling, only in a source checkout
    from synth.history import make_mixed_patient_history
    from synth.rdsr import make_ct_rdsr

    return synth, make_mixed_patient_history, make_ct_rdsr


def write_demo_studies(folder: Path) -> list[Path]:
    """Write the demo studies as DICOM files under ``folder``.

    Parameters
    ----------
    folder
        Output folder (created).

    Returns
    -------
    list of Path
        The files written.
    """
    synth, make_mixed_patient_history, make_ct_rdsr = _generator()
    synth.set_uid_seed(SEED)
    try:
        manifest = make_mixed_patient_history(folder, n_ct_slices=8, pixels=True)
        files = [Path(p) for p in manifest["files"]]
        patient = synth.JAPANESE_PATIENT
        abdomen = ("T-D4000", "SRT", "Abdomen")
        for key, date, ctdivol, length in (("yamada_2017_ct_cap", "20170523", 14.0, 650.0),
                                           ("yamada_2024_ct_cap", "20240208", 9.0, 620.0)):
            uid = synth.new_uid()
            series = synth.make_ct_series(
                patient, study_uid=uid, n_slices=8, ctdivol=ctdivol, body_part="CHEST",
                study_description="CT THORAX ABDOMEN PELVIS", series_description="TAP 5mm",
                study_date=date, study_time="093000", institution="Tokyo Demo Hospital",
                pixels=True)
            events = [dict(ctdivol=0.3, dlp=5.0, length_mm=500.0, region_code=abdomen,
                           phantom="32", acquisition_type="localizer", protocol="Scout"),
                      dict(ctdivol=ctdivol, dlp=round(ctdivol * length / 10, 1), length_mm=length,
                           region_code=abdomen, phantom="32", acquisition_type="spiral",
                           protocol="Thorax-Abdomen-Pelvis")]
            rdsr = make_ct_rdsr(patient, study_uid=uid, events=events,
                                content_datetime=f"{date}100000", institution="Tokyo Demo Hospital",
                                study_description="CT THORAX ABDOMEN PELVIS", study_date=date,
                                study_time="093000")
            files += synth.write_study(series + [rdsr], folder / key)
    finally:
        synth.set_uid_seed(None)
    return files


def build_zip(output: Path = OUTPUT) -> Path:
    """Generate the studies and pack them into a reproducible ZIP archive.

    Parameters
    ----------
    output
        The archive to write.

    Returns
    -------
    Path
    """
    with tempfile.TemporaryDirectory(prefix="dosetrail-demo-build-") as tmp:
        root = Path(tmp) / "studies"
        files = write_demo_studies(root)
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_suffix(".tmp")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
                info = zipfile.ZipInfo("DoseTrail demo/" + path.relative_to(root).as_posix(),
                                       date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, path.read_bytes())
        partial.replace(output)
    return output


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    """Command line: build (default) or ``--check`` the committed archive.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0, or 1 when ``--check`` finds the archive stale.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed zip")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = build_zip(Path(tmp) / "demo.zip")
            same = args.output.exists() and _digest(fresh) == _digest(args.output)
        print("demo archive is up to date" if same else f"{args.output} is stale: rebuild it")
        return 0 if same else 1
    out = build_zip(args.output)
    with zipfile.ZipFile(out) as zf:
        n = len(zf.namelist())
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB, {n} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
