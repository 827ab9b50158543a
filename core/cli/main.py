"""The ``dosetrail`` command line (headless; never loads Qt).

See ``shared/contracts/cli-and-export.md``: commands, output and exit statuses
are a contract.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from .. import __version__
from .count import add_parser as count_parser
from .pacs import add_parser as pacs_parser
from .errors import UsageError, run_command
from .terminal import terminal_print as print  # noqa: A001 - every plain-text line has its control characters escaped

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C: the --json summary says "cancelled": true


def _default_db_text() -> str:
    """Where the default database is, for ``--db``'s help (the folder is not created)."""
    home = os.environ.get("DOSETRAIL_HOME")
    if not home:
        import platformdirs

        home = platformdirs.user_data_dir("DoseTrail", "DoseTrail")
    return str(Path(home).expanduser() / "dosetrail.db")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL",
                        help=f"SQLAlchemy URL of the library database (default: sqlite:///{_default_db_text()}, "
                             "in DOSETRAIL_HOME when set)".replace("%", "%%"))

    p = argparse.ArgumentParser(prog="dosetrail", description="Radiation exposure history from medical imaging. "
                                "Without a command, opens the window.")
    p.add_argument("--version", action="store_true", help="print versions and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    gui = sub.add_parser("gui", help="open the window (the default without a command)")
    gui.add_argument("paths", nargs="*", metavar="PATH", help="folders, files, ZIP archives or links to import on start")
    gui.add_argument("--demo", action="store_true", help="open the bundled demo library (synthetic patients)")

    imp = sub.add_parser("import", parents=[common], help="import folders, media, archives or links")
    imp.add_argument("paths", nargs="+", metavar="PATH",
                     help="a folder, CD/DVD/USB root, DICOM file, ZIP/.gz archive or http(s):// link to an archive")
    imp.add_argument("--link", action="store_true", help="keep folder files where they are (not for archives or links)")
    imp.add_argument("--json", action="store_true", help="print the dosetrail.import/1 summary")
    imp.add_argument("--password", help="password of encrypted ZIP archives")
    imp.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")

    pat = sub.add_parser("patients", parents=[common], help="list patients")
    pat.add_argument("--json", action="store_true", help="print the dosetrail.patients/1 document")
    pat.add_argument("--search", default="", metavar="TEXT", help="name, patient ID or birth date")

    his = sub.add_parser("history", parents=[common], help="one patient's timeline")
    his.add_argument("patient", metavar="PATIENT", help="patient key or any of the patient's IDs")
    his.add_argument("--json", action="store_true", help="print the dosetrail.history/1 document")

    exp = sub.add_parser("export", parents=[common], help="export the dose history")
    exp.add_argument("--patient", metavar="PATIENT", help="only this patient (key or ID; default: every patient)")
    exp.add_argument("--format", choices=["json", "csv", "fhir", "fhir-ndjson", "parquet"], required=True,
                     help="dosetrail.export/1 JSON, one CSV row per study, a FHIR R4 bundle, FHIR bulk-data "
                          "NDJSON (-o FOLDER: one file per resource type), or the pseudonymised Parquet "
                          "data lake (-o FOLDER required)")
    exp.add_argument("-o", "--output", metavar="FILE", help="write to FILE or FOLDER (default: standard output)")

    rep = sub.add_parser("report", parents=[common], help="printable PDF dose report")
    rep.add_argument("patient", metavar="PATIENT", help="patient key or any of the patient's IDs")
    rep.add_argument("-o", "--output", metavar="FILE.pdf", required=True, help="where to write the PDF")

    runs = sub.add_parser("import-report", parents=[common], help="what an import brought in (latest by default)")
    runs.add_argument("run_id", nargs="?", type=int, metavar="RUN", help="import run number (default: the latest)")
    runs.add_argument("--json", action="store_true", help="print the report as JSON")

    mer = sub.add_parser("merge", parents=[common], help="merge two patients (keep the first)")
    mer.add_argument("keep", metavar="KEEP", help="patient (key or ID) that stays")
    mer.add_argument("other", metavar="OTHER", help="patient (key or ID) merged into KEEP")

    spl = sub.add_parser("split", parents=[common], help="move patient IDs (ID or ID@ISSUER) to a new patient")
    spl.add_argument("patient", metavar="PATIENT", help="patient (key or ID) to split")
    spl.add_argument("identifiers", nargs="+", metavar="ID[@ISSUER]", help="the IDs that move to the new patient")

    st = sub.add_parser("settings", parents=[common], help="show or change dose settings (recomputes estimates)")
    st.add_argument("--factor-set", choices=["AAPM-96", "ICRP-103-NCI"], help="CT conversion factors")
    st.add_argument("--drl-set", choices=["UK-2022", "IE-2012"], help="diagnostic reference levels compared against")
    st.add_argument("--background", type=float, metavar="MSV_PER_YEAR",
                    help="natural background dose rate for comparisons (default 2.4)")
    st.add_argument("--store", metavar="PATH", help="this machine's path to the file store (a shared folder, or "
                    "where the store was moved; \"\" for store/ in DOSETRAIL_HOME); DOSETRAIL_STORE overrides it")

    sub.add_parser("media", help="list removable media that hold DICOM")
    count_parser(sub, common)
    pacs_parser(sub, common)
    return p


def plural(n: int, word: str) -> str:
    """``"1 file"``, ``"2 files"``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def cli_name(dicom_name: str | None, width: int | None = None) -> str:
    """A patient name as the window shows it (``"DOE, JANE"``, ``"(no name)"``), cut to ``width``
    characters with an ellipsis."""
    from ..dicom.names import chart_name

    return cut(chart_name(dicom_name), width)


def cut(text: str, width: int | None) -> str:
    """``text`` shortened to ``width`` characters, ending with an ellipsis when cut."""
    return text[:width - 1] + "\u2026" if width is not None and len(text) > width else text


def cli_birth_date(iso: str | None) -> str:
    """The birth date, ``"unknown"`` when missing or a placeholder (1900-01-01, 9999-01-01)."""
    from ..birth_date import known_birth_date

    return known_birth_date(iso) or "unknown"


def _library(args):
    from ..library.facade import Library

    return Library(db_url=args.db)


def _is_archive_or_link(path: str) -> bool:
    low = path.lower()
    if low.startswith(("http://", "https://")):
        return True
    if low.endswith((".zip", ".gz")):
        return True
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def cmd_import(args) -> int:
    from .progress import ProgressPrinter

    for path in args.paths:
        is_url = path.lower().startswith(("http://", "https://"))
        if is_url:
            from ..sources.link import url_problem

            problem = url_problem(path)
            if problem:
                raise UsageError(problem)
        if not is_url and not os.path.exists(path):
            raise UsageError(f"no such file or folder: {path}")
        if args.link and _is_archive_or_link(path):
            raise UsageError(f"--link keeps files where they are; it cannot be used for archives or links: {path}")
    lib = _library(args)
    cancel = threading.Event()

    def on_interrupt(signum, frame):  # first Ctrl-C: cancel cleanly; the second stops at once
        cancel.set()
        print("\ncancelling the import (Ctrl-C again to stop at once)", file=sys.stderr)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, on_interrupt) if _main_thread() else None
    try:
        summary = lib.run_import(args.paths, link=args.link, password=args.password,
                                 progress=ProgressPrinter(), workers=args.workers, cancel=cancel)
    except KeyboardInterrupt:
        print("import interrupted; what was imported stays (run the import again to complete it)", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        lib.close()
    if args.json:
        json.dump(summary.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        if not summary.files_seen or (not summary.instances_imported and not summary.instances_already_present
                                      and not summary.files_rejected):
            print(f"found no DICOM files in {', '.join(args.paths)}", file=sys.stderr)
        print(f"{plural(summary.files_seen, 'file')}: {summary.instances_imported} imported, "
              f"{summary.instances_already_present} already present, {len(summary.files_rejected)} rejected, "
              f"{len(summary.files_skipped_not_dicom)} skipped (not DICOM)")
        for r in summary.files_rejected:
            print(f"rejected: {r.label}: {r.reason}")
        if summary.instances_conflicting:
            from ..storage.conflicts import conflict_issue

            for c in summary.instances_conflicting:
                print(f"conflict: {c['path']}: {conflict_issue(c).reason}")
        if summary.cancelled:
            print("import cancelled; what was imported stays (run the import again to complete it)")
    if summary.cancelled:
        return EXIT_INTERRUPTED
    return EXIT_REJECTED if summary.files_rejected else EXIT_OK


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _fmt_msv(v: float | None) -> str:
    return "unknown" if v is None else f"{v:.2f} mSv"


def cmd_patients(args) -> int:
    lib = _library(args)
    try:
        rows = lib.patients(args.search)
    finally:
        lib.close()
    if args.json:
        from ..export.patients_json import patients_document  # json.dumps(indent=2)'s bytes, written at once

        sys.stdout.write(patients_document(rows) + "\n")
        return EXIT_OK
    from .terminal import terminal_text

    lines = [f"{'KEY':<13} {'NAME':<30} {'BORN':<10} {'SEX':<3} {'EXAMS':>5} {'CUMULATIVE':>14}  NO ESTIMATE"]
    lines += [f"{p.key:<13} {cli_name(p.name, 30):<30} {cli_birth_date(p.birth_date):<10} {p.sex or '':<3} "
              f"{p.exam_count:>5} {_patients_total(p):>14}  {p.exams_without_dose_estimate}" for p in rows]
    sys.stdout.write("".join(terminal_text(line) + "\n" for line in lines))  # one write: thousands of rows
    return EXIT_OK


def _patients_total(p) -> str:
    if p.exams_not_counted and p.exams_not_counted == p.exam_count:
        return "not counted"  # only probable QA/phantom scans
    return _fmt_msv(p.cumulative_effective_dose_msv)


def cmd_history(args) -> int:
    from ..export.json_export import patient_json

    lib = _library(args)
    try:
        h = lib.history(args.patient)
    finally:
        lib.close()
    if h is None:
        print(f"unknown patient: {args.patient}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        doc = {"schema": "dosetrail.history/1", "factor_set": h.factor_set, "patient": patient_json(h),
               "cumulative": [vars(c) for c in h.cumulative]}
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    p = h.patient
    print(f"{cli_name(p.name)}  born {cli_birth_date(p.birth_date)}  {p.sex or ''}  key {p.key}")
    print("IDs: " + (", ".join(f"{i} ({s})" if s else i for i, s in p.patient_ids) or "none"))
    print(f"Cumulative effective dose: {_history_total(p)}  [factor set {h.factor_set}]")
    for e in h.exams:
        print(f"  {e.date or '????-??-??'}  {'/'.join(e.modalities):<10} {cut(e.description or '', 32):<32} "
              f"{_fmt_msv(e.effective_dose_msv):>12}  {e.method or ''}  [{', '.join(e.sources)}]"
              + ("" if e.counted_in_total else "  (not counted)"))
        for w in e.warnings:
            print(f"      ! {w}")
    print("Effective dose describes a reference person; it is not a personal risk figure.")
    return EXIT_OK


def _history_total(p) -> str:
    """The cumulative dose line of ``history``: a partial sum says what it leaves out."""
    n, without, left_out = p.exam_count - p.exams_not_counted, p.exams_without_dose_estimate, p.exams_not_counted
    exams = f"{n} exam" + ("s" if n != 1 else "")
    note = (f"; {left_out} more not counted (probable QA/phantom scan or the user's choice)" if left_out else "")
    if left_out and not n:
        return f"nothing counted: {left_out} exam{'s' if left_out != 1 else ''} not counted " \
               "(probable QA/phantom scan or the user's choice)"
    if p.cumulative_effective_dose_msv is None:
        return f"unknown (no exam has an estimate), {exams}{note}"
    lo, hi = p.cumulative_effective_dose_range_msv
    total = f"{p.cumulative_effective_dose_msv:.2f} mSv (range {lo:.2f}-{hi:.2f})"
    if not without:
        return f"{total}, {exams}, all with an estimate{note}"
    return (f"{total} from the {n - without} of {exams} with an estimate; "
            f"{without} without an estimate (not in the total){note}")


def cmd_export(args) -> int:
    if args.format == "parquet" and not args.output:
        print("export --format parquet needs -o FOLDER (the data lake's folder)", file=sys.stderr)
        return EXIT_USAGE
    lib = _library(args)
    try:
        if args.patient and lib.history(args.patient) is None:
            print(f"unknown patient: {args.patient}", file=sys.stderr)
            return EXIT_USAGE
        histories = lib.iter_histories(args.patient)  # streamed: one batch of patients at a time
        if args.format == "parquet":
            from ..export.lake import pseudonym_key, write_lake

            try:
                write_lake(args.output, histories, pseudonym_key())
            except FileExistsError as exc:
                print(str(exc), file=sys.stderr)
                return EXIT_USAGE
        elif args.format == "fhir-ndjson" and args.output:
            from ..export.stream import write_fhir_ndjson_dir

            write_fhir_ndjson_dir(args.output, histories, __version__)
        else:
            from ..export.stream import write_export

            factor_set = lib.settings.factor_set
            if args.output:
                from ..private_files import open_private

                with open_private(args.output) as out:  # mode 0600: an export holds patient data
                    write_export(out, args.format, histories, factor_set, __version__)
            else:
                write_export(sys.stdout, args.format, histories, factor_set, __version__)
    finally:
        lib.close()
    return EXIT_OK


def cmd_report(args) -> int:
    lib = _library(args)
    try:
        if lib.history(args.patient) is None:
            print(f"unknown patient: {args.patient}", file=sys.stderr)
            return EXIT_USAGE
        lib.write_report_pdf(args.patient, args.output)
    finally:
        lib.close()
    print(f"report written to {args.output}")
    return EXIT_OK


def cmd_import_report(args) -> int:
    from dataclasses import asdict

    lib = _library(args)
    try:
        runs = lib.import_runs()
        if not runs:
            print("no imports yet", file=sys.stderr)
            return EXIT_OK
        rep = lib.import_report(args.run_id if args.run_id is not None else runs[0].run_id)
    except KeyError as exc:
        print(str(exc).strip("'\""), file=sys.stderr)
        return EXIT_USAGE
    finally:
        lib.close()
    if args.json:
        json.dump(asdict(rep), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    print(f"import {rep.run_id} ({rep.status}) {rep.started_at}: {', '.join(rep.sources)}")
    print(f"  {plural(rep.files_seen, 'file')}: {rep.instances_imported} imported, {rep.instances_already_present} already "
          f"present, {len(rep.files_rejected)} rejected, {len(rep.files_skipped)} skipped (not DICOM)")
    for path, reason in rep.files_rejected:
        print(f"  rejected  {path}: {reason}")
    for path, reason in rep.files_skipped:
        print(f"  skipped   {path}: {reason}")
    for path, reason in rep.instances_conflicting:
        print(f"  conflict  {path}: {reason}")
    for s in rep.studies:
        print(f"  study {s.date or '?'} {'/'.join(s.modalities)} {s.description or ''} [{', '.join(s.sources) or 'no dose source'}]")
        for m in s.missing:
            print(f"      missing: {m}")
        for w in s.warnings:
            print(f"      warning: {w}")
        for f in s.reference_level_flags:
            print(f"      reference level: {f}")
    return EXIT_OK


def cmd_merge(args) -> int:
    lib = _library(args)
    try:
        lib.merge_patients(args.keep, args.other)
    except (KeyError, LookupError, ValueError) as exc:
        print(f"cannot merge: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        lib.close()
    print(f"merged {args.other} into {args.keep}")
    return EXIT_OK


def cmd_split(args) -> int:
    ids = [tuple(i.split("@", 1)) if "@" in i else (i, "") for i in args.identifiers]
    lib = _library(args)
    try:
        key = lib.split_patient(args.patient, ids)  # type: ignore[arg-type]
    except (KeyError, LookupError, ValueError) as exc:
        print(f"cannot split: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        lib.close()
    print(key)
    return EXIT_OK


def cmd_settings(args) -> int:
    from ..library.facade import Library

    lib = Library(db_url=args.db, check_store=False)  # shown and repointed even when the store is not there
    try:
        if args.store is not None:
            lib.set_store(args.store)
        s = lib.settings
        changed = False
        for attr, value in (("factor_set", args.factor_set), ("drl_set", args.drl_set),
                            ("background_msv_per_year", args.background)):
            if value is not None and getattr(s, attr) != value:
                setattr(s, attr, value)
                changed = True
        if changed:
            lib.update_settings(s)
        for k, v in vars(s).items():
            if k != "store":
                print(f"{k} = {v}")
        where = lib.store_location
        print(f"store = {where.path}" + (f"  (from {where.source})" if where.source == "DOSETRAIL_STORE" else ""))
    finally:
        lib.close()
    return EXIT_OK


def cmd_media(args) -> int:
    from ..sources.media import list_removable_media

    media = list_removable_media()
    if not media:
        print("no removable media with DICOM found", file=sys.stderr)
    for v in media:
        print(f"{v.mount_point}\t{v.label}\t{'DICOMDIR' if v.has_dicomdir else 'DICOM files'}")
    return EXIT_OK


def cmd_count(args) -> int:
    from .count import cmd_count as run

    return run(args, _library, EXIT_OK, EXIT_USAGE)


def cmd_pacs(args) -> int:
    from .pacs import cmd_pacs as run

    return run(args, _library, EXIT_OK)


def cmd_receive(args) -> int:
    from .pacs import cmd_receive as run

    return run(args, _library, EXIT_OK)


COMMANDS = {
    "import": cmd_import, "patients": cmd_patients, "history": cmd_history, "export": cmd_export,
    "report": cmd_report, "import-report": cmd_import_report, "merge": cmd_merge, "split": cmd_split,
    "settings": cmd_settings, "media": cmd_media, "count": cmd_count,
    "pacs": cmd_pacs, "receive": cmd_receive,
}


def _print_versions(args) -> int:
    from .versions import version_lines

    print(*version_lines(), sep="\n")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 2 on bad usage, 0 for --help
        return int(exc.code or 0)
    if args.version:
        return run_command("--version", _print_versions, args)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    if args.command == "gui":  # the `dosetrail` entry point opens the window before reaching here
        print("dosetrail gui: the window is opened by the `dosetrail` program, not by core's command line",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        code = run_command(args.command, COMMANDS[args.command], args, passthrough=(UsageError, BrokenPipeError))
        sys.stdout.flush()
        return code
    except UsageError as exc:
        print(f"dosetrail {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `dosetrail patients --json | head`: the reader has had enough
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's own flush at exit is quiet too
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
