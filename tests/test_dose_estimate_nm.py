"""NM/PET: activity x coefficient, recognition by code and name, PET/CT sum."""
from __future__ import annotations

import pytest

from dosetrail.core.config import Settings
from dosetrail.core.dose import factors
from dosetrail.core.dose.estimate import estimate_study
from dosetrail.core.dose.estimate_nm import identify
from dosetrail.core.dose.records import Administration, Code, CTEvent, DoseRecord
from dosetrail.core.dose.study import StudyDoseInput


def coef(name):
    return factors.nm_coefficient(name).msv_per_mbq


@pytest.mark.parametrize("text,expected", [
    ("FDG", "F-18 FDG (fludeoxyglucose)"), ("Fludeoxyglucose", "F-18 FDG (fludeoxyglucose)"),
    ("18F-FDG", "F-18 FDG (fludeoxyglucose)"), ("F18 FDG", "F-18 FDG (fludeoxyglucose)"),
    ("Fluorodeoxyglucose F^18^", "F-18 FDG (fludeoxyglucose)"),
    ("Tc99m MDP", "Tc-99m MDP / HDP (bone)"), ("HDP", "Tc-99m MDP / HDP (bone)"),
    ("Ga68-DOTATATE", "Ga-68 DOTATATE"), ("68Ga-PSMA-11", "Ga-68 PSMA-11"), ("PSMA", "Ga-68 PSMA-11"),
    ("18F-DCFPyL", "F-18 DCFPyL (piflufolastat)"), ("Rb-82", "Rb-82 chloride"),
    ("Tc-99m Sestamibi", "Tc-99m sestamibi (rest)"), ("NaF", "F-18 sodium fluoride"),
    ("Tc99m DPD", "Tc-99m DPD (bone)"), ("DPD", "Tc-99m DPD (bone)"),
    ("Technetium Tc-99m 3,3-diphosphono-1,2-propanodicarboxylic acid", "Tc-99m DPD (bone)"),
    ("99mTc-Teceos", "Tc-99m DPD (bone)"), ("Tc-99m HMDP", "Tc-99m MDP / HDP (bone)"),
])
def test_radiopharmaceutical_recognised_by_name(text, expected):
    assert identify(Administration(activity_mbq=100.0, radiopharmaceutical=text)).radiopharmaceutical == expected


@pytest.mark.parametrize("code,expected", [
    (Code("C-B1031", "SRT"), "F-18 FDG (fludeoxyglucose)"), (Code("C-B1031", "99SDM"), "F-18 FDG (fludeoxyglucose)"),
    (Code("35321007", "SCT"), "F-18 FDG (fludeoxyglucose)"), (Code("C-B1218", "SRT"), "Tc-99m MDP / HDP (bone)"),
    (Code("129503007", "SCT"), "Rb-82 chloride"), (Code("C-B1032", "SNM3"), "F-18 sodium fluoride"),
])
def test_radiopharmaceutical_recognised_by_code(code, expected):
    assert identify(Administration(radiopharmaceutical_code=code)).radiopharmaceutical == expected


def test_dpd_is_named_dpd_with_the_phosphonate_coefficient():
    est = estimate_study(StudyDoseInput("1", "2021-02-02", ["NM"], records=[
        nm_record(Administration(activity_mbq=700.0, radiopharmaceutical="Tc99m DPD"), "image-header")]), Settings())
    assert est.dose.radiopharmaceutical == "Tc-99m DPD (bone)"
    assert "MDP" not in est.dose.radiopharmaceutical and "HDP" not in est.dose.radiopharmaceutical
    assert est.effective_dose_msv == pytest.approx(700.0 * coef("Tc-99m MDP / HDP (bone)"))
    assert any("Tc-99m DPD (bone)" in w and "'check'" in w for w in est.warnings)


def test_nuclide_contradiction_is_not_recognised():
    assert identify(Administration(radiopharmaceutical="18F-PSMA-1007")) is None


def nm_record(adm, source="RRDSR", sop="r1"):
    return DoseRecord(source, "nm", sop_instance_uid=sop, administrations=[adm])


