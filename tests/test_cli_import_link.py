"""`dosetrail import https://...` end to end against a server on 127.0.0.1."""
from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dosetrail.core.cli.main import main

from synth import PatientSpec, make_ct_series, make_zip, write_study


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_import_from_link(server, tmp_path, capsys):
    root, base = server
    pat = PatientSpec(patient_id="L1", name="LINK^LISA", birth_date="19800202", sex="F")
    files = write_study(make_ct_series(pat, n_slices=12), tmp_path / "study")
    make_zip(files, root / "study.zip")
    (root / "login.html").write_text("<html><body>Please log in</body></html>")
    code = main(["import", f"{base}/study.zip?token=SECRET", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["instances_imported"] == 12 and doc["files_seen"] == 12
    code = main(["import", f"{base}/missing.zip?token=SECRET", f"{base}/login.html", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    reasons = [r["reason"] for r in doc["files_rejected"]]
    assert any("404" in r for r in reasons)
    assert any("ZIP" in r for r in reasons)
    assert "SECRET" not in json.dumps(doc)  # portal tokens never reach reports
    # the history lists the imported study
    assert main(["history", "L1", "--json"]) == 0
    hist = json.loads(capsys.readouterr().out)
    assert len(hist["patient"]["studies"]) == 1
