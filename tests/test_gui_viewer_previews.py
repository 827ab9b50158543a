"""gui.widgets.previews.SeriesPreviewPanel: background thumbnails, cache, opening series."""
from __future__ import annotations

import shutil
import threading

import pytest
from pydicom.data import get_testdata_file

from dosetrail.core.config import thumbnail_dir
from dosetrail.core.model.history import SeriesView
from dosetrail.gui.widgets.previews import SERIES_ROLE, SeriesPreviewPanel, series_caption
from dosetrail.gui.widgets.sr_tree import SRTreeDialog
from dosetrail.gui.widgets.viewer import ImageViewerDialog
from dosetrail.gui.workers import active_workers
from gui_fakes import FakeLibrary, build_history

pytestmark = pytest.mark.gui


def _tf(name: str) -> str:
    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"pydicom test file {name} not installed")
    return path


class FilesLibrary(FakeLibrary):
    def __init__(self, files: dict[str, list[str]]):
        super().__init__()
        self.files = files
        self.file_threads: list[int] = []

    def series_files(self, series_uid: str) -> list[str]:
        self.file_threads.append(threading.get_ident())
        if series_uid == "broken":
            raise KeyError(series_uid)
        return list(self.files.get(series_uid, []))


@pytest.fixture
def exam_and_lib(tmp_path):
    ct = tmp_path / "ct"
    ct.mkdir()
    for i in range(3):
        shutil.copy(_tf("CT_small.dcm"), ct / f"{i}.dcm")
    files = {
        "s.ct": sorted(str(p) for p in ct.iterdir()),
        "s.rgb": [_tf("SC_rgb_rle.dcm")],
        "s.sr": [_tf("test-SR.dcm")],
        "s.bad": [_tf("JPEG-lossy.dcm")],
    }
    exam = build_history().exams[0]
    exam.series = [
        SeriesView("s.sr", 999, "SR", "Dose Report", None, 1),
        SeriesView("s.ct", 2, "CT", "CHEST 1.0 B70f", "CHEST", 3),
        SeriesView("s.rgb", 1, "OT", None, None, 1),
        SeriesView("s.bad", 3, "CT", "LOSSY", None, 1),
        SeriesView("broken", None, "CT", "MISSING FILES", None, 5),
    ]
    return exam, FilesLibrary(files)


def _panel(qtbot, lib, exam) -> SeriesPreviewPanel:
    panel = SeriesPreviewPanel(lib)
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.thumbnailsDone, timeout=10000):
        panel.set_exam(exam)
    return panel


def test_thumbnails_made_in_background_and_cached(qtbot, exam_and_lib):
    exam, lib = exam_and_lib
    panel = _panel(qtbot, lib, exam)
    order = [panel.list.item(i).data(SERIES_ROLE).series_uid for i in range(panel.list.count())]
    assert order == ["s.rgb", "s.ct", "s.bad", "s.sr", "broken"]  # by series number, unknown last
    assert threading.get_ident() not in lib.file_threads
    pngs = sorted(thumbnail_dir().rglob("*.png"))
    assert len(pngs) == 2  # CT and RGB; none for the SR, the undecodable one or missing files
    ct_icon = panel.item_for("s.ct").icon()
    assert ct_icon.availableSizes() and ct_icon.availableSizes()[0].width() == 128
    assert "#2 CHEST 1.0 B70f" in panel.item_for("s.ct").text()
    assert "3 images" in panel.item_for("s.ct").text()
    # second time: served from the disk cache (same files, no new PNG)
    mtimes = [p.stat().st_mtime_ns for p in pngs]
    _panel(qtbot, lib, exam)
    assert [p.stat().st_mtime_ns for p in sorted(thumbnail_dir().rglob("*.png"))] == mtimes


def test_stale_thumbnails_are_ignored(qtbot, exam_and_lib):
    exam, lib = exam_and_lib
    panel = SeriesPreviewPanel(lib)
    qtbot.addWidget(panel)
    panel.set_exam(exam)
    gen = panel.generation
    panel.set_exam(None)
    assert panel.list.count() == 0
    panel._thumbnail_ready((gen, "s.ct", "/nonexistent.png"))  # late result of the old exam
    assert panel.list.count() == 0
    qtbot.waitUntil(lambda: panel.generation == gen + 1, timeout=1000)


def test_double_click_opens_viewer_or_sr_tree(qtbot, exam_and_lib):
    exam, lib = exam_and_lib
    panel = _panel(qtbot, lib, exam)
    with qtbot.waitSignal(panel.dialogOpened, timeout=10000) as blocker:
        panel.open_item(panel.item_for("s.ct"))
    viewer = blocker.args[0]
    assert isinstance(viewer, ImageViewerDialog)
    assert viewer.volume.frame_count == 3 and viewer.volume.is_ct
    assert "CHEST 1.0 B70f" in viewer.windowTitle()
    with qtbot.waitSignal(panel.dialogOpened, timeout=10000) as blocker:
        panel.open_item(panel.item_for("s.sr"))
    assert isinstance(blocker.args[0], SRTreeDialog)
    with qtbot.waitSignal(panel.dialogOpened, timeout=10000) as blocker:
        panel.open_item(panel.item_for("s.bad"))
    assert "cannot be shown" in blocker.args[0].message.text()
    panel.open_item(panel.item_for("broken"))
    qtbot.waitUntil(lambda: "Cannot open" in panel.status.text(), timeout=5000)
    assert len(panel.dialogs) == 3


