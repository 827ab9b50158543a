"""The data lake: pseudonymised, Hive-partitioned Parquet for analytics engines.

``export --format parquet -o DIR`` writes ``DIR/studies/year=YYYY/part-0.parquet``
(one row per study) and ``DIR/events/year=YYYY/part-0.parquet`` (one row per
irradiation event of the per-event breakdown); undated studies go to
``year=__HIVE_DEFAULT_PARTITION__`` (read as a null year by DuckDB and Spark).
DuckDB, Polars and Spark read the folders as they are
(``read_parquet('DIR/events/*/*.parquet', hive_partitioning = true)``).

What is in it, and what is not:

- patient keys, Study Instance UIDs and Irradiation Event UIDs are replaced
  by keyed hashes (HMAC-SHA256, hex) under a random key made once per user and
  kept with the user's settings (``pseudonym.key`` next to ``settings.json``,
  mode 0600), never in the output: the same patient gets the same
  ``patient_pseudonym`` in every export of this user, and nobody without the
  key can test a guessed ID against it;
- names, patient IDs, birth dates, accession numbers and free-text warnings
  are left out; dates are kept to the month (``date`` is ``YYYY-MM``), ages to
  whole years;
- column names follow the JSON export's fields (``ct_dlp_mgycm``,
  ``effective_dose_msv``, ``factor_status`` ...); ``manufacturer``, ``model``,
  ``station`` and ``protocol_name`` name the device and protocol (from the
  study's first series that names them), ``drl_*`` the national CT reference
  level the study was compared with (the setting's scheme).

Rows are written a batch of patients at a time (one row group per batch and
year), so memory stays bounded whatever the library's size.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..model.history import ExamView, PatientHistory
from ..model.library_errors import LibraryError
from .json_export import json_number

KEY_FILE = "pseudonym.key"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
ROWS_PER_FLUSH = 20_000

_S, _F, _I, _B = pa.string(), pa.float64(), pa.int32(), pa.bool_()
_DEVICE = [("institution", _S), ("manufacturer", _S), ("model", _S), ("station", _S), ("protocol_name", _S)]

STUDY_SCHEMA = pa.schema([
    ("patient_pseudonym", _S), ("study_pseudonym", _S), ("date", _S), ("sex", _S), ("age_years", _I),
    ("modalities", pa.list_(_S)), ("description", _S), *_DEVICE, ("body_region", _S), ("ionising", _B),
    ("ct_dlp_mgycm", _F), ("ct_ctdivol_mgy_max", _F), ("ct_irradiation_events", _I), ("dap_gycm2", _F),
    ("agd_mgy", _F), ("administered_activity_mbq", _F), ("radiopharmaceutical", _S),
    ("effective_dose_msv", _F), ("effective_dose_low_msv", _F), ("effective_dose_high_msv", _F),
    ("reported_effective_dose_msv", _F), ("method", _S), ("factor_set", _S), ("factor_status", _S),
    ("sources", pa.list_(_S)), ("counted_in_total", _B), ("not_counted_reason", _S),
    ("drl_scheme", _S), ("drl_exam", _S), ("drl_dlp_mgycm", _F), ("drl_ctdivol_mgy", _F),
])

EVENT_SCHEMA = pa.schema([
    ("patient_pseudonym", _S), ("study_pseudonym", _S), ("event_pseudonym", _S), ("date", _S),
    ("modalities", pa.list_(_S)), ("description", _S), *_DEVICE,
    ("kind", _S), ("region", _S), ("region_from", _S),
    ("ct_dlp_mgycm", _F), ("ct_ctdivol_mgy", _F), ("dap_gycm2", _F), ("dose_rp_gy", _F), ("agd_mgy", _F),
    ("administered_activity_mbq", _F), ("factor", _F), ("factor_unit", _S), ("factor_status", _S),
    ("factor_source", _S), ("effective_dose_msv", _F), ("effective_dose_low_msv", _F),
    ("effective_dose_high_msv", _F), ("counted_in_total", _B),
])


def pseudonym_key(home: Path | None = None) -> bytes:
    """The user's pseudonymisation key, made (32 random bytes, mode 0600) the first time.

    Parameters
    ----------
    home : pathlib.Path or None
        The folder of the user's settings (``DOSETRAIL_HOME``; default: :func:`core.config.data_home`).

    Returns
    -------
    bytes
        The HMAC key. It never goes into an export.
    """
    from ..config import data_home
    from ..private_files import FILE_MODE

    path = (home or data_home()) / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    except FileExistsError:
        for _ in range(50):  # another process may have created it a moment ago and be writing it
            try:
                key = bytes.fromhex(path.read_text(encoding="ascii").strip())
            except ValueError:
                key = b""
            if len(key) >= 16:
                return key
            time.sleep(0.02)
        raise LibraryError(f"{path} does not hold a usable pseudonymisation key; "
                           "move it away to make a new one") from None
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex() + "\n")
    return key


class Pseudonymiser:
    """Keyed hashes of identifiers (HMAC-SHA256, hex), one namespace per kind."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, kind: str, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        return hmac.new(self._key, f"{kind}\x1f{value}".encode("utf-8"), hashlib.sha256).hexdigest()


