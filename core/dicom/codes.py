"""Coding schemes and code generations: the one definition.

Concepts are matched on ``(CodeValue, CodingSchemeDesignator)``, never on the
meaning string. SNOMED codes appear under several designators: ``SRT``,
``SNM3``, ``99SDM`` (and ``SNOMED``) for the legacy SNOMED-RT ids, ``SCT`` for
the SNOMED CT ids DICOM uses since 2017 (a second generation of the same
concept, with another code value). :func:`normalise_scheme` folds the legacy
designators onto ``SRT``; where a concept has both generations, both keys are
listed next to each other (:data:`MAMMOGRAPHY_VIEWS`).
"""
from __future__ import annotations

CodeKey = tuple[str, str]

#: Legacy SNOMED designators, all the SNOMED-RT generation.
SCHEME_ALIASES = {"SNM3": "SRT", "99SDM": "SRT", "SNOMED": "SRT"}


def normalise_scheme(scheme: str | None) -> str:
    """Upper-case a coding scheme designator and fold the legacy SNOMED ones onto ``SRT``.

    Parameters
    ----------
    scheme : str or None
        ``"snm3"``, ``"99SDM"``, ``"SCT"``, ``"DCM"``...

    Returns
    -------
    str
        ``"SRT"`` for every SNOMED-RT designator, otherwise the designator
        upper-cased (``""`` when empty).
    """
    text = (scheme or "").strip().upper()
    return SCHEME_ALIASES.get(text, text)


#: Mammography view codes (CID 4014), both SNOMED generations -> the view's abbreviation.
MAMMOGRAPHY_VIEWS: dict[CodeKey, str] = {
    ("R-10242", "SRT"): "CC", ("399162004", "SCT"): "CC",
    ("R-10226", "SRT"): "MLO", ("399368009", "SCT"): "MLO",
    ("R-10224", "SRT"): "ML",
    ("R-10228", "SRT"): "LM",
    ("R-10230", "SRT"): "LMO",
    ("R-1024A", "SRT"): "XCCL",
    ("R-1024B", "SRT"): "XCCM",
    ("R-10244", "SRT"): "FB",
}
