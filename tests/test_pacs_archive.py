"""Hospital archives against a real Orthanc (tests/orthanc_server.py): add, list, remove, find."""
from __future__ import annotations

import json
import os
import stat

import pytest

from dosetrail.core.cli.main import main

from orthanc_server import PATIENT, free_port, orthanc  # noqa: F401 - the session fixture


def _add_dimse(o, name="orthanc"):
    return main(["pacs", "add", name, "--dimse", f"{o.aet}@127.0.0.1:{o.dicom_port}"])


def test_add_list_remove_dimse_and_dicomweb(orthanc, dosetrail_home, capsys):
    assert _add_dimse(orthanc) == 0
    assert main(["pacs", "add", "web", "--dicomweb", orthanc.dicomweb]) == 0
    capsys.readouterr()
    assert main(["pacs", "list", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "dosetrail.pacs-list/1"
    by_name = {a["name"]: a for a in doc["archives"]}
    assert by_name["orthanc"]["kind"] == "dimse" and by_name["orthanc"]["port"] == orthanc.dicom_port
    assert by_name["orthanc"]["calling_aet"] == "DOSETRAIL"
    assert by_name["web"]["url"] == orthanc.dicomweb
    settings = dosetrail_home / "settings.json"
    assert stat.S_IMODE(os.stat(settings).st_mode) == 0o600
    assert main(["pacs", "remove", "web"]) == 0
    assert main(["pacs", "remove", "web"]) == 2
    capsys.readouterr()
    assert main(["pacs", "list", "--json"]) == 0
    assert [a["name"] for a in json.loads(capsys.readouterr().out)["archives"]] == ["orthanc"]


def test_unreachable_archive_is_exit_3_one_line(dosetrail_home, capsys):
    port = free_port()  # nobody listens there
    assert main(["pacs", "add", "nowhere", "--dimse", f"ORTHANC@127.0.0.1:{port}"]) == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "cannot be reached" in err and "Traceback" not in err
    assert main(["pacs", "add", "nowhere", "--dicomweb", f"http://127.0.0.1:{port}/dicom-web"]) == 3
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "cannot be reached" in err
    assert not (dosetrail_home / "settings.json").exists() or "nowhere" not in (dosetrail_home / "settings.json").read_text()


def test_bad_address_is_usage(capsys):
    assert main(["pacs", "add", "x", "--dimse", "no-port-here"]) == 2
    assert main(["pacs", "find", "unknown", "--patient-id", "1"]) == 2


@pytest.mark.parametrize("kind", ["dimse", "dicomweb"])
def test_find_lists_the_patients_studies(orthanc, kind, capsys):
    if kind == "dimse":
        assert _add_dimse(orthanc, "arch") == 0
    else:
        assert main(["pacs", "add", "arch", "--dicomweb", orthanc.dicomweb]) == 0
    capsys.readouterr()
    assert main(["pacs", "find", "arch", "--patient-id", PATIENT.patient_id, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "dosetrail.pacs-find/1"
    studies = {s["study_instance_uid"]: s for s in doc["studies"]}
    assert set(studies) == set(orthanc.study_uids)
    files = {}
    for uid in orthanc.study_uids:
        files[uid] = 0
    import pydicom

    series: dict[str, set] = {}
    for path in orthanc.files.rglob("*.dcm"):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        files[str(ds.StudyInstanceUID)] += 1
        series.setdefault(str(ds.StudyInstanceUID), set()).add(str(ds.SeriesInstanceUID))
    for uid, s in studies.items():
        assert s["patient_id"] == PATIENT.patient_id
        assert s["instance_count"] == files[uid]
        assert s["series_count"] == len(series[uid])
        assert s["modalities"] and s["date"]
    assert main(["pacs", "find", "arch", "--patient-id", "NOBODY", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["studies"] == []


def test_refused_association_is_exit_3_one_line(capsys):
    """An archive that does not know DoseTrail's calling AE title rejects the association."""
    from pynetdicom import AE
    from pynetdicom.sop_class import Verification

    ae = AE(ae_title="STRICT")
    ae.add_supported_context(Verification)
    ae.require_calling_aet = ["SOMEONE_ELSE"]
    port = free_port()
    server = ae.start_server(("127.0.0.1", port), block=False)
    try:
        assert main(["pacs", "add", "strict", "--dimse", f"STRICT@127.0.0.1:{port}", "--calling-aet", "ME"]) == 3
    finally:
        server.shutdown()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "refused" in err[0] and "ME" in err[0]


@pytest.mark.parametrize("kind", ["dimse", "dicomweb"])
def test_find_and_retrieve_on_an_archive_gone_away_are_exit_3_one_line(kind, capsys):
    from dosetrail.core.pacs.archives import Archive, save_archive

    port = free_port()  # the archive was added, and is down now
    save_archive(Archive("gone", "dimse", aet="X", host="127.0.0.1", port=port) if kind == "dimse"
                 else Archive("gone", "dicomweb", url=f"http://127.0.0.1:{port}/dicom-web"))
    for argv in (["pacs", "find", "gone", "--patient-id", "1"], ["pacs", "retrieve", "gone", "--patient-id", "1"]):
        assert main(argv) == 3
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "cannot be reached" in err[0]


@pytest.mark.parametrize("kind", ["dimse", "dicomweb"])
def test_a_search_matching_too_many_studies_is_exit_3_one_line(orthanc, kind, monkeypatch, capsys):
    from dosetrail.core.pacs import matches

    monkeypatch.setattr(matches, "MAX_STUDIES", 2)  # the archive holds 6 studies of the patient
    args = ["--dimse", f"{orthanc.aet}@127.0.0.1:{orthanc.dicom_port}"] if kind == "dimse" else ["--dicomweb",
                                                                                                 orthanc.dicomweb]
    assert main(["pacs", "add", "arch", *args]) == 0
    capsys.readouterr()
    assert main(["pacs", "find", "arch", "--patient-id", PATIENT.patient_id]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "more than 2 studies" in err[0]
    assert main(["pacs", "retrieve", "arch", "--patient-id", PATIENT.patient_id]) == 3


def test_find_by_name_pattern_and_birth_date_over_dimse(orthanc, capsys):
    assert _add_dimse(orthanc, "arch") == 0
    for argv in (["--name", "ARCHIVE*"], ["--birth-date", PATIENT.birth_date], ["--name", "NOBODY*"]):
        capsys.readouterr()
        assert main(["pacs", "find", "arch", *argv, "--json"]) == 0
        found = {s["study_instance_uid"] for s in json.loads(capsys.readouterr().out)["studies"]}
        assert found == (set() if "NOBODY*" in argv else set(orthanc.study_uids))


def test_archives_survive_a_settings_change(capsys):
    from dosetrail.core.pacs.archives import Archive, load_archives, save_archive

    save_archive(Archive("a", "dicomweb", url="http://127.0.0.1:1/dicom-web"))
    assert main(["settings", "--factor-set", "ICRP-103-NCI"]) == 0
    assert [a.name for a in load_archives()] == ["a"]
