"""File > Print: the same report as File > Export PDF, on paper.

The report is written by :func:`dosetrail.core.export.pdf_report.write_report_pdf`
(reportlab) to a temporary file; pdfium (``pypdfium2``) rasterizes each page
at up to :data:`PRINT_DPI` and the pages are painted on the ``QPrinter`` the
print dialog set up. So the printout has the PDF's plot, column layout,
per-page header with the patient's name, footer with the software version
and factor set, and notes (PySide6-Essentials has no QtPdf to render a PDF
with). Both steps run on the worker pool (Qt supports QPainter on a QPrinter
outside the GUI thread): :func:`start_print` returns at once and reports the
outcome to GUI-thread slots; no nested event loop.
"""
from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPrintSupport import QPrinter

from dosetrail.core.api import PatientHistory, Settings

from .workers import Worker, run_in_pool

#: Resolution the report's pages are rasterized at (the printer's own when lower).
PRINT_DPI = 300

# pdfium is not thread-safe, not even across documents
_PDFIUM_LOCK = threading.Lock()

_IMAGE_FORMATS = {
    "RGBX": QImage.Format.Format_RGBX8888,
    "RGBA": QImage.Format.Format_RGBA8888,
    "RGB": QImage.Format.Format_RGB888,
    "BGR": QImage.Format.Format_BGR888,
    "L": QImage.Format.Format_Grayscale8,
}


class PrintError(RuntimeError):
    """The report could not be printed (the message is for the user)."""


def report_settings(history: PatientHistory, background_msv_per_year: float) -> Settings:
    """The settings the printed report needs (factor set, natural background).

    Parameters
    ----------
    history : PatientHistory
        The patient's history (it names the factor set its estimates used).
    background_msv_per_year : float
        Natural background dose rate of the library's settings.

    Returns
    -------
    Settings
    """
    default = Settings()
    return Settings(factor_set=history.factor_set or default.factor_set,
                    background_msv_per_year=background_msv_per_year)


def write_print_pdf(history: PatientHistory, settings: Settings, path: str | Path) -> None:
    """Write the report that is printed (the PDF export's report) to ``path``."""
    from dosetrail.core.api import write_history_pdf

    write_history_pdf(history, path, settings)


def print_pdf(pdf_path: str | Path, printer: QPrinter, dpi: int = PRINT_DPI) -> int:
    """Paint the pages of a PDF file on ``printer``.

    Each page is rasterized with pdfium and drawn at its true size, centred
    on the paper (scaled down only when the paper is smaller than the page).
    The print dialog's page range, page order and copy count are honoured.

    Parameters
    ----------
    pdf_path : str or Path
        The PDF (the report).
    printer : QPrinter
        Set up by the print dialog; may be a PDF file printer.
    dpi : int
        Rasterization resolution (the printer's resolution when lower).

    Returns
    -------
    int
        The number of pages printed.

    Raises
    ------
    PrintError
        The printer could not be started.
    """
    import pypdfium2 as pdfium

    with _PDFIUM_LOCK:
        doc = pdfium.PdfDocument(str(pdf_path))
        try:
            return _paint_pages(doc, printer, dpi)
        finally:
            doc.close()


def _selected_pages(printer: QPrinter, count: int) -> list[int]:
    first, last = 1, count
    if printer.printRange() == QPrinter.PrintRange.PageRange and printer.fromPage() > 0:
        first = max(1, printer.fromPage())
        last = min(count, printer.toPage() or count)
    pages = list(range(first - 1, last))
    if printer.pageOrder() == QPrinter.PageOrder.LastPageFirst:
        pages.reverse()
    copies = 1 if printer.supportsMultipleCopies() else max(1, printer.copyCount())
    return pages * copies


def _paint_pages(doc, printer: QPrinter, dpi: int) -> int:
    pages = _selected_pages(printer, len(doc))
    if not pages:
        return 0
    printer.setFullPage(True)  # the report has its own margins: print it at true size
    painter = QPainter()
    if not painter.begin(printer):
        raise PrintError("The printer could not be started. Check that it is available "
                         "and try again.")
    try:
        resolution = printer.resolution()
        paper = printer.pageLayout().fullRectPixels(resolution)
        for n, index in enumerate(pages):
            if n and not printer.newPage():
                raise PrintError("The printer stopped accepting pages.")
            page = doc[index]
            try:
                w_pt, h_pt = page.get_size()
                w_px, h_px = w_pt / 72 * resolution, h_pt / 72 * resolution
                fit = min(1.0, paper.width() / w_px, paper.height() / h_px)
                target = QRectF((paper.width() - w_px * fit) / 2, (paper.height() - h_px * fit) / 2,
                                w_px * fit, h_px * fit)
                scale = min(dpi, resolution) / 72 * fit
                bitmap = page.render(scale=scale, rev_byteorder=True, prefer_bgrx=True,
                                     may_draw_forms=False)
                try:
                    image = QImage(bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride,
                                   _IMAGE_FORMATS[bitmap.mode])
                    painter.drawImage(target, image)  # the engine copies the pixels here
                    del image
                finally:
                    bitmap.close()
            finally:
                page.close()
    finally:
        painter.end()
    return len(pages)


def _print_report(history: PatientHistory, settings: Settings, printer: QPrinter) -> int:
    with tempfile.TemporaryDirectory(prefix="dosetrail-print-") as tmp:
        pdf = Path(tmp) / "report.pdf"
        write_print_pdf(history, settings, pdf)
        return print_pdf(pdf, printer)


def start_print(history: PatientHistory, settings: Settings, printer: QPrinter, *,
                on_done: Callable[[int], None] | None = None,
                on_error: Callable[[BaseException], None] | None = None,
                on_finished: Callable[[], None] | None = None) -> Worker:
    """Print the PDF report of ``history`` on a pool thread.

    Parameters
    ----------
    history : PatientHistory
    settings : Settings
        Factor set and natural background of the report.
    printer : QPrinter
        Kept referenced by the job until it has finished.
    on_done, on_error, on_finished
        GUI-thread slots: the number of pages printed; the exception
        (``workers.error_text`` words it); nothing, after either.

    Returns
    -------
    Worker
        ``worker.exception`` is the :class:`PrintError` (or other exception)
        of a failed job.
    """
    return run_in_pool(_print_report, history, settings, printer, on_result=on_done,
                       on_error=on_error, on_finished=on_finished)
