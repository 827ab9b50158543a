"""Pixels on demand: the rest of a series a dose-only retrieve left in the archive.

A dose-only retrieve keeps of a CT/PT/NM/MR stack only its first and last instance (what the
estimate needs). When the user opens such a series the viewer asks
:func:`fetch_series_pixels`: the archives added are asked (series then image level) for the
series; one holding more instances than the library sends the whole series (C-GET/WADO-RS
at series level), which lands through the ordinary import (the instances already present are
deduplicated). Nothing is recorded of where a study came from: the archives are asked in the
order they were added, so a series retrieved incompletely by a cancelled retrieve is completed
the same way.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .facade import Library

#: a stack with at most this many instances in the library may be a dose-only pick (first and last)
DOSE_ONLY_STACK = 2


@dataclass
class SeriesFetch:
    """What :func:`fetch_series_pixels` did.

    Attributes
    ----------
    archive : str or None
        The archive that sent the rest of the series; None when none was asked or had more.
    instances_in_library : int
        The series' instances in the library before.
    instances_in_archive : int or None
        The series' instances in that archive (None when no archive had the series).
    instances_imported : int
    error : str or None
        Why an archive could not be asked or could not send (one line); the series stays as it was.
    """

    archive: str | None = None
    instances_in_library: int = 0
    instances_in_archive: int | None = None
    instances_imported: int = 0
    error: str | None = None


def _held(library: "Library", series_uid: str) -> tuple[str, str, int] | None:
    """(modality, study UID, instances) of a series in the library, or None."""
    from sqlalchemy import func, select

    from ..storage.models import Instance, Series, Study

    with library.session_factory() as s:
        row = s.execute(select(Series.modality, Study.study_instance_uid, func.count(Instance.id))
                        .join(Study, Series.study_id == Study.id)
                        .outerjoin(Instance, Instance.series_id == Series.id)
                        .where(Series.series_instance_uid == series_uid)
                        .group_by(Series.id, Series.modality, Study.study_instance_uid)).first()
    return (row[0] or "", row[1], int(row[2])) if row is not None else None


def may_be_partial(modality: str, instances: int) -> bool:
    """A series that a dose-only retrieve may have left incomplete (a stack of at most two)."""
    from ..pacs.matches import STACK_MODALITIES

    return modality in STACK_MODALITIES and 0 < instances <= DOSE_ONLY_STACK


def fetch_series_pixels(library: "Library", series_uid: str) -> SeriesFetch:
    """Complete a series from the archives when the library holds only a dose-only pick of it.

    Blocking (a pool thread's work). A series that is not a small stack, or no archive
    added, asks nothing. An archive that cannot be asked is skipped (``error`` says why)
    and the next is tried.
    """
    from ..pacs.archives import ArchiveError, load_archives
    from ..pacs.retrieve import backend_of

    held = _held(library, series_uid)
    if held is None:
        return SeriesFetch()
    modality, study_uid, count = held
    out = SeriesFetch(instances_in_library=count)
    if not may_be_partial(modality, count):
        return out
    for archive in load_archives():
        backend = backend_of(archive)
        try:
            found = backend.find_series_instances(archive, study_uid, series_uid)
        except ArchiveError as exc:
            out.error = out.error or str(exc)
            continue
        if len(found) <= count:
            continue
        out.archive, out.instances_in_archive = archive.name, len(found)
        with tempfile.TemporaryDirectory(prefix="dosetrail-series-") as tmp:
            try:
                backend.get(archive, found, Path(tmp), whole_studies=False, whole_series=True)
            except ArchiveError as exc:
                out.error = str(exc)
            finally:  # what arrived is imported (a later open completes the rest)
                if any(Path(tmp).iterdir()):
                    out.instances_imported = library.run_import([tmp]).instances_imported
        return out
    return out
