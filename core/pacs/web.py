"""DICOMweb query/retrieve with dicomweb-client: QIDO-RS (studies, series, instances), WADO-RS."""
from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path
from threading import Event
from typing import Callable

from pydicom.dataset import Dataset

from .archives import Archive, ArchiveError
from .matches import InstanceMatch, StudyMatch, study_match, to_int

TIMEOUT = 30.0


def _client(archive: Archive):
    from dicomweb_client.api import DICOMwebClient

    client = DICOMwebClient(url=archive.url, session=_wildcard_session(), timeout=TIMEOUT)
    # its default retries every fault five times with exponential back-off (a minute before an
    # unreachable archive is reported); the user reruns instead
    client.set_http_retry_params(retry=False)
    return client


@contextmanager
def _faults(archive: Archive, retrieving: bool = False):
    """requests' faults -> ArchiveError with one line."""
    import requests

    then = "; what arrived is imported, run the retrieve again to complete it" if retrieving else ""
    try:
        yield
    except requests.exceptions.HTTPError as exc:
        code = exc.response.status_code if exc.response is not None else "?"
        raise ArchiveError(f"the archive {archive.name} ({archive.url}) answered HTTP {code}{then}") from None
    except requests.exceptions.RequestException as exc:
        raise ArchiveError(f"the archive {archive.name} ({archive.url}) cannot be reached "
                           f"({type(exc).__name__}); check the URL and the network{then}") from None


def _ds(item: dict) -> Dataset:
    return Dataset.from_json(item)


def echo(archive: Archive) -> None:
    """A QIDO-RS query that matches nothing: the service answers or ArchiveError."""
    with _faults(archive):
        _client(archive).search_for_studies(search_filters={"StudyInstanceUID": "1.2.3.4.5.6.7.8.9"})


def find_studies(archive: Archive, patient_id: str | None = None, name: str | None = None,
                 birth_date: str | None = None) -> list[StudyMatch]:
    """The archive's studies for a patient (QIDO-RS).

    The name and the patient ID go as DICOM wildcard patterns the archive can read whether
    or not it percent-decodes the query (see :func:`query_pattern`); when that widened
    them, the studies are matched again here against what the user typed.
    """
    wanted = {k: v for k, v in (("PatientID", patient_id), ("PatientName", name),
                                 ("PatientBirthDate", birth_date)) if v}
    filters = {k: query_pattern(v) for k, v in wanted.items()}
    fields = ["StudyDescription", "ModalitiesInStudy", "NumberOfStudyRelatedSeries",
              "NumberOfStudyRelatedInstances", "PatientName", "PatientID", "StudyDate"]
    with _faults(archive):
        found = _client(archive).search_for_studies(search_filters=filters, fields=fields) or []
    out = []
    for item in found:
        match = study_match(_ds(item))
        if filters.get("PatientName", name) != name and not matches_pattern(name or "", _alphabetic(match.patient_name)):
            continue
        if filters.get("PatientID", patient_id) != patient_id and (match.patient_id or "") != patient_id:
            continue
        out.append(match)
    return sorted(out, key=lambda s: (s.date or "", s.study_instance_uid))


#: characters a query value keeps as they are (RFC 3986 unreserved, and the DICOM wildcards)
_PLAIN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~*?")


def query_pattern(value: str) -> str:
    """``value`` as a QIDO-RS matching value that needs no percent-encoding.

    Orthanc's DICOMweb plugin (and other archives) match the query text without
    percent-decoding it: ``DOE%5EJANE`` or ``DOE%2A`` find nothing. DICOM wildcards go
    as they are (``*`` and ``?`` may stand in a URI's query, see :func:`_wildcard_session`);
    every other character that would be encoded (``^``, a space, a letter outside ASCII)
    becomes the one-character wildcard ``?``, and the answer is matched again against
    ``value`` (:func:`matches_pattern`).
    """
    return "".join(c if c in _PLAIN else "?" for c in value)


def matches_pattern(pattern: str, value: str) -> bool:
    """DICOM wildcard matching (``*`` any run, ``?`` one character), case-insensitive as archives match names."""
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value, re.IGNORECASE | re.DOTALL) is not None


def _alphabetic(name: str | None) -> str:
    """A person name's alphabetic group without trailing empty components (``DOE^JANE^^`` -> ``DOE^JANE``)."""
    return (name or "").split("=")[0].rstrip("^")


