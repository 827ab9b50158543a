"""Body region from anatomy codes, BodyPartExamined and descriptions in seven languages."""
from __future__ import annotations

import pytest

from dosetrail.core.dose.records import Code
from dosetrail.core.dose.regions import (RegionResult, body_part_region, code_region, combine_regions,
                                         text_region)

TEXTS = {
    # English
    "CT HEAD WITHOUT CONTRAST": "head", "CT CHEST": "chest", "CT ABDOMEN": "abdomen-pelvis",
    "CT ABDOMEN PELVIS": "abdomen-pelvis", "CT CAP": "chest-abdomen-pelvis", "CT NECK": "neck",
    "CT HEAD AND NECK ANGIO": "head-neck", "CT LUMBAR SPINE": "spine", "CT KNEE": "extremity",
    "CORONARY CTA": "cardiac", "WHOLE BODY LOW DOSE": "whole-body", "MAMMOGRAPHY SCREENING": "breast",
    # Spanish
    "TC TÓRAX": "chest", "TORAX": "chest", "TC CRÁNEO SIN CONTRASTE": "head", "CRANEO": "head",
    "TC ABDOMEN Y PELVIS": "abdomen-pelvis", "TC TORACO-ABDOMINO-PELVICO": "chest-abdomen-pelvis",
    "TAC TAP": "chest-abdomen-pelvis", "TORAX ABDOMEN": "chest-abdomen-pelvis", "TC CUELLO": "neck",
    "SENOS PARANASALES": "head", "COLUMNA CERVICAL": "spine", "RODILLA IZQUIERDA": "extremity",
    # Catalan
    "TC TÒRAX": "chest", "TC CRANI": "head", "TC ABDOMEN I PELVIS": "abdomen-pelvis", "TC COLL": "neck",
    "TC CAP": "head", "TC DE CAP": "head", "TC CAP I COLL": "head-neck",  # Catalan "cap" is the head
    # Spanish "TEP" is a pulmonary embolism; English "CT PULMONARY ANGIOGRAM"
    "ANGIO TC TEP": "chest", "CT PULMONARY ANGIOGRAM": "chest", "CT CAP WITH CONTRAST": "chest-abdomen-pelvis",
    # German
    "CT SCHÄDEL NATIV": "head", "CCT SCHAEDEL": "head", "CT THORAX": "chest", "CT BAUCH": "abdomen-pelvis",
    "CT BECKEN": "abdomen-pelvis", "CT THORAX ABDOMEN BECKEN": "chest-abdomen-pelvis", "CT HALS": "neck",
    "CT NASENNEBENHÖHLEN": "head",
    # French
    "TDM CRÂNE": "head", "SCANNER THORAX": "chest", "TDM ABDOMEN PELVIS": "abdomen-pelvis",
    "TDM BASSIN": "abdomen-pelvis", "TDM COU": "neck", "TDM TÊTE": "head", "TC TETE": "head",
    "TEP-TDM CORPS ENTIER": "whole-body",
    # Italian
    "TC TORACE": "chest", "TC ADDOME": "abdomen-pelvis", "TC BACINO": "abdomen-pelvis", "TC COLLO": "neck",
    "TC CRANIO": "head",
    # Portuguese
    "TC TÓRAX": "chest", "TC ABDOME TOTAL": "abdomen-pelvis", "TC PESCOÇO": "neck", "TC CRÂNIO": "head",
}


@pytest.mark.parametrize("text,region", sorted(TEXTS.items()))
def test_text_region_languages(text, region):
    found = text_region(text)
    assert found is not None and found.region == region
    assert found.basis == "text"
    assert found.warning == f"body region guessed from description '{text}'"


@pytest.mark.parametrize("text", ["", "   ", "ESTUDIO", "SERIE 2", "TAC", "CAPTURE 1", "THORAXBAND",
                                  "TEP-TDM FDG"])
def test_text_without_anatomy_is_none(text):
    assert text_region(text) is None


