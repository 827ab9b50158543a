"""k-factors and other reference figures pinned to their published values.

A change of any figure below must be a deliberate correction of the data
file together with this test (``check`` values included).
"""
from __future__ import annotations

import csv

import pytest

from dosetrail.core.config import Settings
from dosetrail.core.dose import factors
from dosetrail.core.dose.estimate import estimate_study
from dosetrail.core.dose.records import Code, CTEvent, DoseRecord
from dosetrail.core.dose.study import StudyDoseInput

# (factor set, region, column) -> published value (AAPM Report 96 / Lee et al. 2012 Table XII)
PINNED_K = {
    ("AAPM-96", "head", "age_0y"): 0.011, ("AAPM-96", "head", "age_1y"): 0.0067,
    ("AAPM-96", "head", "age_5y"): 0.0040, ("AAPM-96", "head", "age_10y"): 0.0032,
    ("AAPM-96", "head", "adult"): 0.0021,
    ("AAPM-96", "head-neck", "age_0y"): 0.013, ("AAPM-96", "head-neck", "adult"): 0.0031,  # check
    ("AAPM-96", "neck", "age_0y"): 0.017, ("AAPM-96", "neck", "age_5y"): 0.011,  # check
    ("AAPM-96", "neck", "adult"): 0.0059,  # check
    ("AAPM-96", "chest", "age_0y"): 0.039, ("AAPM-96", "chest", "age_10y"): 0.013,
    ("AAPM-96", "chest", "adult"): 0.014,
    ("AAPM-96", "abdomen-pelvis", "age_5y"): 0.020, ("AAPM-96", "abdomen-pelvis", "adult"): 0.015,
    ("AAPM-96", "chest-abdomen-pelvis", "age_1y"): 0.028, ("AAPM-96", "chest-abdomen-pelvis", "adult"): 0.015,
    ("ICRP-103-NCI", "head", "adult"): 0.0017, ("ICRP-103-NCI", "head", "age_15y"): 0.0022,
    ("ICRP-103-NCI", "chest", "adult"): 0.0210, ("ICRP-103-NCI", "chest", "age_0y"): 0.0508,
    ("ICRP-103-NCI", "abdomen-pelvis", "adult"): 0.0179,
    ("ICRP-103-NCI", "chest-abdomen-pelvis", "adult"): 0.0180,
    ("ICRP-103-NCI", "chest-abdomen-pelvis", "age_10y"): 0.0144,
}


@pytest.mark.parametrize("key,value", sorted(PINNED_K.items()))
def test_k_factor_pinned(key, value):
    factor_set, region, column = key
    age = {"age_0y": 0.2, "age_1y": 1.5, "age_5y": 5.0, "age_10y": 10.0, "age_15y": 15.5, "adult": 40}[column]
    k = factors.k_factor(factor_set, region, age)
    assert k is not None
    assert k.column == column
    assert k.value == pytest.approx(value, rel=0, abs=1e-12)
    assert k.source


def test_check_rows_keep_their_status():
    assert factors.k_factor("AAPM-96", "neck", None).status == "check"
    assert factors.k_factor("AAPM-96", "head-neck", None).status == "check"
    assert factors.k_factor("AAPM-96", "chest", None).status == "verified"


@pytest.mark.parametrize("age,column", [
    (0.5, "age_0y"), (1.0, "age_1y"), (4.99, "age_1y"), (7.3, "age_5y"), (10.0, "age_10y"),
    (14.9, "age_10y"), (16.0, "age_10y"),  # AAPM has no 15 y column: nearest lower with a value
    (17.99, "age_10y"), (18.0, "adult"), (None, "adult"),
])
def test_paediatric_column_nearest_lower_aapm(age, column):
    assert factors.k_factor("AAPM-96", "chest", age).column == column


@pytest.mark.parametrize("age,column", [(16.0, "age_15y"), (14.0, "age_10y"), (30, "adult")])
def test_paediatric_column_nearest_lower_icrp(age, column):
    assert factors.k_factor("ICRP-103-NCI", "chest", age).column == column


