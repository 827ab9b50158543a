"""DICOM person names (PN): a matching key and a display form.

A PN value has up to three component groups separated by ``=``
(alphabetic, ideographic, phonetic; ISO 2022 character sets such as
``Yamada^Tarou=山田^太郎=やまだ^たろう``), each with up to five components
separated by ``^``: family, given, middle, prefix, suffix.

Matching is deliberately conservative (a false merge mixes two people's
radiation histories; a missed merge is fixed by a manual merge):

- case is folded, surrounding and repeated whitespace is dropped, trailing
  empty components are dropped (``Doe^Jane^^^`` equals ``DOE^JANE``);
- compatibility forms are unified (Unicode NFKD: full-width Latin and
  half-width katakana equal their usual forms);
- accents on Latin and Greek letters are stripped and a few Latin letters
  that do not decompose are folded (``ø``->``o``, ``ł``->``l``, ``đ``->``d``,
  ``æ``->``ae``...), so ``MÜLLER`` written in ISO_IR 100 equals ``MULLER``
  written by a system limited to ASCII; marks that make another letter in
  other scripts are kept (Cyrillic ``Й`` is not ``И``, kana ``ダ`` is not
  ``タ``);
- ``ü`` is *not* equal to ``ue``: the German transliteration is not
  universal (Spanish ``Güell`` is not ``Gueell``) and ``Mueller`` and
  ``Müller`` may be different families, so that equivalence is left to a
  manual merge;
- the middle name and the suffix are kept (``DOE^JANE^MARIE`` is not
  ``DOE^JANE``; ``JR`` tells a son from his father); the prefix (a title
  such as ``DR`` or ``MRS``) is ignored;
- the first non-empty component group is used (the alphabetic one when
  present), so two hospitals writing the same romanised name match even if
  only one also gives the ideographic form.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

FAMILY, GIVEN, MIDDLE, PREFIX, SUFFIX = range(5)

# letters that NFKD does not decompose into a base letter + combining mark
_EXTRA_FOLDS = str.maketrans({
    "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ħ": "h", "Ħ": "h",
    "ı": "i", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "þ": "th", "Þ": "th",
})


def _clean(text: str) -> str:
    return " ".join(text.replace("\x00", " ").split())


def name_groups(raw: str | None) -> list[list[str]]:
    """Split a PN value into component groups and components.

    Parameters
    ----------
    raw : str or None
        The decoded PN value.

    Returns
    -------
    list of list of str
        Up to three groups (alphabetic, ideographic, phonetic); each is its
        list of components with whitespace cleaned and trailing empty
        components removed. Empty groups are kept as ``[]`` so positions
        stay meaningful.
    """
    if not raw:
        return []
    groups = []
    for group in raw.split("=")[:3]:
        comps = [_clean(c) for c in group.split("^")[:5]]
        while comps and not comps[-1]:
            comps.pop()
        groups.append(comps)
    while groups and not groups[-1]:
        groups.pop()
    return groups


@lru_cache(maxsize=4096)  # per character; a name search folds thousands of names
def _strips_marks(base: str) -> bool:
    # accents on Latin and Greek letters are spelling variants (uppercase Greek
    # drops the tonos); marks elsewhere make other letters (Cyrillic Й is not
    # И, Japanese ダ is not タ) and are kept
    if base.isascii():
        return base.isalpha()
    return unicodedata.name(base, "").startswith(("LATIN", "GREEK"))


@lru_cache(maxsize=1)
def _marks_after_base() -> re.Pattern[str]:
    marks = "".join(chr(c) for c in range(0x300, 0x10000) if unicodedata.combining(chr(c)))
    cls = "[" + re.escape(marks) + "]"
    return re.compile(f"([^{re.escape(marks)}])({cls}+)")


def _drop_spelling_marks(match: re.Match[str]) -> str:
    return match.group(1) if _strips_marks(match.group(1)) else match.group(0)


def fold(text: str | None) -> str:
    """Fold text for matching: case, compatibility forms and Latin/Greek accents.

    Parameters
    ----------
    text : str or None

    Returns
    -------
    str
        ``"MÜLLER"`` -> ``"muller"``, ``"Ｄｏｅ"`` -> ``"doe"``, ``"ЙОВАН"`` -> ``"йован"``
        (marks that make another letter in other scripts are kept, see the
        module's notes); NFC, case-folded.
    """
    if not text or text.isascii():  # the common case, and NFKD leaves ASCII alone
        return (text or "").lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_EXTRA_FOLDS))
    if max(decomposed) <= "\uffff":  # one regex pass over the base+marks runs (the loop below is 5x slower)
        kept = _marks_after_base().sub(_drop_spelling_marks, decomposed)
        return unicodedata.normalize("NFC", kept).casefold()
    out: list[str] = []
    strip = False
    for ch in decomposed:
        if unicodedata.combining(ch):
            if not strip:
                out.append(ch)
            continue
        strip = _strips_marks(ch)
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).casefold()


def normalise_name(raw: str | None) -> str:
    """Return the matching key of a person name.

    Parameters
    ----------
    raw : str or None
        The decoded PN value, e.g. ``"Doe^Jane^^^"``.

    Returns
    -------
    str
        ``"doe^jane"`` style: the first non-empty component group, case
        folded, accents stripped, prefix removed, trailing empty components
        dropped; ``""`` when the name is empty.

    Examples
    --------
    >>> normalise_name("Doe^Jane^^^") == normalise_name("DOE^JANE")
    True
    >>> normalise_name("MÜLLER^JÜRGEN")
    'muller^jurgen'
    """
    for comps in name_groups(raw):
        if not any(comps):
            continue
        comps = list(comps) + [""] * (5 - len(comps))
        comps[PREFIX] = ""
        key = [fold(c) for c in comps]
        while key and not key[-1]:
            key.pop()
        return "^".join(key)
    return ""


def search_fold(text: str | None) -> str:
    """The form in which a search and the text it searches are compared.

    Used by the library's patient search (against the stored
    :func:`normalise_name` keys) and by the window's filter, so both find the
    same patients.

    Parameters
    ----------
    text : str or None
        What the user typed, or a name or other text to search in.

    Returns
    -------
    str
        :func:`fold` with the PN separators ``^`` and ``=`` read as spaces and
        whitespace collapsed: ``"MÜLLER^JÜRGEN"`` -> ``"muller jurgen"``.
    """
    return " ".join(fold(text).replace("^", " ").replace("=", " ").split())


def display_name(raw: str | None) -> str:
    """Return a person name for display.

    Parameters
    ----------
    raw : str or None
        The decoded PN value.

    Returns
    -------
    str
        From the alphabetic group: ``"DOE, DR JANE MARIE, JR"`` (family,
        then prefix, given and middle names, then suffix; case as written).
        When there is no alphabetic group, the first non-empty group's
        components joined with spaces (``"山田 太郎"``). ``""`` when empty.
    """
    groups = name_groups(raw)
    if groups and any(groups[0]):
        comps = list(groups[0]) + [""] * (5 - len(groups[0]))
        given = " ".join(c for c in (comps[PREFIX], comps[GIVEN], comps[MIDDLE]) if c)
        text = ", ".join(c for c in (comps[FAMILY], given) if c)
        if comps[SUFFIX]:
            text = f"{text}, {comps[SUFFIX]}" if text else comps[SUFFIX]
        return text
    for comps in groups[1:]:
        if any(comps):
            return " ".join(c for c in comps if c)
    return ""


def all_display_forms(raw: str | None) -> list[str]:
    """Return every non-empty component group as display text.

    Parameters
    ----------
    raw : str or None
        The decoded PN value.

    Returns
    -------
    list of str
        E.g. ``["Yamada, Tarou", "山田 太郎", "やまだ たろう"]``.
    """
    out = []
    for i, comps in enumerate(name_groups(raw)):
        if not any(comps):
            continue
        out.append(display_name("^".join(comps)) if i == 0 else " ".join(c for c in comps if c))
    return out


def chart_name(dicom_name: str | None) -> str:
    """``DOE^JANE`` -> ``DOE, JANE`` (family name first, as on a chart).

    A DICOM name with an ideographic group (``Yamada^Tarou=山田^太郎=...``)
    shows it in parentheses: ``Yamada, Tarou (山田 太郎)``.
    """
    if not dicom_name or not dicom_name.strip("^ ="):
        return "(no name)"
    groups = dicom_name.split("=")

    def one(group: str) -> str:
        parts = [x.strip() for x in group.split("^")]
        family, rest = parts[0], " ".join(x for x in parts[1:] if x)
        return f"{family}, {rest}" if family and rest else (family or rest)

    first = one(groups[0])
    ideographic = " ".join(x.strip() for x in groups[1].split("^") if x.strip()) if len(groups) > 1 else ""
    if not first:
        return ideographic or "(no name)"
    return f"{first} ({ideographic})" if ideographic else first
