"""The Calendar tab: the sub-account's appointments by day, week, month or as an agenda.

Everything shown is read from the local cache through the port's
``CalendarReader`` (bound to the open sub-account), on a worker thread
(``RangeLoader`` for the day, week and month views, ``AgendaModel`` for the
agenda); answers are applied on the GUI thread. A view is drawn at once from
what was last read for its period (neighbouring periods are read ahead), then
from the fresh read. When the poller brings changes (``appointmentsChanged`` for
this sub-account) the period is read again and redrawn in place: the scroll
position and the selection stay. A switch of sub-account clears everything at
once; nothing read for one sub-account is ever shown under another.

The tab does not book or cancel itself: it asks, through its signals, and the
window connects them to the booking service:

- ``new_booking_requested()`` — N, or "New booking…";
- ``reschedule_requested(appointment_id)`` — "Reschedule…" in the details;
- ``cancel_requested(ids, reason)`` — Delete or "Cancel…", after the reason dialog.

Keys: T today, ←/→ previous/next period, D/W/M/A the views, N new booking,
Enter the selected appointment's details, Delete cancel (with a reason).

In "All sub-accounts" (``set_all_mode``, agency keys) every view reads the
port's ``merged_agenda()``: the appointments of every member sub-account, each
with its owner's chip, ids made merged keys so two sub-accounts never mix. The
session keeps one sub-account open: acting on a row of another one (its details
with Enter, Reschedule, Cancel, its contact or conversation) first makes that
one the session's (``CalendarPort.open_owner``), then acts there with the bare
id, so only the owner's booking service ever touches it. A switch made that way
keeps the merged view as it is.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QLocale,
    QObject,
    QSettings,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import ApiError
from app.services.bus import AppointmentsChanged, SessionChanged
from app.services.ports.calendar import (
    AppointmentRow,
    CalendarPort,
    CalendarReader,
    CalendarRow,
    MergedCalendarReader,
    NotActive,
    merged_key,
    split_key,
)
from app.ui.area import Area, AreaContext
from app.ui.calendar.agenda import CHUNK_DAYS, AgendaDelegate, AgendaModel, AppointmentIdRole
from app.ui.calendar.actions import CalendarActions
from app.ui.calendar.calendars_model import CalendarListModel
from app.ui.calendar.cancel_dialog import CancelReasonDialog
from app.ui.calendar.details import DetailsPane
from app.ui.calendar.entries import Entry, PreparedView, ViewKey, prepare_view
from app.ui.calendar.export import (
    IcsExport,
    appointment_file_name,
    documents_folder,
    export_ics,
    period_file_name,
)
from app.ui.calendar.info import ViewInfo
from app.ui.calendar.layout import (
    day_of,
    day_range_ms,
    local_time,
    month_days,
    shift_period,
    week_days,
)
from app.ui.calendar.loader import Prepare, RangeData, RangeLoader
from app.ui.calendar.month import MonthView
from app.ui.calendar.panel import CalendarsPanel
from app.ui.calendar.texts import period_title, time_range, zone_names, zone_or_none
from app.ui.calendar.timegrid import HEADER_HEIGHT, TimeGridView
from app.ui.common.widgets import Banner, EmptyState
from app.ui.theme import Spacing, icon

log = logging.getLogger(__name__)

SETTINGS_GROUP = "calendar"
VIEWS = (
    ("day", "Day", "D"),
    ("week", "Week", "W"),
    ("month", "Month", "M"),
    ("agenda", "Agenda", "A"),
)
PERIOD_WORDS = {"day": "day", "week": "week", "month": "month", "agenda": "week"}
SCREENSHOT_WAIT_SECONDS = 60.0
UTC_NAMES = frozenset({"Etc/UTC", "Etc/Universal", "Etc/Zulu", "Universal", "Zulu", "Etc/GMT"})
"""Names of UTC that the zone picker lists as "UTC"."""


def normal_zone(name: str | None) -> str:
    """``name`` as the zone picker lists it: UTC under one name, an unknown zone as UTC."""
    if not name or name in UTC_NAMES or zone_or_none(name) is None:
        return "UTC"
    return name


def _embolden(button: QAbstractButton, checked: bool) -> None:
    """The view shown reads in bold on its button (the checked look alone is faint in the
    dark theme)."""
    font = button.font()
    font.setBold(checked)
    button.setFont(font)


def _class_ids(calendars: Iterable[CalendarRow]) -> frozenset[str]:
    return frozenset(c.id for c in calendars if c.kind == "class")


def _scope_key(reader: CalendarReader) -> str:
    return f"{reader.deployment}|{reader.sub_account_id}"


class CalendarTab(Area):
    """The Calendar area of the main window (see the module docstring)."""

    area_name = "calendar"
    title = "Calendar"
    icon_name = "calendar"
    record_kinds = frozenset({"appointment", "booking"})
    """An appointment to show, or a contact (its id) to book an appointment for."""
    poll_job = "appointments"
    preload = ("tzlocal",)  # the user's own zone, read when the tab is first shown

    @classmethod
    def warm_up(cls) -> None:
        """The zone pickers' list of every tzdata zone (read from the package's files)."""
        zone_names()

    new_booking_requested = Signal()
    """The user asked to book a new appointment (N, or "New booking…")."""

    reschedule_requested = Signal(str)
    """The user asked to move this appointment (its id) to another time."""

    cancel_requested = Signal(list, str)
    """(appointment ids, reason): the user confirmed cancelling these, for this reason."""

    def __init__(
        self,
        context: AreaContext[CalendarPort],
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.time,
        zone_name: str | None = None,
    ) -> None:
        super().__init__(context, parent)
        self.port = context.port
        self.tasks = context.tasks
        self._clock = clock
        self._reader: CalendarReader | None = None
        self._view = "week"
        port = context.port
        self._zone_name = normal_zone(zone_name or port.user_zone())
        self._second_zone: str | None = None
        self._show_cancelled = False
        self._hidden_by_scope: dict[str, list[str]] = {}
        self._anchor = self._today()
        self._range: tuple[int, int] | None = None
        self._data: RangeData | None = None
        self._loaded = False
        self._selected: list[str] = []
        self._known_rows: dict[str, AppointmentRow] = {}
        self._entries: list[Entry] = []
        self._info = ViewInfo(self._zone_name)
        self._reveal: str | None = None
        self._syncing_agenda = False
        self.cancel_dialog: CancelReasonDialog | None = None
        self._ics: IcsExport | None = None
        self._calendar_rows: dict[str, CalendarRow] = {}
        self._first_weekday = (QLocale().firstDayOfWeek().value - 1) % 7
        self.owner_switches = 0
        """Sub-accounts opened to act on a row of the merged view (tests, diagnostics)."""

    # ------------------------------------------------------------------ building

    def build_steps(self) -> Iterator[None]:
        """The bar and the panel first, then the views and the details."""
        self.loader = RangeLoader(self)
        self.calendars_model = CalendarListModel(self)
        root = QVBoxLayout(self)
        root.setContentsMargins(Spacing.M, Spacing.M, Spacing.M, Spacing.S)
        root.setSpacing(Spacing.S)
        self.banner = Banner(self)
        root.addWidget(self.banner)
        root.addLayout(self._build_bar())
        yield

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.panel = CalendarsPanel(self.calendars_model, self.splitter)
        self.panel.setMinimumWidth(180)
        self.panel.zone_picker.set_zone(self._zone_name)
        self.panel.second_zone_picker.set_zone(None)
        self.center = QWidget(self.splitter)
        center_layout = QVBoxLayout(self.center)
        center_layout.setContentsMargins(0, 0, 0, 0)
        self.stack = QStackedWidget(self.center)
        center_layout.addWidget(self.stack)
        # Loading, or nothing in this period: a note floating over the view (the grid does
        # not move when it comes and goes).
        self.notice = QFrame(self.center)
        self.notice.setProperty("severity", "info")
        self.notice.setAutoFillBackground(True)
        notice_row = QHBoxLayout(self.notice)
        notice_row.setContentsMargins(Spacing.M, Spacing.XS, Spacing.XS, Spacing.XS)
        notice_row.setSpacing(Spacing.S)
        self.notice_label = QLabel(self.notice)
        self.go_today_button = QPushButton("Go to today", self.notice)
        self.go_today_button.clicked.connect(self.go_today)
        notice_row.addWidget(self.notice_label)
        notice_row.addWidget(self.go_today_button)
        self.notice.hide()
        self.center.installEventFilter(self)
        self.grid = TimeGridView(self.stack, clock=self._clock)
        self.month = MonthView(self.stack, clock=self._clock)
        self.agenda_model = AgendaModel(self)
        self.agenda = QListView(self.stack)
        self.agenda.setModel(self.agenda_model)
        self.agenda.setItemDelegate(AgendaDelegate(self.agenda, clock=self._clock))
        self.agenda.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.agenda.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.agenda.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.agenda.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.empty = EmptyState(self.stack)
        self.empty.actionClicked.connect(self.go_today)
        for widget in (self.grid, self.month, self.agenda, self.empty):
            self.stack.addWidget(widget)
        yield

        self.details = DetailsPane(self.splitter)
        self.splitter.addWidget(self.panel)
        self.splitter.addWidget(self.center)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([210, 820, 330])
        self.splitter.setCollapsible(1, False)
        root.addWidget(self.splitter, 1)
        self._build_actions()
        self._connect()
        self.commands = CalendarActions(self)
        self.set_reader(self.port.merged_agenda() or self.port.reader())

    def _build_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.setSpacing(Spacing.S)
        self.today_button = QPushButton("Today", self)
        self.today_button.setToolTip("Go to today (T)")
        self.today_button.clicked.connect(self.go_today)
        self.previous_button = self._tool("chevron-right", "", lambda: self.step(-1))
        self.previous_button.setArrowType(Qt.ArrowType.LeftArrow)
        self.next_button = self._tool("chevron-right", "", lambda: self.step(1))
        self.next_button.setArrowType(Qt.ArrowType.RightArrow)
        for button in (self.previous_button, self.next_button):
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.period_label = QLabel(self)
        font = self.period_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.period_label.setFont(font)
        bar.addWidget(self.today_button)
        bar.addWidget(self.previous_button)
        bar.addWidget(self.next_button)
        bar.addSpacing(Spacing.S)
        bar.addWidget(self.period_label)
        bar.addStretch(1)
        self.view_group = QButtonGroup(self)
        self.view_group.setExclusive(True)
        self.view_buttons: dict[str, QToolButton] = {}
        for name, label, key in VIEWS:
            button = QToolButton(self)
            button.setText(label)
            button.setCheckable(True)
            button.setAutoRaise(False)
            button.setToolTip(f"{label} view ({key})")
            button.clicked.connect(lambda _c=False, n=name: self.set_view(n))
            self.view_group.addButton(button)
            self.view_buttons[name] = button
            bar.addWidget(button)
        self.view_buttons[self._view].setChecked(True)
        self.view_group.buttonToggled.connect(_embolden)
        _embolden(self.view_buttons[self._view], True)
        bar.addSpacing(Spacing.M)
        self.export_button = self._tool("export", "Export…", self.export_visible)
        self.export_button.setToolTip("Export the appointments shown to an .ics file")
        self.export_button.hide()  # until the window gives the tab the .ics export
        bar.addWidget(self.export_button)
        self.new_button = self._tool("add", "New booking…", self.new_booking_requested.emit)
        self.new_button.setToolTip("Book an appointment (N)")
        bar.addWidget(self.new_button)
        return bar

    def _tool(self, icon_name: str, text: str, slot: Callable[[], Any]) -> QToolButton:
        button = QToolButton(self)
        button.setIcon(icon(icon_name))
        button.setText(text)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setAutoRaise(True)
        button.clicked.connect(lambda _c=False: slot())
        return button

    def _build_actions(self) -> None:
        self.actions_by_key: dict[str, QAction] = {}
        bindings: list[tuple[str, QKeySequence, Callable[[], Any]]] = [
            ("today", QKeySequence(Qt.Key.Key_T), self.go_today),
            ("previous", QKeySequence(Qt.Key.Key_Left), lambda: self.step(-1)),
            ("next", QKeySequence(Qt.Key.Key_Right), lambda: self.step(1)),
            ("day", QKeySequence(Qt.Key.Key_D), lambda: self.set_view("day")),
            ("week", QKeySequence(Qt.Key.Key_W), lambda: self.set_view("week")),
            ("month", QKeySequence(Qt.Key.Key_M), lambda: self.set_view("month")),
            ("agenda", QKeySequence(Qt.Key.Key_A), lambda: self.set_view("agenda")),
            ("new", QKeySequence(Qt.Key.Key_N), self._new_booking),
            ("open", QKeySequence(Qt.Key.Key_Return), self._open_details_in_owner),
            ("open-enter", QKeySequence(Qt.Key.Key_Enter), self._open_details_in_owner),
            ("cancel", QKeySequence(Qt.Key.Key_Delete), self.request_cancel),
        ]
        for name, sequence, slot in bindings:
            action = QAction(self)
            action.setShortcut(sequence)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _c=False, s=slot: s())
            self.addAction(action)
            self.actions_by_key[name] = action

    def _connect(self) -> None:
        bridge = self.context.bridge
        bridge.sessionChanged.connect(self._on_session)
        bridge.appointmentsChanged.connect(self._on_appointments_changed)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self.calendars_model.hiddenChanged.connect(self._on_hidden_changed)
        self.panel.showCancelledChanged.connect(self.set_show_cancelled)
        self.panel.zone_picker.zoneChosen.connect(self._zone_chosen)
        self.panel.second_zone_picker.zoneChosen.connect(self.set_second_zone)
        for view in (self.grid, self.month):
            view.appointmentClicked.connect(self._clicked)
            view.appointmentActivated.connect(self._activated)
        self.grid.dayClicked.connect(lambda day: self.show_day(day))
        self.month.dayActivated.connect(lambda day: self.show_day(day))
        self.agenda.selectionModel().selectionChanged.connect(self._agenda_selection_changed)
        self.agenda.doubleClicked.connect(lambda _i: self._open_details_in_owner())
        self.agenda_model.loadingChanged.connect(lambda _l: self._update_notice())
        self.agenda_model.rowsInserted.connect(lambda *_: self._update_notice())
        self.agenda_model.rowsRemoved.connect(lambda *_: self._update_notice())
        self.agenda_model.loadFailed.connect(lambda text: self.banner.show_message("danger", text))
        self.details.openContactRequested.connect(
            lambda cid: self.in_owner(
                [cid], lambda ids: self.navigator.show_record("contact", ids[0])
            )
        )
        self.details.openConversationRequested.connect(
            lambda conversation_id: self.in_owner(
                [conversation_id], lambda ids: self.navigator.show_record("conversation", ids[0])
            )
        )
        self.details.rescheduleRequested.connect(self.request_reschedule)
        self.details.cancelRequested.connect(lambda ids: self.request_cancel(ids))
        self.details.appointmentChosen.connect(lambda aid: self.select([aid]))
        self.details.exportRequested.connect(lambda aid: self.export_appointment(aid))
        self.details.set_export_available(False)

    # ------------------------------------------------------------------ state

    def _today(self) -> date:
        zone = zone_or_none(self._zone_name) or ZoneInfo("UTC")
        return local_time(int(self._clock() * 1000), zone).date()

    @property
    def view(self) -> str:
        """The view shown: "day", "week", "month" or "agenda"."""
        return self._view

    @property
    def anchor(self) -> date:
        """A day of the period shown (the first day of the agenda)."""
        return self._anchor

    @property
    def zone_name(self) -> str:
        """The display zone."""
        return self._zone_name

    @property
    def second_zone(self) -> str | None:
        """The second time column's zone, or None."""
        return self._second_zone

    @property
    def show_cancelled(self) -> bool:
        """Whether cancelled appointments are shown."""
        return self._show_cancelled

    @property
    def selected_ids(self) -> list[str]:
        """The selected appointments (the last one is the one in the details pane)."""
        return list(self._selected)

    @property
    def info(self) -> ViewInfo:
        """Zones, calendars and type names as the views use them."""
        return self._info

    def period_days(self) -> list[date]:
        """The days of the period shown (the agenda: from its first day, one week)."""
        if self._view == "day":
            return [self._anchor]
        if self._view == "month":
            return month_days(self._anchor, self._first_weekday)
        if self._view == "agenda":
            return [self._anchor + timedelta(days=i) for i in range(7)]
        return week_days(self._anchor, self._first_weekday)

    def visible_entries(self) -> list[Entry]:
        """The blocks of the period shown (after hiding calendars and cancelled ones)."""
        return list(self._entries)

    def visible_appointment_ids(self) -> list[str]:
        """Every appointment shown in the period (or listed by the agenda)."""
        if self._view == "agenda":
            return self.agenda_model.appointment_ids()
        return [appointment_id for entry in self._entries for appointment_id in entry.ids]

    def is_loaded(self) -> bool:
        """Whether the open sub-account's appointments for the period are on screen."""
        return self.is_built and self._reader is not None and self._loaded

    # ------------------------------------------------------------------ scope

    @property
    def merged(self) -> MergedCalendarReader | None:
        """The merged reader shown in "All sub-accounts", else None."""
        reader = self._reader
        return reader if isinstance(reader, MergedCalendarReader) else None

    def set_all_mode(self, on: bool) -> None:
        """Show every member sub-account's appointments (``on``), or the open sub-account's
        again; called again in All mode when the members change (the same members: nothing
        happens)."""
        if self.is_built:  # else the build reads the port's mode at its end
            reader = (self.port.merged_agenda() if on else None) or self.port.reader()
            if reader is not self._reader:
                self.set_reader(reader)

    def in_owner(self, keys: list[str], act: Callable[[list[str]], object]) -> bool:
        """Run ``act`` with the bare ids of ``keys`` in their owner's sub-account: at once
        outside the merged view or when it is open, else after opening it. False (and the
        banner says why) when the keys belong to several sub-accounts."""
        if self.merged is None:
            act(keys)
            return True
        owners = {split_key(key)[0] for key in keys}
        if len(owners) != 1 or None in owners:
            self.banner.show_message(
                "info", "Choose appointments of one sub-account at a time to act on them."
            )
            return False
        owner = next(iter(owners))
        assert owner is not None
        bare = [split_key(key)[1] for key in keys]
        if self.port.open_sub_account() == owner:
            act(bare)
            return True
        self.tasks.spawn(self._open_then(owner, lambda: act(bare)), "calendar-owner", replace=True)
        return True

    async def _open_then(self, owner: str, act: Callable[[], object]) -> None:
        self.owner_switches += 1
        outcome = await self.port.open_owner(owner)
        if outcome == "opened" and self.port.open_sub_account() == owner:
            # Synchronously after the switch: nothing can open another sub-account between.
            act()
        elif outcome == "failed":
            self.banner.show_message(
                "danger", "That sub-account could not be opened; nothing was changed."
            )
        elif outcome == "stayed":
            self.banner.show_message(
                "info", "The open sub-account was kept; nothing was done to that appointment."
            )

    def request_reschedule(self, appointment_id: str) -> None:
        """Move an appointment (its owner's sub-account opened first in the merged view)."""
        self.in_owner([appointment_id], lambda ids: self.reschedule_requested.emit(ids[0]))

    def set_reader(self, reader: CalendarReader | None) -> None:
        """Show another sub-account's calendar: everything of the previous one goes at once."""
        previous = self._reader
        if previous is not None:
            self._hidden_by_scope[_scope_key(previous)] = sorted(self.calendars_model.hidden)
        self._reader = reader
        self.loader.forget()
        self._data = None
        self._range = None
        self._loaded = False
        self._entries = []
        self._selected = []
        self._known_rows = {}
        self._calendar_rows = {}
        self._reveal = None
        self.banner.hide()
        self.calendars_model.clear()
        self.calendars_model.set_hidden(
            self._hidden_by_scope.get(_scope_key(reader), []) if reader is not None else []
        )
        self.details.set_conversation_finder(
            reader.conversation_of_contact if reader is not None else None
        )
        self.agenda_model.show(None, self._anchor)
        self.new_button.setEnabled(reader is not None)
        self._rebuild_info()
        self._reload()
        self.loadedChanged.emit(self.is_loaded())

    def _on_session(self, event: SessionChanged) -> None:
        merged = self.port.merged_agenda()
        if merged is not None:
            # Opening a member (a row's owner) keeps the merged view as it is.
            if merged is not self._reader:
                self.set_reader(merged)
            return
        self.set_reader(self.port.reader(event.scope) if event.scope is not None else None)

    def _on_appointments_changed(self, event: AppointmentsChanged) -> None:
        reader = self._reader
        if reader is None or not reader.covers(event.scope):
            return
        self.loader.invalidate()
        if self._view == "agenda":
            self.agenda_model.refresh()
        elif self._range is not None:
            self.loader.request(reader, *self._range)

    # ------------------------------------------------------------------ navigation

    def set_view(self, view: str) -> None:
        """Show the day, week, month or agenda view of the current period."""
        if view not in dict((v[0], v[1]) for v in VIEWS):
            raise ValueError(f"unknown calendar view {view!r}")
        button = self.view_buttons[view]
        if not button.isChecked():
            button.setChecked(True)
        if view == self._view:
            return
        self._view = view
        self._reload()

    def step(self, steps: int) -> None:
        """Move the period shown by ``steps`` days, weeks or months."""
        self._anchor = shift_period(self._anchor, self._view, steps)
        self._reload()

    def go_today(self) -> None:
        """Show the period holding today."""
        today = self._today()
        if today != self._anchor:
            self._anchor = today
            self._reload()
        if self._view in ("day", "week"):
            self.grid.scroll_to_start()

    def go_to(self, day: date) -> None:
        """Show the period holding ``day``."""
        if day != self._anchor:
            self._anchor = day
            self._reload()

    def show_day(self, day: date) -> None:
        """Show ``day`` in the day view."""
        self._anchor = day
        if self._view != "day":
            self.view_buttons["day"].setChecked(True)
            self._view = "day"
        self._reload()

    def _reload(self) -> None:
        """Show the current period: at once from what is known, then from a fresh read."""
        days = self.period_days()
        self.period_label.setText(period_title(self._view, days))
        noun = PERIOD_WORDS[self._view]
        self.previous_button.setToolTip(f"Previous {noun} (←)")
        self.next_button.setToolTip(f"Next {noun} (→)")
        reader = self._reader
        if reader is None:
            self._range = None
            self._show_no_sub_account()
            return
        if self._view == "agenda":
            self._range = None
            self.stack.setCurrentWidget(self.agenda)
            self.agenda_model.set_filter(
                self._info, self.calendars_model.hidden, self._show_cancelled, self._class_ids()
            )
            self.agenda_model.show(reader, self._anchor)
            self._sync_agenda_selection()
            self._update_notice()
            first, last = self._anchor, self._anchor + timedelta(days=CHUNK_DAYS)
            self._fetch_range(*day_range_ms(first, last, self._info.zone))
            return
        start, end = day_range_ms(days[0], days[-1], self._info.zone)
        self._range = (start, end)
        known = self.loader.request(reader, start, end, self._preparer(days))
        if known is not None:
            self._apply(known)
            self._prefetch()
        else:
            self._render()
        self._fetch_range(start, end)

    def _fetch_range(self, start_ms: int, end_ms: int) -> None:
        """Have the port fetch the period from the server when the poller does not keep it
        (its change event then redraws the period)."""
        self.tasks.spawn(self._fetch(start_ms, end_ms), "calendar-range", replace=True)

    async def _fetch(self, start_ms: int, end_ms: int) -> None:
        try:
            await self.port.load_range(start_ms, end_ms)
        except ApiError as exc:
            self.banner.show_message(
                "warning",
                f"The appointments of this period could not be fetched: {exc.user_message} "
                "What the cache holds is shown.",
            )
        except NotActive as exc:  # the sub-account closed meanwhile
            log.info("calendar range not fetched: %s", exc)

    def _days_of(self, anchor: date) -> list[date]:
        if self._view == "day":
            return [anchor]
        if self._view == "month":
            return month_days(anchor, self._first_weekday)
        return week_days(anchor, self._first_weekday)

    def _view_key(self, days: list[date]) -> ViewKey:
        return ViewKey(
            self._view,
            tuple(days),
            self._zone_name,
            frozenset(self.calendars_model.hidden),
            self._show_cancelled,
        )

    def _preparer(self, days: list[date]) -> Prepare:
        """What the worker makes of a period's rows for this view (as filtered now)."""
        key = self._view_key(days)

        def prepare(data: RangeData) -> PreparedView:
            return prepare_view(key, data.rows, _class_ids(data.calendars))

        return prepare

    def _neighbour_ranges(self) -> list[tuple[int, int, Prepare | None]]:
        ranges: list[tuple[int, int, Prepare | None]] = []
        for steps in (1, -1):
            days = self._days_of(shift_period(self._anchor, self._view, steps))
            start, end = day_range_ms(days[0], days[-1], self._info.zone)
            ranges.append((start, end, self._preparer(days)))
        return ranges

    # ------------------------------------------------------------------ data

    def _on_loaded(self, data: RangeData) -> None:
        if data.reader is not self._reader:
            return
        if (data.start_ms, data.end_ms) == self._range:
            self._apply(data)
            self._prefetch()

    def _prefetch(self) -> None:
        if self._reader is not None and self._view != "agenda":
            self.loader.prefetch(self._reader, self._neighbour_ranges())

    def _on_failed(self, text: str) -> None:
        self.banner.show_message("danger", text)
        if not self._loaded and self._reader is not None:
            # Nothing more will come for this period: say what is known (nothing).
            self._loaded = True
            self._render()
            self.loadedChanged.emit(self.is_loaded())

    def _apply(self, data: RangeData) -> None:
        self._data = data
        calendars = list(data.calendars)
        self._calendar_rows = {c.id: c for c in calendars}
        self.calendars_model.set_calendars(
            calendars, (row.calendar_id for row in data.rows if row.calendar_id)
        )
        for row in data.rows:
            if row.id in self._known_rows or row.id in self._selected:
                self._known_rows[row.id] = row
        self._rebuild_info()
        first = not self._loaded
        self._loaded = True
        self._render()
        if first:
            self.loadedChanged.emit(True)

    def _class_ids(self) -> frozenset[str]:
        return frozenset(c.id for c in self.calendars_model.calendars if c.kind == "class")

    def _rebuild_info(self) -> None:
        data = self._data
        types = {t.id: t.name for t in data.types} if data is not None else {}
        merged = self.merged
        self._info = ViewInfo(
            self._zone_name,
            self._second_zone,
            {c.id: c for c in self.calendars_model.calendars},
            types,
            {m.sub_account_id: m for m in merged.members()} if merged is not None else {},
        )

    def _render(self) -> None:
        """Draw the period from ``_data`` (nothing while it is being read)."""
        if self._reader is None:
            return
        data = self._data
        current = data is not None and (data.start_ms, data.end_ms) == self._range
        rows = list(data.rows) if data is not None and current else []
        days = self.period_days()
        key = self._view_key(days)
        prepared = data.prepared if data is not None and current else None
        if not (isinstance(prepared, PreparedView) and prepared.key == key):
            # The filters or zones changed since the read: placed again here.
            calendars = data.calendars if data is not None and current else ()
            prepared = prepare_view(key, rows, _class_ids(calendars) | self._class_ids())
        self._entries = prepared.entries
        if self._view in ("day", "week") and prepared.grid is not None:
            self.grid.set_content(prepared.grid, self._info)
            self.stack.setCurrentWidget(self.grid)
            if current:
                self.grid.scroll_first_time()
        elif self._view == "month" and prepared.cells is not None:
            middle = days[len(days) // 2]
            self.month.set_content(days, prepared.cells, middle.month, self._info)
            self.stack.setCurrentWidget(self.month)
        if self._loaded and not self.calendars_model.calendars and not rows:
            self._show_no_calendars()
        self._refresh_selection()
        self._update_notice()
        if self._reveal is not None and self._reveal in self.visible_appointment_ids():
            if self._view in ("day", "week"):
                self.grid.ensure_visible(self._reveal)
            self._reveal = None

    def _show_no_sub_account(self) -> None:
        self.empty.set_content("calendar", "No sub-account open", "Connect to Seedly CRM first.")
        self.stack.setCurrentWidget(self.empty)
        self.notice.hide()
        self.details.show_selection(None, None, [])

    def _show_no_calendars(self) -> None:
        self.empty.set_content(
            "calendar",
            "No calendars in this sub-account yet",
            "Calendars and their appointments appear here as soon as they are synced "
            "from Seedly CRM.",
        )
        self.stack.setCurrentWidget(self.empty)

    def _update_notice(self) -> None:
        """The line above the view: loading, or nothing in this period (and why)."""
        if self._reader is None:
            self.notice.hide()
            return
        today_shown = (
            self._today() in self.period_days()
            if self._view != "agenda"
            else (self._anchor <= self._today())
        )
        loading = self.period_loading()
        if self._view == "agenda":
            empty = self.agenda_model.loaded_once and self.agenda_model.appointment_count == 0
            what = "from this day on"
        else:
            empty = not loading and not self._entries
            what = f"this {PERIOD_WORDS[self._view]}"
        if loading:
            self.notice_label.setText("Loading appointments…")
            self.go_today_button.hide()
            self._show_notice()
            return
        if not empty or self.stack.currentWidget() is self.empty:
            self.notice.hide()
            return
        text = f"No appointments {what}."
        hidden = len(self.calendars_model.hidden & {c.id for c in self.calendars_model.calendars})
        if hidden:
            text += f" {hidden} calendar{'s are' if hidden != 1 else ' is'} hidden."
        if not self._show_cancelled and self._cancelled_in_range():
            text += " Cancelled ones are hidden."
        self.notice_label.setText(text)
        self.go_today_button.setVisible(not today_shown)
        self._show_notice()

    def _show_notice(self) -> None:
        self.notice.adjustSize()
        self._place_notice()
        self.notice.show()
        self.notice.raise_()

    def _place_notice(self) -> None:
        width = min(self.notice.sizeHint().width(), self.center.width() - 2 * Spacing.M)
        self.notice.resize(width, self.notice.sizeHint().height())
        top = HEADER_HEIGHT + Spacing.M if self.stack.currentWidget() is self.grid else Spacing.M
        self.notice.move((self.center.width() - width) // 2, top)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.center and event.type() == QEvent.Type.Resize:
            self._place_notice()
        return super().eventFilter(watched, event)

    def period_loading(self) -> bool:
        """Whether the period shown waits for its first read (nothing known of it yet)."""
        if self._reader is None:
            return False
        if self._view == "agenda":
            return not self.agenda_model.loaded_once
        data = self._data
        return data is None or (data.start_ms, data.end_ms) != self._range

    def _cancelled_in_range(self) -> bool:
        data = self._data
        return data is not None and any(row.status == "cancelled" for row in data.rows)

    # ------------------------------------------------------------------ filters and zones

    def _on_hidden_changed(self) -> None:
        if self._reader is not None:
            self._hidden_by_scope[_scope_key(self._reader)] = sorted(self.calendars_model.hidden)
        self._refilter()

    def set_calendar_shown(self, calendar_id: str, shown: bool) -> None:
        """Show or hide one calendar's appointments (as its check box does)."""
        self.calendars_model.set_shown(calendar_id, shown)

    def set_show_cancelled(self, shown: bool) -> None:
        """Show or hide cancelled appointments."""
        if self.panel.show_cancelled.isChecked() != shown:
            self.panel.show_cancelled.setChecked(shown)  # comes back here through the signal
            return
        if shown == self._show_cancelled:
            return
        self._show_cancelled = shown
        self._refilter()

    def _refilter(self) -> None:
        if self._view == "agenda":
            self.agenda_model.set_filter(
                self._info, self.calendars_model.hidden, self._show_cancelled, self._class_ids()
            )
            self._refresh_selection()
            self._update_notice()
        else:
            self._render()

    def _zone_chosen(self, name: object) -> None:
        if isinstance(name, str):
            self.set_zone(name)

    def set_zone(self, name: str) -> None:
        """Show times in the zone ``name`` (an IANA name); unknown names are ignored."""
        if zone_or_none(name) is None or name == self._zone_name:
            return
        self._zone_name = name
        self.panel.zone_picker.set_zone(name)
        self.port.set_user_zone(name)
        self._rebuild_info()
        self.details.set_info(self._info)
        self._reload()

    def set_second_zone(self, name: object) -> None:
        """Show a second time column in ``name``'s hours (None: none)."""
        zone = name if isinstance(name, str) and zone_or_none(name) is not None else None
        if zone == self._second_zone:
            return
        self._second_zone = zone
        self.panel.second_zone_picker.set_zone(zone)
        self._rebuild_info()
        self.details.set_info(self._info)
        self._refilter()

    # ------------------------------------------------------------------ selection

    def select(self, ids: list[str]) -> None:
        """Select these appointments (the last one shows in the details)."""
        self._selected = list(dict.fromkeys(ids))
        self._refresh_selection()

    def _clicked(self, appointment_id: str, toggle: bool) -> None:
        if toggle:
            if appointment_id in self._selected:
                self._selected.remove(appointment_id)
            else:
                self._selected.append(appointment_id)
            self._refresh_selection()
        else:
            self.select([appointment_id])

    def _activated(self, appointment_id: str) -> None:
        if appointment_id not in self._selected:
            self.select([appointment_id])
        self._open_details_in_owner()

    def _row(self, appointment_id: str) -> AppointmentRow | None:
        data = self._data
        if data is not None:
            for row in data.rows:
                if row.id == appointment_id:
                    self._known_rows[appointment_id] = row
                    return row
        for entry in self._entries:
            for row in entry.rows:
                if row.id == appointment_id:
                    return row
        known = self._known_rows.get(appointment_id)
        open_id = self.port.open_sub_account()
        if known is None and self.merged is not None and open_id:
            owner, _bare = split_key(appointment_id)
            if owner is None:
                # The bare id the booking service knows (its reports): the open one's row.
                return self._row(merged_key(open_id, appointment_id))
        return known

    def _entry_of(self, appointment_id: str) -> Entry | None:
        return next((e for e in self._entries if appointment_id in e.ids), None)

    def selected_rows(self) -> list[AppointmentRow]:
        """The selected appointments that are known (read for some period)."""
        rows = [self._row(i) for i in self._selected]
        return [row for row in rows if row is not None]

    def _refresh_selection(self) -> None:
        chosen = frozenset(self._selected)
        self.grid.set_selected(chosen)
        self.month.set_selected(chosen)
        self._sync_agenda_selection()
        rows = self.selected_rows()
        current = rows[-1] if rows else None
        entry = self._entry_of(current.id) if current is not None else None
        self.details.set_info(self._info)
        self.details.show_selection(entry, current, rows)

    def _sync_agenda_selection(self) -> None:
        if self._view != "agenda":
            return
        selection = QItemSelection()
        for row in range(self.agenda_model.rowCount()):
            index = self.agenda_model.index(row, 0)
            appointment_id = index.data(AppointmentIdRole)
            entry = self.agenda_model.row_at(row)
            ids = entry.entry.ids if entry is not None and entry.entry is not None else ()
            if appointment_id is not None and any(i in self._selected for i in ids):
                selection.select(index, index)
        self._syncing_agenda = True
        try:
            self.agenda.selectionModel().select(
                selection, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
        finally:
            self._syncing_agenda = False

    def _agenda_selection_changed(self, *_: Any) -> None:
        if self._syncing_agenda:
            return
        ids: list[str] = []
        for index in self.agenda.selectionModel().selectedIndexes():
            appointment_id = index.data(AppointmentIdRole)
            if isinstance(appointment_id, str):
                ids.append(appointment_id)
        current = self.agenda.currentIndex().data(AppointmentIdRole)
        if isinstance(current, str) and current in ids:
            ids.remove(current)
            ids.append(current)
        for appointment_id in ids:
            row = self.agenda_model.row_of_appointment(appointment_id)
            item = self.agenda_model.row_at(row)
            if item is not None and item.entry is not None:
                for found in item.entry.rows:
                    if found.id == appointment_id:
                        self._known_rows[appointment_id] = found
        self._selected = ids
        rows = self.selected_rows()
        current_row = rows[-1] if rows else None
        entry = None
        if current_row is not None:
            item = self.agenda_model.row_at(self.agenda_model.row_of_appointment(current_row.id))
            entry = item.entry if item is not None else None
        self.details.show_selection(entry, current_row, rows)

    def open_details(self) -> None:
        """Bring the selected appointment's details into view (Enter)."""
        if not self._selected:
            return
        sizes = self.splitter.sizes()
        if len(sizes) == 3 and sizes[2] == 0:
            self.splitter.setSizes([sizes[0], max(200, sizes[1] - 330), 330])
        target = (
            self.details.open_contact
            if self.details.open_contact.isEnabled()
            else self.details.copy_button
        )
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _new_booking(self) -> None:
        if self._reader is not None:
            self.new_booking_requested.emit()

    def _open_details_in_owner(self) -> None:
        """Enter on a row of another sub-account in the merged view opens that one first."""
        current = self._selected[-1] if self._selected else None
        if current is None or self.merged is None:
            self.open_details()
            return
        self.in_owner([current], lambda _ids: self.open_details())

    # ------------------------------------------------------------------ cancelling

    def request_cancel(self, ids: list[str] | None = None) -> CancelReasonDialog | None:
        """Ask why the selected (or given) appointments are cancelled; once confirmed,
        ``cancel_requested(ids, reason)`` is emitted. Returns the dialog (None when none
        of them can be cancelled)."""
        wanted = ids if ids is not None else self._selected
        rows = [row for row in (self._row(i) for i in wanted) if row is not None and row.active]
        if not rows:
            if wanted:
                self.banner.show_message(
                    "info", "Only scheduled or confirmed appointments can be cancelled."
                )
            return None
        summary = None
        if len(rows) == 1:
            row = rows[0]
            summary = (
                f"{row.contact_name or row.title or 'Appointment'} — "
                f"{time_range(row.start_ms, row.end_ms, self._info.zone, with_day=True)}"
            )
        dialog = CancelReasonDialog(len(rows), self, summary=summary)
        self.cancel_dialog = dialog
        ids = [row.id for row in rows]
        # Connected before it opens: an answer can never be missed.
        dialog.finished.connect(lambda result: self._cancel_decided(dialog, result, ids))
        dialog.open()
        return dialog

    def _cancel_decided(self, dialog: CancelReasonDialog, result: int, ids: list[str]) -> None:
        reason = dialog.reason()
        if self.cancel_dialog is dialog:
            self.cancel_dialog = None
        dialog.deleteLater()
        if result == QDialog.DialogCode.Accepted and reason:
            self.in_owner(ids, lambda bare: self.cancel_requested.emit(bare, reason))

    # ------------------------------------------------------------------ export

    def set_ics_export(self, export: IcsExport | None) -> None:
        """Offer ".ics" export (one appointment, or the period shown) with ``export``, the
        services' file maker and writer (None: not offered)."""
        self._ics = export
        self.export_button.setVisible(export is not None)
        self.details.set_export_available(export is not None)

    def visible_rows(self) -> list[AppointmentRow]:
        """Every appointment shown in the period (each attendee of a class session)."""
        if self._view == "agenda":
            found: dict[str, AppointmentRow] = {}
            for index in range(self.agenda_model.rowCount()):
                item = self.agenda_model.row_at(index)
                if item is not None and item.entry is not None:
                    for row in item.entry.rows:
                        found.setdefault(row.id, row)
            return list(found.values())
        return [row for entry in self._entries for row in entry.rows]

    def export_appointment(
        self, appointment_id: str, *, path: Path | None = None
    ) -> asyncio.Task[Path | None] | None:
        """Export one appointment to an .ics file (asks where unless ``path``)."""
        row = self._row(appointment_id)
        if row is None or self._ics is None:
            return None
        name = appointment_file_name(row, day_of(row.start_ms, self._info.zone))
        return self.tasks.spawn(
            self._export([row], documents_folder() / name, path), "calendar-export"
        )

    def export_visible(self, *, path: Path | None = None) -> asyncio.Task[Path | None] | None:
        """Export the appointments shown (the period, as filtered) to an .ics file."""
        rows = self.visible_rows()
        if self._ics is None:
            return None
        if not rows:
            self.banner.show_message("info", "There is no appointment on screen to export.")
            return None
        zone = self._info.zone
        first = min(day_of(row.start_ms, zone) for row in rows)
        last = max(day_of(max(row.start_ms, row.end_ms - 1), zone) for row in rows)
        proposed = documents_folder() / period_file_name(first, last)
        return self.tasks.spawn(self._export(rows, proposed, path), "calendar-export")

    async def _export(
        self, rows: list[AppointmentRow], proposed: Path, path: Path | None
    ) -> Path | None:
        export = self._ics
        if export is None:
            return None
        if self.merged is not None:
            # The event's UID is the appointment's own id, the same in every export; the
            # calendar keeps its merged key (the calendars are looked up by it).
            rows = [replace(row, id=split_key(row.id)[1]) for row in rows]
        # The services' sentences, an unknown zone, a folder that cannot be written.
        failures: tuple[type[Exception], ...] = (*export.failures, ValueError, OSError)
        try:
            written = await export_ics(
                self, export, rows, self._calendar_rows, self._zone_name, proposed, path=path
            )
        except failures as exc:
            log.warning("calendar export failed: %s", exc)
            self.banner.show_message("danger", str(exc))
            return None
        if written is not None:
            noun = "appointment" if len(rows) == 1 else f"{len(rows):,} appointments"
            self.banner.show_message("success", f"Exported {noun} to {written.name}.")
        return written

    # ------------------------------------------------------------------ records

    def show_record(self, kind: str, record_id: str) -> bool:
        """Global search and other areas open an appointment here (its week, selected)."""
        self.build()
        if kind == "booking":
            return self.commands.book_contact(record_id) is not None
        return kind == "appointment" and self.show_appointment(record_id)

    def show_appointment(self, appointment_id: str) -> bool:
        """Select ``appointment_id`` in the period holding it (the week view from the
        agenda), showing its calendar and cancelled ones if they were hidden. False when
        the cache does not know it."""
        reader = self._reader
        if reader is None:
            return False
        open_id = self.port.open_sub_account()
        owner, bare = split_key(appointment_id)
        if self.merged is not None and owner is None and open_id:
            # A bare id is the open sub-account's (a booking just made, a notification).
            appointment_id = merged_key(open_id, appointment_id)
        elif self.merged is None and owner is not None:
            # A merged view's key (its notification) after leaving it: the open one's only.
            if owner != reader.sub_account_id:
                return False
            appointment_id = bare
        try:
            row = reader.appointment(appointment_id)
        except Exception as exc:  # StorageError: the banner says so
            log.error("could not read appointment %s", appointment_id, exc_info=exc)
            self.banner.show_message("danger", "Could not read that appointment from the cache.")
            return False
        if row is None:
            return False
        if row.calendar_id and row.calendar_id in self.calendars_model.hidden:
            self.calendars_model.set_shown(row.calendar_id, True)
        if row.status == "cancelled" and not self._show_cancelled:
            self.set_show_cancelled(True)
        self._known_rows[row.id] = row
        self._selected = [row.id]
        self._reveal = row.id
        if self._view == "agenda":
            self.view_buttons["week"].setChecked(True)
            self._view = "week"
        self._anchor = day_of(row.start_ms, self._info.zone)
        self._reload()
        self._refresh_selection()
        return True

    # ------------------------------------------------------------------ area hooks

    def set_shown(self, shown: bool) -> None:
        """First shown: the grid scrolls to now or to the working hours."""
        if shown and self.is_built and self._view in ("day", "week"):
            self.grid.scroll_first_time()

    def save_state(self, settings: QSettings) -> None:
        """View, zones, cancelled shown, hidden calendars per sub-account, the splitter."""
        if self._reader is not None:
            self._hidden_by_scope[_scope_key(self._reader)] = sorted(self.calendars_model.hidden)
        settings.beginGroup(SETTINGS_GROUP)
        settings.setValue("view", self._view)
        settings.setValue("zone", self._zone_name)
        settings.setValue("secondZone", self._second_zone or "")
        settings.setValue("showCancelled", self._show_cancelled)
        settings.setValue("hiddenCalendars", json.dumps(self._hidden_by_scope))
        settings.setValue("notifyCalendars", json.dumps(sorted(self.commands.notify_calendars)))
        settings.setValue("splitter", self.splitter.saveState())
        settings.endGroup()

    def restore_state(self, settings: QSettings) -> None:
        """Restore what ``save_state`` kept (unreadable values are ignored)."""
        settings.beginGroup(SETTINGS_GROUP)
        try:
            notified = json.loads(str(settings.value("notifyCalendars", "[]")))
            if isinstance(notified, list):
                self.commands.notify_calendars = {str(c) for c in notified}
            hidden = json.loads(str(settings.value("hiddenCalendars", "{}")))
            if isinstance(hidden, dict):
                self._hidden_by_scope = {
                    str(k): [str(i) for i in v] for k, v in hidden.items() if isinstance(v, list)
                }
            if self._reader is not None:
                self.calendars_model.set_hidden(
                    self._hidden_by_scope.get(_scope_key(self._reader), [])
                )
            zone = settings.value("zone")
            if isinstance(zone, str) and zone_or_none(zone) is not None:
                self._zone_name = zone
                self.panel.zone_picker.set_zone(zone)
                self.port.set_user_zone(zone)
                self._anchor = self._today()
            second = settings.value("secondZone")
            if isinstance(second, str):
                self._second_zone = second if zone_or_none(second) is not None else None
                self.panel.second_zone_picker.set_zone(self._second_zone)
            shown = settings.value("showCancelled")
            if isinstance(shown, bool | str):
                self._show_cancelled = shown is True or shown == "true"
                self.panel.show_cancelled.blockSignals(True)
                self.panel.show_cancelled.setChecked(self._show_cancelled)
                self.panel.show_cancelled.blockSignals(False)
            view = settings.value("view")
            if isinstance(view, str) and view in self.view_buttons:
                self._view = view
                self.view_buttons[view].setChecked(True)
            splitter = settings.value("splitter")
            if splitter is not None:
                self.splitter.restoreState(splitter)
        except (ValueError, TypeError) as exc:
            log.info("ignored unreadable calendar tab settings: %s", exc)
        finally:
            settings.endGroup()
        self._rebuild_info()
        self._reload()

    async def prepare_screenshot(self, timeout: float = SCREENSHOT_WAIT_SECONDS) -> bool:
        """``--screenshot``: the week view with appointments, one of them selected."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self._view != "week":
            self.set_view("week")
        if not self._entries:
            # The poller reads appointments at once for the tab on screen.
            self.navigator.show_area(self.area_name)
        while not (self.is_loaded() and self._entries):
            if loop.time() > deadline:
                return self.is_loaded()
            await asyncio.sleep(0.1)
        now_ms = int(self._clock() * 1000)
        upcoming = [e for e in self._entries if e.end_ms >= now_ms and not e.is_session]
        chosen = (upcoming or self._entries)[0]
        self.select([chosen.primary.id])
        self.grid.ensure_visible(chosen.primary.id)
        return True

    async def shutdown(self) -> None:
        """Stop reading (before the cache closes)."""
        if not self.is_built:
            return
        self.loader.close(wait=True)
        self.agenda_model.close()


__all__ = ["CalendarTab", "normal_zone"]