@pytest.mark.parametrize("text,detail", [("TC ABDOMEN", "abdomen"), ("TDM BASSIN", "pelvis"),
                                         ("TORAX ABDOMEN", "chest-abdomen"), ("SENOS PARANASALES", "sinuses"),
                                         ("COLUMNA LUMBAR", "lumbar"), ("CT C-SPINE", "cervical"),
                                         ("COLUMNA DORSAL", "thoracic"), ("CT PULMONARY ANGIOGRAM", "ctpa"),
                                         ("ANGIO TEP", "ctpa"), ("CTPA", "ctpa"), ("CT CHEST", "")])
def test_text_region_detail(text, detail):
    assert text_region(text).detail == detail


@pytest.mark.parametrize("code,region", [
    (Code("T-D1100", "SRT"), "head"), (Code("69536005", "SCT"), "head"), (Code("T-D3000", "SRT"), "chest"),
    (Code("51185008", "SCT"), "chest"), (Code("T-D4000", "SRT"), "abdomen-pelvis"),
    (Code("818981001", "SCT"), "abdomen-pelvis"), (Code("T-D6000", "SRT"), "abdomen-pelvis"),
    (Code("816092008", "SCT"), "abdomen-pelvis"), (Code("T-D1600", "SRT"), "neck"),
    (Code("45048000", "SCT"), "neck"), (Code("R-FAB56", "SRT"), "chest-abdomen-pelvis"),
    (Code("416775004", "SCT"), "chest-abdomen-pelvis"), (Code("R-FAB55", "SRT"), "chest-abdomen-pelvis"),
    (Code("T-32000", "SRT"), "cardiac"), (Code("T-D0010", "SRT"), "whole-body"),
    (Code("T-04000", "SRT"), "breast"), (Code("T-D9200", "SRT"), "extremity"),
    (Code("T-11503", "SNM3"), "spine"), (Code("T-D3000", "99SDM"), "chest"), (Code("t-d3000", "srt"), "chest"),
])
def test_code_region(code, region):
    assert code_region(code).region == region


def test_unknown_code_and_topography_unknown_give_none():
    assert code_region(Code("T-D0001", "SRT", "Topography unknown")) is None
    assert code_region(Code("X-123", "99PRIVATE")) is None
    assert code_region(None) is None


@pytest.mark.parametrize("value,region,detail", [("CHEST", "chest", ""), ("HEAD", "head", ""),
                                                 ("ABDOMEN", "abdomen-pelvis", "abdomen"),
                                                 ("CSPINE", "spine", "cervical"), ("LSPINE", "spine", "lumbar"),
                                                 ("WHOLEBODY", "whole-body", ""), ("BREAST", "breast", ""),
                                                 ("KNEE", "extremity", "lower"), ("HAND", "extremity", "upper")])
def test_body_part_examined(value, region, detail):
    found = body_part_region(value)
    assert (found.region, found.detail, found.basis) == (region, detail, "body-part")
    assert found.warning is None


def test_combine_regions():
    chest, abd, head, neck = (RegionResult("chest"), RegionResult("abdomen-pelvis"), RegionResult("head"),
                              RegionResult("neck"))
    assert combine_regions([chest, abd]).region == "chest-abdomen-pelvis"
    assert combine_regions([head, neck]).region == "head-neck"
    assert combine_regions([chest, chest, head]).region == "chest"
    assert combine_regions([]) is None


