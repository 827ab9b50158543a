"""The import flow and previews against the real Library (synthetic studies)."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from dosetrail.core.api import Library
from dosetrail.gui.importing import ImportController
from dosetrail.gui.widgets.previews import SeriesPreviewPanel
from dosetrail.gui.widgets.sr_tree import SRTreeDialog
from dosetrail.gui.widgets.viewer import ImageViewerDialog
from synth import generate_many

pytestmark = pytest.mark.gui


@pytest.fixture
def library():
    lib = Library()
    yield lib
    lib.close()


@pytest.fixture
def controller(qtbot, library):
    window = QWidget()
    qtbot.addWidget(window)
    return ImportController(library, window)


def _finish(qtbot, ctl):
    with qtbot.waitSignal(ctl.importFinished, timeout=60_000) as blocker:
        pass
    qtbot.waitUntil(lambda: not ctl.busy, timeout=5000)
    return blocker.args[0]


def test_folder_import_report_and_previews(qtbot, controller, library, tmp_path):
    generate_many(tmp_path / "cd", 30, files_per_series=15, series_per_study=2, rdsr_per_study=True,
                  seed="gui-real")
    (tmp_path / "cd" / "AUTORUN.INF").write_text("[autorun]\nopen=viewer.exe\n")
    controller.import_paths([str(tmp_path / "cd")])
    summary = _finish(qtbot, controller)
    assert summary.instances_imported == 31  # 30 images + 1 RDSR
    assert controller.message_box.icon() == QMessageBox.Information

    report = controller.open_report(summary.import_run_id)
    qtbot.waitUntil(lambda: report.report is not None, timeout=5000)
    assert report.studies_table.rowCount() == 1
    sources = report.studies_table.item(0, 3).text()
    assert "RDSR" in sources
    rows = report.rows()
    assert ["summary", "imported", "31"] == rows[1 + 1][:3]
    assert any(r[0] == "skipped" and r[1].endswith("AUTORUN.INF") for r in rows)
    csv_path = tmp_path / "report.csv"
    report.save_csv(str(csv_path))
    assert csv_path.read_text(encoding="utf-8").splitlines()[0].startswith("section,item")
    assert "AUTORUN.INF" in report.copy_to_clipboard()

    # the exam's series: thumbnails from the library's files, viewer and SR tree
    patient = library.patients()[0]
    exam = library.history(patient.key).exams[0]
    panel = SeriesPreviewPanel(library)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.thumbnailsDone, timeout=20_000):
        panel.set_exam(exam)
    assert panel.list.count() == len(exam.series) == 3
    sr = next(s for s in exam.series if s.modality == "SR")
    ct = next(s for s in exam.series if s.modality == "CT")
    with qtbot.waitSignal(panel.dialogOpened, timeout=20_000) as blocker:
        panel.open_item(panel.item_for(ct.series_uid))
    viewer = blocker.args[0]
    assert isinstance(viewer, ImageViewerDialog) and viewer.volume.frame_count == ct.instance_count
    assert viewer.volume.is_ct
    with qtbot.waitSignal(panel.dialogOpened, timeout=20_000) as blocker:
        panel.open_item(panel.item_for(sr.series_uid))
    tree = blocker.args[0]
    assert isinstance(tree, SRTreeDialog)
    qtbot.waitUntil(lambda: tree.model.rowCount() == 1, timeout=5000)
    assert tree.model.index(0, 0).data() == "X-Ray Radiation Dose Report"


def test_unreadable_source_is_explained(qtbot, controller, tmp_path):
    missing = tmp_path / "no-such-folder"
    controller.import_paths([str(missing)])
    result = _finish(qtbot, controller)
    box = controller.message_box
    assert box.icon() == QMessageBox.Warning
    assert str(missing.name) in box.text()
    if hasattr(result, "files_rejected"):
        assert result.files_rejected and result.instances_imported == 0


def test_encrypted_zip_password_retry(qtbot, controller, library, tmp_path, monkeypatch):
    zip_helpers = pytest.importorskip("test_sources_zip")
    archive = zip_helpers._encrypted_zip(tmp_path / "portal.zip", b"s3cret")
    asked = []
    monkeypatch.setattr(controller, "ask_password", lambda attempt: asked.append(attempt) or "s3cret")
    controller.import_paths([str(archive)])
    first = _finish_first(qtbot, controller)
    assert any("--password" in r.reason for r in first.files_rejected)
    second = _finish(qtbot, controller)
    assert asked == [0]
    assert second.instances_imported == 1  # the ZipCrypto member (the helper's AES one stays refused)
    assert not any("--password" in r.reason for r in second.files_rejected)


def _finish_first(qtbot, ctl):
    with qtbot.waitSignal(ctl.importFinished, timeout=60_000) as blocker:
        pass
    return blocker.args[0]


def test_cancel_stops_a_real_import(qtbot, controller, library, tmp_path):
    generate_many(tmp_path / "big", 1500, seed="gui-cancel")
    controller.import_paths([str(tmp_path / "big")])
    qtbot.waitUntil(lambda: controller.progress_dialog is not None
                    and "files read" in controller.progress_dialog.labelText(), timeout=20_000)
    controller.cancel()
    summary = _finish(qtbot, controller)
    assert summary.cancelled
    assert summary.instances_imported < 1500
    assert "cancelled" in controller.message_box.text()
