"""Where a study's or series' files are (managed store or linked in place)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..storage.models import Instance, Series, Study


def _resolve(store_root: Path, path: str, linked: bool) -> str:
    return path if linked or Path(path).is_absolute() else str(store_root / path)


def _order_key(inst: Instance):
    dose = inst.dose or {}
    image = dose.get("image") or {}
    pos = image.get("position_mm")
    z = pos[2] if isinstance(pos, list) and len(pos) == 3 else None
    return (inst.instance_number is None, inst.instance_number or 0, z if z is not None else 0.0, inst.sop_instance_uid)


def series_files(session: Session, store_root: Path, series_uid: str) -> list[str]:
    rows = session.scalars(
        select(Instance).join(Series).where(Series.series_instance_uid == series_uid)
    ).all()
    return [_resolve(store_root, i.path, i.linked) for i in sorted(rows, key=_order_key)]


def study_files(session: Session, store_root: Path, study_uid: str) -> list[str]:
    rows = session.scalars(
        select(Instance).join(Series).join(Study).where(Study.study_instance_uid == study_uid)
    ).all()
    return [_resolve(store_root, i.path, i.linked) for i in sorted(rows, key=_order_key)]
