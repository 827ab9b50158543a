"""Links on hostile or slow servers: deadline, cancel, redirects, content encoding, bad URLs.

A real HTTP server on 127.0.0.1 (as in test_sources_link.py). No test asserts
a duration: a stop "at once" is checked by what happened (no error from the
still-trickling server, nothing imported), with generous hang timeouts only.
"""
from __future__ import annotations

import gzip
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydicom.data import get_testdata_file

from dosetrail.core.cli.main import main
from dosetrail.core.sources.base import SourceError, SourceItem, SourceProgress
from dosetrail.core.sources.link import display_url, iter_link, url_problem

CT = get_testdata_file("CT_small.dcm", download=False)
with open(CT, "rb") as _fh:
    CT_BYTES = _fh.read()
_buf = io.BytesIO()
with zipfile.ZipFile(_buf, "w", compression=zipfile.ZIP_STORED) as _zf:
    _zf.writestr("DICOM/IM0", CT_BYTES)
ZIP = _buf.getvalue()
TRICKLE_SECONDS = 20  # the trickling server gives up after this (a client that does not stop sees an error)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    ftp_port = 0
    trickling = threading.Event()

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - http.server API
        if self.path == "/trickle.zip":  # a steady byte every 50 ms: never stalls, never ends
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(10 * len(ZIP)))
            self.end_headers()
            self.wfile.write(ZIP[:64])
            self.wfile.flush()
            _Handler.trickling.set()
            end = time.monotonic() + TRICKLE_SECONDS
            try:
                while time.monotonic() < end:
                    self.wfile.write(b"\0")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                pass
        elif self.path == "/silent":  # connects, then says nothing (until it gives up)
            time.sleep(TRICKLE_SECONDS)
        elif self.path == "/gzip.zip":
            body = gzip.compress(ZIP)
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/br.zip":
            self.send_response(200)
            self.send_header("Content-Encoding", "br")
            self.end_headers()
            self.wfile.write(b"\x0b\x02\x80garbage")
        elif self.path == "/to-ftp":
            self.send_response(302)
            self.send_header("Location", f"ftp://anonymous:pw@127.0.0.1:{_Handler.ftp_port}/study.zip")
            self.end_headers()
        elif self.path == "/to-http":
            self.send_response(302)
            self.send_header("Location", "/gzip.zip")
            self.end_headers()
        else:
            self.send_error(404, "Not Found")


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "ftp_proxy", "FTP_PROXY",
                "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def dl_dir(tmp_path):
    path = tmp_path / "downloads"
    path.mkdir()
    return path


def test_a_trickling_download_ends_at_its_deadline(server, dl_dir):
    with pytest.raises(SourceError) as err:  # each read gets data in time: only a deadline ends it
        list(iter_link(f"{server}/trickle.zip", timeout=5, deadline=0.5, temp_dir=str(dl_dir)))
    assert str(err.value).startswith("the download did not finish within 0.5 s (")
    assert os.listdir(dl_dir) == []


def test_cancel_stops_a_download_at_once(server, dl_dir):
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    events = list(iter_link(f"{server}/trickle.zip", timeout=30, cancel=cancel, temp_dir=str(dl_dir)))
    # no error: the download stopped before the server gave up (that would be "cut off")
    assert all(isinstance(e, SourceProgress) for e in events)
    assert os.listdir(dl_dir) == []


def test_a_server_that_never_answers_is_stopped_by_cancel_or_deadline(server, dl_dir):
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    assert list(iter_link(f"{server}/silent", timeout=30, cancel=cancel, temp_dir=str(dl_dir))) == []
    with pytest.raises(SourceError, match=r"^the download did not finish within 0.5 s \(0 bytes received\)"):
        list(iter_link(f"{server}/silent", timeout=30, deadline=0.5, temp_dir=str(dl_dir)))
    assert os.listdir(dl_dir) == []


def test_first_ctrl_c_stops_a_cli_download_and_prints_the_summary(server, tmp_path):
    _Handler.trickling.clear()
    env = {**os.environ, "DOSETRAIL_HOME": str(tmp_path / "home"), "no_proxy": "127.0.0.1"}
    code = "import sys; from dosetrail.core.cli.main import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, "import", f"{server}/trickle.zip"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _Handler.trickling.wait(60)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=TRICKLE_SECONDS - 5)  # a hang guard, not a timing
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, (out, err)
    assert out.splitlines()[0].startswith("0 files: 0 imported")
    assert "import cancelled" in out
    assert "Traceback" not in err and "cut off" not in out + err


def test_redirect_to_ftp_is_not_followed(server, dl_dir):
    ftp = socket.socket()
    ftp.bind(("127.0.0.1", 0))
    ftp.listen(1)
    _Handler.ftp_port = ftp.getsockname()[1]
    try:
        with pytest.raises(SourceError) as err:
            list(iter_link(f"{server}/to-ftp", timeout=2, temp_dir=str(dl_dir)))
        ftp.settimeout(0.2)
        with pytest.raises(socket.timeout):  # nobody connected to the "ftp server"
            ftp.accept()[0].close()
    finally:
        ftp.close()
    message = str(err.value)
    assert message.startswith(f"the link redirects to ftp://127.0.0.1:{_Handler.ftp_port}/study.zip: "
                              "only http and https redirects are followed")
    assert "pw" not in message
    assert os.listdir(dl_dir) == []


def _read_members(url: str, dl_dir) -> list[tuple[str, bytes]]:
    """Members read like the pipeline does: before the iterator moves on."""
    return [(e.label, e.read()) for e in iter_link(url, temp_dir=str(dl_dir)) if isinstance(e, SourceItem)]


def test_http_redirects_are_still_followed(server, dl_dir):
    assert _read_members(f"{server}/to-http", dl_dir) == [("to-http!DICOM/IM0", CT_BYTES)]


def test_gzip_content_encoding_is_decoded(server, dl_dir):
    assert _read_members(f"{server}/gzip.zip", dl_dir) == [("gzip.zip!DICOM/IM0", CT_BYTES)]


def test_unknown_content_encoding_is_named(server, dl_dir):
    with pytest.raises(SourceError, match="with a br content encoding, which cannot be read here"):
        list(iter_link(f"{server}/br.zip", temp_dir=str(dl_dir)))


@pytest.mark.parametrize("url, why", [
    ("http://127.0.0.1:99999/x", "not a valid link (Port out of range 0-65535): http://127.0.0.1:99999/x"),
    ("http://[::1:bad/", "not a valid link (Invalid IPv6 URL): http://[::1:bad/"),
    ("https://u:secret@[::1/x?token=T", "not a valid link (Invalid IPv6 URL): https://[::1/x?..."),
])
def test_bad_urls_are_a_usage_error(url, why, capsys):
    assert url_problem(url) == why
    assert display_url(url) == why.rsplit(": ", 1)[1]  # never raises
    with pytest.raises(SourceError, match="not a valid link"):
        list(iter_link(url))
    assert main(["import", url]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"dosetrail import: {why}\n"
