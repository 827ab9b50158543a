"""An exam whose date cannot be placed (20230231) counts in the total and the timeline says so (issue 12).

Before: the importer stored "2023-02-31", the history put it on the cumulative curve and in a
2023 per-year bar, the window could not place it (the step line stopped below the total) and
the note about exams without a date was empty. Now the importer reads the impossible date as
unknown (with a warning), and the note and the PDF name the exam.
"""
from __future__ import annotations

import pytest

from dosetrail.core.api import Library
from dosetrail.core.cli.main import main
from dosetrail.gui.widgets.timeline import TimelineWidget

from synth import PatientSpec, make_ct_series, write_study

JANE = PatientSpec(patient_id="J1", name="DOE^JANE", birth_date="19700131", sex="F")


@pytest.fixture
def history(tmp_path, capsys):
    placed = make_ct_series(JANE, n_slices=10, ctdivol=10.0, study_description="CT THORAX", study_date="20210304")
    impossible = make_ct_series(JANE, n_slices=10, ctdivol=12.0, study_description="CT ABDOMEN",
                                body_part="ABDOMEN", study_date="20230231")
    write_study(placed + impossible, tmp_path / "src")
    assert main(["import", str(tmp_path / "src"), "--json"]) == 0
    capsys.readouterr()
    lib = Library()
    try:
        (patient,) = lib.patients()
        yield lib.history(patient.key), impossible[0].StudyInstanceUID
    finally:
        lib.close()


def test_impossible_date_counts_in_the_total_but_not_on_the_curve(history):
    h, uid = history
    exam = next(e for e in h.exams if e.study_instance_uid == uid)
    assert exam.effective_dose_msv is not None and exam.effective_dose_msv > 0
    total = sum(e.effective_dose_msv for e in h.exams if e.effective_dose_msv is not None)
    assert h.patient.cumulative_effective_dose_msv == pytest.approx(total)  # the summary counts it
    assert uid not in [c.study_instance_uid for c in h.cumulative]  # the curve cannot place it
    assert list(h.per_year_msv) == [2021]


def test_timeline_note_names_the_exam_it_cannot_place(history, qtbot):
    h, uid = history
    tl = TimelineWidget()
    qtbot.addWidget(tl)
    tl.set_history(h)
    tl.show()
    note = " ".join(tl.note.text().split())
    assert "1 exam without a usable date" in note
    assert "CT ABDOMEN, no date" in note  # 20230231 is read as unknown (core.dicom.dates), never 2023-02-31
    x, y = tl.step_curve.getData()
    assert y[-1] == pytest.approx(h.cumulative[-1].cumulative_msv)


def test_pdf_says_the_same_about_the_exam(history, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    from dosetrail.core.config import Settings
    from dosetrail.core.export.pdf_report import write_report_pdf

    h, _ = history
    path = tmp_path / "r.pdf"
    write_report_pdf(h, path, settings=Settings(), software_version="1")
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(str(path)).pages).replace("\u00a0", " ").split())
    assert "1 exam without a usable date is listed in the table but not on the timeline (CT ABDOMEN, no date)" \
        in text
