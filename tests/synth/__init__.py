"""Synthetic DICOM studies for DoseTrail's tests and benchmarks.

Usage from a test (pytest puts ``tests/`` on ``sys.path``)::

    from synth import PatientSpec, make_ct_series, write_study

Everything is written with pydicom; UIDs are random unless
:func:`set_uid_seed` was called or explicit UIDs are passed.
"""
from .big import make_big_stored_zip, write_big_dicom
from .bulk import generate_many
from .common import (
    JAPANESE_PATIENT,
    UID_PREFIX,
    PatientSpec,
    new_uid,
    set_uid_seed,
)
from .ct import CT_IMAGE_STORAGE, make_ct_reconstruction, make_ct_series
from .history import history_patients, make_mixed_patient_history
from .control_chars import CONTROL_MEMBERS, make_control_char_zip
from .newcomer import make_edge_patients
from .hostile import (
    SLIP_MEMBERS,
    garbage_file,
    make_encrypted_zip,
    make_nested_zip,
    make_overlap_bomb,
    make_small_members_bomb,
    make_zip_bomb,
    make_zip_slip,
    no_preamble_dicom,
    no_uid_dicom,
    small_encapsulated_image,
    truncated_file,
)
from .media import (
    corrupt_dicomdir,
    make_stale_dicomdir,
    make_zip,
    write_dataset,
    write_dicomdir_media,
    write_study,
)
from .nm import F18, F18_SCT, FDG, FDG_SCT, TC99M, make_nm_image, make_pt_series, make_rrdsr
from .other import make_mr_series, make_philips_dose_screen, make_us_image
from .projection import (CODE_GENERATIONS, DAP_UNIT_SCALE, TARGET_REGIONS, make_dx_image, make_mg_image,
                         make_projection_rdsr, target_region)
from .rdsr import ct_events, make_ct_rdsr, make_cumulative_ct_rdsrs, make_split_ct_rdsrs
from .sr import COMPREHENSIVE_SR, ENHANCED_SR, RADIOPHARMACEUTICAL_RDSR, XRAY_RDSR

__all__ = [
    "COMPREHENSIVE_SR", "CT_IMAGE_STORAGE", "DAP_UNIT_SCALE", "ENHANCED_SR", "F18", "F18_SCT", "FDG",
    "FDG_SCT",
    "JAPANESE_PATIENT", "RADIOPHARMACEUTICAL_RDSR", "SLIP_MEMBERS", "TC99M", "UID_PREFIX",
    "XRAY_RDSR", "PatientSpec",
    "corrupt_dicomdir", "ct_events", "garbage_file", "generate_many", "history_patients",
    "CODE_GENERATIONS", "CONTROL_MEMBERS", "make_big_stored_zip", "make_control_char_zip", "make_ct_rdsr",
    "make_ct_reconstruction", "make_ct_series", "make_cumulative_ct_rdsrs", "make_dx_image",
    "make_edge_patients", "make_encrypted_zip", "make_mg_image", "make_mixed_patient_history",
    "make_mr_series", "make_nested_zip", "make_nm_image", "make_overlap_bomb", "make_philips_dose_screen",
    "make_projection_rdsr", "make_pt_series", "make_rrdsr", "make_small_members_bomb", "make_split_ct_rdsrs",
    "make_stale_dicomdir", "make_us_image", "make_zip", "make_zip_bomb", "make_zip_slip", "new_uid",
    "no_preamble_dicom", "no_uid_dicom", "set_uid_seed", "small_encapsulated_image", "target_region",
    "TARGET_REGIONS", "truncated_file", "write_big_dicom", "write_dataset", "write_dicomdir_media",
    "write_study",
]
