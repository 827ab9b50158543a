"""Studies are estimated while the import reads on, and every study ends with the right estimate.

The import estimates a study once a batch has been written that did not touch it; a
study whose files come back later (its RDSR after another study's files) is estimated
again at the end. The estimates must equal those of an import that estimates only at
the end (one batch).
"""
from __future__ import annotations

from sqlalchemy import select

from dosetrail.core.api import Library
from dosetrail.core.importer import pipeline
from dosetrail.core.storage import estimates
from dosetrail.core.storage.models import Study

from synth import PatientSpec, make_ct_rdsr, make_ct_series, write_dataset


def _write_studies(root):
    """Study A's images, then study B (many files), then study A's RDSR (far from its images)."""
    a = make_ct_series(PatientSpec("EST1", "EST^ONE"), n_slices=3)
    for i, ds in enumerate(a):
        write_dataset(ds, root / "1" / f"A{i}.dcm")
    for i, ds in enumerate(make_ct_series(PatientSpec("EST2", "EST^TWO"), n_slices=14)):
        write_dataset(ds, root / "2" / f"B{i:02d}.dcm")
    rdsr = make_ct_rdsr(PatientSpec("EST1", "EST^ONE"), study_uid=str(a[0].StudyInstanceUID),
                       events=[dict(ctdivol=12.0, dlp=480.0, length_mm=400, acquisition_type="spiral",
                                    phantom="32", protocol="Thorax")])
    write_dataset(rdsr, root / "3" / "RDSR.dcm")
    for i, ds in enumerate(make_ct_series(PatientSpec("EST3", "EST^THREE"), n_slices=4)):
        write_dataset(ds, root / "4" / f"C{i}.dcm")


def _estimates(lib: Library) -> dict[str, tuple]:
    with lib.session_factory() as s:
        return {st.study_instance_uid: (st.effective_dose_msv, st.effective_dose_low_msv, st.effective_dose_high_msv,
                                        st.estimate_factor_set, (st.estimate or {}).get("sources"))
                for st in s.scalars(select(Study))}


def test_estimates_made_while_reading_equal_those_made_at_the_end(tmp_path, monkeypatch):
    _write_studies(tmp_path / "src")
    calls: list[list[str]] = []
    real = estimates.refresh_estimates

    def spy(session_factory, study_uids=None, *args, **kwargs):
        calls.append(list(study_uids or []))
        return real(session_factory, study_uids, *args, **kwargs)

    monkeypatch.setenv("DOSETRAIL_HOME", str(tmp_path / "home-end"))
    once = Library()
    once.run_import([str(tmp_path / "src")])
    expected = _estimates(once)
    once.close()

    monkeypatch.setattr(estimates, "refresh_estimates", spy)
    monkeypatch.setattr(pipeline, "INLINE_THRESHOLD", 1)  # the worker pool, small chunks and batches
    monkeypatch.setattr(pipeline, "CHUNK", 3)
    monkeypatch.setattr(pipeline, "WRITE_BATCH", 3)
    monkeypatch.setenv("DOSETRAIL_HOME", str(tmp_path / "home-batches"))
    lib = Library()
    summary = lib.run_import([str(tmp_path / "src")])
    assert summary.instances_imported == 22 and summary.files_rejected == []
    got = _estimates(lib)
    lib.close()

    assert len(expected) == 3 and got == expected
    a_uid = next(u for u, v in got.items() if v[4] and any("RDSR" in s or "Dose SR" in s for s in v[4]))
    assert len(calls) >= 3  # estimated batch by batch, not only at the end
    assert sum(a_uid in c for c in calls) == 2  # A: after its images, and again after its RDSR
