"""What the calendar views draw: appointments filtered, grouped and placed (no Qt).

A view shows ``Entry`` blocks: one appointment each, except on class calendars,
where the attendees of one session (same calendar, type, start and end) are one
block ("6 booked") instead of six slivers side by side. ``grid_layout`` places
the entries of some days on the week/day grid (timed blocks per day column, and
all-day or multi-day bars in lanes above it); ``month_cells`` lists each day's
entries for the month grid.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.services.ports.calendar import AppointmentRow
from app.ui.calendar.layout import (
    MINUTES_PER_DAY,
    Span,
    day_of,
    day_start_ms,
    lanes,
    lay_out,
    local_time,
)

DAY_MS = 86_400_000
MIN_BLOCK_MINUTES = 20.0
"""The shortest block drawn (a 5-minute call, or an hour that a DST change folds away,
still shows its text line)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One block of a view: an appointment, or the attendees of one class session."""

    key: str
    rows: tuple[AppointmentRow, ...]
    status: str = field(init=False, compare=False)
    """The status drawn: the attendees' common status, else ``scheduled``."""

    def __post_init__(self) -> None:
        # Computed once: painting a crowded week asks for it thousands of times.
        first = self.rows[0].status
        common = all(row.status == first for row in self.rows)
        object.__setattr__(self, "status", first if common else "scheduled")

    @property
    def primary(self) -> AppointmentRow:
        """The appointment that stands for the block (the first attendee of a session)."""
        return self.rows[0]

    @property
    def ids(self) -> tuple[str, ...]:
        """Every appointment id of the block."""
        return tuple(row.id for row in self.rows)

    @property
    def is_session(self) -> bool:
        """Whether the block is a class session of several attendees."""
        return len(self.rows) > 1

    @property
    def start_ms(self) -> int:
        """When it starts (epoch ms)."""
        return self.rows[0].start_ms

    @property
    def end_ms(self) -> int:
        """When it ends (epoch ms)."""
        return self.rows[0].end_ms

    @property
    def calendar_id(self) -> str | None:
        """The calendar it is on."""
        return self.rows[0].calendar_id


def visible_rows(
    rows: Iterable[AppointmentRow], hidden_calendars: Collection[str], show_cancelled: bool
) -> list[AppointmentRow]:
    """The rows of shown calendars; cancelled ones only when asked for."""
    return [
        row
        for row in rows
        if (row.calendar_id or "") not in hidden_calendars
        and (show_cancelled or row.status != "cancelled")
    ]


def entries_of(rows: Iterable[AppointmentRow], class_calendars: Collection[str]) -> list[Entry]:
    """Blocks of ``rows`` by start time: a class session's attendees (not cancelled ones)
    together, every other appointment alone."""
    sessions: dict[tuple[str, str | None, int, int], list[AppointmentRow]] = {}
    entries: list[Entry] = []
    for row in rows:
        if row.calendar_id in class_calendars and row.status != "cancelled":
            slot = (row.calendar_id or "", row.type_id, row.start_ms, row.end_ms)
            sessions.setdefault(slot, []).append(row)
        else:
            entries.append(Entry(row.id, (row,)))
    for (calendar_id, type_id, start, _end), members in sessions.items():
        members.sort(key=lambda r: ((r.contact_name or "").casefold(), r.id))
        key = members[0].id if len(members) == 1 else f"session:{calendar_id}:{type_id}:{start}"
        entries.append(Entry(key, tuple(members)))
    entries.sort(key=lambda e: (e.start_ms, -e.end_ms, e.key))
    return entries


def is_all_day(entry: Entry, zone: ZoneInfo) -> bool:
    """Whether an entry belongs in the all-day band: a day or more long, or from one
    midnight to another of ``zone``."""
    return _all_day(entry, local_time(entry.start_ms, zone), local_time(entry.end_ms, zone))


def _all_day(entry: Entry, start: datetime, end: datetime) -> bool:
    if entry.end_ms - entry.start_ms >= DAY_MS:
        return True
    return (
        entry.end_ms > entry.start_ms
        and (start.hour, start.minute) == (0, 0)
        and (end.hour, end.minute) == (0, 0)
    )


@dataclass(frozen=True, slots=True)
class Placed:
    """A timed entry in one day column: wall-clock minutes (clipped to the day) and its
    columns among the entries it overlaps."""

    entry: Entry
    day_index: int
    top: float
    bottom: float
    column: int
    span: int
    columns: int


@dataclass(frozen=True, slots=True)
class Bar:
    """An all-day or multi-day entry in the band above the grid: days ``first`` to
    ``last`` (indexes into the view's days) in lane ``lane``."""

    entry: Entry
    first: int
    last: int
    lane: int


@dataclass
class GridLayout:
    """Everything the week/day grid draws for its days."""

    days: list[date]
    timed: list[list[Placed]] = field(default_factory=list)
    """Per day, its timed entries."""
    bars: list[Bar] = field(default_factory=list)
    lane_count: int = 0

    def placed(self, key: str) -> list[Placed]:
        """Every piece of the entry ``key`` (one per day it touches)."""
        return [p for day in self.timed for p in day if p.entry.key == key]


