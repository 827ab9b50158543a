"""Dose extraction from image headers and dose screens, built inline with pydicom.

Header units are fixed by the standard: (0018,115E) dGy·cm², (0040,0316) and
(0040,0302) dGy, (0040,8302) mGy, (0018,1150) ms, (0018,1074) Bq (but some NM
vendors write MBq there).
"""
from __future__ import annotations

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from dosetrail.core.dose.extract import extract_dose

A = pytest.approx


def code(value: str, scheme: str = "DCM", meaning: str = "") -> Dataset:
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning or value
    return item


# ---- image headers ---------------------------------------------------------------------

def image(modality: str, sop: str, **attrs) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = sop
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = modality
    for key, value in attrs.items():
        setattr(ds, key, value)
    return ds


def test_nm_header_mbq_written_in_bq_field():
    item = Dataset()
    item.RadionuclideTotalDose = "764"
    item.Radiopharmaceutical = "Tc99m MDP"
    item.RadiopharmaceuticalStartTime = "083000"
    item.RadionuclideHalfLife = "21624"
    item.RadionuclideCodeSequence = Sequence([code("C-163A8", "SRT", "^99m^Technetium")])
    record = extract_dose(image("NM", "1.2.840.10008.5.1.4.1.1.20", SeriesDate="20240105",
                                RadiopharmaceuticalInformationSequence=Sequence([item])))
    a = record.administrations[0]
    assert record.kind == "nm" and record.source == "image-header"
    assert a.activity_mbq == A(764.0)
    assert any("MBq" in w for w in record.warnings)
    assert a.nuclide == "Tc-99m" and a.radiopharmaceutical == "Tc99m MDP"
    assert a.start_datetime == "2024-01-05T08:30:00"
    assert a.half_life_s == A(21624.0)


def test_pet_header_bq_is_converted():
    item = Dataset()
    item.RadionuclideTotalDose = "3.7e8"
    item.RadiopharmaceuticalStartDateTime = "20240105101500"
    record = extract_dose(image("PT", "1.2.840.10008.5.1.4.1.1.128",
                                RadiopharmaceuticalInformationSequence=Sequence([item])))
    assert record.administrations[0].activity_mbq == A(370.0)
    assert not record.warnings


def test_dx_header_dap_dgycm2_to_gycm2():
    record = extract_dose(image("DX", "1.2.840.10008.5.1.4.1.1.1.1", ImageAndFluoroscopyAreaDoseProduct="2.5",
                                EntranceDose=3, ExposureTime="40", ViewPosition="PA",
                                BodyPartExamined="CHEST"))
    img = record.image
    assert (record.kind, record.source, record.report_modality) == ("projection", "image-header", "DX")
    assert img.dap_gycm2 == A(0.25)
    assert img.entrance_dose_mgy == A(300.0)
    assert img.exposure_time_s == A(0.04)
    assert (img.view, img.body_part, img.presentation_intent) == ("PA", "CHEST", "FOR PRESENTATION")


@pytest.mark.parametrize("sop, intent", [("1.2.840.10008.5.1.4.1.1.1.2.1", "FOR PROCESSING"),
                                         ("1.2.840.10008.5.1.4.1.1.1.2", "FOR PRESENTATION")])
def test_mg_header_processing_and_presentation(sop, intent):
    record = extract_dose(image("MG", sop, OrganDose="0.0121", EntranceDoseInmGy="4.5", BodyPartThickness="52",
                                ImageLaterality="R",
                                ViewCodeSequence=Sequence([code("R-10242", "SRT", "cranio-caudal")])))
    img = record.image
    assert img.organ_dose_mgy == A(1.21)
    assert img.entrance_dose_mgy == A(4.5)
    assert img.compressed_thickness_mm == A(52.0)
    assert (img.laterality, img.view, img.presentation_intent) == ("R", "CC", intent)


