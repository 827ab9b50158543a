"""The ``dosetrail`` console entry point.

No arguments, or ``gui [PATH ...]``, opens the window; every other command
runs core's command line without loading Qt.
"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] == "gui":
        from .app import run_gui  # Qt is imported only here

        return run_gui(argv[1:])
    from dosetrail.core.api import run_cli

    return run_cli(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
