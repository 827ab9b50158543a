"""Find and retrieve through whichever protocol an archive speaks (DIMSE or DICOMweb)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from threading import Event
from typing import Callable

from . import dimse, web
from . import matches
from .archives import Archive, ArchiveError
from .matches import InstanceMatch, StudyMatch, dose_only


def backend_of(archive: Archive):
    """The module that speaks ``archive``'s protocol: :mod:`.dimse` or :mod:`.web`."""
    return dimse if archive.kind == "dimse" else web


_backend = backend_of


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


@dataclass
class Plan:
    """What a retrieve will ask an archive for, study by study.

    Attributes
    ----------
    archive : Archive
    study_uids : list of str
        The patient's studies to retrieve, oldest first.
    instances : dict
        Study UID -> the instances picked of it (all of them, or the dose-only pick).
    whole_studies : bool
        Ask for whole studies (a full retrieve) rather than instance by instance.
    """

    archive: Archive
    study_uids: list[str]
    instances: dict[str, list[InstanceMatch]]
    whole_studies: bool

    @property
    def expected(self) -> int:
        """How many instances the archive should send."""
        return sum(len(v) for v in self.instances.values())


def plan(archive: Archive, patient_id: str, study_uids: list[str] | None = None, dose_only_: bool = False) -> Plan:
    """Ask the archive what to retrieve: the patient's studies (all, or ``study_uids``) and their instances.

    A ``study_uids`` entry of another patient is left out. The instance counts make the
    progress of the transfer determinate.
    """
    backend = _backend(archive)
    studies = [s.study_instance_uid for s in _too_many(archive, backend.find_studies(archive, patient_id=patient_id))
               if s.patient_id == patient_id or not s.patient_id]
    if study_uids:
        wanted = set(study_uids)
        studies = [uid for uid in studies if uid in wanted]
    found = backend.find_instances(archive, studies) if studies else []
    picked = dose_only(found) if dose_only_ else found
    by_study: dict[str, list[InstanceMatch]] = {uid: [] for uid in studies}
    for inst in picked:
        by_study.setdefault(inst.study_uid, []).append(inst)
    return Plan(archive, studies, by_study, whole_studies=not dose_only_)


def fetch(plan_: Plan, study_uid: str, dest: Path, on_file: Callable[[Path, int], None] | None = None,
          cancel: Event | None = None) -> tuple[int, int]:
    """C-GET or WADO-RS one study of ``plan_`` into the folder ``dest``; instances and bytes received."""
    picked = plan_.instances.get(study_uid) or []
    if not picked:
        return 0, 0
    return _backend(plan_.archive).get(plan_.archive, picked, dest, whole_studies=plan_.whole_studies,
                                       on_file=on_file, cancel=cancel)
