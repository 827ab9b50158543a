"""``dosetrail count STUDY_UID --yes|--no|--auto``: count a study in its patient's total, or not."""
from __future__ import annotations

import sys

from .terminal import terminal_print as print  # noqa: A001 - control characters escaped


def add_parser(sub, common) -> None:
    """Register the ``count`` subcommand on ``sub`` (argparse subparsers)."""
    cnt = sub.add_parser("count", parents=[common],
                         help="count a study in its patient's total (--yes), leave it out (--no), "
                              "or follow the QA/phantom detection (--auto)")
    cnt.add_argument("study_uid", metavar="STUDY_UID", help="Study Instance UID of the exam (see history --json)")
    choice = cnt.add_mutually_exclusive_group(required=True)
    choice.add_argument("--yes", dest="counted", action="store_const", const=True,
                        help="count it, even a probable QA/phantom scan")
    choice.add_argument("--no", dest="counted", action="store_const", const=False, help="leave it out of the total")
    choice.add_argument("--auto", dest="counted", action="store_const", const=None,
                        help="count it unless it is a probable QA/phantom scan (the default)")


def cmd_count(args, library, exit_ok: int, exit_usage: int) -> int:
    """Store the choice; exit ``exit_usage`` for an unknown study."""
    lib = library(args)
    try:
        key = lib.set_count_in_total(args.study_uid, args.counted)
        history = lib.history(key)
    except KeyError:
        print(f"unknown study: {args.study_uid}", file=sys.stderr)
        return exit_usage
    finally:
        lib.close()
    exam = next((e for e in history.exams if e.study_instance_uid == args.study_uid), None) if history else None
    if exam is None:  # pragma: no cover - the study was just found
        return exit_ok
    state = "counted in the total" if exam.counted_in_total else f"not counted ({exam.not_counted_reason})"
    print(f"{args.study_uid}: {state}; patient {key} cumulative "
          + ("unknown" if history.patient.cumulative_effective_dose_msv is None
             else f"{history.patient.cumulative_effective_dose_msv:.2f} mSv"))
    return exit_ok
