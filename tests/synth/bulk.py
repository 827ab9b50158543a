"""Fast generation of many small CT files for import benchmarks."""
from __future__ import annotations

import io
import os
import random
from pathlib import Path

from pydicom import dcmwrite

from .common import UID_PREFIX, PatientSpec
from .ct import make_ct_series
from .rdsr import make_ct_rdsr

__all__ = ["generate_many"]


def generate_many(
    root: Path | str,
    n_files: int,
    *,
    files_per_series: int = 200,
    series_per_study: int = 2,
    studies_per_patient: int = 5,
    pixels: bool = True,
    rows: int = 8,
    columns: int = 8,
    seed: str | None = None,
    rdsr_per_study: bool = False,
) -> list[Path]:
    """Write ``n_files`` small CT images, quickly, for benchmarks.

    One template file is encoded once with pydicom; each file is that byte
    string with fixed-width UIDs, numbers and positions patched in (valid
    DICOM: every value keeps its length). Layout:
    ``root/P<patient>/S<study>/SE<series>/IM<n>.dcm``; patient IDs
    ``BENCH00000``..., names ``BENCH^PATIENT00000``...

    Parameters
    ----------
    root : Path or str
        Output folder (created).
    n_files : int
        Number of files to write.
    files_per_series, series_per_study, studies_per_patient : int
        Shape of the data set (the last series may be shorter).
    pixels : bool
        Include ``rows`` x ``columns`` 16-bit pixels (default 8 x 8); ``False``
        writes header-only files.
    seed : str or None
        Reproducible UIDs when given.
    rdsr_per_study : bool
        Also write one CT RDSR per study (``S<study>/SR/RDSR.dcm``, one
        spiral event per series, CTDIvol 10 mGy): these come on top of
        ``n_files``.

    Returns
    -------
    list of Path
        The written files, in order (RDSRs after their study's first image).
    """
    root = Path(root)
    blob, offsets = _template_bytes(pixels=pixels, rows=rows, columns=columns)
    rng = random.Random(seed) if seed is not None else random.Random(os.urandom(16))

    def uid() -> bytes:
        return (UID_PREFIX + str(rng.randrange(10**29, 10**30))).encode("ascii")

    paths: list[Path] = []
    buf = bytearray(blob)
    current_dir = root
    for i in range(n_files):
        series_index, slice_index = divmod(i, files_per_series)
        study_index, series_in_study = divmod(series_index, series_per_study)
        patient_index = study_index // studies_per_patient
        if slice_index == 0:
            if series_in_study == 0:
                _put(buf, offsets["study"], uid())
                _put(buf, offsets["frame"], uid())
                _put(buf, offsets["pid"], f"BENCH{patient_index:05d}".encode())
                _put(buf, offsets["pname"], f"BENCH^PATIENT{patient_index:05d}".encode())
                _put(buf, offsets["acc"], f"ACC{study_index:07d}".encode())
                if rdsr_per_study:
                    paths.append(_write_rdsr(root, buf, offsets, patient_index, study_index,
                                             series_per_study, files_per_series, uid))
            _put(buf, offsets["series"], uid())
            _put(buf, offsets["series_no"], f"{series_in_study + 1:<8d}".encode())
            _put(buf, offsets["acq_no"], f"{series_in_study + 1:<8d}".encode())
            current_dir = (root / f"P{patient_index:05d}" / f"S{study_index:06d}"
                           / f"SE{series_in_study:02d}")
            os.makedirs(current_dir, exist_ok=True)
        _put(buf, offsets["sop"], uid())
        _put(buf, offsets["inst_no"], f"{slice_index + 1:<8d}".encode())
        z = f"{0.0 - 5.0 * slice_index:.2f}".ljust(10).encode()
        _put(buf, offsets["z"], z)
        _put(buf, offsets["slice_loc"], z)
        path = current_dir / f"IM{slice_index:05d}.dcm"
        with open(path, "wb") as f:
            f.write(buf)
        paths.append(path)
    return paths


def _write_rdsr(root: Path, buf: bytearray, offsets: dict[str, list[int]], patient_index: int,
                study_index: int, n_series: int, per_series: int, uid=None) -> Path:
    """One CT RDSR for the study whose UIDs are currently patched into ``buf``.

    The report is encoded once per shape (``n_series`` events of ``per_series``
    slices) and then patched like the images: study, series, SOP instance and
    event UIDs, patient and accession (``uid`` makes the new UIDs).
    """
    off = offsets["study"][0]
    study_uid = bytes(buf[off:off + len(_PLACEHOLDERS["study"])])
    blob, sr_offsets = _rdsr_template(n_series, per_series)
    out = bytearray(blob)
    new = uid or (lambda: (UID_PREFIX + str(random.randrange(10**29, 10**30))).encode("ascii"))
    _put(out, sr_offsets["study"], study_uid)
    for key in ("sop", "series", *(f"event{k}" for k in range(n_series))):
        _put(out, sr_offsets[key], new())
    _put(out, sr_offsets["pid"], f"BENCH{patient_index:05d}".encode())
    _put(out, sr_offsets["pname"], f"BENCH^PATIENT{patient_index:05d}".encode())
    _put(out, sr_offsets["acc"], f"ACC{study_index:07d}".encode())
    path = root / f"P{patient_index:05d}" / f"S{study_index:06d}" / "SR" / "RDSR.dcm"
    os.makedirs(path.parent, exist_ok=True)
    path.write_bytes(out)
    return path


