"""``dosetrail pacs add|list|remove|find|retrieve`` and ``dosetrail receive``: hospital archives.

The protocol work is core.pacs's; what arrives goes through the library's ordinary import
(same buckets, dedupe and summary) with ``bytes_received`` and ``instances_received`` added.
"""
from __future__ import annotations

import json
import sys

from .errors import UsageError
from .terminal import terminal_print as print  # noqa: A001 - control characters escaped


def add_parser(sub, common) -> None:
    """Register ``pacs`` (with its subcommands) and ``receive`` on ``sub`` (argparse subparsers)."""
    pacs = sub.add_parser("pacs", help="hospital archives (PACS): add, list, remove, find, retrieve")
    verbs = pacs.add_subparsers(dest="pacs_command", metavar="ACTION", required=True,
                                help="add, list, remove, find or retrieve")

    add = verbs.add_parser("add", parents=[common], help="remember an archive (DIMSE: checked with C-ECHO)")
    add.add_argument("name", metavar="NAME", help="your name for the archive")
    how = add.add_mutually_exclusive_group(required=True)
    how.add_argument("--dimse", metavar="AET@HOST:PORT", help="a DICOM archive (C-FIND/C-GET)")
    how.add_argument("--dicomweb", metavar="URL", help="a DICOMweb service root (QIDO-RS/WADO-RS)")
    add.add_argument("--calling-aet", metavar="AET", help="DoseTrail's AE title towards it (default DOSETRAIL)")

    lst = verbs.add_parser("list", parents=[common], help="the archives added")
    lst.add_argument("--json", action="store_true", help="print the dosetrail.pacs-list/1 document")
    rem = verbs.add_parser("remove", parents=[common], help="forget an archive")
    rem.add_argument("name", metavar="NAME", help="the archive")

    find = verbs.add_parser("find", parents=[common], help="the archive's studies for a patient")
    find.add_argument("name", metavar="NAME", help="the archive")
    find.add_argument("--patient-id", metavar="ID")
    find.add_argument("--name", dest="patient_name", metavar="PATTERN", help="patient name (DICOM wildcards * and ?)")
    find.add_argument("--birth-date", metavar="YYYYMMDD")
    find.add_argument("--json", action="store_true", help="print the dosetrail.pacs-find/1 document")

    ret = verbs.add_parser("retrieve", parents=[common], help="retrieve a patient's studies and import them")
    ret.add_argument("name", metavar="NAME", help="the archive")
    ret.add_argument("--patient-id", metavar="ID", required=True)
    ret.add_argument("--study", dest="studies", action="append", metavar="UID", help="only this study (repeatable)")
    ret.add_argument("--dose-only", action="store_true",
                     help="just the dose reports, dose screens and a few headers per series")
    ret.add_argument("--json", action="store_true", help="print the import summary plus bytes/instances received")
    ret.add_argument("--move-port", type=int, metavar="PORT",
                     help="DIMSE: C-MOVE to a listener on PORT under the calling AE title (the archive must know "
                          "it) instead of C-GET")

    rec = sub.add_parser("receive", parents=[common],
                         help="listen as a DICOM storage SCP and import what arrives, until Ctrl-C")
    rec.add_argument("--aet", default=None, help="the listener's AE title (default DOSETRAIL)")
    rec.add_argument("--port", type=int, default=None, help="the port to listen on (default 11112)")


def cmd_pacs(args, library, exit_ok: int) -> int:
    """Run ``pacs ACTION``."""
    return {"add": _add, "list": _list, "remove": _remove, "find": _find,
            "retrieve": _retrieve}[args.pacs_command](args, library, exit_ok)


def _archive(name: str):
    from ..pacs.archives import find_archive

    archive = find_archive(name)
    if archive is None:
        raise UsageError(f"no archive called {name} (see: dosetrail pacs list)")
    return archive


def _add(args, library, exit_ok: int) -> int:
    from ..pacs.archives import DEFAULT_AET, Archive, parse_dimse, save_archive
    from ..pacs.retrieve import check

    if args.dimse:
        try:
            aet, host, port = parse_dimse(args.dimse)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        archive = Archive(args.name, "dimse", aet=aet, host=host, port=port,
                          calling_aet=args.calling_aet or DEFAULT_AET)
    else:
        if not args.dicomweb.lower().startswith(("http://", "https://")):
            raise UsageError(f"not an http(s) URL: {args.dicomweb}")
        archive = Archive(args.name, "dicomweb", url=args.dicomweb.rstrip("/"),
                          calling_aet=args.calling_aet or DEFAULT_AET)
    check(archive)
    save_archive(archive)
    print(f"added {archive.name}: {archive.address()} (answers)")
    return exit_ok


