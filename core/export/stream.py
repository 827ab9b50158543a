"""Exports written patient by patient, study by study, to a text stream.

The JSON, CSV and FHIR Bundle writers give the same bytes as building the
whole document and ``json.dumps(..., indent=2)``-ing it (the documents'
heads come from :func:`core.export.json_export.export_document` and
:func:`core.export.fhir.fhir_bundle` themselves), but hold one patient at a
time: ``histories`` is usually ``Library.iter_histories()``, which reads the
library on a server-side cursor. FHIR NDJSON (bulk data) writes one resource
per line: to one stream, or to one ``<ResourceType>.ndjson`` file per type in
a folder as the FHIR Bulk Data specification lays them out.
"""
from __future__ import annotations

import contextlib
import gc
import json
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from json.encoder import encode_basestring as _encode_str  # C-accelerated, ensure_ascii=False
from typing import Any, TextIO

from ..model.history import PatientHistory
from . import fhir
from .constant_json import ConstantArray, ConstantObject
from .csv_export import write_csv
from .json_export import export_document, patient_json

_ITEM_INDENT = "    "  # items of the document's top-level list sit two levels deep


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _float(o: float) -> str:
    if o != o:
        return "NaN"
    if o in (float("inf"), float("-inf")):
        return "Infinity" if o > 0 else "-Infinity"
    return float.__repr__(o)


def _key(k: Any) -> str:
    if isinstance(k, str):
        return _encode_str(k)
    if isinstance(k, float):
        return '"' + _float(k) + '"'
    if k is True or k is False or k is None:
        return '"' + json.dumps(k) + '"'
    if isinstance(k, int):
        return '"' + int.__repr__(k) + '"'
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(k).__name__}")


def indented(o: Any, indent: str = "") -> str:
    """``json.dumps(o, ensure_ascii=False, indent=2)`` with every line after the first at ``indent``.

    The same bytes, a few times faster: the standard library's C encoder does
    not indent (Python < 3.13), and its pure-Python one spends most of an
    export's time in generators. Plain dicts and lists (what the exports
    build) take the fast paths below; anything else goes as ``json.dumps`` would.
    """
    t = type(o)
    if t is dict:
        return _dict(o, indent)
    if t is list:
        return _list(o, indent)
    if t is ConstantObject or t is ConstantArray:
        return _constant(o, indent)
    enc = _SCALARS.get(t)
    if enc is not None:
        return enc(o)
    if isinstance(o, str):  # subclasses: as json.dumps orders its checks
        return _encode_str(o)
    if o is None or o is True or o is False:
        return json.dumps(o)
    if isinstance(o, int):
        return int.__repr__(o)
    if isinstance(o, float):
        return _float(o)
    if isinstance(o, (list, tuple)):
        return _list(o, indent)
    if isinstance(o, dict):
        return _dict(o, indent)
    return json.dumps(o, ensure_ascii=False, indent=2)  # raises TypeError as json.dumps does


def _list(o, indent: str) -> str:
    if not o:
        return "[]"
    inner = indent + "  "
    sep = ",\n" + inner
    scalars = _SCALARS
    parts = []
    append = parts.append
    for v in o:
        t = type(v)
        if t is str:
            append(_encode_str(v))
        elif t is dict:
            append(_dict(v, inner))
        else:
            enc = scalars.get(t)
            append(enc(v) if enc is not None else indented(v, inner))
    return "[\n" + inner + sep.join(parts) + "\n" + indent + "]"


def _dict(o, indent: str) -> str:
    if not o:
        return "{}"
    inner = indent + "  "
    heads = _HEADS.get(inner)
    if heads is None:
        heads = _HEADS[inner] = {}
    scalars = _SCALARS
    parts = []
    append = parts.append
    for k, v in o.items():
        head = heads.get(k) if type(k) is str else None
        if head is None:
            head = (_encode_str(k) if type(k) is str else _key(k)) + ": "
            if type(k) is str and len(heads) < 2048:  # a document repeats a few keys at a few depths
                heads[k] = head
        t = type(v)
        if t is str:
            append(head + _encode_str(v))
        elif t is dict:
            append(head + _dict(v, inner))
        elif t is list:
            append(head + _list(v, inner))
        else:
            enc = scalars.get(t)
            append(head + (enc(v) if enc is not None else indented(v, inner)))
    return "{\n" + inner + (",\n" + inner).join(parts) + "\n" + indent + "}"


def _constant(o: ConstantObject | ConstantArray, indent: str) -> str:
    """A shared read-only value's text at ``indent``, encoded once (kept on the value)."""
    try:
        texts = o._encoded
    except AttributeError:
        texts = o._encoded = {}
    text = texts.get(indent)
    if text is None:
        text = texts[indent] = _dict(o, indent) if type(o) is ConstantObject else _list(o, indent)
    return text


_HEADS: dict[str, dict[str, str]] = {}  # indent -> key -> '"key": '

_SCALARS = {
    str: _encode_str, int: int.__repr__, float: _float, bool: lambda b: "true" if b else "false",
    type(None): lambda _: "null",
}


