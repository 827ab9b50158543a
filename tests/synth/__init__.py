"""Synthetic DICOM studies for DoseTrail's tests and benchmarks.

Usage from a test (pytest puts ``tests/`` on ``sys.path``)::

    from synth import PatientSpec, make_ct_series, write_study

Everything is written with pydicom; UIDs are random unless
:func:`set_uid_seed` was called or explicit UIDs are passed.
"""
from .common import (
    JAPANESE_PATIENT,
    PatientSpec,
    new_uid,
    set_uid_seed,
)
from .ct import CT_IMAGE_STORAGE, make_ct_reconstruction, make_ct_series
from .media import (
    corrupt_dicomdir,
    make_stale_dicomdir,
    make_zip,
    write_dataset,
    write_dicomdir_media,
    write_study,
)

__all__ = [
    "CT_IMAGE_STORAGE",
    "JAPANESE_PATIENT",
    "PatientSpec",
    "corrupt_dicomdir",
    "make_ct_reconstruction",
    "make_ct_series",
    "make_stale_dicomdir",
    "make_zip",
    "new_uid",
    "set_uid_seed",
    "write_dataset",
    "write_dicomdir_media",
    "write_study",
]
