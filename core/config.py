"""Where DoseTrail keeps its data, and the user's settings.

``DOSETRAIL_HOME`` (environment) holds the default SQLite database
(``dosetrail.db``), the managed file store (``store/``), the thumbnail cache
(``thumbnails/``) and ``settings.json``. Unset, the platform's user data
folder is used (platformdirs).

The file store can live elsewhere, on a shared folder say: its place is a
per-machine setting (``store`` in ``settings.json``, set with ``dosetrail
settings --store PATH``), overridden by ``DOSETRAIL_STORE`` (environment).
Instances record paths relative to the store, so two desktops that mount one
shared store at different paths, or a store moved and pointed at again, read
every file (:func:`store_location`).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

FACTOR_SETS = ("AAPM-96", "ICRP-103-NCI")
DRL_SETS = ("UK-2022", "IE-2012")
#: Values per SQL ``IN (...)`` list when the import, the estimation and the queries look rows up
#: in batches: well under every backend's parameter limit (SQLite's is 999 in old builds).
IN_LIST_CHUNK = 500


def data_home() -> Path:
    """The library folder, created private (mode 0700) when missing.

    Returns
    -------
    pathlib.Path
        ``DOSETRAIL_HOME``, or the platform's user data folder.

    Raises
    ------
    core.model.library_errors.LibraryError
        When the folder cannot be created (a file is in the way, no
        permission) or cannot be written.
    """
    from .model.library_errors import LibraryError
    from .private_files import private_dir

    env = os.environ.get("DOSETRAIL_HOME")
    if env:
        home = Path(env).expanduser()
    else:
        import platformdirs

        home = Path(platformdirs.user_data_dir("DoseTrail", "DoseTrail"))
    where = "DOSETRAIL_HOME" if env else "the library folder"
    try:
        # created 0700; an existing DOSETRAIL_HOME keeps its mode (it may be, say, ~): what DoseTrail
        # puts in it is private (dosetrail.db 0600, store/ and thumbnails/ 0700, settings.json 0600)
        private_dir(home, tighten=not env)
    except OSError as exc:
        raise LibraryError(f"{where} {home} is not a usable folder ({exc.strerror or exc})") from None
    if not os.access(home, os.W_OK | os.X_OK):
        raise LibraryError(f"{where} {home} is not writable; choose another folder or fix its permissions")
    return home


def default_db_url(home: Path | None = None) -> str:
    home = home or data_home()
    return f"sqlite:///{home / 'dosetrail.db'}"


#: environment variable naming the file store's folder (overrides the ``store`` setting)
STORE_ENV = "DOSETRAIL_STORE"


@dataclass(frozen=True)
class StoreLocation:
    """Where the managed file store is, and what chose it.

    Attributes
    ----------
    path : pathlib.Path
        The store's folder (absolute).
    source : str
        ``"DOSETRAIL_STORE"`` (environment), ``"settings"`` (``store`` in
        ``settings.json``) or ``"default"`` (``store/`` in the library folder).
    """

    path: Path
    source: str

    @property
    def chosen(self) -> bool:
        """True when the user chose the place (setting or environment): it is never created
        silently where an unmounted shared folder should be."""
        return self.source != "default"


def store_location(home: Path | None = None, settings: "Settings | None" = None) -> StoreLocation:
    """The file store's folder: ``DOSETRAIL_STORE``, else the ``store`` setting, else ``HOME/store``.

    Parameters
    ----------
    home : pathlib.Path or None
        The library folder (default :func:`data_home`).
    settings : Settings or None
        The settings read from ``home`` (loaded when not given).

    Returns
    -------
    StoreLocation
    """
    env = os.environ.get(STORE_ENV)
    if env and env.strip():
        return StoreLocation(Path(os.path.abspath(Path(env.strip()).expanduser())), STORE_ENV)
    home = home or data_home()
    chosen = (settings if settings is not None else Settings.load(home)).store
    if chosen:
        return StoreLocation(Path(chosen), "settings")
    return StoreLocation(home / "store", "default")


def thumbnail_dir(home: Path | None = None, create: bool = False) -> Path:
    """The thumbnail cache (``create``: made private, mode 0700, when missing)."""
    return _sub_dir(home, "thumbnails", create)


def _sub_dir(home: Path | None, name: str, create: bool) -> Path:
    path = (home or data_home()) / name
    if create:
        from .model.library_errors import LibraryError
        from .private_files import private_dir

        try:
            private_dir(path)
        except OSError as exc:
            raise LibraryError(f"the library's {name} folder {path} cannot be created "
                               f"({exc.strerror or exc})") from None
    return path


@dataclass
class Settings:
    """User settings that change how doses are estimated and explained."""

    factor_set: str = "AAPM-96"
    drl_set: str = "UK-2022"
    background_msv_per_year: float = 2.4
    default_uncertainty: float = 0.5  # +-50 %
    #: hospital archives (PACS) the user added: plain dicts of core.pacs.archives.Archive
    archives: list = field(default_factory=list)
    #: this machine's path to the file store (absolute), or None for ``store/`` in the library folder
    store: str | None = None

    @classmethod
    def load(cls, home: Path | None = None) -> "Settings":
        path = (home or data_home()) / "settings.json"
        if not path.exists():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {f.name for f in fields(cls)}
        s = cls(**{k: v for k, v in raw.items() if k in known})
        if s.factor_set not in FACTOR_SETS:
            s.factor_set = "AAPM-96"
        if s.drl_set not in DRL_SETS:
            s.drl_set = "UK-2022"
        if not isinstance(s.archives, list):
            s.archives = []
        if not (isinstance(s.store, str) and os.path.isabs(s.store)):
            s.store = None
        return s

    def save(self, home: Path | None = None) -> None:
        path = (home or data_home()) / "settings.json"
        tmp = path.with_suffix(".tmp")
        from .private_files import write_private

        write_private(tmp, json.dumps(asdict(self), indent=2))
        os.replace(tmp, path)