def test_captions():
    assert series_caption(SeriesView("u", 5, "SR", None, None, 1)) == "#5 Dose report\nSR · 1 object"
    long = series_caption(SeriesView("u", None, "CT", "X" * 40, None, 2))
    assert long.startswith("XXXX") and "…" in long and long.endswith("CT · 2 images")


def test_switching_exams_stops_the_old_thumbnail_worker(qtbot, exam_and_lib):
    exam, lib = exam_and_lib
    gate = threading.Event()
    calls = []
    real = lib.series_files

    def slow(uid):
        calls.append(uid)
        gate.wait(5)
        return real(uid)

    lib.series_files = slow
    panel = SeriesPreviewPanel(lib)
    qtbot.addWidget(panel)
    panel.set_exam(exam)  # its worker blocks in its first series_files call
    qtbot.waitUntil(lambda: calls == ["s.rgb"], timeout=5000)
    other = build_history().exams[3]
    other.series = [SeriesView("s.mr", 1, "MR", "T1", None, 1)]
    lib.files["s.mr"] = [_tf("MR_small.dcm")]
    with qtbot.waitSignal(panel.thumbnailsDone, timeout=10000):
        panel.set_exam(other)
        gate.set()
    qtbot.waitUntil(lambda: active_workers() == 0, timeout=5000)
    assert panel.list.count() == 1
    # the old exam's worker stopped after the series it was in: 3 more would follow
    assert sorted(calls) == ["s.mr", "s.rgb"]


def test_tiles_fit_a_short_panel(qtbot, exam_and_lib):
    exam, lib = exam_and_lib
    panel = _panel(qtbot, lib, exam)
    panel.resize(700, 600)
    qtbot.waitUntil(lambda: panel.list.iconSize().height() == 128, timeout=2000)
    assert panel.list.isWrapping()
    panel.resize(700, 150)
    qtbot.waitUntil(lambda: panel.list.iconSize().height() < 128, timeout=2000)
    assert not panel.list.isWrapping()  # one row that scrolls sideways
    grid = panel.list.gridSize()
    assert grid.height() <= panel.list.viewport().height()
    text = panel.item_for("s.ct").text()
    assert text.count("\n") == 1 and text.endswith("CT · 3 images")


def test_dose_report_tiles_say_what_they_are(qtbot, tmp_path, monkeypatch):
    from dosetrail.core.viewing.sr_tree import SRNode
    from dosetrail.gui.widgets.previews import report_kind, tile_labels

    ct = SRNode("X-Ray Radiation Dose Report", children=[
        SRNode("Procedure reported", "Computed Tomography X-Ray [P5-08000 (SRT)]")])
    pet = SRNode("Radiopharmaceutical Radiation Dose Report", children=[
        SRNode("Procedure reported", "PET study [P5-A0700 (SRT)]")])
    assert report_kind(ct) == "CT dose report"
    assert report_kind(pet) == "PET dose report"
    assert report_kind(SRNode("Radiopharmaceutical Radiation Dose Report")) == "NM/PET dose report"
    assert report_kind(SRNode("Comprehensive report")) == "Comprehensive report"

    exam = build_history().exams[0]
    exam.series = [SeriesView("s.ct", 2, "CT", "CT AC", None, 12),
                   SeriesView("s.rdsr", 999, "SR", "Radiation Dose Information", None, 1),
                   SeriesView("s.rrdsr", 999, "SR", "Radiation Dose Information", None, 1)]
    # before the reports are read (or when they cannot be): numbered, not two identical tiles
    labels = tile_labels(exam.series, {})
    assert labels == {"s.rdsr": "Dose report 1/2", "s.rrdsr": "Dose report 2/2"}
    # two reports of the same kind are numbered as well
    assert tile_labels(exam.series, {"s.rdsr": "CT dose report", "s.rrdsr": "CT dose report"})["s.rrdsr"] \
        == "CT dose report 2/2"

    lib = FilesLibrary({"s.ct": [], "s.rdsr": [str(tmp_path / "rdsr.dcm")], "s.rrdsr": [str(tmp_path / "r.dcm")]})
    import dosetrail.core.viewing.sr_tree as sr_module

    trees = {str(tmp_path / "rdsr.dcm"): ct, str(tmp_path / "r.dcm"): pet}
    monkeypatch.setattr(sr_module, "sr_tree", lambda path: trees[path])  # read on the pool thread
    panel = _panel(qtbot, lib, exam)
    texts = {uid: panel.item_for(uid).text() for uid in ("s.rdsr", "s.rrdsr")}
    assert texts["s.rdsr"] == "#999 CT dose report\nSR · 1 object"
    assert texts["s.rrdsr"] == "#999 PET dose report\nSR · 1 object"
    assert "Radiation Dose Information" in panel.item_for("s.rdsr").toolTip()
    assert "CT dose report" in panel.item_for("s.rdsr").toolTip()


def test_unreadable_dose_reports_are_numbered(qtbot, exam_and_lib):
    exam, lib = exam_and_lib
    exam.series = [SeriesView("s.sr", 999, "SR", "Radiation Dose Information", None, 1),
                   SeriesView("broken", 999, "SR", "Radiation Dose Information", None, 1)]
    lib.files["s.sr"] = [__file__]  # not DICOM: no kind
    panel = _panel(qtbot, lib, exam)
    firsts = [panel.list.item(i).text().split("\n")[0] for i in range(panel.list.count())]
    assert firsts == ["#999 Dose report 1/2", "#999 Dose report 2/2"]
