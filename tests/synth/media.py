"""Writing synthetic datasets to disk: plain folders, DICOMDIR media, ZIP archives."""
from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.fileset import FileSet

__all__ = ["write_dataset", "write_study", "write_dicomdir_media", "make_zip",
           "make_stale_dicomdir", "corrupt_dicomdir"]

_NAME_STYLES = ("uid", "numbered", "no-extension", "upper")


def write_dataset(ds: Dataset, path: Path | str) -> Path:
    """Write one dataset as a DICOM file (preamble, ``DICM`` and file meta).

    Parameters
    ----------
    ds : Dataset
        A dataset made by this package (its file_meta decides the encoding).
    path : Path or str
        Target file; parent folders are created.

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def _file_name(ds: Dataset, index: int, names: str) -> str:
    if names == "uid":
        return f"{ds.SOPInstanceUID}.dcm"
    if names == "numbered":
        return f"IM{index:06d}.dcm"
    if names == "no-extension":
        return f"IM{index:06d}"
    if names == "upper":
        return f"IM{index:06d}.DCM"
    raise ValueError(f"names must be one of {_NAME_STYLES}, not {names!r}")


def write_study(
    datasets: Iterable[Dataset],
    folder: Path | str,
    *,
    names: str = "uid",
    nested: bool = True,
) -> list[Path]:
    """Write datasets into a folder, one file each.

    Parameters
    ----------
    datasets : iterable of Dataset
        Any mix of studies and series.
    folder : Path or str
        Root folder (created).
    names : {"uid", "numbered", "no-extension", "upper"}
        ``<SOPInstanceUID>.dcm``, ``IM000001.dcm``, ``IM000001`` or
        ``IM000001.DCM``.
    nested : bool
        ``True``: ``folder/STUDY001/SERIES001/<file>`` (numbered in order of
        first appearance); ``False``: all files directly in ``folder``.

    Returns
    -------
    list of Path
        Written files, in input order.
    """
    if names not in _NAME_STYLES:
        raise ValueError(f"names must be one of {_NAME_STYLES}, not {names!r}")
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    studies: dict[str, int] = {}
    series: dict[str, int] = {}
    paths: list[Path] = []
    for index, ds in enumerate(datasets, start=1):
        if nested:
            st = studies.setdefault(str(ds.get("StudyInstanceUID", "")), len(studies) + 1)
            se = series.setdefault(str(ds.get("SeriesInstanceUID", "")), len(series) + 1)
            target = root / f"STUDY{st:03d}" / f"SERIES{se:03d}"
        else:
            target = root
        paths.append(write_dataset(ds, target / _file_name(ds, index, names)))
    return paths


def write_dicomdir_media(
    datasets: Iterable[Dataset],
    root: Path | str,
    *,
    upper_case_ids: bool = True,
    extensionless: bool = True,
    nested_dirs: bool = True,
    include_viewer: bool = True,
    include_autorun: bool = True,
    include_ihe_pdi: bool = True,
) -> Path:
    """Write a CD/USB-like media: a real DICOMDIR plus the usual clutter.

    The DICOMDIR is made by ``pydicom.fileset.FileSet`` (``fs.add``,
    ``fs.write``); files are then moved to the layout real burners use,
    ``DICOM/PAT00001/STU00001/SER00001/IMG00001`` (8-character upper-case IDs,
    no extension), and the DICOMDIR is re-encoded with those references.

    Parameters
    ----------
    datasets : iterable of Dataset
        Studies to put on the media.
    root : Path or str
        Media root (created).
    upper_case_ids : bool
        ``False`` uses lower-case folder and file names, referenced as such
        (non-conformant, seen in the wild).
    extensionless : bool
        ``False`` appends ``.DCM`` (``.dcm`` with lower-case IDs) to file names.
    nested_dirs : bool
        ``False`` puts every file directly in ``DICOM/`` as ``IMG00001`` ...
    include_viewer, include_autorun, include_ihe_pdi : bool
        Add a fake ``VIEWER/VIEWER.EXE``, ``AUTORUN.INF`` and
        ``IHE_PDI/INDEX.HTM`` (+ ``README.TXT``).

    Returns
    -------
    Path
        Path of the DICOMDIR file.
    """
    from pydicom.filebase import DicomFileLike

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    datasets = list(datasets)
    fs = FileSet()
    fs.ID = "DOSETRAIL"
    for ds in datasets:
        fs.add(ds)
    fs.write(root)

    targets = _media_ids(datasets, nested_dirs=nested_dirs)
    for instance in fs:
        parts = targets[str(instance.SOPInstanceUID)]
        if not extensionless:
            parts = parts[:-1] + [parts[-1] + ".DCM"]
        if not upper_case_ids:
            parts = [p.lower() for p in parts]
        old = Path(instance.path)
        new = root.joinpath(*parts)
        new.parent.mkdir(parents=True, exist_ok=True)
        old.rename(new)
        instance.node._record.ReferencedFileID = parts  # noqa: SLF001
    for old_dir in sorted((p for p in root.glob("PT*") if p.is_dir()), reverse=True):
        _remove_empty_dirs(old_dir)
    dicomdir = root / "DICOMDIR"
    with open(dicomdir, "wb") as fp:
        fs._write_dicomdir(DicomFileLike(fp))  # noqa: SLF001 - re-encode offsets for the new IDs

    if include_viewer:
        (root / "VIEWER").mkdir(exist_ok=True)
        (root / "VIEWER" / "VIEWER.EXE").write_bytes(b"MZ\x90\x00" + b"\0" * 60 + b"fake viewer")
    if include_autorun:
        (root / "AUTORUN.INF").write_text("[autorun]\r\nopen=VIEWER\\VIEWER.EXE\r\n", encoding="ascii")
    if include_ihe_pdi:
        (root / "IHE_PDI").mkdir(exist_ok=True)
        (root / "IHE_PDI" / "INDEX.HTM").write_text(
            "<html><body><h1>Patient images</h1><p>Open the viewer.</p></body></html>",
            encoding="ascii",
        )
        (root / "README.TXT").write_text("Medical images (DICOM). See IHE_PDI/INDEX.HTM\r\n", encoding="ascii")
    return dicomdir


def _media_ids(datasets: list[Dataset], *, nested_dirs: bool) -> dict[str, list[str]]:
    """SOPInstanceUID -> File ID components in the burners' layout."""
    patients: dict[str, int] = {}
    studies: dict[str, int] = {}
    series: dict[str, int] = {}
    images: dict[str, int] = {}
    out: dict[str, list[str]] = {}
    for n, ds in enumerate(datasets, start=1):
        if not nested_dirs:
            out[str(ds.SOPInstanceUID)] = ["DICOM", f"IMG{n:05d}"]
            continue
        pat = patients.setdefault(str(ds.PatientID), len(patients) + 1)
        stu = studies.setdefault(str(ds.StudyInstanceUID), len(studies) + 1)
        ser = series.setdefault(str(ds.SeriesInstanceUID), len(series) + 1)
        images[ds.SeriesInstanceUID] = images.get(ds.SeriesInstanceUID, 0) + 1
        out[str(ds.SOPInstanceUID)] = ["DICOM", f"PAT{pat:05d}", f"STU{stu:05d}",
                                       f"SER{ser:05d}", f"IMG{images[ds.SeriesInstanceUID]:05d}"]
    return out


