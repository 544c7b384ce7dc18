"""The agenda view: appointments from the chosen day onward, grouped by day, read lazily.

``AgendaModel`` lists a header row per day that has appointments, then that
day's appointments (a class session once, with its attendee count). It reads
from the chosen day on a worker thread, a few weeks at a time (further when
those weeks are empty, up to a year), and reads further when the view scrolls to
its end (``canFetchMore``/``fetchMore``). A change in the cache re-reads what is
loaded and turns the rows into the new ones in place (``_reconcile``: rows move,
appear or leave; never a reset), so the selection and scroll position stay.
``AgendaDelegate`` paints both kinds of row at fixed heights; in "All
sub-accounts" an appointment's second line starts with its sub-account's chip.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.services.ports.calendar import AppointmentRow, CalendarReader, StorageError
from app.ui.calendar.entries import Entry, entries_of, visible_rows
from app.ui.calendar.info import ViewInfo
from app.ui.calendar.layout import day_of, day_start_ms, local_time
from app.ui.calendar.palette import (
    block_style,
    hue_color,
    is_dark,
    paint_block,
    scheme,
    struck_font,
)
from app.ui.calendar.texts import (
    block_title,
    long_day,
    status_words,
    time_range,
)
from app.ui.calendar.timegrid import Clock
from app.ui.common.owner_chip import chip_font, paint_owner_chip
from app.ui.common.paged_model import KeyedListModel, ReadWorker

CHUNK_DAYS = 21
"""Days read at a time."""
HORIZON_DAYS = 366
"""How far from the chosen day the agenda reads at most."""
MIN_ROWS = 25
"""A first read goes on past empty weeks until it has this many appointments."""

AgendaRowRole = Qt.ItemDataRole.UserRole + 1
AppointmentIdRole = Qt.ItemDataRole.UserRole + 2
OwnerNameRole = Qt.ItemDataRole.UserRole + 3
"""The owning sub-account's name in "All sub-accounts" (its chip), else None."""

HEADER_HEIGHT = 30
ROW_HEIGHT = 46


@dataclass(frozen=True, slots=True)
class AgendaRow:
    """A day's header (``entry`` None) or one entry under it."""

    key: str
    day: date
    entry: Entry | None = None


@dataclass(frozen=True, slots=True)
class _Answer:
    reader: CalendarReader
    start_day: date
    end_ms: int
    rows: tuple[AppointmentRow, ...]


def agenda_rows(entries: list[Entry], info: ViewInfo, first_day: date) -> list[AgendaRow]:
    """A header per day, then its entries (an entry over several days under each), from
    ``first_day`` on."""
    zone = info.zone
    by_day: dict[date, list[Entry]] = {}
    for entry in entries:
        day = max(day_of(entry.start_ms, zone), first_day)
        last = day_of(max(entry.start_ms, entry.end_ms - 1), zone)
        while day <= last:
            by_day.setdefault(day, []).append(entry)
            day += timedelta(days=1)
    rows: list[AgendaRow] = []
    for day in sorted(by_day):
        rows.append(AgendaRow(f"day:{day.isoformat()}", day))
        for entry in by_day[day]:
            rows.append(AgendaRow(f"{day.isoformat()}:{entry.key}", day, entry))
    return rows


