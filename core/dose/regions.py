"""Body region of an exam: from anatomy codes, BodyPartExamined, then text.

Vocabulary: ``head``, ``neck``, ``head-neck``, ``chest``, ``cardiac``,
``abdomen-pelvis``, ``chest-abdomen-pelvis``, ``spine``, ``extremity``,
``breast``, ``whole-body``, ``unknown``. An abdomen alone is
``abdomen-pelvis`` (with detail ``abdomen``); chest and abdomen together are
``chest-abdomen-pelvis``; an extremity has detail ``lower``, ``upper`` or
``""``. Descriptions are read in English, Spanish, Catalan, German, French,
Italian, Portuguese, Dutch, Swedish, Danish, Norwegian, Finnish and Polish
(:mod:`core.dose.region_words`), ignoring case and accents.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from ..dicom.codes import normalise_scheme
from .factors import anatomy_codes
from .records import Code
from .region_words import EXTRA_TERMS

REGIONS = ("head", "neck", "head-neck", "chest", "cardiac", "abdomen-pelvis", "chest-abdomen-pelvis",
           "spine", "extremity", "breast", "whole-body", "unknown")


@dataclass(frozen=True)
class RegionResult:
    """A body region with the detail that picks a reference level.

    ``basis``: ``"code"``, ``"body-part"`` or ``"text"``; ``text`` is the
    description the region was read from (for the warning).
    """

    region: str
    detail: str = ""  # sinuses, cervical, thoracic, lumbar, abdomen, pelvis, chest-abdomen, ctpa
    basis: str = "code"
    text: str = ""

    @property
    def warning(self) -> str | None:
        if self.basis == "text":
            return f"body region guessed from description '{self.text}'"
        return None


_SPELLED = str.maketrans({"ß": "SS", "ẞ": "SS", "Ł": "L", "ł": "L", "Ø": "O", "ø": "O", "Æ": "AE",
                          "æ": "AE", "Œ": "OE", "œ": "OE", "Đ": "D", "đ": "D"})


def normalise_text(text: str) -> str:
    """Upper case, accents removed, every non-alphanumeric run one space."""
    text = text.translate(_SPELLED)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " " + re.sub(r"[^A-Z0-9]+", " ", stripped.upper()).strip() + " "


def code_region(code: Code | None) -> RegionResult | None:
    """Region of one anatomy code (SRT, SNM3, 99SDM or SCT), or None."""
    if code is None or not code.value:
        return None
    found = anatomy_codes().get((normalise_scheme(code.scheme), code.value.strip().upper()))
    if found is None:
        return None
    return RegionResult(found.region, found.detail, "code", code.meaning or code.value)


# Word patterns on normalised text (space padded). Order inside a group does not matter.
_W = r"(?<![A-Z0-9])(?:{})(?![A-Z0-9])"
_TERMS: dict[str, str] = {
    "whole-body": r"WHOLE ?BODY|TOTAL ?BODY|CUERPO (?:ENTERO|COMPLETO)|COS SENCER|GANZ ?KORPER|GANZKOERPER|"
                  r"CORPS ENTIER|CORPO (?:INTERO|INTEIRO)|\bWB\b",
    "sinuses": r"SINUS(?:ES)?|SENOS(?: PARANASALES)?|SINS PARANASALS|NASENNEBENHOHLEN?|NASENNEBENHOEHLEN?|NNH|"
               r"SENI PARANASALI|SEIOS (?:DA FACE|PARANASAIS)",
    "head": r"HEAD|BRAIN|SKULL|CRANE[OA]L?|CRANI(?:AL|O|UM)?|CRANE|CRANIEN(?:NE)?|SCHADEL|SCHAEDEL|KOPF|"
            r"GEHIRN|HIRN|CCT|CEREBR(?:O|AL|AUX)?|ENCEFAL(?:O|ICO)|CERVEAU|CERVELLO|TESTA|CABEZA|CABECA|"
            r"ORBITS?|ORBITAS?|ROCHERS?|PENASCOS?|OIDOS?|FACIAL|FACE|CARA|MACIZO FACIAL|STROKE|ICTUS|"
            r"ENCEPHALE|NEURO|TETE",
    "neck": r"NECK|CUELLO|COLL|HALS|COU|COLLO|PESCOCO|CERVICAL(?:ES)?|LARYNX|LARINGE|THYROID|TIROIDES?|"
            r"SCHILDDRUSE|THYROIDE|WEICHTEILE HALS",
    "spine": r"SPINE|SPINAL|COLUMNA|RAQUIS|WIRBELSAULE|WIRBELSAEULE|COLONNE|RACHIS|COLONNA|COLUNA|"
             r"VERTEBRAL|[CTL] ?SPINE|HWS|BWS|LWS|LUMBAR|LUMBARES|LOMBAIRE|LOMBARE|DORSAL|SACR(?:O|UM|AL)",
    "cardiac": r"CARDIAC|HEART|CORONAR(?:Y|IES|IO|IA|IAS|IOS)?|CORONARIOGRAF\w*|CARDIACO|CARDIO\w*|CORAZON|"
               r"HERZ|COEUR|CUORE|CORACAO|CALCIUM SCORE|CALCIO SCORE|CA SCORE|TAVI",
    "chest": r"CHEST|THORA(?:X|CIC|CIQUE)|TORA(?:X|CE|CICO|CICA|CO|CIC)|TORAC|LUNGS?|LUNGE|PULMON(?:AR|ARY|ES)?|"
             r"POUMONS?|POLMON[EI]|PULMAO|PULMOES|HRCT|TACAR|CTPA|\bTEP\b|ANGIO ?TEP|POITRINE|BRUSTKORB",
    "abdomen": r"ABDOMEN|ABDOME|ABDOMINAL(?:E|ES)?|ABDOMINO|ABDO|ABD|BAUCH|ADDOME|ADDOMINALE|ABDOMINALE|"
               r"HIGADO|LIVER|LEBER|FOIE|FEGATO|FIGADO|RENAL(?:ES)?|KIDNEYS?|RINON(?:ES)?|NIEREN?|UROTA?C|"
               r"UROTC|URO CT|KUB|PANCREAS|ENTERO ?TC|COLONO ?TC|COLONOGRAPHY|COLONOGRAFIA",
    "pelvis": r"PELVIS|PELVI[CS]\w*|PELVE|BACINO|BASSIN|BECKEN|HIPS?|CADERAS?|QUADRIL|ANCA|HANCHE|"
              r"MALUC|PROSTAT\w*|VEJIGA|BLADDER",
    "cap": r"TAP|CTAP|TORACOABDOMINAL\w*|THORACOABDOMINAL\w*|TORACO ABDOMINO PELVIC\w*|"
           r"THORAX ABDOMEN BECKEN|TORACO ABDOMINAL\w*|THORACO ABDOMINAL\w*|TRONCO",
    "breast": r"BREASTS?|MAMMO\w*|MAMOGRAF\w*|MAMA|MAMAS|MAMELLE|MAMMELLA|SEIN|TOMOSYNTHESIS|TOMOSINTESIS",
}
for _name, _extra in EXTRA_TERMS.items():
    _TERMS[_name] = f"{_TERMS[_name]}|{_extra}" if _name in _TERMS else _extra
_PATTERNS = {name: re.compile(_W.format(p)) for name, p in _TERMS.items()}
_LIMBS = ("lower_limb", "upper_limb", "limb")
_CAP = re.compile(_W.format("CAP"))
# Catalan "TC (DE) CAP (I COLL)" is a head CT; English "CT CAP" is chest-abdomen-pelvis
_CATALAN_CAP = re.compile(_W.format(r"TC|DE CAP|CAP I|CRANI\w*|ENCEFAL\w*"))
# French "TEP" is PET (TEP-TDM, TEP FDG); Spanish "TEP" is a pulmonary embolism (chest)
_FRENCH_TEP = re.compile(_W.format(r"TEP (?:TDM|SCAN|FDG|CT)|TDM TEP|TEP ?TDM|FDG|PSMA|CHOLINE|DOTA\w*|"
                                   r"CORPS ENTIER"))
_TEP = re.compile(_W.format("TEP"))

# DICOM BodyPartExamined defined terms that are not plain words
_BODY_PART: dict[str, tuple[str, str]] = {
    "CSPINE": ("spine", "cervical"), "TSPINE": ("spine", "thoracic"), "LSPINE": ("spine", "lumbar"),
    "SSPINE": ("spine", "lumbar"), "WHOLEBODY": ("whole-body", ""), "ABDOMENPELVIS": ("abdomen-pelvis", ""),
    "ABDPELVIS": ("abdomen-pelvis", ""), "CHESTABDOMEN": ("chest-abdomen-pelvis", "chest-abdomen"),
    "CHESTABDPELVIS": ("chest-abdomen-pelvis", ""), "CHEST_TO_PELVIS": ("chest-abdomen-pelvis", ""),
    "HEADNECK": ("head-neck", ""), "HEART": ("cardiac", ""), "BREAST": ("breast", ""),
    "IAC": ("head", ""), "TMJ": ("head", ""), "SINUS": ("head", "sinuses"),
}


def _spine_detail(norm: str) -> str:
    if re.search(_W.format(r"CERVICAL(?:ES)?|C SPINE|CSPINE|HWS|CERVICALE|ZERVIKAL|CERVICAAL|CWK|HALSRYGG|"
                           r"HALSRYG|NAKKE|KAULARANKA|SZYJN\w*"), norm):
        return "cervical"
    if re.search(_W.format(r"LUMBAR\w*|LOMBA\w*|LWS|L SPINE|LSPINE|SACR\w*|LUMBO\w*|LUMBAAL|LWK|LANDRYGG|"
                           r"LAENDERYG|KORSRYGG|LANNERANKA|LEDZWIOW\w*"), norm):
        return "lumbar"
    if re.search(_W.format(r"DORSAL\w*|THORACIC|TORACICA|BWS|T SPINE|TSPINE|DORSO\w*|THORACAAL|TWK|"
                           r"BROSTRYGG|BRYSTRYG|RINTARANKA|PIERSIOW\w*"), norm):
        return "thoracic"
    return ""


def text_region(text: str | None) -> RegionResult | None:
    """Region read from one description (study, series or protocol), or None.

    Parameters
    ----------
    text : str or None
        Free text in any of the supported languages, e.g. ``"TORAX ABDOMEN"``.

    Returns
    -------
    RegionResult or None
        ``basis == "text"``; None when no anatomy word is recognised.
    """
    if not text or not text.strip():
        return None
    norm = normalise_text(text)
    if _FRENCH_TEP.search(norm):
        norm = _TEP.sub(" ", norm)
    hits = {name for name, pat in _PATTERNS.items() if pat.search(norm)}
    if _CAP.search(norm):
        hits.add("head" if _CATALAN_CAP.search(norm) else "cap")
    if not hits:
        return None

    def result(region: str, detail: str = "") -> RegionResult:
        return RegionResult(region, detail, "text", text.strip())

    if "whole-body" in hits:
        return result("whole-body")
    if "spine" in hits:
        detail = _spine_detail(norm)
        trunk = hits & {"chest", "abdomen", "pelvis", "cap"}
        # "COLUMNA CERVICAL", "DORSAL", "LUMBAR": the spine itself, unless a trunk exam is named too
        if not trunk or (len(trunk) == 1 and "chest" in trunk and detail == "thoracic"):
            return result("spine", detail)
    chest = bool(hits & {"chest", "cardiac"})
    abdomen, pelvis = "abdomen" in hits, "pelvis" in hits
    if "cap" in hits or (chest and (abdomen or pelvis)):
        return result("chest-abdomen-pelvis", "" if (pelvis or "cap" in hits) else "chest-abdomen")
    if abdomen or pelvis:
        return result("abdomen-pelvis", "" if abdomen and pelvis else ("abdomen" if abdomen else "pelvis"))
    if "cardiac" in hits and "chest" not in hits:
        return result("cardiac")
    if chest:
        ctpa = re.search(_W.format(r"CTPA|ANGIO ?TEP|PULMONARY ANGIO\w*|ANGIO\w* PULMON\w*|PULMONARY EMBOL\w*"), norm)
        return result("chest", "ctpa" if ctpa else "")
    head, neck = bool(hits & {"head", "sinuses"}), "neck" in hits
    if head and neck:
        return result("head-neck")
    if head:
        return result("head", "sinuses" if "sinuses" in hits else "")
    if neck:
        return result("neck", "cervical" if re.search(_W.format("CERVICAL(?:ES)?"), norm) else "")
    if "breast" in hits:
        return result("breast")
    limbs = [name for name in _LIMBS if name in hits]
    if limbs:
        return result("extremity", {"lower_limb": "lower", "upper_limb": "upper"}.get(limbs[0], "")
                      if len(limbs) == 1 or limbs == ["lower_limb", "limb"] or limbs == ["upper_limb", "limb"]
                      else "")
    return None


def body_part_region(body_part: str | None) -> RegionResult | None:
    """Region from a BodyPartExamined value (a defined term, not a guess)."""
    if not body_part or not body_part.strip():
        return None
    key = re.sub(r"[^A-Z_]", "", body_part.upper())
    if key in _BODY_PART:
        region, detail = _BODY_PART[key]
        return RegionResult(region, detail, "body-part", body_part)
    found = text_region(body_part)
    if found is None:
        return None
    return RegionResult(found.region, found.detail, "body-part", body_part)


def combine_regions(regions: Iterable[RegionResult]) -> RegionResult | None:
    """One study region from the regions of several events or series.

    Chest with abdomen or pelvis gives chest-abdomen-pelvis; head with neck
    gives head-neck; otherwise the most frequent region (ties: vocabulary
    order) wins.
    """
    items = [r for r in regions if r is not None and r.region != "unknown"]
    if not items:
        return None
    names = {r.region for r in items}
    basis = items[0].basis
    if len(names) == 1:
        details = sorted({r.detail for r in items})
        return RegionResult(items[0].region, details[0] if len(details) == 1 else "", basis, items[0].text)
    chest = bool(names & {"chest", "cardiac"})
    if "chest-abdomen-pelvis" in names or (chest and "abdomen-pelvis" in names):
        return RegionResult("chest-abdomen-pelvis", "", basis, "; ".join(sorted({r.text for r in items})))
    if names <= {"head", "neck", "head-neck"}:
        return RegionResult("head-neck", "", basis, "; ".join(sorted({r.text for r in items})))
    counts: dict[str, int] = {}
    for r in items:
        counts[r.region] = counts.get(r.region, 0) + 1
    best = sorted(counts, key=lambda n: (-counts[n], REGIONS.index(n) if n in REGIONS else 99))[0]
    pick = next(r for r in items if r.region == best)
    return RegionResult(best, pick.detail, basis, pick.text)


def first_text_region(texts: Iterable[str | None]) -> RegionResult | None:
    """The region of the first text (in order) that names one."""
    for text in texts:
        found = text_region(text)
        if found is not None:
            return found
    return None
