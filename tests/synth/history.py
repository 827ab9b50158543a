"""A realistic multi-study, multi-hospital history for a few patients."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset

from .common import PatientSpec, new_uid
from .ct import make_ct_reconstruction, make_ct_series
from .media import make_zip, write_dicomdir_media, write_study
from .nm import make_pt_series, make_rrdsr
from .other import make_mr_series, make_us_image
from .projection import make_dx_image, make_mg_image
from .rdsr import make_ct_rdsr

__all__ = ["make_mixed_patient_history", "history_patients"]

HEAD = ("T-D1100", "SRT", "Head")
CHEST = ("T-D3000", "SRT", "Chest")
ABDOMEN = ("T-D4000", "SRT", "Abdomen")
WHOLE_BODY = ("T-D0010", "SRT", "Entire body")


def history_patients() -> dict[str, list[PatientSpec]]:
    """The people of :func:`make_mixed_patient_history`, one spec per hospital record.

    Returns
    -------
    dict
        person key -> PatientSpecs (same name/birth date/sex, different IDs and spellings).
    """
    return {
        "jane": [
            PatientSpec("HA-1001", "DOE^JANE", "19700131", "F", issuer="HOSPITAL_A"),
            PatientSpec("B0077", "Doe^Jane^^^", "19700131", "F", issuer="HOSPITAL_B"),
        ],
        "john": [
            PatientSpec("HA-2002", "SMITH^JOHN", "19551122", "M", issuer="HOSPITAL_A"),
            PatientSpec("C5", "Smith^John", "19551122", "M", issuer="HOSPITAL_C"),
        ],
        "jose": [
            PatientSpec("HC-3003", "GARCÍA^JOSÉ", "19880715", "M", issuer="HOSPITAL_C",
                        specific_character_set="ISO_IR 100"),
        ],
    }


def _study(manifest: dict[str, Any], person: str, patient: PatientSpec, key: str, date: str,
           institution: str, datasets: list[Dataset], dose_source: str,
           expected: dict[str, Any]) -> None:
    study_uids = {str(ds.StudyInstanceUID) for ds in datasets}
    assert len(study_uids) == 1, key
    manifest["_pending"].append((key, datasets))
    manifest["studies"].append({
        "key": key,
        "person": person,
        "patient_id": patient.patient_id,
        "patient_name": patient.name,
        "study_uid": study_uids.pop(),
        "date": date,
        "institution": institution,
        "modalities": sorted({str(ds.Modality) for ds in datasets}),
        "n_files": len(datasets),
        "n_series": len({str(ds.SeriesInstanceUID) for ds in datasets}),
        "dose_source": dose_source,
        "expected": expected,
    })


def make_mixed_patient_history(
    root: Path | str,
    *,
    n_ct_slices: int = 12,
    pixels: bool = True,
    names: str = "uid",
    layout: str = "folders",
) -> dict[str, Any]:
    """Write the imaging history of three people across years and hospitals.

    Jane (IDs ``HA-1001`` at Hospital A, ``B0077`` at Hospital B, name
    ``DOE^JANE`` vs ``Doe^Jane^^^``): CT chest with localizer and RDSR
    (2015), CT abdomen header-only with two reconstructions of one acquisition
    (2018), 4-view screening mammography with processing and presentation
    copies (2019), PET/CT with RRDSR and a CT RDSR (2021).
    John (``HA-2002`` / ``C5``): DX chest PA+LAT (2016), MR brain (2020), CT
    head with RDSR, 16 cm phantom (2022).
    José (``HC-3003``, ISO_IR 100 name ``GARCÍA^JOSÉ``): US abdomen (2023).

    Parameters
    ----------
    root : Path or str
        Written as ``root/<study key>/STUDY001/SERIES00n/<file>``.
    n_ct_slices : int
        Slices of the main CT series (reconstructions follow from it).
    pixels : bool
        ``False`` writes header-only images.
    names : str
        File name style for :func:`synth.media.write_study`.
    layout : {"folders", "mixed"}
        ``"folders"``: one folder per study. ``"mixed"``: what a patient
        brings home: Hospital A's studies on a CD (``root/CD_HOSPITAL_A``
        with DICOMDIR, viewer, autorun), Hospital B's as a portal download
        (``root/download_hospital_b.zip``, nested folders) and Hospital C's
        copied to a USB stick folder (``root/usb_hospital_c/<study key>``).

    Returns
    -------
    dict
        ``root``, ``n_files``, ``n_studies``, ``n_persons``, ``persons``
        (key -> list of patient IDs, name, birth date, sex), ``studies``
        (one dict per study: key, person, patient_id, patient_name,
        study_uid, date (YYYYMMDD), institution, modalities, n_files,
        n_series, dose_source (``"rdsr"``, ``"ct-header"``, ``"mg-header"``,
        ``"rrdsr"``, ``"dx-header"``, ``"none"``), expected (dose inputs
        as written; for the header-only CT ``z_extent_mm`` is first to last
        slice centre and ``imaged_length_mm`` adds one slice thickness)),
        ``files`` (DICOM files on disk, not counting ZIP members),
        ``sources`` (one dict per source: ``kind`` ``"folder"``/``"dicomdir"``/
        ``"zip"``, ``path``, ``n_files`` DICOM objects in it).
    """
    root = Path(root)
    people = history_patients()
    jane_a, jane_b = people["jane"]
    john_a, john_c = people["john"]
    (jose,) = people["jose"]
    manifest: dict[str, Any] = {"root": str(root), "studies": [], "_pending": []}

    # Jane 2015, Hospital A: CT chest, localizer + spiral, with RDSR
    uid = new_uid()
    scout = make_ct_series(jane_a, study_uid=uid, n_slices=1, localizer=True, ctdivol=0.4,
                           study_date="20150610", study_time="081500", institution="Hospital A",
                           series_description="Topogram", pixels=pixels, patient_age="045Y")
    chest = make_ct_series(jane_a, study_uid=uid, n_slices=n_ct_slices, ctdivol=9.6,
                           study_date="20150610", study_time="081500", institution="Hospital A",
                           pixels=pixels, patient_age="045Y")
    length = 5.0 * n_ct_slices
    events = [
        dict(ctdivol=0.4, dlp=6.2, length_mm=300.0, region_code=CHEST, phantom="32",
             acquisition_type="localizer", protocol="Topogram"),
        dict(ctdivol=9.6, dlp=round(9.6 * length / 10, 1), length_mm=length, region_code=CHEST,
             phantom="32", acquisition_type="spiral", protocol="Thorax routine"),
    ]
    rdsr = make_ct_rdsr(jane_a, study_uid=uid, events=events, content_datetime="20150610083000",
                        institution="Hospital A", study_description="CT THORAX",
                        study_date="20150610", study_time="081500")
    _study(manifest, "jane", jane_a, "jane_2015_ct_chest", "20150610", "Hospital A",
           scout + chest + [rdsr], "rdsr",
           {"dlp_total_mgycm": sum(e["dlp"] for e in events), "region": "chest", "n_events": 2,
            "event_uids": [e["event_uid"] for e in events]})

    # Jane 2018, Hospital B: CT abdomen, header only, two reconstructions of one acquisition
    uid = new_uid()
    abd = make_ct_series(jane_b, study_uid=uid, n_slices=n_ct_slices, ctdivol=12.5, body_part="ABDOMEN",
                         study_description="CT ABDOMEN", series_description="Abdomen 5mm",
                         study_date="20180220", study_time="140500", institution="Hospital B",
                         pixels=pixels, start_z=-300.0)
    thin = make_ct_reconstruction(abd, slice_thickness=2.5, kernel="B70f")
    z_extent = 5.0 * (n_ct_slices - 1)
    _study(manifest, "jane", jane_b, "jane_2018_ct_abdomen", "20180220", "Hospital B", abd + thin,
           "ct-header", {"ctdivol_mgy": 12.5, "n_acquisitions": 1, "z_extent_mm": z_extent,
                         "imaged_length_mm": z_extent + 5.0,
                         "region": "abdomen", "n_reconstructions": 2})

    # Jane 2019, Hospital A: screening mammography, 4 views x (processing + presentation)
    uid = new_uid()
    mg: list[Dataset] = []
    agd_dgy = {("R", "CC"): 0.011, ("L", "CC"): 0.012, ("R", "MLO"): 0.013, ("L", "MLO"): 0.014}
    for n, ((side, view), dose) in enumerate(agd_dgy.items()):
        acq = f"20190901{9:02d}{10 + n:02d}00"
        for k, intent in enumerate(("FOR PROCESSING", "FOR PRESENTATION")):
            mg.append(make_mg_image(jane_a, study_uid=uid, organ_dose_dgy=dose, laterality=side,
                                    view=view, presentation_intent=intent, acquisition_datetime=acq,
                                    study_date="20190901", study_time="090000",
                                    institution="Hospital A", series_number=1 + k,
                                    instance_number=n + 1, pixels=pixels,
                                    series_uid=new_uid("mg", uid, intent)))
    _study(manifest, "jane", jane_a, "jane_2019_mg", "20190901", "Hospital A", mg, "mg-header",
           {"n_exposures": 4, "n_images": 8, "organ_dose_dgy": list(agd_dgy.values()),
            "mean_glandular_dose_mgy_sum": round(sum(agd_dgy.values()) * 100, 6)})

    # Jane 2021, Hospital B: PET/CT with RRDSR and CT RDSR
    uid = new_uid()
    pet = make_pt_series(jane_b, study_uid=uid, activity_bq=370e6, n_slices=max(2, n_ct_slices // 2),
                         study_date="20210304", study_time="103000", institution="Hospital B",
                         pixels=pixels)
    ldct = make_ct_series(jane_b, study_uid=uid, n_slices=n_ct_slices, ctdivol=3.1,
                          body_part="WHOLEBODY", study_description="PET-CT WHOLE BODY",
                          series_description="CT AC", study_date="20210304", study_time="103000",
                          institution="Hospital B", pixels=pixels)
    ct_events = [dict(ctdivol=3.1, dlp=280.0, length_mm=900.0, region_code=WHOLE_BODY, phantom="32",
                      acquisition_type="spiral", protocol="PET AC")]
    pet_rdsr = make_ct_rdsr(jane_b, study_uid=uid, events=ct_events, content_datetime="20210304110000",
                            institution="Hospital B", study_date="20210304", study_time="103000",
                            study_description="PET-CT WHOLE BODY")
    rrdsr = make_rrdsr(jane_b, study_uid=uid, activity_mbq=370.0, content_datetime="20210304110500",
                       institution="Hospital B", study_date="20210304", study_time="103000",
                       study_description="PET-CT WHOLE BODY")
    _study(manifest, "jane", jane_b, "jane_2021_petct", "20210304", "Hospital B",
           pet + ldct + [pet_rdsr, rrdsr], "rrdsr",
           {"activity_mbq": 370.0, "radiopharmaceutical": "FDG", "dlp_total_mgycm": 280.0})

    # John 2016, Hospital A: DX chest PA + LAT
    uid = new_uid()
    dx = [make_dx_image(john_a, study_uid=uid, dap_dgycm2=dap, view=view, study_date="20160412",
                        study_time="101000", institution="Hospital A", series_number=i + 1,
                        pixels=pixels)
          for i, (view, dap) in enumerate((("PA", 0.9), ("LAT", 2.1)))]
    _study(manifest, "john", john_a, "john_2016_dx_chest", "20160412", "Hospital A", dx, "dx-header",
           {"dap_dgycm2": [0.9, 2.1], "dap_total_gycm2": 0.3})

    # John 2020, Hospital C: MR brain (no dose)
    uid = new_uid()
    mr = make_mr_series(john_c, study_uid=uid, n_slices=max(2, n_ct_slices // 2), study_date="20201105",
                        study_time="160000", institution="Hospital C", pixels=pixels)
    _study(manifest, "john", john_c, "john_2020_mr_brain", "20201105", "Hospital C", mr, "none", {})

    # John 2022, Hospital C: CT head with RDSR (16 cm phantom)
    uid = new_uid()
    head = make_ct_series(john_c, study_uid=uid, n_slices=n_ct_slices, ctdivol=55.0, body_part="HEAD",
                          study_description="CT HEAD", series_description="Head 5mm",
                          study_date="20220118", study_time="220000", institution="Hospital C",
                          pixels=pixels, phantom="16")
    head_events = [dict(ctdivol=55.0, dlp=880.0, length_mm=160.0, region_code=HEAD, phantom="16",
                        acquisition_type="sequenced", protocol="Head routine")]
    head_rdsr = make_ct_rdsr(john_c, study_uid=uid, events=head_events, content_datetime="20220118221500",
                             institution="Hospital C", study_date="20220118", study_time="220000",
                             study_description="CT HEAD")
    _study(manifest, "john", john_c, "john_2022_ct_head", "20220118", "Hospital C",
           head + [head_rdsr], "rdsr", {"dlp_total_mgycm": 880.0, "region": "head", "phantom": "16"})

    # José 2023, Hospital C: US abdomen (no dose)
    uid = new_uid()
    us = [make_us_image(jose, study_uid=uid, study_date="20230302", institution="Hospital C",
                        instance_number=i + 1, pixels=pixels) for i in range(2)]
    us[1].SeriesInstanceUID = us[0].SeriesInstanceUID
    _study(manifest, "jose", jose, "jose_2023_us", "20230302", "Hospital C", us, "none", {})

    pending = manifest.pop("_pending")
    files, sources = _write_layout(root, pending, manifest["studies"], layout=layout, names=names)
    manifest["sources"] = sources
    manifest["files"] = files
    manifest["n_files"] = sum(src["n_files"] for src in sources)
    manifest["n_studies"] = len(manifest["studies"])
    manifest["persons"] = {
        person: {"patient_ids": [p.patient_id for p in specs], "names": [p.name for p in specs],
                 "birth_date": specs[0].birth_date, "sex": specs[0].sex}
        for person, specs in people.items()
    }
    manifest["n_persons"] = len(people)
    return manifest


def _write_layout(root: Path, pending: list[tuple[str, list[Dataset]]], studies: list[dict[str, Any]],
                  *, layout: str, names: str) -> tuple[list[Path], list[dict[str, Any]]]:
    """Write the studies as folders, or as CD + ZIP download + USB folder."""
    files: list[Path] = []
    sources: list[dict[str, Any]] = []
    if layout == "folders":
        for key, datasets in pending:
            written = write_study(datasets, root / key, names=names)
            files += written
            sources.append({"kind": "folder", "path": str(root / key), "n_files": len(written)})
        return files, sources
    if layout != "mixed":
        raise ValueError(f"layout must be 'folders' or 'mixed', not {layout!r}")
    where = {s["key"]: s["institution"] for s in studies}
    by_site: dict[str, list[Dataset]] = {}
    for key, datasets in pending:
        by_site.setdefault(where[key], []).extend(datasets)
        if where[key] == "Hospital C":
            written = write_study(datasets, root / "usb_hospital_c" / key, names=names)
            files += written
    if by_site.get("Hospital C"):
        sources.append({"kind": "folder", "path": str(root / "usb_hospital_c"),
                        "n_files": len(by_site["Hospital C"])})
    if by_site.get("Hospital A"):
        cd = root / "CD_HOSPITAL_A"
        write_dicomdir_media(by_site["Hospital A"], cd)
        files += sorted(p for p in (cd / "DICOM").rglob("*") if p.is_file())
        sources.append({"kind": "dicomdir", "path": str(cd), "n_files": len(by_site["Hospital A"])})
    if by_site.get("Hospital B"):
        archive = make_zip(by_site["Hospital B"], root / "download_hospital_b.zip", nested=True)
        sources.append({"kind": "zip", "path": str(archive), "n_files": len(by_site["Hospital B"])})
    return files, sources
