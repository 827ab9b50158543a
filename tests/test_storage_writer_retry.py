"""The batch writer retries a batch another process wrote at the same time (two desktops, one database)."""
from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from dosetrail.core.storage import writer as writer_module
from dosetrail.core.storage.db import open_library
from dosetrail.core.storage.writer import LibraryWriter, start_run

from test_storage_writer import counts, item


@pytest.fixture()
def factory(tmp_path):
    _, factory = open_library(f"sqlite:///{tmp_path / 'lib.db'}")
    return factory


class _Orig(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _racing(writer: LibraryWriter, failures: list[Exception]):
    real = writer._write

    def write(items):
        if failures:
            raise failures.pop(0)
        return real(items)

    return write


def test_a_batch_is_retried_until_the_other_writer_has_committed(factory, monkeypatch):
    monkeypatch.setattr(writer_module.time, "sleep", lambda s: None)
    w = LibraryWriter(factory, run_id=start_run(factory, ["/cd"], False))
    taken = IntegrityError("INSERT", {}, Exception("duplicate key value violates unique constraint"))
    deadlock = OperationalError("UPDATE", {}, _Orig("40P01"))
    monkeypatch.setattr(w, "_write", _racing(w, [taken, deadlock, taken]))
    res = w.write_batch([item("1.1.1.1"), item("1.1.1.2")])
    assert len(res.imported) == 2
    assert counts(factory)["Instance"] == 2


def test_a_database_that_is_down_is_not_retried_as_a_conflict(factory, monkeypatch):
    monkeypatch.setattr(writer_module.time, "sleep", lambda s: None)
    w = LibraryWriter(factory, run_id=start_run(factory, ["/cd"], False))
    down = OperationalError("SELECT", {}, _Orig("57P01"))  # admin_shutdown
    failures = [down, down]
    monkeypatch.setattr(w, "_write", _racing(w, failures))
    with pytest.raises(OperationalError):
        w.write_batch([item("1.1.1.1")])
    assert len(failures) == 1  # tried once


def test_conflicts_that_never_end_give_up(factory, monkeypatch):
    monkeypatch.setattr(writer_module.time, "sleep", lambda s: None)
    w = LibraryWriter(factory, run_id=start_run(factory, ["/cd"], False))
    taken = IntegrityError("INSERT", {}, Exception("duplicate key"))
    failures = [taken] * (writer_module.CONFLICT_ATTEMPTS + 1)
    monkeypatch.setattr(w, "_write", _racing(w, failures))
    with pytest.raises(IntegrityError):
        w.write_batch([item("1.1.1.1")])
    assert len(failures) == 1
