"""Person names as storage uses them: see :mod:`core.dicom.names`, their one home."""
from __future__ import annotations

from ..dicom.names import (  # noqa: F401 - kept for existing importers
    FAMILY,
    GIVEN,
    MIDDLE,
    PREFIX,
    SUFFIX,
    all_display_forms,
    chart_name,
    display_name,
    fold,
    name_groups,
    normalise_name,
    search_fold,
)
