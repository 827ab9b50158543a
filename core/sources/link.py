"""Link source: download an ``http(s)://`` ZIP to a temporary file, then read it.

The download reports progress, is capped in size, times out when the server
stops answering and when the whole download takes longer than a deadline,
stops at once when the import is cancelled, follows only http(s) redirects,
decodes a gzip/deflate ``Content-Encoding``, and is checked by its magic
bytes (a portal's HTML login page is refused with a clear reason). The
temporary file is removed when the iterator finishes, fails or is closed.
"""
from __future__ import annotations

import os
import posixpath
import re
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from http.client import HTTPException
from typing import Iterator

from .archive import ZIP_MAGIC, iter_zip
from .base import SourceError, SourceEvent, SourceProgress
from .limits import GIB, MIB, ArchiveLimits, human_bytes

DEFAULT_MAX_BYTES = 20 * GIB
DEFAULT_TIMEOUT = 30.0
DEFAULT_DEADLINE = 6 * 3600.0  # a whole download, however steadily the server trickles
_WATCH_EVERY = 0.05  # seconds between the watcher's looks at cancel and the deadline
_PROGRESS_EVERY_BYTES = 4 * MIB
_PROGRESS_EVERY_SECONDS = 0.5
_USER_AGENT = "DoseTrail/0.1 (medical imaging import)"


def is_link(path: str) -> bool:
    """Whether ``path`` is an ``http://`` or ``https://`` URL."""
    return bool(re.match(r"(?i)^https?://", path))


