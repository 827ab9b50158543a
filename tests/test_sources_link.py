"""Link source against a local HTTP server: download, progress, caps, errors, clean-up."""
from __future__ import annotations

import io
import os
import socket
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydicom.data import get_testdata_file

from dosetrail.core.sources.base import SourceError, SourceItem, SourceProgress
from dosetrail.core.sources.discover import iter_source
from dosetrail.core.sources.link import display_url, iter_link, link_file_name

CT = get_testdata_file("CT_small.dcm", download=False)
with open(CT, "rb") as _fh:
    CT_BYTES = _fh.read()


def _zip_bytes(n_members: int = 1) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for i in range(n_members):
            zf.writestr(f"DICOM/IM{i}", CT_BYTES)
    return buf.getvalue()


ZIP = _zip_bytes()
BIG_ZIP = _zip_bytes(40)  # ~1.5 MB: several progress steps


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, body: bytes, ctype: str = "application/zip", length: int | None = None,
              headers: dict | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server API
        path = self.path
        if path == "/study.zip":
            self._send(ZIP, length=len(ZIP))
        elif path == "/big.zip":
            self._send(BIG_ZIP, length=len(BIG_ZIP))
        elif path == "/stream.zip":  # no Content-Length
            self._send(BIG_ZIP)
        elif path == "/get?id=7":
            self._send(ZIP, length=len(ZIP),
                       headers={"Content-Disposition": 'attachment; filename="Exam 7.zip"'})
        elif path == "/login":
            self._send(b"<!DOCTYPE html><html><body>Please log in</body></html>", "text/html; charset=utf-8")
        elif path == "/octet.zip":  # an HTML page served with a ZIP content type
            self._send(b"<html>Session expired</html>", "application/zip")
        elif path == "/empty.zip":
            self._send(b"", length=0)
        elif path == "/short.zip":  # promises more than it sends
            self._send(ZIP[:1000], length=len(ZIP))
        elif path == "/slow.zip":
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.end_headers()
            self.wfile.write(ZIP[:100])
            self.wfile.flush()
            time.sleep(1.5)
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
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def dl_dir(tmp_path):
    path = tmp_path / "downloads"
    path.mkdir()
    return path


def test_download_yields_members_with_url_file_name(server, dl_dir):
    events = []
    for ev in iter_link(f"{server}/study.zip", temp_dir=str(dl_dir)):
        events.append(ev)
        if isinstance(ev, SourceItem):
            assert ev.read() == CT_BYTES
            assert len(os.listdir(dl_dir)) == 1  # the temporary download exists while reading
    items = [e for e in events if isinstance(e, SourceItem)]
    assert [(i.label, i.origin) for i in items] == [("study.zip!DICOM/IM0", "link")]
    assert os.listdir(dl_dir) == []  # removed when finished


def test_progress_reports_bytes_done_and_total(server, dl_dir):
    progress = [e for e in iter_link(f"{server}/big.zip", temp_dir=str(dl_dir))
                if isinstance(e, SourceProgress)]
    assert progress[0].done_bytes == 0 and progress[0].total_bytes == len(BIG_ZIP)
    done = [p.done_bytes for p in progress]
    assert done == sorted(done) and done[-1] == len(BIG_ZIP)
    assert len(progress) >= 2
    streamed = [e for e in iter_link(f"{server}/stream.zip", temp_dir=str(dl_dir))
                if isinstance(e, SourceProgress)]
    assert streamed[0].total_bytes is None and streamed[-1].done_bytes == len(BIG_ZIP)


def test_content_disposition_names_the_archive(server, dl_dir):
    items = [e for e in iter_link(f"{server}/get?id=7", temp_dir=str(dl_dir)) if isinstance(e, SourceItem)]
    assert items[0].label == "Exam 7.zip!DICOM/IM0"
    assert link_file_name("https://h/a/b%20c.zip?x=1") == "b c.zip"
    assert link_file_name("https://h/") == "download.zip"


