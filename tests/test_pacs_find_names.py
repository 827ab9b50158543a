"""``pacs find --name PATTERN`` with DICOM wildcards finds the same studies over DIMSE and DICOMweb
(a real Orthanc, whose DICOMweb plugin matches the query text without percent-decoding it)."""
from __future__ import annotations

import json

import pytest

from dosetrail.core.cli.main import main
from dosetrail.core.pacs.web import matches_pattern, query_pattern

from orthanc_server import PATIENT, orthanc  # noqa: F401 - the session fixture

# PATIENT is ARCHIVE^ANNA
FOUND = ["ARCHIVE*", "ARCHIVE^ANNA", "archive^anna", "*^ANNA", "ARCH?VE^ANNA", "ARCHIVE^*", "*"]
NOT_FOUND = ["NOBODY*", "ARCHIVE^ANNAX", "ARCHIVEXANNA", "ARCHIVE ANNA"]


def _add(o, kind: str) -> None:
    args = ["--dimse", f"{o.aet}@127.0.0.1:{o.dicom_port}"] if kind == "dimse" else ["--dicomweb", o.dicomweb]
    assert main(["pacs", "add", "arch", *args]) == 0


@pytest.mark.parametrize("kind", ["dimse", "dicomweb"])
def test_name_patterns_find_the_patient(orthanc, kind, capsys):
    _add(orthanc, kind)
    for pattern in FOUND + NOT_FOUND:
        capsys.readouterr()
        assert main(["pacs", "find", "arch", "--name", pattern, "--json"]) == 0
        found = {s["study_instance_uid"] for s in json.loads(capsys.readouterr().out)["studies"]}
        assert found == (set(orthanc.study_uids) if pattern in FOUND else set()), (kind, pattern)


def test_a_patient_id_and_birth_date_over_dicomweb(orthanc, capsys):
    _add(orthanc, "dicomweb")
    for argv, hit in ((["--patient-id", PATIENT.patient_id], True), (["--patient-id", "PACS-100?"], True),
                      (["--patient-id", "PACS*"], True), (["--patient-id", "PACS-1002"], False),
                      (["--birth-date", PATIENT.birth_date], True)):
        capsys.readouterr()
        assert main(["pacs", "find", "arch", *argv, "--json"]) == 0
        found = {s["study_instance_uid"] for s in json.loads(capsys.readouterr().out)["studies"]}
        assert found == (set(orthanc.study_uids) if hit else set()), argv


def test_query_pattern_needs_no_percent_encoding_and_matching_undoes_the_widening():
    assert query_pattern("DOE^JANE") == "DOE?JANE"
    assert query_pattern("DOE*") == "DOE*" and query_pattern("O'NEIL JO") == "O?NEIL?JO"
    assert query_pattern("MÜLLER") == "M?LLER"
    assert matches_pattern("DOE^JANE", "doe^jane") and not matches_pattern("DOE^JANE", "DOEXJANE")
    assert matches_pattern("DOE*", "DOE^JOHN") and matches_pattern("D?E^*", "DOE^J")
    assert not matches_pattern("DOE", "DOE^JANE") and matches_pattern("a.b", "A.B") and not matches_pattern("a.b", "axb")
