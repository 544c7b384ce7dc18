"""The Leads tab: search Seamless.AI for people and companies, research them for emails and
phones, and add them to the CRM.

Credits are money, so nothing here spends without the user's say and nothing is
sent that the app already knows would be refused:

- the credit meter is always on the tab; hovering or focusing Search, Load
  more or Research shows that action's estimate (and the refusal, if any);
- Search shows its first page's cost and is refused when the balance or the
  daily budget says no: one sentence at the refused action, worded for it, with
  "Raise budget…" beside it, and the meter's state (``refusals``);
- paging is explicit: "Load more — up to N credits" under the table, refused
  the same way; the table never loads a page on its own;
- a new action takes down what older ones left on the banner;
- research asks first (a non-blocking confirmation with the estimate, the
  free duplicates — already researched, reopened from the ledger and not sent
  — and the balance after); results flow into the table, the details pane and
  the queue panel as they arrive;
- adding to the CRM needs an open Seedly connection (the button says so when
  there is none) and reports what it did, record by record.

The tab reads everything through its port (``LeadsPort``): the meter, the
research queue, searches, the push into a sub-account, the saved searches and the
connection settings. Without a Seamless connection it shows an empty state with a
button to the connection settings; a key the server refused is shown on the banner,
and a Seamless.AI sign-in that ended offers "Sign in again" there (the browser
sign-in, ``sign_in``); the meter says which way in the connection uses.

This module builds the tab and follows the connection and the meter; the flows
live beside it: ``search_flow`` (searching and paging), ``research_flow``,
``push_flow`` (Add to CRM), ``saved_searches``, ``export_flow`` and
``sample_search`` (the demo's screenshot content); ``results`` is the results pane.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.credits import Estimate, Refusal
from app.services.ports.leads import (
    MOVED_RECENTLY_NAME,
    ConnectionState,
    CreditMeter,
    CreditsChanged,
    LeadsPort,
    PreferencesNotSaved,
    SavedSearch,
    SearchPager,
)
from app.ui.area import Area, AreaContext
from app.ui.async_qt import await_signal
from app.ui.common.columns import ColumnFitter, set_versioned_value, versioned_value
from app.ui.common.messages import FieldMessage
from app.ui.leads.connection import run_seamless_settings
from app.ui.leads.dialogs import AddToCrmDialog, BudgetDialog, ResearchConfirmDialog
from app.ui.leads.export_flow import ExportFlow
from app.ui.leads.filters import FilterPanel
from app.ui.leads.job_changes import JobChangesDialog
from app.ui.leads.meter import ActionHover, CreditBadge, CreditMeterWidget
from app.ui.leads.models import CompanyResultsModel, CompanyRow, PeopleResultsModel, PersonRow
from app.ui.leads.push_flow import CrmPushFlow
from app.ui.leads.queue import ResearchQueuePanel
from app.ui.leads.refusals import SEARCH, RefusalSpots
from app.ui.leads.research_flow import ResearchFlow
from app.ui.leads.results import (
    COMPANIES,
    PAGE_SIZES,
    PEOPLE,
    ResultsPane,
    SearchSide,
)
from app.ui.leads.sample_search import SAMPLE_FILTERS, run_sample_search
from app.ui.leads.saved_searches import SavedSearchesBar
from app.ui.leads.search_flow import SearchFlow
from app.ui.leads.sign_in import run_sign_in_again
from app.ui.theme import Spacing, icon
from app.ui.common.widgets import Banner, EmptyState, set_primary

log = logging.getLogger(__name__)

SETTINGS_GROUP = "leads"
CONNECTION_CHECK_MS = 500
"""How often the tab looks whether the Seamless connection was opened, replaced or refused
(the services publish no event for that; the check is a few attribute reads)."""
HEADER_LAYOUT_VERSION = 2
"""The tables' default columns; raised whenever they change, so that a header saved by an
older version (wider columns, columns since hidden) gives way to the new defaults."""
METER_REFRESH_S = 30.0
"""The meter re-reads the spend log at least this often (the day rolls over)."""


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

    def __init__(self, context: AreaContext[LeadsPort], parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.port: LeadsPort = context.port
        self.bridge = context.bridge
        self.tasks = context.tasks
        self._client_id: int | None = None
        self._problem: str | None = None
        self._state: ConnectionState | None = None
        self.job_changes_dialog: JobChangesDialog | None = None
        """The "Job changes…" window while it is open."""
        self._meter: CreditMeter | None = None
        self._meter_read_at = 0.0
        self._badge: CreditBadge | None = None
        self._loaded = False
        self._sample_done = False
        self.searching = SearchFlow(self)
        """Searching and paging."""
        self.research = ResearchFlow(self)
        """Research: confirmation, submission, results as they arrive."""
        self.crm = CrmPushFlow(self)
        """Add to CRM."""
        self.exports = ExportFlow(self)
        """CSV exports."""
        self.refusals = RefusalSpots(self)
        """Where a refused action says why (one sentence at a time, at the action)."""
        self.banner_owner: str | None = None
        """What the banner speaks of: "connection" (the key or the sign-in), an action
        ("research", "crm", ...) or None."""
        self._banner_callback: Callable[[], object] | None = None
        self._column_fitters: dict[str, ColumnFitter] = {}
        """Keep restored column widths inside their tables, by settings key."""

    def build_steps(self) -> Iterator[None]:
        """The meter first, the filter panels a group at a time, then the results."""
        yield from self._build()
        self._column_fitters = {key: ColumnFitter(table) for key, table in self._saved_headers()}
        self.hover = ActionHover(self)
        self.hover.watch(self.search_button, "search")
        self.hover.watch(self.load_more_button, "load_more")
        self.hover.watch(self.research_button, "research")
        self.hover.entered.connect(self._hover_entered)
        self.hover.left.connect(self._hover_left)
        self.bridge.creditsChanged.connect(self._on_credits)
        self.bridge.researchJobChanged.connect(self.research.job_changed)
        self.bridge.researchResultsArrived.connect(self.research.results_arrived)
        self.bridge.leadPushProgress.connect(self.crm.progress)
        self.bridge.sessionChanged.connect(lambda _e: self.update_actions())
        self.bridge.subAccountsChanged.connect(lambda _e: self.update_actions())
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
        self.banner.actionClicked.connect(self._banner_action)
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
        yield
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
        yield
        self.pages.addWidget(self.main_splitter)
        root.addWidget(self.pages, 1)
        self._set_kind(PEOPLE)

    def _build_filters(self) -> Iterator[None]:
        column = QWidget(self.main_splitter)  # made in place: moving it re-polishes it all
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

        self.saved = SavedSearchesBar(self, column)
        self.saved_combo = self.saved.combo
        layout.addWidget(self.saved)

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
        self.search_message.actionClicked.connect(self.ask_budget)
        layout.addWidget(self.search_message)
        actions = QHBoxLayout()
        actions.setSpacing(Spacing.S)
        self.clear_button = QPushButton("Clear", column)
        self.clear_button.setToolTip("Clear every filter")
        self.clear_button.clicked.connect(lambda: self.side.panel.clear())
        actions.addWidget(self.clear_button)
        actions.addStretch(1)
        self.search_button = QPushButton(icon("search"), "Search", column)
        set_primary(self.search_button)
        self.search_button.setShortcut(QKeySequence("Ctrl+Return"))
        self.search_button.clicked.connect(self.search)
        actions.addWidget(self.search_button)
        layout.addLayout(actions)

    def _build_results(self) -> QWidget:
        # Made in the splitter that shows it: moving a built pane to another parent
        # re-polishes each of its hundreds of widgets.
        pane = ResultsPane(self.right_splitter)
        self.results = pane
        # The pane's parts, by the names the tab and its flows use.
        self.count_label = pane.count_label
        self.selection_label = pane.selection_label
        self.research_button = pane.research_button
        self.crm_button = pane.crm_button
        self.job_changes_button = pane.job_changes_button
        self.export_button = pane.export_button
        self.export_results_action = pane.export_results_action
        self.export_researched_action = pane.export_researched_action
        self.crm_note = pane.crm_note
        self.results_splitter = pane.results_splitter
        self.results_stack = pane.results_stack
        self.results_empty = pane.results_empty
        self.people_model = pane.people_model
        self.company_model = pane.company_model
        self.people_table = pane.people_table
        self.company_table = pane.company_table
        self.details = pane.details
        self.load_more_button = pane.load_more_button
        self.page_size = pane.page_size
        self.load_message = pane.load_message
        self.load_message.actionClicked.connect(self.ask_budget)
        self.loaded_label = pane.loaded_label

        self.research_button.clicked.connect(self.research_selected)
        self.research_button.setShortcut(QKeySequence("Ctrl+R"))
        self.crm_button.clicked.connect(self.add_to_crm)
        self.job_changes_button.clicked.connect(lambda _c=False: self.open_job_changes())
        self.export_results_action.triggered.connect(lambda: self.export("results"))
        self.export_researched_action.triggered.connect(lambda: self.export("researched"))
        self.load_more_button.clicked.connect(self.load_more)
        self.page_size.currentIndexChanged.connect(self.searching.page_size_changed)
        pane.connect_selection(self.selection_changed, self._current_changed)
        self.sides = {
            PEOPLE: SearchSide(PEOPLE, self.people_panel, self.people_model, self.people_table),
            COMPANIES: SearchSide(
                COMPANIES, self.company_panel, self.company_model, self.company_table
            ),
        }
        return pane

    # ------------------------------------------------------------------ state

    @property
    def kind(self) -> str:
        """The search kind shown: "people" or "companies"."""
        return self._kind

    @property
    def side(self) -> SearchSide:
        """The filters, results and search of the kind shown."""
        return self.sides[self._kind]

    def side_of(self, research_kind: str) -> SearchSide:
        """The side whose rows a research kind ("contact", "company") concerns."""
        return self.sides[COMPANIES if research_kind == "company" else PEOPLE]

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
        return self.results.page_size_value

    @property
    def current_meter(self) -> CreditMeter | None:
        """What the meter shows (None: not connected)."""
        return self._meter

    @property
    def confirm_dialog(self) -> ResearchConfirmDialog | None:
        """The research confirmation while it is open."""
        return self.research.confirm_dialog

    @property
    def push_dialog(self) -> AddToCrmDialog | None:
        """The Add to CRM dialog while it is open."""
        return self.crm.push_dialog

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
        self.saved.refresh()
        self.update_results_view()
        self._current_changed(self.table.selectionModel().currentIndex(), QModelIndex())
        self.selection_changed()

    # ------------------------------------------------------------------ the connection

    def _tick(self) -> None:
        self.sync_connection()
        if time.monotonic() - self._meter_read_at > METER_REFRESH_S:
            self.refresh_meter()

    def sync_connection(self) -> None:
        """Follow the Seamless connection: opened, replaced, refused or gone."""
        state = self.port.connection_state()
        if state == self._state:
            return  # nothing moved since the last look (the common case of the timer)
        self._state = state
        if state.client_id != self._client_id:
            self._client_id = state.client_id
            # Another key owner: other credits, ledger and queue; the old results go.
            for side in self.sides.values():
                side.pager = None
                side.searched = ""
                side.model.clear()
            self.details.clear()
            self.queue_panel.set_queue(self.port.queue)
            self.refresh_meter()
        problem = state.problem
        self.meter.set_auth(self.port.auth_label())
        if self._badge is not None:
            self._badge.set_auth(self.port.auth_label())
        if problem != self._problem:
            self._problem = problem
            if problem:
                action = "Sign in again…" if state.sign_in_needed else "Seamless.AI settings…"
                self.show_banner("danger", problem, action, owner="connection")
            elif self.banner_owner == "connection":
                self.hide_banner()
            self.queue_panel.refresh()
        self.pages.setCurrentWidget(self.main_splitter if state.connected else self.empty)
        self.meter.setVisible(state.connected)
        self.update_actions()
        self.check_loaded()

    def refresh_meter(self) -> None:
        """Re-read the meter (and the badge, the estimate under the cursor, Load more)."""
        self._meter = self.port.meter()
        self._meter_read_at = time.monotonic()
        self.meter.set_meter(self._meter)
        if self._badge is not None:
            self._badge.set_meter(self._meter)
        self.refresh_estimate()
        self.update_load_more()
        self.check_loaded()

    def _on_credits(self, event: CreditsChanged) -> None:
        credits = self.port.credits
        if credits is None or event.account_key_id != credits.account_key_id:
            return
        self.refresh_meter()

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

    def show_banner(
        self,
        severity: str,
        text: str,
        action: str | None = None,
        on_action: Callable[[], object] | None = None,
        *,
        owner: str | None = None,
        report: Callable[[], object] | None = None,
    ) -> None:
        """Show ``text`` on the tab's banner; its button (``action``) calls ``on_action``
        (by default the Seamless.AI settings or the sign-in); ``owner`` says what it speaks
        of, so that it goes when that is over; ``report`` opens the report of the job it
        closes ("Show report…")."""
        self._banner_callback = on_action
        self.banner_owner = owner
        self.banner.show_message(severity, text, action, report=report)

    def hide_banner(self) -> None:
        """Take the banner down."""
        self._banner_callback = None
        self.banner_owner = None
        self.banner.hide()

    def action_started(self) -> None:
        """A new action starts: what older ones left on the banner goes (not a connection
        problem, which stays until it is solved), and so does the refusal said."""
        self.refusals.clear()
        if self.banner_owner != "connection" and self.banner.isVisible():
            self.hide_banner()

    def _banner_action(self) -> None:
        if self._banner_callback is not None:
            self._banner_callback()
            return
        if self._state is not None and self._state.sign_in_needed:
            self.sign_in_again()
        else:
            self.open_settings()

    def sign_in_again(self, opener: Any = None) -> asyncio.Task[Any]:
        """The banner's "Sign in again…": the browser sign-in at once, in a small dialog;
        queued research goes out once the user is back (``opener`` opens the browser:
        tests pass their own)."""
        return self.tasks.spawn(self._sign_in_flow(opener), "seamless-sign-in", replace=True)

    async def _sign_in_flow(self, opener: Any) -> bool:
        signed_in = await run_sign_in_again(self, self.port.connection, opener=opener)
        if signed_in:
            self.port.resume_queue()
            self.sync_connection()
        return signed_in

    def open_settings(self) -> asyncio.Task[Any]:
        """Settings → Seamless.AI connection (the empty state's and the banner's button)."""
        return self.tasks.spawn(self._settings_flow(), "seamless-settings", replace=True)

    async def _settings_flow(self) -> None:
        saved = await run_seamless_settings(self, self.port.connection)
        if saved is not None:
            self.port.resume_queue()
            self.sync_connection()

    # ------------------------------------------------------------------ the meter's estimates

    def estimate_for(self, action: str) -> tuple[str, Estimate, Refusal | None] | None:
        """What ``action`` ("search", "load_more", "research") would cost now, and why it
        would be refused; None when it cannot be taken (nothing selected, no more pages)."""
        credits = self.port.credits
        queue = self.port.queue
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

    def refresh_estimate(self) -> None:
        """Show again the estimate of the action under the cursor (its cost moved)."""
        hover: ActionHover | None = getattr(self, "hover", None)
        active = hover.active() if hover is not None else None
        if active:
            self._hover_entered(active)

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
        settings, credits = self.port.settings, self.port.credits
        if settings is None or credits is None:
            self.show_banner(
                "warning",
                "Connect Seamless.AI first: the budget belongs to the connection.",
                "Seamless.AI settings…",
            )
            return None
        dialog = BudgetDialog(settings.daily_budget, credits.spent_today(), self)
        return self.tasks.spawn(self._budget_flow(dialog), "leads-budget", replace=True)

    async def _budget_flow(self, dialog: BudgetDialog) -> None:
        dialog.open()
        result = await await_signal(dialog.finished)
        dialog.deleteLater()
        if result == QDialog.DialogCode.Accepted:
            self.set_daily_budget(dialog.value())

    def set_daily_budget(self, credits: int | None) -> None:
        """Set (or clear, None) the daily budget and save it with the Seamless settings."""
        try:
            self.port.set_daily_budget(credits)
        except PreferencesNotSaved as exc:
            self.show_banner(
                "danger",
                f"The budget applies now but could not be saved ({exc.reason}). Check that the "
                "settings folder is writable.",
            )
        self.refresh_meter()

    # ------------------------------------------------------------------ searching

    def _filters_changed(self) -> None:
        if self.refusals.shown == SEARCH:
            self.refusals.clear()
        self.search_message.clear()

    def search(self) -> asyncio.Task[Any] | None:
        """Start the search the filters describe (its first page). Refused, before anything
        is sent, when a filter is invalid or the cost exceeds the balance or the budget:
        the sentence is shown at the filter or the button. Returns the page's task."""
        return self.searching.search()

    def load_more(self) -> asyncio.Task[Any] | None:
        """Load the next page of the search shown, after checking its cost (the button
        shows it); None when refused (the sentence beside the button) or nothing is left."""
        return self.searching.load_more()

    def update_load_more(self) -> None:
        """The paging row of the search shown."""
        if hasattr(self, "results"):
            self.results.show_paging(self.side)
            self.refusals.recheck()

    def update_results_view(self) -> None:
        """The results of the kind shown (or why there are none), then the actions."""
        self.results.show_side(self.side)
        self.refusals.recheck()
        self.update_actions()

    # ------------------------------------------------------------------ selection and details

    def selected_ids(self) -> list[str]:
        """Search result ids of the selected rows, in the shown order."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return self.model.ids_at(rows)

    def select_rows(self, rows: list[int]) -> None:
        """Select ``rows`` (the first becomes current, shown in the details pane)."""
        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in rows:
            selection.select(self.model.index(row, 0), flags)
        if rows:
            selection.setCurrentIndex(
                self.model.index(rows[0], 0), QItemSelectionModel.SelectionFlag.NoUpdate
            )

    def selection_changed(self, *_: object) -> None:
        """The selection moved: its research cost, the estimate shown, the actions."""
        ids = self.selected_ids()
        queue = self.port.queue
        text = research = ""
        if ids and queue is not None:
            plan = queue.plan(ids, kind=self.side.research_kind)
            cost = "free" if plan.estimate.free else plan.estimate.text.lower()
            research = f"Research {cost}"
            if plan.free:
                research += f" ({len(plan.free)} already researched)"
            text = f"{len(ids):,} selected · {research[0].lower()}{research[1:]}"
        self.selection_label.setText(text)
        self.details.set_selection(len(ids), self.side.model.noun, research)
        hover: ActionHover | None = getattr(self, "hover", None)
        if hover is not None and hover.active() == "research":
            self._hover_entered("research")
        self.refusals.recheck()
        self.update_actions()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.show_details(current.row() if current.isValid() else -1)

    def show_current_details(self) -> None:
        """The details of the current row of the table shown."""
        self.show_details(self.table.selectionModel().currentIndex().row())

    def show_details(self, row: int) -> None:
        """The details pane shows ``row`` of the table shown (cleared for -1)."""
        data = self.model.row_data(row)
        if data is None:
            self.details.clear()
            return
        research = self.model.research_of(data.id)
        if isinstance(data, PersonRow):
            self.details.show_person(data, research)
        elif isinstance(data, CompanyRow):
            self.details.show_company(data, research)

    # ------------------------------------------------------------------ research, CRM, export

    def research_selected(self) -> asyncio.Task[Any] | None:
        """Research the selected rows: what is already researched is reopened for free and
        not sent; a plan the balance or the budget refuses is refused here, with the
        reason, before anything is sent; otherwise the confirmation asks first."""
        return self.research.research_selected()

    def crm_problem(self) -> str | None:
        """Why "Add to CRM" is disabled now (None: it is not)."""
        return self.crm.problem()

    def add_to_crm(self) -> asyncio.Task[Any] | None:
        """Add the selected researched people to a sub-account (dialog with progress and
        the report); None, with the sentence, when it cannot be done now."""
        return self.crm.add_to_crm()

    def open_job_changes(self) -> asyncio.Task[Any]:
        """ "Job changes…": the researched rows selected (else the research ledger) to check
        for job changes, and the stale records to refresh."""
        researched = set(self.model.researched_ids()) if self.side.kind == PEOPLE else set()
        keys = [i for i in self.selected_ids() if i in researched]
        selected = self.port.candidates_of(keys) if keys else []
        return self.tasks.spawn(self._job_changes_flow(selected), "job-changes", replace=True)

    async def _job_changes_flow(self, selected: list[Any]) -> None:
        dialog = JobChangesDialog(self.port, self, selected=selected)
        self.job_changes_dialog = dialog
        try:
            dialog.open()
            await await_signal(dialog.finished)
        finally:
            self.job_changes_dialog = None
            await dialog.shutdown()
            dialog.deleteLater()

    def moved_recently(self) -> asyncio.Task[Any]:
        """The saved search "Moved recently in my accounts": brought up to date with the
        companies of the CRM's contacts, shown, and run (its cost shown as for any search)."""
        return self.tasks.spawn(self._moved_recently(), "moved-recently", replace=True)

    async def _moved_recently(self) -> SavedSearch | None:
        try:
            filters = await asyncio.to_thread(self.port.moved_recently_filters)
        except RuntimeError as exc:
            self.show_banner("danger", str(exc))
            return None
        if not filters.get("companyDomain"):
            self.show_banner(
                "info",
                "No company of yours is known yet: open a CRM connection with contacts, or "
                "research some people first.",
            )
            return None
        try:
            saved = self.port.save_search(MOVED_RECENTLY_NAME, "people", filters)
        except PreferencesNotSaved:
            saved = next(
                s for s in self.port.saved_searches("people") if s.name == MOVED_RECENTLY_NAME
            )
        self.saved.refresh(saved.id)
        self.saved.load(saved.id)
        self.search()
        return saved

    def export(self, what: str) -> asyncio.Task[Any]:
        """Export "results" (the table as shown) or "researched" (records with every
        email and phone) through a save dialog."""
        return self.exports.export(what)

    def export_text(self, what: str) -> tuple[str, int]:
        """The CSV text of an export and how many records it holds."""
        return self.exports.text(what)

    async def export_to(self, path: Path, what: str) -> int:
        """Write an export to ``path``; the records written (0, said on the banner, when
        it failed)."""
        return await self.exports.export_to(path, what)

    # ------------------------------------------------------------------ saved searches

    def saved_searches(self) -> list[SavedSearch]:
        """The saved searches of the kind shown, by name."""
        return self.saved.searches()

    def save_search(self, name: str) -> SavedSearch:
        """Save the filters shown under ``name`` (a saved search of that name is replaced)."""
        return self.saved.save(name)

    def load_search(self, search_id: str) -> bool:
        """Show a saved search's filters (nothing is sent: press Search to run it)."""
        return self.saved.load(search_id)

    def rename_search(self, search_id: str, name: str) -> bool:
        """Rename a saved search."""
        return self.saved.rename(search_id, name)

    def delete_search(self, search_id: str) -> bool:
        """Delete a saved search."""
        return self.saved.delete(search_id)

    # ------------------------------------------------------------------ actions

    def update_actions(self) -> None:
        """Enable the actions that can be taken now, with the reason of those that cannot."""
        if not hasattr(self, "crm_button"):
            return
        connected = self.port.connected
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
        no_crm = not self.port.crm_open
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
        port = self.port
        if not port.connection_state().connected or port.problem:
            return True
        credits = port.credits
        if credits is None or credits.balance is None:
            return False
        if port.is_demo:
            return self._sample_done
        return True

    def check_loaded(self) -> None:
        """Tell the window when the tab's data came on screen (or left it)."""
        loaded = self.is_loaded()
        if loaded != self._loaded:
            self._loaded = loaded
            self.loadedChanged.emit(loaded)

    async def prepare_screenshot(self) -> bool:
        """``--screenshot``: the demo's sample search and research (``run_sample_search``)."""
        return await self.run_sample_search()

    async def run_sample_search(self, *, timeout: float = 60.0) -> bool:
        """In the demo only: search one page of ``SAMPLE_FILTERS`` and research its first
        rows, so the window shows results, researched contact details and the meter.
        Returns True when the research finished in time. Never spends anything outside
        the demo (returns False at once)."""
        if not self.port.is_demo:
            return False
        try:
            return await run_sample_search(self, timeout=timeout)
        finally:
            self._sample_done = True
            self.check_loaded()

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
        for key, table in self._saved_headers():
            set_versioned_value(
                settings, key, table.horizontalHeader().saveState(), HEADER_LAYOUT_VERSION
            )
        settings.endGroup()

    def _saved_headers(self) -> tuple[tuple[str, QTableView], ...]:
        return (
            ("header/people", self.people_table),
            ("header/companies", self.company_table),
            ("header/queue", self.queue_panel.table),
        )

    def restore_state(self, settings: QSettings) -> None:
        """Restore what ``save_state`` kept (unreadable values, and column layouts of an
        older version, are ignored); restored widths never overflow the tables."""
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
            for key, table in self._saved_headers():
                # A header saved by an older version is ignored: the new defaults win.
                value = versioned_value(settings, key, HEADER_LAYOUT_VERSION)
                if value is not None and table.horizontalHeader().restoreState(value):
                    self._column_fitters[key].arm()
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
        # The research column follows the rows, not the last run's header.
        for side in self.sides.values():
            ResultsPane.show_research_column(side.table, side.model)

    async def shutdown(self) -> None:
        """Stop the tab's timer and close its dialogs (on quit)."""
        if not self.is_built:
            return
        self._timer.stop()
        if self.confirm_dialog is not None:
            self.confirm_dialog.reject()
        push_dialog = self.push_dialog
        if push_dialog is not None and not push_dialog.busy:
            push_dialog.reject()


__all__ = ["SAMPLE_FILTERS", "LeadsTab"]
