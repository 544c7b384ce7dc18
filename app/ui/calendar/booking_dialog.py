"""Book (or reschedule) an appointment: calendar and type, a day of the week, a free slot in
both zones, the person, then Book.

The flow a salesperson on a call follows: the dialog opens with the contact filled
in and the week's first free slot of the first type selected, the slot table has the
keyboard, and Enter books (arrows pick another slot first; ←/→ another day). The
read-back line says the time in the user's zone and the lead's, with a Copy button.

Everything slow is asynchronous through the ``TaskSet``: the week of slots arrives
day by day (``BookingService.week_slots``), the booking runs in a task while the
dialog is busy (never twice: Book is disabled and Enter ignored until it ends). When
the slot was taken meanwhile, everything typed stays, the slot list is refreshed and
the message says what happened; when Seedly cannot be reached the message says so
(nothing is queued). In reschedule mode the dialog asks for the reason, books the new
time first, cancels the old one, and shows the report.

In "All sub-accounts" (``owners`` given) a combo at the top asks which sub-account
to book in. Choosing one opens it first (``CalendarPort.open_owner``): its calendars,
types and free times are then read, and the booking goes through its own booking
service. A contact belongs to one sub-account: booked in another, the typed details
are sent as a new person there, never the other sub-account's contact id.
"""

from __future__ import annotations

import asyncio
import logging
import zoneinfo
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.phones import DEFAULT_REGION
from app.services.ports.calendar import (
    AppointmentRow,
    AppointmentTypeRow,
    BookingContact,
    BookingError,
    BookingNotConfirmed,
    BookingRefused,
    BookingRequest,
    BookingService,
    CalendarPort,
    CalendarRow,
    DaySlots,
    Member,
    NeedsConnection,
    NotActive,
    RescheduleReport,
    Slot,
    SlotTaken,
    StorageError,
    booking_errors,
    day_label,
    kind_label,
    read_back_line,
    span_text,
    type_summary,
    zone_place,
)
from app.ui.async_qt import TaskSet
from app.ui.calendar.booking_person import PersonForm, PersonValues
from app.ui.calendar.booking_slots import (
    LEAD_COLUMN,
    SEATS_COLUMN,
    STRIP_STYLESHEET_RULE,
    USER_COLUMN,
    DayStrip,
    SlotTableModel,
    zone_or_utc,
)
from app.ui.common.fields import field_stylesheet, scheme_colors
from app.ui.common.messages import MessagePanel
from app.ui.theme import Spacing, icon

log = logging.getLogger(__name__)

WEEK_DAYS = 7
RESCHEDULE_REASONS = (
    "Customer asked to move it",
    "Schedule conflict",
    "Staff unavailable",
    "Booked at the wrong time",
)


def _split_name(name: str | None) -> tuple[str | None, str | None]:
    if not name:
        return None, None
    first, _, last = name.strip().partition(" ")
    return first or None, last.strip() or None


def _zone_names() -> list[str]:
    """The IANA zones people pick from (region/city names; no legacy aliases)."""
    names = zoneinfo.available_timezones()
    skip = ("Etc/", "SystemV/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/")
    return sorted(n for n in names if "/" in n and not n.startswith(skip)) + ["UTC"]


