"""Text for the terminal: control characters in data are shown, never obeyed.

An archive member name or a DICOM value may hold an ESC (a terminal escape
sequence), a newline or a carriage return (which could fake a ``rejected:``
line), C1 controls or bidirectional overrides. Every plain-text line the
command line prints goes through :func:`terminal_text`; ``--json`` output is
escaped by the JSON encoder (C0 controls become ``\\u00XX``).
"""
from __future__ import annotations

import builtins
import re

# C0 controls except TAB, DEL, C1 controls, line/paragraph separators, bidi marks and overrides
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(value: object) -> str:
    """``str(value)`` with its control characters written as escapes.

    Parameters
    ----------
    value : object

    Returns
    -------
    str
        One line: a newline becomes ``\\n``, a carriage return ``\\r``, ESC
        ``\\x1b``, a right-to-left override ``\\u202e``; tabs and every
        printable character (any script) are kept.
    """
    return _CONTROL.sub(_escape, str(value))


def terminal_print(*values: object, sep: str = " ", end: str = "\n", file=None, flush: bool = False) -> None:
    """``print`` whose values are passed through :func:`terminal_text`.

    Newlines at the start of the first value are layout (they end a progress
    bar line) and are kept; ``sep`` and ``end`` are the caller's and kept too.
    """
    texts = [terminal_text(v) for v in values]
    if values and isinstance(values[0], str):
        first = values[0]
        lead = first[:len(first) - len(first.lstrip("\n"))]
        texts[0] = lead + terminal_text(first[len(lead):])
    builtins.print(*texts, sep=sep, end=end, file=file, flush=flush)


# what the JSON encoder (ensure_ascii=False) leaves raw: DEL, C1 controls, separators, bidi marks
_JSON_RAW = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class JsonTerminalStream:
    """Standard output for a JSON document: DEL, C1 controls and bidi marks as ``\\uXXXX``.

    The JSON encoder already escapes C0 controls (ESC, newline) in strings;
    these others it writes raw. They can only occur inside strings, where the
    escape stands for the same character: every JSON reader gets the same
    document, and a terminal shows it without obeying it.

    Parameters
    ----------
    stream : text stream
        The real standard output.
    """

    def __init__(self, stream) -> None:
        self.stream = stream

    def write(self, text: str) -> int:  # noqa: D102 - file API
        return self.stream.write(_JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text))

    def __getattr__(self, name: str):
        return getattr(self.stream, name)
