"""Find and retrieve through whichever protocol an archive speaks (DIMSE or DICOMweb)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import dimse, web
from . import matches
from .archives import Archive, ArchiveError
from .matches import StudyMatch, dose_only


def _backend(archive: Archive):
    return dimse if archive.kind == "dimse" else web


def check(archive: Archive) -> None:
    """C-ECHO (DIMSE) or a QIDO-RS query (DICOMweb); ArchiveError when it fails."""
    _backend(archive).echo(archive)


def find(archive: Archive, patient_id: str | None = None, name: str | None = None,
         birth_date: str | None = None) -> list[StudyMatch]:
    """The archive's studies for a patient.

    Raises
    ------
    ArchiveError
        When more than :data:`core.pacs.matches.MAX_STUDIES` studies match (not one patient).
    """
    return _too_many(archive, _backend(archive).find_studies(archive, patient_id, name, birth_date))


def _too_many(archive: Archive, studies: list[StudyMatch]) -> list[StudyMatch]:
    if len(studies) > matches.MAX_STUDIES:
        raise ArchiveError(f"the archive {archive.name} has more than {matches.MAX_STUDIES} studies for this "
                           "search; narrow it (--patient-id, --birth-date)")
    return studies


@dataclass
class Retrieved:
    """What a retrieve brought into its folder."""

    studies: int
    instances_offered: int
    instances_received: int
    bytes_received: int


def retrieve(archive: Archive, dest: Path, patient_id: str, study_uids: list[str] | None = None,
             dose_only_: bool = False, move_port: int | None = None) -> Retrieved:
    """Retrieve a patient's studies (all, or ``study_uids``) into the folder ``dest``.

    Parameters
    ----------
    archive : Archive
    dest : pathlib.Path
        An existing folder; one Part 10 file per instance received.
    patient_id : str
        Only the patient's studies are retrieved (a ``study_uids`` entry of another patient is ignored).
    study_uids : list of str or None
    dose_only_ : bool
        Just the dose reports, the dose screens and a few headers per image series
        (:func:`core.pacs.matches.dose_only`).
    move_port : int or None
        DIMSE: C-MOVE to a listener started here on this port under the archive's calling AE
        title (the archive must know it), instead of C-GET.

    Returns
    -------
    Retrieved
    """
    backend = _backend(archive)
    studies = [s.study_instance_uid for s in _too_many(archive, backend.find_studies(archive, patient_id=patient_id))
               if s.patient_id == patient_id or not s.patient_id]
    if study_uids:
        wanted = set(study_uids)
        studies = [uid for uid in studies if uid in wanted]
    if not studies:
        return Retrieved(0, 0, 0, 0)
    instances = backend.find_instances(archive, studies)
    picked = dose_only(instances) if dose_only_ else instances
    if move_port is not None and archive.kind == "dimse":
        n, size = _move(archive, picked, dest, not dose_only_, move_port)
    else:
        n, size = backend.get(archive, picked, dest, whole_studies=not dose_only_)
    return Retrieved(len(studies), len(picked), n, size)


def _move(archive: Archive, picked, dest: Path, whole_studies: bool, port: int) -> tuple[int, int]:
    from .listener import Listener

    listener = Listener(archive.calling_aet, port, spool=dest)
    try:
        dimse.move(archive, picked, archive.calling_aet, whole_studies)
    finally:  # every C-STORE was answered before the C-MOVE's final status: its file is written
        batches = listener.stop()
        listener.close()
    return sum(b[1] for b in batches), sum(b[2] for b in batches)
