"""Which estimator made a stored estimate.

A study's estimate is derived data (computed from the dose records stored on
its instances). Each stored estimate carries a stamp: the estimator version
and the settings it used. A study whose stamp is not the current one is
estimated again when a library opens and at the end of every import
(:func:`core.storage.estimates.refresh_stale_estimates`).
"""
from __future__ import annotations

# Bump when a change to the dose engine changes what it computes for stored data:
# every library re-estimates its studies the next time it is opened.
ESTIMATOR_VERSION = "1"

STAMP_KEY = "estimator_stamp"  # key of the stamp in the study's estimate JSON


def estimate_stamp(settings) -> str:
    """The stamp of an estimate made now with ``settings`` (a :class:`core.config.Settings`).

    Parameters
    ----------
    settings : core.config.Settings

    Returns
    -------
    str
        ``"<version>|<factor set>|<reference-level set>"``.
    """
    return f"{ESTIMATOR_VERSION}|{settings.factor_set}|{settings.drl_set}"
