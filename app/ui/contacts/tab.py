"""The Contacts tab: search, filters, the lazily loaded table, the detail pane, bulk actions.

Everything shown comes from the local cache of the active sub-account
(``ContactsTableModel`` over the port's ``ContactsReader``); the sync service
keeps the cache current and its change events update rows in place. Writes go
through the port's ``ContactService`` (validated first, only changed fields
sent). Bulk actions run one contact at a time within the write rate limit,
with progress, Cancel and a summary of what failed and why. In All sub-accounts the
search box also searches every member sub-account (``agency_search.py``, read only);
opening a result switches to its sub-account and shows the contact here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.constants import LIFECYCLE_STAGES
from app.core.contact_csv import WRITTEN, ImportReport, RowStatus
from app.core.team import readable_member
from app.services.bulk import BulkAction, BulkKind, BulkProgress, BulkReport, BulkRunner
from app.services.bus import ContactsChanged, SessionChanged, SyncStatus
from app.services.contacts import ContactService
from app.services.agency_reads import AgencyContactResults, AgencyContactsReader
from app.services.ports.contacts import ContactFilters, ContactsPort, ContactsReader, StorageError
from app.ui.area import Area, AreaContext
from app.ui.async_qt import await_signal
from app.ui.common.columns import ColumnFitter, set_versioned_value, versioned_value
from app.ui.common.report import LineState, ReportLine, open_report, report_severity, with_reason
from app.ui.contacts.agency_search import (
    HINT,
    AgencyContactSearch,
    AgencyContactsModel,
    AgencyResultsView,
    AgencySearchHint,
    counts_line,
)
from app.ui.contacts.detail import ContactDetailPane
from app.ui.contacts.export import export_to_csv
from app.ui.contacts.import_dialog import ContactImportDialog
from app.ui.contacts.model import STAGE_LABELS, ContactsTableModel
from app.ui.contacts.search import ContactSearchController
from app.ui.common.search import SearchBox
from app.ui.common.selection import SelectionSummary
from app.ui.theme import Spacing, icon
from app.ui.common.widgets import Banner, EmptyState, add_count_labels

log = logging.getLogger(__name__)

ROW_HEIGHT = 28
JUMP_LOAD_LIMIT = 5000
"""Rows the table may load to reach a contact chosen in the global search."""
SETTINGS_GROUP = "contacts"
COLUMNS_VERSION = 2
"""The table's default columns; raised whenever they change, so that columns saved by an
older version (wider, or since hidden by default) give way to the new defaults."""


def _eta_words(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return "less than a minute left"
    minutes = round(seconds / 60)
    return f"about {minutes} minute{'s' if minutes != 1 else ''} left"


class TagsDialog(QDialog):
    """Asks which tags to add to or remove from the selected contacts."""

    def __init__(self, count: int, known_tags: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Tag contacts")
        layout = QVBoxLayout(self)
        layout.setSpacing(Spacing.M)
        noun = "contact" if count == 1 else "contacts"
        layout.addWidget(QLabel(f"Change the tags of {count:,} selected {noun}.", self))
        form = QFormLayout()
        self.tags = QLineEdit(self)
        self.tags.setPlaceholderText("e.g. vip, newsletter")
        from PySide6.QtWidgets import QCompleter

        completer = QCompleter(known_tags, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tags.setCompleter(completer)
        form.addRow("Tags", self.tags)
        layout.addLayout(form)
        self.add = QRadioButton("Add these tags", self)
        self.remove = QRadioButton("Remove these tags", self)
        self.add.setChecked(True)
        layout.addWidget(self.add)
        layout.addWidget(self.remove)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Apply")
        self.ok.setEnabled(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.tags.textChanged.connect(lambda _t: self.ok.setEnabled(bool(self.chosen_tags())))

    def chosen_tags(self) -> tuple[str, ...]:
        """The tags typed, trimmed, without duplicates (case-insensitive)."""
        seen: set[str] = set()
        tags = []
        for raw in self.tags.text().replace(";", ",").split(","):
            tag = raw.strip()
            if tag and tag.casefold() not in seen:
                seen.add(tag.casefold())
                tags.append(tag)
        return tuple(tags)

    def action(self) -> BulkAction:
        """The bulk action the dialog describes."""
        kind = BulkKind.ADD_TAGS if self.add.isChecked() else BulkKind.REMOVE_TAGS
        return BulkAction(kind, tags=self.chosen_tags())


class JobBar(QFrame):
    """A bulk action in progress: what it does, a progress bar, the ETA and Cancel."""

    cancelRequested = Signal()
    """The user pressed Cancel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("severity", "info")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(Spacing.M, Spacing.S, Spacing.S, Spacing.S)
        layout.setSpacing(Spacing.M)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setMaximumWidth(260)
        self.eta = QLabel(self)
        self.eta.setProperty("muted", True)
        self.cancel = QPushButton("Cancel", self)
        self.cancel.clicked.connect(self.cancelRequested)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.eta)
        layout.addWidget(self.cancel)
        self.hide()

    def start(self, text: str, total: int) -> None:
        """Show the bar for a job of ``total`` steps."""
        self.label.setText(text + "…")
        self.bar.setRange(0, max(1, total))
        self.bar.setValue(0)
        self.eta.setText("")
        self.cancel.setEnabled(True)
        self.show()

    def progress(self, progress: BulkProgress) -> None:
        """Move the bar."""
        self.bar.setValue(progress.done)
        self.eta.setText(
            f"{progress.done:,} of {progress.total:,} · {_eta_words(progress.eta_seconds)}"
        )


