"""Import rejections carry a reason code (core.model.import_records.RejectionCode) as well as the sentence."""
from __future__ import annotations

import json

import pytest

from dosetrail.core.api import Library, RejectionCode
from dosetrail.core.model.import_records import ImportSummary, Rejection
from synth.hostile import garbage_file, make_encrypted_zip


@pytest.fixture
def library(tmp_path, monkeypatch):
    monkeypatch.setenv("DOSETRAIL_HOME", str(tmp_path / "home"))
    lib = Library()
    yield lib
    lib.close()


def test_each_rejection_has_the_code_of_its_reason(library, tmp_path):
    make_encrypted_zip(tmp_path / "in" / "secret.zip")
    (tmp_path / "in" / "README.TXT").write_text("hello")
    garbage_file(tmp_path / "in" / "bad.dcm", dicm_marker=True)


    summary = library.run_import([str(tmp_path / "in")])
    codes = {r.label.split("/in/", 1)[-1]: r.code for r in summary.files_rejected + summary.files_skipped_not_dicom}
    assert codes["secret.zip!secret/IM1.dcm"] is RejectionCode.PASSWORD_NEEDED
    assert codes["bad.dcm"] is RejectionCode.UNREADABLE
    assert codes["README.TXT"] is RejectionCode.NOT_DICOM
    doc = summary.to_json()
    rejected = {r["path"].split("/in/", 1)[-1]: r for r in doc["files_rejected"]}
    assert rejected["secret.zip!secret/IM1.dcm"]["code"] == "password-needed"
    assert rejected["secret.zip!secret/IM1.dcm"]["reason"]  # the sentence stays beside the code
    assert rejected["bad.dcm"]["code"] == "unreadable"



def test_code_defaults_follow_the_kind_and_survive_json():
    assert Rejection("a", "not DICOM", "skipped").code is RejectionCode.NOT_DICOM
    assert Rejection("a", "the database said no").code is RejectionCode.OTHER
    assert Rejection("a", "x", code="too-large").code is RejectionCode.TOO_LARGE
    summary = ImportSummary(files_rejected=[Rejection("a", "x", code=RejectionCode.READ_ERROR)])
    assert json.loads(json.dumps(summary.to_json()))["files_rejected"] == [
        {"path": "a", "reason": "x", "code": "read-error"}]
