"""DIMSE query/retrieve with pynetdicom: C-ECHO, C-FIND (study, series, image level), C-GET."""
from __future__ import annotations

from pathlib import Path
from threading import Event
from typing import Callable, Iterable

from pydicom.dataset import Dataset

from .archives import Archive, ArchiveError
from .matches import InstanceMatch, StudyMatch, study_match, to_int

#: seconds to wait for a TCP connection, an association answer, a network message
TIMEOUT = 10.0
_PENDING = (0xFF00, 0xFF01)
#: the final status of a C-GET/C-MOVE that a C-CANCEL ended
CANCELLED = 0xFE00
#: the Message ID of DoseTrail's C-GET/C-MOVE requests (what a C-CANCEL names)
_MSG_ID = 1
#: pending responses an archive may send after a C-CANCEL before the association is aborted
_AFTER_CANCEL = 2


def _ae(calling_aet: str):
    from pynetdicom import AE

    ae = AE(ae_title=calling_aet)
    ae.connection_timeout = TIMEOUT
    ae.acse_timeout = TIMEOUT
    ae.network_timeout = TIMEOUT
    ae.dimse_timeout = 60
    return ae


def _associate(archive: Archive, ae, **kwargs):
    """An established association, or ArchiveError with one line saying why not."""
    assoc = ae.associate(archive.host, archive.port, ae_title=archive.aet, **kwargs)
    if assoc.is_established:
        return assoc
    where = f"{archive.name} ({archive.address()})"
    if assoc.is_rejected:
        raise ArchiveError(f"the archive {where} refused DoseTrail's association (calling AE title "
                           f"{archive.calling_aet}); ask its administrator to add this AE title")
    # pynetdicom reports a refused TCP connection as an aborted association
    raise ArchiveError(f"the archive {where} cannot be reached (no association); check the host, the port "
                       "and the network")


def echo(archive: Archive) -> None:
    """C-ECHO ``archive``.

    Raises
    ------
    ArchiveError
        When it cannot be reached, refuses the association or answers with a failure.
    """
    from pynetdicom.sop_class import Verification

    ae = _ae(archive.calling_aet)
    ae.add_requested_context(Verification)
    assoc = _associate(archive, ae)
    try:
        status = assoc.send_c_echo()
    finally:
        assoc.release()
    if not status or status.Status != 0:
        raise ArchiveError(f"the archive {archive.name} did not answer the C-ECHO")


def _find(archive: Archive, queries: Iterable[Dataset]) -> list[list[Dataset]]:
    """C-FIND each query (Study Root) over one association; the matches of each."""
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelFind as FIND

    ae = _ae(archive.calling_aet)
    ae.add_requested_context(FIND)
    assoc = _associate(archive, ae)
    out = []
    try:
        for query in queries:
            found = []
            for status, identifier in assoc.send_c_find(query, FIND):
                if not status:
                    raise ArchiveError(f"the archive {archive.name} stopped answering a query")
                if status.Status in _PENDING and identifier is not None:
                    found.append(identifier)
                elif status.Status != 0:
                    raise ArchiveError(f"the archive {archive.name} failed a query "
                                       f"(status 0x{status.Status:04X})")
            out.append(found)
    finally:
        if assoc.is_established:
            assoc.release()
    return out


def study_query(patient_id: str | None, name: str | None, birth_date: str | None) -> Dataset:
    """The study-level C-FIND identifier for a patient."""
    q = Dataset()
    q.QueryRetrieveLevel = "STUDY"
    q.PatientID = patient_id or ""
    q.PatientName = name or ""
    q.PatientBirthDate = birth_date or ""
    for keyword in ("StudyInstanceUID", "StudyDate", "ModalitiesInStudy", "StudyDescription",
                    "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances"):
        setattr(q, keyword, "")
    return q


def find_studies(archive: Archive, patient_id: str | None = None, name: str | None = None,
                 birth_date: str | None = None) -> list[StudyMatch]:
    """The archive's studies for a patient (C-FIND, study level)."""
    [found] = _find(archive, [study_query(patient_id, name, birth_date)])
    out = []
    for ds in found:
        out.append(study_match(ds))
    return sorted(out, key=lambda s: (s.date or "", s.study_instance_uid))


