"""Dose engine on real vendor files (OpenREM 0.10.0 test corpus, never copied into the repo)."""
from __future__ import annotations

import pydicom
import pytest

from dosetrail.core.config import Settings
from dosetrail.core.dose.estimate import estimate_study
from dosetrail.core.dose.study import StudyDoseInput

extract = pytest.importorskip("dosetrail.core.dose.extract")
pytestmark = pytest.mark.corpus


def _records(openrem_dir, names):
    out = []
    for name in names:
        rec = extract.extract_dose(pydicom.dcmread(openrem_dir / name, stop_before_pixels=True))
        assert rec is not None, name
        out.append(rec)
    return out


def test_siemens_cumulative_reports_count_newest(openrem_dir):
    recs = _records(openrem_dir, [f"CT-RDSR-Siemens-Multi-{i}.dcm" for i in (1, 2, 3)])
    newest = max(recs, key=lambda r: r.content_datetime)
    est = estimate_study(StudyDoseInput("x", None, ["SR"], description="Thorax", records=recs), Settings())
    assert est.dose.ct_dlp_mgycm == pytest.approx(newest.ct_dlp_total_mgycm)
    assert est.dose.ct_irradiation_events == len(newest.ct_events)
    naive = sum(r.ct_dlp_total_mgycm for r in recs)
    assert est.dose.ct_dlp_mgycm < naive


def test_siemens_continued_reports_merge(openrem_dir):
    recs = _records(openrem_dir, [f"CT-RDSR-Siemens-Continued-{i}.dcm" for i in (1, 2)])
    est = estimate_study(StudyDoseInput("x", None, ["SR"], records=recs), Settings())
    assert est.dose.ct_dlp_mgycm == pytest.approx(sum(r.ct_dlp_total_mgycm for r in recs))
    assert est.body_region == "chest"
    assert est.effective_dose_msv == pytest.approx(0.014 * est.dose.ct_dlp_mgycm)


def test_a_minor_alignment_event_does_not_decide_the_study_region(openrem_dir):
    # 8 cardiac scans and one 30 mGy·cm laser alignment coded Abdomen: a cardiac CT, not chest-abdomen-pelvis
    (rec,) = _records(openrem_dir, ["CT-RDSR-Siemens_Flash-QA-DS.dcm"])
    est = estimate_study(StudyDoseInput("x", None, ["SR"], records=[rec]), Settings())
    assert est.body_region == "cardiac"
    assert not any("chest-abdomen-pelvis" in w for w in est.warnings)
    assert any("no k-factor for cardiac CT" in w for w in est.warnings)


def test_ge_mammography_processing_and_presentation_once(openrem_dir):
    names = ["MG-Im-GE_Seno_1_ForPresentation.dcm", "MG-Im-GE_Seno_1_ForProcessing.dcm",
             "MG-Im-GE_Seno_2_ForPresentation.dcm"]
    recs = _records(openrem_dir, names)
    distinct = recs[0].image.organ_dose_mgy + recs[2].image.organ_dose_mgy
    est = estimate_study(StudyDoseInput("x", None, ["MG"], records=recs + recs[:1]), Settings())
    assert est.dose.agd_mgy == pytest.approx(distinct)
    assert est.effective_dose_msv == pytest.approx(0.12 * distinct / 2)
