"""core.library.protocol.LibraryAPI: what the GUI asks of the library; the real facade and the
GUI tests' fake both satisfy it, signature by signature."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from dosetrail.core.api import Library, LibraryAPI
from gui_fakes import FakeLibrary

GUI = Path(__file__).resolve().parents[1] / "gui"


def _members(proto) -> dict[str, object]:
    return {name: inspect.getattr_static(proto, name) for name in dir(proto)
            if not name.startswith("_") and name in proto.__dict__}


def _signature(fn) -> list[tuple[str, object, object]]:
    """(name, kind, default) of each parameter: what a caller relies on."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def drift(cls) -> list[str]:
    """How ``cls`` differs from :class:`LibraryAPI` (missing members, other parameters)."""
    out = []
    for name, member in _members(LibraryAPI).items():
        if not hasattr(cls, name) and name not in getattr(cls, "__dataclass_fields__", {}):
            out.append(f"{name}: missing")
        elif isinstance(member, property):
            continue  # an attribute or a property will do
        elif _signature(getattr(cls, name)) != _signature(member):
            out.append(f"{name}: {inspect.signature(getattr(cls, name))} != {inspect.signature(member)}")
    return out


@pytest.mark.parametrize("cls", [Library, FakeLibrary], ids=["Library", "FakeLibrary"])
def test_facade_and_fake_have_the_protocols_signatures(cls):
    assert drift(cls) == []


def test_instances_satisfy_the_runtime_checkable_protocol(tmp_path, monkeypatch):
    monkeypatch.setenv("DOSETRAIL_HOME", str(tmp_path))
    lib = Library()
    try:
        assert isinstance(lib, LibraryAPI)
    finally:
        lib.close()
    assert isinstance(FakeLibrary(), LibraryAPI)


def test_a_drifted_fake_is_caught():
    class Drifted(FakeLibrary):
        def history(self, patient: str, extra: int = 0):  # a parameter the real one lacks
            return None

    class Missing:
        pass

    assert [d.split(":")[0] for d in drift(Drifted)] == ["history"]
    assert "close: missing" in drift(Missing)
    assert not isinstance(Missing(), LibraryAPI)


def test_the_gui_calls_only_what_the_protocol_declares():
    called = set()
    for path in GUI.rglob("*.py"):
        called |= set(re.findall(r"\blibrary\.([a-z_]+)", path.read_text(encoding="utf-8")))
    assert called, "the GUI's calls were not found"
    assert called <= set(_members(LibraryAPI)), called - set(_members(LibraryAPI))
