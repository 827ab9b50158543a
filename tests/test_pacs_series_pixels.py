"""Pixels on demand: a series a dose-only retrieve left in a real Orthanc (first and last image
only) is completed when it is opened, over DIMSE and DICOMweb; the dose history stays the same;
the viewer shows the first and last image at once, then the whole series."""
from __future__ import annotations

import pytest

from dosetrail.core.api import Library
from dosetrail.core.cli.main import main

from orthanc_server import PATIENT, orthanc  # noqa: F401 - the session fixture


def _add(o, kind: str) -> None:
    args = ["--dimse", f"{o.aet}@127.0.0.1:{o.dicom_port}"] if kind == "dimse" else ["--dicomweb", o.dicomweb]
    assert main(["pacs", "add", "arch", *args]) == 0


def _dose_only(lib) -> None:
    gen = lib.retrieve_from_archive_iter("arch", PATIENT.patient_id, [], dose_only=True)
    while True:
        try:
            next(gen)
        except StopIteration:
            return


def _ct_images_series(lib, orthanc):
    """The image-only CT study (25 slices in the archive): its exam and CT series."""
    history = lib.history(PATIENT.patient_id)
    exam = next(e for e in history.exams if e.study_instance_uid == orthanc.study_uids[2])
    return history, exam, next(s for s in exam.series if s.modality == "CT")


def _doses(history) -> dict:
    return {e.study_instance_uid: (e.effective_dose_msv, e.dose.ct_dlp_mgycm) for e in history.exams}


@pytest.mark.parametrize("kind", ["dimse", "dicomweb"])
def test_opening_a_dose_only_series_fetches_the_rest(orthanc, kind, tmp_path):
    _add(orthanc, kind)
    lib = Library(f"sqlite:///{tmp_path / 'lib.db'}")
    try:
        _dose_only(lib)
        before, exam, series = _ct_images_series(lib, orthanc)
        assert len(lib.series_files(series.series_uid)) == 2  # first and last only
        got = lib.fetch_series_pixels(series.series_uid)
        assert (got.archive, got.instances_in_library, got.instances_in_archive, got.instances_imported,
                got.error) == ("arch", 2, 25, 23, None)
        assert len(lib.series_files(series.series_uid)) == 25
        assert _doses(lib.history(PATIENT.patient_id)) == _doses(before)  # the estimate needed no more
        again = lib.fetch_series_pixels(series.series_uid)  # complete now: the archive is not asked
        assert (again.archive, again.instances_in_library, again.instances_imported) == (None, 25, 0)
        # a series that is no stack (the RDSR) asks nothing either
        sr = next(s for e in before.exams for s in e.series if s.modality == "SR")
        assert lib.fetch_series_pixels(sr.series_uid).archive is None
    finally:
        lib.close()


def test_an_archive_gone_away_leaves_the_series_as_it_was(orthanc, tmp_path):
    _add(orthanc, "dimse")
    lib = Library(f"sqlite:///{tmp_path / 'lib.db'}")
    try:
        _dose_only(lib)
        _, _, series = _ct_images_series(lib, orthanc)
        assert main(["pacs", "remove", "arch"]) == 0
        from dosetrail.core.pacs.archives import Archive, save_archive
        from orthanc_server import free_port

        save_archive(Archive("gone", "dicomweb", url=f"http://127.0.0.1:{free_port()}/dicom-web"))  # since gone
        got = lib.fetch_series_pixels(series.series_uid)
        assert got.instances_imported == 0 and got.archive is None
        assert got.error and "cannot be reached" in got.error and "\n" not in got.error
        assert len(lib.series_files(series.series_uid)) == 2
    finally:
        lib.close()


def test_the_viewer_shows_the_rest_once_fetched(qtbot, orthanc, tmp_path):
    from dosetrail.gui.widgets.previews import SeriesPreviewPanel

    _add(orthanc, "dicomweb")
    lib = Library(f"sqlite:///{tmp_path / 'lib.db'}")
    try:
        _dose_only(lib)
        _, exam, series = _ct_images_series(lib, orthanc)
        panel = SeriesPreviewPanel(lib)
        qtbot.addWidget(panel)
        panel.show()
        with qtbot.waitSignal(panel.thumbnailsDone, timeout=60000):
            panel.set_exam(exam)
        opened = []
        panel.dialogOpened.connect(opened.append)
        panel.open_item(panel.item_for(series.series_uid))
        qtbot.waitUntil(lambda: len(opened) >= 1, timeout=60000)
        assert opened[0].volume.frame_count == 2  # at once: what the library holds
        qtbot.waitUntil(lambda: len(opened) == 2, timeout=120000)
        viewer = opened[1]
        assert viewer.volume.frame_count == 25 and viewer.isVisible()
        assert "23 images fetched from arch" in panel.status.text()
        assert "25 images" in panel.item_for(series.series_uid).text()  # the tile counts the whole series
        qtbot.waitUntil(lambda: opened[0] not in panel.dialogs, timeout=10000)  # replaced, not doubled
        import os

        shot = os.environ.get("DOSETRAIL_SHOTS") or str(tmp_path)
        assert viewer.grab().save(os.path.join(shot, "viewer_fetched.png"))
        assert panel.grab().save(os.path.join(shot, "previews_fetched.png"))
    finally:
        lib.close()