def link_file_name(url: str, content_disposition: str | None = None) -> str:
    """The archive's name for labels: the server's file name, else the URL's.

    Parameters
    ----------
    url
        The link.
    content_disposition
        The response's ``Content-Disposition`` header, if any.

    Returns
    -------
    str
        E.g. ``study.zip``; ``download.zip`` when neither gives a name.
    """
    if content_disposition:
        match = re.search(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", content_disposition, re.I)
        if match:
            name = posixpath.basename(urllib.parse.unquote(match.group(1)).replace("\\", "/"))
            if name:
                return name
    name = posixpath.basename(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
    return name or "download.zip"


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable http(s) link, or ``None``.

    Parameters
    ----------
    url
        The link as typed.

    Returns
    -------
    str or None
        E.g. ``not a valid link (Port out of range 0-65535): http://...``.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number in range
    except ValueError as exc:
        return f"not a valid link ({exc}): {_bare(url)}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"not an http(s) link: {_bare(url)}"
    if not parts.hostname:
        return f"not a valid link (no host name): {_bare(url)}"
    return None


def _bare(url: str) -> str:
    """A link without query or user name, by text alone (for links that do not parse)."""
    base, query, _rest = url.partition("?")
    base = re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", r"\1", base)
    return base + ("?..." if query else "")


def display_url(url: str) -> str:
    """The link as shown in messages: without user name, password or query.

    Portal links often carry access tokens in the query; messages end up in
    import reports, so the tokens are left out.

    Parameters
    ----------
    url
        The link.

    Returns
    -------
    str
        ``scheme://host[:port]/path``, with ``?...`` when a query was dropped.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:  # a port out of range, a broken IPv6 address
        return _bare(url)
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "...", "") if parts.query
                                   else (parts.scheme, host, parts.path, "", ""))


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http(s) only (urllib would follow ftp:// and log in there)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        scheme = urllib.parse.urlsplit(newurl).scheme.lower()
        if scheme not in ("http", "https"):
            fp.close()
            raise SourceError(f"the link redirects to {_bare(newurl)}: only http and https redirects "
                              f"are followed ({display_url(req.full_url)})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _watched(handler_class, watch: "_Watch"):
    """An http(s) handler whose connections hand their socket to ``watch`` once connected."""

    class Watched(handler_class):
        def do_open(self, http_class, req, **kwargs):
            class Connection(http_class):
                def connect(self):
                    super().connect()
                    watch.sock = self.sock  # a redirect's new connection replaces the old one

            return super().do_open(Connection, req, **kwargs)

    return Watched


def _opener(watch: "_Watch"):
    return urllib.request.build_opener(_HttpOnlyRedirects, _watched(urllib.request.HTTPHandler, watch),
                                       _watched(urllib.request.HTTPSHandler, watch))


def _open(url: str, timeout: float, opener=None):
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    shown = display_url(url)
    host = urllib.parse.urlsplit(url).hostname or shown
    try:
        return (opener or _opener(_Watch(None, DEFAULT_DEADLINE))).open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise SourceError(f"HTTP {exc.code} {exc.reason} for {shown}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ConnectionRefusedError):
            raise SourceError(f"connection refused by {host}: nothing answers at {shown}") from None
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise SourceError(f"{host} did not answer within {timeout:g} s ({shown})") from None
        raise SourceError(f"cannot reach {host}: {reason} ({shown})") from None
    except (TimeoutError, socket.timeout):
        raise SourceError(f"{host} did not answer within {timeout:g} s ({shown})") from None
    except (ValueError, HTTPException, OSError) as exc:
        raise SourceError(f"cannot download {shown}: {exc}") from None


class _Watch:
    """Stops a download from another thread: on cancel, or past the whole-download deadline.

    A read blocked on a silent or trickling server does not return by itself
    before its timeout; shutting the connection's socket down (``sock``, set
    once connected) makes it return at once.
    """

    def __init__(self, cancel: threading.Event | None, deadline: float) -> None:
        self.cancel = cancel
        self.deadline = deadline
        self.ends_at = time.monotonic() + deadline
        self.why: str | None = None  # "cancel" or "deadline" once fired
        self.sock = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> str | None:
        """Why the download must stop now (``"cancel"``, ``"deadline"``), or ``None``."""
        if self.why is None:
            if self.cancel is not None and self.cancel.is_set():
                self.why = "cancel"
            elif time.monotonic() >= self.ends_at:
                self.why = "deadline"
        return self.why

    def remaining(self) -> float:
        return max(self.ends_at - time.monotonic(), 0.001)

    def deadline_error(self, received: int, shown: str) -> SourceError:
        return SourceError(f"the download did not finish within {self.deadline:g} s "
                           f"({human_bytes(received)} received) ({shown})")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dosetrail-download-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(_WATCH_EVERY):
            if self.check():
                sock = self.sock
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return

    def stop(self) -> None:
        """End the watching thread (before the archive is read: no thread outlives the download)."""
        self._done.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def _decoder(response, shown: str):
    """A decompressor for the response's Content-Encoding, or None for none."""
    encoding = (response.headers.get("Content-Encoding") or "").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(32 + zlib.MAX_WBITS)  # zlib-wrapped (gzip accepted too)
    raise SourceError(f"the server sent the archive with a {encoding} content encoding, which cannot "
                      f"be read here; download it in a browser and import the file ({shown})")


def _decoded(decoder, chunk: bytes):
    """The decoded pieces of one received chunk, at most 1 MiB each (a gzip bomb stays bounded)."""
    if decoder is None:
        yield chunk
        return
    data = chunk
    while data:
        piece = decoder.decompress(data, MIB)
        data = decoder.unconsumed_tail
        if piece:
            yield piece
        if decoder.eof:
            return


def _download(response, url: str, out, max_bytes: int, timeout: float,
              watch: _Watch | None = None) -> Iterator[SourceProgress]:
    """Copy the response body into ``out`` with checks; yields progress.

    Returns quietly (nothing more is yielded) when ``watch`` reports a cancel.
    """
    shown = display_url(url)
    watch = watch or _Watch(None, DEFAULT_DEADLINE)
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() else None
    if total is not None and total > max_bytes:
        raise SourceError(f"the download is {human_bytes(total)}, more than the "
                          f"{human_bytes(max_bytes)} limit ({shown})")
    name = link_file_name(url, response.headers.get("Content-Disposition"))
    decoder = _decoder(response, shown)
    yield SourceProgress(f"downloading {name}", 0, total)
    received = written = 0  # bytes off the wire, bytes of the archive (decoded)
    head = b""
    last_bytes, last_time = 0, time.monotonic()
    while True:
        error = None
        try:
            chunk = response.read1(MIB) if hasattr(response, "read1") else response.read(MIB)
        except (TimeoutError, socket.timeout):
            error = (f"the download stalled: no data for {timeout:g} s "
                     f"after {human_bytes(received)} ({shown})")
        except (HTTPException, OSError) as exc:
            error = f"the download was cut off after {human_bytes(received)}: {exc} ({shown})"
        why = watch.check()
        if why == "cancel":
            return
        if why == "deadline":
            raise watch.deadline_error(received, shown)
        if error:
            raise SourceError(error)
        if not chunk:
            break
        received += len(chunk)
        for piece in _decoded(decoder, chunk):
            if len(head) < 4:
                head += piece[:4 - len(head)]
                if len(head) >= 4 and head[:4] not in ZIP_MAGIC:
                    ctype = response.headers.get_content_type()
                    raise SourceError(f"the link did not return a ZIP archive (got {ctype}): portal "
                                      f"links often need a browser login; download the archive "
                                      f"there and import the file ({shown})")
            written += len(piece)
            if written > max_bytes:
                raise SourceError(f"the download exceeds the {human_bytes(max_bytes)} limit ({shown})")
            out.write(piece)
        now = time.monotonic()
        if received - last_bytes >= _PROGRESS_EVERY_BYTES or now - last_time >= _PROGRESS_EVERY_SECONDS:
            last_bytes, last_time = received, now
            yield SourceProgress(f"downloading {name}", received, total)
    if total is not None and received < total:
        raise SourceError(f"the download was cut off after {human_bytes(received)} of "
                          f"{human_bytes(total)} ({shown})")
    if decoder is not None and not decoder.eof and written:
        raise SourceError(f"the download was cut off: its compressed stream is incomplete ({shown})")
    if len(head) < 4:
        raise SourceError(f"the link returned {'nothing' if not written else 'too little data'}, "
                          f"not a ZIP archive ({shown})")
    yield SourceProgress(f"downloaded {name}", received, total if total is not None else received)


def iter_link(
    url: str,
    *,
    password: str | None = None,
    limits: ArchiveLimits | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    temp_dir: str | None = None,
    deadline: float = DEFAULT_DEADLINE,
    cancel: threading.Event | None = None,
) -> Iterator[SourceEvent]:
    """Download a ZIP from ``url`` and yield its members.

    Parameters
    ----------
    url
        An ``http://`` or ``https://`` link to a ZIP archive.
    password
        Password for encrypted members.
    limits
        Caps for the archive's content (zip bombs).
    max_bytes
        Largest download accepted (default 20 GiB).
    timeout
        Seconds to wait for the connection and for each read.
    temp_dir
        Where the temporary file goes (default: the system's temp folder).
    deadline
        Seconds the whole download may take (connection included), however
        steadily data arrives (default 6 hours).
    cancel
        When set, the download stops at once and nothing is yielded after
        (the import's cancel, e.g. the first Ctrl-C).

    Yields
    ------
    SourceProgress, SourceItem, SourceProblem
        Download progress (``done_bytes``/``total_bytes``), then the archive's
        events with labels ``<file name>!<member>`` and ``origin="link"``.

    Raises
    ------
    SourceError
        HTTP errors (``HTTP 404 Not Found for <url>``), refused or timed-out
        connections, redirects away from http(s), a download past its
        deadline, oversize downloads and content that is not a ZIP.
    """
    problem = url_problem(url)
    if problem:
        raise SourceError(problem)
    watch = _Watch(cancel, deadline)
    fd, tmp_path = tempfile.mkstemp(prefix="dosetrail-download-", suffix=".zip", dir=temp_dir)
    response = None
    try:
        with os.fdopen(fd, "wb") as out:
            watch.start()
            try:
                try:
                    response = _open(url, min(timeout, watch.remaining()), _opener(watch))
                except SourceError:
                    if watch.check() == "deadline":
                        raise watch.deadline_error(0, display_url(url)) from None
                    if watch.why is None:
                        raise
                if watch.check() == "cancel":
                    return
                name = link_file_name(url, response.headers.get("Content-Disposition"))
                yield from _download(response, url, out, max_bytes, timeout, watch)
            finally:
                watch.stop()
        if watch.why == "cancel":
            return
        response.close()
        response = None
        yield from iter_zip(tmp_path, name, password=password, limits=limits, origin="link")
    finally:
        if response is not None:
            response.close()
        try:
            os.unlink(tmp_path)
        except OSError:
            pass