class BookingDialog(QDialog):
    """Book an appointment for a person, or move one (see the module docstring)."""

    booked = Signal(object)
    """The ``AppointmentRow`` just booked (the new one of a reschedule)."""

    def __init__(
        self,
        port: CalendarPort,
        tasks: TaskSet,
        *,
        contact: BookingContact | None = None,
        reschedule: AppointmentRow | None = None,
        lead_zone: str | None = None,
        user_zone: str | None = None,
        parent: QWidget | None = None,
        owners: Sequence[Member] | None = None,
        owner: str | None = None,
        owner_contact_id: str | None = None,
    ) -> None:
        """Book in the sub-account open now; with ``owners`` (All sub-accounts), in the one
        chosen among them: ``owner`` first (else the open one), with ``owner_contact_id``,
        a contact of ``owner``'s, filled in once it is open."""
        super().__init__(parent)
        self._port = port
        self._owners = list(owners or [])
        open_now = port.open_sub_account()
        wanted = owner or open_now
        if self._owners and wanted not in {m.sub_account_id for m in self._owners}:
            wanted = self._owners[0].sub_account_id
        self._contact_owner = owner if owner_contact_id else (open_now if contact else None)
        self._pending_contact = owner_contact_id
        self._switching = False
        self._tasks = tasks
        self._contact = contact
        self._original = reschedule
        self._user_zone = user_zone or port.user_zone()
        self._task_name = f"booking-dialog-{id(self)}"
        self._busy = False
        self._booking_said = False
        """A booking was attempted: its message stays until the user books again."""
        self._done = False
        self._auto_pick = True
        self._first_day: date | None = None
        self._calendars: list[CalendarRow] = []
        self._types: list[AppointmentTypeRow] = []
        self.report: RescheduleReport | None = None
        self.setWindowTitle("Reschedule appointment" if reschedule else "Book an appointment")
        self.setMinimumWidth(720)
        colors = scheme_colors()
        self.setStyleSheet(
            field_stylesheet(colors) + "\n" + STRIP_STYLESHEET_RULE.format(muted=colors.muted_text)
        )
        self._build(lead_zone)
        if self._owners and wanted is not None:
            self.owner_combo.setCurrentIndex(self._owner_index(wanted))
            self.owner_combo.currentIndexChanged.connect(lambda _i: self._owner_chosen())
            self._switch_owner(wanted)
        else:
            self._load_calendars()
        self.finished.connect(lambda _result: self._tasks.cancel(f"{self._task_name}:week"))
        self._tasks.spawn(self._load_zone_names(), name=f"{self._task_name}:zones")

    # -- building --------------------------------------------------------------------------
    def _build(self, lead_zone: str | None) -> None:
        layout = QVBoxLayout(self)
        layout.setSpacing(Spacing.M)
        if self._original is not None:
            moving = QLabel(self)
            moving.setWordWrap(True)
            original = self._original
            who = original.contact_name or original.contact_email or "the contact"
            when = span_text(original.start_ms, original.end_ms, self._user_zone)
            moving.setText(
                f"Moving {who}'s appointment of {when} ({zone_place(self._user_zone)}). "
                "The new time is booked first; the original is cancelled only once it is."
            )
            layout.addWidget(moving)
            self.moving_label = moving

        # The sub-account (All sub-accounts only).
        if self._owners:
            owner_row = QHBoxLayout()
            self.owner_combo = QComboBox(self)
            self.owner_combo.setAccessibleName("Sub-account")
            for member in self._owners:
                self.owner_combo.addItem(member.name, member.sub_account_id)
            owner_label = QLabel("&Sub-account", self)
            owner_label.setBuddy(self.owner_combo)
            owner_row.addWidget(owner_label)
            owner_row.addWidget(self.owner_combo, 1)
            layout.addLayout(owner_row)

        # Calendar and type.
        choice = QGridLayout()
        choice.setHorizontalSpacing(Spacing.M)
        self.calendar_combo = QComboBox(self)
        self.calendar_combo.setAccessibleName("Calendar")
        self.type_combo = QComboBox(self)
        self.type_combo.setAccessibleName("Appointment type")
        calendar_label = QLabel("&Calendar", self)
        calendar_label.setBuddy(self.calendar_combo)
        type_label = QLabel("&Type", self)
        type_label.setBuddy(self.type_combo)
        choice.addWidget(calendar_label, 0, 0)
        choice.addWidget(self.calendar_combo, 0, 1)
        choice.addWidget(type_label, 0, 2)
        choice.addWidget(self.type_combo, 0, 3)
        choice.setColumnStretch(1, 1)
        choice.setColumnStretch(3, 1)
        layout.addLayout(choice)
        self.type_details = QLabel(self)
        self.type_details.setProperty("muted", True)
        self.type_details.setWordWrap(True)
        layout.addWidget(self.type_details)

        # Zones.
        zones = QHBoxLayout()
        self.user_zone_label = QLabel(self)
        self.user_zone_label.setText(
            f"Your time zone: {zone_place(self._user_zone)} ({self._user_zone})"
        )
        zones.addWidget(self.user_zone_label)
        zones.addStretch(1)
        lead_label = QLabel("&Lead's time zone", self)
        self.lead_zone_combo = QComboBox(self)
        self.lead_zone_combo.setEditable(True)
        self.lead_zone_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.lead_zone_combo.setMinimumWidth(220)
        self.lead_zone_combo.setAccessibleName("Lead's time zone")
        lead_label.setBuddy(self.lead_zone_combo)
        completer = QCompleter(self.lead_zone_combo.model(), self.lead_zone_combo)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.lead_zone_combo.setCompleter(completer)
        zones.addWidget(lead_label)
        zones.addWidget(self.lead_zone_combo)
        layout.addLayout(zones)
        self._lead_zone = lead_zone if lead_zone and _valid_zone(lead_zone) else None

        # The week.
        week = QHBoxLayout()
        self.previous_week = QToolButton(self)
        self.previous_week.setArrowType(Qt.ArrowType.LeftArrow)
        self.previous_week.setToolTip("Previous week")
        self.previous_week.setAccessibleName("Previous week")
        self.next_week = QToolButton(self)
        self.next_week.setArrowType(Qt.ArrowType.RightArrow)
        self.next_week.setToolTip("Next week")
        self.next_week.setAccessibleName("Next week")
        self.strip = DayStrip(self)
        week.addWidget(self.previous_week)
        week.addWidget(self.strip, 1)
        week.addWidget(self.next_week)
        layout.addLayout(week)
        self.days_note = QLabel(self)
        self.days_note.setProperty("muted", True)
        layout.addWidget(self.days_note)

        # The slots.
        self.slot_model = SlotTableModel(self._user_zone, self._user_zone, self)
        self.slots = QTableView(self)
        self.slots.setModel(self.slot_model)
        self.slots.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.slots.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.slots.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.slots.verticalHeader().hide()
        self.slots.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.slots.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.slots.setMinimumHeight(150)
        self.slots.setAccessibleName("Free times")
        self.slots.installEventFilter(self)
        layout.addWidget(self.slots, 1)
        self.day_reason = QLabel(self)
        self.day_reason.setWordWrap(True)
        self.day_reason.setProperty("muted", True)
        self.day_reason.hide()
        layout.addWidget(self.day_reason)

        read_back = QHBoxLayout()
        self.read_back = QLabel(self)
        self.read_back.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.read_back.setAccessibleName("Read-back line")
        font = self.read_back.font()
        font.setBold(True)
        self.read_back.setFont(font)
        self.copy_button = QPushButton("Cop&y", self)
        self.copy_button.setToolTip("Copy the line to read back to the lead")
        self.copy_button.setAutoDefault(False)
        read_back.addWidget(self.read_back, 1)
        read_back.addWidget(self.copy_button)
        layout.addLayout(read_back)

        # The person.
        person_box = QGroupBox("Person", self)
        person_layout = QVBoxLayout(person_box)
        self.person = PersonForm(person_box)
        person_layout.addWidget(self.person)
        layout.addWidget(person_box)

        self.reason_combo: QComboBox | None = None
        self.reason_message = QLabel(self)
        if self._original is not None:
            reason_row = QHBoxLayout()
            reason_label = QLabel("&Reason for moving *", self)
            self.reason_combo = QComboBox(self)
            self.reason_combo.setEditable(True)
            self.reason_combo.addItems(RESCHEDULE_REASONS)
            self.reason_combo.setCurrentIndex(-1)
            self.reason_combo.setAccessibleName("Reason for moving")
            line = self.reason_combo.lineEdit()
            if line is not None:
                line.setPlaceholderText("Why the appointment moves (sent with the cancel)")
            reason_label.setBuddy(self.reason_combo)
            reason_row.addWidget(reason_label)
            reason_row.addWidget(self.reason_combo, 1)
            layout.addLayout(reason_row)
            self.reason_message.setProperty("fieldError", True)
            self.reason_message.hide()
            layout.addWidget(self.reason_message)

        self.message = MessagePanel(self)
        layout.addWidget(self.message)

        self.buttons = QDialogButtonBox(self)
        self.book_button = QPushButton("Reschedule" if self._original else "Book", self)
        self.book_button.setIcon(icon("calendar"))
        self.book_button.setDefault(True)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(self.book_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._on_book)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        # Wiring.
        self.calendar_combo.currentIndexChanged.connect(lambda _i: self._calendar_chosen())
        self.type_combo.currentIndexChanged.connect(lambda _i: self._type_chosen())
        self.lead_zone_combo.activated.connect(lambda _i: self._lead_zone_edited())
        line = self.lead_zone_combo.lineEdit()
        if line is not None:
            line.editingFinished.connect(self._lead_zone_edited)
        self.previous_week.clicked.connect(lambda: self._move_week(-WEEK_DAYS))
        self.next_week.clicked.connect(lambda: self._move_week(WEEK_DAYS))
        self.strip.daySelected.connect(self._day_chosen)
        selection = self.slots.selectionModel()
        selection.currentRowChanged.connect(lambda *_: self._slot_chosen())
        selection.selectionChanged.connect(lambda *_: self._slot_chosen())
        self.copy_button.clicked.connect(self.copy_read_back)
        self.person.edited.connect(self._update_buttons)
        copy = QShortcut(QKeySequence("Ctrl+Shift+C"), self)
        copy.activated.connect(self.copy_read_back)

        region = DEFAULT_REGION

        def validate(values: PersonValues) -> dict[str, str]:
            return booking_errors(self._request_for(values, None), region)

        self.person.set_validator(validate)
        if self._contact is not None:
            c = self._contact
            self.person.set_values(c.first_name, c.last_name, c.email, c.phone)
        elif self._original is not None:
            first, last = _split_name(self._original.contact_name)
            self.person.set_values(
                first, last, self._original.contact_email, self._original.contact_phone
            )
        self._update_buttons()

    # -- the sub-account (All sub-accounts) ------------------------------------------------
    def chosen_owner(self) -> str | None:
        """The sub-account chosen to book in (None: no choice offered, the open one)."""
        if not self._owners:
            return None
        value = self.owner_combo.currentData()
        return value if isinstance(value, str) else None

    def _owner_index(self, sub_account_id: str | None) -> int:
        return next(
            (i for i, m in enumerate(self._owners) if m.sub_account_id == sub_account_id), 0
        )

    def _owner_chosen(self) -> None:
        chosen = self.chosen_owner()
        if chosen is not None:
            self._switch_owner(chosen)

    def _switch_owner(self, sub_account_id: str) -> None:
        """Open ``sub_account_id`` (unless it is open), then read its calendars."""
        if self._port.open_sub_account() == sub_account_id:
            self._owner_opened(sub_account_id)
            return
        self._switching = True
        self._update_buttons()
        name = self.owner_combo.currentText()
        self._show("info", f"Opening {name}…", "Its calendars and free times follow.")
        self._tasks.spawn(
            self._open_owner(sub_account_id), name=f"{self._task_name}:owner", replace=True
        )

    async def _open_owner(self, sub_account_id: str) -> None:
        try:
            outcome = await self._port.open_owner(sub_account_id)
        finally:
            self._switching = False
        open_now = self._port.open_sub_account()
        if outcome == "opened" and open_now == sub_account_id:
            self.message.hide()
            self._owner_opened(sub_account_id)
            return
        # Back to the sub-account open now: what the dialog shows is always what it books.
        self.owner_combo.blockSignals(True)
        self.owner_combo.setCurrentIndex(self._owner_index(open_now))
        self.owner_combo.blockSignals(False)
        if outcome == "failed":
            self._show("danger", "That sub-account could not be opened.", "Book in this one.")
        self._update_buttons()

    def _owner_opened(self, sub_account_id: str) -> None:
        pending, self._pending_contact = self._pending_contact, None
        reader = self._port.reader()
        if pending is not None and reader is not None and sub_account_id == self._contact_owner:
            try:
                contact = reader.booking_contact(pending)
            except StorageError as exc:
                log.error("could not read contact %s", pending, exc_info=exc)
                contact = None
            if contact is not None:
                self._contact = contact
                self.person.set_values(
                    contact.first_name, contact.last_name, contact.email, contact.phone
                )
        self.calendar_combo.blockSignals(True)
        self.calendar_combo.clear()
        self.calendar_combo.blockSignals(False)
        self._calendars = []
        self._load_calendars()
        self._update_buttons()

    def _contact_id(self) -> str | None:
        """The contact booked for: only in the sub-account it belongs to."""
        contact = self._contact
        if contact is None:
            return None
        if self._owners and self._contact_owner != self._port.open_sub_account():
            return None
        return contact.contact_id

    # -- calendars and types ---------------------------------------------------------------
    def _load_calendars(self) -> None:
        reader = self._port.reader()
        if reader is None:
            self._show("warning", "No connection is open", "Open a connection to book.")
            self._update_buttons()
            return
        try:
            calendars = reader.calendars()
        except StorageError as exc:
            self._show("danger", "The calendars could not be read from the cache.", str(exc))
            calendars = []
        self._calendars = calendars
        self.calendar_combo.blockSignals(True)
        for calendar in calendars:
            self.calendar_combo.addItem(f"{calendar.name} · {kind_label(calendar.kind)}")
        self.calendar_combo.blockSignals(False)
        if not calendars:
            self._show(
                "info",
                "No calendars yet",
                "The calendars are read when the sub-account opens; try again in a moment.",
            )
            self._update_buttons()
            return
        wanted = self._original.calendar_id if self._original is not None else None
        index = next((i for i, c in enumerate(calendars) if c.id == wanted), 0)
        self.calendar_combo.setCurrentIndex(index)
        self._calendar_chosen()

    def calendar(self) -> CalendarRow | None:
        """The calendar chosen."""
        index = self.calendar_combo.currentIndex()
        return self._calendars[index] if 0 <= index < len(self._calendars) else None

    def appointment_type(self) -> AppointmentTypeRow | None:
        """The appointment type chosen."""
        index = self.type_combo.currentIndex()
        return self._types[index] if 0 <= index < len(self._types) else None

    def _calendar_chosen(self) -> None:
        calendar = self.calendar()
        reader = self._port.reader()
        types: list[AppointmentTypeRow] = []
        if calendar is not None and reader is not None:
            try:
                types = reader.types(calendar.id)
            except StorageError as exc:
                log.warning("booking: types of %s could not be read: %s", calendar.id, exc)
        self._types = types
        self.type_combo.blockSignals(True)
        self.type_combo.clear()
        for kind in types:
            self.type_combo.addItem(kind.name)
        self.type_combo.blockSignals(False)
        wanted = self._original.type_id if self._original is not None else None
        index = next((i for i, t in enumerate(types) if t.id == wanted), 0)
        if types:
            self.type_combo.setCurrentIndex(index)
        self._refresh_zones()
        self._first_day = None
        self._type_chosen()

    def _type_chosen(self) -> None:
        self.type_details.setText(type_summary(self.appointment_type(), self.calendar()))
        self._auto_pick = True
        self._load_week()

    # -- zones -------------------------------------------------------------------------------
    def _calendar_zone(self) -> str:
        calendar = self.calendar()
        zone = calendar.timezone if calendar is not None else None
        return zone if zone and _valid_zone(zone) else self._user_zone

    def lead_zone(self) -> str:
        """The lead's zone (prefilled; else the calendar's)."""
        return self._lead_zone or self._calendar_zone()

    def _refresh_zones(self) -> None:
        current = self.lead_zone()
        combo = self.lead_zone_combo
        if combo.findText(current) < 0:
            combo.insertItem(0, current)
        combo.blockSignals(True)
        combo.setCurrentIndex(combo.findText(current))
        combo.blockSignals(False)
        self.slot_model.set_zones(self._user_zone, current)
        calendar_zone = self._calendar_zone()
        self.days_note.setText(
            ""
            if calendar_zone == self._user_zone
            else f"Days are those of the calendar's time zone, {zone_place(calendar_zone)} "
            f"({calendar_zone})."
        )
        self.days_note.setVisible(calendar_zone != self._user_zone)
        self._update_read_back()

    def _lead_zone_edited(self) -> None:
        text = self.lead_zone_combo.currentText().strip()
        if not _valid_zone(text):
            self.lead_zone_combo.setToolTip(f"“{text}” is not a time zone; pick one from the list.")
            self._refresh_zones()
            return
        self.lead_zone_combo.setToolTip("")
        if text != self.lead_zone():
            self._lead_zone = text
            self._refresh_zones()

    def set_lead_zone(self, zone: str) -> None:
        """Show the lead's times in ``zone`` (as picking it in the combo does)."""
        self.lead_zone_combo.setEditText(zone)
        self._lead_zone_edited()

    async def _load_zone_names(self) -> None:
        names = await asyncio.to_thread(_zone_names)
        combo = self.lead_zone_combo
        current = combo.currentText()
        combo.blockSignals(True)
        for name in names:
            if combo.findText(name) < 0:
                combo.addItem(name)
        combo.setCurrentIndex(combo.findText(current))
        combo.blockSignals(False)

    # -- the week --------------------------------------------------------------------------
    def _today(self) -> date:
        return datetime.now(zone_or_utc(self._calendar_zone())).date()

    def _move_week(self, days: int) -> None:
        first = (self._first_day or self._today()) + timedelta(days=days)
        self._first_day = max(first, self._today())
        self._auto_pick = True  # the new week's first free time is chosen, as at the start
        self._load_week()

    def _load_week(self) -> None:
        kind = self.appointment_type()
        first = self._first_day or self._today()
        self._first_day = first
        self.previous_week.setEnabled(first > self._today())
        self.strip.set_days([first + timedelta(days=i) for i in range(WEEK_DAYS)])
        self._show_day(None)
        if kind is None:
            self._tasks.cancel(f"{self._task_name}:week")
            return
        self._tasks.spawn(self._week(kind.id, first), name=f"{self._task_name}:week", replace=True)

    def _service(self) -> BookingService | None:
        try:
            return self._port.booking()
        except NotActive:
            self._show("warning", "No connection is open", "Open a connection to book.")
            return None

    async def _week(self, type_id: str, first: date) -> None:
        service = self._service()
        if service is None:
            return
        self.message.hide()
        try:
            await service.week_slots(type_id, first, WEEK_DAYS, on_day=self._day_arrived)
        except NeedsConnection as exc:
            self._show_loading("warning", "No connection to Seedly", exc.message)
            return
        except BookingError as exc:
            self._show_loading("danger", "The free times could not be read", exc.message)
            return
        if self._auto_pick and self.strip.selected() is None:
            # Nothing free this week: show the first day with its reason.
            days = self.strip.days()
            if days:
                self.strip.select(days[0])
            self._show(
                "info",
                "No free times this week",
                "Try the next week (→ button), another type or another calendar.",
            )

    def _day_arrived(self, slots: DaySlots) -> None:
        self.strip.set_day(slots)
        picked = self.strip.selected()
        if picked == slots.day:
            self._show_day(slots)
        elif picked is None and self._auto_pick and slots.slots:
            # Call mode: the first free time of the week is ready to book.
            self.strip.select(slots.day)
            self._select_row(0)
            self._focus_next_step()

    def _focus_next_step(self) -> None:
        """Give the keyboard to what comes next, unless the user is typing somewhere: the
        slot list when the person is complete (Enter books); for a known contact missing
        something Seedly needs (an email, a last name), that field with its reason shown, so
        the user asks for it on the call; else the first name."""
        focused = self.focusWidget()
        if focused is not None and focused not in (
            self.calendar_combo,
            self.type_combo,
            self.slots,
            self.previous_week,
            self.next_week,
        ):
            return
        if not self.person.errors():
            self.slots.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        known = self._contact is not None or self._original is not None
        key = self.person.reveal_errors() if known else None
        self.person.editor(key or "firstName").focus_target().setFocus(
            Qt.FocusReason.OtherFocusReason
        )

    def _day_chosen(self, day: date) -> None:
        self._show_day(self.strip.day_slots(day))

    def _show_day(self, slots: DaySlots | None) -> None:
        calendar = self.calendar()
        seats = calendar is not None and calendar.kind == "class"
        self.slot_model.set_slots(
            slots.slots if slots else (), slots.day if slots else None, seats=seats
        )
        header = self.slots.horizontalHeader()
        for column in (USER_COLUMN, LEAD_COLUMN, SEATS_COLUMN):
            if column < self.slot_model.columnCount():
                header.setSectionResizeMode(
                    column,
                    QHeaderView.ResizeMode.ResizeToContents
                    if column == SEATS_COLUMN
                    else QHeaderView.ResizeMode.Stretch,
                )
        if slots is not None and not slots.slots:
            self.day_reason.setText(f"{day_label(slots.day)}: {slots.reason or 'No free times.'}")
            self.day_reason.show()
        else:
            self.day_reason.hide()
        self._slot_chosen()

    def _select_row(self, row: int) -> None:
        if not 0 <= row < self.slot_model.rowCount():
            return
        index = self.slot_model.index(row, USER_COLUMN)
        self.slots.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )

    def selected_slot(self) -> Slot | None:
        """The free time chosen, or None."""
        rows = self.slots.selectionModel().selectedRows()
        return self.slot_model.slot(rows[0].row()) if rows else None

    def _slot_chosen(self) -> None:
        self._update_read_back()
        self._update_buttons()

    def _update_read_back(self) -> None:
        slot = self.selected_slot()
        if slot is None:
            self.read_back.setText("Pick a free time.")
            self.copy_button.setEnabled(False)
            return
        self.read_back.setText(self.read_back_text() or "")
        self.copy_button.setEnabled(True)

    def read_back_text(self) -> str | None:
        """The line to read to the lead for the chosen time, or None."""
        slot = self.selected_slot()
        if slot is None:
            return None
        return read_back_line(slot.start_ms, slot.end_ms, self._user_zone, self.lead_zone())

    def copy_read_back(self) -> None:
        """Put the read-back line on the clipboard."""
        text = self.read_back_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    # -- booking ---------------------------------------------------------------------------
    def _request_for(self, values: PersonValues, slot: Slot | None) -> BookingRequest:
        kind = self.appointment_type()
        return BookingRequest(
            type_id=kind.id if kind is not None else "",
            start_ms=slot.start_ms if slot is not None else 0,
            end_ms=slot.end_ms if slot is not None else 60_000,
            first_name=values.first_name,
            last_name=values.last_name,
            email=values.email,
            phone=values.phone,
            notes=values.notes,
            contact_id=self._contact_id(),
        )

    def _reason(self) -> str:
        return self.reason_combo.currentText().strip() if self.reason_combo is not None else ""

    def _update_buttons(self) -> None:
        ready = (
            self.selected_slot() is not None
            and not self._busy
            and not self._done
            and not self._switching
        )
        self.book_button.setEnabled(ready)
        self.close_button.setEnabled(not self._busy)

    def is_busy(self) -> bool:
        """Whether a booking is being sent."""
        return self._busy

    def _on_book(self) -> None:
        if self._busy or self._done:
            return  # never twice: Enter again while it is sent does nothing
        slot = self.selected_slot()
        if slot is None:
            self.slots.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        if self.person.reveal_all() is not None:
            return
        reason = self._reason()
        if self._original is not None and not reason:
            self.reason_message.setText("Say why the appointment moves (a few words).")
            self.reason_message.show()
            if self.reason_combo is not None:
                self.reason_combo.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.reason_message.hide()
        chosen = self.chosen_owner()
        if chosen is not None and chosen != self._port.open_sub_account():
            # Another sub-account was opened meanwhile: its service must not book this.
            self._show(
                "warning",
                "Another sub-account is open now.",
                "Choose the sub-account again to book in it.",
            )
            return
        service = self._service()
        if service is None:
            return
        request = self._request_for(self.person.values(), slot)
        self._set_busy(True)
        self._tasks.spawn(self._book(service, request, reason), name=f"{self._task_name}:book")

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        if busy:
            self.book_button.setText("Booking…")
            self._booking_said = True
            self._show("info", "Booking…", "Checking the time once more and sending the booking.")
        else:
            self.book_button.setText("Reschedule" if self._original else "Book")
        self._update_buttons()

    async def _book(self, service: BookingService, request: BookingRequest, reason: str) -> None:
        try:
            if self._original is not None:
                report = await service.reschedule(self._original.id, request, reason)
                row = report.new
            else:
                report = None
                row = await service.book(request)
        except SlotTaken as exc:
            self._set_busy(False)
            self._slot_taken(exc)
            return
        except NeedsConnection as exc:
            self._set_busy(False)
            self._show("warning", "Booking needs the connection", exc.message)
            return
        except BookingRefused as exc:
            self._set_busy(False)
            placed = False
            for key, sentence in (
                exc.errors or ({exc.field: exc.message} if exc.field else {})
            ).items():
                placed = self.person.set_server_error(key, sentence) or placed
            self._show("danger", "Seedly refused the booking", exc.message)
            if not placed and exc.field in ("startTime", "endTime"):
                self.slots.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        except BookingNotConfirmed as exc:
            self._set_busy(False)
            self._show("warning", "Not confirmed", exc.message)
            return
        except BookingError as exc:
            self._set_busy(False)
            self._show("danger", "Not booked", exc.message)
            return
        except NotActive:
            self._set_busy(False)
            self._show("warning", "No connection is open", "Open a connection to book.")
            return
        self._set_busy(False)
        self._done = True
        self._update_buttons()
        self.booked.emit(row)
        if report is None:
            self.accept()
            return
        self.report = report
        lines = [("text", line) for line in report.lines(self._user_zone)]
        if report.two_bookings:
            self._show("warning", "Rescheduled, but the original is still booked", "", lines)
        else:
            self._show("success", "Rescheduled", "", lines)
        self.close_button.setText("Close")
        self.close_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _slot_taken(self, exc: SlotTaken) -> None:
        fresh = exc.day
        self.strip.set_day(fresh)
        if self.strip.selected() == fresh.day:
            self._show_day(fresh)
        self.slots.clearSelection()
        self._slot_chosen()
        self._show(
            "danger",
            "That time was just taken",
            f"{exc.message} Everything you typed is kept: pick another time and book again.",
        )
        self.slots.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_loading(self, severity: str, title: str, text: str) -> None:
        # A booking's outcome is what the user acted on: a slot list that failed to load in
        # the background meanwhile must not replace it.
        if self._busy or self._booking_said:
            return
        self._show(severity, title, text)

    def _show(
        self,
        severity: str,
        title: str,
        text: str = "",
        lines: list[tuple[str, str]] | None = None,
    ) -> None:
        body = list(lines or [])
        if text:
            body.insert(0, ("text", text))
        self.message.show_content(severity, title, body)

    # -- keys and closing ------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # ←/→ in the slot table move to the previous or next day of the week.
        if watched is self.slots and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.modifiers() == Qt.KeyboardModifier.NoModifier and event.key() in (
                Qt.Key.Key_Left,
                Qt.Key.Key_Right,
            ):
                day = self.strip.step(-1 if event.key() == Qt.Key.Key_Left else 1)
                if day is not None:
                    self._select_row(0)
                return True
        return super().eventFilter(watched, event)

    def reject(self) -> None:
        if self._busy:
            return  # the booking is being sent: wait for its outcome
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._busy:
            event.ignore()
            return
        super().closeEvent(event)


def _valid_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


__all__ = ["RESCHEDULE_REASONS", "BookingContact", "BookingDialog"]
