"""The Leads tab's results pane: the people and company tables with the details pane, the
bar above them (counts, selection, Research, Add to CRM, Export) and the paging row under
them ("Load more — up to N credits", the page size, what is loaded).

``SearchSide`` is one search kind: its filter panel, results model and table, and
the search paged. The pane shows a side (``show_side``) and its paging
(``show_paging``); the flows that fill it live in ``search_flow`` and
``research_flow``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.services.ports.leads import ResearchResult, SearchPager
from app.ui.common.messages import FieldMessage
from app.ui.leads.details import LeadDetailsPane
from app.ui.leads.filters import FilterPanel
from app.ui.leads.meter import ElidedLabel
from app.ui.leads.models import (
    CompanyColumn,
    CompanyResultsModel,
    PeopleColumn,
    PeopleResultsModel,
    ResearchMark,
    RowResearch,
)
from app.ui.theme import Spacing, icon
from app.ui.common.widgets import EmptyState

ROW_HEIGHT = 28
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 50
PEOPLE, COMPANIES = "people", "companies"


@dataclass
class SearchSide:
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
        """Whether this is the company search."""
        return self.kind == COMPANIES

    @property
    def research_kind(self) -> str:
        """The research kind of its rows: "company" or "contact"."""
        return "company" if self.companies else "contact"


def result_research(result: ResearchResult) -> RowResearch:
    """How a research result marks its row."""
    if result.status in ("queued", "submitted"):
        # Not sent yet, or sent and not polled: waiting, not a failure.
        return RowResearch(ResearchMark.QUEUED, result.text)
    return RowResearch.of(result.state, result.text, result.record)


def _tool(parent: QWidget, icon_name: str, text: str) -> QToolButton:
    button = QToolButton(parent)
    button.setIcon(icon(icon_name))
    button.setText(text)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setAutoRaise(True)
    return button


class ResultsPane(QWidget):
    """The tables, the details pane, the action bar and the paging row (module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Spacing.S, 0, 0, 0)
        layout.setSpacing(Spacing.S)

        bar = QHBoxLayout()
        bar.setSpacing(Spacing.S)
        self.count_label = ElidedLabel(self)
        self.count_label.setProperty("muted", True)
        bar.addWidget(self.count_label, 1)
        self.selection_label = QLabel(self)
        self.selection_label.setProperty("muted", True)
        bar.addWidget(self.selection_label)
        self.research_button = _tool(self, "search", "Research selected…")
        self.crm_button = _tool(self, "add", "Add to CRM…")
        self.job_changes_button = _tool(self, "switch", "Job changes…")
        self.job_changes_button.setToolTip(
            "Check researched people for job changes, and refresh stale records"
        )
        self.export_button = _tool(self, "export", "Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self.export_button)
        self.export_results_action = self.export_menu.addAction("Results shown…")
        self.export_researched_action = self.export_menu.addAction(
            "Researched records, with emails and phones…"
        )
        self.export_button.setMenu(self.export_menu)
        for button in (
            self.research_button,
            self.crm_button,
            self.job_changes_button,
            self.export_button,
        ):
            bar.addWidget(button)
        layout.addLayout(bar)
        self.crm_note = QLabel(self)
        self.crm_note.setProperty("muted", True)
        self.crm_note.setWordWrap(True)
        self.crm_note.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.crm_note.hide()
        layout.addWidget(self.crm_note)

        self.results_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.results_splitter.setChildrenCollapsible(False)
        self.results_stack = QStackedWidget(self.results_splitter)
        self.results_empty = EmptyState(self.results_stack)
        self.results_stack.addWidget(self.results_empty)
        self.people_model = PeopleResultsModel(self)
        self.company_model = CompanyResultsModel(self)
        # The columns shown by default fit the table at the window's default size (no
        # horizontal scrollbar); the header's menu shows the others, whose details the
        # pane beside the table shows anyway.
        self.people_table = self._table(
            self.people_model,
            {
                PeopleColumn.NAME: 140,
                PeopleColumn.RESEARCH: 150,
                PeopleColumn.TITLE: 155,
                PeopleColumn.SENIORITY: 80,
                PeopleColumn.DEPARTMENT: 90,
                PeopleColumn.COMPANY: 140,
                PeopleColumn.LOCATION: 150,
                PeopleColumn.SIZE: 100,
                PeopleColumn.INDUSTRY: 150,
            },
            {
                PeopleColumn.SENIORITY,
                PeopleColumn.DEPARTMENT,
                PeopleColumn.LOCATION,
                PeopleColumn.SIZE,
                PeopleColumn.INDUSTRY,
            },
        )
        self.company_table = self._table(
            self.company_model,
            {
                CompanyColumn.NAME: 160,
                CompanyColumn.RESEARCH: 110,
                CompanyColumn.DOMAIN: 140,
                CompanyColumn.INDUSTRY: 170,
                CompanyColumn.SIZE: 110,
                CompanyColumn.REVENUE: 110,
                CompanyColumn.LOCATION: 160,
                CompanyColumn.FOUNDED: 70,
            },
            {
                CompanyColumn.SIZE,
                CompanyColumn.REVENUE,
                CompanyColumn.LOCATION,
                CompanyColumn.FOUNDED,
            },
        )
        self.details = LeadDetailsPane(self.results_splitter)
        for button in (self.research_button, self.crm_button):
            self.details.selection.add_action(button)
        self.results_splitter.addWidget(self.results_stack)
        self.results_splitter.addWidget(self.details)
        self.results_splitter.setStretchFactor(0, 3)
        self.results_splitter.setStretchFactor(1, 1)
        self.results_splitter.setSizes([620, 400])
        layout.addWidget(self.results_splitter, 1)

        more = QHBoxLayout()
        more.setSpacing(Spacing.S)
        self.load_more_button = QPushButton(icon("add"), "Load more", self)
        more.addWidget(self.load_more_button)
        self.page_size = QComboBox(self)
        for size in PAGE_SIZES:
            self.page_size.addItem(f"{size} per page", size)
        self.page_size.setCurrentIndex(PAGE_SIZES.index(DEFAULT_PAGE_SIZE))
        self.page_size.setToolTip("Results per page: 1 credit per 10 results, rounded up")
        more.addWidget(self.page_size)
        self.loading_bar = QProgressBar(self)
        self.loading_bar.setRange(0, 0)
        self.loading_bar.setTextVisible(False)
        self.loading_bar.setFixedWidth(120)
        self.loading_bar.hide()
        more.addWidget(self.loading_bar)
        self.load_message = FieldMessage(self)
        more.addWidget(self.load_message, 1)
        more.addStretch(0)
        self.loaded_label = QLabel(self)
        self.loaded_label.setProperty("muted", True)
        more.addWidget(self.loaded_label)
        layout.addLayout(more)

    def _table(
        self,
        model: PeopleResultsModel | CompanyResultsModel,
        widths: dict[int, int],
        hidden: set[int],
    ) -> QTableView:
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
        for column in hidden:
            header.setSectionHidden(column, True)
        # Shown second, whatever the model's order: what was researched is the point.
        header.moveSection(header.visualIndex(model.research_column), 1)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(
            lambda position: self._column_menu(table, model, position)
        )
        for signal in (model.modelReset, model.rowsInserted, model.dataChanged):
            signal.connect(lambda *_: self.show_research_column(table, model))
        self.show_research_column(table, model)
        self.results_stack.addWidget(table)
        return table

    @staticmethod
    def show_research_column(
        table: QTableView, model: PeopleResultsModel | CompanyResultsModel
    ) -> None:
        """The "Researched" column shows once a loaded row is researched (or queued):
        until then it would be an empty column taking room from the others."""
        hidden = not model.has_research()
        if table.isColumnHidden(model.research_column) != hidden:
            table.setColumnHidden(model.research_column, hidden)

    def _column_menu(
        self, table: QTableView, model: PeopleResultsModel | CompanyResultsModel, at: QPoint
    ) -> None:
        """The header's menu: show or hide each column (the name and the research
        column, which follows the research, excepted)."""
        header = table.horizontalHeader()
        menu = QMenu(self)
        for column, spec in enumerate(model.columns):
            if column in (0, model.research_column):
                continue
            action = menu.addAction(spec.label)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.toggled.connect(lambda on, c=column: header.setSectionHidden(c, not on))
        menu.popup(header.mapToGlobal(at))

    def tables(self) -> tuple[QTableView, QTableView]:
        """The people table and the company table."""
        return self.people_table, self.company_table

    def connect_selection(
        self,
        selection_changed: Callable[..., None],
        current_changed: Callable[..., None],
    ) -> None:
        """Follow the selection and the current row of both tables."""
        for table in self.tables():
            selection = table.selectionModel()
            selection.selectionChanged.connect(selection_changed)
            selection.currentRowChanged.connect(current_changed)

    @property
    def page_size_value(self) -> int:
        """Results per page."""
        return int(self.page_size.currentData() or DEFAULT_PAGE_SIZE)

    # -- showing a side ---------------------------------------------------------------------
    def show_side(self, side: SearchSide) -> None:
        """Show ``side``'s table, or the empty state that says why there are no rows, and
        what was searched."""
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
        self.show_paging(side)

    def show_paging(self, side: SearchSide) -> None:
        """The paging row of ``side``: what is loaded, and "Load more" with its cost
        (disabled when it would be refused)."""
        pager = side.pager
        self.loading_bar.setVisible(side.busy)
        if pager is None:
            self.load_more_button.hide()
            self.load_message.clear()
            self.loaded_label.setText("")
            return
        loaded = side.model.rowCount()
        total = pager.total
        noun = side.model.noun
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
        # Refused: disabled; the tab says why beside it (``refusals``) unless another
        # refusal is being said, since one sentence at a time is enough.
        self.load_more_button.setEnabled(pager.check_next() is None)


__all__ = [
    "COMPANIES",
    "DEFAULT_PAGE_SIZE",
    "PAGE_SIZES",
    "PEOPLE",
    "ROW_HEIGHT",
    "ResultsPane",
    "SearchSide",
    "result_research",
]
