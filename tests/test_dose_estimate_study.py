"""Study-level rules: ionising or not, unknown never zero, sources."""
from __future__ import annotations

import pytest

from dosetrail.core.config import Settings
from dosetrail.core.dose.estimate import estimate_study
from dosetrail.core.dose.records import Code, CTEvent, DoseRecord
from dosetrail.core.dose.study import StudyDoseInput, StudyEstimate


@pytest.mark.parametrize("modalities", [["MR"], ["US"], ["MR", "SR", "PR"], ["US", "KO"], ["ECG"]])
def test_non_ionising_is_zero(modalities):
    est = estimate_study(StudyDoseInput("1", "2020-01-01", modalities, description="RM RODILLA"), Settings())
    assert est.ionising is False
    assert est.effective_dose_msv == 0.0
    assert est.effective_dose_range_msv == (0.0, 0.0)
    assert est.method == "non-ionising"


@pytest.mark.parametrize("modalities", [["SR"], ["OT"], ["SR", "KO"], [], ["ZZ"]])
def test_documents_only_is_unknown(modalities):
    est = estimate_study(StudyDoseInput("1", "2020-01-01", modalities), Settings())
    assert est.ionising is None
    assert est.effective_dose_msv is None


def test_ionising_without_dose_data_is_null_never_zero():
    est = estimate_study(StudyDoseInput("1", "2020-01-01", ["CT"], description="ESTUDIO"), Settings())
    assert est.ionising is True
    assert est.effective_dose_msv is None
    assert est.effective_dose_range_msv is None
    assert est.sources == []
    assert est.parts[0].method == "not estimated"


def test_sr_only_study_with_ct_rdsr_is_ionising():
    rec = DoseRecord("RDSR", "ct", sop_instance_uid="1", ct_events=[
        CTEvent("e", 10.0, 200.0, target_region=Code("T-D3000", "SRT", "Chest"))])
    est = estimate_study(StudyDoseInput("1", "2020-01-01", ["SR"], age_years=30, records=[rec]), Settings())
    assert est.ionising is True
    assert est.effective_dose_msv is not None


def test_estimate_round_trips_through_dict():
    rec = DoseRecord("RDSR", "ct", sop_instance_uid="1", ct_events=[
        CTEvent("e", 10.0, 200.0, target_region=Code("T-D3000", "SRT", "Chest"))])
    est = estimate_study(StudyDoseInput("1", "2020-01-01", ["CT"], age_years=30, records=[rec]), Settings())
    again = StudyEstimate.from_dict(est.to_dict())
    assert again.effective_dose_msv == est.effective_dose_msv
    assert again.reference_levels == est.reference_levels
    assert again.parts[0].range_msv == est.parts[0].range_msv


def test_record_warnings_are_carried_to_the_study():
    rec = DoseRecord("RDSR", "ct", sop_instance_uid="1", warnings=["DLP unit guessed as mGy.cm"],
                     ct_events=[CTEvent("e", 10.0, 200.0, target_region=Code("T-D3000", "SRT", "Chest"))])
    est = estimate_study(StudyDoseInput("1", "2020-01-01", ["CT"], age_years=30, records=[rec]), Settings())
    assert "DLP unit guessed as mGy.cm" in est.warnings
