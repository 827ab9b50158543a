"""Progress on standard error: a bar on a terminal, nothing otherwise."""
from __future__ import annotations

import sys
import time

from ..model.import_records import ImportProgress
from .terminal import terminal_text


class ProgressPrinter:
    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.last = 0.0
        self.start = time.monotonic()

    def __call__(self, p: ImportProgress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < 0.1 and not p.done:
            return
        self.last = now
        rate = p.files_seen / max(now - self.start, 1e-6)
        mb = p.bytes_read / 1e6
        what = terminal_text(p.message or p.current)  # a member name may hold ESC or a newline
        if len(what) > 50:
            what = "…" + what[-49:]
        line = f"\r{p.files_seen:>8} files  {mb:>9.1f} MB  {rate:>7.0f} files/s  {what:<50}"
        self.stream.write(line)
        if p.done:
            self.stream.write("\n")
        self.stream.flush()
