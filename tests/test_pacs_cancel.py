"""Cancel during the transfer from a real Orthanc (C-GET, C-MOVE, WADO-RS): the transfer stops half-way,
what arrived is imported and stays, the progress counts towards the announced total, and a
rerun completes it; ``pacs retrieve`` exits 130 on Ctrl-C."""
from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from dosetrail.core.api import Library
from dosetrail.core.cli.main import main
from dosetrail.core.library.archive_access import get_archive, retrieve_and_import
from dosetrail.core.pacs import transfer as transfer_mod

from orthanc_server import PATIENT, orthanc  # noqa: F401 - the session fixture

#: a slow network: each instance received takes this long (seconds), so a cancel lands half-way
SLOW = 0.03


def _add(o, kind: str) -> None:
    args = ["--dimse", f"{o.aet}@127.0.0.1:{o.dicom_port}"] if kind == "dimse" else ["--dicomweb", o.dicomweb]
    assert main(["pacs", "add", "arch", *args]) == 0


@pytest.fixture
def slow_network(monkeypatch):
    """Each instance received waits :data:`SLOW` s (on the thread that receives it)."""
    real = transfer_mod.Transfer._count

    def slow(self, path, size):
        time.sleep(SLOW)
        real(self, path, size)

    monkeypatch.setattr(transfer_mod.Transfer, "_count", slow)


def _files(o) -> int:
    return sum(1 for _ in o.files.rglob("*.dcm"))


def _drive(gen, on_progress=None):
    seen = []
    while True:
        try:
            p = next(gen)
        except StopIteration as stop:
            return stop.value, seen
        seen.append(p)
        if on_progress:
            on_progress(p)


@pytest.mark.parametrize("kind,move", [("dimse", False), ("dimse", True), ("dicomweb", False)])
def test_cancel_half_way_keeps_what_arrived_and_a_rerun_completes(orthanc, kind, move, slow_network, tmp_path):
    _add(orthanc, kind)
    total = _files(orthanc)
    lib = Library(f"sqlite:///{tmp_path / 'lib.db'}")
    cancel = threading.Event()
    try:
        def cancel_half_way(p):
            if getattr(p, "instances_received", 0) >= total // 3:
                cancel.set()

        move_port = orthanc.listener_port if move else None
        (summary, got), seen = _drive(retrieve_and_import(lib, get_archive("arch"), PATIENT.patient_id,
                                                          dose_only=False, move_port=move_port, cancel=cancel),
                                      cancel_half_way)
        assert summary.cancelled
        assert total // 3 <= got.instances_received < total  # stopped half-way ...
        assert summary.instances_imported == got.instances_received  # ... and all that arrived is imported
        assert got.instances_offered == total
        counted = [p for p in seen if getattr(p, "instances_expected", 0)]
        assert counted and all(p.instances_expected == total for p in counted)  # determinate
        assert [p.instances_received for p in counted] == sorted(p.instances_received for p in counted)
        kept = {e.study_instance_uid for k in summary.patients_touched for e in lib.history(k).exams}
        assert kept and kept == set(summary.studies_touched) and len(kept) < len(orthanc.study_uids)

        (again, got2), _ = _drive(retrieve_and_import(lib, get_archive("arch"), PATIENT.patient_id,
                                                      dose_only=False, move_port=move_port))
        assert not again.cancelled and got2.instances_received == total
        assert again.instances_already_present == summary.instances_imported
        assert again.instances_imported == total - summary.instances_imported
        history = lib.history(again.patients_touched[0])
        assert sorted(e.study_instance_uid for e in history.exams) == sorted(orthanc.study_uids)
    finally:
        lib.close()


@pytest.mark.parametrize("kind", ["dimse", "dicomweb"])
def test_ctrl_c_during_the_transfer_is_exit_130_with_what_arrived_imported(orthanc, kind, monkeypatch, tmp_path,
                                                                           capsys):
    _add(orthanc, kind)
    total = _files(orthanc)
    real = transfer_mod.Transfer._count

    def interrupt_half_way(self, path, size):  # the user presses Ctrl-C a third of the way through
        time.sleep(SLOW)
        real(self, path, size)
        if self.received == total // 3:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(transfer_mod.Transfer, "_count", interrupt_half_way)
    db = f"sqlite:///{tmp_path / 'lib.db'}"
    capsys.readouterr()
    assert main(["pacs", "retrieve", "arch", "--patient-id", PATIENT.patient_id, "--json", "--db", db]) == 130
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert doc["cancelled"] and total // 3 <= doc["instances_received"] < total
    assert doc["instances_imported"] == doc["instances_received"]
    assert "Traceback" not in out.err and "cancelled" in out.err
    monkeypatch.setattr(transfer_mod.Transfer, "_count", real)
    assert main(["pacs", "retrieve", "arch", "--patient-id", PATIENT.patient_id, "--json", "--db", db]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["instances_already_present"] == doc["instances_imported"]
    assert again["instances_imported"] + again["instances_already_present"] == total
