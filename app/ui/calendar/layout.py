"""Where appointments go on the calendar's grids: pure Python, no Qt (unit tested).

Two concerns, both independent of painting:

- **Side by side.** ``lay_out(spans)`` gives every span of a day a column: spans
  that overlap (directly or through others) form a cluster whose spans share its
  width in columns, and each span then widens to the right over every column
  where nothing overlaps it. Spans are never drawn on top of each other.
- **Wall-clock days.** A day of the week and day views is 24 wall-clock hours of
  the display zone, even on a 23- or 25-hour DST day: an instant's place is its
  zoned wall-clock time (``wall_minutes``), computed with ``zoneinfo`` — never a
  fixed offset. ``dst_change`` says which wall-clock hour a day skips (clocks go
  forward) or repeats (clocks go back), so the grid can say so.

Times are epoch milliseconds (UTC) as the port gives them; days are
``datetime.date`` of the display zone.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
_EPSILON = 1e-6


# -- side by side ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    """Something to place on a day: a key and its vertical extent (any unit, e.g. minutes)."""

    key: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a span goes: columns ``column`` to ``column + span - 1`` of ``columns``."""

    key: str
    start: float
    end: float
    column: int
    span: int
    columns: int

    @property
    def left(self) -> float:
        """The left edge as a fraction of the day's width."""
        return self.column / self.columns

    @property
    def width(self) -> float:
        """The width as a fraction of the day's width."""
        return self.span / self.columns


def _overlap(a_start: float, a_end: float, b_start: float, b_end: float) -> bool:
    return a_start < b_end and b_start < a_end


def lay_out(spans: Iterable[Span]) -> list[Placement]:
    """Columns for ``spans`` so that no two overlapping spans share horizontal space.

    Spans are taken by start (longer first on a tie); each cluster of spans linked by
    overlaps gets as many columns as it needs at most at once, each span goes into the
    first column free at its start, then widens over the columns to its right that
    hold nothing overlapping it. A span without length counts as a sliver at its
    start (two at the same instant overlap). The result follows the sorted order."""
    ordered = sorted(
        (Span(s.key, s.start, max(s.end, s.start + _EPSILON)) for s in spans),
        key=lambda s: (s.start, -s.end, s.key),
    )
    placed: list[Placement] = []
    cluster: list[Span] = []
    cluster_end = float("-inf")
    for span in ordered:
        if cluster and span.start >= cluster_end:
            placed += _lay_out_cluster(cluster)
            cluster = []
        cluster.append(span)
        cluster_end = span.end if len(cluster) == 1 else max(cluster_end, span.end)
    if cluster:
        placed += _lay_out_cluster(cluster)
    return placed


def _lay_out_cluster(cluster: Sequence[Span]) -> list[Placement]:
    column_ends: list[float] = []
    columns: list[list[Span]] = []  # each column's spans, by start
    chosen: list[int] = []
    for span in cluster:
        index = next((i for i, end in enumerate(column_ends) if end <= span.start), None)
        if index is None:
            index = len(column_ends)
            column_ends.append(span.end)
            columns.append([])
        column_ends[index] = span.end
        columns[index].append(span)
        chosen.append(index)
    starts = [[s.start for s in column] for column in columns]
    count = len(columns)
    result: list[Placement] = []
    for span, column in zip(cluster, chosen, strict=True):
        width = 1
        for other in range(column + 1, count):
            if _column_overlaps(columns[other], starts[other], span):
                break
            width += 1
        result.append(Placement(span.key, span.start, span.end, column, width, count))
    return result


def _column_overlaps(column: Sequence[Span], starts: Sequence[float], span: Span) -> bool:
    """Whether a span of one column (sorted by start, none overlapping) overlaps ``span``."""
    at = bisect.bisect_left(starts, span.end)
    # Only the last span starting before ``span`` ends can reach into it.
    return at > 0 and _overlap(column[at - 1].start, column[at - 1].end, span.start, span.end)


# -- lanes of bars (all-day and multi-day appointments) -------------------------------------


def lanes(bars: Iterable[tuple[str, int, int]]) -> dict[str, int]:
    """A lane (row) for each bar ``(key, first_index, last_index)`` of a week's all-day
    band, so that bars sharing a day are in different lanes; the first free lane wins."""
    ends: list[int] = []
    found: dict[str, int] = {}
    for key, first, last in sorted(bars, key=lambda b: (b[1], -b[2], b[0])):
        for lane, end in enumerate(ends):
            if end < first:
                ends[lane] = last
                found[key] = lane
                break
        else:
            found[key] = len(ends)
            ends.append(last)
    return found


# -- wall-clock days -------------------------------------------------------------------------


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(moment.timestamp() * 1000)


def local_time(ms: int, zone: ZoneInfo) -> datetime:
    """The instant ``ms`` as a wall-clock time of ``zone``."""
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone)


def day_of(ms: int, zone: ZoneInfo) -> date:
    """The day of ``zone`` the instant ``ms`` falls on."""
    return local_time(ms, zone).date()


def day_start_ms(day: date, zone: ZoneInfo) -> int:
    """The first instant of ``day`` in ``zone`` (its wall-clock midnight; where a DST
    change skips midnight, the first instant after it)."""
    # A skipped midnight is read with the offset before the change (PEP 495), which is
    # the instant of the change itself: the day's first instant.
    return to_ms(datetime.combine(day, time(0), tzinfo=zone))


