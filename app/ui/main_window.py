"""The main window: a tab per area, the toolbar, the status bar and the key banner.

Toolbar: the connection (profile) picker, the sub-account switcher (Ctrl+1…9;
for an agency key "All sub-accounts" at its top, Ctrl+0, and each sub-account's
unread count), the global search (Ctrl+K) and the sync indicator (click: refresh now).
Status bar: connection state, last successful sync, API budget left.
Window geometry, splitters, columns and the last tab are restored on start
from a settings file under the app's config directory.

Tabs are ``Area`` widgets (``app/ui/area.py``) in the mission's order (Leads,
Contacts, Inbox, Calendar, Webhooks & Automations). The window is their
``Navigator``: an area opens a record of another area through it. Areas are
built in slices, one step per turn of the event loop: the current tab first,
the others while the loop is idle, or at once when the user opens one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from PySide6.QtCore import QEvent, QObject, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QMainWindow,
    QMenu,
    QSizePolicy,
    QStackedWidget,
    QStatusBar,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import ApiError
from app.ui.area import Area
from app.ui.global_search import GlobalSearch
from app.ui.theme import Spacing, Theme, icon, icon_path
from app.ui.common.widgets import Banner, EmptyState

if TYPE_CHECKING:
    from app.ui.desktop_notices import DesktopNotices

    # Only names: the window paints before the services are imported (``attach``).
    from app.services.bus import BudgetChanged, KeyProblem, SessionChanged, SyncStatus
    from app.services.workspace import Workspace
    from app.services.agency_inbox import SubAccountRef
    from app.ui.async_qt import BusBridge, TaskSet

log = logging.getLogger(__name__)

AREA_ORDER = ("leads", "contacts", "inbox", "calendar", "webhooks")
IDLE_AFTER_SECONDS = 120.0
THEME_SETTING = "window/theme"
"""The theme of the last run, in the window's settings (read before the preferences)."""
BUILD_SLICE_MS = 0
"""Delay between two building steps of the areas (0: the next turn of the event loop)."""
ALL_SUB_ACCOUNTS = "\x1fall"
"""The picker's data of its "All sub-accounts" entry (no sub-account id looks like it)."""
ALL_SETTING = "agency/allSubAccounts/"
"""Per connection id, in the window's settings: whether "All sub-accounts" was chosen."""
UNREAD_COUNTS_DELAY_MS = 400
"""Quiet time after a conversation change before the picker's unread counts are re-read."""


def _ago(ms: int | None, now: float | None = None) -> str:
    if ms is None:
        return "never"
    seconds = (now if now is not None else time.time()) - ms / 1000
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min ago"
    return datetime.fromtimestamp(ms / 1000).strftime("%H:%M")


