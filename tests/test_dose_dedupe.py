"""Count each irradiation once: cumulative/split reports, reconstructions, MG copies, NM administrations."""
from __future__ import annotations

import pytest

from dosetrail.core.config import Settings
from dosetrail.core.dose.dedupe import (canonical_records, distinct_administrations, distinct_exposures,
                                        merge_ct_reports, merge_projection_reports)
from dosetrail.core.dose.estimate import estimate_study
from dosetrail.core.dose.records import (Accumulation, Administration, Code, CTEvent, DoseRecord, ImageDose,
                                         ProjectionEvent)
from dosetrail.core.dose.study import StudyDoseInput

CHEST = Code("T-D3000", "SRT", "Chest")


def ct_report(sop, when, events, total=None):
    return DoseRecord("RDSR", "ct", sop_instance_uid=sop, content_datetime=when, ct_events=events,
                      ct_dlp_total_mgycm=total)


def ev(uid, dlp, ctdi=10.0, when=None):
    return CTEvent(event_uid=uid, ctdivol_mgy=ctdi, dlp_mgycm=dlp, target_region=CHEST, datetime=when)


def test_cumulative_reports_keep_newest_copy_of_each_event():
    first = ct_report("1", "2021-05-01T10:00:00", [ev("a", 100), ev("b", 200)], total=300)
    second = ct_report("2", "2021-05-01T10:20:00", [ev("a", 100), ev("b", 210), ev("c", 300)], total=610)
    merged = merge_ct_reports([second, first])
    assert sorted(e.event_uid for e in merged.events) == ["a", "b", "c"]
    assert merged.dlp_total_mgycm == pytest.approx(610.0)  # b from the newest report
    assert merge_ct_reports([first, second]).dlp_total_mgycm == pytest.approx(610.0)


def test_split_reports_merge_disjoint_events():
    part1 = ct_report("1", "2021-05-01T10:00:00", [ev("a", 100), ev("b", 200)])
    part2 = ct_report("2", "2021-05-01T10:30:00", [ev("c", 400)])
    merged = merge_ct_reports([part1, part2])
    assert len(merged.events) == 3
    assert merged.dlp_total_mgycm == pytest.approx(700.0)


def test_events_without_uid_keyed_by_time_ctdi_dlp():
    a1 = ev(None, 100, when="2021-05-01T10:01:00")
    a2 = ev(None, 100, when="2021-05-01T10:01:00")  # a second identical event in the same report
    b = ev(None, 250, when="2021-05-01T10:05:00")
    first = ct_report("1", "2021-05-01T10:06:00", [a1, a2])
    cumulative = ct_report("2", "2021-05-01T10:10:00", [a1, a2, b])
    merged = merge_ct_reports([first, cumulative])
    assert len(merged.events) == 3
    assert merged.dlp_total_mgycm == pytest.approx(450.0)


def test_totals_only_reports_use_newest_total():
    old = ct_report("1", "2021-05-01T10:00:00", [], total=300)
    new = ct_report("2", "2021-05-01T10:30:00", [], total=500)
    merged = merge_ct_reports([new, old])
    assert merged.totals_only and merged.dlp_total_mgycm == 500
    assert merged.warnings


def test_same_sop_instance_counts_once():
    rec = ct_report("1.2.9", "2021-05-01T10:00:00", [ev("a", 100)])
    copy = ct_report("1.2.9", "2021-05-01T10:00:00", [ev("a", 100)])
    assert len(canonical_records([rec, copy])) == 1


def test_study_estimate_from_cumulative_siemens_style_reports():
    first = ct_report("1", "2021-05-01T10:00:00", [ev("a", 100), ev("b", 200)])
    second = ct_report("2", "2021-05-01T10:20:00", [ev("a", 100), ev("b", 200), ev("c", 300)])
    inp = StudyDoseInput("1.2", "2021-05-01", ["CT", "SR"], age_years=50, records=[first, second])
    est = estimate_study(inp, Settings())
    assert est.dose.ct_dlp_mgycm == pytest.approx(600.0)
    assert est.dose.ct_irradiation_events == 3


def pev(uid, dap, plane=None, when=None):
    return ProjectionEvent(event_uid=uid, dap_gycm2=dap, plane=plane, datetime=when)