def test_rrdsr_fdg_with_reported_dose_beside():
    adm = Administration(activity_mbq=394.0, radiopharmaceutical="Fluorodeoxyglucose F^18^",
                         radiopharmaceutical_code=Code("C-B1031", "SRT"), reported_effective_dose_msv=7.486,
                         start_datetime="2021-02-02T08:00:00")
    header = Administration(activity_mbq=394.0, radiopharmaceutical="FDG", start_datetime="2021-02-02T08:00:00")
    est = estimate_study(StudyDoseInput("1", "2021-02-02", ["PT"], records=[
        nm_record(adm), nm_record(header, "image-header", "img1")]), Settings())
    assert est.effective_dose_msv == pytest.approx(394.0 * coef("F-18 FDG (fludeoxyglucose)"))
    assert est.reported_effective_dose_msv == pytest.approx(7.486)
    assert est.sources == ["RRDSR"]
    assert est.method == "activity x coefficient"
    assert est.dose.radiopharmaceutical == "F-18 FDG (fludeoxyglucose)"
    assert est.effective_dose_range_msv == pytest.approx((est.effective_dose_msv * 0.5,
                                                          est.effective_dose_msv * 1.5))


def test_unknown_radiopharmaceutical_stays_null_with_warning():
    adm = Administration(activity_mbq=200.0, radiopharmaceutical="Xyzzy-99")
    est = estimate_study(StudyDoseInput("1", "2021", ["NM"], records=[nm_record(adm, "image-header")]),
                         Settings())
    assert est.ionising is True and est.effective_dose_msv is None
    assert est.dose.administered_activity_mbq == 200.0
    assert any("'Xyzzy-99' not recognised" in w for w in est.warnings)


@pytest.mark.parametrize("name,needle", [("Rb-82 chloride", "2.7x"), ("I-131 sodium iodide", "400 times")])
def test_csv_notes_become_warnings(name, needle):
    est = estimate_study(StudyDoseInput("1", "2021", ["NM"], records=[
        nm_record(Administration(activity_mbq=100.0, radiopharmaceutical=name), "image-header")]), Settings())
    assert est.effective_dose_msv is not None
    (note,) = [w for w in est.warnings if needle in w]
    assert not note.rstrip(". ").lower().endswith("warn")  # the data file's "; warn" marker is not shown


def test_activity_outside_range_warns_but_is_kept():
    est = estimate_study(StudyDoseInput("1", "2021", ["NM"], records=[
        nm_record(Administration(activity_mbq=7.4e8, radiopharmaceutical="MDP"), "image-header")]), Settings())
    assert est.dose.administered_activity_mbq == 7.4e8
    assert any("outside the plausible range 1-15000 MBq" in w for w in est.warnings)


def test_pet_ct_sums_parts_and_ranges():
    ct = DoseRecord("RDSR", "ct", sop_instance_uid="ct", ct_events=[
        CTEvent("e1", 4.0, 600.0, target_region=Code("T-D0010", "SRT", "Entire body"))])
    pet = nm_record(Administration(activity_mbq=300.0, radiopharmaceutical="FDG"), "RRDSR")
    est = estimate_study(StudyDoseInput("1", "2021", ["PT", "CT", "SR"], age_years=60, records=[ct, pet]),
                         Settings())
    ct_part = next(p for p in est.parts if p.modality == "CT")
    pt_part = next(p for p in est.parts if p.modality == "PT")
    k = factors.k_factor("AAPM-96", "chest-abdomen-pelvis", 60).value
    assert ct_part.effective_dose_msv == pytest.approx(k * 600.0)
    assert pt_part.effective_dose_msv == pytest.approx(300.0 * 0.019)
    assert est.effective_dose_msv == pytest.approx(k * 600.0 + 300.0 * 0.019)
    assert est.effective_dose_range_msv == pytest.approx(
        (ct_part.range_msv[0] + pt_part.range_msv[0], ct_part.range_msv[1] + pt_part.range_msv[1]))
    assert est.sources == ["RDSR", "RRDSR"]
    assert "CT: k-factor x DLP" in est.method and "PT: activity x coefficient" in est.method


def test_pet_ct_with_unknown_part_is_null_not_partial():
    pet = nm_record(Administration(activity_mbq=300.0, radiopharmaceutical="FDG"), "RRDSR")
    est = estimate_study(StudyDoseInput("1", "2021", ["PT", "CT"], records=[pet]), Settings())
    assert est.effective_dose_msv is None
    assert next(p for p in est.parts if p.modality == "PT").effective_dose_msv is not None