def test_http_404(server, dl_dir):
    url = f"{server}/missing.zip"
    with pytest.raises(SourceError) as err:
        list(iter_link(url, temp_dir=str(dl_dir)))
    assert str(err.value) == f"HTTP 404 Not Found for {url}"
    assert os.listdir(dl_dir) == []


def test_access_tokens_stay_out_of_messages(server, dl_dir):
    shown = display_url("https://user:pw@h.example:8443/a/s.zip?token=abc")
    assert shown == "https://h.example:8443/a/s.zip?..."
    with pytest.raises(SourceError) as err:
        list(iter_link(f"{server}/missing.zip?token=SECRET", temp_dir=str(dl_dir)))
    assert "SECRET" not in str(err.value) and str(err.value).startswith("HTTP 404 Not Found for http://")


@pytest.mark.parametrize("path, got", [("/login", "text/html"), ("/octet.zip", "application/zip")])
def test_html_page_is_not_an_archive(server, dl_dir, path, got):
    with pytest.raises(SourceError) as err:
        list(iter_link(f"{server}{path}", temp_dir=str(dl_dir)))
    assert str(err.value).startswith(f"the link did not return a ZIP archive (got {got}): "
                                     "portal links often need a browser login")
    assert os.listdir(dl_dir) == []


def test_empty_and_cut_off_downloads(server, dl_dir):
    with pytest.raises(SourceError, match="returned nothing"):
        list(iter_link(f"{server}/empty.zip", temp_dir=str(dl_dir)))
    with pytest.raises(SourceError, match="cut off"):
        list(iter_link(f"{server}/short.zip", temp_dir=str(dl_dir)))
    assert os.listdir(dl_dir) == []


def test_size_cap_by_header_and_while_streaming(server, dl_dir):
    with pytest.raises(SourceError, match="more than the .* limit"):
        list(iter_link(f"{server}/big.zip", max_bytes=100_000, temp_dir=str(dl_dir)))
    with pytest.raises(SourceError, match="exceeds the .* limit"):
        list(iter_link(f"{server}/stream.zip", max_bytes=100_000, temp_dir=str(dl_dir)))
    assert os.listdir(dl_dir) == []


def test_stalled_server_times_out(server, dl_dir):
    start = time.monotonic()
    with pytest.raises(SourceError, match="stalled"):
        list(iter_link(f"{server}/slow.zip", timeout=0.3, temp_dir=str(dl_dir)))
    assert time.monotonic() - start < 1.4
    assert os.listdir(dl_dir) == []


def test_connection_refused(dl_dir):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(SourceError, match="connection refused"):
        list(iter_link(f"http://127.0.0.1:{port}/study.zip", timeout=2, temp_dir=str(dl_dir)))


def test_cancel_mid_way_removes_the_download(server, dl_dir):
    gen = iter_link(f"{server}/study.zip", temp_dir=str(dl_dir))
    for ev in gen:
        if isinstance(ev, SourceItem):
            break
    assert len(os.listdir(dl_dir)) == 1
    gen.close()
    assert os.listdir(dl_dir) == []


def test_cancel_during_the_download_removes_the_partial_file(server, dl_dir, monkeypatch):
    from dosetrail.core.sources import link as link_mod

    monkeypatch.setattr(link_mod, "_PROGRESS_EVERY_BYTES", 1)  # a progress event per chunk
    gen = iter_link(f"{server}/big.zip", temp_dir=str(dl_dir))
    for ev in gen:
        if isinstance(ev, SourceProgress) and ev.done_bytes > 0:
            assert 0 < ev.done_bytes < len(BIG_ZIP)
            break
    assert len(os.listdir(dl_dir)) == 1
    gen.close()
    assert os.listdir(dl_dir) == []


def test_iter_source_dispatches_links(server):
    read = {e.label: e.read() for e in iter_source(f"{server}/study.zip") if isinstance(e, SourceItem)}
    assert read == {"study.zip!DICOM/IM0": CT_BYTES}
    with pytest.raises(SourceError, match="--link keeps files where they are"):
        list(iter_source(f"{server}/study.zip", link_mode=True))
