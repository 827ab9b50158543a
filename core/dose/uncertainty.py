"""Uncertainty ranges of effective dose estimates."""
from __future__ import annotations

import math


def relative_range(value: float, fraction: float) -> tuple[float, float]:
    """``(E (1 - f), E (1 + f))``, never below zero.

    Parameters
    ----------
    value : float
        Effective dose in mSv.
    fraction : float
        Relative uncertainty, e.g. 0.5 for +-50 %.
    """
    return (max(0.0, value * (1.0 - fraction)), value * (1.0 + fraction))


def factor_range(value: float, factor: float = 2.0) -> tuple[float, float]:
    """``(E / factor, E x factor)``: fluoroscopy, interventional, paediatric CT."""
    return (value / factor, value * factor)


def sum_ranges(ranges: list[tuple[float, float]]) -> tuple[float, float]:
    """Component-wise sum of ranges (order independent)."""
    return (math.fsum(sorted(r[0] for r in ranges)), math.fsum(sorted(r[1] for r in ranges)))