def _saved_sort(settings: QSettings) -> tuple[str, bool] | None:
    """The (column key, descending) ``save_state`` kept, from its group; None when unset."""
    sort = json.loads(str(settings.value("sort", "null")))
    if isinstance(sort, list) and len(sort) == 2:
        return str(sort[0]), bool(sort[1])
    return None


class ContactsTab(Area):
    """The Contacts area of the main window (see the module docstring)."""

    area_name = "contacts"
    title = "Contacts"
    icon_name = "contacts"
    record_kinds = frozenset({"contact"})
    poll_job = "contacts"

    def __init__(self, context: AreaContext[ContactsPort], parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.port = context.port
        self.tasks = context.tasks
        self._reader: ContactsReader | None = None
        self._syncing = False
        self._bulk: BulkRunner | None = None
        self._bulk_names: dict[str, str] = {}
        """The contacts of the bulk run shown last, by id: their names in its report."""
        self._current_id: str | None = None  # the table's current contact (shown in the pane)
        # After new rows (a keystroke's search, a sync, the start) the pane loads the first
        # listed contact a turn later: the table paints first, and fast typing loads only
        # the contact of the last answer.
        self._pane_after_reset = False
        self._pane_timer = QTimer(self)
        self._pane_timer.setSingleShot(True)
        self._pane_timer.setInterval(0)
        self._pane_timer.timeout.connect(self._show_current_in_pane)
        # All sub-accounts: the merged search's reader (None: the open sub-account only),
        # and the reader a result's switch already showed (its session event is then void).
        self._merged: AgencyContactsReader | None = None
        self._taken_over: ContactsReader | None = None
        self._early_sort: tuple[str, bool] | None = None  # ``prepare_restore``

    def build_steps(self) -> Iterator[None]:
        """The model and search first, the search bar and actions, then the table and pane."""
        self.model = ContactsTableModel(self)
        self.search = ContactSearchController(self.model, self)
        self.agency_model = AgencyContactsModel(self)
        self.agency_search = AgencyContactSearch(self)
        yield from self._build()
        bridge = self.context.bridge
        bridge.sessionChanged.connect(self._on_session)
        bridge.contactsChanged.connect(self._on_contacts_changed)
        bridge.syncStatusChanged.connect(self._on_sync_status)
        self.search.searchFailed.connect(lambda text: self.banner.show_message("danger", text))
        self.model.loadFailed.connect(lambda text: self.banner.show_message("danger", text))
        self.model.modelReset.connect(self._after_reset)
        self.search_box.textChanged.connect(self._search_all)
        self.agency_search.resultsReady.connect(self._show_merged_results)
        self.agency_search.searchFailed.connect(
            lambda text: self.banner.show_message("danger", text)
        )
        self.agency_results.openRequested.connect(self._open_in_owner)
        reader = self.port.reader()
        if reader is self._reader and self.model.reader is reader:
            self._finish_first_show()
        else:  # the sub-account changed while the tab was being built
            self.set_reader(reader)
        self._show_all(self.port.all_mode())

    # ------------------------------------------------------------------ building

    def _build(self) -> Iterator[None]:
        root = QVBoxLayout(self)
        root.setContentsMargins(Spacing.M, Spacing.M, Spacing.M, Spacing.S)
        root.setSpacing(Spacing.S)

        self.banner = Banner(self)
        root.addWidget(self.banner)

        # Search and filters.
        bar = QHBoxLayout()
        bar.setSpacing(Spacing.S)
        self.search_box = SearchBox("Search names, emails, companies, phones, tags", self, 300)
        self.search_box.textChanged.connect(self.search.set_text)
        self.search_box.returnPressed.connect(self.search.search_now)
        bar.addWidget(self.search_box, 2)

        self.stage_filter = QComboBox(self)
        self.stage_filter.addItem("Any stage", None)
        for stage in LIFECYCLE_STAGES:
            self.stage_filter.addItem(STAGE_LABELS[stage], stage)
        self.stage_filter.currentIndexChanged.connect(
            lambda _i: self.search.set_lifecycle_stage(self.stage_filter.currentData())
        )
        bar.addWidget(self.stage_filter)

        self.tags_button = QToolButton(self)
        self.tags_button.setText("Tags")
        self.tags_button.setIcon(icon("tag"))
        self.tags_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.tags_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.tags_menu = QMenu(self.tags_button)
        self.tags_button.setMenu(self.tags_menu)
        bar.addWidget(self.tags_button)

        self.source_filter = QComboBox(self)
        self.source_filter.currentIndexChanged.connect(
            lambda _i: self.search.set_source(self.source_filter.currentData())
        )
        bar.addWidget(self.source_filter)

        self.assignee_filter = QComboBox(self)
        self.assignee_filter.currentIndexChanged.connect(self._assignee_chosen)
        bar.addWidget(self.assignee_filter)

        self.phone_filter = QComboBox(self)
        self.phone_filter.addItem("Any phone", None)
        self.phone_filter.addItem("Has a phone", True)
        self.phone_filter.addItem("No phone", False)
        self.phone_filter.currentIndexChanged.connect(
            lambda _i: self.search.set_has_phone(self.phone_filter.currentData())
        )
        bar.addWidget(self.phone_filter)

        self.clear_filters = QPushButton("Clear filters", self)
        self.clear_filters.setFlat(True)
        self.clear_filters.clicked.connect(self._clear_filters)
        self.clear_filters.hide()
        bar.addWidget(self.clear_filters)
        bar.addStretch(1)
        root.addLayout(bar)

        # Actions and the count.
        actions = QHBoxLayout()
        actions.setSpacing(Spacing.S)
        self.count_label, self.selection_label = add_count_labels(actions, self)
        self.tag_button = self._tool("tag", "Tag…", self._bulk_tags)
        self.stage_button = self._tool("stage", "Stage", None)
        stage_menu = QMenu(self.stage_button)
        for stage in LIFECYCLE_STAGES:
            stage_menu.addAction(STAGE_LABELS[stage]).triggered.connect(
                lambda _checked=False, s=stage: self._bulk_stage(s)
            )
        self.stage_button.setMenu(stage_menu)
        self.stage_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.delete_button = self._tool("delete", "Delete…", self._bulk_delete)
        self.workflow_button = self._tool("bolt", "Run workflow…", self._run_workflow)
        self.workflow_button.setToolTip("Start a workflow for the selected contacts")
        for button in (self.tag_button, self.stage_button, self.workflow_button):
            actions.addWidget(button)
        actions.addWidget(self.delete_button)
        separator = QFrame(self)
        separator.setFrameShape(QFrame.Shape.VLine)
        actions.addWidget(separator)
        self.import_button = self._tool("import", "Import…", self._import)
        self.export_button = self._tool("export", "Export…", self._export)
        self.new_button = self._tool("add", "New contact", self._new_contact)
        self.new_button.setShortcut(QKeySequence("Ctrl+N"))
        for button in (self.import_button, self.export_button, self.new_button):
            actions.addWidget(button)
        root.addLayout(actions)
        self.agency_hint = AgencySearchHint(self)
        self.agency_hint.hide()
        root.addWidget(self.agency_hint)
        yield

        self.job_bar = JobBar(self)
        self.job_bar.cancelRequested.connect(self._cancel_bulk)
        root.addWidget(self.job_bar)

        # The table and the detail pane.
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.stack = QStackedWidget(self.splitter)
        self.table = QTableView(self.stack)
        self.table.setModel(self.model)
        # The indicator first: enabling sorting sorts by whatever the header shows.
        self.table.horizontalHeader().setSortIndicator(
            self.model.sort_column, self.model.sort_order
        )
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(ROW_HEIGHT)
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        header.setSortIndicator(self.model.sort_column, self.model.sort_order)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.empty = EmptyState(self.stack)
        self.empty.actionClicked.connect(self._empty_action)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        self.agency_results = AgencyResultsView(self.agency_model, self.stack)
        self.stack.addWidget(self.agency_results)
        # The pane's place is kept from the start, so the table does not narrow when the
        # pane comes a few steps later.
        self.detail_stack = QStackedWidget(self.splitter)
        self.detail_stack.setMinimumWidth(340)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.detail_stack)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([880, 480])  # until the user's own split is restored
        self.splitter.setChildrenCollapsible(False)
        root.addWidget(self.splitter, 1)
        # The cached rows show now, before the pane's form is built (most of the building);
        # the first contact is shown in the pane once it exists (``_finish_first_show``).
        self.search.countChanged.connect(self._show_count)
        self.search.choicesChanged.connect(self._refresh_choices)
        self._default_columns()
        self._apply_sort(self._early_sort)  # before any rows: no read yet
        self._reader = self.port.reader()
        self.search.set_reader(self._reader)
        self._apply_columns()
        self._update_empty()
        yield
        # The pane shows the current contact, or with several selected what they are and
        # the bulk actions: one record would not stand for the selection.
        self.detail = ContactDetailPane(self.detail_stack, defer_form=True)
        # For the open sub-account's custom fields, a section per step: laid out once
        # (built empty first, it would be laid out again at once) and never in one block.
        reader = self._reader  # the one the rows above were read through
        yield from self.detail.set_service_steps(
            self._service_factory if reader else None, reader=reader
        )
        self.selection_summary = SelectionSummary("users", self.detail_stack)
        for button in (
            self.tag_button,
            self.stage_button,
            self.workflow_button,
            self.delete_button,
        ):
            self.selection_summary.add_action(button)
        self.detail_stack.addWidget(self.detail)
        self.detail_stack.addWidget(self.selection_summary)
        self.detail.contactCreated.connect(self._select_contact)
        self.detail.contactDeleted.connect(lambda _cid: self.table.clearSelection())
        self.detail.leaveDeclined.connect(self._reselect_shown)
        self.detail.bookRequested.connect(
            lambda contact_id: self.context.navigator.show_record("booking", contact_id)
        )
        self._selection_changed()
        self._column_fitter = ColumnFitter(self.table)

    def _tool(self, icon_name: str, text: str, slot: Callable[[], Any] | None) -> QToolButton:
        button = QToolButton(self)
        button.setIcon(icon(icon_name))
        button.setText(text)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAutoRaise(True)
        if slot is not None:
            button.clicked.connect(slot)
        return button

    # ------------------------------------------------------------------ scope

    def set_reader(self, reader: ContactsReader | None) -> None:
        """Show another sub-account's contacts at once (cached rows, then the sync's)."""
        self._reader = reader
        self._current_id = None
        self.banner.hide()
        # The pane first: the table's reset may select (and show) the first contact.
        self.detail.set_reader(reader, self._service_factory if reader else None)
        self.search.set_reader(reader)
        self._apply_columns()
        self._update_empty()
        self.loadedChanged.emit(self.is_loaded())

    def _finish_first_show(self) -> None:
        """The rows shown while building (``_build``) get the pane and the selection."""
        self.banner.hide()
        self.detail.set_reader(self._reader, self._service_factory if self._reader else None)
        self._after_reset()
        self.loadedChanged.emit(self.is_loaded())

    def _service_factory(self) -> ContactService:
        return self.port.contact_service()

    def _on_session(self, event: SessionChanged) -> None:
        self._syncing = True
        reader = self.port.reader(event.scope) if event.scope is not None else None
        taken_over, self._taken_over = self._taken_over, None
        if reader is not None and reader is taken_over and reader is self._reader:
            return  # opening a merged result already showed this sub-account
        self.set_reader(reader)

    def _on_contacts_changed(self, event: ContactsChanged) -> None:
        self.model.refresh(event)
        if self._merged_showing():
            self._search_all(self.search_box.text())  # a member's rows changed under it
        shown = self.detail.contact_id
        reader = self._reader
        if shown is None or reader is None or event.scope.sub_account_id != reader.sub_account_id:
            return
        if shown in event.deleted:
            self.detail.contact_removed(shown)
        elif shown in event.ids or event.full:
            try:
                doc = reader.document(shown)
            except StorageError as exc:
                log.error("could not re-read contact %s", shown, exc_info=exc)
                return
            if doc is None:
                self.detail.contact_removed(shown)
            else:
                self.detail.refresh_contact(doc)

    def has_unsaved_changes(self) -> bool:
        """Whether the detail pane holds edits that were not saved."""
        return self.is_built and self.detail.has_unsaved_changes()

    async def confirm_leave(self) -> bool:
        """Before a switch or quit: let the user save or discard pending edits (False: stay)."""
        if not self.has_unsaved_changes():
            return True
        return await self.detail.resolve_unsaved_changes()

    async def shutdown(self) -> None:
        """Stop the pane's and the search's background work (on quit)."""
        if not self.is_built:
            return
        self.search.close()
        self.agency_search.close()
        await self.detail.shutdown()
        self.model.set_reader(None)  # no late refresh may read a closed cache
        self.model.close()

    def _reselect_shown(self) -> None:
        shown = self.detail.contact_id
        if shown:
            row = self.model.row_of(shown)
            if row >= 0:
                self.table.selectionModel().blockSignals(True)
                self._select_row(row)
                self.table.selectionModel().blockSignals(False)

    def _on_sync_status(self, status: SyncStatus) -> None:
        reader = self._reader
        if reader is None or status.scope is None:
            return
        if status.scope.sub_account_id != reader.sub_account_id:
            return
        self._syncing = status.state == "syncing"
        self._update_empty()
        self.loadedChanged.emit(self.is_loaded())

    def is_loaded(self) -> bool:
        """Whether the contacts of the shown sub-account are on screen (or known to be none)."""
        if not self.is_built or self._reader is None:
            return False
        # Complete once a whole walk of the sub-account's contacts is in the cache (the
        # first sync, or an earlier run's) and what is cached is on screen.
        return self._has_full_walk() and (self.model.rowCount() > 0 or not self._syncing)

    def _has_full_walk(self) -> bool:
        if self._reader is None:
            return False
        try:
            return self._reader.has_full_walk()
        except StorageError as exc:
            log.warning("could not read the contacts sync mark: %s", exc)
            return False

    # ------------------------------------------------------------------ filters

    def _refresh_choices(self) -> None:
        choices = self.search.filter_choices()
        filters = self.search.filters
        self.tags_menu.clear()
        if not choices.tags:
            none = self.tags_menu.addAction("No tags in this sub-account")
            none.setEnabled(False)
        for tag in choices.tags:
            action = self.tags_menu.addAction(tag)
            action.setCheckable(True)
            action.setChecked(tag in filters.tags)
            action.toggled.connect(self._tags_chosen)
        self._fill_combo(self.source_filter, "Any source", choices.sources, filters.source)
        self.assignee_filter.blockSignals(True)
        self.assignee_filter.clear()
        self.assignee_filter.addItem("Anyone", None)
        self.assignee_filter.addItem("Unassigned", "")
        for user in choices.assignees:
            self.assignee_filter.addItem(readable_member(user), user)
        wanted = "" if filters.unassigned else filters.assigned_to
        self.assignee_filter.setCurrentIndex(max(0, self.assignee_filter.findData(wanted)))
        self.assignee_filter.blockSignals(False)
        self._update_filter_state(filters)

    @staticmethod
    def _fill_combo(combo: QComboBox, any_text: str, values: Any, current: str | None) -> None:
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(any_text, None)
        for value in values:
            combo.addItem(value, value)
        combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.blockSignals(False)

    def _tags_chosen(self) -> None:
        tags = [a.text() for a in self.tags_menu.actions() if a.isCheckable() and a.isChecked()]
        self.search.set_tags(tags)
        self._update_filter_state(self.search.filters)

    def _assignee_chosen(self) -> None:
        value = self.assignee_filter.currentData()
        if value == "":
            self.search.set_unassigned(True)
        else:
            self.search.set_assigned_to(value)
        self._update_filter_state(self.search.filters)

    def _update_filter_state(self, filters: ContactFilters) -> None:
        active = filters != ContactFilters()
        self.clear_filters.setVisible(active)
        self.tags_button.setText(f"Tags ({len(filters.tags)})" if filters.tags else "Tags")

    def _clear_filters(self) -> None:
        for combo in (
            self.stage_filter,
            self.source_filter,
            self.assignee_filter,
            self.phone_filter,
        ):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        for action in self.tags_menu.actions():
            action.blockSignals(True)
            action.setChecked(False)
            action.blockSignals(False)
        self.search.clear_filters()
        self._update_filter_state(self.search.filters)

    def _show_count(self, total: int) -> None:
        filtered = bool(self.search.text.strip()) or self.search.filters != ContactFilters()
        noun = "contact" if total == 1 else "contacts"
        if filtered:
            self.count_label.setText(f"{total:,} matching {noun}")
        else:
            self.count_label.setText(f"{total:,} {noun}")
        self._update_empty()
        self.loadedChanged.emit(self.is_loaded())

    def _update_empty(self) -> None:
        if self._merged_showing():
            self.stack.setCurrentWidget(self.agency_results)
            return
        if self._reader is None:
            self.empty.set_content(
                "contacts", "No sub-account open", "Connect to Seedly CRM first."
            )
            self.stack.setCurrentWidget(self.empty)
            return
        if self.model.total_count > 0:
            self.stack.setCurrentWidget(self.table)
            return
        filtered = bool(self.search.text.strip()) or self.search.filters != ContactFilters()
        if filtered:
            self.empty.set_content(
                "search",
                "No matching contacts",
                "Nothing in this sub-account matches the search and filters.",
                "Clear search and filters",
            )
        elif self._syncing or not self._has_full_walk():
            self.empty.set_content(
                "sync", "Loading contacts…", "The first sync of this sub-account is running."
            )
        else:
            self.empty.set_content(
                "contacts", "No contacts yet", "Create one or import a CSV file.", "New contact"
            )
        self.stack.setCurrentWidget(self.empty)

    def _empty_action(self) -> None:
        if self.empty.button.text() == "New contact":
            self._new_contact()
        else:
            self.search_box.clear()
            self._clear_filters()

    def _after_reset(self) -> None:
        """New rows (search, filter, order, sub-account): keep the pane on what is listed.

        The contact shown stays selected when it is still listed; otherwise the first
        listed contact is shown, or nothing when nothing matches. An open form is left
        alone (it may hold the user's typing)."""
        self._update_empty()
        header = self.table.horizontalHeader()
        header.setSortIndicator(self.model.sort_column, self.model.sort_order)
        self._current_id = None
        if not self.detail.is_editing():
            shown = self.detail.contact_id
            row = self.model.row_of(shown) if shown else -1
            if row < 0 and self.model.rowCount():
                row = 0
            if row >= 0:
                self._pane_after_reset = True
                try:
                    self._select_row(row)
                finally:
                    self._pane_after_reset = False
            elif shown is not None:
                self.detail.clear()
        self._selection_changed()

    # ------------------------------------------------------------------ columns

    def _default_columns(self) -> None:
        # The default columns fit the table beside the detail pane at the default window
        # size; long emails and companies are elided rather than scrolled to.
        widths = {"name": 170, "email": 215, "phone": 125, "company": 165, "lifecycleStage": 90}
        widths |= {"tags": 80, "assignedTo": 140, "engagementScore": 70, "updatedAt": 110}
        self._default_widths = dict(widths)
        self._column_widths: dict[str, int] = widths
        self._hidden_columns: set[str] | None = None  # None: each column's default

    def _apply_columns(self) -> None:
        header = self.table.horizontalHeader()
        for index, spec in enumerate(self.model.columns):
            hidden = (
                not spec.default_visible
                if self._hidden_columns is None
                else spec.key in self._hidden_columns
            )
            self.table.setColumnHidden(index, hidden)
            header.resizeSection(index, self._column_widths.get(spec.key, 140))

    def _column_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        for index, spec in enumerate(self.model.columns):
            action = menu.addAction(spec.label)
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(index))
            action.setEnabled(index != 0)  # the name always stays
            action.toggled.connect(lambda on, i=index: self._toggle_column(i, on))
        menu.popup(self.table.horizontalHeader().mapToGlobal(position))

    def _toggle_column(self, index: int, visible: bool) -> None:
        self.table.setColumnHidden(index, not visible)
        self._hidden_columns = {
            spec.key for i, spec in enumerate(self.model.columns) if self.table.isColumnHidden(i)
        }

    def save_state(self, settings: QSettings) -> None:
        """Column choice and widths, the splitter, the sort order."""
        header = self.table.horizontalHeader()
        for index, spec in enumerate(self.model.columns):
            # Widths only fitted to the window (not touched since) are not the user's.
            if not self.table.isColumnHidden(index) and not self._column_fitter.armed:
                self._column_widths[spec.key] = header.sectionSize(index)
        # Only the widths the user changed: a default changed later still applies.
        changed = {
            key: width
            for key, width in self._column_widths.items()
            if width != self._default_widths.get(key)
        }
        settings.beginGroup(SETTINGS_GROUP)
        set_versioned_value(settings, "columnWidths", json.dumps(changed), COLUMNS_VERSION)
        hidden = None if self._hidden_columns is None else sorted(self._hidden_columns)
        set_versioned_value(settings, "hiddenColumns", json.dumps(hidden), COLUMNS_VERSION)
        settings.setValue("splitter", self.splitter.saveState())
        settings.setValue(
            "sort", json.dumps([self.model.query.sort_key, self.model.query.descending])
        )
        settings.endGroup()

    def restore_state(self, settings: QSettings) -> None:
        """Restore what ``save_state`` kept (bad or missing values, and columns of an older
        version, are ignored); restored widths never overflow the table."""
        restored = False
        settings.beginGroup(SETTINGS_GROUP)
        try:
            # Columns saved by an older version are ignored: the new defaults win.
            saved = versioned_value(settings, "columnWidths", COLUMNS_VERSION)
            widths = json.loads(str(saved)) if saved is not None else None
            if isinstance(widths, dict):
                self._column_widths |= {
                    str(k): int(v) for k, v in widths.items() if isinstance(v, int) and v > 20
                }
                restored = bool(widths)
            saved = versioned_value(settings, "hiddenColumns", COLUMNS_VERSION)
            hidden = json.loads(str(saved)) if saved is not None else None
            if isinstance(hidden, list):
                self._hidden_columns = {str(k) for k in hidden}
                restored = True
            splitter = settings.value("splitter")
            if splitter is not None:
                self.splitter.restoreState(splitter)
            self._apply_sort(_saved_sort(settings))
        except (ValueError, TypeError) as exc:
            log.info("ignored unreadable contacts tab settings: %s", exc)
        finally:
            settings.endGroup()
        self._apply_columns()
        if restored:
            self._column_fitter.arm()  # never a horizontal scrollbar from a saved layout

    def prepare_restore(self, settings: QSettings) -> None:
        """The saved order, so the first rows (shown while building) come in it."""
        settings.beginGroup(SETTINGS_GROUP)
        try:
            self._early_sort = _saved_sort(settings)
        except (ValueError, TypeError) as exc:
            log.info("ignored an unreadable contacts order: %s", exc)
        finally:
            settings.endGroup()

    def _apply_sort(self, sort: tuple[str, bool] | None) -> None:
        column = -1 if sort is None else self.model.column_of(sort[0])
        if sort is not None and column >= 0:
            order = Qt.SortOrder.DescendingOrder if sort[1] else Qt.SortOrder.AscendingOrder
            self.model.sort(column, order)

    # ------------------------------------------------------------------ selection and detail

    def selected_ids(self) -> list[str]:
        """Ids of the selected (loaded) rows, in row order."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return self.model.ids_at(rows)

    def _selection_changed(self, *_: Any) -> None:
        count = len(self.table.selectionModel().selectedRows())
        for button in (
            self.tag_button,
            self.stage_button,
            self.workflow_button,
            self.delete_button,
        ):
            button.setEnabled(count > 0 and self._bulk is None)
        self.selection_label.setText(f"{count:,} selected" if count > 1 else "")
        several = count > 1 and not self.detail.is_editing()  # an open form stays in view
        if several:
            self.selection_summary.set_selection(
                count, "contacts", "Tag them, set their stage, start a workflow or delete them."
            )
        self.detail_stack.setCurrentWidget(self.selection_summary if several else self.detail)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        contact_id = self.model.id_at(current.row()) if current.isValid() else None
        if contact_id == self._current_id:
            return  # the same contact moved (a sync re-sorted the rows): nothing to show anew
        self._current_id = contact_id
        if self._pane_after_reset:
            self._pane_timer.start()
        elif contact_id:
            self._pane_timer.stop()
            self.detail.show_contact(contact_id)

    def _show_current_in_pane(self) -> None:
        contact_id = self._current_id
        if contact_id and contact_id != self.detail.contact_id and not self.detail.is_editing():
            self.detail.show_contact(contact_id)

    def show_record(self, kind: str, record_id: str) -> bool:
        """Global search and other areas open a contact here."""
        self.build()
        return kind == "contact" and self.show_contact(record_id)

    def show_contact(self, contact_id: str) -> bool:
        """Show ``contact_id`` in the pane and select it in the table (the global search).

        Rows load until it appears; when the search or filters hide it they are cleared
        first, and when it sorts beyond the first ``JUMP_LOAD_LIMIT`` rows the table is
        narrowed to it (its email or name in the search box) rather than loading
        thousands of rows. Returns False when the cache does not know the contact.
        """
        reader = self._reader
        try:
            doc = reader.document(contact_id) if reader is not None else None
        except StorageError as exc:
            log.error("could not read contact %s", contact_id, exc_info=exc)
            doc = None
        if doc is None:
            return False
        self.model.flush_changes()  # pending sync changes first: they may move rows
        row = self.model.row_of(contact_id)
        if row < 0 and (self.search.text or self.search.filters != ContactFilters()):
            self._set_box_text("")
            self._clear_filters()
            self.search.apply_now()
            row = self.model.row_of(contact_id)
        row = self._load_until(contact_id)
        if row < 0:
            narrow = str(
                doc.get("email")
                or " ".join(str(doc.get(k) or "") for k in ("firstName", "lastName"))
            ).strip()
            self._set_box_text(narrow)
            self.search.apply_now(narrow)
            row = self.model.row_of(contact_id)
        self.detail.show_contact(contact_id)
        if row >= 0:
            self._select_row(row)
        return True

    def _set_box_text(self, text: str) -> None:
        self.search_box.blockSignals(True)
        self.search_box.setText(text)
        self.search_box.blockSignals(False)

    def _load_until(self, contact_id: str) -> int:
        """Load pages until ``contact_id`` is a row (at most ``JUMP_LOAD_LIMIT`` rows); its row."""
        root = QModelIndex()
        row = self.model.row_of(contact_id)
        while row < 0 and self.model.canFetchMore(root) and self.model.rowCount() < JUMP_LOAD_LIMIT:
            self.model.fetchMore(root)
            row = self.model.row_of(contact_id)
        return row

    def _select_contact(self, contact_id: str) -> None:
        """A contact was just created in the pane: select its row (the pane shows it)."""
        self.model.flush_changes()
        row = self._load_until(contact_id)
        if row >= 0:
            self._current_id = contact_id
            self._select_row(row)

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def _new_contact(self) -> None:
        if self._reader is None:
            return
        if self.detail.start_new():
            self.table.selectionModel().clear()
            self._current_id = None

    # ------------------------------------------------------------------ import and export

    def open_import(self, path: Path | None = None) -> ContactImportDialog | None:
        """The CSV import dialog for the shown sub-account (``path``: a file already chosen)."""
        if self._reader is None:
            return None
        dialog = ContactImportDialog(self.port.importer(), self, path=path, tasks=self.tasks)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.importFinished.connect(self._import_finished)
        dialog.open()
        return dialog

    def _import(self) -> None:
        self.open_import()

    def _import_finished(self, report: ImportReport) -> None:
        self.show_import_finished(report)

    def show_import_finished(self, report: ImportReport) -> None:
        """The banner closing an import: its counts, the main reason of the rows not
        written, and "Show report…" (a cancelled or stopped import is not a success)."""
        failed = report.count(RowStatus.FAILED)
        incomplete = bool(report.cancelled or report.stopped_reason or report.problems)
        severity = report_severity(failed=failed, incomplete=incomplete)
        title = "Import cancelled" if report.cancelled else "Import finished"
        summary = f"{title}: {report.summary()}"
        if report.stopped_reason:
            summary += f" Stopped: {report.stopped_reason}"
        states = {RowStatus.FAILED: LineState.FAILED}
        lines = [
            ReportLine(
                f"Line {o.line}: {o.label or o.email or 'row'}",
                o.status.value.capitalize(),
                states.get(o.status, LineState.DONE if o.status in WRITTEN else LineState.SKIPPED),
                o.reason,
            )
            for o in report.outcomes
        ]

        def show() -> None:
            open_report(self, "Import report", summary, severity, lines)

        self.banner.show_message(severity, with_reason(summary, lines), report=show)

    def _export(self) -> None:
        if self._reader is not None:
            self.tasks.spawn(
                export_to_csv(self, self._reader, self.model.query), "export", replace=True
            )

    # ------------------------------------------------------------------ bulk actions

    def _bulk_tags(self) -> None:
        ids = self.selected_ids()
        if not ids or self._reader is None:
            return
        try:
            known = list(self._reader.choices().tags)
        except StorageError as exc:
            log.warning("could not read the known tags: %s", exc)
            known = []
        dialog = TagsDialog(len(ids), known, self)
        self.tasks.spawn(self._tags_flow(dialog, ids), "bulk-tags-dialog")

    async def _tags_flow(self, dialog: TagsDialog, ids: list[str]) -> None:
        dialog.open()
        result = await await_signal(dialog.finished)
        if result == QDialog.DialogCode.Accepted and dialog.chosen_tags():
            await self.run_bulk(dialog.action(), ids)
        dialog.deleteLater()

    def _bulk_stage(self, stage: str) -> None:
        ids = self.selected_ids()
        if ids:
            self.tasks.spawn(self.run_bulk(BulkAction(BulkKind.SET_STAGE, stage=stage), ids))

    def _run_workflow(self) -> None:
        ids = self.selected_ids()
        if ids:
            # The Webhooks & Automations tab runs it (and reports per contact).
            self.context.navigator.show_record("workflow-run", ",".join(ids))

    def _bulk_delete(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        noun = "this contact" if len(ids) == 1 else f"these {len(ids):,} contacts"
        box.setWindowTitle("Delete contacts")
        box.setText(f"Delete {noun}?")
        box.setInformativeText(
            "Their conversations will be hidden and their upcoming appointments cancelled. "
            "Seedly keeps deleted contacts for a while before removing them for good."
        )
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.tasks.spawn(self._delete_flow(box, delete, ids), "bulk-delete-dialog")

    async def _delete_flow(self, box: QMessageBox, delete: Any, ids: list[str]) -> None:
        box.open()
        await await_signal(box.finished)
        if box.clickedButton() is delete:
            await self.run_bulk(BulkAction(BulkKind.DELETE), ids)
        box.deleteLater()

    async def run_bulk(self, action: BulkAction, ids: list[str]) -> BulkReport | None:
        """Run ``action`` over ``ids`` with the job bar; returns the report (None if busy)."""
        if self._bulk is not None or self._reader is None:
            return None
        runner = self.port.bulk_runner()
        self._bulk = runner
        # Named now: a deleted contact leaves the table before the report is read.
        self._bulk_names = {i: self._contact_name(i) for i in ids}
        self._selection_changed()
        self.job_bar.start(action.describe(len(ids)), len(ids))
        try:
            report = await runner.run(action, ids, self.job_bar.progress)
        finally:
            self._bulk = None
            self.job_bar.hide()
            self._selection_changed()
        self._show_report(report)
        return report

    def _cancel_bulk(self) -> None:
        if self._bulk is not None:
            self._bulk.cancel()
            self.job_bar.cancel.setEnabled(False)
            self.job_bar.label.setText("Stopping after the current contact…")

    def _contact_name(self, contact_id: str) -> str:
        row = self.model.row_at(self.model.row_of(contact_id))
        if row is None:
            return contact_id
        return row.name or row.email or contact_id

    def report_lines(self, report: BulkReport) -> list[ReportLine]:
        """A bulk run's report, contact by contact (those not reached included)."""
        names = self._bulk_names

        def name(contact_id: str) -> str:
            return names.get(contact_id) or self._contact_name(contact_id)

        lines = [ReportLine(name(i), "Failed", LineState.FAILED, why) for i, why in report.failed]
        lines += [ReportLine(name(i), "Changed") for i in report.changed]
        lines += [ReportLine(name(i), "Already as asked") for i in report.unchanged]
        if report.not_reached:
            why = report.stopped_reason or "Cancelled before it was reached."
            attempted = {*report.changed, *report.unchanged, *(i for i, _ in report.failed)}
            lines += [
                ReportLine(name(i), "Not reached", LineState.SKIPPED, why)
                for i in names
                if i not in attempted
            ]
        return lines

    def _show_report(self, report: BulkReport) -> None:
        # Cancelled or stopped is not a success, even when nothing failed.
        severity = report_severity(
            failed=len(report.failed), incomplete=report.cancelled or bool(report.stopped_reason)
        )
        title = report.action.describe(report.total)
        summary = f"{title}: {report.summary()}"
        lines = self.report_lines(report)
        text = with_reason(summary, [line for line in lines if line.state is LineState.FAILED])

        def show() -> None:
            open_report(self, "Bulk action report", summary, severity, lines)

        self.banner.show_message(severity, text, report=show)
        self.last_report = report

    # ------------------------------------------------------------------ all sub-accounts

    @property
    def all_mode(self) -> bool:
        """Whether the search box searches every member sub-account (All sub-accounts)."""
        return self._merged is not None

    def set_all_mode(self, on: bool) -> None:
        """Search every member sub-account's contacts (``on``) or the open one's only; the
        open sub-account's table and pane stay either way. Called again in All mode when
        the members change."""
        if self.is_built:  # else the build reads the port's mode at its end
            self._show_all(on)

    def _show_all(self, on: bool) -> None:
        merged = self.port.merged_reader() if on else None
        if merged is self._merged:
            return
        self._merged = merged
        self.agency_search.void()
        self.agency_model.set_rows([])
        self.agency_hint.setVisible(merged is not None)
        self.agency_hint.show_text(HINT)
        self._search_all(self.search_box.text())

    def _merged_showing(self) -> bool:
        """Whether the merged results stand in place of the table (All mode, with text)."""
        return self._merged is not None and bool(self.search_box.text().strip())

    def _search_all(self, text: str) -> None:
        merged = self._merged
        if merged is None:
            if self.stack.currentWidget() is self.agency_results:
                self._update_empty()  # All mode ended: the merged results give way
            return
        if not text.strip():
            self.agency_search.void()
            self.agency_model.set_rows([])
            self.agency_hint.show_text(HINT)
        else:
            self.agency_search.search(merged, text.strip())
        self._update_empty()

    def _show_merged_results(self, text: str, results: AgencyContactResults) -> None:
        merged = self._merged
        if merged is None or text != self.search_box.text().strip():
            return  # All mode ended, or the text changed without a new search
        self.agency_model.set_rows(results.rows)
        members = [(m.sub_account_id, m.name) for m in merged.members()]
        self.agency_hint.show_text(counts_line(results, members))
        self._update_empty()

    def _open_in_owner(self, owner: str, contact_id: str) -> None:
        """A merged result was opened: its sub-account becomes the session's, then the
        contact shows in the normal table and pane (where it can be edited)."""
        self.tasks.spawn(self._switch_owner(owner, contact_id), "contacts-owner", replace=True)

    async def _switch_owner(self, owner: str, contact_id: str) -> None:
        outcome = await self.port.open_owner(owner)
        if outcome == "stayed":
            return
        reader = self.port.reader()
        if outcome != "opened" or reader is None or reader.sub_account_id != owner:
            self.banner.show_message(
                "danger", "Could not open that contact's sub-account. Try again."
            )
            return
        if reader is not self._reader:
            # The session event may still be on its way: show the sub-account now (the
            # event then finds it done).
            self._taken_over = reader
            self.set_reader(reader)
        # Leave the merged results for the full table, where the contact is selected.
        self._set_box_text("")
        self.agency_search.void()
        self.agency_model.set_rows([])
        self.agency_hint.show_text(HINT)
        self.search.apply_now("", self.search.filters)
        if not self.show_contact(contact_id):
            self.banner.show_message(
                "warning", "That contact is no longer in this sub-account's local copy."
            )
        self._update_empty()
