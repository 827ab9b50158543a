"""Load the project's dose reference figures (``core/data/*.csv``).

Every figure keeps its citation and status (``verified``, ``check``,
``secondary`` or ``proxy``) so an estimate can say where its factor came from. The files
are package data; they are read once and cached.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..dicom.codes import normalise_scheme

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# age columns of ct_k_factors.csv, youngest first: (column, lower bound in years, label)
AGE_COLUMNS: tuple[tuple[str, float, str], ...] = (
    ("age_0y", 0.0, "0 y"),
    ("age_1y", 1.0, "1 y"),
    ("age_5y", 5.0, "5 y"),
    ("age_10y", 10.0, "10 y"),
    ("age_15y", 15.0, "15 y"),
    ("adult", 18.0, "adult"),
)
ADULT_AGE = 18.0


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, newline="", encoding="utf-8") as fh:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def _float(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class KFactor:
    """One CT k-factor (mSv per mGy·cm) with where it came from."""

    factor_set: str
    region: str
    column: str  # "adult", "age_5y", ...
    column_label: str  # "adult", "5 y"
    value: float
    status: str
    source: str
    phantom: str


@dataclass(frozen=True)
class NMCoefficient:
    radiopharmaceutical: str
    nuclide: str
    msv_per_mbq: float
    basis: str
    status: str
    source: str
    notes: str


@dataclass(frozen=True)
class DapFactor:
    """Effective dose per DAP (mSv per Gy·cm²) for a region, context and age group.

    ``range_msv_per_gycm2`` is the published spread for ``verified`` rows and
    at least a factor of 2 either way for ``secondary`` and ``proxy`` rows.
    """

    region: str
    context: str  # radiography, fluoroscopy, interventional, cardiology, any
    age_group: str  # adult, adult-PCI, adult-urology, 0-0.5y, 1y, 8-10y, ...
    value: float
    range_msv_per_gycm2: tuple[float, float]
    basis: str
    status: str  # verified, secondary, proxy
    source: str
    notes: str

    @property
    def age_lower(self) -> float | None:
        """Lower bound of a paediatric age group in years; None for adult rows."""
        match = re.match(r"([0-9.]+)", self.age_group)
        return float(match.group(1)) if match else None


@dataclass(frozen=True)
class TypicalDose:
    exam: str
    msv: float
    column: str  # which column of the table gave the value
    range_msv: tuple[float, float] | None
    status: str
    source: str


@dataclass(frozen=True)
class DrlRow:
    scheme: str
    exam: str
    ctdivol_mgy: float | None
    dlp_mgycm: float | None
    status: str
    source: str


@dataclass(frozen=True)
class AnatomyCode:
    scheme: str
    code: str
    meaning: str
    region: str
    detail: str


@dataclass(frozen=True)
class RadiopharmaceuticalMatch:
    radiopharmaceutical: str
    match: str  # "code" or "name"
    scheme: str
    value: str


def _resolve_same(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Replace ``source == "same"`` with the source of the row above."""
    last = ""
    for row in rows:
        if row.get("source", "").lower() == "same":
            row["source"] = last
        else:
            last = row.get("source", "")
    return rows


@lru_cache(maxsize=1)
def _k_rows() -> tuple[dict[str, str], ...]:
    return tuple(_read("ct_k_factors.csv"))


def factor_sets() -> list[str]:
    """Names of the CT factor sets in ``ct_k_factors.csv`` (file order)."""
    seen: list[str] = []
    for row in _k_rows():
        if row["factor_set"] not in seen:
            seen.append(row["factor_set"])
    return seen


def k_factor(factor_set: str, region: str, age_years: float | None) -> KFactor | None:
    """The CT k-factor for a region and age, or None when the set lacks it.

    Parameters
    ----------
    factor_set : str
        ``"AAPM-96"`` or ``"ICRP-103-NCI"``.
    region : str
        A k-factor region (``head``, ``head-neck``, ``neck``, ``chest``,
        ``abdomen-pelvis``, ``chest-abdomen-pelvis``).
    age_years : float or None
        Age at the exam; None or >= 18 uses the adult column. Children use
        the nearest lower age column that has a value.

    Returns
    -------
    KFactor or None
    """
    row = next((r for r in _k_rows() if r["factor_set"] == factor_set and r["region"] == region), None)
    if row is None:
        return None
    age = ADULT_AGE if age_years is None else age_years
    candidates = [c for c in AGE_COLUMNS if c[1] <= age] or [AGE_COLUMNS[0]]
    for column, _lower, label in reversed(candidates):
        value = _float(row.get(column, ""))
        if value is not None:
            return KFactor(factor_set, region, column, label, value, row["status"], row["source"],
                           row.get("ctdi_phantom", ""))
    return None


@lru_cache(maxsize=1)
def nm_coefficients() -> tuple[NMCoefficient, ...]:
    """All rows of ``nm_dose_coefficients.csv``."""
    out = []
    for row in _read("nm_dose_coefficients.csv"):
        value = _float(row["msv_per_mbq_adult"])
        if value is None:
            continue
        out.append(NMCoefficient(row["radiopharmaceutical"], row["nuclide"], value, row["basis"],
                                 row["status"], row["source"], row.get("notes", "")))
    return tuple(out)


def nm_coefficient(name: str) -> NMCoefficient | None:
    """The coefficient row whose ``radiopharmaceutical`` is ``name`` exactly."""
    return next((c for c in nm_coefficients() if c.radiopharmaceutical == name), None)