def grid_layout(
    entries: Sequence[Entry],
    days: Sequence[date],
    zone: ZoneInfo,
    min_minutes: float = MIN_BLOCK_MINUTES,
) -> GridLayout:
    """Place ``entries`` on the grid of ``days`` in ``zone``: each timed entry in every
    day column it touches, at its zoned wall-clock times (at least ``min_minutes`` tall),
    side by side with what it overlaps; all-day and multi-day entries as bars."""
    layout = GridLayout(list(days), [[] for _ in days])
    if not days:
        return layout
    starts = [day_start_ms(day, zone) for day in days]
    ends = [*starts[1:], day_start_ms(days[-1] + timedelta(days=1), zone)]
    per_day: list[list[tuple[Entry, float, float]]] = [[] for _ in days]
    bars: list[tuple[Entry, int, int]] = []
    for entry in entries:
        start_ms, end_ms = entry.start_ms, max(entry.end_ms, entry.start_ms + 1)
        # The days it touches: from the last day starting at or before it starts, to the
        # last day starting before it ends.
        first = bisect.bisect_right(starts, start_ms) - 1
        last = bisect.bisect_left(starts, end_ms) - 1
        if last < 0 or first >= len(days) or start_ms >= ends[-1]:
            continue
        first, last = max(first, 0), min(last, len(days) - 1)
        # Wall-clock times once per appointment (zone conversions are the costly part).
        local_start, local_end = local_time(entry.start_ms, zone), local_time(entry.end_ms, zone)
        if _all_day(entry, local_start, local_end):
            bars.append((entry, first, last))
            continue
        start_minutes = local_start.hour * 60 + local_start.minute + local_start.second / 60
        end_minutes = local_end.hour * 60 + local_end.minute + local_end.second / 60
        start_day, end_day = local_start.date(), local_end.date()
        for index in range(first, last + 1):
            day = days[index]
            top = max(0.0, (start_day - day).days * MINUTES_PER_DAY + start_minutes)
            bottom = min(
                float(MINUTES_PER_DAY), (end_day - day).days * MINUTES_PER_DAY + end_minutes
            )
            if bottom - top < min_minutes:
                # Short, or folded by a DST change: at least the minimum, inside the day.
                bottom = min(float(MINUTES_PER_DAY), top + min_minutes)
                top = min(top, bottom - min_minutes)
            per_day[index].append((entry, top, bottom))
    for index, items in enumerate(per_day):
        by_key = {entry.key: entry for entry, _t, _b in items}
        placements = lay_out(Span(entry.key, top, bottom) for entry, top, bottom in items)
        layout.timed[index] = [
            Placed(by_key[p.key], index, p.start, p.end, p.column, p.span, p.columns)
            for p in placements
        ]
    lane_of = lanes((entry.key, first, last) for entry, first, last in bars)
    layout.bars = [Bar(entry, first, last, lane_of[entry.key]) for entry, first, last in bars]
    layout.lane_count = max(lane_of.values(), default=-1) + 1
    return layout


def month_cells(
    entries: Sequence[Entry], days: Sequence[date], zone: ZoneInfo
) -> list[list[Entry]]:
    """Each day's entries (those touching it), all-day ones first, then by start."""
    index = {day: i for i, day in enumerate(days)}
    cells: list[list[Entry]] = [[] for _ in days]
    for entry in entries:
        first = day_of(entry.start_ms, zone)
        last = day_of(max(entry.start_ms, entry.end_ms - 1), zone)
        day = first
        while day <= last:
            at = index.get(day)
            if at is not None:
                cells[at].append(entry)
            day += timedelta(days=1)
    for cell in cells:
        cell.sort(key=lambda e: (not is_all_day(e, zone), e.start_ms, e.key))
    return cells


@dataclass(frozen=True, slots=True)
class ViewKey:
    """What a prepared period was made for: a view of some days, in a zone, filtered."""

    view: str
    days: tuple[date, ...]
    zone_name: str
    hidden: frozenset[str]
    show_cancelled: bool


@dataclass(frozen=True, slots=True)
class PreparedView:
    """A period's entries, placed for its view (the grid's layout, or the month's cells)."""

    key: ViewKey
    entries: list[Entry]
    grid: GridLayout | None = None
    cells: list[list[Entry]] | None = None


def prepare_view(
    key: ViewKey, rows: Iterable[AppointmentRow], class_calendars: Collection[str]
) -> PreparedView:
    """Filter, group and place ``rows`` for the view ``key`` says (pure Python: the tab
    runs it on the worker that reads the rows, and again on the GUI thread only when the
    filters changed since)."""
    zone = ZoneInfo(key.zone_name)
    shown = visible_rows(rows, key.hidden, key.show_cancelled)
    entries = entries_of(shown, class_calendars)
    if key.view == "month":
        return PreparedView(key, entries, cells=month_cells(entries, key.days, zone))
    return PreparedView(key, entries, grid=grid_layout(entries, key.days, zone))


__all__ = [
    "MIN_BLOCK_MINUTES",
    "PreparedView",
    "ViewKey",
    "Bar",
    "Entry",
    "GridLayout",
    "Placed",
    "entries_of",
    "grid_layout",
    "is_all_day",
    "month_cells",
    "prepare_view",
    "visible_rows",
]
