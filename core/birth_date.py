"""Birth dates that systems write when they do not know it.

Some modalities and portals fill an unknown Patient's Birth Date with a
placeholder (``19000101``, ``99990101``) instead of leaving it empty. Shown
as a real date it suggests a 126-year-old or an unborn patient; DoseTrail
reads it as unknown and says so in exports.
"""
from __future__ import annotations

#: Placeholder birth dates seen in the wild (ISO form).
PLACEHOLDER_BIRTH_DATES = frozenset({"1900-01-01", "9999-01-01", "9999-12-31", "0001-01-01", "1800-01-01"})


def is_placeholder_birth_date(iso: str | None) -> bool:
    """True when ``iso`` (``yyyy-mm-dd``) is a known placeholder for an unknown birth date.

    Parameters
    ----------
    iso : str or None
        The stored birth date.

    Returns
    -------
    bool
        True for the dates of :data:`PLACEHOLDER_BIRTH_DATES` and any year from 9000 on.
    """
    if not iso:
        return False
    return iso[:10] in PLACEHOLDER_BIRTH_DATES or iso[:4].isdigit() and int(iso[:4]) >= 9000


def known_birth_date(iso: str | None) -> str | None:
    """The birth date, or None when it is missing or a placeholder."""
    return None if not iso or is_placeholder_birth_date(iso) else iso


def birth_date_warning(iso: str | None) -> str | None:
    """The export warning for a placeholder birth date, or None."""
    if not is_placeholder_birth_date(iso):
        return None
    return f"birth date {iso} is a placeholder for an unknown birth date; read as unknown"
