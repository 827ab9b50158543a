"""pyproject.toml declares its license the PEP 639 way (setuptools deprecates the table form)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
SPDX_OR_REF = re.compile(r"^(LicenseRef-[A-Za-z0-9.\-]+|[A-Za-z0-9.\-+]+( (AND|OR|WITH) [A-Za-z0-9.\-+]+)*)$")


def test_license_is_an_spdx_expression_and_setuptools_can_read_it():
    doc = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    license_ = doc["project"]["license"]
    assert isinstance(license_, str) and SPDX_OR_REF.match(license_), license_
    assert not any(c.startswith("License ::") for c in doc["project"].get("classifiers", []))
    (req,) = [r for r in doc["build-system"]["requires"] if r.startswith("setuptools")]
    minimum = re.search(r">=\s*(\d+)", req)
    assert minimum and int(minimum.group(1)) >= 77  # the first setuptools that reads PEP 639 licenses
