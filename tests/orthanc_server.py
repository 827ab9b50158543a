"""A real Orthanc for the hospital-archive tests: started once per session, stopped at its end.

Its config (written here): DICOM and HTTP ports on 127.0.0.1 (free ports), a temporary
storage folder, DoseTrail's AE in DicomModalities (for a C-MOVE to the listener), C-GET,
C-MOVE, C-FIND and C-STORE allowed to anyone, the DICOMweb plugin on, no authentication.
The synthetic studies (tests/synth) are uploaded through its REST API (POST /instances).

Missing Orthanc fails the tests in CI (``CI=true`` or ``DOSETRAIL_REQUIRE_ORTHANC=1``), skips them
elsewhere. Only the Orthanc process this fixture started is stopped.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from synth import (PatientSpec, make_ct_rdsr, make_ct_series, make_dx_image, make_mg_image, make_nm_image,
                   make_philips_dose_screen, make_rrdsr, write_study)

PLUGIN_DIRS = ("/usr/share/orthanc/plugins", "/usr/lib/orthanc")
#: DoseTrail's AE title in Orthanc's DicomModalities (C-MOVE destination: the listener)
DOSETRAIL_AET = "DOSETRAIL"
#: the patient whose studies the fixture uploads
PATIENT = PatientSpec("PACS-1001", "ARCHIVE^ANNA", "19650412", "F", issuer="HOSPITAL_A")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or bool(os.environ.get("DOSETRAIL_REQUIRE_ORTHANC"))


def _plugin() -> str | None:
    for folder in PLUGIN_DIRS:
        found = sorted(Path(folder).glob("libOrthancDicomWeb.so*")) if Path(folder).is_dir() else []
        if found:
            return str(found[0])
    return None


@dataclass
class Orthanc:
    """The running Orthanc, and what was uploaded to it."""

    aet: str
    dicom_port: int
    http_port: int
    listener_port: int
    files: Path  # the uploaded studies as files on disk (to import them directly for comparison)
    study_uids: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb(self) -> str:
        return f"{self.url}/dicom-web"

    def rest(self, path: str, data: bytes | None = None, method: str | None = None):
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
        with urllib.request.urlopen(req, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body else None


def synthetic_studies(folder: Path) -> list[str]:
    """Write the archive's studies for :data:`PATIENT` into ``folder``; their Study UIDs.

    A CT with its RDSR, a CT with only a Philips dose screen, a CT with images only,
    a DX, an MG and an NM study (with its RRDSR).
    """
    from synth import new_uid

    studies = []
    ct_rdsr = new_uid()
    write_study(make_ct_series(PATIENT, study_uid=ct_rdsr, n_slices=30, ctdivol=9.0)
                + [make_ct_rdsr(PATIENT, study_uid=ct_rdsr, study_time="102200")], folder / "ct_rdsr")
    screen = new_uid()
    write_study(make_ct_series(PATIENT, study_uid=screen, n_slices=20, study_date="20220510", ctdivol=12.0)
                + [make_philips_dose_screen(PATIENT, study_uid=screen, study_date="20220510")], folder / "ct_screen")
    images = new_uid()
    write_study(make_ct_series(PATIENT, study_uid=images, n_slices=25, study_date="20230115", ctdivol=7.5,
                               body_part="ABDOMEN", study_description="CT ABDOMEN"), folder / "ct_images")
    dx, mg, nm = new_uid(), new_uid(), new_uid()
    write_study([make_dx_image(PATIENT, study_uid=dx, study_date="20200102")], folder / "dx")
    write_study([make_mg_image(PATIENT, study_uid=mg, laterality=lat, study_date="20190303")  # type: ignore[call-arg]
                 for lat in ("L", "R")], folder / "mg")
    write_study(make_nm_image(PATIENT, study_uid=nm)
                + [make_rrdsr(PATIENT, study_uid=nm, study_date="20210304", study_time="110000")], folder / "nm")
    studies += [ct_rdsr, screen, images, dx, mg, nm]
    return studies


def orthanc_binaries() -> tuple[str | None, str | None]:
    """The Orthanc program and its DICOMweb plugin, None where missing."""
    exe = shutil.which("Orthanc") or ("/usr/sbin/Orthanc" if Path("/usr/sbin/Orthanc").exists() else None)
    return exe, _plugin()


@contextlib.contextmanager
def running_orthanc(exe: str, plugin: str):
    """Start an Orthanc of its own (temporary folder, free ports); stop it (only it) at the end.

    Yields
    ------
    Orthanc
        Empty: upload with ``server.rest("/instances", data=..., method="POST")``.
    """
    root = Path(tempfile.mkdtemp(prefix="dosetrail-orthanc-"))
    dicom_port, http_port, listener_port = free_port(), free_port(), free_port()
    config = {
        "Name": "DoseTrailTest", "StorageDirectory": str(root / "db"), "IndexDirectory": str(root / "db"),
        "HttpPort": http_port, "DicomPort": dicom_port, "DicomAet": "ORTHANC",
        "RemoteAccessAllowed": False, "AuthenticationEnabled": False, "HttpServerEnabled": True,
        "DicomServerEnabled": True, "DicomCheckCalledAet": False,
        "DicomModalities": {"dosetrail": [DOSETRAIL_AET, "127.0.0.1", listener_port]},
        "DicomAlwaysAllowEcho": True, "DicomAlwaysAllowStore": True, "DicomAlwaysAllowFind": True,
        "DicomAlwaysAllowGet": True, "DicomAlwaysAllowMove": True, "UnknownSopClassAccepted": True,
        "Plugins": [plugin], "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "StudiesMetadata": "Full",
                                          "SeriesMetadata": "Full"},
        "StorageAccessOnFind": "Always", "ConcurrentJobs": 1, "SaveJobs": False,
    }
    (root / "orthanc.json").write_text(json.dumps(config))
    log = open(root / "orthanc.log", "wb")
    proc = subprocess.Popen([exe, str(root / "orthanc.json")], stdout=log, stderr=subprocess.STDOUT, cwd=root)
    server = Orthanc("ORTHANC", dicom_port, http_port, listener_port, root / "files")
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.rest("/system")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Orthanc did not start: "
                                       + (root / "orthanc.log").read_text(errors="replace")[-2000:]) from None
                time.sleep(0.3)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def upload(server: Orthanc, folder: Path) -> int:
    """POST every file under ``folder`` to Orthanc's REST API; how many."""
    paths = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in paths:
        server.rest("/instances", data=path.read_bytes(), method="POST")
    return len(paths)


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory):
    """A running Orthanc holding :func:`synthetic_studies` (session-scoped)."""
    exe, plugin = orthanc_binaries()
    if not exe or not plugin:
        missing = "Orthanc" if not exe else "the Orthanc DICOMweb plugin (orthanc-dicomweb)"
        if _required():  # CI: the real archive is part of the run
            pytest.fail(f"{missing} not installed (Debian: apt-get install orthanc orthanc-dicomweb)")
        pytest.skip(f"{missing} not installed")
    try:
        with running_orthanc(exe, plugin) as server:
            server.study_uids = synthetic_studies(server.files)
            upload(server, server.files)
            yield server
    except RuntimeError as exc:
        if str(exc).startswith("Orthanc did not start"):
            pytest.fail(str(exc))
        raise