def find_instances(archive: Archive, study_uids: list[str]) -> list[InstanceMatch]:
    """Every instance of the studies (C-FIND, series then image level)."""
    series_queries = []
    for uid in study_uids:
        q = Dataset()
        q.QueryRetrieveLevel = "SERIES"
        q.StudyInstanceUID = uid
        q.SeriesInstanceUID = ""
        q.Modality = ""
        series_queries.append(q)
    series = [(uid, s) for uid, found in zip(study_uids, _find(archive, series_queries)) for s in found]
    image_queries = []
    for uid, s in series:
        q = Dataset()
        q.QueryRetrieveLevel = "IMAGE"
        q.StudyInstanceUID = uid
        q.SeriesInstanceUID = str(s.SeriesInstanceUID)
        q.SOPInstanceUID = ""
        q.SOPClassUID = ""
        q.InstanceNumber = ""
        image_queries.append(q)
    out = []
    for (uid, s), found in zip(series, _find(archive, image_queries)):
        for ds in found:
            out.append(InstanceMatch(uid, str(s.SeriesInstanceUID), str(ds.get("SOPInstanceUID", "")),
                                     str(ds.get("SOPClassUID", "")), str(s.get("Modality", "")),
                                     to_int(ds.get("InstanceNumber"))))
    return out


def find_series_instances(archive: Archive, study_uid: str, series_uid: str) -> list[InstanceMatch]:
    """Every instance of one series (C-FIND, series then image level); empty when the archive has not the series."""
    q = Dataset()
    q.QueryRetrieveLevel = "SERIES"
    q.StudyInstanceUID = study_uid
    q.SeriesInstanceUID = series_uid
    q.Modality = ""
    i = Dataset()
    i.QueryRetrieveLevel = "IMAGE"
    i.StudyInstanceUID = study_uid
    i.SeriesInstanceUID = series_uid
    i.SOPInstanceUID = ""
    i.SOPClassUID = ""
    i.InstanceNumber = ""
    series, images = _find(archive, [q, i])
    modality = str(series[0].get("Modality", "")) if series else ""
    return [InstanceMatch(study_uid, series_uid, str(ds.get("SOPInstanceUID", "")), str(ds.get("SOPClassUID", "")),
                          modality, to_int(ds.get("InstanceNumber"))) for ds in images]


def get(archive: Archive, instances: list[InstanceMatch], dest: Path, whole_studies: bool,
        on_file: Callable[[Path, int], None] | None = None, cancel: Event | None = None,
        whole_series: bool = False) -> tuple[int, int]:
    """C-GET into ``dest``: whole studies, whole series (of ``instances``), or just ``instances``.

    The storage sub-operations come back on the same association (no firewall hole):
    the SCP role is negotiated for every SOP class among ``instances``. ``on_file(path, size)``
    is called for each instance written. When ``cancel`` is set the next request is not sent
    and the running one gets a C-CANCEL (see :func:`_responses`); what arrived stays.

    Returns
    -------
    tuple of (int, int)
        Instances and bytes received.
    """
    from pynetdicom import ALL_TRANSFER_SYNTAXES, build_role, evt
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelGet as GET

    received = [0, 0]

    def on_store(event):
        data = event.encoded_dataset(include_meta=True)
        path = dest / f"{received[0]:06d}.dcm"
        path.write_bytes(data)
        received[0] += 1
        received[1] += len(data)
        if on_file:
            on_file(path, len(data))
        return 0x0000

    ae = _ae(archive.calling_aet)
    ae.add_requested_context(GET)
    classes = sorted({i.sop_class_uid for i in instances if i.sop_class_uid})
    if len(classes) > 120:
        raise ArchiveError(f"the studies hold {len(classes)} kinds of objects; retrieve fewer studies at once")
    for cls in classes:
        ae.add_requested_context(cls, ALL_TRANSFER_SYNTAXES)
    roles = [build_role(cls, scp_role=True) for cls in classes]
    assoc = _associate(archive, ae, ext_neg=roles, evt_handlers=[(evt.EVT_C_STORE, on_store)])
    try:
        for query in _get_queries(instances, whole_studies, whole_series):
            if cancel is not None and cancel.is_set():
                break
            final = _responses(archive, assoc, assoc.send_c_get(query, GET, msg_id=_MSG_ID), GET, cancel)
            if final is not None and final.Status not in (0x0000, 0xFF00, CANCELLED):
                failed = int(final.get("NumberOfFailedSuboperations", 0) or 0)
                raise ArchiveError(f"the archive {archive.name} could not send {failed or 'some'} object(s) "
                                   f"(status 0x{final.Status:04X}); what arrived is imported, run the retrieve again "
                                   "to complete it")
    finally:
        if assoc.is_established:
            assoc.release()
    return received[0], received[1]


