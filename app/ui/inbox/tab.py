"""The Inbox tab: views, filters and search over the conversation list, the thread, the contact.

Layout: a search and filter bar, an action bar (close, reopen, snooze, assign,
mark unread, new conversation) and a three-way splitter: the conversation list
(``ConversationListModel`` + ``ConversationDelegate``), the ``ThreadPane`` and
the ``ContactSidePanel`` (both built by their own modules; the tab hosts them).
The bars are widgets of ``bars``, the menus and list keys come from ``menus``, the
dialogs from ``dialogs``; this module holds the state and the logic that ties them.
Everything is read and done through the area's ``InboxPort``.

Everything listed comes from the active sub-account's cache; the sync
service's change events update rows in place. Actions go through a
``ConversationService`` (one per sub-account, also running the snooze timer);
they act on the selected conversations (several: a bulk run with a report of
what failed and why), else on the one open in the thread pane.

Opening a conversation reads it: its unread badge, its place in the Unread view
and in the tray count go at once (a local read mark, see ``ConversationService``).
A message that arrives in the open conversation while the user looks at it (the
window active, the tab shown) is read too; one that arrives while they are away
stays unread until they come back to it.

In "All sub-accounts" (``set_all_mode``, agency keys) the list merges every member
sub-account's cache; the session still has one sub-account open, the one acted in:
opening a row of another sub-account opens that one first (the list stays), so the
thread, the composer and every action use the owner's services, key and outbox. An
action on a selection of another sub-account opens that one first; a selection
spanning several sub-accounts offers none.

Keyboard (with the list focused): up/down move, Enter opens, E closes,
Shift+E reopens, S snoozes, A assigns, U marks unread, N opens the next unread
conversation, R writes a reply (focuses the composer), / searches.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QFrame,
    QInputDialog,
    QListView,
    QMenu,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.constants import CHANNELS
from app.core.errors import ApiError
from app.services.bus import ConversationsChanged, SessionChanged, SyncStatus
from app.services.ports.inbox import (
    ANY_MEMBER,
    AgencyInboxReader,
    ConversationBulkReport,
    ConversationFilters,
    ConversationService,
    InboxPort,
    InboxReader,
    MergedRow,
    StorageError,
    inbox_view,
)
from app.ui.area import Area, AreaContext
from app.ui.common.search import SearchPace
from app.ui.async_qt import BusBridge, TaskSet, await_signal
from app.ui.inbox.bars import VIEWS, ActionBar, FilterBar
from app.ui.inbox.delegate import ConversationDelegate
from app.core.team import readable_member
from app.ui.inbox.list_model import (
    ConversationIdRole,
    ConversationListModel,
    InboxQuery,
    OwnerRole,
    RowKeyRole,
    StatusRole,
    UnreadCountRole,
    load_first_page,
)
from app.ui.inbox.dialogs import NewConversationDialog, SnoozeDialog
from app.ui.inbox.menus import fill_assign_menu, fill_me_menu, fill_snooze_menu, install_list_keys
from app.ui.inbox.notifications import InboxNotifier
from app.ui.theme import Spacing, icon
from app.ui.common.widgets import Banner, EmptyState

log = logging.getLogger(__name__)

SETTINGS_GROUP = "inbox"
"""Quiet time after a keystroke before the search runs (a newer keystroke cancels it)."""
JUMP_LOAD_LIMIT = 5000
"""Rows the list may load to reach a conversation chosen elsewhere (global search)."""
COUNTS_DELAY_MS = 120
ThreadFactory = Callable[[InboxPort, BusBridge, TaskSet, QWidget], QWidget]
"""Builds the thread pane: a widget with ``set_conversation`` and ``focus_composer``
(``ThreadControls``), optionally a ``contactLinkActivated`` signal, a ``model`` and an
async ``shutdown``."""
PanelFactory = Callable[[InboxPort, QWidget], QWidget]
"""Builds the contact panel: a widget with ``set_conversation`` (``PanelControls``)."""


class PanelControls(Protocol):
    """What the tab asks of the contact panel."""

    def set_conversation(self, conversation_id: str | None) -> None:
        """Show the contact of this conversation (None: nothing)."""


class ThreadControls(PanelControls, Protocol):
    """What the tab asks of the thread pane."""

    def focus_composer(self) -> None:
        """Put the cursor in the reply."""


def _default_thread(port: InboxPort, bridge: BusBridge, tasks: TaskSet, parent: QWidget) -> QWidget:
    from app.ui.inbox.thread import ThreadPane

    return ThreadPane(port, bridge, tasks, parent)


def _default_panel(port: InboxPort, parent: QWidget) -> QWidget:
    from app.ui.inbox.contact_panel import ContactSidePanel

    return ContactSidePanel(port, parent)


class InboxTab(Area):
    """The Inbox area of the main window (see the module docstring).

    ``thread_factory`` and ``panel_factory`` build the thread pane and the
    contact panel (default: ``ThreadPane`` and ``ContactSidePanel``).
    """

    area_name = "inbox"
    title = "Inbox"
    icon_name = "inbox"
    record_kinds = frozenset({"conversation"})
    poll_job = "inbox"
    preload = ("app.ui.inbox.thread", "app.ui.inbox.contact_panel")

    conversationOpened = Signal(str)
    """The thread pane now shows this conversation ("" when none)."""

    contactRequested = Signal(str)
    """The thread pane's contact link was activated: show this contact (its id)."""

    actionFinished = Signal(str, object)
    """An action on conversations finished: its name and the ``ConversationBulkReport``
    (also for a single conversation), after the banner showed the outcome."""

    def __init__(
        self,
        context: AreaContext[InboxPort],
        parent: QWidget | None = None,
        *,
        thread_factory: ThreadFactory | None = None,
        panel_factory: PanelFactory | None = None,
    ) -> None:
        super().__init__(context, parent)
        self.port: InboxPort = context.port
        self.bridge = context.bridge
        self.tasks = context.tasks
        self._thread_factory = thread_factory or _default_thread
        self._panel_factory = panel_factory or _default_panel
        self.service: ConversationService | None = None
        self._reader: InboxReader | None = None
        self._merged: AgencyInboxReader | None = None
        self._pending_owner: tuple[str, str] | None = None
        self._taken_over: int | None = None
        """The session generation the tab took over before its event arrived."""
        self._syncing = False
        self._open_id: str | None = None
        self._busy = False
        self._anchor: tuple[str, int] | None = None
        self._view = "all"
        self._status: str | None = "open"
        self._channel: str | None = None
        self._assignee: str | None = None
        self._text = ""
        self._read_page = load_first_page
        self._closed = False
        self.search_generation = 0
        """Increases with every search request; only the newest result is applied."""
        self.search_pace = SearchPace()
        """How long a keystroke waits before its search runs (none after a cheap query)."""
        self.searches_applied: list[str] = []
        """Texts whose results were applied, in order (diagnostics and tests)."""
        # Before the widgets: the window's Settings menu offers its mute entries at start.
        self.notifier = InboxNotifier(self.port, self, window_active=self._user_is_looking)
        """Desktop notifications and the tray badge (``notifier.settings_menu()`` mutes)."""

    def build_steps(self) -> Iterator[None]:
        """The list and its bar first, then the thread and the contact panel, then wiring."""
        self.model = ConversationListModel(self)
        self.delegate = ConversationDelegate(self)
        yield from self._build(self._thread_factory, self._panel_factory)
        bridge = self.bridge
        self.notifier.openRequested.connect(self._open_from_notification)
        # A notice of another sub-account: that sub-account, then its thread (All
        # sub-accounts stays chosen; unsaved work is asked about first, as the picker does).
        self.notifier.openElsewhereRequested.connect(self.show_conversation_in)
        bridge.sessionChanged.connect(self._on_session)
        bridge.conversationsChanged.connect(self._on_conversations_changed)
        bridge.syncStatusChanged.connect(self._on_sync_status)
        bridge.messagesChanged.connect(lambda _e: self.model.refresh_drafts())
        bridge.outboxChanged.connect(lambda _e: self.model.refresh_drafts())
        self.model.countChanged.connect(lambda _n: self._after_count())
        self.model.modelReset.connect(self._after_reset)
        self.model.loadFailed.connect(lambda text: self.banner.show_message("danger", text))
        self.model.changesAboutToApply.connect(self._remember_anchor)
        self.model.changesApplied.connect(self._after_changes)
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(COUNTS_DELAY_MS)
        self._counts_timer.timeout.connect(self._refresh_counts)
        self._clock = QTimer(self)
        self._clock.setInterval(60_000)
        self._clock.timeout.connect(self.model.tick)
        self._clock.start()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            # Back to the window with a conversation open: what arrived meanwhile is read.
            app.focusWindowChanged.connect(self._looking_again)
        self._set_reader(self.port.reader())
        if self.port.all_mode():
            self._show_all(True)

    # ------------------------------------------------------------------ building

    def _build(self, thread_factory: ThreadFactory, panel_factory: PanelFactory) -> Iterator[None]:
        root = QVBoxLayout(self)
        root.setContentsMargins(Spacing.M, Spacing.M, Spacing.M, Spacing.S)
        root.setSpacing(Spacing.S)
        self.banner = Banner(self)
        root.addWidget(self.banner)

        # Search, views and filters; the count and the actions.
        filters = self.filter_bar = FilterBar(self)
        self.search_box = filters.search_box
        self.view_group, self.view_buttons = filters.view_group, filters.view_buttons
        self.me_button, self.me_menu = filters.me_button, filters.me_menu
        self.status_filter = filters.status_filter
        self.channel_filter = filters.channel_filter
        self.assignee_filter = filters.assignee_filter
        self.search_box.textChanged.connect(self._search_typed)
        self.search_box.returnPressed.connect(self._search_now)
        for kind, button in self.view_buttons.items():
            button.clicked.connect(lambda _c=False, k=kind: self.set_view(k))
        self.me_menu.aboutToShow.connect(self._fill_me_menu)
        for combo in (self.status_filter, self.channel_filter, self.assignee_filter):
            combo.currentIndexChanged.connect(self._filters_chosen)
        root.addWidget(filters)

        actions = self.action_bar = ActionBar(self)
        self.count_label, self.selection_label = actions.count_label, actions.selection_label
        self.close_button, self.reopen_button = actions.close_button, actions.reopen_button
        self.snooze_button, self.snooze_menu = actions.snooze_button, actions.snooze_menu
        self.assign_button, self.assign_menu = actions.assign_button, actions.assign_menu
        self.unread_button, self.new_button = actions.unread_button, actions.new_button
        self.close_button.clicked.connect(self._close_clicked)
        self.reopen_button.clicked.connect(self._reopen_clicked)
        self.unread_button.clicked.connect(self._mark_unread_clicked)
        self.snooze_menu.aboutToShow.connect(self._fill_snooze_menu)
        self.assign_menu.aboutToShow.connect(self._fill_assign_menu)
        self.new_button.clicked.connect(lambda: self.new_conversation())
        root.addWidget(actions)
        yield

        # The list, the thread and the contact.
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.stack = QStackedWidget(self.splitter)
        self.list = QListView(self.stack)
        self.list.setObjectName("conversationList")
        self.list.setModel(self.model)
        self.list.setItemDelegate(self.delegate)
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setMouseTracking(True)
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.list.clicked.connect(self._clicked)
        self.list.activated.connect(lambda index: self.open_index(index))
        self.list.selectionModel().selectionChanged.connect(self._selection_changed)
        # A status changed by a sync or an action changes what Close and Reopen can do.
        self.model.dataChanged.connect(self._selection_changed)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.empty = EmptyState(self.stack)
        self.empty.actionClicked.connect(self._empty_action)
        self.stack.addWidget(self.list)
        self.stack.addWidget(self.empty)
        self.stack.setMinimumWidth(300)
        yield
        self.thread_pane = thread_factory(self.port, self.bridge, self.tasks, self.splitter)
        self.thread_pane.setMinimumWidth(360)
        link = getattr(self.thread_pane, "contactLinkActivated", None)
        if link is not None:
            link.connect(self._contact_link)
        yield  # the thread (with its composer) and the contact panel: a step each
        self.panel = panel_factory(self.port, self.splitter)
        for signal_name, kind in (
            ("bookRequested", "booking"),
            ("workflowRequested", "workflow-run"),
        ):
            request = getattr(self.panel, signal_name, None)
            if request is not None:
                request.connect(
                    lambda contact_id, k=kind: self.context.navigator.show_record(k, contact_id)
                )
        # The factories' contract (see ``ThreadFactory`` and ``PanelFactory``).
        self._thread_controls = cast(ThreadControls, self.thread_pane)
        self._panel_controls = cast(PanelControls, self.panel)
        self.panel.setMinimumWidth(220)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.thread_pane)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self._split_restored = False
        self.splitter.setChildrenCollapsible(False)
        root.addWidget(self.splitter, 1)
        self._shortcuts()
        self._update_me_button()
        self._selection_changed()

    def _shortcuts(self) -> None:
        self.list_actions = install_list_keys(
            self.list,
            [
                ("E", self._close_clicked),
                ("Shift+E", self._reopen_clicked),
                ("S", lambda: self._popup_at_current(self.snooze_menu)),
                ("A", lambda: self._popup_at_current(self.assign_menu)),
                ("U", self._mark_unread_clicked),
                ("N", self.next_unread),
                ("R", self.focus_composer),
                ("/", self.search_box.setFocus),
                ("Return", lambda: self.open_index(self.list.currentIndex())),
                ("Enter", lambda: self.open_index(self.list.currentIndex())),
            ],
        )
        new = QAction(self)
        new.setShortcut(QKeySequence("Ctrl+Shift+N"))
        new.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        new.triggered.connect(lambda: self.new_conversation())
        self.addAction(new)

    # ------------------------------------------------------------------ scope

    def _on_session(self, event: SessionChanged) -> None:
        self._syncing = True
        reader = self.port.reader_for(event.scope)
        if reader is not None and event.generation == self._taken_over:
            return  # already taken over when a conversation of it was opened
        if self._merged is not None:
            # The merged list stays; what acts (thread, actions) follows the session.
            self._set_active(reader)
            self._update_me_button()
            self._sync_widgets()
            self._selection_changed()
            return
        self._set_reader(reader)

    def _set_reader(self, reader: InboxReader | None) -> None:
        """Show another sub-account at once (cached rows first, then the sync's)."""
        self.tasks.cancel("inbox-search")
        self.search_generation += 1
        self._set_active(reader)
        if self._view == "mine" and not self._me_for_view():
            self._view = "all"
        # Assignees are team members of the old sub-account.
        self._assignee = None
        if self._merged is not None:
            self.model.set_merged(self._merged, self._query())
        else:
            self.model.set_reader(reader, self._query())
        self._refresh_choices()
        self._sync_widgets()
        self._update_empty()
        self.loadedChanged.emit(self.is_loaded())

    def _set_active(self, reader: InboxReader | None) -> None:
        """The sub-account acted in (the session's): its service, thread and notifier."""
        self.tasks.cancel("inbox-snooze-timer")
        self._reader = reader
        self._anchor = None
        self.banner.hide()
        self.service = self.port.conversation_service() if reader is not None else None
        self._open(None)
        self.notifier.set_reader(reader, self.service.scope if self.service else None)
        if self.service is not None:
            try:
                self.tasks.spawn(self.service.run_snooze_timer(), "inbox-snooze-timer")
            except RuntimeError as exc:  # no loop yet (built before the app runs)
                log.debug("snooze timer not started: %s", exc)

    # ------------------------------------------------------------------ all sub-accounts

    @property
    def all_mode(self) -> bool:
        """Whether the list merges every member sub-account (All sub-accounts)."""
        return self._merged is not None

    def set_all_mode(self, on: bool) -> None:
        """Show the merged list of the member sub-accounts (``on``), or the session's own
        sub-account again. The window calls it from its picker; called again in All mode
        it takes a new choice of members (the same members: nothing happens)."""
        if self.is_built:  # else the build reads the port's mode at its end
            self._show_all(on)

    def _show_all(self, on: bool) -> None:
        merged = self.port.merged_reader() if on else None
        if merged is self._merged:
            return
        self._merged = merged
        self._pending_owner = None
        self.tasks.cancel("inbox-owner")
        self.tasks.cancel("inbox-search")
        self.search_generation += 1
        self._anchor = None
        if self._view == "mine" and not self._me_for_view():
            self._view = "all"
        if merged is not None:
            self.model.set_merged(merged, self._query())
        else:
            self.model.set_reader(self._reader, self._query())
        self.delegate.set_open_conversation(self._open_key())
        self._sync_widgets()
        self._update_empty()
        self._selection_changed()
        self.loadedChanged.emit(self.is_loaded())

    def _active_sub(self) -> str | None:
        reader = self._reader
        return None if reader is None else reader.sub_account_id

    def _open_key(self) -> str | None:
        """The open conversation's row key (in the merged list: with its owner)."""
        return self.model.key_of(self._open_id, self._active_sub())

    def _open_row(self) -> int:
        key = self._open_key()
        return self.model.row_of(key) if key else -1

    def _me_for_view(self) -> str | None:
        """The user id of the Mine view: the user's own here, or in the merged list a
        placeholder each member replaces with its own (when one is known anywhere)."""
        merged = self._merged
        if merged is not None:
            return ANY_MEMBER if merged.has_identity() else None
        return self.my_user_id()

    def _open_in_owner(self, owner: str, conversation_id: str) -> None:
        """A row of another sub-account was opened in the merged list: that sub-account
        becomes the session's (its key, outbox and services), then its thread opens."""
        self._pending_owner = (owner, conversation_id)
        self.tasks.spawn(self._switch_owner(owner, conversation_id), "inbox-owner", replace=True)

    async def _switch_owner(self, owner: str, conversation_id: str) -> None:
        outcome = await self.port.open_owner(owner)
        if self._pending_owner != (owner, conversation_id) or self._closed:
            return  # another conversation was opened meanwhile
        self._pending_owner = None
        if outcome == "stayed":
            return
        reader = self.port.reader()
        if outcome != "opened" or reader is None or reader.sub_account_id != owner:
            self.banner.show_message(
                "danger", "Could not open that conversation's sub-account. Try again."
            )
            return
        if reader != self._reader or self._taken_over != self.port.generation():
            # The session event may still be on its way: take the sub-account over now
            # (the event then finds it done). The merged list stays; a single one follows.
            if self._merged is not None:
                self._set_active(reader)
            else:
                self._set_reader(reader)
            self._taken_over = self.port.generation()
        self.show_conversation(conversation_id)
        self._selection_changed()

    def show_conversation_in(self, sub_account_id: str, conversation_id: str) -> None:
        """Select and open a conversation of any sub-account of the connection (a
        notification of another sub-account): that sub-account is opened first when it is
        not the open one; in All sub-accounts the merged list stays."""
        self.build()
        if sub_account_id == self._active_sub():
            self._pending_owner = None
            self.show_conversation(conversation_id)
            return
        self._open_in_owner(sub_account_id, conversation_id)

    def _on_conversations_changed(self, event: ConversationsChanged) -> None:
        if self.service is not None:
            # Before the list reads the rows: a message that arrives while the user reads
            # its thread is read, and the local marks are laid over what a sync stored.
            self.service.apply_changes(event, reading=self.notifier.reading_conversation())
        self.model.refresh(event)
        self.notifier.on_conversations_changed(event)
        if (
            self._open_id is not None
            and self._open_id in event.deleted
            and event.scope.sub_account_id == self._active_sub()
        ):
            self._open(None)

    def _on_sync_status(self, status: SyncStatus) -> None:
        reader = self._reader
        if reader is None or status.scope is None:
            return
        if status.scope.sub_account_id != reader.sub_account_id:
            return
        self._syncing = status.state == "syncing"
        if status.state == "idle":
            self.notifier.sync_settled(status.scope)
        self._update_empty()
        self.loadedChanged.emit(self.is_loaded())

    def is_loaded(self) -> bool:
        """Whether the shown sub-account's conversations are on screen (or known to be none)."""
        if not self.is_built or self._reader is None:
            return False
        has_synced = self._reader.conversations_synced()
        return has_synced and (self.model.rowCount() > 0 or not self._syncing)

    async def prepare_screenshot(self, timeout: float = 60.0) -> bool:
        """``--screenshot``: once the list is loaded, open the first conversation (when none
        is open) and wait for its messages, so the picture shows a thread."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.is_loaded():
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.1)
        if self._open_id is None and self.model.rowCount() > 0:
            self._select_row(0)
        thread_model = getattr(self.thread_pane, "model", None)
        while thread_model is not None and self._open_id is not None:
            if thread_model.rowCount() > 0:
                return True
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.1)
        return True

    # ------------------------------------------------------------------ identity

    def my_user_id(self) -> str | None:
        """The team member id the user chose as theirs in this sub-account (for Mine)."""
        return self.port.my_user_id(self._reader)

    def set_my_user_id(self, user_id: str | None) -> None:
        """Remember who the user is in this sub-account (None: forget); Mine follows."""
        if self._reader is None:
            return
        self.port.set_my_user_id(self._reader, user_id)
        self._update_me_button()
        if self._view == "mine":
            if user_id:
                self._apply_query()
            else:
                self.set_view("all")

    def _update_me_button(self) -> None:
        me = self.my_user_id()
        if me:
            self.me_button.setText(self._member_label(me))
            self.me_button.setToolTip(f"You are {self._member_label(me)} ({me}). Change…")
        else:
            self.me_button.setText("Who am I?")
            self.me_button.setToolTip(
                "Choose your team member id once: the Mine view lists what is assigned to you."
            )

    def _fill_me_menu(self) -> None:
        fill_me_menu(
            self.me_menu,
            self.my_user_id(),
            self._team_members(),
            self._member_label,
            self.set_my_user_id,
        )

    def _team_members(self) -> list[str]:
        if self.service is None:
            return []
        try:
            return self.service.team_member_ids()
        except StorageError as exc:
            log.warning("could not read the team members: %s", exc)
            return []

    def _member_label(self, user_id: str) -> str:
        return self.model.assignee_label(user_id) or readable_member(user_id)

    # ------------------------------------------------------------------ views, filters, search

    def set_view(self, kind: str) -> None:
        """Show All, Mine, Unassigned or Unread (Mine asks who the user is, once)."""
        if kind == "mine" and not self._me_for_view():
            self._sync_widgets()  # the button stays on the current view until chosen
            self.banner.show_message(
                "info",
                "Choose who you are in this sub-account to see the conversations assigned to you.",
            )
            self.me_menu.popup(self.me_button.mapToGlobal(QPoint(0, self.me_button.height())))
            return
        self._view = kind
        self._sync_widgets()
        self._apply_query()

    def set_filters(self, *, status: Any = ..., channel: Any = ..., assigned_to: Any = ...) -> None:
        """Change the status, channel and assignee filters (``...`` keeps a filter)."""
        if status is not ...:
            self._status = status
        if channel is not ...:
            self._channel = channel
        if assigned_to is not ...:
            self._assignee = assigned_to
        self._sync_widgets()
        self._apply_query()

    def _filters_chosen(self, *_: Any) -> None:
        self._status = self.status_filter.currentData()
        self._channel = self.channel_filter.currentData()
        self._assignee = self.assignee_filter.currentData()
        self._apply_query()

    def _query(self) -> InboxQuery:
        view = inbox_view(self._view, self._me_for_view())
        filters = ConversationFilters(
            status=self._status,
            channel=self._channel,
            assigned_to=self._assignee,
            # Within the Unread view the conversation being read stays (see ``_open``);
            # another view, entered later, starts without it.
            keep_id=self.model.query.filters.keep_id if self._view == "unread" else None,
        )
        return InboxQuery(view, filters, self._text.strip() or None)

    def _apply_query(self) -> None:
        """Show the current view, filters and text at once, on this thread."""
        self.tasks.cancel("inbox-search")
        self.search_generation += 1
        self.model.set_query(self._query())

    def _sync_widgets(self) -> None:
        button = self.view_buttons.get(self._view)
        if button is not None:
            button.setChecked(True)
        for combo, value in (
            (self.status_filter, self._status),
            (self.channel_filter, self._channel),
            (self.assignee_filter, self._assignee),
        ):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            combo.blockSignals(False)

    def _refresh_choices(self) -> None:
        members = self._team_members()
        combo = self.assignee_filter
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("Anyone", None)
        for member in members:
            combo.addItem(icon("user"), self._member_label(member), member)
        combo.setCurrentIndex(max(0, combo.findData(self._assignee)))
        combo.blockSignals(False)
        self._update_me_button()

    def _search_typed(self, text: str) -> None:
        """A keystroke: the previous search (waiting or running) is cancelled."""
        self._text = text
        self.search_generation += 1
        try:
            self.tasks.spawn(
                self._search(self.search_generation, self.search_pace.delay_ms() / 1000),
                "inbox-search",
                replace=True,
            )
        except RuntimeError as exc:  # no loop (the tab used without one): search inline
            log.debug("inline search: %s", exc)
            self._apply_query()

    def _search_now(self) -> None:
        self.search_generation += 1
        self.tasks.spawn(self._search(self.search_generation, 0), "inbox-search", replace=True)

    async def _search(self, generation: int, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        reader = self._reader
        if reader is None or generation != self.search_generation:
            return
        query = self._query()
        started = time.perf_counter()
        merged = self._merged
        docs: Sequence[dict[str, Any] | MergedRow]
        try:
            if merged is not None:
                docs, total = await asyncio.to_thread(
                    merged.first_page, query.view, query.filters, query.text, self.model.page_size
                )
            else:
                docs, total = await asyncio.to_thread(
                    self._read_page, reader, query, self.model.page_size
                )
        except StorageError as exc:
            self.banner.show_message("danger", f"Could not search the local cache ({exc}).")
            return
        if generation != self.search_generation:
            return  # a newer keystroke or view: this answer is stale
        if self.model.apply_first_page(merged or reader, query, docs, total):
            self.searches_applied.append(query.text or "")
        self.search_pace.record((time.perf_counter() - started) * 1000)

    def search(self, text: str) -> None:
        """Type ``text`` into the search box (it runs after the debounce)."""
        self.search_box.setText(text)

    def clear_search_and_filters(self) -> None:
        """Back to everything: no search, any status, channel and assignee, the All view."""
        self.search_box.blockSignals(True)
        self.search_box.clear()
        self.search_box.blockSignals(False)
        self._text = ""
        self._view = "all"
        self._status = self._channel = self._assignee = None
        self._sync_widgets()
        self._apply_query()

    # ------------------------------------------------------------------ counts and empty state

    def _after_count(self) -> None:
        if self._closed:
            return
        total = self.model.total_count
        noun = "conversation" if total == 1 else "conversations"
        matching = " matching" if self._text.strip() else ""
        self.count_label.setText(f"{total:,}{matching} {noun}")
        self._counts_timer.start()
        self._update_empty()
        self.loadedChanged.emit(self.is_loaded())

    def _refresh_counts(self) -> None:
        if self._merged is not None:
            # Every member counts four views: on a worker, not on the window's thread.
            try:
                self.tasks.spawn(self._counts_on_worker(), "inbox-counts", replace=True)
                return
            except RuntimeError as exc:  # no loop (the tab used without one): count here
                log.debug("inline counts: %s", exc)
        try:
            self._show_counts()
        except StorageError as exc:
            log.warning("could not count the inbox views: %s", exc)

    def _count_plan(self) -> tuple[InboxReader | AgencyInboxReader | None, list[tuple[str, Any]]]:
        """What to count: the reader and, per view button, its view (None: no count)."""
        reader = self._reader
        if reader is None:
            return None, [(kind, None) for kind in self.view_buttons]
        me = self._me_for_view()
        plan = [
            (kind, None if kind == "mine" and not me else inbox_view(kind, me))
            for kind in self.view_buttons
        ]
        return self._merged or reader, plan

    def _count_filters(self) -> ConversationFilters:
        # The count says how many are unread (and so on), not what the list keeps in view,
        # nor what the search matches: the counts stay put while the user types.
        return replace(self._query().filters, keep_id=None)

    @staticmethod
    def _count_views(
        counter: InboxReader | AgencyInboxReader | None,
        plan: list[tuple[str, Any]],
        filters: ConversationFilters,
    ) -> dict[str, int | None]:
        """Each view's count (None: not counted, or unreadable). Reads only: any thread."""
        counts: dict[str, int | None] = {}
        for kind, view in plan:
            if counter is None or view is None:
                counts[kind] = None
                continue
            try:
                counts[kind] = counter.count(view, filters, None)
            except StorageError as exc:
                log.warning("could not count the %s view: %s", kind, exc)
                counts[kind] = -1
        return counts

    def _apply_counts(self, counts: dict[str, int | None]) -> None:
        labels = dict(VIEWS)
        for kind, button in self.view_buttons.items():
            count = counts.get(kind)
            if count is not None and count < 0:
                continue  # unreadable: the label stays as it was
            button.setText(f"{labels[kind]} {count:,}" if count else labels[kind])

    def _show_counts(self) -> None:
        counter, plan = self._count_plan()
        self._apply_counts(self._count_views(counter, plan, self._count_filters()))

    async def _counts_on_worker(self) -> None:
        counter, plan = self._count_plan()
        filters = self._count_filters()
        counts = await asyncio.to_thread(self._count_views, counter, plan, filters)
        if self._closed or counter is not (self._merged or self._reader):
            return  # another sub-account or mode meanwhile: its own count follows
        self._apply_counts(counts)

    def view_counts(self) -> dict[str, str]:
        """The view buttons' labels (with their counts) as shown."""
        self.tasks.cancel("inbox-counts")
        self._show_counts()
        return {kind: button.text() for kind, button in self.view_buttons.items()}

    def _update_empty(self) -> None:
        reader = self._reader
        if reader is None:
            self.empty.set_content("inbox", "No sub-account open", "Connect to Seedly CRM first.")
            self.stack.setCurrentWidget(self.empty)
            return
        if self.model.total_count > 0:
            self.stack.setCurrentWidget(self.list)
            return
        query = self._query()
        filtered = query.text is not None or query.filters != ConversationFilters()
        if self._syncing and not reader.conversations_synced():
            self.empty.set_content(
                "sync", "Loading conversations…", "The first sync of this sub-account is running."
            )
        elif self._view == "unread" and query.text is None:
            self.empty.set_content(
                "check", "All caught up", "No conversation has unread messages.", "Show all"
            )
        elif self._view == "mine" and not filtered:
            self.empty.set_content(
                "user",
                "Nothing assigned to you",
                "Conversations assigned to you show here.",
                "Show all",
            )
        elif filtered or self._view != "all":
            self.empty.set_content(
                "search",
                "No matching conversations",
                "Nothing in these sub-accounts matches the view, search and filters."
                if self._merged is not None
                else "Nothing in this sub-account matches the view, search and filters.",
                "Clear search and filters",
            )
        elif self._merged is not None:
            self.empty.set_content(
                "inbox",
                "No conversations yet",
                "Every sub-account's conversations show here once it was opened once "
                "(its cache). Start one with New conversation.",
                "New conversation",
            )
        else:
            self.empty.set_content(
                "inbox",
                "No conversations yet",
                "Messages from contacts show here. Start one with New conversation.",
                "New conversation",
            )
        self.stack.setCurrentWidget(self.empty)

    def _empty_action(self) -> None:
        if self.empty.button.text() == "New conversation":
            self.new_conversation()
        else:
            self.clear_search_and_filters()

    # ------------------------------------------------------------------ the list

    def _after_reset(self) -> None:
        """New rows (view, filter, search, sub-account): keep the open conversation selected
        when it is listed."""
        self._update_empty()
        row = self._open_row()
        if row >= 0:
            self._select_row(row, open_it=False)
        self._selection_changed()

    def _remember_anchor(self) -> None:
        bar = self.list.verticalScrollBar()
        self._anchor = None
        if bar.value() <= 0:
            return  # at the top new conversations push the list down, as expected
        index = self.list.indexAt(QPoint(4, 1))
        if index.isValid():
            self._anchor = (str(index.data(RowKeyRole)), self.list.visualRect(index).top())

    def _after_changes(self) -> None:
        anchor, self._anchor = self._anchor, None
        if anchor is not None:
            row = self.model.row_of(anchor[0])
            if row >= 0:
                # Rows moved above the first visible one: scroll by as much, so what the
                # user was looking at stays where it was.
                top = self.list.visualRect(self.model.index(row, 0)).top()
                bar = self.list.verticalScrollBar()
                bar.setValue(bar.value() + top - anchor[1])
        self._counts_timer.start()
        self._update_empty()
        self._selection_changed()

    def _clicked(self, index: QModelIndex) -> None:
        modifiers = QApplication.keyboardModifiers()
        if modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier):
            return  # extending the selection, not opening
        self.open_index(index)

    def open_index(self, index: QModelIndex | QPersistentModelIndex) -> None:
        """Open the conversation of a row in the thread pane (in the merged list, a row of
        another sub-account makes that one the session's first)."""
        if not index.isValid():
            return
        conversation_id = str(index.data(ConversationIdRole))
        owner = index.data(OwnerRole)
        if self._merged is not None and owner is not None and owner != self._active_sub():
            self._open_in_owner(str(owner), conversation_id)
            return
        self._pending_owner = None
        self._open(conversation_id)

    def _open(self, conversation_id: str | None) -> None:
        if conversation_id == self._open_id:
            return
        self._open_id = conversation_id
        # In the Unread view the conversation being read stays listed until the user moves
        # on (rows vanishing under the cursor would make the list jump).
        self.model.keep_in_view(self._open_key() if self._view == "unread" else None)
        if conversation_id is not None and self.service is not None:
            # Opening a conversation reads it: its unread count (and a local unread mark) go.
            self.service.mark_read(conversation_id)
        self._thread_controls.set_conversation(conversation_id)
        self._panel_controls.set_conversation(conversation_id)
        if self.port.polled_conversation() != conversation_id:
            self.port.open_conversation(conversation_id)
        self.notifier.set_open_conversation(conversation_id)
        self.delegate.set_open_conversation(self._open_key())
        self.list.viewport().update()
        self.model.refresh_drafts()  # the composer kept the draft of the one left
        self.conversationOpened.emit(conversation_id or "")

    @property
    def open_conversation_id(self) -> str | None:
        """The conversation shown in the thread pane, or None."""
        return self._open_id

    def _select_row(self, row: int, *, open_it: bool = True) -> None:
        index = self.model.index(row, 0)
        self.list.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.list.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        if open_it:
            self.open_index(index)

    def _load_until(self, conversation_id: str) -> int:
        root = QModelIndex()
        key = self.model.key_of(conversation_id, self._active_sub())
        if key is None:
            return -1
        row = self.model.row_of(key)
        while row < 0 and self.model.canFetchMore(root) and self.model.rowCount() < JUMP_LOAD_LIMIT:
            self.model.fetchMore(root)
            row = self.model.row_of(key)
        return row

    def show_conversation(self, conversation_id: str) -> bool:
        """Select and open ``conversation_id`` (the global search, a notification).

        Rows load until it appears; when the view, search or filters hide it they are
        cleared first. False when the cache does not know the conversation."""
        reader = self._reader
        try:
            doc = reader.conversation(conversation_id) if reader else None
        except StorageError:
            doc = None
        if doc is None:
            return False
        self.tasks.cancel("inbox-search")
        self.model.flush_changes()
        row = self._load_until(conversation_id)
        if row < 0:
            self.clear_search_and_filters()
            row = self._load_until(conversation_id)
        if row >= 0:
            self._select_row(row, open_it=False)
        self._open(conversation_id)
        return True

    def _selection_elsewhere(self) -> tuple[str, list[str]] | None:
        """In the merged list, a selection wholly of one sub-account other than the open
        one: that sub-account and the conversation ids (else None)."""
        if self._merged is None:
            return None
        rows = sorted({index.row() for index in self.list.selectionModel().selectedIndexes()})
        owners = {self.model.index(row, 0).data(OwnerRole) for row in rows}
        if len(owners) != 1:
            return None
        owner = owners.pop()
        if owner is None or owner == self._active_sub():
            return None
        return str(owner), [str(self.model.index(r, 0).data(ConversationIdRole)) for r in rows]

    async def _act_in_owner(
        self, owner: str, action: str, ids: list[str], options: dict[str, Any]
    ) -> None:
        """An action on conversations of another sub-account than the open one (the keys on
        a merged list): that sub-account is opened first, then the action runs there."""
        outcome = await self.port.open_owner(owner)
        if outcome == "stayed":
            return
        reader = self.port.reader()
        if outcome != "opened" or reader is None or reader.sub_account_id != owner:
            self.banner.show_message(
                "danger", "Could not open the sub-account of those conversations. Try again."
            )
            return
        if reader != self._reader or self._taken_over != self.port.generation():
            self._set_active(reader)  # the session event may still be on its way
            self._taken_over = self.port.generation()
        if action == "mark-unread":
            service = self.service
            if service is not None:
                for conversation_id in ids:
                    service.mark_unread(conversation_id)
                self.model.flush_changes()
            return
        await self.run_action(action, ids, **options)

    def selected_ids(self) -> list[str]:
        """Ids of the selected conversations in row order (the open one when none is). In
        the merged list only conversations of the session's sub-account can be acted on:
        a selection holding another sub-account's gives none."""
        rows = sorted({index.row() for index in self.list.selectionModel().selectedIndexes()})
        if self._merged is not None:
            active = self._active_sub()
            owners = {self.model.index(row, 0).data(OwnerRole) for row in rows}
            if owners and owners != {active}:
                return []
            ids = [str(self.model.index(row, 0).data(ConversationIdRole)) for row in rows]
        else:
            ids = self.model.ids_at(rows)
        if not ids and self._open_id is not None:
            return [self._open_id]
        return ids

    def _target_statuses(self) -> set[str]:
        """The statuses of the conversations an action would change (empty: not known)."""
        rows = {index.row() for index in self.list.selectionModel().selectedIndexes()}
        if not rows and self._open_id is not None:
            rows = {self._open_row()} - {-1}
        return {str(self.model.index(row, 0).data(StatusRole) or "") for row in rows}

    def can_close(self) -> bool:
        """Whether Close applies: something to act on that is not all closed already."""
        return self.close_button.isEnabled()

    def can_reopen(self) -> bool:
        """Whether Reopen applies: something to act on that is not all open already."""
        return self.reopen_button.isEnabled()

    def _selection_changed(self, *_: Any) -> None:
        count = len(self.list.selectionModel().selectedIndexes())
        elsewhere = self._selection_elsewhere()
        has_target = (bool(self.selected_ids()) or elsewhere is not None) and (
            self.service is not None
        )
        for button in self.action_bar.target_buttons():
            button.setEnabled(has_target and not self._busy)
        statuses = self._target_statuses()
        if statuses:
            enabled = has_target and not self._busy
            self.close_button.setEnabled(enabled and statuses != {"closed"})
            self.reopen_button.setEnabled(enabled and statuses != {"open"})
        if elsewhere is not None:
            # Team members differ per sub-account: the list offered is the open one's.
            self.assign_button.setEnabled(False)
        self.new_button.setEnabled(self.service is not None)
        if not self._busy:
            text = f"{count:,} selected" if count > 1 else ""
            if count and not has_target and self._merged is not None:
                text = "Select conversations of one sub-account to act on them"
            self.selection_label.setText(text)

    def _popup_at_current(self, menu: QMenu) -> None:
        index = self.list.currentIndex()
        rect = self.list.visualRect(index) if index.isValid() else self.list.rect()
        menu.popup(self.list.viewport().mapToGlobal(rect.bottomLeft()))

    def _context_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        close = menu.addAction(icon("check"), "Close")
        close.triggered.connect(self._close_clicked)
        close.setEnabled(self.can_close())
        reopen = menu.addAction(icon("inbox"), "Reopen")
        reopen.triggered.connect(self._reopen_clicked)
        reopen.setEnabled(self.can_reopen())
        snooze = menu.addMenu(icon("clock"), "Snooze")
        snooze.aboutToShow.connect(lambda: self._fill_snooze_menu(snooze))
        assign = menu.addMenu(icon("users"), "Assign")
        assign.aboutToShow.connect(lambda: self._fill_assign_menu(assign))
        menu.addAction(icon("mail"), "Mark unread").triggered.connect(self._mark_unread_clicked)
        menu.popup(self.list.viewport().mapToGlobal(position))

    def next_unread(self) -> bool:
        """Open the next conversation with unread messages below the current one (wrapping);
        False when there is none in the list."""
        start = self.list.currentIndex().row()
        root = QModelIndex()
        row = start + 1
        while True:
            while row < self.model.rowCount():
                if int(self.model.index(row, 0).data(UnreadCountRole) or 0) > 0:
                    self._select_row(row)
                    return True
                row += 1
            if not self.model.canFetchMore(root) or self.model.rowCount() >= JUMP_LOAD_LIMIT:
                break
            self.model.fetchMore(root)
        for row in range(max(0, start)):
            if int(self.model.index(row, 0).data(UnreadCountRole) or 0) > 0:
                self._select_row(row)
                return True
        self.banner.show_message("success", "No more unread conversations in this list.")
        return False

    def focus_composer(self) -> None:
        """Write a reply: open the current conversation if needed and focus the composer."""
        index = self.list.currentIndex()
        if self._open_id is None and index.isValid():
            self.open_index(index)
        if self._open_id is not None:
            self._thread_controls.focus_composer()

    # ------------------------------------------------------------------ actions

    def _close_clicked(self) -> None:
        if self.can_close():  # E on a closed conversation does nothing
            self._start_action("close")

    def _reopen_clicked(self) -> None:
        if self.can_reopen():
            self._start_action("reopen")

    def _mark_unread_clicked(self) -> None:
        elsewhere = self._selection_elsewhere()
        if elsewhere is not None:
            owner, ids = elsewhere
            self.tasks.spawn(self._act_in_owner(owner, "mark-unread", ids, {}), "inbox-unread")
            return
        service = self.service
        ids = self.selected_ids()
        if service is None or not ids:
            return
        marked = [cid for cid in ids if service.mark_unread(cid)]
        self.model.flush_changes()
        if not marked:
            self.banner.show_message("info", "Already unread.")

    def _start_action(self, action: str, **options: Any) -> None:
        elsewhere = self._selection_elsewhere()
        if elsewhere is not None:
            # Team members differ per sub-account: assigning waits until it is open.
            if action == "assign":
                self.banner.show_message(
                    "info", "Open one of these conversations first: each sub-account has its team."
                )
            elif not self._busy:
                owner, ids = elsewhere
                self.tasks.spawn(self._act_in_owner(owner, action, ids, options), f"inbox-{action}")
            return
        ids = self.selected_ids()
        if not ids or self.service is None or self._busy:
            return
        self.tasks.spawn(self.run_action(action, ids, **options), f"inbox-{action}")

    async def run_action(
        self, action: str, ids: list[str], **options: Any
    ) -> ConversationBulkReport | None:
        """Run ``action`` (close, reopen, snooze, assign, unassign) on ``ids``; the outcome
        is shown on the banner. Returns the report (None when busy or nothing to do)."""
        service = self.service
        if service is None or self._busy or not ids:
            return None
        open_row = self._open_row()
        current_row = self.list.currentIndex().row()
        self._busy = True
        self._selection_changed()
        progress_word = {
            "close": "Closing",
            "reopen": "Reopening",
            "snooze": "Snoozing",
            "assign": "Assigning",
            "unassign": "Unassigning",
        }[action]

        def progress(done: int, total: int) -> None:
            if total > 1:
                self.selection_label.setText(f"{progress_word} {done:,} of {total:,}…")

        try:
            report = await service.bulk(action, ids, on_progress=progress, **options)
        except ApiError as exc:  # a check before anything was sent (no time, no member)
            self.banner.show_message("danger", exc.user_message)
            return None
        finally:
            self._busy = False
            self.selection_label.setText("")
        self.model.flush_changes(background=False)  # the user acted: show it at once
        self._show_report(report, len(ids))
        self._keep_place(open_row, current_row)
        self._selection_changed()
        self.actionFinished.emit(action, report)
        return report

    def _show_report(self, report: ConversationBulkReport, count: int) -> None:
        if report.failed:
            if count == 1:
                self.banner.show_message("danger", report.failed[0][1])
            else:
                self.banner.show_message("danger", report.summary())
        elif count > 1:
            self.banner.show_message("success", report.summary())
        else:
            self.banner.hide()

    def _keep_place(self, open_row: int, current_row: int) -> None:
        """After an action: when the open conversation left the list (closed in the Open
        view), the one that took its place is opened; a selection that went is replaced
        by the row now under the cursor."""
        count = self.model.rowCount()
        if count == 0:
            return
        if self._open_id is not None and open_row >= 0 and self._open_row() < 0:
            self._select_row(min(open_row, count - 1), open_it=True)
            return
        if not self.list.selectionModel().hasSelection():
            current = self.list.currentIndex()
            row = current.row() if current.isValid() else min(max(current_row, 0), count - 1)
            self._select_row(row, open_it=False)

    def _fill_snooze_menu(self, menu: QMenu | None = None) -> None:
        fill_snooze_menu(
            menu or self.snooze_menu,
            datetime.now().astimezone(),
            lambda when: self._start_action("snooze", until=when),
            self._snooze_custom,
        )

    def _snooze_custom(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        start = (datetime.now() + timedelta(days=1)).replace(hour=9, minute=0, second=0)
        dialog = SnoozeDialog(start, self)
        self.tasks.spawn(self._snooze_flow(dialog, ids), "inbox-snooze-dialog", replace=True)

    async def _snooze_flow(self, dialog: SnoozeDialog, ids: list[str]) -> None:
        dialog.open()
        result = await await_signal(dialog.finished)
        if result == QDialog.DialogCode.Accepted:
            await self.run_action("snooze", ids, until=dialog.chosen())
        dialog.deleteLater()

    def _fill_assign_menu(self, menu: QMenu | None = None) -> None:
        fill_assign_menu(
            menu or self.assign_menu,
            self.my_user_id(),
            self._team_members(),
            self._member_label,
            lambda member: self._start_action("assign", user_id=member),
            self._assign_other,
            lambda: self._start_action("unassign"),
        )

    def _assign_other(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Assign to")
        dialog.setLabelText("Team member id (as Seedly shows it, e.g. usr_ana_ortiz):")
        self.tasks.spawn(self._assign_flow(dialog, ids), "inbox-assign-dialog", replace=True)

    async def _assign_flow(self, dialog: QInputDialog, ids: list[str]) -> None:
        dialog.open()
        result = await await_signal(dialog.finished)
        member = dialog.textValue().strip()
        if result == QDialog.DialogCode.Accepted and member:
            await self.run_action("assign", ids, user_id=member)
        dialog.deleteLater()

    def new_conversation(
        self, contact_id: str | None = None, channel: str | None = None
    ) -> NewConversationDialog | None:
        """Open the new-conversation dialog (prefilled with the selected conversation's
        contact, or ``contact_id``); returns it (None without a sub-account)."""
        reader = self._reader
        if reader is None or self.service is None:
            return None
        contact = None
        summary: dict[str, Any] = {}
        if contact_id is None and self.selected_ids():
            doc = reader.conversation(self.selected_ids()[0])
            contact_id = str(doc.get("contactId")) if doc and doc.get("contactId") else None
            embedded = doc.get("contact") if doc else None
            summary = dict(embedded) if isinstance(embedded, dict) else {}
        if contact_id is not None:
            # The cached contact, else what the conversation knows of it.
            contact = reader.contact(contact_id) or {**summary, "id": contact_id}
        dialog = NewConversationDialog(reader, self, contact=contact, channel=channel)
        self.tasks.spawn(self._new_flow(dialog), "inbox-new-dialog", replace=True)
        return dialog

    async def _new_flow(self, dialog: NewConversationDialog) -> None:
        dialog.open()
        result = await await_signal(dialog.finished)
        contact_id, channel = dialog.contact_id(), dialog.chosen_channel()
        subject = dialog.chosen_subject()
        dialog.deleteLater()
        if result == QDialog.DialogCode.Accepted and contact_id is not None:
            await self.start_conversation(contact_id, channel, subject)

    async def start_conversation(
        self, contact_id: str, channel: str, subject: str | None = None
    ) -> str | None:
        """Open (or find) the conversation with a contact on a channel and show it."""
        service, reader = self.service, self._reader
        if service is None or reader is None:
            return None
        try:
            conversation_id = await service.start_conversation(contact_id, channel, subject)
        except ApiError as exc:
            self.banner.show_message("danger", exc.user_message)
            return None
        self.model.flush_changes()
        self.show_conversation(conversation_id)
        self.focus_composer()
        return conversation_id

    # ------------------------------------------------------------------ other panes

    def _contact_link(self, contact_id: str) -> None:
        self.contactRequested.emit(contact_id)
        self.navigator.show_record("contact", contact_id)

    def _user_is_looking(self) -> bool:
        return self.isVisible() and self.navigator.user_is_looking()

    def _looking_again(self, *_: Any) -> None:
        """The user looks at the open conversation again (the window was activated, or the
        tab shown): messages that arrived while they were away are read now, unless they
        marked it unread meanwhile."""
        service, open_id = self.service, self._open_id
        if self._closed or service is None or open_id is None:
            return
        if self.notifier.reading_conversation() != open_id:
            return
        try:
            service.mark_read(open_id, keep_unread_mark=True)
        except StorageError as exc:
            log.warning("could not mark %s read: %s", open_id, exc)

    def _open_from_notification(self, conversation_id: str) -> None:
        self.navigator.bring_to_front()
        self.navigator.show_area(self.area_name)
        if conversation_id:
            self.show_conversation(conversation_id)

    def add_settings_entries(self, menu: QMenu) -> None:
        """Settings → Notifications: mute desktop notifications per channel."""
        mute = self.notifier.settings_menu(menu)
        mute.setIcon(icon("inbox"))
        menu.addMenu(mute)

    def show_record(self, kind: str, record_id: str) -> bool:
        """Global search and notifications open a conversation here."""
        self.build()
        return kind == "conversation" and self.show_conversation(record_id)

    # ------------------------------------------------------------------ state

    def save_state(self, settings: QSettings) -> None:
        """The splitter, the view and the filters."""
        settings.beginGroup(SETTINGS_GROUP)
        settings.setValue("splitter", self.splitter.saveState())
        settings.setValue(
            "query",
            json.dumps(
                {
                    "view": self._view,
                    "status": self._status,
                    "channel": self._channel,
                    "assignee": self._assignee,
                }
            ),
        )
        settings.endGroup()

    def restore_state(self, settings: QSettings) -> None:
        """Restore what ``save_state`` kept (bad or missing values are ignored)."""
        settings.beginGroup(SETTINGS_GROUP)
        try:
            splitter = settings.value("splitter")
            if splitter is not None:
                self._split_restored = bool(self.splitter.restoreState(splitter))
            saved = json.loads(str(settings.value("query", "null")))
            if isinstance(saved, dict):
                view = saved.get("view")
                if view in dict(VIEWS) and (view != "mine" or self.my_user_id()):
                    self._view = str(view)
                status = saved.get("status")
                if status in (None, "open", "closed", "snoozed"):
                    self._status = status
                channel = saved.get("channel")
                if channel is None or channel in CHANNELS:
                    self._channel = channel
                assignee = saved.get("assignee")
                self._assignee = assignee if isinstance(assignee, str) and assignee else None
        except (ValueError, TypeError) as exc:
            log.info("ignored unreadable inbox tab settings: %s", exc)
        finally:
            settings.endGroup()
        self._sync_widgets()
        self._apply_query()

    def showEvent(self, event: Any) -> None:
        """The first time the tab shows without a saved split: the list and the contact
        panel get their usual widths, the thread the rest. An open conversation that got
        messages while the tab was hidden is read now."""
        super().showEvent(event)
        QTimer.singleShot(0, self, self._looking_again)  # once visible: isVisible() holds
        # Shown while still being built (the last tab of a restart): the split comes later.
        if getattr(self, "_split_restored", True) is False:
            self._split_restored = True
            total = max(self.splitter.width(), 900)
            panel = 280 if total >= 1250 else 240
            self.splitter.setSizes([360, max(360, total - 360 - panel), panel])

    async def shutdown(self) -> None:
        """Stop the search and the snooze timer; drop the tray icon (on quit)."""
        self._closed = True
        if not self.is_built:
            self.notifier.close()
            return
        app = QApplication.instance()
        if isinstance(app, QApplication):
            try:
                app.focusWindowChanged.disconnect(self._looking_again)
            except (RuntimeError, TypeError) as exc:  # already gone with the app
                log.debug("focus hook: %s", exc)
        self.tasks.cancel("inbox-search")
        self.tasks.cancel("inbox-snooze-timer")
        self.tasks.cancel("inbox-counts")
        self._counts_timer.stop()
        self._clock.stop()
        self.notifier.close()
        stop = getattr(self.thread_pane, "shutdown", None)
        if stop is not None:
            await stop()
        self.model.set_reader(None)  # no late refresh may read a closed cache
        self.model.close()
        self._reader = None
        self.service = None
        self._counts_timer.stop()


__all__ = ["InboxTab"]