def _list(args, library, exit_ok: int) -> int:
    from dataclasses import asdict

    from ..pacs.archives import load_archives

    archives = load_archives()
    if args.json:
        json.dump({"schema": "dosetrail.pacs-list/1", "archives": [asdict(a) for a in archives]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    for a in archives if not args.json else []:
        print(f"{a.name}\t{a.kind}\t{a.address()}")
    return exit_ok


def _remove(args, library, exit_ok: int) -> int:
    from ..pacs.archives import remove_archive

    if not remove_archive(args.name):
        raise UsageError(f"no archive called {args.name}")
    print(f"removed {args.name}")
    return exit_ok


def _find(args, library, exit_ok: int) -> int:
    from dataclasses import asdict

    from ..pacs.retrieve import find

    if not (args.patient_id or args.patient_name or args.birth_date):
        raise UsageError("give --patient-id, --name or --birth-date")
    studies = find(_archive(args.name), args.patient_id, args.patient_name, args.birth_date)
    if args.json:
        json.dump({"schema": "dosetrail.pacs-find/1", "studies": [asdict(s) for s in studies]},
                  sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return exit_ok
    for s in studies:
        print(f"{s.date or 'undated':<10} {','.join(s.modalities):<10} {s.series_count or '?':>3} series "
              f"{s.instance_count or '?':>5} instances  {s.patient_id or ''}  {s.description or ''}  "
              f"{s.study_instance_uid}")
    if not studies:
        print("no studies found", file=sys.stderr)
    return exit_ok


def _retrieve(args, library, exit_ok: int) -> int:
    import signal
    import threading

    from ..importer.pipeline import drive
    from ..library.archive_access import retrieve_and_import
    from .errors import EXIT_INTERRUPTED
    from .progress import ProgressPrinter

    archive = _archive(args.name)
    lib = library(args)
    cancel = threading.Event()

    def on_interrupt(signum, frame):  # first Ctrl-C: stop the transfer, import what arrived; the second at once
        cancel.set()
        print("\ncancelling the retrieve; importing what arrived (Ctrl-C again to stop at once)", file=sys.stderr)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_interrupt) if main_thread else None
    try:
        summary, got = drive(retrieve_and_import(lib, archive, args.patient_id, args.studies, args.dose_only,
                                                 args.move_port, cancel), ProgressPrinter())
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        lib.close()
    code = 1 if summary is not None and summary.files_rejected else exit_ok
    doc = summary.to_json() if summary is not None else {"schema": "dosetrail.import/1"}
    received = (got.studies, got.instances_received, got.bytes_received) if got is not None else (0, 0, 0)
    doc.update(instances_received=received[1], bytes_received=received[2])
    if args.json:
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(f"{received[0]} stud{'y' if received[0] == 1 else 'ies'}: {received[1]} instances received "
              f"({received[2]:,} bytes), {doc.get('instances_imported', 0)} imported, "
              f"{doc.get('instances_already_present', 0)} already present")
    if summary is not None and summary.cancelled:
        print("retrieve cancelled; what arrived is imported (run the retrieve again to complete it)",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    return code


def cmd_receive(args, library, exit_ok: int) -> int:
    """Listen and import each association's instances when it ends, until Ctrl-C."""
    from ..pacs.archives import DEFAULT_AET
    from ..pacs.listener import DEFAULT_PORT, Listener

    port = DEFAULT_PORT if args.port is None else args.port
    if not 0 < port < 65536:
        raise UsageError(f"not a port: {port}")
    aet = args.aet or DEFAULT_AET
    lib = library(args)  # opened first: a library fault is reported before anything is accepted
    listener = Listener(aet, port)
    totals = [0, 0, 0]  # received, imported, bytes
    code = exit_ok
    print(f"listening as {aet} on port {port}; Ctrl-C to stop", file=sys.stderr)
    try:
        try:
            while True:
                batch = listener.next_batch(0.5)
                if batch is not None:
                    code = max(code, _import_batch(lib, listener, batch, totals, exit_ok))
        except KeyboardInterrupt:
            pass
        for batch in listener.stop():
            code = max(code, _import_batch(lib, listener, batch, totals, exit_ok))
    finally:
        listener.close()
        lib.close()
    print(f"stopped: {totals[0]} instances received ({totals[2]:,} bytes), {totals[1]} imported", file=sys.stderr)
    return code


def _import_batch(lib, listener, batch, totals, exit_ok: int) -> int:
    folder, n, size = batch
    try:
        summary = lib.run_import([str(folder)])
    finally:
        listener.done_with(folder)
    totals[0] += n
    totals[1] += summary.instances_imported
    totals[2] += size
    print(f"received {n} instances ({size:,} bytes): {summary.instances_imported} imported, "
          f"{summary.instances_already_present} already present, {len(summary.files_rejected)} rejected")
    sys.stdout.flush()
    return 1 if summary.files_rejected else exit_ok