def test_data_files_match_reference_rows_and_cite_sources():
    for name in ("ct_k_factors.csv", "nm_dose_coefficients.csv", "dap_coefficients.csv",
                 "typical_effective_doses.csv", "ct_drl.csv", "anatomy_codes.csv",
                 "radiopharmaceutical_codes.csv"):
        with open(factors.DATA_DIR / name, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert rows, name
        assert "source" in rows[0], name
    assert (factors.DATA_DIR / "SOURCES.md").read_text(encoding="utf-8").count("##") >= 6


def test_nm_coefficients_pinned():
    assert factors.nm_coefficient("F-18 FDG (fludeoxyglucose)").msv_per_mbq == 0.019
    assert factors.nm_coefficient("Rb-82 chloride").msv_per_mbq == 0.00124
    assert factors.nm_coefficient("Tc-99m sestamibi (rest)").status == "check"
    assert factors.nm_coefficient("Tc-99m sestamibi (rest)").msv_per_mbq == 0.0090


def test_typical_values_and_drl_pinned():
    chest = factors.typical_dose("radiography chest")
    assert (chest.msv, chest.column, chest.range_msv, chest.status) == (0.10, "eu_rp180_mean_msv",
                                                                          (0.01, 0.26), "secondary")
    assert factors.typical_dose("radiography skull").msv == 0.1  # only Mettler gives it
    assert factors.typical_dose("radiography skull").column == "mettler2008_msv"
    cap = factors.drl_row("UK-2022", "chest-abdomen-pelvis")
    assert (cap.ctdivol_mgy, cap.dlp_mgycm) == (None, 660)
    assert factors.drl_row("IE-2012", "head").source.startswith("Foley")


def _chest_ct(dlp: float) -> StudyDoseInput:
    ev = CTEvent(event_uid="1.2.3.1", ctdivol_mgy=10.0, dlp_mgycm=dlp, target_region=Code("T-D3000", "SRT", "Chest"))
    return StudyDoseInput("1.2.3", "2022-05-01", ["CT"], age_years=45,
                          records=[DoseRecord("RDSR", "ct", sop_instance_uid="9", ct_events=[ev])])


@pytest.mark.parametrize("region_code,k_region", [
    (Code("T-D3000", "SRT", "Chest"), "chest"), (Code("T-D1100", "SRT", "Head"), "head"),
    (Code("R-FAB56", "SRT", "Chest, Abdomen and Pelvis"), "chest-abdomen-pelvis"),
    (Code("818981001", "SCT", "Abdomen"), "abdomen-pelvis"),
])
def test_factor_set_switch_changes_ct_dose_by_ratio_of_factors(region_code, k_region):
    inp = _chest_ct(400.0)
    inp.records[0].ct_events[0].target_region = region_code
    aapm = estimate_study(inp, Settings(factor_set="AAPM-96"))
    icrp = estimate_study(inp, Settings(factor_set="ICRP-103-NCI"))
    ratio = factors.k_factor("ICRP-103-NCI", k_region, 45).value / factors.k_factor("AAPM-96", k_region, 45).value
    assert icrp.effective_dose_msv / aapm.effective_dose_msv == pytest.approx(ratio)
    assert aapm.factor_set == "AAPM-96" and icrp.factor_set == "ICRP-103-NCI"
    assert "ICRP-103-NCI" in icrp.parts[0].factor_reference


def test_limb_radiography_typical_values_pinned():
    rows = {e: factors.typical_dose(f"radiography {e}") for e in ("shoulder", "knee", "other extremities")}
    assert {e: (t.msv, t.status, t.column) for e, t in rows.items()} == {
        "shoulder": (0.01, "check", "mettler2008_msv"), "knee": (0.005, "check", "mettler2008_msv"),
        "other extremities": (0.001, "check", "mettler2008_msv")}


def test_dap_factor_ranges_follow_the_status():
    for row in factors.dap_factors():
        lo, hi = row.range_msv_per_gycm2
        assert lo <= row.value <= hi, row
        assert row.source and row.status in ("verified", "secondary", "proxy"), row
        if row.status != "verified":
            assert lo <= row.value / 2 + 1e-12 and hi >= row.value * 2 - 1e-12, row
    heart = factors.dap_factor("heart", "cardiology")
    assert (heart.value, heart.range_msv_per_gycm2, heart.status) == (0.30, (0.16, 0.40), "verified")
    unknown = factors.dap_factor("unknown-trunk", "any")
    assert (unknown.value, unknown.range_msv_per_gycm2, unknown.status) == (0.26, (0.065, 0.57), "proxy")
    assert factors.status_range(0.2, 0.15, 0.25, "verified") == (0.15, 0.25)
    assert factors.status_range(0.2, 0.15, 0.25, "secondary") == (0.1, 0.4)


def test_region_codes_every_generation():
    codes = factors.region_codes()
    assert codes[("SRT", "T-D3000")].region == "chest"
    assert codes[("SCT", "51185008")].region == "chest"
    assert codes[("SCT", "816094009")].region == "chest"
    assert codes[("SRT", "T-D0010")].region == "whole_body"