def _month(date: str | None) -> str | None:
    return date[:7] if date and len(date) >= 7 else None


def _year(date: str | None) -> str:
    return date[:4] if date and len(date) >= 4 and date[:4].isdigit() else NULL_PARTITION


def _device(exam: ExamView) -> dict[str, str | None]:
    out = {"institution": exam.institution, "manufacturer": None, "model": None, "station": None,
           "protocol_name": None}
    for s in exam.series:
        for name in ("manufacturer", "model", "station", "protocol_name"):
            if out[name] is None and getattr(s, name, None):
                out[name] = getattr(s, name)
    return out


def _drl(exam: ExamView) -> dict[str, object]:
    out: dict[str, object] = {"drl_scheme": None, "drl_exam": None, "drl_dlp_mgycm": None, "drl_ctdivol_mgy": None}
    for f in exam.reference_levels:
        out["drl_scheme"], out["drl_exam"] = f.scheme, f.exam
        out["drl_dlp_mgycm" if f.quantity == "DLP" else "drl_ctdivol_mgy"] = f.reference
    return out


def lake_rows(history: PatientHistory, pseudo: Pseudonymiser) -> tuple[list[dict], list[dict]]:
    """One patient's study rows and event rows (each with its ``year`` partition value)."""
    patient = pseudo("patient", history.patient.key)
    studies, events = [], []
    for e in history.exams:
        study = pseudo("study", e.study_instance_uid)
        rng = e.effective_dose_range_msv or (None, None)
        common = {"patient_pseudonym": patient, "study_pseudonym": study, "date": _month(e.date),
                  "modalities": list(e.modalities), "description": e.description, **_device(e)}
        d = e.dose
        studies.append({
            **common, "year": _year(e.date), "sex": history.patient.sex,
            "age_years": int(e.age_years) if e.age_years is not None else None,
            "body_region": e.body_region, "ionising": e.ionising,
            "ct_dlp_mgycm": d.ct_dlp_mgycm, "ct_ctdivol_mgy_max": d.ct_ctdivol_mgy_max,
            "ct_irradiation_events": d.ct_irradiation_events, "dap_gycm2": d.dap_gycm2, "agd_mgy": d.agd_mgy,
            "administered_activity_mbq": d.administered_activity_mbq, "radiopharmaceutical": d.radiopharmaceutical,
            "effective_dose_msv": e.effective_dose_msv, "effective_dose_low_msv": rng[0],
            "effective_dose_high_msv": rng[1], "reported_effective_dose_msv": e.reported_effective_dose_msv,
            "method": e.method, "factor_set": e.factor_set, "factor_status": e.factor_status,
            "sources": list(e.sources), "counted_in_total": e.counted_in_total,
            "not_counted_reason": e.not_counted_reason, **_drl(e),
        })
        for ev in e.events:
            erng = ev.effective_dose_range_msv or (None, None)
            events.append({
                **common, "year": _year(e.date), "event_pseudonym": pseudo("event", ev.uid),
                "kind": ev.kind, "region": ev.region, "region_from": ev.region_from,
                "ct_dlp_mgycm": ev.ct_dlp_mgycm, "ct_ctdivol_mgy": ev.ct_ctdivol_mgy, "dap_gycm2": ev.dap_gycm2,
                "dose_rp_gy": ev.dose_rp_gy, "agd_mgy": ev.agd_mgy,
                "administered_activity_mbq": ev.administered_activity_mbq, "factor": ev.factor,
                "factor_unit": ev.factor_unit, "factor_status": ev.factor_status,
                "factor_source": ev.factor_source, "effective_dose_msv": ev.effective_dose_msv,
                "effective_dose_low_msv": erng[0], "effective_dose_high_msv": erng[1],
                "counted_in_total": e.counted_in_total,
            })
    return studies, events


