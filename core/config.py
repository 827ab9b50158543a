"""Where DoseTrail keeps its data, and the user's settings.

``DOSETRAIL_HOME`` (environment) holds the default SQLite database
(``dosetrail.db``), the managed file store (``store/``), the thumbnail cache
(``thumbnails/``) and ``settings.json``. Unset, the platform's user data
folder is used (platformdirs).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

FACTOR_SETS = ("AAPM-96", "ICRP-103-NCI")
DRL_SETS = ("UK-2022", "IE-2012")


def data_home() -> Path:
    env = os.environ.get("DOSETRAIL_HOME")
    if env:
        home = Path(env).expanduser()
    else:
        import platformdirs

        home = Path(platformdirs.user_data_dir("DoseTrail", "DoseTrail"))
    home.mkdir(parents=True, exist_ok=True)
    return home


def default_db_url(home: Path | None = None) -> str:
    home = home or data_home()
    return f"sqlite:///{home / 'dosetrail.db'}"


def store_dir(home: Path | None = None) -> Path:
    return (home or data_home()) / "store"


def thumbnail_dir(home: Path | None = None) -> Path:
    return (home or data_home()) / "thumbnails"


@dataclass
class Settings:
    """User settings that change how doses are estimated and explained."""

    factor_set: str = "AAPM-96"
    drl_set: str = "UK-2022"
    background_msv_per_year: float = 2.4
    default_uncertainty: float = 0.5  # +-50 %

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
        return s

    def save(self, home: Path | None = None) -> None:
        path = (home or data_home()) / "settings.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(tmp, path)