_RDSR_TEMPLATES: dict[tuple[int, int], tuple[bytes, dict[str, list[int]]]] = {}


def _rdsr_template(n_series: int, per_series: int) -> tuple[bytes, dict[str, list[int]]]:
    """The encoded RDSR template of one shape and the offsets of its placeholders."""
    if (n_series, per_series) in _RDSR_TEMPLATES:
        return _RDSR_TEMPLATES[(n_series, per_series)]
    ph = dict(_PLACEHOLDERS)
    ph.update({f"event{k}": UID_PREFIX + str(k + 5) * 30 for k in range(n_series)})
    length = 5.0 * per_series
    events = [dict(ctdivol=10.0, dlp=round(10.0 * length / 10.0, 1), length_mm=length,
                   acquisition_type="spiral", phantom="32", protocol=f"Series {k + 1}",
                   event_uid=ph[f"event{k}"]) for k in range(n_series)]
    ds = make_ct_rdsr(PatientSpec(ph["pid"], ph["pname"]), study_uid=ph["study"], events=events,
                     institution="Bench Hospital", accession_number=ph["acc"], study_date="20210304",
                     study_time="102200", study_description="CT THORAX", series_uid=ph["series"],
                     sop_instance_uid=ph["sop"], device_uid=UID_PREFIX + "9" * 30)
    out = io.BytesIO()
    dcmwrite(out, ds, enforce_file_format=True)
    blob = out.getvalue()
    offsets: dict[str, list[int]] = {}
    for key in ("study", "sop", "series", "pid", "pname", "acc", *(f"event{k}" for k in range(n_series))):
        needle = ph[key].encode("ascii")
        found, start = [], blob.find(needle)
        while start >= 0:
            found.append(start)
            start = blob.find(needle, start + 1)
        if not found:
            raise RuntimeError(f"RDSR template placeholder {key!r} not found")
        offsets[key] = found
    _RDSR_TEMPLATES[(n_series, per_series)] = (blob, offsets)
    return blob, offsets


# fixed-width placeholders: every file is the template with these bytes replaced
_PLACEHOLDERS = {
    "sop": UID_PREFIX + "1" * 30,
    "series": UID_PREFIX + "2" * 30,
    "study": UID_PREFIX + "3" * 30,
    "frame": UID_PREFIX + "4" * 30,
    "pid": "ZZPATIDZZ0",
    "pname": "ZZPATIENTNAMEZZZZ0",
    "acc": "ZZACCNUMZ0",
    "series_no": "87654310",
    "acq_no": "87654320",
    "inst_no": "87654330",
    "z": "-876543.25",
    "slice_loc": "-876543.75",
}


def _template_bytes(*, pixels: bool, rows: int, columns: int) -> tuple[bytes, dict[str, list[int]]]:
    """The encoded template file and, per placeholder, the offsets of its bytes."""
    ph = _PLACEHOLDERS
    ds = make_ct_series(PatientSpec(ph["pid"], ph["pname"]), n_slices=1, pixels=pixels, rows=rows,
                        columns=columns, institution="Bench Hospital", study_uid=ph["study"],
                        series_uid=ph["series"], frame_of_reference_uid=ph["frame"])[0]
    ds.SOPInstanceUID = ph["sop"]
    ds.file_meta.MediaStorageSOPInstanceUID = ph["sop"]
    ds.AccessionNumber = ph["acc"]
    ds.SeriesNumber = ph["series_no"]
    ds.AcquisitionNumber = ph["acq_no"]
    ds.InstanceNumber = ph["inst_no"]
    ds.ImagePositionPatient = ["-125", "-125", ph["z"]]
    ds.SliceLocation = ph["slice_loc"]
    out = io.BytesIO()
    dcmwrite(out, ds, enforce_file_format=True)
    blob = out.getvalue()
    offsets: dict[str, list[int]] = {}
    for key, text in ph.items():
        needle = text.encode("ascii")
        found, start = [], blob.find(needle)
        while start >= 0:
            found.append(start)
            start = blob.find(needle, start + 1)
        expected = 2 if key == "sop" else 1
        if len(found) != expected:
            raise RuntimeError(f"template placeholder {key!r} found {len(found)} times")
        offsets[key] = found
    return blob, offsets


def _put(buf: bytearray, offsets: list[int], value: bytes) -> None:
    for off in offsets:
        buf[off:off + len(value)] = value
