"""The booking dialog's slot picking: a strip of the week's days and the slot table.

``DayStrip`` shows one button per day (a date in the calendar's zone) with how many
free times it has, greyed with the reason when it has none; ``SlotTableModel`` lists
a day's free slots in the user's zone and the lead's side by side (seats left on
class calendars).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QSizePolicy, QToolButton, QWidget

from app.services.ports.calendar import DaySlots, Slot, day_label, read_back_line, zone_place
from app.ui.common.fields import set_flag
from app.ui.theme import Spacing

SLOT_ROLE = Qt.ItemDataRole.UserRole + 1
"""The ``Slot`` of a row."""

USER_COLUMN, LEAD_COLUMN, SEATS_COLUMN = range(3)


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The zone called ``name``; UTC when it is unknown or missing."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def slot_time(slot: Slot, zone: str, day: date | None) -> str:
    """A slot's start and end in ``zone`` ("10:00–10:30"), with its date when that is not
    ``day`` ("Wed 15 Apr, 01:00–01:30")."""
    tz = zone_or_utc(zone)
    start = datetime.fromtimestamp(slot.start_ms / 1000, tz=tz)
    end = datetime.fromtimestamp(slot.end_ms / 1000, tz=tz)
    times = f"{start:%H:%M}–{end:%H:%M}"
    return times if day is None or start.date() == day else f"{day_label(start.date())}, {times}"


class SlotTableModel(QAbstractTableModel):
    """A day's free slots: the user's time, the lead's time and (class calendars) seats left.

    A day has a few dozen slots at most: a new day resets the model."""

    def __init__(self, user_zone: str, lead_zone: str, parent: Any = None) -> None:
        super().__init__(parent)
        self._slots: list[Slot] = []
        self._day: date | None = None
        self._user_zone = user_zone
        self._lead_zone = lead_zone
        self._seats = False

    # -- contents ------------------------------------------------------------------------
    def set_slots(self, slots: Sequence[Slot], day: date | None, *, seats: bool) -> None:
        """Show ``slots`` of ``day``; ``seats`` adds the seats column (class calendars)."""
        self.beginResetModel()
        self._slots = list(slots)
        self._day = day
        self._seats = seats
        self.endResetModel()

    def set_zones(self, user_zone: str, lead_zone: str) -> None:
        """Show the times in these zones (the headers name them)."""
        self._user_zone, self._lead_zone = user_zone, lead_zone
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, USER_COLUMN, LEAD_COLUMN)
        if self._slots:
            self.dataChanged.emit(
                self.index(0, USER_COLUMN),
                self.index(len(self._slots) - 1, LEAD_COLUMN),
                [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole],
            )

    def slot(self, row: int) -> Slot | None:
        """The slot of ``row``, or None."""
        return self._slots[row] if 0 <= row < len(self._slots) else None

    def row_of(self, start_ms: int, end_ms: int) -> int:
        """The row of the slot ``[start_ms, end_ms)``, or -1."""
        for row, slot in enumerate(self._slots):
            if slot.start_ms == start_ms and slot.end_ms == end_ms:
                return row
        return -1

    # -- Qt ------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._slots)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        if parent.isValid():
            return 0
        return 3 if self._seats else 2

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section == USER_COLUMN:
            return f"Your time ({zone_place(self._user_zone)})"
        if section == LEAD_COLUMN:
            return f"Lead's time ({zone_place(self._lead_zone)})"
        if section == SEATS_COLUMN and self._seats:
            return "Seats left"
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        slot = self.slot(index.row())
        if slot is None or index.column() >= self.columnCount():
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == USER_COLUMN:
                return slot_time(slot, self._user_zone, self._day)
            if column == LEAD_COLUMN:
                return slot_time(slot, self._lead_zone, self._day)
            left = slot.seats_remaining
            return "" if left is None else f"{left} left"
        if role == Qt.ItemDataRole.ToolTipRole:
            return read_back_line(slot.start_ms, slot.end_ms, self._user_zone, self._lead_zone)
        if role == SLOT_ROLE:
            return slot
        if role == Qt.ItemDataRole.TextAlignmentRole and column == SEATS_COLUMN:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class DayStrip(QWidget):
    """One button per day of a week: weekday, date and free times (or why there are none).

    Days without slots stay clickable (their reason shows below the strip) but are drawn
    muted; ``daySelected`` fires when the user picks a day."""

    daySelected = Signal(object)
    """A ``date`` was picked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(Spacing.XS)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self._buttons: dict[date, QToolButton] = {}
        self._days: dict[date, DaySlots] = {}

    def set_days(self, days: Sequence[date]) -> None:
        """Show ``days``, each "loading" until ``set_day`` gives its slots."""
        for button in self._buttons.values():
            self._group.removeButton(button)
            self._layout.removeWidget(button)
            button.deleteLater()
        self._buttons = {}
        self._days = {}
        for day in days:
            button = QToolButton(self)
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            button.setMinimumWidth(64)
            button.clicked.connect(lambda _checked=False, d=day: self._picked(d))
            self._group.addButton(button)
            self._layout.addWidget(button)
            self._buttons[day] = button
            self._show(day, None)

    def days(self) -> list[date]:
        """The days shown, in order."""
        return list(self._buttons)

    def set_day(self, slots: DaySlots) -> None:
        """Show a day's free times (or its reason for having none)."""
        if slots.day not in self._buttons:
            return
        self._days[slots.day] = slots
        self._show(slots.day, slots)

    def day_slots(self, day: date) -> DaySlots | None:
        """What the strip knows of ``day`` (None while it loads)."""
        return self._days.get(day)

    def button(self, day: date) -> QToolButton | None:
        """The button of ``day`` (tests, focus)."""
        return self._buttons.get(day)

    def selected(self) -> date | None:
        """The day picked, or None."""
        for day, button in self._buttons.items():
            if button.isChecked():
                return day
        return None

    def select(self, day: date) -> None:
        """Pick ``day`` as the user would (``daySelected`` fires)."""
        button = self._buttons.get(day)
        if button is not None:
            button.setChecked(True)
            self._picked(day)

    def step(self, delta: int) -> date | None:
        """Pick the day ``delta`` days from the picked one (within the strip)."""
        days = self.days()
        current = self.selected()
        if not days or current is None:
            return None
        index = max(0, min(len(days) - 1, days.index(current) + delta))
        self.select(days[index])
        return days[index]

    def _picked(self, day: date) -> None:
        self.daySelected.emit(day)

    def _show(self, day: date, slots: DaySlots | None) -> None:
        button = self._buttons[day]
        head = f"{day:%a}\n{day.day} {day:%b}"
        if slots is None:
            button.setText(f"{head}\n…")
            button.setToolTip("Loading free times…")
            set_flag(button, "noSlots", False)
            return
        count = len(slots.slots)
        if count:
            button.setText(f"{head}\n{count} free")
            button.setToolTip(f"{count} free time{'s' if count != 1 else ''}")
        else:
            button.setText(f"{head}\nNone")
            button.setToolTip(slots.reason or "No free times.")
        button.setAccessibleName(f"{day_label(day)}: {button.toolTip()}")
        set_flag(button, "noSlots", not count)


STRIP_STYLESHEET_RULE = 'QToolButton[noSlots="true"] {{ color: {muted}; }}'
"""The rule that greys days without slots (``muted`` is the theme's muted text colour)."""


__all__ = [
    "LEAD_COLUMN",
    "SEATS_COLUMN",
    "SLOT_ROLE",
    "STRIP_STYLESHEET_RULE",
    "USER_COLUMN",
    "DayStrip",
    "SlotTableModel",
    "slot_time",
    "zone_or_utc",
]