def day_range_ms(first: date, last: date, zone: ZoneInfo) -> tuple[int, int]:
    """``[start, end)`` of the days ``first`` to ``last`` (inclusive) in ``zone``."""
    return day_start_ms(first, zone), day_start_ms(last + timedelta(days=1), zone)


def day_length_minutes(day: date, zone: ZoneInfo) -> float:
    """How long ``day`` really lasts in ``zone``: 1440 minutes, or 1380/1500 on a DST day."""
    start, end = day_range_ms(day, day, zone)
    return (end - start) / 60_000


def wall_minutes(ms: int, day: date, zone: ZoneInfo) -> float:
    """Minutes after the wall-clock midnight of ``day`` at which ``ms`` shows on a clock of
    ``zone`` (below 0 or above 1440 for instants of other days). On a fall-back day the
    repeated hour maps both of its occurrences to the same wall-clock place."""
    local = local_time(ms, zone)
    days = (local.date() - day).days
    return days * MINUTES_PER_DAY + local.hour * 60 + local.minute + local.second / 60


@dataclass(frozen=True, slots=True)
class DstChange:
    """A day's clock change: ``skipped`` (clocks go forward: wall times from ``start`` to
    ``end`` minutes do not exist) or ``repeated`` (clocks go back: they happen twice)."""

    kind: str
    start: float
    end: float

    def describe(self) -> str:
        """The change in plain words, e.g. "Clocks go forward: 02:00–03:00 is skipped"."""
        span = f"{_hhmm(self.start)}–{_hhmm(self.end)}"
        if self.kind == "skipped":
            return f"Clocks go forward: {span} is skipped"
        return f"Clocks go back: {span} happens twice"


def _hhmm(minutes: float) -> str:
    whole = round(minutes)
    return f"{whole // 60 % 24:02d}:{whole % 60:02d}"


def _offset_ms(ms: int, zone: ZoneInfo) -> int:
    offset = local_time(ms, zone).utcoffset()
    return 0 if offset is None else int(offset.total_seconds() * 1000)


def dst_change(day: date, zone: ZoneInfo) -> DstChange | None:
    """The clock change of ``day`` in ``zone``, or None on an ordinary day."""
    start, end = day_range_ms(day, day, zone)
    # From the previous day's last instant: a change at midnight belongs to this day.
    before, after = _offset_ms(start - 1, zone), _offset_ms(end - 1, zone)
    if before == after:
        return None
    # The change is the first instant with the new offset (to the minute).
    low, high = start - 1, end - 1
    while high - low > 60_000:
        middle = (low + high) // 2
        if _offset_ms(middle, zone) == before:
            low = middle
        else:
            high = middle
    change = high - high % 60_000
    # Its wall-clock time under the old and the new offset.
    old_wall = round(wall_minutes(change - 1, day, zone))
    new_wall = round(wall_minutes(change, day, zone))
    if after > before:
        return DstChange("skipped", old_wall, new_wall)
    return DstChange("repeated", new_wall, old_wall)


def wall_instant_ms(day: date, minutes: float, zone: ZoneInfo) -> int | None:
    """The instant a clock of ``zone`` shows ``minutes`` after midnight of ``day``; None
    when that wall time is skipped by a DST change (the first one when it is repeated)."""
    wall = datetime.combine(day, time(0), tzinfo=zone) + timedelta(minutes=minutes)
    instant = to_ms(wall)
    back = local_time(instant, zone)
    if (back.replace(tzinfo=None) - wall.replace(tzinfo=None)) != timedelta(0):
        return None
    return instant


# -- days of a view ---------------------------------------------------------------------------


def week_days(anchor: date, first_weekday: int = 0) -> list[date]:
    """The seven days of the week holding ``anchor``; ``first_weekday`` is 0 for Monday
    up to 6 for Sunday."""
    back = (anchor.weekday() - first_weekday) % 7
    first = anchor - timedelta(days=back)
    return [first + timedelta(days=i) for i in range(7)]


def month_days(anchor: date, first_weekday: int = 0) -> list[date]:
    """Whole weeks covering the month of ``anchor`` (4 to 6 rows of seven days)."""
    first = anchor.replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    start = week_days(first, first_weekday)[0]
    end = week_days(next_month - timedelta(days=1), first_weekday)[-1]
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def shift_period(anchor: date, view: str, steps: int) -> date:
    """``anchor`` moved by ``steps`` periods of ``view`` (day, week, month or agenda)."""
    if view == "month":
        month = anchor.month - 1 + steps
        year = anchor.year + month // 12
        month = month % 12 + 1
        last = ((date(year, month, 1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)).day
        return date(year, month, min(anchor.day, last))
    days = {"day": 1, "week": 7, "agenda": 7}.get(view, 7)
    return anchor + timedelta(days=days * steps)


__all__ = [
    "MINUTES_PER_DAY",
    "DstChange",
    "Placement",
    "Span",
    "day_length_minutes",
    "day_of",
    "day_range_ms",
    "day_start_ms",
    "dst_change",
    "lanes",
    "lay_out",
    "local_time",
    "month_days",
    "shift_period",
    "to_ms",
    "wall_instant_ms",
    "wall_minutes",
    "week_days",
]