class AgendaModel(KeyedListModel[AgendaRow]):
    """Days with appointments and their appointments (see the module docstring)."""

    noun = "appointments"
    read_errors = (StorageError,)

    loadingChanged = Signal(bool)
    """A read started (True) or its answer was applied (False)."""

    def __init__(self, parent: QObject | None = None, *, min_rows: int = MIN_ROWS) -> None:
        super().__init__(parent)
        self._min_rows = min_rows
        self._reader: CalendarReader | None = None
        self._start_day = date.today()
        self._end_ms = 0
        self._appointments: tuple[AppointmentRow, ...] = ()
        self._info = ViewInfo()
        self._hidden: frozenset[str] = frozenset()
        self._show_cancelled = False
        self._class_calendars: frozenset[str] = frozenset()
        self._reads = ReadWorker(self, name="calendar-agenda")
        self._loading = False
        self._loaded_once = False

    def row_key(self, row: AgendaRow) -> str:
        return row.key

    # -- what is shown -------------------------------------------------------------------------
    def show(self, reader: CalendarReader | None, start_day: date) -> None:
        """Appointments of ``reader`` from ``start_day`` on (None: nothing)."""
        if reader is not self._reader or start_day != self._start_day:
            self.beginResetModel()
            self._reader = reader
            self._start_day = start_day
            self._appointments = ()
            self._end_ms = 0
            self._set_rows([])
            self._end_reset()
            self._loaded_once = False
            self._reads.void()
        if reader is not None:
            self._read_to(max(self._end_ms, self._chunk_end(start_day, CHUNK_DAYS)), grow=True)
        else:
            self._set_loading(False)

    def set_filter(
        self,
        info: ViewInfo,
        hidden: Collection[str],
        show_cancelled: bool,
        class_calendars: Collection[str],
    ) -> None:
        """Zones and names, hidden calendars, cancelled shown or not: rows change in place."""
        self._info = info
        self._hidden = frozenset(hidden)
        self._show_cancelled = show_cancelled
        self._class_calendars = frozenset(class_calendars)
        self._rebuild()

    def refresh(self) -> None:
        """The cache changed: read what is loaded again (rows change in place)."""
        if self._reader is not None and self._end_ms:
            self._read_to(self._end_ms, grow=False)

    @property
    def start_day(self) -> date:
        """The first day listed."""
        return self._start_day

    @property
    def loading(self) -> bool:
        """Whether a read is in flight."""
        return self._loading

    @property
    def loaded_once(self) -> bool:
        """Whether the first read of the current source was applied."""
        return self._loaded_once

    @property
    def appointment_count(self) -> int:
        """Appointments listed (not day headers)."""
        return sum(1 for row in self._rows if row.entry is not None)

    def appointment_ids(self) -> list[str]:
        """Every appointment id listed, in order (each once)."""
        seen: dict[str, None] = {}
        for row in self._rows:
            if row.entry is not None:
                for appointment_id in row.entry.ids:
                    seen.setdefault(appointment_id, None)
        return list(seen)

    def row_of_appointment(self, appointment_id: str) -> int:
        """The first row holding ``appointment_id``, or -1."""
        for index, row in enumerate(self._rows):
            if row.entry is not None and appointment_id in row.entry.ids:
                return index
        return -1

    def close(self) -> None:
        """Stop reading (before the cache closes)."""
        self._reads.close(wait=True)

    # -- reading -------------------------------------------------------------------------------
    def _chunk_end(self, start_day: date, days: int) -> int:
        return day_start_ms(start_day + timedelta(days=days), self._info.zone)

    def _horizon_ms(self) -> int:
        return self._chunk_end(self._start_day, HORIZON_DAYS)

    def _read_to(self, end_ms: int, *, grow: bool) -> None:
        reader = self._reader
        if reader is None:
            return
        start_ms = day_start_ms(self._start_day, self._info.zone)
        start_day = self._start_day
        horizon = self._horizon_ms()
        chunk_ms = CHUNK_DAYS * 86_400_000
        min_rows = self._min_rows

        def read() -> _Answer:
            end = min(end_ms, horizon)
            rows = reader.appointments_between(start_ms, end, include_cancelled=True)
            # Past empty weeks, on to the first appointments (a quiet month reads on).
            while grow and end < horizon and len(rows) < min_rows:
                end = min(end + chunk_ms, horizon)
                rows = reader.appointments_between(start_ms, end, include_cancelled=True)
            return _Answer(reader, start_day, end, tuple(rows))

        self._set_loading(True)
        self._reads.submit(read, self._answered, self._failed)

    def _answered(self, answer: _Answer) -> None:
        if answer.reader is not self._reader or answer.start_day != self._start_day:
            return
        self._appointments = answer.rows
        self._end_ms = answer.end_ms
        self._loaded_once = True
        self._rebuild()
        self._set_loading(False)

    def _failed(self, exc: Exception) -> None:
        self._set_loading(False)
        self._fail("read the agenda", exc)

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loadingChanged.emit(loading)

    def _rebuild(self) -> None:
        shown = visible_rows(self._appointments, self._hidden, self._show_cancelled)
        start_ms = day_start_ms(self._start_day, self._info.zone)
        shown = [row for row in shown if row.end_ms > start_ms or row.start_ms >= start_ms]
        rows = agenda_rows(entries_of(shown, self._class_calendars), self._info, self._start_day)
        self._reconcile(rows, set())

    # -- Qt model interface --------------------------------------------------------------------
    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return (
            not parent.isValid()
            and self._reader is not None
            and self._loaded_once
            and not self._loading
            and not self._fetching
            and self._end_ms < self._horizon_ms()
        )

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if self.canFetchMore(parent):
            self._read_to(self._end_ms + CHUNK_DAYS * 86_400_000, grow=True)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return Qt.ItemFlag.NoItemFlags
        if row.entry is None:
            return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren
        return super().flags(index)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role == AgendaRowRole:
            return row
        if role == AppointmentIdRole:
            return None if row.entry is None else row.entry.primary.id
        if role == OwnerNameRole:
            owner = None if row.entry is None else self._info.owner_of(row.entry.primary)
            return None if owner is None else owner.name
        if role == Qt.ItemDataRole.DisplayRole:
            if row.entry is None:
                return long_day(row.day)
            first = row.entry.primary
            return (
                f"{time_range(first.start_ms, first.end_ms, self._info.zone)} {block_title(first)}"
            )
        if role == Qt.ItemDataRole.ToolTipRole and row.entry is not None:
            return self._info.describe(row.entry)
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(200, HEADER_HEIGHT if row.entry is None else ROW_HEIGHT)
        return None

    @property
    def info(self) -> ViewInfo:
        """The zones and names the rows are described with."""
        return self._info


