"""Opening a current library skips Alembic; SCHEMA_HEAD must follow the migrations."""
from __future__ import annotations

import subprocess
import sys

from dosetrail.core.storage import db


def test_schema_head_is_alembics_head():
    assert db.SCHEMA_HEAD == db.head_revision()


def test_opening_a_current_library_does_not_import_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'lib.db'}"
    db.open_library(url)  # creates it (runs the migrations)
    code = ("import sys; from dosetrail.core.storage.db import open_library, schema_is_current; "
            f"e, _ = open_library({url!r}); assert schema_is_current(e); "
            "assert 'alembic' not in sys.modules, 'alembic imported'")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