# Dutch, Swedish, Danish, Norwegian, Finnish, Polish: every region and cardiology; procedure words that name a region
MORE_LANGUAGES = {
    # Dutch
    "CT HOOFD": "head", "THORAX": "chest", "BUIK OVERZICHT": "abdomen", "BEKKEN": "pelvis",
    "WERVELKOLOM LUMBAAL": "lumbar_spine", "CWK": "cervical_spine", "KNIE LINKS": "lower_limb",
    "POLS RECHTS": "upper_limb", "HALS": "neck", "HARTKATHETERISATIE": "heart",
    "Functieonderzoek t.b.v. HCK": "heart", "LONGEN": "chest", "SCHOUDER": "upper_limb", "ENKEL": "lower_limb",
    # Swedish
    "DT HJÄRNA": "head", "LUNGOR": "chest", "BUK": "abdomen", "BÄCKEN": "pelvis", "LÄNDRYGG": "lumbar_spine",
    "HALSRYGG": "cervical_spine", "BRÖSTRYGG": "thoracic_spine", "KNÄ": "lower_limb", "HANDLED": "upper_limb",
    "HJÄRTA": "heart", "KRANSKÄRLSRÖNTGEN": "heart", "SKÖLDKÖRTEL": "neck",
    # Danish
    "HOVED": "head", "BRYSTKASSE": "chest", "MAVE": "abdomen", "BÆKKEN": "pelvis", "LÆNDERYG": "lumbar_spine",
    "KNÆ": "lower_limb", "SKULDER": "upper_limb", "HJERTE": "heart", "KAG": "heart",
    # Norwegian
    "HODE": "head", "LUNGER": "chest", "MAGE": "abdomen", "HOFTE": "pelvis", "KORSRYGG": "lumbar_spine",
    "KNE": "lower_limb", "HÅND": "upper_limb", "HJERTEKATETERISERING": "heart",
    # Finnish
    "PÄÄN TT": "head", "KEUHKOT": "chest", "VATSA": "abdomen", "LANTIO": "pelvis", "LANNERANKA": "lumbar_spine",
    "KAULARANKA": "cervical_spine", "RINTARANKA": "thoracic_spine", "POLVI": "lower_limb", "RANNE": "upper_limb",
    "SEPELVALTIMOIDEN VARJOAINEKUVAUS": "heart", "SYDÄN": "heart", "liuotushoidon raajojen": "limb",
    "ALARAAJOJEN ANGIOGRAFIA": "lower_limb", "YLÄRAAJA": "upper_limb", "KAULA": "neck",
    # Polish
    "TK GŁOWY": "head", "RTG KLATKI PIERSIOWEJ": "chest", "JAMY BRZUSZNEJ": "abdomen", "MIEDNICY": "pelvis",
    "KRĘGOSŁUP LĘDŹWIOWY": "lumbar_spine", "KRĘGOSŁUP SZYJNY": "cervical_spine",
    "KRĘGOSŁUP PIERSIOWY": "thoracic_spine", "KOLANO": "lower_limb", "NADGARSTEK": "upper_limb",
    "KORONAROGRAFIA": "heart", "SERCE": "heart", "TARCZYCA": "neck", "ANGIOGRAFIA KOŃCZYN DOLNYCH": "lower_limb",
    # procedure words that name a region
    "CORONARY ANGIOGRAPHY": "heart", "PCI RCA": "heart", "PACEMAKER": "heart", "LEG ANGIOGRAPHY": "lower_limb",
    "ERCP": "abdomen", "BARIUM MEAL": "abdomen", "BARIUM SWALLOW": "chest", "HSG": "pelvis",
    "NEPHROSTOMY": "abdomen", "CEREBRAL ANGIOGRAPHY": "head", "EVAR": "abdomen", "RUN OFF": "lower_limb",
    "FISTULOGRAM ARM": "upper_limb",
}


@pytest.mark.parametrize("text,region", sorted(MORE_LANGUAGES.items()))
def test_projection_region_in_more_languages_and_procedure_words(text, region):
    from dosetrail.core.dose.projection_regions import text_dap_region

    assert text_dap_region(text) == region


@pytest.mark.parametrize("text", ["hardware removal", "Z_Physics Test", "AEC", "NOG EEN KEER", "EXPLORACION"])
def test_projection_region_none_without_anatomy(text):
    from dosetrail.core.dose.projection_regions import text_dap_region

    assert text_dap_region(text) is None


def test_leg_run_off_names_the_legs_for_projection_only():
    from dosetrail.core.dose.projection_regions import text_dap_region

    # a fluoroscopic run-off is lower-limb angiography; a CT run-off also covers abdomen and pelvis
    assert text_dap_region("ANGIO RUN OFF") == "lower_limb"
    assert text_region("CTA RUN OFF") is None


@pytest.mark.parametrize("text", ["CT AORTIC ANEURYSM", "CT FISTULA"])
def test_procedure_words_that_name_no_single_region_stay_unknown(text):
    assert text_region(text) is None
