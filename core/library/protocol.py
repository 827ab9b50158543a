"""What the desktop app asks of the library: :class:`LibraryAPI`.

``dosetrail.core.library.facade.Library`` satisfies it, and so does the GUI tests' fake
(``tests/gui_fakes.FakeLibrary``); ``tests/test_library_api_protocol.py``
checks both, signature by signature, so the fake cannot drift from the real
facade unnoticed.
"""
from __future__ import annotations

from threading import Event
from typing import TYPE_CHECKING, Callable, Generator, Protocol, runtime_checkable

if TYPE_CHECKING:  # the data classes only; no import cycle with core.api at run time
    from .archive_access import ArchiveImportSummary, ArchiveInfo, ArchiveStudy, ReceiveProgress
    from .series_fetch import SeriesFetch
    from .facade import ImportRunReport
    from ..config import Settings, StoreLocation
    from ..model.history import PatientHistory, PatientSummary
    from ..model.import_records import ImportProgress, ImportSummary
    from ..sources.media import RemovableVolume
    from ..viewing.pixels import Volume
    from ..viewing.sr_tree import SRNode


@runtime_checkable
class LibraryAPI(Protocol):
    """The facade's methods the GUI calls (every one may run on a pool thread)."""

    @property
    def settings(self) -> "Settings": ...

    def update_settings(self, settings: "Settings", progress: Callable[[int, int], None] | None = None) -> None: ...

    @property
    def store_location(self) -> "StoreLocation": ...

    def set_store(self, path: str | None) -> "StoreLocation": ...

    # reading
    def patients(self, search: str = "", offset: int = 0, limit: int | None = None) -> list["PatientSummary"]: ...

    def patient_count(self, search: str = "") -> int: ...

    def history(self, patient: str) -> "PatientHistory | None": ...

    def series_files(self, series_uid: str) -> list[str]: ...

    def study_files(self, study_uid: str) -> list[str]: ...

    # viewing
    def series_thumbnail(self, paths: list[str], size: int = 128) -> str | None: ...

    def load_series(self, paths: list[str], max_frames: int | None = None,
                    max_bytes: int | None = None) -> "Volume": ...

    def sr_tree(self, path: str) -> "SRNode": ...

    # importing
    def import_iter(self, paths: list[str], *, link: bool = False, password: str | None = None,
                    cancel: Event | None = None,
                    workers: int | None = None) -> Generator["ImportProgress", None, "ImportSummary"]: ...

    def import_runs(self) -> list["ImportRunReport"]: ...

    def import_report(self, run_id: int) -> "ImportRunReport": ...

    # hospital archives
    def archives(self) -> list["ArchiveInfo"]: ...

    def find_in_archive(self, name: str, patient_id: str | None = None, patient_name: str | None = None,
                        birth_date: str | None = None) -> list["ArchiveStudy"]: ...

    def retrieve_from_archive_iter(self, name: str, patient_id: str, study_uids: list[str], dose_only: bool = True,
                                   cancel: Event | None = None,
                                   ) -> Generator["ImportProgress", None, "ArchiveImportSummary"]: ...

    def fetch_series_pixels(self, series_uid: str) -> "SeriesFetch": ...

    def receive_iter(self, aet: str | None = None, port: int | None = None, cancel: Event | None = None,
                     ) -> Generator["ReceiveProgress", None, "ImportSummary | None"]: ...

    # patients
    def merge_patients(self, keep_key: str, other_key: str) -> None: ...

    def split_patient(self, key: str, identifiers: list[tuple[str, str]]) -> str: ...

    def set_count_in_total(self, study_uid: str, counted: bool | None) -> str: ...

    # media, reports, closing
    def removable_media(self) -> list["RemovableVolume"]: ...

    def write_report_pdf(self, patient: str, path: str) -> None: ...

    def close(self) -> None: ...