class AgendaDelegate(QStyledItemDelegate):
    """Paints a day header (the day, "Today"/"Tomorrow") or an appointment row (a block
    swatch in its status's style, the times, who and what, the status in words)."""

    def __init__(self, parent: QObject | None = None, *, clock: Clock = time.time) -> None:
        super().__init__(parent)
        self._clock = clock

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        row = index.data(AgendaRowRole)
        height = HEADER_HEIGHT if isinstance(row, AgendaRow) and row.entry is None else ROW_HEIGHT
        return QSize(option.rect.width() or 200, height)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        row = index.data(AgendaRowRole)
        model = index.model()
        if not isinstance(row, AgendaRow) or not isinstance(model, AgendaModel):
            return
        info = model.info
        palette: QPalette = option.palette
        colors = scheme(palette)
        rect: QRect = option.rect
        painter.save()
        font = QFont(option.font)
        if row.entry is None:
            painter.fillRect(rect, QColor(colors.window))
            bold = QFont(font)
            bold.setBold(True)
            painter.setFont(bold)
            painter.setPen(QColor(colors.text))
            text_rect = rect.adjusted(12, 0, -12, 0)
            painter.drawText(
                text_rect,
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                long_day(row.day),
            )
            today = local_time(int(self._clock() * 1000), info.zone).date()
            relative = {0: "Today", 1: "Tomorrow"}.get((row.day - today).days)
            if relative:
                painter.setFont(font)
                painter.setPen(QColor(colors.accent))
                painter.drawText(
                    text_rect,
                    int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                    relative,
                )
            painter.restore()
            return
        entry = row.entry
        first = entry.primary
        state = option.state
        if state & QStyle.StateFlag.State_Selected:
            highlight = QColor(colors.accent)
            highlight.setAlphaF(0.16)
            painter.fillRect(rect, highlight)
        dark = is_dark(palette)
        color = hue_color(info.hue(entry.calendar_id), dark)
        style = block_style(entry.status, color, palette)
        swatch = QRectF(rect.left() + 12, rect.top() + 7, 12, rect.height() - 14)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        paint_block(painter, swatch, style, selected=False, palette=palette, radius=3)
        struck = entry.status == "cancelled"
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        times = QRect(rect.left() + 34, rect.top() + 4, 112, rect.height() - 8)
        painter.setFont(struck_font(font, struck))
        painter.setPen(QColor(colors.text))
        painter.drawText(
            times,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
            time_range(first.start_ms, first.end_ms, info.zone),
        )
        second_zone = info.other_zone(first)
        if second_zone is not None:
            painter.setFont(small)
            painter.setPen(QColor(colors.muted_text))
            painter.drawText(
                times,
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom),
                time_range(first.start_ms, first.end_ms, ZoneInfo(second_zone)),
            )
        status_text = status_words(entry.status)
        metrics_small = QFontMetrics(small)
        status_width = metrics_small.horizontalAdvance(status_text) + 16
        body = QRect(
            times.right() + 8,
            rect.top() + 4,
            rect.right() - times.right() - 16 - status_width,
            rect.height() - 8,
        )
        bold = QFont(font)
        bold.setBold(True)
        if entry.is_session:
            title = f"{info.type_name(first.type_id) or 'Class'} — {len(entry.rows)} booked"
        else:
            title = block_title(first)
        detail_parts = [
            info.type_name(first.type_id) if not entry.is_session else None,
            info.calendar_name(first.calendar_id),
        ]
        detail = " · ".join(p for p in detail_parts if p)
        painter.setFont(struck_font(bold, struck))
        painter.setPen(QColor(colors.text))
        painter.drawText(
            body,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
            QFontMetrics(bold).elidedText(title, Qt.TextElideMode.ElideRight, body.width()),
        )
        painter.setFont(small)
        painter.setPen(QColor(colors.muted_text))
        detail_rect = QRect(body)
        owner = info.owner_of(first)
        if owner is not None:
            line = metrics_small.height() + 2
            chip = QRectF(body.left(), body.bottom() - line + 1, body.width() / 2, line)
            painter.setFont(chip_font(small))
            width = paint_owner_chip(
                painter,
                chip,
                owner.name,
                owner.colour,
                dark=dark,
                selected=bool(state & QStyle.StateFlag.State_Selected),
                selected_text=QColor(colors.text),
            )
            detail_rect.setLeft(int(chip.left() + width) + 6)
            painter.setFont(small)
            painter.setPen(QColor(colors.muted_text))
        painter.drawText(
            detail_rect,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom),
            metrics_small.elidedText(detail, Qt.TextElideMode.ElideRight, detail_rect.width()),
        )
        painter.drawText(
            QRect(rect.right() - status_width - 8, rect.top(), status_width, rect.height()),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            status_text,
        )
        painter.setPen(QColor(colors.border))
        painter.drawLine(rect.left() + 34, rect.bottom(), rect.right(), rect.bottom())
        painter.restore()


__all__ = [
    "AgendaDelegate",
    "AgendaModel",
    "AgendaRow",
    "AgendaRowRole",
    "AppointmentIdRole",
    "OwnerNameRole",
    "agenda_rows",
]
