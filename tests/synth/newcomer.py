"""Patients with the rough edges of real data (issue 11): no patient ID with a placeholder birth
date, only undated exams, estimates that are typical values."""
from __future__ import annotations

from pathlib import Path

from .common import PatientSpec
from .ct import make_ct_series
from .media import write_study

NO_ID = PatientSpec(patient_id="", name="NOID^NOAH", birth_date="19000101", sex="M")
UNDATED = PatientSpec(patient_id="UD-1", name="UNDATED^ULLA", birth_date="19800202", sex="F")
TYPICAL = PatientSpec(patient_id="TV-1", name="TYPICAL^TINA", birth_date="19750505", sex="F")


def make_edge_patients(root: Path | str) -> dict[str, PatientSpec]:
    """Write the studies of :data:`NO_ID`, :data:`UNDATED` and :data:`TYPICAL` under ``root``.

    ``NO_ID``: one CT with dose figures (2020), no PatientID, birth date 1900-01-01.
    ``UNDATED``: two CT studies without a StudyDate. ``TYPICAL``: a CT with CTDIvol (2016) and
    two CT studies without any dose figure (2019, 2022; typical values for the exam type).

    Returns
    -------
    dict
        ``"no_id"``, ``"undated"``, ``"typical"`` -> their :class:`PatientSpec`.
    """
    root = Path(root)
    write_study(make_ct_series(NO_ID, n_slices=3, ctdivol=8.0, study_date="20200115",
                               study_description="CT THORAX"), root / "no_id")
    for i, desc in enumerate(("CT HEAD", "CT ABDOMEN")):
        write_study(make_ct_series(UNDATED, n_slices=2, ctdivol=10.0, study_date="",
                                   body_part=None, study_description=desc), root / f"undated_{i}")
    write_study(make_ct_series(TYPICAL, n_slices=3, ctdivol=9.0, study_date="20160301",
                               study_description="CT THORAX"), root / "typical_0")
    for i, (date, desc, part) in enumerate((("20190610", "CT HEAD", "HEAD"), ("20220920", "CT ABDOMEN", "ABDOMEN"))):
        write_study(make_ct_series(TYPICAL, n_slices=3, ctdivol=None, study_date=date, body_part=part,
                                   study_description=desc), root / f"typical_{i + 1}")
    return {"no_id": NO_ID, "undated": UNDATED, "typical": TYPICAL}