def _write_with_list_tail(out: TextIO, head: dict[str, Any], key: str, items: Iterable[dict[str, Any]]) -> None:
    """Write ``head`` (whose last key is ``key``, an empty list) with ``items`` streamed into that list."""
    if list(head)[-1] != key or head[key] != []:
        raise ValueError(f"{key!r} must be the document's last field, empty")
    text = _dump(head)
    tail = f'"{key}": []\n}}'
    if not text.endswith(tail):
        raise ValueError("unexpected JSON layout")
    out.write(text[: -len(tail)] + f'"{key}": [')
    first = True
    for item in items:
        out.write(("\n" if first else ",\n") + _ITEM_INDENT + indented(item, _ITEM_INDENT))
        first = False
    out.write("]\n}\n" if first else "\n  ]\n}\n")


def write_json(out: TextIO, histories: Iterable[PatientHistory], factor_set: str, software_version: str) -> None:
    """The ``dosetrail.export/1`` document, one patient at a time.

    Parameters
    ----------
    out : TextIO
        Where to write (a file opened with ``newline=""`` or standard output).
    histories : iterable of PatientHistory
    factor_set, software_version : str
        As :func:`core.export.json_export.export_document` takes them.
    """
    head = export_document([], factor_set, software_version)
    _write_with_list_tail(out, head, "patients", (patient_json(h) for h in histories))


def write_fhir_bundle(out: TextIO, histories: Iterable[PatientHistory], software_version: str,
                      timestamp: datetime | None = None, bundle_id: str | None = None) -> None:
    """The FHIR R4 ``collection`` Bundle of :func:`core.export.fhir.fhir_bundle`, one resource at a time.

    Parameters
    ----------
    out : TextIO
    histories : iterable of PatientHistory
    software_version : str
    timestamp : datetime or None
        The bundle's timestamp (now when omitted).
    bundle_id : str or None
        The bundle's id (a random UUID when omitted, as ``fhir_bundle`` gives).
    """
    head = fhir.fhir_bundle([], software_version=software_version, timestamp=timestamp)
    if bundle_id is not None:
        head["id"] = bundle_id
    head["entry"] = []

    def entries():
        for r in fhir.device_resources(software_version):
            yield fhir.entry(r)
        for h in histories:
            for r in fhir.history_resources(h, software_version):
                yield fhir.entry(r)

    _write_with_list_tail(out, head, "entry", entries())


def _ndjson_line(resource: dict[str, Any]) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n"


def _resources(histories: Iterable[PatientHistory], software_version: str):
    yield from fhir.device_resources(software_version)
    for h in histories:
        yield from fhir.history_resources(h, software_version)


def write_fhir_ndjson(out: TextIO, histories: Iterable[PatientHistory], software_version: str) -> None:
    """Every resource of the FHIR export as one JSON object per line, in bundle order."""
    for r in _resources(histories, software_version):
        out.write(_ndjson_line(r))


def write_fhir_ndjson_dir(folder: str | os.PathLike, histories: Iterable[PatientHistory],
                          software_version: str) -> list[Path]:
    """FHIR Bulk Data files: ``folder/<ResourceType>.ndjson``, one resource per line.

    Parameters
    ----------
    folder : str or os.PathLike
        Created (mode 0700) when missing.
    histories : iterable of PatientHistory
    software_version : str

    Returns
    -------
    list of pathlib.Path
        The files written (mode 0600), one per resource type.
    """
    from ..private_files import open_private, private_dir

    root = private_dir(folder, tighten=False)
    with contextlib.ExitStack() as stack:
        stack.enter_context(fewer_collections())
        files: dict[str, TextIO] = {}
        for r in _resources(histories, software_version):
            kind = r["resourceType"]
            if kind not in files:
                files[kind] = stack.enter_context(open_private(root / f"{kind}.ndjson"))
            files[kind].write(_ndjson_line(r))
        return [root / f"{k}.ndjson" for k in files]


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run an export with the cyclic garbage collector mostly out of the way (restored after).

    An export allocates millions of short-lived dicts and strings, freed by
    reference counting as each patient is written; the collector, triggered
    every 700 allocations, would walk them and everything the program loaded
    (the library, SQLAlchemy, pydicom) again and again: about a tenth of a
    FHIR export's time. What is alive when the export starts is frozen
    (:func:`gc.freeze`: never walked) and the youngest generation collected
    every 20,000 allocations instead; memory stays flat (the export makes no
    cycles that outlive a patient).
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(20000, 10, 10)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def write_export(out: TextIO, fmt: str, histories: Iterable[PatientHistory], factor_set: str,
                 software_version: str) -> None:
    """Write the export of format ``fmt`` (json, csv, fhir, fhir-ndjson) to ``out``."""
    with fewer_collections():
        _write_export(out, fmt, histories, factor_set, software_version)


def _write_export(out: TextIO, fmt: str, histories: Iterable[PatientHistory], factor_set: str,
                  software_version: str) -> None:
    if fmt == "json":
        write_json(out, histories, factor_set, software_version)
    elif fmt == "csv":
        write_csv(out, histories)
    elif fmt == "fhir":
        write_fhir_bundle(out, histories, software_version)
    elif fmt == "fhir-ndjson":
        write_fhir_ndjson(out, histories, software_version)
    else:
        raise ValueError(f"unknown export format: {fmt}")
