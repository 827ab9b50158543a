"""Link source: download an ``http(s)://`` ZIP to a temporary file, then read it.

The download reports progress, is capped in size, times out when the server
stops answering, and is checked by its magic bytes (a portal's HTML login
page is refused with a clear reason). The temporary file is removed when the
iterator finishes, fails or is closed (cancel).
"""
from __future__ import annotations

import os
import posixpath
import re
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPException
from typing import Iterator

from .archive import ZIP_MAGIC, iter_zip
from .base import SourceError, SourceEvent, SourceProgress
from .limits import GIB, MIB, ArchiveLimits, human_bytes

DEFAULT_MAX_BYTES = 20 * GIB
DEFAULT_TIMEOUT = 30.0
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
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "...", "") if parts.query
                                   else (parts.scheme, host, parts.path, "", ""))


def _open(url: str, timeout: float):
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    shown = display_url(url)
    host = urllib.parse.urlsplit(url).hostname or shown
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - http(s) only
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


def _download(response, url: str, out, max_bytes: int, timeout: float) -> Iterator[SourceProgress]:
    """Copy the response body into ``out`` with checks; yields progress."""
    shown = display_url(url)
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() else None
    if total is not None and total > max_bytes:
        raise SourceError(f"the download is {human_bytes(total)}, more than the "
                          f"{human_bytes(max_bytes)} limit ({shown})")
    name = link_file_name(url, response.headers.get("Content-Disposition"))
    yield SourceProgress(f"downloading {name}", 0, total)
    done = 0
    head = b""
    last_bytes, last_time = 0, time.monotonic()
    while True:
        try:
            chunk = response.read(MIB)
        except (TimeoutError, socket.timeout):
            raise SourceError(f"the download stalled: no data for {timeout:g} s "
                              f"after {human_bytes(done)} ({shown})") from None
        except (HTTPException, OSError) as exc:
            raise SourceError(f"the download was cut off after {human_bytes(done)}: {exc} "
                              f"({shown})") from None
        if not chunk:
            break
        if len(head) < 4:
            head += chunk[:4]
            if len(head) >= 4 and head[:4] not in ZIP_MAGIC:
                ctype = response.headers.get_content_type()
                raise SourceError(f"the link did not return a ZIP archive (got {ctype}): portal links "
                                  f"often need a browser login; download the archive there and "
                                  f"import the file ({shown})")
        done += len(chunk)
        if done > max_bytes:
            raise SourceError(f"the download exceeds the {human_bytes(max_bytes)} limit ({shown})")
        out.write(chunk)
        now = time.monotonic()
        if done - last_bytes >= _PROGRESS_EVERY_BYTES or now - last_time >= _PROGRESS_EVERY_SECONDS:
            last_bytes, last_time = done, now
            yield SourceProgress(f"downloading {name}", done, total)
    if total is not None and done < total:
        raise SourceError(f"the download was cut off after {human_bytes(done)} of "
                          f"{human_bytes(total)} ({shown})")
    if len(head) < 4:
        raise SourceError(f"the link returned {'nothing' if not done else 'too little data'}, "
                          f"not a ZIP archive ({shown})")
    yield SourceProgress(f"downloaded {name}", done, total if total is not None else done)


def iter_link(
    url: str,
    *,
    password: str | None = None,
    limits: ArchiveLimits | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    temp_dir: str | None = None,
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

    Yields
    ------
    SourceProgress, SourceItem, SourceProblem
        Download progress (``done_bytes``/``total_bytes``), then the archive's
        events with labels ``<file name>!<member>`` and ``origin="link"``.

    Raises
    ------
    SourceError
        HTTP errors (``HTTP 404 Not Found for <url>``), refused or timed-out
        connections, oversize downloads and content that is not a ZIP.
    """
    if not is_link(url):
        raise SourceError(f"not an http(s) link: {url}")
    fd, tmp_path = tempfile.mkstemp(prefix="dosetrail-download-", suffix=".zip", dir=temp_dir)
    response = None
    try:
        with os.fdopen(fd, "wb") as out:
            response = _open(url, timeout)
            name = link_file_name(url, response.headers.get("Content-Disposition"))
            yield from _download(response, url, out, max_bytes, timeout)
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
