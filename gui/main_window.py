"""The main window: composition of the models, widgets, dialogs and controllers.

Logic lives in :mod:`.window_presenter` (what actions and results do),
:mod:`.browser_controller` (loading in the pool, selection sync),
:mod:`.importing` (the import flow) and the widgets.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QThreadPool, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from .browser_controller import BrowserController, ExamSelectionSync
from .count_toggle import CountToggle
from .icons import icon
from .dialogs.archive_find import ArchiveFindDialog, open_archive_find
from .importing import SHUTDOWN_WAIT_S, ImportController
from .listener_switch import ListenerSwitch
from .media_watcher import MediaWatcher
from .models.exams import DATE_COLUMN, ExamTableModel, make_exam_proxy
from .models.patients import PatientFilterProxy, PatientTableModel
from .settings_store import SettingsStore, library_id
from .style import large_font
from .table_fit import fit_columns_compactly
from .widgets.clinician_panel import ClinicianPanel
from .widgets.empty_state import EmptyLibraryWidget
from .widgets.media_offer import MediaOfferBar
from .widgets.patient_summary import PatientSummaryWidget
from .widgets.previews import SeriesPreviewPanel
from .widgets.timeline import TimelineWidget
from .window_presenter import PAGE_EMPTY, PAGE_LIBRARY, WindowPresenter

__all__ = ["MainWindow", "PAGE_EMPTY", "PAGE_LIBRARY"]

NAME_COLUMN = 0  # of the patient list (gui.models.patients.HEADERS)


class MainWindow(QMainWindow):
    """DoseTrail's main window.

    Parameters
    ----------
    library : Library
        The core facade (or a test double with the same methods).
    store : SettingsStore, optional
        Where window state is kept (default: the user's QSettings).
    watch_media : bool
        Start the removable-media watcher, if available.
    """

    def __init__(self, library, store: SettingsStore | None = None, watch_media: bool = True) -> None:
        super().__init__()
        self.library = library
        self.store = store or SettingsStore()
        self.library_id = library_id(library)  # the view (patient/clinician) is remembered per library
        self.setWindowTitle("DoseTrail – radiation dose history")
        self.setWindowIcon(icon("app"))
        self.controller = BrowserController(library, self)
        self.presenter = WindowPresenter(self)
        self._build_patient_list()
        self._build_patient_page()
        self._build_central()
        self._build_import()
        self._build_actions()
        self._build_menus_and_toolbar()
        self._connect()
        self._restore()
        self.media_watcher = None
        if watch_media:
            self._start_media_watcher()
        self.controller.refresh_patients()

    # construction ---------------------------------------------------------------
    def _build_patient_list(self) -> None:
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search name, ID or birth date")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search patients")
        self.patient_model = PatientTableModel(self)
        self.patient_proxy = PatientFilterProxy(self)
        self.patient_proxy.setSourceModel(self.patient_model)
        self.patient_view = QTableView(self)
        self.patient_view.setModel(self.patient_proxy)
        self.patient_view.setAccessibleName("Patients")
        self._table_defaults(self.patient_view)
        self.patient_view.sortByColumn(NAME_COLUMN, Qt.SortOrder.AscendingOrder)
        for col in (2, 3, 6):
            self.patient_view.setColumnHidden(col, True)
        header = self.patient_view.horizontalHeader()
        header.setStretchLastSection(False)
        # the name takes whatever the compact birth date, exam count and total leave
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        refit = lambda *_: fit_columns_compactly(self.patient_view, NAME_COLUMN)  # noqa: E731
        for signal in (self.patient_model.modelReset, self.patient_proxy.layoutChanged,
                       self.patient_proxy.rowsInserted, header.sortIndicatorChanged):
            signal.connect(refit)
        self.patient_count = QLabel(self)
        self.patient_count.setAccessibleName("Number of patients")
        box = QWidget(self)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.search)
        lay.addWidget(self.patient_view, 1)
        lay.addWidget(self.patient_count)
        self.patient_panel = box

    def _build_patient_page(self) -> None:
        self.header = QLabel("Select a patient", self)
        self.header.setFont(large_font(self.font(), 1.25))
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.header.setAccessibleName("Selected patient")
        self.timeline = TimelineWidget(self)
        self.summary = PatientSummaryWidget(self)
        self.clinician = ClinicianPanel(self)
        self.details = QStackedWidget(self)
        self.details.addWidget(self.summary)
        self.details.addWidget(self.clinician)
        self.exam_model = ExamTableModel(self)
        self.exam_proxy = make_exam_proxy(self.exam_model, self)
        self.exam_view = QTableView(self)
        self.exam_view.setModel(self.exam_proxy)
        self.exam_view.setAccessibleName("Exams of the selected patient")
        self._table_defaults(self.exam_view)
        self.exam_view.sortByColumn(DATE_COLUMN, Qt.SortOrder.AscendingOrder)
        self.sync = ExamSelectionSync(self.exam_view, self.exam_model, self.timeline, self)
        self.count_toggle = CountToggle(self.exam_view, self.controller.set_count_in_total)
        self.previews = SeriesPreviewPanel(self.library)

        self.top_split = QSplitter(Qt.Orientation.Horizontal, self)
        self.top_split.addWidget(self.timeline)
        self.top_split.addWidget(self.details)
        self.top_split.setCollapsible(0, False)
        self.timeline.setMinimumWidth(320)
        self.details.setMinimumWidth(260)
        self.top_split.setStretchFactor(0, 3)
        self.top_split.setStretchFactor(1, 2)
        self.top_split.setSizes([600, 420])
        self.page_split = QSplitter(Qt.Orientation.Vertical, self)
        self.page_split.addWidget(self.top_split)
        self.page_split.addWidget(self.exam_view)
        self.page_split.addWidget(self.previews)
        self.page_split.setStretchFactor(0, 3)
        self.page_split.setStretchFactor(1, 2)
        self.page_split.setStretchFactor(2, 1)
        self.page_split.setCollapsible(2, False)  # the series strip keeps room for its thumbnails
        self.page_split.setSizes([440, 230, max(210, self.previews.minimumHeight())])
        page = QWidget(self)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.header)
        lay.addWidget(self.page_split, 1)
        self.patient_page = page

    def _build_central(self) -> None:
        self.media_bar = MediaOfferBar(self)
        self.empty = EmptyLibraryWidget(self)
        self.main_split = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_split.addWidget(self.patient_panel)
        self.main_split.addWidget(self.patient_page)
        # both stretch: the patient list keeps its share (names stay readable) as the window grows
        self.main_split.setStretchFactor(0, 1)
        self.main_split.setStretchFactor(1, 1)
        self.main_split.setCollapsible(0, False)
        self.main_split.setCollapsible(1, False)
        self.patient_panel.setMinimumWidth(320)  # names stay readable in a 1024 px window
        self.main_split.setSizes([410, 990])
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self.main_split)
        central = QWidget(self)
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.media_bar)
        lay.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        # Tab: search, patient list, exam table, series strip, then the summary/clinician text
        chain = [self.search, self.patient_view, self.exam_view, self.previews.list, self.summary.text,
                 self.clinician.text]
        for a, b in zip(chain, chain[1:]):
            self.setTabOrder(a, b)

    def _build_import(self) -> None:
        self.importer = ImportController(self.library, self)
        self.importer.install_drop_target(self)

    def _action(self, text: str, slot, shortcut=None, icon_name: str | None = None,
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        if slot is not None:
            (action.toggled if checkable else action.triggered).connect(slot)
        return action

    def _build_actions(self) -> None:
        imp = self.importer
        missing = self.presenter.import_unavailable
        self.act_import_folder = self._action("Import &folder…", imp.import_folder_dialog if imp else missing,
                                              QKeySequence.StandardKey.Open, "import-folder")
        self.act_import_archive = self._action("Import &archive…", imp.import_archive_dialog if imp else missing,
                                               "Ctrl+Shift+O", "import-archive")
        self.act_import_link = self._action("Import from &link…", imp.import_link_dialog if imp else missing,
                                            "Ctrl+L", "import-link")
        self.act_find_archive = self._action("Find in a&rchive…", lambda: open_archive_find(self), "Ctrl+Shift+F")
        self.listener_switch = ListenerSwitch(self)
        self.act_receive = self.listener_switch.action
        self.act_import_report = self._action("Import &report…", imp.show_last_report if imp else missing,
                                              "Ctrl+R")
        self.act_export_pdf = self._action("&Export report (PDF)…", self.presenter.export_pdf, "Ctrl+E", "report")
        self.act_print = self._action("&Print…", self.presenter.print_report, QKeySequence.StandardKey.Print, "print")
        self.act_settings = self._action("&Settings…", self.presenter.open_settings, "Ctrl+,",
                                         "settings")
        self.act_quit = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.act_merge = self._action("&Merge patients…", self.presenter.merge_patients, "Ctrl+M", "merge")
        self.act_split = self._action("&Split patient…", self.presenter.split_patient, "Ctrl+Shift+S", "split")
        self.act_patient_view = self._action("&Patient view", None, "Ctrl+1", "patient", checkable=True)
        self.act_clinician_view = self._action("&Clinician view", None, "Ctrl+2", "clinician",
                                               checkable=True)
        group = QActionGroup(self)
        group.setExclusive(True)
        group.addAction(self.act_patient_view)
        group.addAction(self.act_clinician_view)
        self.act_patient_view.toggled.connect(lambda on: on and self.presenter.set_view("patient"))
        self.act_clinician_view.toggled.connect(lambda on: on and self.presenter.set_view("clinician"))
        self.act_bars = self._action("Per-year &bars", self.timeline.set_show_bars, "Ctrl+B",
                                     checkable=True)
        self.act_reference = self._action("&Reference lines", self.timeline.set_show_reference_lines,
                                          "Ctrl+Shift+R", checkable=True)
        self.patient_view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.patient_view.addActions([self.act_merge, self.act_split, self.act_export_pdf, self.act_print])
        self.act_search = self._action("Find patient", self.search.setFocus, QKeySequence.StandardKey.Find)
        self.addAction(self.act_search)
        self.act_fit = self._action("&Fit timeline", self.timeline.fit, "Ctrl+0")

    def _build_menus_and_toolbar(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        for a in (self.act_import_folder, self.act_import_archive, self.act_import_link, self.act_find_archive,
                  self.act_receive, None,
                  self.act_import_report, self.act_export_pdf, self.act_print, None,
                  self.act_settings, None, self.act_quit):
            m.addSeparator() if a is None else m.addAction(a)
        m = bar.addMenu("&Patient")
        m.addAction(self.act_merge)
        m.addAction(self.act_split)
        m = bar.addMenu("&View")
        for a in (self.act_patient_view, self.act_clinician_view, None, self.act_bars, self.act_reference,
                  self.act_fit):
            m.addSeparator() if a is None else m.addAction(a)
        tools = QToolBar("Main tool bar", self)
        tools.setObjectName("main-toolbar")
        tools.setIconSize(QSize(22, 22))
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for a in (self.act_import_folder, self.act_import_archive, self.act_import_link, None,
                  self.act_patient_view, self.act_clinician_view, None, self.act_export_pdf,
                  self.act_print, self.act_settings):
            tools.addSeparator() if a is None else tools.addAction(a)
        for a in tools.actions():  # the tooltip names the shortcut
            if a.shortcut().toString():
                a.setToolTip(f"{a.text().replace('&', '').rstrip('…')} "
                             f"({a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})")
        self.tool_bar = tools
        self.addToolBar(tools)
        self.statusBar().addPermanentWidget(self.listener_switch.status)

    def _connect(self) -> None:
        c = self.controller
        c.patientsLoaded.connect(self.presenter.show_patients)
        c.historyLoaded.connect(self.presenter.show_history)
        c.failed.connect(self.presenter.show_failure)
        c.pdfWritten.connect(lambda p: self.statusBar().showMessage(f"Report saved to {p}", 8000))
        c.progressText.connect(lambda text: self.statusBar().showMessage(text, 0))
        c.busyChanged.connect(lambda busy: self.statusBar().showMessage("Working…" if busy else "", 0))
        self.search_timer = QTimer(self)  # filter once typing pauses
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(150)
        self.search_timer.timeout.connect(lambda: self.presenter.apply_search(self.search.text()))
        self.search.textChanged.connect(self.search_timer.start)
        self.patient_view.selectionModel().currentRowChanged.connect(self.presenter.on_patient_row)
        self.sync.examChanged.connect(self.clinician.set_exam)
        self.sync.examChanged.connect(self.previews.set_exam)
        self.empty.importFolder.connect(self.act_import_folder.trigger)
        self.empty.importArchive.connect(self.act_import_archive.trigger)
        self.empty.importLink.connect(self.act_import_link.trigger)
        self.importer.libraryChanged.connect(self.controller.reload)
        self.media_bar.importRequested.connect(lambda m: self.importer.import_paths([m]))

    def _restore(self) -> None:
        if not self.store.restore_window(self):
            screen = self.screen().availableGeometry() if self.screen() else None
            w, h = 1400, 900
            if screen is not None:
                w, h = min(w, screen.width()), min(h, screen.height())
            self.resize(w, h)
        for name, splitter in self._splitters().items():
            self.store.restore_splitter(name, splitter)
        self.act_bars.setChecked(self.store.flag("show_bars", False))
        self.act_reference.setChecked(self.store.flag("show_reference", True))
        self.timeline.set_show_reference_lines(self.act_reference.isChecked())
        view = self.store.last_view(self.library_id)
        (self.act_clinician_view if view == "clinician" else self.act_patient_view).setChecked(True)
        self.presenter.set_view(view)

    def _start_media_watcher(self) -> None:
        self.media_watcher = MediaWatcher(self.library, self)
        self.media_watcher.mediaInserted.connect(self.media_bar.offer)
        self.media_watcher.start()

    # helpers -----------------------------------------------------------------------
    @staticmethod
    def _table_defaults(view: QTableView) -> None:
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setSortingEnabled(True)
        view.setAlternatingRowColors(True)
        view.verticalHeader().setVisible(False)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        view.horizontalHeader().setStretchLastSection(True)
        view.setTabKeyNavigation(False)
        view.setWordWrap(False)

    def _splitters(self) -> dict[str, QSplitter]:
        return {"main": self.main_split, "page": self.page_split, "top": self.top_split}

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        # a running import is cancelled and waited for, then the other workers (previews, history
        # loads): the library closes after this (app.py)
        self.importer.shutdown()
        self.listener_switch.shutdown(SHUTDOWN_WAIT_S)
        for dialog in self.findChildren(ArchiveFindDialog):  # a retrieve stops its transfer, imports what arrived
            dialog.cancel()
        QThreadPool.globalInstance().waitForDone(int(SHUTDOWN_WAIT_S * 1000))
        self.store.save_window(self)
        for name, splitter in self._splitters().items():
            self.store.save_splitter(name, splitter)
        self.store.set_flag("show_bars", self.act_bars.isChecked())
        self.store.set_flag("show_reference", self.act_reference.isChecked())
        self.store.sync()
        super().closeEvent(event)