def test_ct_header_and_localizer():
    record = extract_dose(image("CT", "1.2.840.10008.5.1.4.1.1.2", CTDIvol=12.5, ImageType=["ORIGINAL", "PRIMARY",
                                "LOCALIZER"], ImagePositionPatient=["-250", "-250", "-100.5"],
                                ImageOrientationPatient=["1", "0", "0", "0", "1", "0"], SliceThickness="5",
                                AcquisitionDate="20240101", AcquisitionTime="101010", KVP="120",
                                CTDIPhantomTypeCodeSequence=Sequence([code("113691")])))
    img = record.image
    assert (record.kind, record.report_modality) == ("ct", "CT")
    assert img.ctdivol_mgy == A(12.5)
    assert "LOCALIZER" in img.image_type
    assert img.position_mm == A([-250.0, -250.0, -100.5])
    assert img.acquisition_datetime == "2024-01-01T10:10:10"
    assert img.phantom_cm == 32 and img.kvp == A(120.0)


def test_enhanced_ct_per_frame_ctdivol():
    frames = []
    for value in (10.0, 14.0):
        exposure = Dataset()
        exposure.CTDIvol = value
        group = Dataset()
        group.CTExposureSequence = Sequence([exposure])
        frames.append(group)
    record = extract_dose(image("CT", "1.2.840.10008.5.1.4.1.1.2.1",
                                PerFrameFunctionalGroupsSequence=Sequence(frames)))
    assert record.image.ctdivol_mgy == A(12.0)
    assert any("frames" in w for w in record.warnings)


# ---- dose screens ----------------------------------------------------------------------

def _screen_item(ctdivol: float, dlp: str, creator: str = "ELSCINT1") -> Dataset:
    item = Dataset()
    item.CTDIvol = ctdivol
    item.AcquisitionType = "SPIRAL"
    item.ScanLength = "400"
    block = item.private_block(0x00E1, creator, create=True)
    block.add_new(0x21, "DS", dlp)
    return item


def test_dose_screen_total_from_comments_when_no_private_total():
    ds = image("CT", "1.2.840.10008.5.1.4.1.1.7", ExposureDoseSequence=Sequence([_screen_item(8.0, "320.5")]),
               CommentsOnRadiationDose="Series #2 Average CTDIvol=8.0 DLP=320.5\r\nTotal DLP=320.5")
    record = extract_dose(ds)
    assert (record.source, record.kind) == ("dose-screen", "ct")
    assert record.ct_events[0].dlp_mgycm == A(320.5)
    assert record.ct_events[0].scanning_length_mm == A(400.0)
    assert record.ct_dlp_total_mgycm == A(320.5)


def test_dose_screen_checks_the_private_creator():
    ds = image("CT", "1.2.840.10008.5.1.4.1.1.7",
               ExposureDoseSequence=Sequence([_screen_item(8.0, "320.5", creator="OTHERVENDOR")]))
    record = extract_dose(ds)
    assert record.ct_events[0].ctdivol_mgy == A(8.0)
    assert record.ct_events[0].dlp_mgycm is None
    assert record.ct_dlp_total_mgycm is None


# ---- pydicom's own test files ----------------------------------------------------------

def _testdata(name: str) -> Dataset:
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"pydicom test file {name} not installed")
    return pydicom.dcmread(path, stop_before_pixels=True)


def test_pydicom_ct_small_header():
    record = extract_dose(_testdata("CT_small.dcm"))
    assert (record.kind, record.source) == ("ct", "image-header")
    img = record.image
    assert img.ctdivol_mgy is None  # the header has no CTDIvol: unknown, not 0
    assert img.position_mm == A([-158.135803, -179.035797, -75.699997])
    assert img.slice_thickness_mm == A(5.0) and img.kvp == A(120.0)
    assert img.acquisition_datetime == "1997-04-30T11:29:36"
    assert record.device == "GE MEDICAL SYSTEMS RHAPSODE"


@pytest.mark.parametrize("name", ["MR_small_bigendian.dcm", "MR_small_implicit.dcm", "ExplVR_BigEnd.dcm",
                                  "badVR.dcm"])
def test_pydicom_files_without_imaging_dose(name):
    assert extract_dose(_testdata(name)) is None