def _remove_empty_dirs(folder: Path) -> None:
    for d in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts),
                    reverse=True):
        if not any(d.iterdir()):
            d.rmdir()
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def make_stale_dicomdir(dicomdir: Path | str, *, n_missing: int = 1) -> list[Path]:
    """Delete files the DICOMDIR references (a stale index).

    Parameters
    ----------
    dicomdir : Path or str
        A DICOMDIR written by :func:`write_dicomdir_media`.
    n_missing : int
        How many referenced files to delete (the first ones in the index).

    Returns
    -------
    list of Path
        The deleted files.
    """
    dicomdir = Path(dicomdir)
    fs = FileSet(dcmread(dicomdir))
    removed: list[Path] = []
    for instance in list(fs)[:n_missing]:
        path = Path(instance.path)
        path.unlink()
        removed.append(path)
    return removed


def corrupt_dicomdir(dicomdir: Path | str, *, keep_bytes: int | None = None) -> Path:
    """Truncate a DICOMDIR (a corrupt index).

    Parameters
    ----------
    dicomdir : Path or str
    keep_bytes : int or None
        Bytes to keep; default half the file, which cuts the Directory Record
        Sequence (pydicom then fails to read it or to build a FileSet).
        Small values (~300) keep only the file meta: it reads as an empty index.

    Returns
    -------
    Path
    """
    dicomdir = Path(dicomdir)
    data = dicomdir.read_bytes()
    dicomdir.write_bytes(data[: len(data) // 2 if keep_bytes is None else keep_bytes])
    return dicomdir


def make_zip(
    files_or_datasets: Iterable[Path | str | Dataset],
    zip_path: Path | str,
    *,
    arcnames: list[str] | None = None,
    nested: bool = False,
    with_dicomdir: bool = False,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """A ZIP archive like a patient-portal download.

    Parameters
    ----------
    files_or_datasets : iterable of Path, str or Dataset
        Files to add, or datasets (written to a temporary folder first).
    zip_path : Path or str
        Archive to write.
    arcnames : list of str or None
        Member names (default: file names, or ``study/IM000001.dcm`` style).
    nested : bool
        Put members under ``export/<n>/`` sub-folders.
    with_dicomdir : bool
        Datasets only: lay them out as DICOMDIR media inside the archive.

    Returns
    -------
    Path
    """
    import tempfile

    zip_path = Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    items = list(files_or_datasets)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_root = Path(tmp)
        pairs: list[tuple[Path, str]] = []
        datasets = [x for x in items if isinstance(x, Dataset)]
        files = [Path(x) for x in items if not isinstance(x, Dataset)]
        if datasets and with_dicomdir:
            media = tmp_root / "media"
            write_dicomdir_media(datasets, media, include_viewer=False, include_autorun=False,
                                 include_ihe_pdi=False)
            pairs += [(p, p.relative_to(media).as_posix()) for p in sorted(media.rglob("*")) if p.is_file()]
        elif datasets:
            written = write_study(datasets, tmp_root / "plain", names="numbered", nested=nested)
            pairs += [(p, p.relative_to(tmp_root / "plain").as_posix()) for p in written]
        for i, f in enumerate(files):
            name = f"export/{i % 3}/{f.name}" if nested else f.name
            pairs.append((f, name))
        if arcnames is not None:
            if len(arcnames) != len(pairs):
                raise ValueError("arcnames must name every member")
            pairs = [(p, a) for (p, _), a in zip(pairs, arcnames)]
        with zipfile.ZipFile(zip_path, "w", compression=compression) as zf:
            for path, arc in pairs:
                zf.write(path, arc)
    return zip_path
