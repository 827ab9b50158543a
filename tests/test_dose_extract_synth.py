"""Dose extraction reads back what the shared synthetic generators (tests/synth) write.

These objects are what the import and estimate tests feed the engine, so the
extractor and the generators must agree on codes, units and structure. Every
dataset is written to bytes and read back as the importer would.
"""
from __future__ import annotations

import io

import pydicom
import pytest

from dosetrail.core.dose.extract import extract_dose

synth = pytest.importorskip("synth")

A = pytest.approx


def reread(ds):
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    buf.seek(0)
    return pydicom.dcmread(buf, stop_before_pixels=True)


@pytest.mark.parametrize("implicit, big_endian", [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("unit", ["mGy.cm", "mGycm"])
def test_ct_rdsr(implicit, big_endian, unit):
    events = synth.ct_events(3, ctdivol=12.0, length_mm=250.0)
    record = extract_dose(reread(synth.make_ct_rdsr(events=events, unit_dlp=unit, implicit=implicit,
                                                    big_endian=big_endian)))
    assert (record.kind, record.source, record.report_modality) == ("ct", "RDSR", "CT")
    assert [e.event_uid for e in record.ct_events] == [e["event_uid"] for e in events]
    assert [e.ctdivol_mgy for e in record.ct_events] == A([12.0] * 3)
    assert [e.dlp_mgycm for e in record.ct_events] == A([300.0] * 3)
    assert record.ct_dlp_total_mgycm == A(900.0)
    assert all(e.phantom_cm == 32 and e.acquisition_type == "spiral" for e in record.ct_events)


def test_ct_rdsr_as_enhanced_sr_and_localizer_without_dose():
    events = [dict(ctdivol=None, dlp=None, length_mm=500.0, acquisition_type="localizer", phantom=None),
              dict(ctdivol=8.0, dlp=240.0, length_mm=300.0, acquisition_type="sequenced", phantom="16")]
    record = extract_dose(reread(synth.make_ct_rdsr(events=events, sop_class=synth.ENHANCED_SR)))
    first, second = record.ct_events
    assert (first.acquisition_type, first.ctdivol_mgy, first.dlp_mgycm) == ("localizer", None, None)
    assert (second.acquisition_type, second.phantom_cm, second.dlp_mgycm) == ("sequenced", 16, A(240.0))


def test_cumulative_reports_share_event_uids():
    first, second = synth.make_cumulative_ct_rdsrs(first_n=1)
    r1, r2 = extract_dose(reread(first)), extract_dose(reread(second))
    assert [e.event_uid for e in r2.ct_events][: len(r1.ct_events)] == [e.event_uid for e in r1.ct_events]
    assert r1.content_datetime < r2.content_datetime


@pytest.mark.parametrize("dap_unit", ["Gy.m2", "Gym2", "dGy.cm2", "Gy.cm2", "mGy.cm2"])
def test_projection_rdsr_dap_units(dap_unit):
    events = [dict(dap_gycm2=0.8, irradiation_type="fluoroscopy"), dict(dap_gycm2=0.4, irradiation_type="acquisition")]
    record = extract_dose(reread(synth.make_projection_rdsr(kind="RF", events=events, dap_unit=dap_unit,
                                                            dose_rp_unit="mGy")))
    assert record.kind == "projection" and record.report_modality == "RF"
    assert [e.dap_gycm2 for e in record.projection_events] == A([0.8, 0.4])
    assert record.accumulations[0].dap_total_gycm2 == A(1.2)
    assert record.projection_events[0].irradiation_type == "fluoroscopy"


def test_projection_rdsr_mammography():
    events = [dict(agd_mgy=1.2, laterality="L", view="CC"), dict(agd_mgy=1.5, laterality="R", view="MLO")]
    record = extract_dose(reread(synth.make_projection_rdsr(kind="MG", events=events)))
    assert record.report_modality == "MG"
    assert [(e.agd_mgy, e.laterality, e.view) for e in record.projection_events] == [
        (A(1.2), "L", "CC"), (A(1.5), "R", "MLO")]
    assert record.accumulations[0].agd_by_laterality_mgy == A({"L": 1.2, "R": 1.5})


def test_projection_rdsr_dx():
    record = extract_dose(reread(synth.make_projection_rdsr(kind="DX")))
    assert record.report_modality == "DX"
    assert record.projection_events[0].dap_gycm2 == A(0.12)


@pytest.mark.parametrize("private", [False, True])
def test_rrdsr(private):
    record = extract_dose(reread(synth.make_rrdsr(activity_mbq=185.0, effective_dose_msv=3.5,
                                                  effective_dose_in_private_container=private)))
    assert (record.kind, record.source) == ("nm", "RRDSR")
    a = record.administrations[0]
    assert a.activity_mbq == A(185.0)
    assert a.reported_effective_dose_msv == A(3.5)
    assert a.nuclide == "F-18"


def test_dx_and_mg_images():
    dx = extract_dose(reread(synth.make_dx_image(dap_dgycm2=1.2, pixels=False)))
    assert dx.image.dap_gycm2 == A(0.12)
    for intent in ("FOR PROCESSING", "FOR PRESENTATION"):
        mg = extract_dose(reread(synth.make_mg_image(organ_dose_dgy=0.012, presentation_intent=intent,
                                                     laterality="R", view="MLO", pixels=False)))
        assert mg.image.organ_dose_mgy == A(1.2)
        assert (mg.image.presentation_intent, mg.image.laterality, mg.image.view) == (intent, "R", "MLO")


@pytest.mark.parametrize("in_mbq_field", [False, True])
def test_nm_and_pet_headers(in_mbq_field):
    nm = synth.make_nm_image(activity_bq=740e6, activity_in_mbq_field=in_mbq_field, pixels=False)
    nm = extract_dose(reread(nm[0] if isinstance(nm, list) else nm))
    assert nm.administrations[0].activity_mbq == A(740.0)
    assert any("MBq" in w for w in nm.warnings) == in_mbq_field
    pet = synth.make_pt_series(activity_bq=370e6, activity_in_mbq_field=in_mbq_field, n_slices=1, pixels=False)
    pet = pet[0] if isinstance(pet, list) else pet
    assert extract_dose(reread(pet)).administrations[0].activity_mbq == A(370.0)


def test_philips_dose_screen():
    events = [dict(ctdivol=7.2, dlp=196.0), dict(ctdivol=11.3, dlp=248.6)]
    record = extract_dose(reread(synth.make_philips_dose_screen(events=events, total_dlp=444.6, pixels=False)))
    assert record.source == "dose-screen"
    assert [e.dlp_mgycm for e in record.ct_events] == A([196.0, 248.6])
    assert record.ct_dlp_total_mgycm == A(444.6)


def test_ct_image_and_non_ionising_images():
    series = synth.make_ct_series(n_slices=2, ctdivol=9.5, pixels=False)
    first = series[0] if isinstance(series, list) else series
    record = extract_dose(reread(first))
    assert record.source == "image-header" and record.image.ctdivol_mgy == A(9.5)
    for maker in (synth.make_mr_series, synth.make_us_image):
        made = maker(pixels=False)
        made = made[0] if isinstance(made, list) else made
        assert extract_dose(reread(made)) is None
