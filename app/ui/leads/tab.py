"""The Leads tab: search Seamless.AI for people and companies, research them for emails and
phones, and add them to the CRM.

Credits are money, so nothing here spends without the user's say and nothing is
sent that the app already knows would be refused:

- the credit meter is always on the tab; hovering or focusing Search, Load
  more or Research shows that action's estimate (and the refusal, if any);
- Search shows its first page's cost and is refused (the sentence at the
  button and in the meter) when the balance or the daily budget says no;
- paging is explicit: "Load more — up to N credits" under the table, refused
  the same way; the table never loads a page on its own;
- research asks first (a non-blocking confirmation with the estimate, the
  free duplicates — already researched, reopened from the ledger and not sent
  — and the balance after); results flow into the table, the details pane and
  the queue panel as they arrive;
- adding to the CRM needs an open Seedly connection (the button says so when
  there is none) and reports what it did, record by record.

The tab reads everything through ``workspace.leads`` (``LeadsService``): its
meter, research queue and pushers. Without a Seamless connection it shows an
empty state with a button to the connection settings; a key the server refused
is shown on the banner.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.credits import CreditsRefused, Estimate, Refusal
from app.core.errors import ApiError, ValidationFailed
from app.core.seamless import ExportRow, ResearchedCompany, ResearchedContact
from app.services.bus import (
    CreditsChanged,
    LeadPushProgress,
    ResearchJobChanged,
    ResearchResultsArrived,
)
from app.services.credits import CreditMeter, SearchPager
from app.services.lead_push import PushReport
from app.services.research import JobProgress, ResearchPlan, ResearchResult
from app.services.workspace import NotActive, Workspace
from app.settings.profiles import SavedSearch
from app.storage.research_jobs import JobState
from app.ui.area import Area, AreaContext
from app.ui.async_qt import await_signal
from app.ui.common.messages import FieldMessage
from app.ui.leads.connection import run_seamless_settings
from app.ui.leads.details import LeadDetailsPane
from app.ui.leads.dialogs import (
    AddToCrmDialog,
    BudgetDialog,
    NameDialog,
    ResearchConfirmDialog,
)
from app.ui.leads.export import (
    ask_export_path,
    companies_csv,
    contacts_csv,
    results_csv,
    write_csv,
)
from app.ui.leads.filters import FilterPanel, describe
from app.ui.leads.meter import ActionHover, CreditBadge, CreditMeterWidget, ElidedLabel
from app.ui.leads.models import (
    CompanyColumn,
    CompanyResultsModel,
    CompanyRow,
    PeopleColumn,
    PeopleResultsModel,
    PersonRow,
    ResearchMark,
    RowResearch,
    not_found_count,
)
from app.ui.leads.queue import ResearchQueuePanel
from app.ui.theme import Spacing, icon
from app.ui.widgets import Banner, EmptyState

log = logging.getLogger(__name__)

ROW_HEIGHT = 28
SETTINGS_GROUP = "leads"
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 50
CONNECTION_CHECK_MS = 500
"""How often the tab looks whether the Seamless connection was opened, replaced or refused
(``LeadsService`` publishes no event for that; the check is a few attribute reads)."""
METER_REFRESH_S = 30.0
"""The meter re-reads the spend log at least this often (the day rolls over)."""
PEOPLE, COMPANIES = "people", "companies"

SAMPLE_FILTERS: dict[str, Any] = {
    "seniority": ["VP", "Director"],
    "department": ["Sales"],
    "industry": ["Software & Information Technology"],
    "contactCountry": ["United States"],
}
"""The demo's sample search: VPs and Directors of Sales at US software companies."""
SAMPLE_RESEARCH = 3
TERMINAL_JOB_STATES = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})


@dataclass
class _Side:
    """One search kind: its filter panel, results model and view, and the search paged."""

    kind: str
    panel: FilterPanel
    model: PeopleResultsModel | CompanyResultsModel
    table: QTableView
    pager: SearchPager[Any] | None = None
    searched: str = ""
    """The filters of the search shown, described ("Seniority: VP · …")."""
    busy: bool = False
    """A page of this search is being fetched."""

    @property
    def companies(self) -> bool:
        return self.kind == COMPANIES

    @property
    def research_kind(self) -> str:
        return "company" if self.companies else "contact"


def _result_research(result: ResearchResult) -> RowResearch:
    if result.status in ("queued", "submitted"):
        # Not sent yet, or sent and not polled: waiting, not a failure.
        return RowResearch(ResearchMark.QUEUED, result.text)
    return RowResearch.of(result.state, result.text, result.record)


