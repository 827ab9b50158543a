#!/usr/bin/env python
"""What folding names for search costs, as a ratio to ``str.lower`` in the same run.

    python bench/name_search_fold.py --patients 20000

Builds N patient names (a fifth each ASCII, German, Serbian Cyrillic, Japanese
with its ideographic group, ASCII with a prefix) and times
:func:`core.dicom.names.search_fold` over them (what the window's patient filter
does once per loaded patient, and the library's search per query) against
``str.lower`` over the same names (what the filter did before it folded accents):
the ratio is the figure to compare between machines. Best of 5 runs each.
"""
from __future__ import annotations

import argparse
import time

from dosetrail.core.dicom.names import search_fold

NAMES = ["DOE^JANE", "MÜLLER^JÜRGEN", "ЙОВАНОВИЋ^МИЛИЦА", "Yamada^Tarou=山田^太郎", "SMITH^JOHN^A^DR"]


def _best(fn, values, runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for v in values:
            fn(v)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20000)
    args = parser.parse_args()
    values = [NAMES[i % len(NAMES)] + str(i) for i in range(args.patients)]
    search_fold("warm up")
    base = _best(str.lower, values)
    folded = _best(search_fold, values)
    print(f"{args.patients} names: str.lower {base * 1000:.1f} ms, search_fold {folded * 1000:.1f} ms, "
          f"ratio {folded / base:.1f}")


if __name__ == "__main__":
    main()
