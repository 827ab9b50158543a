"""Synthetic DX/MG/NM/PT/MR/US images and the Philips dose screen carry their header dose."""
from __future__ import annotations

import pytest
from pydicom import dcmread

from synth import (
    PatientSpec,
    make_dx_image,
    make_mg_image,
    make_mr_series,
    make_nm_image,
    make_philips_dose_screen,
    make_pt_series,
    make_us_image,
    write_study,
)


def read_all(datasets, tmp_path):
    return [dcmread(p) for p in write_study(datasets, tmp_path, nested=False)]


def test_dx_and_cr_header_dose(tmp_path):
    dx, cr = read_all([make_dx_image(dap_dgycm2=1.75, entrance_dose_mgy=0.3, view="AP"),
                       make_dx_image(modality="CR", dap_dgycm2=None)], tmp_path)
    assert dx.SOPClassUID == "1.2.840.10008.5.1.4.1.1.1.1" and dx.Modality == "DX"
    assert float(dx[0x0018, 0x115E].value) == 1.75
    assert float(dx.EntranceDoseInmGy) == 0.3 and dx.ViewPosition == "AP"
    assert dx.PresentationIntentType == "FOR PRESENTATION"
    assert cr.SOPClassUID == "1.2.840.10008.5.1.4.1.1.1" and cr.Modality == "CR"
    assert "ImageAndFluoroscopyAreaDoseProduct" not in cr
    assert dx.pixel_array.shape == (16, 16)
    processing = make_dx_image(presentation_intent="FOR PROCESSING")
    assert processing.SOPClassUID == "1.2.840.10008.5.1.4.1.1.1.1.1"


def test_mg_processing_and_presentation_copies(tmp_path):
    common = dict(organ_dose_dgy=0.013, laterality="R", view="MLO",
                  acquisition_datetime="20200202101010", compressed_thickness_mm=48)
    proc, pres = read_all([make_mg_image(presentation_intent="FOR PROCESSING", **common),
                           make_mg_image(presentation_intent="FOR PRESENTATION", **common)], tmp_path)
    assert proc.SOPClassUID == "1.2.840.10008.5.1.4.1.1.1.2.1"
    assert pres.SOPClassUID == "1.2.840.10008.5.1.4.1.1.1.2"
    assert proc.AcquisitionDateTime == pres.AcquisitionDateTime == "20200202101010"
    assert proc.SOPInstanceUID != pres.SOPInstanceUID
    for ds in (proc, pres):
        assert float(ds[0x0040, 0x0316].value) == 0.013
        assert ds.ImageLaterality == "R" and ds.ViewPosition == "MLO"
        assert float(ds.BodyPartThickness) == 48
        assert ds.ViewCodeSequence[0].CodeValue == "R-10226"


@pytest.mark.parametrize("maker,sop,modality", [
    (make_pt_series, "1.2.840.10008.5.1.4.1.1.128", "PT"),
    (make_nm_image, "1.2.840.10008.5.1.4.1.1.20", "NM"),
])
def test_nm_pt_activity_in_bq_or_vendor_mbq(tmp_path, maker, sop, modality):
    proper = read_all(maker(activity_bq=370e6, n_slices=2), tmp_path / "bq")
    quirky = read_all(maker(activity_bq=764e6, activity_in_mbq_field=True, n_slices=1), tmp_path / "mbq")
    ds = proper[0]
    assert ds.SOPClassUID == sop and ds.Modality == modality and len(proper) == 2
    info = ds.RadiopharmaceuticalInformationSequence[0]
    assert float(info[0x0018, 0x1074].value) == 370e6
    assert info.RadionuclideCodeSequence[0].CodeValue
    assert info.RadiopharmaceuticalStartDateTime
    assert float(quirky[0].RadiopharmaceuticalInformationSequence[0].RadionuclideTotalDose) == 764


def test_pet_defaults_to_fdg():
    info = make_pt_series(n_slices=1)[0].RadiopharmaceuticalInformationSequence[0]
    assert info.Radiopharmaceutical == "Fludeoxyglucose"
    assert info.RadiopharmaceuticalCodeSequence[0].CodeValue == "C-B1031"
    assert info.RadionuclideCodeSequence[0].CodeMeaning == "^18^Fluorine"


def test_mr_and_us_have_no_dose_fields(tmp_path):
    images = read_all(make_mr_series(n_slices=3) + [make_us_image()], tmp_path)
    assert [d.Modality for d in images] == ["MR", "MR", "MR", "US"]
    assert len({d.SeriesInstanceUID for d in images[:3]}) == 1
    for ds in images:
        for keyword in ("CTDIvol", "ImageAndFluoroscopyAreaDoseProduct", "OrganDose"):
            assert keyword not in ds


def test_philips_dose_screen(tmp_path):
    events = [dict(ctdivol=1.5, dlp=30.0), dict(ctdivol=11.0, dlp=420.5)]
    (ds,) = read_all([make_philips_dose_screen(PatientSpec(patient_id="PH"), study_uid="1.2.3.9",
                                               events=events)], tmp_path)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.7" and ds.Modality == "CT"
    assert "DOSE_INFO" in ds.ImageType and ds.SeriesDescription == "Dose Info"
    assert ds.StudyInstanceUID == "1.2.3.9"
    assert ds[0x00E1, 0x0010].value == "ELSCINT1"
    assert float(ds[0x00E1, 0x1021].value) == pytest.approx(450.5)
    items = ds.ExposureDoseSequence
    assert [float(i.CTDIvol) for i in items] == [1.5, 11.0]
    assert [float(i[0x00E1, 0x1021].value) for i in items] == [30.0, 420.5]
    assert all(i[0x00E1, 0x0010].value == "ELSCINT1" for i in items)