class LeadsTab(Area):
    """The Leads area of the main window (see the module docstring)."""

    area_name = "leads"
    title = "Leads"
    icon_name = "leads"

    pageLoaded = Signal(str, int)
    """A search page arrived: the kind ("people" or "companies") and its new rows."""

    searchFailed = Signal(str)
    """A search or a page was refused or failed; the sentence shown."""

    researchSubmitted = Signal(list)
    """Research was confirmed and queued: the job ids."""

    pushFinished = Signal(object)
    """Adding to the CRM ended with its ``PushReport``."""

    exportFinished = Signal(object)
    """A CSV export was written (its ``Path``), or failed (the sentence, a str)."""

    def __init__(self, context: AreaContext[Workspace], parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.workspace = context.port
        self.bridge = context.bridge
        self.tasks = context.tasks
        self._client: Any = None
        self._problem: str | None = None
        self._state: tuple[Any, ...] | None = None
        self._meter: CreditMeter | None = None
        self._meter_read_at = 0.0
        self._badge: CreditBadge | None = None
        self._loaded = False
        self._sample_running = False
        self._sample_done = False
        self._banner_jobs: dict[int, JobProgress | None] = {}
        """The jobs the "queued" banner announced, and how each ended (None: not yet)."""
        self.confirm_dialog: ResearchConfirmDialog | None = None
        """The research confirmation while it is open."""
        self.push_dialog: AddToCrmDialog | None = None
        """The Add to CRM dialog while it is open."""

    def build_steps(self) -> Iterator[None]:
        """The meter first, the filter panels a group at a time, then the results."""
        yield from self._build()
        self.hover = ActionHover(self)
        self.hover.watch(self.search_button, "search")
        self.hover.watch(self.load_more_button, "load_more")
        self.hover.watch(self.research_button, "research")
        self.hover.entered.connect(self._hover_entered)
        self.hover.left.connect(self._hover_left)
        self.bridge.creditsChanged.connect(self._on_credits)
        self.bridge.researchJobChanged.connect(self._on_job_changed)
        self.bridge.researchResultsArrived.connect(self._on_results_arrived)
        self.bridge.leadPushProgress.connect(self._on_push_progress)
        self.bridge.sessionChanged.connect(lambda _e: self._update_actions())
        self.bridge.subAccountsChanged.connect(lambda _e: self._update_actions())
        self._timer = QTimer(self)
        self._timer.setInterval(CONNECTION_CHECK_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self.sync_connection()

    # ------------------------------------------------------------------ building

    def _build(self) -> Iterator[None]:
        self._kind = PEOPLE
        root = QVBoxLayout(self)
        root.setContentsMargins(Spacing.M, Spacing.M, Spacing.M, Spacing.S)
        root.setSpacing(Spacing.S)
        self.banner = Banner(self)
        self.banner.actionClicked.connect(self.open_settings)
        root.addWidget(self.banner)
        self.meter = CreditMeterWidget(self)
        self.meter.budgetRequested.connect(self.ask_budget)
        root.addWidget(self.meter)

        self.pages = QStackedWidget(self)
        self.empty = EmptyState(self.pages)
        self.empty.set_content(
            "leads",
            "Connect Seamless.AI to find leads",
            "Search people and companies, research their emails and phones, and add them to "
            "the CRM. You need a Seamless.AI API key (Company Settings → Public API "
            "Connections in Seamless.AI). Every action shows its cost in credits first.",
            "Connect Seamless.AI…",
        )
        self.empty.actionClicked.connect(self.open_settings)
        self.pages.addWidget(self.empty)

        self.main_splitter = QSplitter(Qt.Orientation.Horizontal, self.pages)
        self.main_splitter.setChildrenCollapsible(False)
        yield from self._build_filters()
        self.main_splitter.addWidget(self._filter_column)
        yield
        self.right_splitter = QSplitter(Qt.Orientation.Vertical, self.main_splitter)
        self.right_splitter.setChildrenCollapsible(False)
        self.right_splitter.addWidget(self._build_results())
        self.queue_panel = ResearchQueuePanel(self.right_splitter)
        self.queue_panel.setMinimumHeight(120)
        self.right_splitter.addWidget(self.queue_panel)
        self.right_splitter.setStretchFactor(0, 4)
        self.right_splitter.setStretchFactor(1, 1)
        self.right_splitter.setSizes([520, 170])
        self.main_splitter.addWidget(self.right_splitter)
        self.main_splitter.setStretchFactor(0, 0)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setSizes([320, 1000])
        self.pages.addWidget(self.main_splitter)
        root.addWidget(self.pages, 1)
        self._set_kind(PEOPLE)

    def _build_filters(self) -> Iterator[None]:
        column = QWidget(self)
        self._filter_column = column
        column.setMinimumWidth(280)
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, Spacing.S, 0)
        layout.setSpacing(Spacing.S)

        switch = QHBoxLayout()
        switch.setSpacing(0)
        self.kind_group = QButtonGroup(self)
        self.kind_buttons: dict[str, QToolButton] = {}
        for kind, label, icon_name in (
            (PEOPLE, "People", "user"),
            (COMPANIES, "Companies", "company"),
        ):
            button = QToolButton(column)
            button.setText(label)
            button.setIcon(icon(icon_name))
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _c=False, k=kind: self._set_kind(k))
            self.kind_group.addButton(button)
            self.kind_buttons[kind] = button
            switch.addWidget(button)
        layout.addLayout(switch)

        saved = QHBoxLayout()
        saved.setSpacing(Spacing.XS)
        self.saved_combo = QComboBox(column)
        self.saved_combo.setToolTip("Load a saved search (its filters replace the ones shown)")
        self.saved_combo.activated.connect(self._saved_chosen)
        saved.addWidget(self.saved_combo, 1)
        self.saved_button = QToolButton(column)
        self.saved_button.setIcon(icon("more"))
        self.saved_button.setToolTip("Save, rename or delete saved searches")
        self.saved_button.setAutoRaise(True)
        self.saved_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.saved_button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }")
        self.saved_menu = QMenu(self.saved_button)
        self.save_action = self.saved_menu.addAction(icon("add"), "Save these filters…")
        self.save_action.triggered.connect(self._save_search_clicked)
        self.rename_action = self.saved_menu.addAction(icon("edit"), "Rename…")
        self.rename_action.triggered.connect(self._rename_search_clicked)
        self.delete_action = self.saved_menu.addAction(icon("delete"), "Delete…")
        self.delete_action.triggered.connect(self._delete_search_clicked)
        self.saved_button.setMenu(self.saved_menu)
        saved.addWidget(self.saved_button)
        layout.addLayout(saved)

        self.filter_stack = QStackedWidget(column)
        self.people_panel = FilterPanel(companies=False, parent=self.filter_stack, build=False)
        self.company_panel = FilterPanel(companies=True, parent=self.filter_stack, build=False)
        for panel in (self.people_panel, self.company_panel):
            yield
            yield from panel.build_steps()
            self.filter_stack.addWidget(panel)
            panel.changed.connect(self._filters_changed)
        layout.addWidget(self.filter_stack, 1)

        self.search_message = FieldMessage(column)
        layout.addWidget(self.search_message)
        actions = QHBoxLayout()
        actions.setSpacing(Spacing.S)
        self.clear_button = QPushButton("Clear", column)
        self.clear_button.setToolTip("Clear every filter")
        self.clear_button.clicked.connect(lambda: self.side.panel.clear())
        actions.addWidget(self.clear_button)
        actions.addStretch(1)
        self.search_button = QPushButton(icon("search"), "Search", column)
        self.search_button.setDefault(True)
        self.search_button.setShortcut(QKeySequence("Ctrl+Return"))
        self.search_button.clicked.connect(self.search)
        actions.addWidget(self.search_button)
        layout.addLayout(actions)

    def _build_results(self) -> QWidget:
        box = QWidget(self)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(Spacing.S, 0, 0, 0)
        layout.setSpacing(Spacing.S)

        bar = QHBoxLayout()
        bar.setSpacing(Spacing.S)
        self.count_label = ElidedLabel(box)
        self.count_label.setProperty("muted", True)
        bar.addWidget(self.count_label, 1)
        self.selection_label = QLabel(box)
        self.selection_label.setProperty("muted", True)
        bar.addWidget(self.selection_label)
        self.research_button = self._tool(
            box, "search", "Research selected…", self.research_selected
        )
        self.research_button.setShortcut(QKeySequence("Ctrl+R"))
        self.crm_button = self._tool(box, "add", "Add to CRM…", self.add_to_crm)
        self.export_button = self._tool(box, "export", "Export", None)
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self.export_button)
        self.export_results_action = self.export_menu.addAction("Results shown…")
        self.export_results_action.triggered.connect(lambda: self.export("results"))
        self.export_researched_action = self.export_menu.addAction(
            "Researched records, with emails and phones…"
        )
        self.export_researched_action.triggered.connect(lambda: self.export("researched"))
        self.export_button.setMenu(self.export_menu)
        for button in (self.research_button, self.crm_button, self.export_button):
            bar.addWidget(button)
        layout.addLayout(bar)
        self.crm_note = QLabel(box)
        self.crm_note.setProperty("muted", True)
        self.crm_note.setWordWrap(True)
        self.crm_note.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.crm_note.hide()
        layout.addWidget(self.crm_note)

        self.results_splitter = QSplitter(Qt.Orientation.Horizontal, box)
        self.results_splitter.setChildrenCollapsible(False)
        self.results_stack = QStackedWidget(self.results_splitter)
        self.results_empty = EmptyState(self.results_stack)
        self.results_stack.addWidget(self.results_empty)
        self.people_model = PeopleResultsModel(self)
        self.company_model = CompanyResultsModel(self)
        self.people_table = self._table(
            self.people_model,
            {
                PeopleColumn.NAME: 150,
                PeopleColumn.RESEARCH: 150,
                PeopleColumn.TITLE: 160,
                PeopleColumn.SENIORITY: 80,
                PeopleColumn.DEPARTMENT: 90,
                PeopleColumn.COMPANY: 140,
                PeopleColumn.LOCATION: 150,
                PeopleColumn.SIZE: 100,
                PeopleColumn.INDUSTRY: 150,
            },
            PeopleColumn.RESEARCH,
        )
        self.company_table = self._table(
            self.company_model,
            {
                CompanyColumn.NAME: 170,
                CompanyColumn.RESEARCH: 110,
                CompanyColumn.DOMAIN: 140,
                CompanyColumn.INDUSTRY: 170,
                CompanyColumn.SIZE: 110,
                CompanyColumn.REVENUE: 110,
                CompanyColumn.LOCATION: 160,
                CompanyColumn.FOUNDED: 70,
            },
            CompanyColumn.RESEARCH,
        )
        self.sides = {
            PEOPLE: _Side(PEOPLE, self.people_panel, self.people_model, self.people_table),
            COMPANIES: _Side(COMPANIES, self.company_panel, self.company_model, self.company_table),
        }
        self.details = LeadDetailsPane(self.results_splitter)
        self.results_splitter.addWidget(self.results_stack)
        self.results_splitter.addWidget(self.details)
        self.results_splitter.setStretchFactor(0, 3)
        self.results_splitter.setStretchFactor(1, 1)
        self.results_splitter.setSizes([600, 420])
        layout.addWidget(self.results_splitter, 1)

        more = QHBoxLayout()
        more.setSpacing(Spacing.S)
        self.load_more_button = QPushButton(icon("add"), "Load more", box)
        self.load_more_button.clicked.connect(self.load_more)
        more.addWidget(self.load_more_button)
        self.page_size = QComboBox(box)
        for size in PAGE_SIZES:
            self.page_size.addItem(f"{size} per page", size)
        self.page_size.setCurrentIndex(PAGE_SIZES.index(DEFAULT_PAGE_SIZE))
        self.page_size.setToolTip("Results per page: 1 credit per 10 results, rounded up")
        self.page_size.currentIndexChanged.connect(self._page_size_changed)
        more.addWidget(self.page_size)
        self.loading_bar = QProgressBar(box)
        self.loading_bar.setRange(0, 0)
        self.loading_bar.setTextVisible(False)
        self.loading_bar.setFixedWidth(120)
        self.loading_bar.hide()
        more.addWidget(self.loading_bar)
        self.load_message = FieldMessage(box)
        more.addWidget(self.load_message, 1)
        more.addStretch(0)
        self.loaded_label = QLabel(box)
        self.loaded_label.setProperty("muted", True)
        more.addWidget(self.loaded_label)
        layout.addLayout(more)
        return box

    def _table(self, model: Any, widths: dict[int, int], research_column: int) -> QTableView:
        table = QTableView(self.results_stack)
        table.setModel(model)
        # The indicator first: enabling sorting sorts by whatever the header shows.
        table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        table.setSortingEnabled(True)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(ROW_HEIGHT)
        header = table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSortIndicatorShown(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for column, width in widths.items():
            header.resizeSection(column, width)
        # Shown second, whatever the model's order: what was researched is the point.
        header.moveSection(header.visualIndex(research_column), 1)
        table.selectionModel().selectionChanged.connect(self._selection_changed)
        table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.results_stack.addWidget(table)
        return table

    @staticmethod
    def _tool(parent: QWidget, icon_name: str, text: str, slot: Any) -> QToolButton:
        button = QToolButton(parent)
        button.setIcon(icon(icon_name))
        button.setText(text)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAutoRaise(True)
        if slot is not None:
            button.clicked.connect(slot)
        return button

    # ------------------------------------------------------------------ state

    @property
    def kind(self) -> str:
        """The search kind shown: "people" or "companies"."""
        return self._kind

    @property
    def side(self) -> _Side:
        """The filters, results and search of the kind shown."""
        return self.sides[self._kind]

    @property
    def panel(self) -> FilterPanel:
        """The filter panel shown."""
        return self.side.panel

    @property
    def model(self) -> PeopleResultsModel | CompanyResultsModel:
        """The results model shown."""
        return self.side.model

    @property
    def table(self) -> QTableView:
        """The results table shown."""
        return self.side.table

    @property
    def pager(self) -> SearchPager[Any] | None:
        """The search shown (None before the first search of this kind)."""
        return self.side.pager

    @property
    def page_size_value(self) -> int:
        """Results per page."""
        return int(self.page_size.currentData() or DEFAULT_PAGE_SIZE)

    def set_kind(self, kind: str) -> None:
        """Show the people or the companies search."""
        self._set_kind(kind)

    def _set_kind(self, kind: str) -> None:
        if kind not in (PEOPLE, COMPANIES):
            return
        self._kind = kind
        self.kind_buttons[kind].setChecked(True)
        self.filter_stack.setCurrentWidget(self.side.panel)
        self.search_message.clear()
        self._refresh_saved()
        self._update_results_view()
        self._current_changed(self.table.selectionModel().currentIndex(), QModelIndex())
        self._selection_changed()

    # ------------------------------------------------------------------ the connection

    def _tick(self) -> None:
        self.sync_connection()
        if time.monotonic() - self._meter_read_at > METER_REFRESH_S:
            self._refresh_meter()

    def sync_connection(self) -> None:
        """Follow the Seamless connection: opened, replaced, refused or gone."""
        leads = self.workspace.leads
        state = (id(leads.client), leads.problem, leads.connected)
        if state == self._state:
            return  # nothing moved since the last look (the common case of the timer)
        self._state = state
        if leads.client is not self._client:
            self._client = leads.client
            # Another key owner: other credits, ledger and queue; the old results go.
            for side in self.sides.values():
                side.pager = None
                side.searched = ""
                side.model.clear()
            self.details.clear()
            self.queue_panel.set_queue(leads.queue)
            self._refresh_meter()
        problem = leads.problem
        if problem != self._problem:
            self._problem = problem
            if problem:
                self.banner.show_message("danger", problem, "Seamless.AI settings…")
            elif self.banner.severity == "danger":
                self.banner.hide()
            self.queue_panel.refresh()
        self.pages.setCurrentWidget(self.main_splitter if leads.connected else self.empty)
        self.meter.setVisible(leads.connected)
        self._update_actions()
        self._check_loaded()

    def _credits(self) -> Any:
        return self.workspace.leads.credits

    def _refresh_meter(self) -> None:
        credits = self._credits()
        self._meter = credits.meter() if credits is not None else None
        self._meter_read_at = time.monotonic()
        self.meter.set_meter(self._meter)
        if self._badge is not None:
            self._badge.set_meter(self._meter)
        hover = getattr(self, "hover", None)
        active = hover.active() if hover is not None else None
        if active:
            self._hover_entered(active)
        self._update_load_more()
        self._check_loaded()

    def _on_credits(self, event: CreditsChanged) -> None:
        credits = self._credits()
        if credits is None or event.account_key_id != credits.account_key_id:
            return
        self._refresh_meter()

    def credit_status_widget(self) -> CreditBadge:
        """A compact balance for the window's status bar (one per tab; follows the meter)."""
        if self._badge is None:
            self._badge = CreditBadge()
            self._badge.setToolTip("Seamless.AI credits")
            self._badge.clicked.connect(lambda _checked=False: self._badge_clicked())
            self._badge.set_meter(self._meter)
        return self._badge

    def _badge_clicked(self) -> None:
        self.navigator.show_area(self.area_name)

    def status_widgets(self) -> Sequence[QWidget]:
        """The credit badge: the balance from every tab."""
        return (self.credit_status_widget(),)

    def add_settings_entries(self, menu: QMenu) -> None:
        """Settings → Seamless.AI connection…"""
        action = QAction(icon("leads"), "Seamless.AI connection…", menu)
        action.triggered.connect(lambda _c=False: self.open_settings())
        menu.addAction(action)

    def open_settings(self) -> asyncio.Task[Any]:
        """Settings → Seamless.AI connection (the empty state's and the banner's button)."""
        return self.tasks.spawn(self._settings_flow(), "seamless-settings", replace=True)

    async def _settings_flow(self) -> None:
        saved = await run_seamless_settings(self, self.workspace)
        if saved is not None:
            queue = self.workspace.leads.queue
            if queue is not None and queue.paused:
                queue.resume()
            self.sync_connection()

    # ------------------------------------------------------------------ the meter's estimates

    def estimate_for(self, action: str) -> tuple[str, Estimate, Refusal | None] | None:
        """What ``action`` ("search", "load_more", "research") would cost now, and why it
        would be refused; None when it cannot be taken (nothing selected, no more pages)."""
        credits = self._credits()
        queue = self.workspace.leads.queue
        if credits is None:
            return None
        side = self.side
        if action == "search":
            estimate = credits.estimate_search_page(self.page_size_value, companies=side.companies)
            return "Search", estimate, credits.check(estimate)
        if action == "load_more":
            pager = side.pager
            if pager is None or not pager.can_fetch_more:
                return None
            return "Load more", pager.next_page_estimate(), pager.check_next()
        if action == "research":
            ids = self.selected_ids()
            if not ids or queue is None:
                return None
            plan = queue.plan(ids, kind=side.research_kind)
            return f"Research {len(ids)} selected", plan.estimate, plan.refusal
        return None

    def _hover_entered(self, action: str) -> None:
        found = self.estimate_for(action)
        if found is None:
            self.meter.clear_estimate()
            return
        label, estimate, refusal = found
        self.meter.show_estimate(label, estimate, refusal)

    def _hover_left(self, _action: str) -> None:
        active = self.hover.active()
        if active:
            self._hover_entered(active)
        else:
            self.meter.clear_estimate()

    def ask_budget(self) -> asyncio.Task[Any] | None:
        """The meter's "Budget…": set or clear the daily budget."""
        leads = self.workspace.leads
        if leads.settings is None or leads.credits is None:
            self.banner.show_message(
                "warning",
                "Connect Seamless.AI first: the budget belongs to the connection.",
                "Seamless.AI settings…",
            )
            return None
        dialog = BudgetDialog(leads.settings.daily_budget, leads.credits.spent_today(), self)
        return self.tasks.spawn(self._budget_flow(dialog), "leads-budget", replace=True)

    async def _budget_flow(self, dialog: BudgetDialog) -> None:
        dialog.open()
        result = await await_signal(dialog.finished)
        dialog.deleteLater()
        if result == QDialog.DialogCode.Accepted:
            self.set_daily_budget(dialog.value())

    def set_daily_budget(self, credits: int | None) -> None:
        """Set (or clear, None) the daily budget and save it with the Seamless settings."""
        leads = self.workspace.leads
        if leads.settings is None:
            return
        settings = leads.settings.model_copy(update={"daily_budget": credits})
        leads.apply_settings(settings)
        self.workspace.profiles.data.seamless = settings
        if self.workspace.persist and not settings.demo:
            try:
                self.workspace.profiles.save()
            except OSError as exc:
                self.banner.show_message(
                    "danger",
                    f"The budget applies now but could not be saved ({exc}). Check that the "
                    "settings folder is writable.",
                )
        self._refresh_meter()

    # ------------------------------------------------------------------ searching

    def _filters_changed(self) -> None:
        self.search_message.clear()

    def _page_size_changed(self) -> None:
        for side in self.sides.values():
            if side.pager is not None:
                side.pager.page_size = self.page_size_value  # the API takes a new limit per page
        self._update_load_more()
        active = self.hover.active()
        if active:
            self._hover_entered(active)

    def search(self) -> asyncio.Task[Any] | None:
        """Start the search the filters describe (its first page). Refused, before anything
        is sent, when a filter is invalid or the cost exceeds the balance or the budget:
        the sentence is shown at the filter or the button. Returns the page's task."""
        self.sync_connection()  # a connection opened since the last check: its results
        leads = self.workspace.leads
        if not leads.connected or leads.credits is None:
            self.open_settings()
            return None
        side = self.side
        query = side.panel.build_query()
        if query is None:
            self.search_message.show_text("Correct the filters marked in red, then search again.")
            return None
        estimate = leads.credits.estimate_search_page(
            self.page_size_value, companies=side.companies
        )
        refusal = leads.credits.check(estimate)
        if refusal is not None:
            self.search_message.show_text(refusal.message)
            self.meter.show_estimate("Search", estimate, refusal)
            self.searchFailed.emit(refusal.message)
            return None
        self.search_message.clear()
        pager: SearchPager[Any] = SearchPager(
            leads.client, leads.credits, query, page_size=self.page_size_value
        )
        side.pager = pager
        side.searched = describe(side.panel.mapping(), side.panel.specs)
        side.model.clear()
        side.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.details.clear()
        side.busy = True
        self._update_results_view()
        # Not replace=True: a page in flight is left to finish (it may be charged) and is
        # then ignored, since its pager is no longer the one shown.
        return self.tasks.spawn(self._load_page(side, pager), f"leads-page-{id(pager)}")

    def load_more(self) -> asyncio.Task[Any] | None:
        """Load the next page of the search shown, after checking its cost (the button
        shows it); None when refused (the sentence beside the button) or nothing is left."""
        side = self.side
        pager = side.pager
        if pager is None or not pager.can_fetch_more:
            return None
        refusal = pager.check_next()
        if refusal is not None:
            self.load_message.show_text(refusal.message)
            self.meter.show_estimate("Load more", pager.next_page_estimate(), refusal)
            self.searchFailed.emit(refusal.message)
            return None
        side.busy = True
        self._update_load_more()
        return self.tasks.spawn(self._load_page(side, pager), f"leads-page-{id(pager)}")

    async def _load_page(self, side: _Side, pager: SearchPager[Any]) -> int:
        self._update_actions()
        try:
            rows = await pager.fetch_more()
        except (CreditsRefused, ApiError) as exc:
            if side.pager is pager:
                side.busy = False
            self._page_failed(side, pager, exc.user_message)
            return 0
        if side.pager is not pager:
            return 0  # a newer search replaced this one
        side.busy = False
        added = side.model.append(rows)
        self._mark_known([r.search_result_id for r in rows], side)
        current = side.table.selectionModel().currentIndex()
        if side.model.rowCount() and not current.isValid():
            # The first result in the details pane, without selecting it: research and the
            # CRM act on what the user selects.
            side.table.selectionModel().setCurrentIndex(
                side.model.index(0, 0), QItemSelectionModel.SelectionFlag.NoUpdate
            )
        self._update_results_view()
        self._update_load_more()
        self._refresh_meter()
        self.pageLoaded.emit(side.kind, added)
        return added

    def _page_failed(self, side: _Side, pager: SearchPager[Any], text: str) -> None:
        if side.pager is not pager:
            return
        if side.model.rowCount():
            self.load_message.show_text(text)
        else:
            self.search_message.show_text(text)
        self.banner.show_message("danger", text)
        self._update_results_view()
        self._update_load_more()
        self.searchFailed.emit(text)

    def _mark_known(self, ids: list[str], side: _Side) -> None:
        """Rows researched before (the ledger holds them): shown as such, free to reopen."""
        queue = self.workspace.leads.queue
        credits = self._credits()
        if queue is None or credits is None or not ids:
            return
        held = credits.already_researched(ids, companies=side.companies)
        if held:
            self._apply_results(queue.reopen(sorted(held), kind=side.research_kind), side)

    def _update_load_more(self) -> None:
        side = self.side
        pager = side.pager
        self.loading_bar.setVisible(side.busy)
        if pager is None:
            self.load_more_button.hide()
            self.load_message.clear()
            self.loaded_label.setText("")
            return
        loaded = self.side.model.rowCount()
        total = pager.total
        noun = self.side.model.noun
        if total is not None:
            self.loaded_label.setText(f"{loaded:,} of {total:,} {noun} loaded")
        else:
            self.loaded_label.setText(f"{loaded:,} {noun} loaded")
        if side.busy:
            self.load_more_button.setVisible(bool(loaded))
            self.load_more_button.setEnabled(False)
            self.load_more_button.setText("Loading…")
            return
        if not pager.can_fetch_more:
            self.load_more_button.hide()
            self.load_message.clear()
            if loaded:
                self.loaded_label.setText(f"All {loaded:,} {noun} are loaded")
            return
        self.load_more_button.show()
        estimate = pager.next_page_estimate()
        cost = "free" if estimate.free else estimate.text.lower()
        self.load_more_button.setText(f"Load more — {cost}")
        refusal = pager.check_next()
        self.load_more_button.setEnabled(refusal is None)
        if refusal is not None:
            self.load_message.show_text(refusal.message)
        elif self.load_message.text.startswith(("This needs", "This could")):
            self.load_message.clear()

    def _update_results_view(self) -> None:
        side = self.side
        if side.model.rowCount():
            self.results_stack.setCurrentWidget(side.table)
        else:
            if side.pager is None:
                self.results_empty.set_content(
                    "search",
                    f"Search Seamless.AI for {side.kind}",
                    "Choose filters on the left and press Search. The first page's cost shows "
                    "in the meter before anything is sent.",
                )
            elif side.busy:
                self.results_empty.set_content("sync", "Searching…", side.searched)
            else:
                self.results_empty.set_content(
                    "search",
                    f"No {side.kind} match these filters",
                    "Remove a filter or two and search again.",
                )
            self.results_stack.setCurrentWidget(self.results_empty)
        pager = side.pager
        if pager is None:
            self.count_label.setText("")
        elif pager.total is not None:
            self.count_label.setText(f"{pager.total:,} {side.model.noun} match · {side.searched}")
        else:
            self.count_label.setText(side.searched)
        self.count_label.setToolTip(side.searched)
        self._update_load_more()
        self._update_actions()

    # ------------------------------------------------------------------ selection and details

    def selected_ids(self) -> list[str]:
        """Search result ids of the selected rows, in the shown order."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return self.model.ids_at(rows)

    def select_rows(self, rows: list[int]) -> None:
        """Select ``rows`` (the first becomes current, shown in the details pane)."""
        self._select_rows(rows)

    def _select_rows(self, rows: list[int]) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in rows:
            selection.select(self.model.index(row, 0), flags)
        if rows:
            selection.setCurrentIndex(
                self.model.index(rows[0], 0), QItemSelectionModel.SelectionFlag.NoUpdate
            )

    def _selection_changed(self, *_: Any) -> None:
        ids = self.selected_ids()
        queue = self.workspace.leads.queue
        text = ""
        if ids and queue is not None:
            plan = queue.plan(ids, kind=self.side.research_kind)
            cost = "free" if plan.estimate.free else plan.estimate.text.lower()
            text = f"{len(ids):,} selected · research {cost}"
            if plan.free:
                text += f" ({len(plan.free)} already researched)"
        self.selection_label.setText(text)
        hover = getattr(self, "hover", None)
        if hover is not None and hover.active() == "research":
            self._hover_entered("research")
        self._update_actions()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_details(current.row() if current.isValid() else -1)

    def _show_details(self, row: int) -> None:
        data = self.model.row_data(row)
        if data is None:
            self.details.clear()
            return
        research = self.model.research_of(data.id)
        if isinstance(data, PersonRow):
            self.details.show_person(data, research)
        elif isinstance(data, CompanyRow):
            self.details.show_company(data, research)

    # ------------------------------------------------------------------ research

    def research_selected(self) -> asyncio.Task[Any] | None:
        """Research the selected rows: what is already researched is reopened for free and
        not sent; a plan the balance or the budget refuses is refused here, with the
        reason, before anything is sent; otherwise the confirmation asks first."""
        queue = self.workspace.leads.queue
        ids = self.selected_ids()
        if queue is None or not ids:
            return None
        side = self.side
        plan = queue.plan(ids, kind=side.research_kind)
        if plan.sends_nothing:
            self._apply_results(queue.reopen(plan.free, kind=plan.kind), side)
            self.banner.show_message("info", plan.confirmation())
            self._show_details(self.table.selectionModel().currentIndex().row())
            return None
        if plan.refusal is not None:
            self.banner.show_message("danger", plan.confirmation())
            self.meter.show_estimate(f"Research {len(ids)} selected", plan.estimate, plan.refusal)
            return None
        return self.tasks.spawn(self._confirm_research(plan, side), "leads-research", replace=True)

    async def _confirm_research(self, plan: ResearchPlan, side: _Side) -> list[int]:
        dialog = ResearchConfirmDialog(plan, self._meter, self)
        self.confirm_dialog = dialog
        try:
            dialog.open()
            result = await await_signal(dialog.finished)
        finally:
            self.confirm_dialog = None
            dialog.deleteLater()
        if result != QDialog.DialogCode.Accepted:
            return []
        return self._submit(plan, side)

    def _submit(self, plan: ResearchPlan, side: _Side) -> list[int]:
        queue = self.workspace.leads.queue
        if queue is None:
            return []
        try:
            job_ids = queue.submit(plan)
        except CreditsRefused as exc:
            self.banner.show_message("danger", exc.user_message)
            return []
        except ValidationFailed as exc:
            self.banner.show_message("danger", exc.user_message)
            return []
        if plan.free:
            self._apply_results(queue.reopen(plan.free, kind=plan.kind), side)
        side.model.set_research(
            (i, RowResearch(ResearchMark.QUEUED, "Waiting to be sent.")) for i in plan.send
        )
        noun = "companies" if plan.kind == "company" else "people"
        text = (
            f"Research of {len(plan.send) + len(plan.identities)} {noun} queued "
            f"({plan.estimate.text.lower()}); results appear as they arrive."
        )
        if plan.free:
            text += f" {len(plan.free)} already researched were reopened for free."
        self.banner.show_message("info", text)
        self._banner_jobs = {job_id: None for job_id in job_ids}
        self._refresh_meter()
        self._show_details(self.table.selectionModel().currentIndex().row())
        self.researchSubmitted.emit(job_ids)
        return job_ids

    def _side_of(self, kind: str) -> _Side:
        return self.sides[COMPANIES if kind == "company" else PEOPLE]

    def _apply_results(self, results: list[ResearchResult], side: _Side | None = None) -> None:
        by_side: dict[str, list[tuple[str, RowResearch]]] = {}
        for result in results:
            target = side or self._side_of(result.kind)
            by_side.setdefault(target.kind, []).append((result.key, _result_research(result)))
        for kind, updates in by_side.items():
            target = self.sides[kind]
            changed = target.model.set_research(updates)
            if target is self.side and self.details.current_id in changed:
                self._show_details(target.model.row_of(self.details.current_id or ""))
        self._selection_changed()
        self._check_loaded()

    def _on_job_changed(self, event: ResearchJobChanged) -> None:
        progress = self.queue_panel.job_changed(event)
        queue = self.workspace.leads.queue
        if progress is None or queue is None:
            return
        self._report_finished_jobs(event)
        try:
            results = queue.results(event.job_id)
        except LookupError:
            return
        side = self._side_of(event.kind)
        self._apply_results(
            [r for r in results if side.model.row_of(r.key) >= 0 and r.status != "queued"], side
        )

    def _report_finished_jobs(self, event: ResearchJobChanged) -> None:
        """Once every job the "queued" banner announced has ended, the banner says how
        they ended (a banner saying "queued" after the work is done would mislead)."""
        jobs = self._banner_jobs
        if event.job_id not in jobs or self.banner.severity != "info":
            return
        queue = self.workspace.leads.queue
        if event.state in TERMINAL_JOB_STATES and queue is not None:
            jobs[event.job_id] = queue.progress(event.job_id)
        ended = [e for e in jobs.values() if e is not None]
        if len(ended) < len(jobs):
            return
        self._banner_jobs = {}
        found = sum(e.found for e in ended)
        not_found = sum(not_found_count(e) for e in ended)
        failed = sum(e.failed for e in ended) - not_found
        parts = [f"{found:,} found"]
        if not_found:
            parts.append(f"{not_found:,} not found")
        if failed:
            parts.append(f"{failed:,} failed")
        problem = next((e.message for e in ended if e.state != JobState.DONE and e.message), None)
        severity = "success" if not failed and problem is None else "warning"
        text = f"Research finished: {', '.join(parts)}."
        if problem:
            text += f" {problem}"
        self.banner.show_message(severity, text)

    def _on_results_arrived(self, event: ResearchResultsArrived) -> None:
        queue = self.workspace.leads.queue
        if queue is None or event.account_key_id != queue.account_key_id:
            return
        side = self._side_of(event.kind)
        shown = [i for i in event.ids if side.model.row_of(i) >= 0]
        if shown:
            self._apply_results(queue.reopen(shown, kind=event.kind), side)

    # ------------------------------------------------------------------ adding to the CRM

    def crm_problem(self) -> str | None:
        """Why "Add to CRM" is disabled now (None: it is not)."""
        if self.workspace.active is None:
            return (
                "Open a Seedly connection (Settings → Connections) to add researched people "
                "to the CRM."
            )
        if self.side.companies:
            return "Companies are not added as contacts: research people to add them to the CRM."
        if not self._selected_contacts():
            return "Select researched people to add them to the CRM."
        return None

    def _selected_contacts(self) -> list[tuple[str, ResearchedContact]]:
        found = []
        for search_result_id in self.selected_ids():
            research = self.model.research_of(search_result_id)
            if research is not None and isinstance(research.record, ResearchedContact):
                found.append((search_result_id, research.record))
        return found

    def add_to_crm(self) -> asyncio.Task[Any] | None:
        """Add the selected researched people to a sub-account (dialog with progress and
        the report); None, with the sentence, when it cannot be done now."""
        problem = self.crm_problem()
        if problem is not None:
            self.banner.show_message("warning", problem)
            return None
        leads = self._selected_contacts()
        active = self.workspace.active
        pushing = self.workspace.leads

        async def push(sub_account_id: str, tag: str) -> PushReport:
            try:
                pusher = pushing.pusher_for(sub_account_id)
            except NotActive as exc:
                raise RuntimeError(str(exc)) from exc
            return await pusher.push(leads, tag=tag or None)

        dialog = AddToCrmDialog(
            len(leads),
            self.workspace.sub_accounts(),
            active.scope.sub_account_id if active is not None else None,
            push,
            self,
            tasks=self.tasks,
        )
        dialog.pushFinished.connect(self.pushFinished)
        return self.tasks.spawn(self._crm_flow(dialog), "leads-crm", replace=True)

    async def _crm_flow(self, dialog: AddToCrmDialog) -> PushReport | None:
        self.push_dialog = dialog
        try:
            dialog.open()
            await await_signal(dialog.finished)
        finally:
            self.push_dialog = None
            dialog.deleteLater()
        report = dialog.report
        if report is not None:
            if report.failed:
                severity = "danger"
            elif report.skipped:
                severity = "warning"
            else:
                severity = "success"
            self.banner.show_message(severity, f"Add to CRM: {report.summary()}")
        return report

    def _on_push_progress(self, event: LeadPushProgress) -> None:
        if self.push_dialog is not None:
            self.push_dialog.progress(event)

    # ------------------------------------------------------------------ export

    def export(self, what: str) -> asyncio.Task[Any]:
        """Export "results" (the table as shown) or "researched" (records with every
        email and phone) through a save dialog."""
        return self.tasks.spawn(self._export_flow(what), "leads-export", replace=True)

    async def _export_flow(self, what: str) -> Path | None:
        caption = "Export researched records" if what == "researched" else "Export results"
        path = await ask_export_path(self, caption)
        if path is None:
            return None
        await self.export_to(path, what)
        return path

    def export_text(self, what: str) -> tuple[str, int]:
        """The CSV text of an export and how many records it holds."""
        side = self.side
        model = side.model
        if what == "results":
            return results_csv(model.headers(), model.export_rows()), model.rowCount()
        ids = model.researched_ids()
        if side.companies:
            rows = []
            for key in ids:
                research = model.research_of(key)
                record = research.record if research else None
                status = research.summary() if research else ""
                rows.append(
                    (key, record if isinstance(record, ResearchedCompany) else None, status)
                )
            return companies_csv(rows), len(rows)
        export_rows = []
        for key in ids:
            research = model.research_of(key)
            record = research.record if research else None
            if isinstance(record, ResearchedContact):
                export_rows.append(ExportRow(record, "researched", key))
        return contacts_csv(export_rows), len(export_rows)

    async def export_to(self, path: Path, what: str) -> int:
        """Write an export to ``path`` (atomically, on a worker thread); the records written.
        A failure is shown on the banner (and ``exportFinished`` carries the sentence)."""
        text, count = self.export_text(what)
        try:
            await write_csv(path, text)
        except OSError as exc:
            message = (
                f"The export could not be written to {path} ({exc.strerror or exc}). Choose "
                "another folder and try again; nothing was saved."
            )
            self.banner.show_message("danger", message)
            self.exportFinished.emit(message)
            return 0
        noun = "record" if count == 1 else "records"
        self.banner.show_message("success", f"Exported {count:,} {noun} to {path}.")
        self.exportFinished.emit(path)
        return count

    # ------------------------------------------------------------------ saved searches

    def saved_searches(self) -> list[SavedSearch]:
        """The saved searches of the kind shown, by name."""
        return sorted(
            (s for s in self.workspace.profiles.data.saved_searches if s.kind == self._kind),
            key=lambda s: s.name.casefold(),
        )

    def _persist(self) -> None:
        # The demo never writes the settings file (its workspace does not persist).
        if not self.workspace.persist:
            return
        try:
            self.workspace.profiles.save()
        except OSError as exc:
            self.banner.show_message(
                "danger",
                f"The saved searches could not be written ({exc}). They are kept until you "
                "quit; check that the settings folder is writable.",
            )

    def save_search(self, name: str) -> SavedSearch:
        """Save the filters shown under ``name`` (a saved search of that name is replaced)."""
        data = self.workspace.profiles.data
        clean = " ".join(name.split())
        existing = next(
            (
                s
                for s in data.saved_searches
                if s.kind == self._kind and s.name.casefold() == clean.casefold()
            ),
            None,
        )
        search = SavedSearch(name=clean, kind=self._kind, filters=self.panel.mapping())
        if existing is not None:
            search.id = existing.id
        data.saved_searches = [s for s in data.saved_searches if s is not existing] + [search]
        self._persist()
        self._refresh_saved(search.id)
        return search

    def load_search(self, search_id: str) -> bool:
        """Show a saved search's filters (nothing is sent: press Search to run it)."""
        found = next(
            (s for s in self.workspace.profiles.data.saved_searches if s.id == search_id), None
        )
        if found is None:
            return False
        if found.kind != self._kind:
            self._set_kind(found.kind)
        self.panel.set_mapping(found.filters)
        self._refresh_saved(found.id)
        return True

    def rename_search(self, search_id: str, name: str) -> bool:
        """Rename a saved search."""
        for search in self.workspace.profiles.data.saved_searches:
            if search.id == search_id:
                search.name = " ".join(name.split())
                self._persist()
                self._refresh_saved(search_id)
                return True
        return False

    def delete_search(self, search_id: str) -> bool:
        """Delete a saved search."""
        data = self.workspace.profiles.data
        before = len(data.saved_searches)
        data.saved_searches = [s for s in data.saved_searches if s.id != search_id]
        if len(data.saved_searches) == before:
            return False
        self._persist()
        self._refresh_saved()
        return True

    def _refresh_saved(self, current: str | None = None) -> None:
        combo = self.saved_combo
        combo.blockSignals(True)
        combo.clear()
        searches = self.saved_searches()
        combo.addItem("Saved searches" if searches else "No saved searches yet", None)
        for search in searches:
            combo.addItem(icon("filter"), search.name, search.id)
            combo.setItemData(
                combo.count() - 1,
                describe(search.filters, self.panel.specs),
                Qt.ItemDataRole.ToolTipRole,
            )
        combo.setCurrentIndex(max(0, combo.findData(current)) if current else 0)
        combo.blockSignals(False)
        chosen = combo.currentData() is not None
        self.rename_action.setEnabled(chosen)
        self.delete_action.setEnabled(chosen)

    def _saved_chosen(self, index: int) -> None:
        search_id = self.saved_combo.itemData(index)
        if search_id:
            self.load_search(str(search_id))
        else:
            self._refresh_saved()

    def _chosen_search(self) -> SavedSearch | None:
        search_id = self.saved_combo.currentData()
        return next((s for s in self.saved_searches() if s.id == search_id), None)

    def _save_search_clicked(self) -> None:
        current = self._chosen_search()
        dialog = NameDialog(
            "Save these filters",
            current.name if current else "",
            taken=[s.name for s in self.saved_searches()],
            parent=self,
        )
        self.tasks.spawn(self._name_flow(dialog, self.save_search), "leads-saved", replace=True)

    def _rename_search_clicked(self) -> None:
        current = self._chosen_search()
        if current is None:
            return
        dialog = NameDialog("Rename the saved search", current.name, parent=self)
        self.tasks.spawn(
            self._name_flow(dialog, lambda name: self.rename_search(current.id, name)),
            "leads-saved",
            replace=True,
        )

    async def _name_flow(self, dialog: NameDialog, apply: Any) -> None:
        dialog.open()
        result = await await_signal(dialog.finished)
        name = dialog.name()
        dialog.deleteLater()
        if result == QDialog.DialogCode.Accepted and name:
            apply(name)

    def _delete_search_clicked(self) -> None:
        current = self._chosen_search()
        if current is None:
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Delete saved search")
        box.setText(f"Delete the saved search “{current.name}”?")
        box.setInformativeText("Its filters are gone afterwards; results already loaded stay.")
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.tasks.spawn(self._delete_flow(box, delete, current.id), "leads-saved", replace=True)

    async def _delete_flow(self, box: QMessageBox, delete: Any, search_id: str) -> None:
        box.open()
        await await_signal(box.finished)
        if box.clickedButton() is delete:
            self.delete_search(search_id)
        box.deleteLater()

    # ------------------------------------------------------------------ actions

    def _update_actions(self) -> None:
        if not hasattr(self, "crm_button"):
            return
        leads = self.workspace.leads
        connected = leads.connected and leads.credits is not None
        ids = self.selected_ids()
        self.search_button.setEnabled(connected and not self.side.busy)
        self.research_button.setEnabled(connected and bool(ids))
        self.research_button.setToolTip(
            "Research the selected rows for emails and phones (the cost is shown first)"
            if ids
            else "Select rows to research them"
        )
        problem = self.crm_problem()
        self.crm_button.setEnabled(problem is None)
        self.crm_button.setToolTip(problem or "Add the selected researched people to the CRM")
        no_crm = self.workspace.active is None
        self.crm_note.setText(problem if no_crm and problem else "")
        self.crm_note.setVisible(bool(no_crm and problem))
        model = self.model
        self.export_results_action.setEnabled(model.rowCount() > 0)
        self.export_researched_action.setEnabled(bool(model.researched_ids()))
        self.export_button.setEnabled(model.rowCount() > 0)

    # ------------------------------------------------------------------ loading (screenshots)

    def is_loaded(self) -> bool:
        """Whether the tab shows what it should: no Seamless connection (the empty state), a
        refused key (the banner), or the balance in the meter; in the demo also the sample
        search's results and its researched contacts (``run_sample_search``)."""
        if not self.is_built:
            return False
        leads = self.workspace.leads
        if not leads.connected or leads.problem:
            return True
        credits = leads.credits
        if credits is None or credits.balance is None:
            return False
        if leads.settings is not None and leads.settings.demo:
            return self._sample_done
        return True

    def _check_loaded(self) -> None:
        loaded = self.is_loaded()
        if loaded != self._loaded:
            self._loaded = loaded
            self.loadedChanged.emit(loaded)

    async def prepare_screenshot(self) -> bool:
        """``--screenshot``: the demo's sample search and research (``run_sample_search``)."""
        return await self.run_sample_search()

    async def run_sample_search(self, *, timeout: float = 60.0) -> bool:
        """In the demo only: search one page of ``SAMPLE_FILTERS`` and research its first
        ``SAMPLE_RESEARCH`` rows, so the window shows results, researched contact details
        and the meter. Returns True when the research finished in time. Never spends
        anything outside the demo (returns False at once)."""
        leads = self.workspace.leads
        if leads.settings is None or not leads.settings.demo:
            return False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._sample_running = True
        try:
            while not (
                leads.connected and leads.credits is not None and leads.credits.balance is not None
            ):
                if loop.time() > deadline or leads.problem:
                    return False
                await asyncio.sleep(0.1)
            self.sync_connection()
            self._set_kind(PEOPLE)
            self.page_size.setCurrentIndex(PAGE_SIZES.index(25))
            self.people_panel.set_mapping(SAMPLE_FILTERS)
            task = self.search()
            if task is None or not await task:
                return False
            ids = self.people_model.ids()[:SAMPLE_RESEARCH]
            self._select_rows(list(range(len(ids))))
            queue = leads.queue
            assert queue is not None
            plan = queue.plan(ids)
            if plan.refusal is not None:
                return False
            if not plan.sends_nothing:
                self._submit(plan, self.sides[PEOPLE])
            else:
                self._apply_results(queue.reopen(plan.free), self.sides[PEOPLE])
            terminal = (ResearchMark.DONE, ResearchMark.NOT_FOUND, ResearchMark.FAILED)
            while True:
                marks = [self.people_model.research_of(i) for i in ids]
                if all(m is not None and m.mark in terminal for m in marks):
                    break
                if loop.time() > deadline:
                    return False
                await asyncio.sleep(0.1)
            self._select_rows(list(range(len(ids))))
            self._refresh_meter()
            if self.banner.severity == "info":
                self.banner.hide()  # "research queued": done by now
            return True
        finally:
            self._sample_running = False
            self._sample_done = True
            self._check_loaded()

    # ------------------------------------------------------------------ state

    def save_state(self, settings: QSettings) -> None:
        """Splitters, column widths and order, the last filters and the kind shown."""
        settings.beginGroup(SETTINGS_GROUP)
        settings.setValue("kind", self._kind)
        settings.setValue("pageSize", self.page_size_value)
        settings.setValue("filters/people", json.dumps(self.people_panel.mapping()))
        settings.setValue("filters/companies", json.dumps(self.company_panel.mapping()))
        settings.setValue("splitter/main", self.main_splitter.saveState())
        settings.setValue("splitter/right", self.right_splitter.saveState())
        settings.setValue("splitter/results", self.results_splitter.saveState())
        settings.setValue("header/people", self.people_table.horizontalHeader().saveState())
        settings.setValue("header/companies", self.company_table.horizontalHeader().saveState())
        settings.setValue("header/queue", self.queue_panel.table.horizontalHeader().saveState())
        settings.endGroup()

    def restore_state(self, settings: QSettings) -> None:
        """Restore what ``save_state`` kept (unreadable values are ignored)."""
        settings.beginGroup(SETTINGS_GROUP)
        try:
            for key, splitter in (
                ("splitter/main", self.main_splitter),
                ("splitter/right", self.right_splitter),
                ("splitter/results", self.results_splitter),
            ):
                value = settings.value(key)
                if value is not None:
                    splitter.restoreState(value)
            for key, table in (
                ("header/people", self.people_table),
                ("header/companies", self.company_table),
                ("header/queue", self.queue_panel.table),
            ):
                value = settings.value(key)
                if value is not None:
                    table.horizontalHeader().restoreState(value)
            size = settings.value("pageSize")
            if size is not None and int(str(size)) in PAGE_SIZES:
                self.page_size.setCurrentIndex(PAGE_SIZES.index(int(str(size))))
            for key, panel in (
                ("filters/people", self.people_panel),
                ("filters/companies", self.company_panel),
            ):
                raw = settings.value(key)
                if raw:
                    mapping = json.loads(str(raw))
                    if isinstance(mapping, dict):
                        panel.set_mapping(mapping)
            kind = settings.value("kind")
            if kind in (PEOPLE, COMPANIES):
                self._set_kind(str(kind))
        except (ValueError, TypeError) as exc:
            log.info("ignored unreadable leads tab settings: %s", exc)
        finally:
            settings.endGroup()
        # A restored header shows the sort of the last run; the rows are new and unsorted.
        for table in (self.people_table, self.company_table):
            table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)

    async def shutdown(self) -> None:
        """Stop the tab's timer and close its dialogs (on quit)."""
        if not self.is_built:
            return
        self._timer.stop()
        if self.confirm_dialog is not None:
            self.confirm_dialog.reject()
        if self.push_dialog is not None and not self.push_dialog.busy:
            self.push_dialog.reject()


__all__ = ["SAMPLE_FILTERS", "LeadsTab"]