def _get_queries(instances: list[InstanceMatch], whole_studies: bool, whole_series: bool = False) -> list[Dataset]:
    out = []
    if whole_series:
        for study_uid, series_uid in dict.fromkeys((i.study_uid, i.series_uid) for i in instances):
            q = Dataset()
            q.QueryRetrieveLevel = "SERIES"
            q.StudyInstanceUID = study_uid
            q.SeriesInstanceUID = series_uid
            out.append(q)
        return out
    if whole_studies:
        for uid in dict.fromkeys(i.study_uid for i in instances):
            q = Dataset()
            q.QueryRetrieveLevel = "STUDY"
            q.StudyInstanceUID = uid
            out.append(q)
        return out
    for inst in instances:
        q = Dataset()
        q.QueryRetrieveLevel = "IMAGE"
        q.StudyInstanceUID = inst.study_uid
        q.SeriesInstanceUID = inst.series_uid
        q.SOPInstanceUID = inst.sop_instance_uid
        out.append(q)
    return out


def move(archive: Archive, instances: list[InstanceMatch], destination_aet: str, whole_studies: bool,
         cancel: Event | None = None) -> None:
    """C-MOVE to ``destination_aet`` (the archive must know its host and port): whole studies or ``instances``.

    ``cancel`` as for :func:`get`.

    Raises
    ------
    ArchiveError
        When the archive refuses, or reports failed sub-operations (an unknown destination, say).
    """
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelMove as MOVE

    ae = _ae(archive.calling_aet)
    ae.add_requested_context(MOVE)
    assoc = _associate(archive, ae)
    try:
        for query in _get_queries(instances, whole_studies):
            if cancel is not None and cancel.is_set():
                break
            final = _responses(archive, assoc, assoc.send_c_move(query, destination_aet, MOVE, msg_id=_MSG_ID),
                               MOVE, cancel)
            if final is not None and final.Status not in (0x0000, 0xFF00, CANCELLED):
                raise ArchiveError(f"the archive {archive.name} could not send to {destination_aet} "
                                   f"(status 0x{final.Status:04X}); does it know this AE title, host and port?")
    finally:
        if assoc.is_established:
            assoc.release()


def _responses(archive: Archive, assoc, responses, model, cancel: Event | None) -> Dataset | None:
    """Read a C-GET/C-MOVE's responses; its final status (None when it was aborted on cancel).

    When ``cancel`` is set a C-CANCEL is sent (at the next pending response: one per
    sub-operation); an archive that goes on regardless is aborted after :data:`_AFTER_CANCEL`
    more pending responses.

    Raises
    ------
    ArchiveError
        When the archive stops answering (not cancelled).
    """
    final, after = None, None
    for status, _identifier in responses:
        if not status:
            if cancel is not None and cancel.is_set():
                return None
            raise ArchiveError(f"the archive {archive.name} stopped answering during the retrieve; "
                               "what arrived is imported, run the retrieve again to complete it")
        final = status
        if status.Status in _PENDING and cancel is not None and cancel.is_set():
            if after is None:
                assoc.send_c_cancel(_MSG_ID, query_model=model)
                after = 0
            elif after >= _AFTER_CANCEL:
                assoc.abort()
                return None
            else:
                after += 1
    return final