def test_projection_events_by_uid_and_accumulations_newest_per_plane():
    older = DoseRecord("RDSR", "projection", sop_instance_uid="1", content_datetime="2021-01-01T09:00:00",
                       report_modality="XA", projection_events=[pev("x1", 10.0, "A")],
                       accumulations=[Accumulation(plane="A", dap_total_gycm2=10.0)])
    newer = DoseRecord("RDSR", "projection", sop_instance_uid="2", content_datetime="2021-01-01T09:30:00",
                       report_modality="XA", projection_events=[pev("x1", 10.0, "A"), pev("x2", 5.0, "B")],
                       accumulations=[Accumulation(plane="A", dap_total_gycm2=10.0),
                                      Accumulation(plane="B", dap_total_gycm2=5.0)])
    merged = merge_projection_reports([older, newer])
    assert merged.dap_total_gycm2 == pytest.approx(15.0)
    only_acc = [DoseRecord("RDSR", "projection", sop_instance_uid=r.sop_instance_uid,
                           content_datetime=r.content_datetime, accumulations=r.accumulations)
                for r in (older, newer)]
    assert merge_projection_reports(only_acc).dap_total_gycm2 == pytest.approx(15.0)


def test_projection_events_missing_dap_fall_back_to_accumulation():
    rep = DoseRecord("RDSR", "projection", sop_instance_uid="1", report_modality="RF",
                     projection_events=[pev("x1", 2.0), pev("x2", None)],
                     accumulations=[Accumulation(plane="A", dap_total_gycm2=7.5)])
    assert merge_projection_reports([rep]).dap_total_gycm2 == pytest.approx(7.5)
    rep.accumulations = []
    assert merge_projection_reports([rep]).dap_total_gycm2 == pytest.approx(2.0)


def mg_image(sop, lat, view, when, agd, intent):
    return DoseRecord("image-header", "projection", sop_instance_uid=sop, report_modality="MG",
                      image=ImageDose(laterality=lat, view=view, acquisition_datetime=when, organ_dose_mgy=agd,
                                      presentation_intent=intent))


def test_mg_processing_and_presentation_count_once():
    recs = []
    for i, (lat, view) in enumerate([("L", "CC"), ("L", "MLO"), ("R", "CC"), ("R", "MLO")]):
        when = f"2021-03-01T10:0{i}:00"
        recs.append(mg_image(f"p{i}", lat, view, when, 1.2, "FOR PROCESSING"))
        recs.append(mg_image(f"q{i}", lat, view, when, 1.2, "FOR PRESENTATION"))
    images = distinct_exposures([r.image for r in recs], lambda i: i.organ_dose_mgy)
    assert len(images) == 4
    est = estimate_study(StudyDoseInput("1.3", "2021-03-01", ["MG"], records=recs), Settings())
    assert est.dose.agd_mgy == pytest.approx(4 * 1.2)
    assert est.effective_dose_msv == pytest.approx(0.12 * 4 * 1.2 / 2)


def test_mg_same_dose_close_time_without_view_counts_once():
    a = ImageDose(laterality="L", acquisition_datetime="2021-03-01T10:00:00", organ_dose_mgy=1.5,
                  presentation_intent="FOR PROCESSING")
    b = ImageDose(laterality="L", acquisition_datetime="2021-03-01T10:00:04", organ_dose_mgy=1.5,
                  presentation_intent="FOR PRESENTATION")
    c = ImageDose(laterality="L", acquisition_datetime="2021-03-01T10:03:00", organ_dose_mgy=1.5)
    assert len(distinct_exposures([a, b, c], lambda i: i.organ_dose_mgy)) == 2


def test_nm_activity_once_per_administration():
    fdg = Code("C-B1031", "SRT", "Fluorodeoxyglucose F^18^")
    recs = [DoseRecord("image-header", "nm", sop_instance_uid=f"pt{i}", report_modality="PT",
                       administrations=[Administration(activity_mbq=350.0, radiopharmaceutical="FDG",
                                                       radiopharmaceutical_code=fdg if i % 2 else None,
                                                       start_datetime="2021-02-02T08:00:00")])
            for i in range(6)]
    est = estimate_study(StudyDoseInput("1.4", "2021-02-02", ["PT", "CT"], description="PET TAC",
                                        records=recs), Settings())
    assert est.dose.administered_activity_mbq == pytest.approx(350.0)
    nm = next(p for p in est.parts if p.modality == "PT")
    assert nm.effective_dose_msv == pytest.approx(350.0 * 0.019)


def test_distinct_administrations_keeps_separate_injections():
    a = Administration(activity_mbq=740.0, radiopharmaceutical="MDP", start_datetime="2021-02-02T08:00:00")
    b = Administration(activity_mbq=740.0, radiopharmaceutical="MDP", start_datetime="2021-02-03T08:00:00")
    assert len(distinct_administrations([a, b, a], lambda x: x.radiopharmaceutical)) == 2
