"""``dosetrail receive``: a storage SCP that imports what a real Orthanc pushes with C-MOVE; Ctrl-C stops it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from pydicom.dataset import Dataset

from dosetrail.core.cli.main import main

from orthanc_server import DOSETRAIL_AET, PATIENT, orthanc  # noqa: F401 - the session fixture


def _echo(port: int) -> bool:
    from pynetdicom import AE
    from pynetdicom.sop_class import Verification

    ae = AE(ae_title="PROBE")
    ae.add_requested_context(Verification)
    ae.connection_timeout = 2
    assoc = ae.associate("127.0.0.1", port)
    if not assoc.is_established:
        return False
    assoc.release()
    return True


def _c_move(o, study_uid: str) -> int:
    """Ask Orthanc to C-MOVE a study to DoseTrail's AE (its DicomModalities: the listener's port)."""
    from pynetdicom import AE
    from pynetdicom.sop_class import StudyRootQueryRetrieveInformationModelMove as MOVE

    ae = AE(ae_title=DOSETRAIL_AET)
    ae.add_requested_context(MOVE)
    assoc = ae.associate("127.0.0.1", o.dicom_port, ae_title=o.aet)
    assert assoc.is_established
    q = Dataset()
    q.QueryRetrieveLevel = "STUDY"
    q.StudyInstanceUID = study_uid
    final = None
    for status, _ in assoc.send_c_move(q, DOSETRAIL_AET, MOVE):
        final = status
    assoc.release()
    return final.Status


def _patients(db: str, capsys) -> list:
    capsys.readouterr()
    assert main(["patients", "--json", "--db", db]) == 0
    return json.loads(capsys.readouterr().out)["patients"]


def test_receive_imports_a_c_move_from_the_archive_and_stops_on_ctrl_c(orthanc, tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'lib.db'}"
    env = dict(os.environ, DOSETRAIL_HOME=str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "dosetrail.core.cli.main", "receive", "--aet", DOSETRAIL_AET,
                             "--port", str(orthanc.listener_port), "--db", db],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        deadline = time.monotonic() + 60
        while not _echo(orthanc.listener_port):
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the listener did not start"
            time.sleep(0.3)
        uid = orthanc.study_uids[0]  # the CT with its RDSR
        assert _c_move(orthanc, uid) == 0x0000
        n_files = sum(1 for p in (orthanc.files / "ct_rdsr").rglob("*.dcm"))
        deadline = time.monotonic() + 120
        while True:
            patients = _patients(db, capsys) if (tmp_path / "lib.db").exists() else []
            if patients and patients[0]["exam_count"] == 1:
                break
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "nothing was imported"
            time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert f"received {n_files} instances" in out and f"{n_files} imported" in out
    assert "Traceback" not in err and "stopped:" in err
    [patient] = patients
    assert patient["patient_ids"][0]["id"] == PATIENT.patient_id
    capsys.readouterr()
    assert main(["history", patient["patient_key"], "--json", "--db", db]) == 0
    history = json.loads(capsys.readouterr().out)
    assert [e["study_instance_uid"] for e in history["patient"]["studies"]] == [uid]


def test_receive_on_a_busy_port_is_exit_3_one_line(orthanc, capsys):
    assert main(["receive", "--port", str(orthanc.dicom_port)]) == 3  # Orthanc holds it
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot listen on port" in err[0]