@lru_cache(maxsize=1)
def radiopharmaceutical_matches() -> tuple[RadiopharmaceuticalMatch, ...]:
    """Codes and name patterns that identify each radiopharmaceutical."""
    return tuple(RadiopharmaceuticalMatch(r["radiopharmaceutical"], r["match"], r["scheme"], r["value"])
                 for r in _read("radiopharmaceutical_codes.csv"))


@lru_cache(maxsize=1)
def name_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Compiled free-text patterns (on normalised upper-case text), file order."""
    return tuple((re.compile(m.value), m.radiopharmaceutical)
                 for m in radiopharmaceutical_matches() if m.match == "name")


def status_range(value: float, low: float | None, high: float | None, status: str) -> tuple[float, float]:
    """The range of a factor: published for ``verified``, at least x/÷2 otherwise.

    Parameters
    ----------
    value : float
        The factor.
    low, high : float or None
        The spread given with it (None: not given).
    status : str
        ``verified`` keeps ``(low, high)`` (±50 % when not given);
        ``secondary``, ``proxy`` and ``check`` widen to at least
        ``(value / 2, value x 2)``.
    """
    lo = value if low is None else min(low, value)
    hi = value if high is None else max(high, value)
    if status == "verified":
        return (lo, hi) if (low is not None or high is not None) else (value * 0.5, value * 1.5)
    return (min(lo, value / 2.0), max(hi, value * 2.0))


@lru_cache(maxsize=1)
def dap_factors() -> tuple[DapFactor, ...]:
    """Effective dose per DAP rows (``dap_coefficients.csv``), file order."""
    out = []
    for row in _read("dap_coefficients.csv"):
        value = _float(row["msv_per_gycm2"])
        if value is None:
            continue
        rng = status_range(value, _float(row["range_low"]), _float(row["range_high"]), row["status"])
        out.append(DapFactor(row["region"], row["context"], row["age_group"], value, rng, row["basis"],
                             row["status"], row["source"], row.get("notes", "")))
    return tuple(out)


def dap_factor(region: str, context: str, age_group: str = "adult") -> DapFactor | None:
    """The row for a region, context and age group exactly as in the file, or None."""
    return next((f for f in dap_factors()
                 if (f.region, f.context, f.age_group) == (region, context, age_group)), None)


def _parse_range(text: str) -> tuple[float, float] | None:
    parts = text.split("-")
    if len(parts) != 2:
        return None
    lo, hi = _float(parts[0]), _float(parts[1])
    return (lo, hi) if lo is not None and hi is not None else None


@lru_cache(maxsize=1)
def typical_doses() -> tuple[TypicalDose, ...]:
    """Typical adult effective doses per exam type (status ``secondary``).

    The European mean (EC RP 180) is used; when it is missing the Spanish
    DOPOES II value, then Mettler 2008 (first number).
    """
    out = []
    for row in _resolve_same(_read("typical_effective_doses.csv")):
        for column in ("eu_rp180_mean_msv", "spain_dopoes2_msv", "mettler2008_msv"):
            match = re.match(r"\s*([0-9.]+)", row.get(column, ""))
            if match:
                rng = _parse_range(row.get("eu_rp180_range_msv", "")) if column == "eu_rp180_mean_msv" else None
                out.append(TypicalDose(row["exam"], float(match.group(1)), column, rng, row["status"], row["source"]))
                break
    return tuple(out)


def typical_dose(exam: str) -> TypicalDose | None:
    """The typical dose row for an exam name exactly as in the file."""
    return next((t for t in typical_doses() if t.exam == exam), None)


@lru_cache(maxsize=1)
def drl_rows() -> tuple[DrlRow, ...]:
    """National CT diagnostic reference levels (``ct_drl.csv``)."""
    return tuple(DrlRow(r["scheme"], r["exam"], _float(r["ctdivol_mgy"]), _float(r["dlp_mgycm"]), r["status"],
                        r["source"]) for r in _resolve_same(_read("ct_drl.csv")))


def drl_row(scheme: str, exam: str) -> DrlRow | None:
    """The DRL row of a scheme for an exam name exactly as in the file."""
    return next((d for d in drl_rows() if d.scheme == scheme and d.exam == exam), None)


@lru_cache(maxsize=1)
def anatomy_codes() -> dict[tuple[str, str], AnatomyCode]:
    """Anatomic region codes keyed by (normalised scheme, code value)."""
    out = {}
    for r in _read("anatomy_codes.csv"):
        code = AnatomyCode(normalise_scheme(r["scheme"]), r["code"].upper(), r["meaning"], r["region"], r["detail"])
        out[(code.scheme, code.code)] = code
    return out


@dataclass(frozen=True)
class RegionCode:
    """A code or Body Part Examined term mapped to a DAP-factor region."""

    scheme: str  # SRT, SCT or BodyPartExamined
    code: str
    meaning: str
    region: str  # head, chest, heart, abdomen, pelvis, lower_limb, ..., whole_body, not_applicable


@lru_cache(maxsize=1)
def region_codes() -> dict[tuple[str, str], RegionCode]:
    """``region_codes.csv`` keyed by (normalised scheme, upper-case code)."""
    out = {}
    for r in _read("region_codes.csv"):
        scheme = normalise_scheme(r["scheme"]) if r["scheme"] != "BodyPartExamined" else "BodyPartExamined"
        code = RegionCode(scheme, r["code"].upper(), r["meaning"], r["region"])
        out[(code.scheme, code.code)] = code
    return out
