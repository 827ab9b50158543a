"""Probable QA, phantom and test objects ("not a patient").

Quality-control scans, phantoms and test patients reach real exports (the
public OpenREM corpus has patients named PHYSICS and studies called
'Z_Physics Test'). A study whose protocol, study or series description,
patient name or patient ID says so is flagged; the library keeps it out of
the patient's cumulative total unless the user counts it.

Matching is on whole words: text is split at anything that is not a letter
or digit (``^``, ``_``, spaces...) and between a lower-case and an upper-case
letter (``PhysicsTesting`` -> ``Physics Testing``). A word matches a keyword
when it is the keyword, optionally followed by digits (``QA2``, ``TEST01``); ``QATesting`` is ``QA Testing``.
So ``CONTEST``, ``TESTIS``, a patient called ``Testa`` or an ID ``qaz98`` do
not match. ``TEST`` is a weak word: it counts only in a patient name or ID
and in a study description without a clinical word (stress test, breath test,
test bolus...), never in a series, protocol or event name alone.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Iterable

WARNING = "probable QA/phantom scan, not counted"

# words that name a test object wherever they appear (upper case, accents removed)
STRONG = frozenset({
    "QA", "QC", "PHANTOM", "PHANTOMS", "PHANTOME", "FANTOM", "FANTOMI", "FANTOOM", "FANTOMA", "FANTOME",
    "CATPHAN", "PHYSICS", "PHYSIK", "FYSIKK", "FYSIK", "FYSIIKKA", "FYSICA", "FIZYKA", "PHYSIQUE", "FISICA",
    "CONSTANCY", "KONSTANZ", "KONSTANZPRUFUNG", "CALIBRATION", "KALIBRATION", "KALIBRERING", "KALIBRACJA",
    "ACR", "QUALITYCONTROL", "QUALITYASSURANCE", "WATERPHANTOM", "TESTOBJECT", "TESTPATIENT", "CTDI",
    "UNIFORMITY", "KUVANLAATU",
})
# two-word phrases with the same meaning
PHRASES = (("QUALITY", "CONTROL"), ("QUALITY", "ASSURANCE"), ("TEST", "OBJECT"), ("TEST", "PATIENT"),
           ("IMAGE", "QUALITY"), ("DAILY", "CHECK"), ("FLAT", "FIELD"))
WEAK = frozenset({"TEST", "TESTS", "TESTING", "TESTE", "TESTPERSON"})
# where a bare TEST counts: a series, protocol or irradiation event called "test" inside a
# patient's exam is more often a test injection or a trial run than a test object
WEAK_FIELDS = frozenset({"patient name", "patient ID", "study description"})
# words beside TEST that make it a clinical test, not a test object
CLINICAL = frozenset({
    "STRESS", "BREATH", "EXERCISE", "SCHILLING", "TOLERANCE", "PATENCY", "SWALLOW", "FUNCTION", "PROVOCATION",
    "CHALLENGE", "UREA", "PERFUSION", "SHUNT", "BUBBLE", "BOLUS", "TESTBOLUS", "INJECTION", "DOSE", "TIMING",
    "SECRETIN", "CAPTOPRIL", "LASIX", "FUROSEMIDE", "ABSORPTION", "ALLERGY", "PREGNANCY", "TILT", "TREADMILL",
    "DIPYRIDAMOLE", "ADENOSINE", "REGADENOSON", "DOBUTAMINE", "LEAK", "VALSALVA", "GASTRIC", "EMPTYING",
})
# ACR also names the mammography density scale (ACR BI-RADS): not a phantom there
ACR_CLINICAL = frozenset({"BIRADS", "BI", "RADS", "DENSITY", "A", "B", "C", "D"})

_KEYWORD_TOKEN = re.compile(r"^([A-Z]+?)(\d*)$")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Upper-case words of ``text``: split at non-alphanumerics and camelCase joins."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", _fold(text or ""))
    return [w for w in re.split(r"[^A-Za-z0-9]+", text.upper()) if w]


def _stem(word: str) -> str:
    """The word without trailing digits (``QA2`` -> ``QA``); digit-only words stay."""
    match = _KEYWORD_TOKEN.match(word)
    return match.group(1) if match else word


@functools.lru_cache(maxsize=16384)
def _matches(text: str, field: str) -> str | None:
    """The keyword ``text`` says, or None (kept per text and field: descriptions and
    protocols repeat from study to study, and the estimation reads them for every study)."""
    ws = words(text)
    stems = [_stem(w) for w in ws]
    for i, stem in enumerate(stems):
        prev = stems[i - 1] if i > 0 else ""
        nxt = stems[i + 1] if i + 1 < len(stems) else ""
        if stem in STRONG:
            if stem == "ACR" and (prev in ACR_CLINICAL or nxt in ACR_CLINICAL):
                continue
            return ws[i]
        if (prev, stem) in PHRASES:
            return f"{ws[i - 1]} {ws[i]}"
        if stem in WEAK and field in WEAK_FIELDS:
            if field in ("patient name", "patient ID") or not (set(stems) & CLINICAL):
                return ws[i]
    return None


def test_object_reason(fields: Iterable[tuple[str, str | None]]) -> str | None:
    """Why a study is probably a QA/phantom/test object, or None.

    Parameters
    ----------
    fields : iterable of (label, text)
        What to look at, labelled: ``"protocol"``, ``"study description"``,
        ``"series description"``, ``"patient name"``, ``"patient ID"``. The
        labels ``"patient name"`` and ``"patient ID"`` let a bare TEST count.

    Returns
    -------
    str or None
        For example ``'patient name "PHYSICS^TABLE AEC" (PHYSICS)'``; None
        when nothing says test object.
    """
    for label, text in fields:
        if not text or not str(text).strip():
            continue
        found = _matches(str(text), label)
        if found is not None:
            shown = " ".join(str(text).split())[:80]
            return f'{label} "{shown}" ({found})'
    return None


def count_decision(test_object: str | None, override: bool | None) -> tuple[bool, str | None, str | None]:
    """Whether a study counts in the patient's total, why not, and the warning to show.

    Parameters
    ----------
    test_object : str or None
        :func:`test_object_reason` of the study.
    override : bool or None
        The user's choice (True: count, False: leave out); None follows the detection.

    Returns
    -------
    tuple of (bool, str or None, str or None)
        ``(counted_in_total, not_counted_reason, warning)``.
    """
    if override is True:
        return True, None, (f"probable QA/phantom scan, counted by the user's choice: {test_object}"
                            if test_object else None)
    if override is False:
        reason = "left out of the total by the user's choice"
        return False, reason + (f" (probable QA/phantom scan: {test_object})" if test_object else ""), \
            "not counted in the total (the user's choice)"
    if test_object:
        return False, f"probable QA/phantom scan: {test_object}", WARNING
    return True, None, None


test_object_reason.__test__ = False  # a pytest collecting by name must not take it for a test
