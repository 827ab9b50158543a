"""Where a study's or series' files are (managed store or linked in place)."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..storage.filestore import instance_file
from ..storage.models import Instance, Series, Study

#: copies looked for when the store is pointed at a folder (the first and the last imported)
SAMPLED_COPIES = 3


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
    return [instance_file(store_root, i.path, i.linked) for i in sorted(rows, key=_order_key)]


def study_files(session: Session, store_root: Path, study_uid: str) -> list[str]:
    rows = session.scalars(
        select(Instance).join(Series).join(Study).where(Study.study_instance_uid == study_uid)
    ).all()
    return [instance_file(store_root, i.path, i.linked) for i in sorted(rows, key=_order_key)]


def holds_copies(session: Session) -> bool:
    """True when the library records at least one copy in the file store (not only linked files)."""
    return session.scalar(select(Instance.id).where(Instance.linked.is_(False)).limit(1)) is not None


def copies_missing(session: Session, store_root: Path) -> str | None:
    """The store-relative path of a sampled copy missing from ``store_root`` when none of the
    sampled copies is there (the folder is not this library's store), else None."""
    copied = select(Instance.path).where(Instance.linked.is_(False))
    paths = [*session.scalars(copied.order_by(Instance.id).limit(SAMPLED_COPIES)),
             *session.scalars(copied.order_by(Instance.id.desc()).limit(SAMPLED_COPIES))]
    if not paths or any(os.path.isfile(instance_file(store_root, p, False)) for p in paths):
        return None
    return paths[0]
