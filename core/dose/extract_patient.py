"""Patient height and weight from a dose SR's patient characteristics.

Radiopharmaceutical reports (TID 10023, Radiopharmaceutical Administration
Patient Characteristics) and newer X-ray reports carry Patient Height
(8302-2, LN) and Patient Weight (29463-7, LN) near the top of the tree;
only the first two levels are read, so a big fluoroscopy report costs no
extra walk.
"""
from __future__ import annotations

from pydicom.dataset import Dataset

from . import sr, units
from .records import DoseRecord

HEIGHT = ("8302-2", "LN")
WEIGHT = ("29463-7", "LN")


def _shallow(ds: Dataset):
    for child in sr.children(ds):
        yield child
        yield from sr.children(child)


def body_size(ds: Dataset, record: DoseRecord) -> DoseRecord:
    """Fill ``record.patient_height_m`` / ``patient_weight_kg`` from ``ds`` (in place; returned)."""
    for item in _shallow(ds):
        if record.patient_height_m is None and sr.is_concept(item, HEIGHT):
            mm = sr.num(item, units.LENGTH_MM, record.warnings, "patient height", None)
            record.patient_height_m = round(mm / 1000.0, 4) if mm is not None else None
        elif record.patient_weight_kg is None and sr.is_concept(item, WEIGHT):
            record.patient_weight_kg = sr.num(item, units.MASS_KG, record.warnings, "patient weight", None)
    return record
