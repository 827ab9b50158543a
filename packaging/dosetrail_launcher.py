"""Entry script of the frozen (PyInstaller) DoseTrail program.

Dispatches exactly like the ``dosetrail`` console script
(``dosetrail.gui.entry:main``): no arguments or ``gui`` opens the window,
anything else runs the command line. ``freeze_support`` must run first: the
importer parses files in ``spawn`` worker processes, which re-start this
executable.
"""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from dosetrail.gui.entry import main

    sys.exit(main())
