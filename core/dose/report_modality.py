"""The modalities a study shows: its series' modalities plus, for a study made
only of documents (an RDSR sent on its own), the modality of its dose report.

An RDSR-only study's series all say ``SR``; its estimate parts say what the
report is about (CT, RF, XA, DX, MG, NM, PT), so the exam is listed as what it
was, with ``SR`` kept beside it.
"""
from __future__ import annotations

from typing import Iterable

from ..dicom.modalities import DOCUMENTS, normalised
from .study import StudyEstimate


def shown_modalities(stored: Iterable[str], estimate: StudyEstimate | None) -> list[str]:
    """Sorted modalities of a study as listed to the user.

    Parameters
    ----------
    stored : iterable of str
        The modalities of the study's series (``SR``, ``CT``, ...).
    estimate : StudyEstimate or None
        The study's stored estimate; its parts name the report's modality.

    Returns
    -------
    list of str
        ``stored`` (sorted, without blanks), plus the parts' modalities when
        every stored modality is a document (SR, KO, PR, ...).
    """
    mods = normalised(stored)
    if estimate is not None and mods and mods <= DOCUMENTS:
        mods |= {p.modality.strip().upper() for p in estimate.parts if p.modality and p.modality.strip()}
    return sorted(mods)
