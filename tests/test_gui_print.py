"""File > Print prints the PDF export's report, off the GUI thread."""
from __future__ import annotations

import shutil
import threading
import time

import pytest

pytest.importorskip("pytestqt")
pypdf = pytest.importorskip("pypdf")
pdfium = pytest.importorskip("pypdfium2")

from PySide6.QtPrintSupport import QPrinter  # noqa: E402
from test_export_pdf import audit_history  # noqa: E402

from dosetrail.core import __version__  # noqa: E402
from dosetrail.core.config import Settings  # noqa: E402
from dosetrail.core.export.pdf_report import write_report_pdf  # noqa: E402
from dosetrail.gui import printing  # noqa: E402

pytestmark = pytest.mark.gui


def _pdf_printer(path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def _gray_pages(path, width: int = 300) -> list:
    """Each page rendered ``width`` pixels wide, as a list of gray values."""
    doc = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for page in doc:
            bitmap = page.render(scale=width / page.get_width(), grayscale=True)
            pages.append(list(bitmap.to_pil().convert("L").tobytes()))
        return pages
    finally:
        doc.close()


def _print(qtbot, history, printer) -> dict:
    """Print through start_print (as File > Print does) and wait for its slots."""
    outcome: dict = {}
    printing.start_print(history, Settings(), printer,
                         on_done=lambda pages: outcome.setdefault("pages", pages),
                         on_error=lambda text: outcome.setdefault("error", text),
                         on_finished=lambda: outcome.setdefault("finished", True))
    qtbot.waitUntil(lambda: "finished" in outcome, timeout=30000)
    return outcome


@pytest.fixture
def spied_pdf(monkeypatch, tmp_path):
    """Keep a copy of the PDF the print job renders."""
    copy = tmp_path / "printed-source.pdf"
    original = printing.write_print_pdf

    def spy(history, settings, path):
        original(history, settings, path)
        shutil.copyfile(path, copy)

    monkeypatch.setattr(printing, "write_print_pdf", spy)
    return copy


def test_print_is_the_pdf_export(qtbot, tmp_path, spied_pdf):
    history = audit_history()
    out = tmp_path / "printed.pdf"
    assert _print(qtbot, history, _pdf_printer(out))["pages"] >= 2
    exported = tmp_path / "exported.pdf"
    write_report_pdf(history, exported, settings=Settings(), software_version=__version__)

    printed, reference = _gray_pages(out), _gray_pages(exported)
    assert len(printed) == len(reference) >= 2
    for got, want in zip(printed, reference):
        n = min(len(got), len(want))
        diff = sum(abs(a - b) for a, b in zip(got[:n], want[:n])) / n
        # the same page: about 6 (rasterized, JPEG in Qt's PDF); another page is about 19
        assert diff < 10, diff
        assert sum(1 for v in got if v < 128) > 0.01 * n  # and not blank

    # what was printed: the PDF report's content, not the old HTML table
    pages = [p.extract_text() for p in pypdf.PdfReader(str(spied_pdf)).pages]
    text = " ".join(" ".join(pages).split())
    for page in pages:
        assert "DOE, JANE" in page  # the header names the patient on every page
        assert f"DoseTrail {__version__}" in page
    assert "Cumulative effective dose over time" in text  # the plot
    assert "Factor set: AAPM-96 + NM-coefficients" in text and "Source: RDSR" in text
    lines = [line.strip() for page in pages for line in page.splitlines()]
    assert "2015-06-10" in lines and "MAMMOGRAPHY" in text  # no "2015-06-1" / "0", "MAMMOGR APHY"
    assert text.count("CTDIvol 9.6 mGy above the UK-2022") == 2  # once per CT exam
    assert "CTDIvol above UK-2022 reference level" not in text  # the old duplicate note


def test_print_runs_off_the_gui_thread(qtbot, tmp_path, monkeypatch):
    threads = []
    original = printing.print_pdf

    def slow(pdf, printer, *args, **kwargs):
        threads.append(threading.current_thread())
        time.sleep(0.4)
        return original(pdf, printer, *args, **kwargs)

    monkeypatch.setattr(printing, "print_pdf", slow)
    outcome: dict = {}
    t0 = time.monotonic()
    printing.start_print(audit_history(), Settings(), _pdf_printer(tmp_path / "p.pdf"),
                         on_done=lambda pages: outcome.setdefault("pages", pages),
                         on_finished=lambda: outcome.setdefault("finished", True))
    assert time.monotonic() - t0 < 0.3  # returned at once: the GUI thread is free
    qtbot.waitUntil(lambda: "finished" in outcome, timeout=30000)
    assert outcome["pages"] >= 1
    assert threads and threads[0] is not threading.main_thread()
    assert (tmp_path / "p.pdf").read_bytes().startswith(b"%PDF")


def test_print_honours_page_range(qtbot, tmp_path):
    out = tmp_path / "range.pdf"
    printer = _pdf_printer(out)
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    printer.setFromTo(2, 2)
    assert _print(qtbot, audit_history(), printer)["pages"] == 1
    assert len(pypdf.PdfReader(str(out)).pages) == 1


def test_print_failure_is_reported(qtbot, tmp_path, monkeypatch):
    def broken(pdf, printer, *args, **kwargs):
        raise printing.PrintError("The printer could not be started.")

    monkeypatch.setattr(printing, "print_pdf", broken)
    outcome = _print(qtbot, audit_history(), _pdf_printer(tmp_path / "x.pdf"))
    assert "pages" not in outcome and isinstance(outcome["error"], printing.PrintError)  # the exception itself
    assert "could not be started" in str(outcome["error"])