class _ActivityWatcher(QObject):
    """Notices user input anywhere in the app, for idle detection."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.last_input = time.monotonic()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Called for every event of the application: one set lookup, nothing else.
        if event.type() in _INPUT_EVENTS:
            self.last_input = time.monotonic()
        return False


_INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.Wheel,
        QEvent.Type.MouseMove,
    }
)


class MainWindow(QMainWindow):
    """Seedly Desk's window (see the module docstring)."""

    addConnectionRequested = Signal()
    """The user asked to add a connection (first run, or Settings → Connections)."""

    connectionsRequested = Signal()
    """The user opened Settings → Connections."""

    closed = Signal()
    """The window was closed: the app shuts down."""

    replaceKeyRequested = Signal(str)
    """The banner's "Enter a new key…" for the profile (its id) whose key stopped working."""

    def __init__(self, theme: Theme, settings: QSettings, parent: QWidget | None = None) -> None:
        """The window's frame: toolbar, tab headers, status bar. It paints before the
        services exist (their imports take a good part of a second); ``attach`` connects it
        to them."""
        super().__init__(parent)
        self.theme = theme
        self.settings = settings
        self.areas: dict[str, Area] = {}
        self._pages: dict[str, QWidget] = {}
        self.notices: DesktopNotices | None = None
        """The tabs' desktop notifications (made when the first one is sent)."""
        self._restore_areas = False
        self._watching_activity = False
        self._build_queue: list[Area] = []
        self._all_areas_added = False  # ``areas_added``: every tab's area is in
        self._build_timer = QTimer(self)
        self._build_timer.setSingleShot(True)
        self._build_timer.setInterval(BUILD_SLICE_MS)
        self._build_timer.timeout.connect(self._build_step)
        self._last_success_ms: int | None = None
        self._state = "idle"
        self._status_message: str | None = None
        self._opening: str | None = None
        self._banner_profile: str | None = None
        self._budget: BudgetChanged | None = None
        self._unread: dict[str, int] = {}
        self._mode_profile: str | None = None
        self._window_closed = False
        self.setWindowTitle("Seedly Desk")
        self.setWindowIcon(app_icon())
        self.resize(1360, 860)
        self._build_toolbar()
        self._build_central()
        self._build_status_bar()
        # Installed once the areas are built (``build_areas``): building them sends tens of
        # thousands of events that are not the user's.
        self._activity = _ActivityWatcher(self)
        self._idle = False
        self._minimised = False
        self._close_confirmed = False
        self._attached = False
        self._clock = QTimer(self)
        self._clock.setInterval(15_000)
        self._clock.timeout.connect(self._tick)
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(UNREAD_COUNTS_DELAY_MS)
        self._counts_timer.timeout.connect(self._read_unread_counts)

    def attach(self, workspace: Workspace, bridge: BusBridge, tasks: TaskSet) -> None:
        """Work with the services: the pickers, the status, Ctrl+K and the sync button."""
        from app.services.bus import PollBudgetChanged
        from app.services.quick_search import QuickSearch

        self.workspace = workspace
        # The agency watcher's budget: a services event the bridge does not carry; it is
        # published on the loop's (this) thread.
        unsubscribe = workspace.bus.subscribe(PollBudgetChanged, lambda _e: self._render_status())
        self.destroyed.connect(lambda *_: unsubscribe())
        self.bridge = bridge
        self.tasks = tasks
        self._attached = True
        self.sync_button.clicked.connect(workspace.refresh_now)
        # The merged Inbox opens a row's sub-account: unsaved work is asked about first.
        workspace.before_owner_switch = self.confirm_leave
        self.global_search.set_source(QuickSearch.of_active(workspace))
        bridge.sessionChanged.connect(self._on_session)
        bridge.syncStatusChanged.connect(self._on_sync_status)
        bridge.budgetChanged.connect(self._on_budget)
        bridge.keyProblem.connect(self._on_key_problem)
        bridge.subAccountsChanged.connect(lambda _e: self._sub_accounts_changed())
        bridge.conversationsChanged.connect(lambda _e: self._count_unread_soon())
        self._clock.start()
        self.refresh_pickers()

    def add_pages(self, pages: Sequence[tuple[str, str, str]]) -> None:
        """A tab header per area, (name, title, icon name), before the areas exist: the
        first paint shows the whole window. Each area fills its page when added."""
        for name, title, icon_name in pages:
            if name in self._pages:
                continue
            page = QWidget(self.tabs)
            page.setObjectName(f"areaPage:{name}")
            layout = QVBoxLayout(page)
            layout.setContentsMargins(0, 0, 0, 0)
            self._pages[name] = page
            rank = _rank(name)
            position = sum(1 for other in self._pages if other != name and _rank(other) < rank)
            # "&" in a tab's text marks a keyboard mnemonic; "&&" shows the character itself.
            self.tabs.insertTab(position, page, icon(icon_name), title.replace("&", "&&"))

    # ------------------------------------------------------------------ building

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main", self)
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setFloatable(False)
        bar.setIconSize(QSize(18, 18))
        bar.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

        bar.addWidget(self._spacer(Spacing.S))
        self.profile_picker = QComboBox(self)
        self.profile_picker.setToolTip("Connection")
        self.profile_picker.setMinimumWidth(160)
        self.profile_picker.activated.connect(self._profile_chosen)
        bar.addWidget(self.profile_picker)
        bar.addWidget(self._spacer(Spacing.S))
        self.sub_account_picker = QComboBox(self)
        self.sub_account_picker.setObjectName("subAccountPicker")
        self.sub_account_picker.setToolTip("Sub-account (Ctrl+1 … Ctrl+9; all of them: Ctrl+0)")
        self.sub_account_picker.setMinimumWidth(200)
        self.sub_account_picker.activated.connect(self._sub_account_chosen)
        bar.addWidget(self.sub_account_picker)
        self.sub_account_actions: list[QAction] = []
        for number in range(1, 10):
            action = QAction(self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            action.triggered.connect(lambda _c=False, n=number: self.switch_to_index(n - 1))
            self.addAction(action)
            self.sub_account_actions.append(action)
        self.all_sub_accounts_action = QAction(self)
        self.all_sub_accounts_action.setShortcut(QKeySequence("Ctrl+0"))
        self.all_sub_accounts_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.all_sub_accounts_action.triggered.connect(lambda _c=False: self.show_all())
        self.addAction(self.all_sub_accounts_action)

        stretch = QWidget(self)
        stretch.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(stretch)
        self.global_search = GlobalSearch(self)
        self.global_search.activated.connect(self._jump_to)
        bar.addWidget(self.global_search)
        bar.addWidget(self._spacer(Spacing.M))

        self.sync_button = QToolButton(self)
        self.sync_button.setIcon(icon("sync"))
        self.sync_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.sync_button.setText("Not connected")
        self.sync_button.setAutoRaise(True)
        self.sync_button.setToolTip("Refresh now (F5)")
        self.sync_button.setShortcut(QKeySequence("F5"))
        bar.addWidget(self.sync_button)

        self.settings_button = QToolButton(self)
        self.settings_button.setIcon(icon("settings"))
        self.settings_button.setToolTip("Settings")
        self.settings_button.setAutoRaise(True)
        self.settings_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.settings_button)
        self.settings_menu = menu
        menu.addAction(icon("key"), "Connections…").triggered.connect(self.connectionsRequested)
        menu.addAction(icon("add"), "Add a connection…").triggered.connect(
            self.addConnectionRequested
        )
        menu.addSeparator()
        theme_menu = menu.addMenu(icon("moon"), "Appearance")
        group = QActionGroup(self)
        for mode, label in (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark")):
            action = theme_menu.addAction(label)
            action.setCheckable(True)
            action.setChecked(self.theme.mode == mode)
            action.triggered.connect(lambda _c=False, m=mode: self._set_theme(m))
            group.addAction(action)
        self.settings_button.setMenu(menu)
        bar.addWidget(self.settings_button)
        bar.addWidget(self._spacer(Spacing.S))

    @staticmethod
    def _spacer(width: int) -> QWidget:
        spacer = QWidget()
        spacer.setFixedWidth(width)
        return spacer

    def _build_central(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.key_banner = Banner(central, closable=False)
        self.key_banner.actionClicked.connect(self._replace_key_clicked)
        layout.addWidget(self.key_banner)
        self.pages = QStackedWidget(central)
        self.tabs = QTabWidget(self.pages)
        self.tabs.setDocumentMode(True)
        self.tabs.setIconSize(QSize(18, 18))
        self.tabs.currentChanged.connect(self._tab_changed)
        self.welcome = EmptyState(self.pages)
        self.welcome.set_content(
            "link",
            "Connect Seedly Desk to your CRM",
            "Add a connection with your deployment URL and an API key "
            "(Settings → Integrations → API Keys in Seedly). To look around first, "
            "start the app with --demo: it runs a local sandbox with demo data.",
            "Add a connection…",
        )
        self.welcome.actionClicked.connect(self.addConnectionRequested)
        self.pages.addWidget(self.tabs)
        self.pages.addWidget(self.welcome)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

    def _build_status_bar(self) -> None:
        status = QStatusBar(self)
        self.setStatusBar(status)
        self.connection_label = QLabel("Not connected", status)
        self.last_sync_label = QLabel("", status)
        self.last_sync_label.setProperty("muted", True)
        self.budget_label = QLabel("", status)
        self.budget_label.setProperty("muted", True)
        status.addWidget(self.connection_label)
        status.addPermanentWidget(self.last_sync_label)
        status.addPermanentWidget(self.budget_label)

    # ------------------------------------------------------------------ areas

    def add_area(self, area: Area) -> None:
        """Put an area into its tab (a header is made for it if ``add_pages`` did not). The
        tab stays empty until the area is built (``build_areas``, or when first shown)."""
        name = area.area_name
        self.add_pages([(name, area.title, area.icon_name)])
        self.areas[name] = area
        page = self._pages[name]
        layout = page.layout()
        assert layout is not None
        layout.addWidget(area)
        area.buildFinished.connect(lambda a=area: self._area_built(a))
        area.buildFailed.connect(lambda why, a=area: self._area_failed(a, why))
        if self._restore_areas:  # added after the session was restored (not the front tab)
            area.prepare_restore(self.settings)

    def _area_failed(self, area: Area, why: str) -> None:
        # Said in the tab itself, instead of its half-made widgets.
        area.hide()
        notice = EmptyState(self._pages[area.area_name])
        notice.setObjectName("areaFailed")
        notice.set_content(
            "warning",
            f"The {area.title} tab could not be opened",
            f"{why}. The other tabs work; the log has the details.",
        )
        layout = self._pages[area.area_name].layout()
        assert layout is not None
        layout.addWidget(notice)

    def _area_built(self, area: Area) -> None:
        if self._restore_areas:
            area.restore_state(self.settings)
        area.set_shown(self.current_area() is area)

    def areas_added(self) -> None:
        """Once every area is in: what the window offers on their behalf (status-bar widgets,
        Settings menu entries, what global search can jump to)."""
        for area in self.areas.values():
            for widget in area.status_widgets():
                self.statusBar().addPermanentWidget(widget)
            menu = QMenu(self.settings_menu)
            area.add_settings_entries(menu)
            if menu.actions():
                # Each tab's entries form a group of their own, after the window's.
                self.settings_menu.addSeparator()
                self.settings_menu.addActions(menu.actions())
        kinds: set[str] = set()
        for area in self.areas.values():
            kinds |= area.record_kinds
        self.global_search.set_kinds(frozenset(kinds))
        self._all_areas_added = True

    def remembered_tab(self) -> str | None:
        """The tab that was in front when the window last closed (shown first), if any."""
        last = self.settings.value("window/lastTab")
        return last if isinstance(last, str) and last in self._pages else None

    def build_areas(self, *, all_at_once: bool = False) -> None:
        """Build the areas: the current tab first, then the others, one step per turn of the
        event loop so the window keeps painting (``all_at_once``: now, every step). Called
        again when more areas were added, it queues them too."""
        if self._window_closed:
            return  # a closed window builds no more tabs: their services are shutting down
        current = self.current_area()
        ordered = sorted(self.areas.values(), key=lambda a: (a is not current, _rank(a.area_name)))
        if all_at_once:
            for area in ordered:
                area.build()
            self._watch_activity()
            return
        self._build_queue = [area for area in ordered if not area.is_built]
        self._build_timer.start()

    def _build_step(self) -> None:
        while self._build_queue and (
            self._build_queue[0].is_built or self._build_queue[0].build_failed
        ):
            self._build_queue.pop(0)
        if not self._build_queue:
            if self._all_areas_added:  # else the next ``build_areas`` call watches
                self._watch_activity()
            return
        self._build_queue[0].build_next_step()
        self._build_timer.start()

    def _watch_activity(self) -> None:
        # Once the areas are built: building sends tens of thousands of events that are not
        # the user's, and each would pass through this app-wide filter.
        app = QApplication.instance()
        if not self._watching_activity and app is not None:
            app.installEventFilter(self._activity)
            self._watching_activity = True

    def current_area(self) -> Area | None:
        """The area of the tab in front, or None."""
        page = self.tabs.currentWidget()
        return next((a for n, a in self.areas.items() if self._pages[n] is page), None)

    async def prepare_screenshots(self) -> None:
        """Let each area put its most telling content on screen (``--screenshot``): the
        Leads tab runs its demo search, the Inbox opens a thread."""
        for area in self.areas.values():
            area.build()
        await asyncio.gather(*(area.prepare_screenshot() for area in self.areas.values()))

    def area(self, name: str) -> Area | None:
        """The tab called ``name`` (e.g. "contacts"), built, or None."""
        area = self.areas.get(name)
        if area is not None:
            area.build()
        return area

    def show_area(self, name: str) -> None:
        """Bring the tab ``name`` to the front (built first if it was not yet)."""
        page, area = self._pages.get(name), self.areas.get(name)
        if page is not None and area is not None:
            area.build()
            self.tabs.setCurrentWidget(page)

    def show_record(self, kind: str, record_id: str) -> bool:
        """Open a contact, conversation or appointment in the area that shows that kind."""
        for name, area in self.areas.items():
            if kind in area.record_kinds:
                self.show_area(name)
                return area.show_record(kind, record_id)
        return False

    def bring_to_front(self) -> None:
        """Raise and activate the window (a notification was clicked)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def user_is_looking(self) -> bool:
        """Whether the window is active and not minimised."""
        return self.isActiveWindow() and not self.isMinimized()

    def notify(self, title: str, text: str, kind: str, record_id: str) -> None:
        """Show a desktop notification; a click raises the window and opens the record."""
        if self.notices is None:
            from app.ui.desktop_notices import DesktopNotices

            self.notices = DesktopNotices(self._open_noticed, self)
        self.notices.notify(title, text, kind, record_id)

    def _open_noticed(self, kind: str, record_id: str) -> None:
        self.bring_to_front()
        self.show_record(kind, record_id)

    def _tab_changed(self, index: int) -> None:
        current = self.tabs.widget(index)
        for name, area in self.areas.items():
            shown = self._pages[name] is current
            if shown and not area.is_built:
                # Next in line for building, a step per turn: it appears within a few frames
                # and the window never stops painting.
                self._build_queue = [area, *(a for a in self._build_queue if a is not area)]
                self._build_timer.start()
            if area.poll_job is not None:
                self.workspace.set_visible(area.poll_job, shown)
            if area.is_built:
                area.set_shown(shown)

    # ------------------------------------------------------------------ pickers

    def show_opening(self, text: str) -> None:
        """The cache is shown while the connection opens: say so in the status bar."""
        self._opening = text
        self.refresh_pickers()
        self._render_status()

    def refresh_pickers(self) -> None:
        """Re-read the connections and sub-accounts into the two pickers."""
        profiles = self.workspace.saved_profiles()
        active = self.workspace.profile
        self.profile_picker.blockSignals(True)
        self.profile_picker.clear()
        for profile in profiles:
            self.profile_picker.addItem(icon("key"), profile.name, profile.id)
        if active is not None:
            self.profile_picker.setCurrentIndex(self.profile_picker.findData(active.id))
        self.profile_picker.setEnabled(len(profiles) > 1)
        self.profile_picker.blockSignals(False)

        subs = self.workspace.sub_accounts()
        scope = self.workspace.active
        picker = self.sub_account_picker
        picker.blockSignals(True)
        picker.clear()
        if self.workspace.can_merge():
            picker.addItem(icon("users"), "All sub-accounts", ALL_SUB_ACCOUNTS)
            tip = "Every sub-account's inbox in one list (Ctrl+0)"
            picker.setItemData(0, tip, Qt.ItemDataRole.ToolTipRole)
        for number, sub in enumerate(subs, start=1):
            picker.addItem(icon("company"), self._picker_text(sub.id, sub.name), sub.id)
            unread = self._unread.get(sub.id, 0)
            tip = f"{sub.name}: {unread} unread" if unread else sub.name
            if number <= 9:
                tip += f" (Ctrl+{number})"
            picker.setItemData(picker.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        if self.all_mode:
            picker.setCurrentIndex(picker.findData(ALL_SUB_ACCOUNTS))
        elif scope is not None:
            picker.setCurrentIndex(picker.findData(scope.scope.sub_account_id))
        # While the cache is previewed there is no connection to switch with yet.
        self.sub_account_picker.setEnabled(len(subs) > 1 and not self.workspace.previewing)
        self.sub_account_picker.setVisible(bool(subs))
        self.sub_account_picker.blockSignals(False)
        self.pages.setCurrentWidget(self.tabs if profiles or active else self.welcome)

    def _profile_chosen(self, index: int) -> None:
        profile_id = self.profile_picker.itemData(index)
        if profile_id and (
            self.workspace.profile is None or profile_id != self.workspace.profile.id
        ):
            self.tasks.spawn(self.activate(profile_id), "activate", replace=True)

    def _sub_account_chosen(self, index: int) -> None:
        sub_id = self.sub_account_picker.itemData(index)
        if sub_id == ALL_SUB_ACCOUNTS:
            self.show_all()
        elif sub_id:
            self.switch_to(sub_id)

    def switch_to_index(self, index: int) -> None:
        """Ctrl+N: the N-th sub-account of the switcher (not counting "All sub-accounts")."""
        subs = self.workspace.sub_accounts()
        if 0 <= index < len(subs):
            self.switch_to(subs[index].id)

    def switch_to(self, sub_account_id: str) -> None:
        """Open another sub-account (one click); a newer choice supersedes a pending one.
        Choosing one sub-account leaves "All sub-accounts"."""
        if self.all_mode:
            self._set_all_mode(False)
        active = self.workspace.active
        if active is not None and active.scope.sub_account_id == sub_account_id:
            self._show_title()
            self.refresh_pickers()
            return
        self.tasks.spawn(self._switch(sub_account_id), "switch", replace=True)

    # ------------------------------------------------------------------ all sub-accounts

    @property
    def all_mode(self) -> bool:
        """Whether "All sub-accounts" is chosen (the Inbox merges every member)."""
        return self._attached and self.workspace.all_sub_accounts and self.workspace.can_merge()

    def show_all(self) -> None:
        """Choose "All sub-accounts" (an agency key with several; else nothing happens)."""
        if not self._attached or not self.workspace.can_merge():
            return
        self.tasks.cancel("switch")  # a pending choice of one sub-account is superseded
        self._set_all_mode(True)
        self.refresh_pickers()
        # The other sub-accounts are polled on a slow round: choosing All asks for every
        # one of them now, so the merged view is current without waiting for its turn.
        self.tasks.spawn(self.workspace.catch_up_sub_accounts(), "catch-up", replace=True)

    def set_agency_members(self, members: Callable[[], list[SubAccountRef]] | None) -> None:
        """Which sub-accounts the merged view shows (None: all the connection's); call
        ``agency_members_changed`` when its answer changes."""
        self.workspace.agency_members = members
        self.agency_members_changed()

    def agency_members_changed(self) -> None:
        """The members of the merged view changed: the merged list follows."""
        if self.all_mode:
            self._areas_all_mode(True)

    def _set_all_mode(self, on: bool) -> None:
        self.workspace.all_sub_accounts = on
        profile = self.workspace.profile
        if profile is not None:
            # The window's own settings (the demo's choice is kept there too, as its last
            # sub-account is): the settings file is the connections' and never the demo's.
            self.settings.setValue(ALL_SETTING + profile.id, on)
        self._areas_all_mode(on and self.workspace.can_merge())
        self._show_title()

    def _areas_all_mode(self, on: bool) -> None:
        # Every tab hears it (a tab without a merged view ignores it); an unbuilt one asks
        # its port when it is built.
        for area in self.areas.values():
            area.set_all_mode(on)

    def _restore_all_mode(self) -> None:
        """A connection was opened: "All sub-accounts" again when it was chosen last."""
        profile = self.workspace.profile
        profile_id = None if profile is None else profile.id
        if profile_id == self._mode_profile:
            return
        self._mode_profile = profile_id
        saved = False
        if profile is not None:
            value = self.settings.value(ALL_SETTING + profile.id, False)
            saved = value is True or str(value).lower() == "true"
        self.workspace.all_sub_accounts = saved
        self._areas_all_mode(saved and self.workspace.can_merge())
        self._unread = {}
        self._count_unread_soon()

    def _sub_accounts_changed(self) -> None:
        self.refresh_pickers()
        self.agency_members_changed()
        self._count_unread_soon()

    def _picker_text(self, sub_id: str, name: str) -> str:
        unread = self._unread.get(sub_id, 0)
        return f"{name} · {unread:,}" if unread else name

    def _count_unread_soon(self) -> None:
        # Not restarted by each event: a burst of sync pages must not postpone it forever.
        if not self._counts_timer.isActive() and not self._window_closed:
            self._counts_timer.start()

    def _read_unread_counts(self) -> None:
        if self._attached and self.workspace.profile is not None:
            self.tasks.spawn(self._unread_counts(), "picker-unread", replace=True)

    async def _unread_counts(self) -> None:
        """Each sub-account's unread conversations, counted from its cache on a worker."""
        profile = self.workspace.profile
        counts = await asyncio.to_thread(self.workspace.unread_by_sub_account)
        if self.workspace.profile is not profile or counts == self._unread:
            return
        self._unread = counts
        picker = self.sub_account_picker
        for index in range(picker.count()):
            sub_id = picker.itemData(index)
            sub = next((s for s in self.workspace.sub_accounts() if s.id == sub_id), None)
            if sub is not None:
                picker.setItemText(index, self._picker_text(sub.id, sub.name))
                unread = counts.get(sub.id, 0)
                tip = f"{sub.name}: {unread} unread" if unread else sub.name
                picker.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)

    def unread_counts(self) -> dict[str, int]:
        """The unread counts the picker shows, by sub-account id."""
        return dict(self._unread)

    def _show_title(self) -> None:
        active = self.workspace.active if self._attached else None
        if self.all_mode:
            self.setWindowTitle("All sub-accounts — Seedly Desk")
        elif active is not None:
            name = next(
                (
                    s.name
                    for s in self.workspace.sub_accounts()
                    if s.id == active.scope.sub_account_id
                ),
                active.profile.name,
            )
            self.setWindowTitle(f"{name} — Seedly Desk")

    async def confirm_leave(self) -> bool:
        """Ask every area with unsaved work to save or discard it; False when the user stays."""
        for area in self.areas.values():
            if area.is_built and not await area.confirm_leave():
                return False
        return True

    def has_unsaved_changes(self) -> bool:
        """Whether any area holds unsaved work."""
        return any(area.is_built and area.has_unsaved_changes() for area in self.areas.values())

    async def _switch(self, sub_account_id: str) -> None:
        from app.services.workspace import NotActive

        if not await self.confirm_leave():
            self.refresh_pickers()  # the picker goes back to the sub-account still open
            return
        try:
            await self.workspace.switch_sub_account(sub_account_id)
        except (NotActive, ApiError) as exc:
            self.key_banner.show_message("danger", str(getattr(exc, "user_message", exc)))

    async def activate(self, profile_id: str) -> bool:
        """Open a saved connection; problems are shown on the banner. True when opened."""
        from app.services.connection_store import KeyringUnavailable
        from app.services.workspace import NoKey, NotActive

        try:
            await self.workspace.activate(profile_id)
        except KeyringUnavailable as exc:
            self.key_banner.show_message("danger", str(exc), "Enter the key…")
            self._banner_profile = profile_id
            return False
        except NoKey as exc:
            self.key_banner.show_message("danger", str(exc), "Enter the key…")
            self._banner_profile = profile_id
            return False
        except (NotActive, ApiError) as exc:
            self.key_banner.show_message("danger", str(getattr(exc, "user_message", exc)))
            return False
        finally:
            self.refresh_pickers()
        if self.workspace.session is None or self.workspace.session.key_problem is None:
            self.key_banner.hide()
        self._tab_changed(self.tabs.currentIndex())
        return True

    # ------------------------------------------------------------------ events

    def _on_session(self, event: SessionChanged) -> None:
        self._restore_all_mode()
        self.refresh_pickers()
        active = self.workspace.active
        self.global_search.reset()
        if active is not None:
            self._show_title()
            self._last_success_ms = active.partition.marks.last_success_ms()
        self._tab_changed(self.tabs.currentIndex())
        self._render_status()

    def _on_sync_status(self, status: SyncStatus) -> None:
        active = self.workspace.active
        if status.scope is not None and (active is None or status.scope != active.scope):
            return
        self._state = status.state
        self._status_message = status.message
        if status.last_success_ms is not None:
            self._last_success_ms = status.last_success_ms
        self._render_status()

    def _on_budget(self, event: BudgetChanged) -> None:
        if event.bucket == "read":
            self._budget = event
            self._render_status()

    def _on_key_problem(self, problem: KeyProblem) -> None:
        self._banner_profile = problem.profile_id
        self.key_banner.show_message(
            "danger",
            f"{problem.message} Syncing has stopped; nothing you queued is lost.",
            "Enter a new key…",
        )
        self._render_status()

    def _sync_paused(self) -> bool:
        """Whether polling stopped on the key (revoked or expired) until a new one is given."""
        session = self.workspace.session
        return self._state == "paused" or (session is not None and session.key_problem is not None)

    def _replace_key_clicked(self) -> None:
        profile_id = getattr(self, "_banner_profile", None)
        if profile_id is None and self.workspace.profile is not None:
            profile_id = self.workspace.profile.id
        if profile_id:
            self.replaceKeyRequested.emit(profile_id)

    def key_replaced(self) -> None:
        """The new key works: hide the banner."""
        self.key_banner.hide()
        self._render_status()

    def _render_status(self) -> None:
        active = self.workspace.active
        paused = active is not None and self._sync_paused()
        state = "paused" if paused else self._state
        message = getattr(self, "_status_message", None)
        if active is not None and self.workspace.previewing:
            text, icon_name = self._opening or "Opening the connection…", "sync"
        elif active is None:
            text, icon_name = "Not connected", "offline"
        elif state == "syncing":
            text, icon_name = "Syncing…", "sync"
        elif state == "paused":
            text, icon_name = "Paused: the API key stopped working", "sync-error"
        elif state in ("error", "offline"):
            text, icon_name = f"Connection problem: {message or 'retrying'}", "sync-error"
        else:
            text, icon_name = "Connected", "sync"
        previewing = active is not None and self.workspace.previewing
        if active is not None and not previewing and state not in ("error", "offline", "paused"):
            deployment = active.profile.deployment_url.split("://", 1)[-1]
            text = f"{text} · {deployment}"
        self.connection_label.setText(text)
        self.sync_button.setIcon(icon(icon_name))
        self.sync_button.setText(
            "Syncing…" if state == "syncing" else f"Synced {_ago(self._last_success_ms)}"
        )
        if paused:
            # The banner says the key stopped working: the button must not say "Synced".
            self.sync_button.setText("Sync paused")
        if active is None:
            self.sync_button.setText("Not connected")
        elif self.workspace.previewing:
            self.sync_button.setText("Connecting…")
        self.last_sync_label.setText(
            f"Last sync: {_ago(self._last_success_ms)}" if active is not None else ""
        )
        budget = self._budget
        parts: list[str] = []
        if budget is not None and budget.remaining is not None and budget.limit:
            parts.append(f"API budget: {budget.remaining:,} of {budget.limit:,} reads left")
        # An agency key's one budget is shared: say how polling spends it.
        poll = self.workspace.poll_budget() if active is not None else None
        if poll is not None and poll.background:
            others = (
                "1 other sub-account"
                if poll.background == 1
                else (f"{poll.background} other sub-accounts")
            )
            every = f"every {poll.cycle_seconds:.0f} s" if poll.cycle_seconds else "paused"
            plan = f"polling {poll.open_per_minute:.0f}/min here, {others} {every}"
            if poll.waiting_seconds:
                plan += f" (rate limited: {poll.waiting_seconds:.0f} s)"
            parts.append(plan if parts else plan.capitalize())
            self.budget_label.setToolTip(
                f"Reads a minute: {poll.open_per_minute:.0f} for the sub-account shown, "
                f"{poll.background_per_minute:.0f} for the others"
                + (f", of {poll.limit:,} the key allows" if poll.limit else "")
            )
        self.budget_label.setText(" · ".join(parts))

    def _tick(self) -> None:
        self._render_status()
        idle = time.monotonic() - self._activity.last_input > IDLE_AFTER_SECONDS
        if idle != self._idle:
            self._idle = idle
            self.workspace.set_activity(idle=idle)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.WindowStateChange:
            minimised = bool(self.windowState() & Qt.WindowState.WindowMinimized)
            if minimised != self._minimised:
                self._minimised = minimised
                if self._attached:
                    self.workspace.set_activity(minimised=minimised)
        super().changeEvent(event)

    # ------------------------------------------------------------------ global search

    def _jump_to(self, kind: str, record_id: str) -> None:
        self.show_record(kind, record_id)

    def _set_theme(self, mode: str) -> None:
        self.theme.set_mode(mode)  # type: ignore[arg-type]
        # The window's own settings remember it too: the next start paints in it before
        # the saved preferences are read.
        self.settings.setValue(THEME_SETTING, mode)
        if self._attached:
            from app.services.preferences import PreferencesNotSaved

            try:
                self.workspace.preferences.set_theme(mode)
            except PreferencesNotSaved as exc:
                self.key_banner.show_message(
                    "warning",
                    f"The appearance could not be saved ({exc.reason}): "
                    "it applies until Seedly Desk is closed.",
                )

    # ------------------------------------------------------------------ state

    def restore_state(self) -> None:
        """Geometry, each area's splitters and columns, and the last tab."""
        self.restore_geometry()
        self.restore_areas()

    def restore_geometry(self) -> None:
        """The window's size and place (before it is shown)."""
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    def restore_areas(self) -> None:
        """Each area's splitters and columns, and the last tab (once the areas exist)."""
        self._restore_areas = True
        for area in self.areas.values():
            if area.is_built:  # the others restore theirs when built
                area.restore_state(self.settings)
            else:
                area.prepare_restore(self.settings)
        last = self.remembered_tab()  # its area may be added after the front one's
        if last is None:
            # First run without Seamless.AI: the CRM's contacts, not an empty Leads tab.
            last = "contacts" if self.workspace.profiles.data.seamless is None else None
        if last in self._pages:
            self.tabs.setCurrentWidget(self._pages[last])

    def save_state(self) -> None:
        """Write what ``restore_state`` reads."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        current = self.current_area()
        for name, area in self.areas.items():
            if area.is_built:  # an area never built has nothing new to keep
                area.save_state(self.settings)
            if area is current:
                self.settings.setValue("window/lastTab", name)
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._close_confirmed and self.has_unsaved_changes():
            # Ask first (no nested event loop): the close is retried once the user decided.
            event.ignore()
            self.tasks.spawn(self._confirm_close(), "confirm-close", replace=True)
            return
        self.save_state()
        # A closed window builds no more tabs: their services are being shut down.
        self._build_timer.stop()
        self._build_queue = []
        self._counts_timer.stop()
        self._window_closed = True
        super().closeEvent(event)
        self.closed.emit()

    async def _confirm_close(self) -> None:
        if await self.confirm_leave():
            self._close_confirmed = True
            QTimer.singleShot(0, self.close)

    def all_loaded(self) -> bool:
        """Whether every area has its data on screen (``--screenshot`` waits for this)."""
        return bool(self.areas) and all(area.is_loaded() for area in self.areas.values())


def _rank(name: str) -> int:
    return AREA_ORDER.index(name) if name in AREA_ORDER else len(AREA_ORDER)


def app_icon() -> QIcon:
    """The app's colour icon (not recoloured with the palette)."""
    return QIcon(str(icon_path("app")))


__all__ = ["AREA_ORDER", "Area", "MainWindow", "app_icon"]
