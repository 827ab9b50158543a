"""estimate_study is deterministic and independent of record order and duplicates (hypothesis)."""
from __future__ import annotations

import copy
import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from dosetrail.core.config import Settings
from dosetrail.core.dose.estimate import estimate_study
from dosetrail.core.dose.records import (Accumulation, Administration, Code, CTEvent, DoseRecord, ImageDose,
                                         ProjectionEvent)
from dosetrail.core.dose.study import StudyDoseInput

REGIONS = [Code("T-D3000", "SRT", "Chest"), Code("T-D1100", "SRT", "Head"), Code("T-D4000", "SRT", "Abdomen"),
           None]
small = st.floats(min_value=0.5, max_value=50.0, allow_nan=False)
dlps = st.floats(min_value=1.0, max_value=2000.0, allow_nan=False)
times = st.sampled_from([None, "2021-01-01T10:00:00", "2021-01-01T10:05:00", "2021-01-01T10:30:00"])

ct_events = st.builds(CTEvent, event_uid=st.sampled_from([None, "e1", "e2", "e3", "e4"]), ctdivol_mgy=small,
                      dlp_mgycm=st.one_of(st.none(), dlps), target_region=st.sampled_from(REGIONS),
                      phantom_cm=st.sampled_from([None, 16, 32]), datetime=times)
ct_reports = st.builds(DoseRecord, source=st.just("RDSR"), kind=st.just("ct"),
                       sop_instance_uid=st.sampled_from(["r1", "r2", "r3", "r4"]), content_datetime=times,
                       ct_events=st.lists(ct_events, max_size=4),
                       ct_dlp_total_mgycm=st.one_of(st.none(), dlps))
ct_images = st.builds(
    DoseRecord, source=st.just("image-header"), kind=st.just("ct"),
    sop_instance_uid=st.integers(0, 10**6).map(lambda i: f"i{i}"),
    image=st.builds(ImageDose, series_uid=st.sampled_from(["s1", "s2"]), acquisition_number=st.sampled_from([1, 2]),
                    frame_of_reference_uid=st.just("F"), ctdivol_mgy=st.sampled_from([10.0, 10.1, 14.0]),
                    position_mm=st.floats(-300, 0).map(lambda z: [0.0, 0.0, z]),
                    orientation=st.just([1.0, 0, 0, 0, 1.0, 0]), slice_thickness_mm=st.sampled_from([1.0, 5.0]),
                    acquisition_datetime=times))
admins = st.builds(Administration, activity_mbq=st.one_of(st.none(), st.floats(50, 800)),
                   radiopharmaceutical=st.sampled_from(["FDG", "Fludeoxyglucose", "MDP", "unknownium", None]),
                   start_datetime=times, reported_effective_dose_msv=st.one_of(st.none(), st.floats(0.1, 10)))
nm_records = st.builds(DoseRecord, source=st.sampled_from(["RRDSR", "image-header"]), kind=st.just("nm"),
                       sop_instance_uid=st.integers(0, 10**6).map(lambda i: f"n{i}"),
                       administrations=st.lists(admins, min_size=1, max_size=2))
mg_images = st.builds(
    DoseRecord, source=st.just("image-header"), kind=st.just("projection"), report_modality=st.just("MG"),
    sop_instance_uid=st.integers(0, 10**6).map(lambda i: f"m{i}"),
    image=st.builds(ImageDose, laterality=st.sampled_from(["L", "R"]), view=st.sampled_from(["CC", "MLO"]),
                    acquisition_datetime=times, organ_dose_mgy=st.sampled_from([None, 1.1, 1.3]),
                    presentation_intent=st.sampled_from(["FOR PROCESSING", "FOR PRESENTATION"])))
