"""A structured report (e.g. a radiation dose SR) as a readable tree (no Qt).

Each content item becomes an :class:`SRNode`: its concept name, its value
with units (numbers), meaning and code (coded entries), text, dates, person
names or referenced UIDs, and its children.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..dicom.dates import dt_iso, iso_date, iso_time

#: A guard against pathological nesting in malformed files.
MAX_DEPTH = 64


@dataclass
class SRNode:
    """One content item of a structured report.

    Attributes
    ----------
    label
        The concept name (code meaning), e.g. ``"DLP"``.
    value
        The value as text, e.g. ``"812.4 mGy.cm"``; ``None`` for containers.
    children
        Nested content items.
    code
        The concept name's code, e.g. ``"113838 (DCM)"``.
    value_type
        The DICOM value type (``CONTAINER``, ``NUM``, ``CODE``, ``TEXT``...).
    relationship
        The relationship to the parent (``CONTAINS``, ``HAS PROPERTIES``...).
    """

    label: str
    value: str | None = None
    children: list["SRNode"] = field(default_factory=list)
    code: str | None = None
    value_type: str | None = None
    relationship: str | None = None

    def find(self, label: str) -> list["SRNode"]:
        """Every node below (and including) this one with the given label."""
        found = [self] if self.label == label else []
        for child in self.children:
            found.extend(child.find(label))
        return found


def _code_text(item) -> str | None:
    if item is None:
        return None
    value = item.get("CodeValue") or item.get("LongCodeValue") or item.get("URNCodeValue")
    scheme = item.get("CodingSchemeDesignator")
    if not value:
        return None
    return f"{value} ({scheme})" if scheme else str(value)


def _first(ds, keyword):
    seq = ds.get(keyword)
    return seq[0] if seq else None


def _units(measured) -> str:
    unit = _first(measured, "MeasurementUnitsCodeSequence")
    if unit is None:
        return ""
    value = str(unit.get("CodeValue", "") or "")
    meaning = str(unit.get("CodeMeaning", "") or "")
    if value in ("1", "{ratio}", "no units"):
        return ""
    if value.startswith("{") and value.endswith("}"):  # UCUM annotation, e.g. {events}
        return value[1:-1]
    # UCUM codes are compact and unambiguous (mGy.cm, Gy.m2, mGy); fall back to the meaning
    return value or meaning


def _value_text(item) -> str | None:
    vtype = str(item.get("ValueType", "") or "")
    if vtype == "NUM":
        measured = _first(item, "MeasuredValueSequence")
        if measured is None or "NumericValue" not in measured:
            qualifier = _first(item, "NumericValueQualifierCodeSequence")
            return f"(no value: {qualifier.CodeMeaning})" if qualifier is not None and "CodeMeaning" in qualifier else "(no value)"
        units = _units(measured)
        number = measured.NumericValue
        return f"{number} {units}".strip()
    if vtype == "CODE":
        concept = _first(item, "ConceptCodeSequence")
        if concept is None:
            return None
        meaning = str(concept.get("CodeMeaning", "") or "")
        code = _code_text(concept)
        return f"{meaning} [{code}]" if code and meaning else (meaning or code)
    if vtype in ("TEXT", "UIDREF", "DATETIME", "DATE", "TIME", "PNAME"):
        keyword = {"TEXT": "TextValue", "UIDREF": "UID", "DATETIME": "DateTime", "DATE": "Date",
                   "TIME": "Time", "PNAME": "PersonName"}[vtype]
        value = item.get(keyword)
        if value is None:
            return None
        return _format_dicom_time(str(value), vtype)
    if vtype in ("IMAGE", "COMPOSITE", "WAVEFORM"):
        ref = _first(item, "ReferencedSOPSequence")
        return None if ref is None else str(ref.get("ReferencedSOPInstanceUID", "")) or None
    if vtype == "SCOORD":
        return str(item.get("GraphicType", "")) or None
    return None


def _format_dicom_time(text: str, vtype: str) -> str:
    """DICOM DA/TM/DT as ISO-like text (``19970101000631.7`` -> ``1997-01-01 00:06:31``); as written
    when it is not a date or time (the one parser: :mod:`core.dicom.dates`)."""
    raw = text.strip()
    if vtype == "DATE":
        return iso_date(raw) or raw
    if vtype == "TIME":
        return iso_time(raw) or raw
    if len(raw.split(".")[0].split("+")[0]) <= 8:  # a DATETIME that gives only the day
        return iso_date(raw[:8]) or raw
    stamp = dt_iso(raw)
    return stamp[:19].replace("T", " ") if stamp else raw


def _node(item, depth: int) -> SRNode:
    name = _first(item, "ConceptNameCodeSequence")
    label = str(name.get("CodeMeaning", "")) if name is not None else ""
    node = SRNode(
        label=label or "(unnamed)",
        value=_value_text(item),
        code=_code_text(name),
        value_type=str(item.get("ValueType", "") or "") or None,
        relationship=str(item.get("RelationshipType", "") or "") or None,
    )
    if depth < MAX_DEPTH:
        for child in item.get("ContentSequence", None) or []:
            node.children.append(_node(child, depth + 1))
    return node


def sr_tree(path: str) -> SRNode:
    """Read a structured report into a tree of :class:`SRNode`.

    Parameters
    ----------
    path
        A DICOM SR file (e.g. an X-Ray or CT Radiation Dose SR).

    Returns
    -------
    SRNode
        The document root: label is the document title, value the SOP class
        name; children are the content items.

    Raises
    ------
    ValueError
        When the file cannot be read or is not a structured report.
    """
    import pydicom

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except Exception as exc:  # noqa: BLE001 - unreadable or not DICOM
        raise ValueError(f"cannot read {path}: {exc}") from None
    if "ContentSequence" not in ds and str(ds.get("ValueType", "")) != "CONTAINER":
        raise ValueError(f"{path} is not a structured report (no content tree)")
    root = _node(ds, 0)
    sop_class = ds.get("SOPClassUID")
    root.value = getattr(sop_class, "name", None) or (str(sop_class) if sop_class else None)
    return root