class _PartitionedTable:
    """One Hive-partitioned table: a Parquet writer per year, opened when its first row comes."""

    def __init__(self, root: Path, schema: pa.Schema) -> None:
        self.root, self.schema = root, schema
        self.rows: list[dict] = []
        self.writers: dict[str, tuple[object, pq.ParquetWriter]] = {}
        self.count = 0

    def add(self, rows: list[dict]) -> None:
        for r in rows:  # figures rounded as the JSON export rounds them (6 decimals)
            self.rows.append({k: json_number(v) if isinstance(v, float) else v for k, v in r.items()})
        if len(self.rows) >= ROWS_PER_FLUSH:
            self.flush()

    def flush(self) -> None:
        from ..private_files import open_private, private_dir

        by_year: dict[str, list[dict]] = {}
        for r in self.rows:
            by_year.setdefault(r["year"], []).append(r)
        for year, rows in sorted(by_year.items()):
            if year not in self.writers:
                folder = private_dir(self.root / f"year={year}")
                cm = open_private(folder / "part-0.parquet", binary=True)
                f = cm.__enter__()
                self.writers[year] = (cm, pq.ParquetWriter(f, self.schema, compression="zstd"))
            table = pa.Table.from_pylist(rows, schema=self.schema)
            self.writers[year][1].write_table(table)
            self.count += len(rows)
        self.rows = []

    def close(self, error: BaseException | None = None) -> None:
        if error is None:
            self.flush()
        for cm, writer in self.writers.values():
            try:
                writer.close()
            finally:
                cm.__exit__(type(error) if error else None, error, None)


def write_lake(folder: str | os.PathLike, histories: Iterable[PatientHistory], key: bytes) -> dict[str, int]:
    """Write the data lake of ``histories`` under ``folder``.

    Parameters
    ----------
    folder : str or os.PathLike
        The lake's root (created, mode 0700). It must not hold ``studies/`` or
        ``events/`` already (an older lake's partitions would mix with the new ones).
    histories : iterable of PatientHistory
        Usually ``Library.iter_histories()`` (streamed).
    key : bytes
        The pseudonymisation key (:func:`pseudonym_key`).

    Returns
    -------
    dict
        ``{"studies": n, "events": m}``, the rows written.

    Raises
    ------
    FileExistsError
        When ``folder`` already holds a lake.
    """
    from ..private_files import private_dir

    root = private_dir(folder, tighten=False)
    for name in ("studies", "events"):
        if (root / name).exists():
            raise FileExistsError(f"{root / name} already exists: export the data lake into an empty folder")
    pseudo = Pseudonymiser(key)
    studies = _PartitionedTable(private_dir(root / "studies"), STUDY_SCHEMA)
    events = _PartitionedTable(private_dir(root / "events"), EVENT_SCHEMA)
    error: BaseException | None = None
    try:
        for h in histories:
            s_rows, e_rows = lake_rows(h, pseudo)
            studies.add(s_rows)
            events.add(e_rows)
    except BaseException as exc:
        error = exc
        raise
    finally:
        try:
            studies.close(error)
        finally:
            events.close(error)
            if error is not None:  # no half lake left behind (the next export may use the folder)
                for name in ("studies", "events"):
                    shutil.rmtree(root / name, ignore_errors=True)
    return {"studies": studies.count, "events": events.count}