xa_reports = st.builds(
    DoseRecord, source=st.just("RDSR"), kind=st.just("projection"), report_modality=st.sampled_from(["XA", "RF"]),
    sop_instance_uid=st.sampled_from(["x1", "x2"]), content_datetime=times,
    projection_events=st.lists(st.builds(ProjectionEvent, event_uid=st.sampled_from([None, "p1", "p2"]),
                                         dap_gycm2=st.one_of(st.none(), small), plane=st.sampled_from([None, "A"])),
                               max_size=3),
    accumulations=st.lists(st.builds(Accumulation, plane=st.sampled_from(["A", "B"]),
                                     dap_total_gycm2=st.one_of(st.none(), small)), max_size=2))
records = st.lists(st.one_of(ct_reports, ct_images, nm_records, mg_images, xa_reports), max_size=8)
inputs = st.builds(StudyDoseInput, study_uid=st.just("1.2.3"), date=st.just("2021-01-01"),
                   modalities=st.lists(st.sampled_from(["CT", "PT", "NM", "MG", "XA", "RF", "SR", "MR"]),
                                       min_size=1, max_size=3, unique=True),
                   description=st.sampled_from([None, "TORAX ABDOMEN", "CORONARIOGRAFIA", "PET TAC", "ESTUDIO"]),
                   age_years=st.sampled_from([None, 6.0, 45.0]), records=records)


@settings(max_examples=60, deadline=None)
@given(inputs, st.randoms(use_true_random=False), st.sampled_from(["AAPM-96", "ICRP-103-NCI"]))
def test_order_and_duplicates_do_not_change_the_estimate(inp, rnd, factor_set):
    cfg = Settings(factor_set=factor_set)
    estimate = estimate_study(inp, cfg)
    reference = estimate.to_dict()
    assert reference == dataclasses.asdict(estimate)  # the fast to_dict gives what asdict gives
    assert estimate_study(copy.deepcopy(inp), cfg).to_dict() == reference  # deterministic
    shuffled = copy.deepcopy(inp)
    rnd.shuffle(shuffled.records)
    assert estimate_study(shuffled, cfg).to_dict() == reference
    if inp.records:
        duplicated = copy.deepcopy(inp)
        duplicated.records.append(copy.deepcopy(rnd.choice(inp.records)))
        rnd.shuffle(duplicated.records)
        assert estimate_study(duplicated, cfg).to_dict() == reference


@settings(max_examples=50, deadline=None)
@given(inputs)
def test_ionising_dose_is_never_a_silent_zero(inp):
    est = estimate_study(inp, Settings())
    if est.ionising and est.effective_dose_msv is not None and est.effective_dose_msv == 0.0:
        assert all(p.effective_dose_msv == 0.0 for p in est.parts)
        assert est.parts  # a zero comes from figures, never from missing data
    if est.effective_dose_msv is not None:
        lo, hi = est.effective_dose_range_msv
        assert lo <= est.effective_dose_msv <= hi


any_records = st.lists(st.builds(
    DoseRecord, source=st.sampled_from(["RDSR", "RRDSR", "dose-screen", "image-header", "other"]),
    kind=st.sampled_from(["ct", "projection", "nm", "??"]),
    report_modality=st.sampled_from([None, "CT", "MG", "DX", "RF", "XA", "NM", "PT", "ZZ"]),
    ct_events=st.lists(st.builds(CTEvent), max_size=3),
    projection_events=st.lists(st.builds(ProjectionEvent), max_size=3),
    accumulations=st.lists(st.builds(Accumulation), max_size=2),
    administrations=st.lists(st.builds(Administration), max_size=2),
    image=st.one_of(st.none(), st.builds(ImageDose)),
    target_region_codes=st.lists(st.builds(Code), max_size=2)), max_size=5)


@settings(max_examples=40, deadline=None)
@given(any_records, st.lists(st.text(max_size=4), max_size=3), st.one_of(st.none(), st.floats()),
       st.one_of(st.none(), st.text(max_size=30)))
def test_estimate_never_raises_on_odd_records(records_, modalities, age, description):
    inp = StudyDoseInput("1.2.3", None, modalities, description=description, age_years=age, records=records_)
    est = estimate_study(inp, Settings())
    assert est.ionising in (True, False, None)
    est.to_dict()
