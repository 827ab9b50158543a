"""The bundled demo library: synthetic studies imported once into their own home.

``resources/demo/demo-studies.zip`` is made by ``resources/demo/build_demo.py``
with the project's synthetic DICOM generator (no real patient data): several
patients with CT (RDSR and header-only), PET/CT, mammography, radiography, MR
and ultrasound over several years. :func:`ensure_demo_library` imports it
into a separate DoseTrail home (never the user's library) the first time and
returns that home; ``dosetrail gui --demo`` then runs with
``DOSETRAIL_HOME`` set to it.

The archive is looked up next to the package (``<dosetrail>/resources/demo``,
which is the source checkout's ``resources/demo`` and the frozen bundle's
``dosetrail/resources/demo``) unless ``DOSETRAIL_DEMO_ZIP`` names it.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from ..model.import_records import ImportProgress

ARCHIVE_NAME = "demo-studies.zip"
MARKER = "demo-library.json"


class DemoUnavailable(RuntimeError):
    """The demo archive is not part of this installation."""


def demo_archive() -> Path:
    """Where the bundled demo archive is.

    Returns
    -------
    Path
        An existing ``demo-studies.zip``.

    Raises
    ------
    DemoUnavailable
        When this installation has no demo archive.
    """
    env = os.environ.get("DOSETRAIL_DEMO_ZIP")
    candidates = [Path(env)] if env else []
    package_root = Path(__file__).resolve().parents[2]  # core/library/../.. = dosetrail/ (or the checkout)
    candidates += [package_root / "resources" / "demo" / ARCHIVE_NAME,
                   package_root / "dosetrail" / "resources" / "demo" / ARCHIVE_NAME]
    for path in candidates:
        if path.is_file():
            return path
    raise DemoUnavailable("the demo archive (resources/demo/demo-studies.zip) is not installed; "
                          "build it with: python resources/demo/build_demo.py")


def default_demo_home() -> Path:
    """The demo library's default home.

    Returns
    -------
    Path
        The platform's user data folder for DoseTrail, sub-folder ``demo``
        (apart from the user's own library).
    """
    import platformdirs

    return Path(platformdirs.user_data_dir("DoseTrail", "DoseTrail")) / "demo"


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextmanager
def _home(path: Path):
    """Point ``DOSETRAIL_HOME`` at ``path`` for the duration, with its own store (``DOSETRAIL_STORE``
    unset); both restored after."""
    old = {name: os.environ.get(name) for name in ("DOSETRAIL_HOME", "DOSETRAIL_STORE")}
    os.environ["DOSETRAIL_HOME"] = str(path)
    os.environ.pop("DOSETRAIL_STORE", None)
    try:
        yield
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def ensure_demo_library(target_home: Path | None = None, *,
                        progress: Callable[[ImportProgress], None] | None = None,
                        workers: int | None = None) -> Path:
    """Make sure the demo library exists in ``target_home`` and return it.

    The first call imports the bundled archive (a few seconds); later calls
    find the marker file written after a complete import and return at once,
    adding nothing. A newer archive (different content) is imported on top:
    what is already present is kept, only new objects are added.

    Parameters
    ----------
    target_home
        The DoseTrail home of the demo library; :func:`default_demo_home`
        when omitted. Never point it at the user's own library.
    progress
        Called with import progress (from this thread).
    workers
        Worker processes for the import (default: the importer's choice).

    Returns
    -------
    Path
        The demo home, to use as ``DOSETRAIL_HOME``.

    Raises
    ------
    DemoUnavailable
        When the archive is missing from this installation.
    RuntimeError
        When the archive could not be imported.
    """
    home = Path(target_home) if target_home is not None else default_demo_home()
    home.mkdir(parents=True, exist_ok=True)
    archive = demo_archive()
    digest = _digest(archive)
    marker = home / MARKER
    if marker.is_file():
        try:
            if json.loads(marker.read_text(encoding="utf-8")).get("sha256") == digest:
                return home
        except (OSError, ValueError):
            pass  # unreadable marker: import again (idempotent)
    from .facade import Library
    from ..config import default_db_url

    with _home(home):
        library = Library(db_url=default_db_url(home))
        try:
            summary = library.run_import([str(archive)], progress=progress, workers=workers)
        finally:
            library.close()
    present = summary.instances_imported + summary.instances_already_present
    if present == 0 or summary.cancelled:
        reasons = "; ".join(f"{r.label}: {r.reason}" for r in summary.files_rejected[:5])
        raise RuntimeError(f"the demo archive could not be imported ({reasons or 'nothing imported'})")
    marker.write_text(json.dumps({"sha256": digest, "archive": archive.name,
                                  "instances": present,
                                  "rejected": len(summary.files_rejected)}, indent=2),
                      encoding="utf-8")
    return home