def _wildcard_session():
    """A requests session that sends ``*`` and ``?`` in a query unencoded.

    dicomweb-client percent-encodes every query value; ``%2A`` and ``*`` mean the same to
    an archive that decodes the query (RFC 3986 allows both characters in it), and only
    the latter works with one that does not (Orthanc's DICOMweb plugin).
    """
    import requests

    class WildcardSession(requests.Session):
        def request(self, method, url, *args, **kwargs):  # noqa: D102 - requests API
            base, sep, query = str(url).partition("?")
            if sep:
                url = base + sep + query.replace("%2A", "*").replace("%3F", "?")
            return super().request(method, url, *args, **kwargs)

    return WildcardSession()


def find_instances(archive: Archive, study_uids: list[str]) -> list[InstanceMatch]:
    """Every instance of the studies (QIDO-RS, series then instances)."""
    out = []
    with _faults(archive):
        client = _client(archive)
        for uid in study_uids:
            for s in client.search_for_series(study_instance_uid=uid) or []:
                series = _ds(s)
                for i in client.search_for_instances(study_instance_uid=uid,
                                                     series_instance_uid=str(series.SeriesInstanceUID),
                                                     fields=["InstanceNumber"]) or []:
                    inst = _ds(i)
                    out.append(InstanceMatch(uid, str(series.SeriesInstanceUID), str(inst.get("SOPInstanceUID", "")),
                                             str(inst.get("SOPClassUID", "")), str(series.get("Modality", "")),
                                             to_int(inst.get("InstanceNumber"))))
    return out


def find_series_instances(archive: Archive, study_uid: str, series_uid: str) -> list[InstanceMatch]:
    """Every instance of one series (QIDO-RS); empty when the archive has not the series."""
    with _faults(archive):
        client = _client(archive)
        series = client.search_for_series(study_instance_uid=study_uid,
                                          search_filters={"SeriesInstanceUID": series_uid}) or []
        if not series:
            return []
        modality = str(_ds(series[0]).get("Modality", ""))
        found = client.search_for_instances(study_instance_uid=study_uid, series_instance_uid=series_uid,
                                            fields=["InstanceNumber"]) or []
    return [InstanceMatch(study_uid, series_uid, str(inst.get("SOPInstanceUID", "")), str(inst.get("SOPClassUID", "")),
                          modality, to_int(inst.get("InstanceNumber"))) for inst in map(_ds, found)]


def get(archive: Archive, instances: list[InstanceMatch], dest: Path, whole_studies: bool,
        on_file: Callable[[Path, int], None] | None = None, cancel: Event | None = None,
        whole_series: bool = False) -> tuple[int, int]:
    """WADO-RS into ``dest``: whole studies, whole series (of ``instances``), or just ``instances``.

    ``on_file(path, size)`` is called for each instance written. A set ``cancel`` is seen
    between instances (a whole study's multipart stream is closed there); what arrived stays.

    Returns
    -------
    tuple of (int, int)
        Instances and bytes received (the Part 10 files written).
    """
    received = [0, 0]

    def keep(ds: Dataset) -> None:
        path = dest / f"{received[0]:06d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        size = path.stat().st_size
        received[0] += 1
        received[1] += size
        if on_file:
            on_file(path, size)

    with _faults(archive, retrieving=True):
        client = _client(archive)
        if whole_series:
            for study_uid, series_uid in dict.fromkeys((i.study_uid, i.series_uid) for i in instances):
                if _drain(client.iter_series(study_uid, series_uid), keep, cancel):
                    break
        elif whole_studies:
            for uid in dict.fromkeys(i.study_uid for i in instances):
                if _drain(client.iter_study(uid), keep, cancel):
                    break
        else:
            for inst in instances:
                if _cancelled(cancel):
                    break
                keep(client.retrieve_instance(inst.study_uid, inst.series_uid, inst.sop_instance_uid))
    return received[0], received[1]


def _drain(stream, keep, cancel) -> bool:
    """Keep each data set of a WADO-RS stream (a study or a series) until it ends or Cancel;
    the stream is closed either way. Returns True when cancelled (nothing more is asked for)."""
    try:
        if _cancelled(cancel):
            return True
        for ds in stream:
            keep(ds)  # (what arrived is kept)
            if _cancelled(cancel):
                return True
    finally:
        stream.close()
    return _cancelled(cancel)


def _cancelled(cancel: Event | None) -> bool:
    return cancel is not None and cancel.is_set()
