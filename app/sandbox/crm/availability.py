"""The sandbox's slot engine: which times of a calendar can be booked (docs/api/seedly-crm.md §6).

Pure functions over plain values (no store, no clock): the caller passes the
calendar's rules, "now", and who is busy when. ``calendars.py`` feeds them from
SQLite; the unit tests feed them by hand.

Vocabulary:

- A *window* is ``(start_minute, end_minute)`` of a local day in the calendar's
  timezone, minutes from local midnight, the end exclusive (``1440`` = midnight).
- A day's windows come from the weekly schedule, unless a *date override*
  replaces them for that date (no windows = the calendar is closed that day).
- *Candidate slots* start at each window's start and then every
  ``slot_interval`` minutes, as long as the appointment fits in the window.
- Slots are computed on the local wall clock and converted to instants with
  ``zoneinfo``, so a slot's UTC offset is the one in force on that day (DST).
  A wall time that does not exist (the skipped hour of a spring-forward day)
  offers no slot; a wall time that happens twice (fall-back) means its first
  occurrence.
- *Buffers* are free time a booking needs before and after itself; they may
  overlap each other but not another booking: with ``buffer_after`` 10, a
  9:00–9:30 booking makes 9:40 the earliest next start. The buffers of the
  calendar being booked apply on both sides of the new slot and around the
  existing bookings it is compared with.
- Type rules: ``personal`` – its one member (the owner) must be free;
  ``round_robin`` – free when any member is free; ``collective`` – every member
  must be free; ``class`` – a session with seats: a slot stays offered while
  seats remain. A new session also needs its host (first member) free; later
  seats of an existing session only need a seat.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTE_MS = 60_000
DAY_MS = 86_400_000
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

Window = tuple[int, int]
Interval = tuple[int, int]  # (start_ms, end_ms), end exclusive

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


class Refusal(Exception):
    """Why a time cannot be booked; ``reason`` is a stable key, ``message`` a sentence."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Rules:
    """Everything about a calendar that decides its slots."""

    timezone: str
    weekly: Mapping[int, Sequence[Window]]  # weekday (0 = Monday) -> windows
    overrides: Mapping[str, Sequence[Window]] = field(
        default_factory=dict
    )  # "YYYY-MM-DD" -> windows
    kind: str = "personal"
    members: tuple[str, ...] = ()
    slot_interval: int = 30
    buffer_before: int = 0
    buffer_after: int = 0
    minimum_notice: int = 0  # minutes
    maximum_advance_days: int = 60
    seats: int | None = None  # class calendars only
    name: str = "This calendar"

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Slot:
    """A bookable time and who (or how many) can still take it."""

    start_ms: int
    end_ms: int
    free_members: tuple[str, ...] = ()
    seats_remaining: int | None = None


# -- small helpers -----------------------------------------------------------------------


def valid_timezone(name: str) -> bool:
    """True for an IANA zone name zoneinfo knows (tzdata is a dependency)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def parse_hhmm(text: str) -> int:
    """``"09:30"`` -> 570 minutes; ``"24:00"`` is allowed as a window end. ValueError otherwise."""
    if not isinstance(text, str) or not _HHMM.match(text):
        raise ValueError(f"not a HH:MM time: {text!r}")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def format_hhmm(minutes: int) -> str:
    """570 -> ``"09:30"``."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def human_minutes(minutes: int) -> str:
    """A duration as people say it: ``"2 hours"``, ``"1 day"``, ``"45 minutes"``."""
    if minutes and minutes % 1440 == 0:
        n, unit = minutes // 1440, "day"
    elif minutes and minutes % 60 == 0:
        n, unit = minutes // 60, "hour"
    else:
        n, unit = minutes, "minute"
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def notice_phrase(minutes: int) -> str:
    """``"2 hours' notice"`` / ``"1 day's notice"`` (the possessive follows the number)."""
    text = human_minutes(minutes)
    return f"{text}'s notice" if text.startswith("1 ") else f"{text}' notice"


def local_date(ms: int, tz: ZoneInfo) -> date:
    """The calendar date of an instant in ``tz``."""
    return datetime.fromtimestamp(ms / 1000, tz=tz).date()


def iso_local(ms: int, tz: ZoneInfo) -> str:
    """An instant as ISO 8601 with the zone's offset: ``2026-04-01T09:00:00-04:00``."""
    dt = datetime.fromtimestamp(ms / 1000, tz=tz)
    return dt.isoformat(timespec="milliseconds" if ms % 1000 else "seconds")


def wall_to_ms(day: date, minute: int, tz: ZoneInfo) -> int | None:
    """The instant of local ``day`` + ``minute``; None when that wall time does not exist.

    ``minute`` may be 1440 (the next midnight). Ambiguous wall times (fall-back)
    resolve to their first occurrence (``fold=0``).
    """
    naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    aware = naive.replace(tzinfo=tz)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != naive:
        return None
    return int(aware.timestamp() * 1000)


def _window_end(day: date, minute: int, tz: ZoneInfo) -> int:
    """Like ``wall_to_ms``, but a window ending in a skipped hour ends where the clock resumes."""
    for later in range(minute, minute + 24 * 60):
        found = wall_to_ms(day, later, tz)
        if found is not None:
            return found
    raise ValueError(f"no valid wall time after {day} +{minute} min in {tz}")


def overlaps(a: Interval, b: Interval) -> bool:
    """Do two half-open intervals share any time (touching ends do not)?"""
    return a[0] < b[1] and b[0] < a[1]


def conflicts(start_ms: int, end_ms: int, busy: Interval, before: int, after: int) -> bool:
    """Does a new booking ``[start, end)`` with buffers clash with an existing one?

    Each side's buffers must stay clear of the other side's booking; buffers
    themselves may overlap.
    """
    b_ms, a_ms = before * MINUTE_MS, after * MINUTE_MS
    return overlaps((start_ms - b_ms, end_ms + a_ms), busy) or overlaps(
        (start_ms, end_ms), (busy[0] - b_ms, busy[1] + a_ms)
    )


# -- the day's schedule ------------------------------------------------------------------


def windows_for(rules: Rules, day: date) -> tuple[Window, ...]:
    """The day's windows: its override if there is one, else the weekly schedule."""
    key = day.isoformat()
    if key in rules.overrides:
        return tuple(rules.overrides[key])
    return tuple(rules.weekly.get(day.weekday(), ()))


def is_blocked(rules: Rules, day: date) -> bool:
    """True when a date override closes the calendar for the whole day."""
    key = day.isoformat()
    return key in rules.overrides and not rules.overrides[key]


def schedule_slots(rules: Rules, day: date, duration: int) -> list[Interval]:
    """Candidate ``(start_ms, end_ms)`` of ``duration`` minutes on ``day``, schedule only.

    Ignores bookings, notice and advance limits; sorted and without repeats.
    """
    if duration <= 0:
        return []
    step = max(1, rules.slot_interval)
    tz = rules.tz
    out: set[Interval] = set()
    for w_start, w_end in windows_for(rules, day):
        end_limit = _window_end(day, w_end, tz)
        minute = w_start
        while minute + duration <= w_end:
            start = wall_to_ms(day, minute, tz)
            if start is not None:
                end = start + duration * MINUTE_MS
                if end <= end_limit:
                    out.add((start, end))
            minute += step
    return sorted(out)


def bookable_day(rules: Rules, day: date, now_ms: int) -> bool:
    """Whether ``day`` lies between today and the maximum advance (calendar's timezone)."""
    today = local_date(now_ms, rules.tz)
    return today <= day <= today + timedelta(days=rules.maximum_advance_days)


# -- who can take a slot -----------------------------------------------------------------


def free_members(
    rules: Rules,
    start_ms: int,
    end_ms: int,
    member_busy: Mapping[str, Sequence[Interval]],
    members: Sequence[str] | None = None,
) -> tuple[str, ...]:
    """Members (default: the calendar's) with no clash over ``[start, end)``, buffers included."""
    out = []
    for member in rules.members if members is None else members:
        if not any(
            conflicts(start_ms, end_ms, b, rules.buffer_before, rules.buffer_after)
            for b in member_busy.get(member, ())
        ):
            out.append(member)
    return tuple(out)


def evaluate(
    rules: Rules,
    start_ms: int,
    end_ms: int,
    member_busy: Mapping[str, Sequence[Interval]],
    sessions: Sequence[Interval] = (),
) -> Slot | None:
    """The slot when ``[start, end)`` can take one more booking by type rules, else None.

    ``member_busy``: the members' active bookings (every calendar, this one
    included). ``sessions``: active bookings of this calendar (seat counting on
    class calendars; ignored otherwise).
    """
    if rules.kind == "class":
        taken = sum(1 for s in sessions if overlaps((start_ms, end_ms), s))
        remaining = (rules.seats or 0) - taken
        if remaining <= 0:
            return None
        host = rules.members[:1]
        # Opening a new session occupies its host; later seats join the running session.
        if taken == 0 and host and not free_members(rules, start_ms, end_ms, member_busy, host):
            return None
        return Slot(start_ms, end_ms, host, remaining)
    free = free_members(rules, start_ms, end_ms, member_busy)
    if rules.kind == "collective":
        return Slot(start_ms, end_ms, free) if free and len(free) == len(rules.members) else None
    # personal (one member) and round robin: any free member will do.
    return Slot(start_ms, end_ms, free) if free else None


def day_slots(
    rules: Rules,
    day: date,
    duration: int,
    now_ms: int,
    member_busy: Mapping[str, Sequence[Interval]],
    sessions: Sequence[Interval] = (),
) -> list[Slot]:
    """Every bookable slot of ``duration`` minutes on local ``day`` at ``now_ms``.

    Past days and days beyond the maximum advance give an empty list.
    """
    if not bookable_day(rules, day, now_ms):
        return []
    earliest = now_ms + rules.minimum_notice * MINUTE_MS
    out = []
    for start, end in schedule_slots(rules, day, duration):
        if start < earliest:
            continue
        slot = evaluate(rules, start, end, member_busy, sessions)
        if slot is not None:
            out.append(slot)
    return out


def check_booking(
    rules: Rules,
    start_ms: int,
    end_ms: int,
    duration: int,
    now_ms: int,
    member_busy: Mapping[str, Sequence[Interval]],
    sessions: Sequence[Interval] = (),
) -> Slot:
    """The slot ``[start, end)`` if it is offered right now; raises ``Refusal`` saying why not.

    Checks, in order: duration, past, minimum notice, maximum advance, a blocked
    date, the schedule (hours and slot grid), then bookings, buffers and seats.
    """
    if end_ms - start_ms != duration * MINUTE_MS:
        raise Refusal(
            "duration",
            f"endTime must be exactly {human_minutes(duration)} after startTime "
            "(the appointment type's duration)",
        )
    if start_ms < now_ms:
        raise Refusal(
            "past", "startTime is in the past. Pick a time from GET /api/v1/calendars/availability"
        )
    if start_ms < now_ms + rules.minimum_notice * MINUTE_MS:
        raise Refusal("notice", f"Bookings need at least {notice_phrase(rules.minimum_notice)}")
    tz = rules.tz
    day = local_date(start_ms, tz)
    if not bookable_day(rules, day, now_ms):
        days = rules.maximum_advance_days
        raise Refusal(
            "advance",
            f"Bookings can be made at most {days} day{'s' if days != 1 else ''} in advance",
        )
    if is_blocked(rules, day):
        raise Refusal("closed", f"{rules.name} is closed on {day.isoformat()}")
    if (start_ms, end_ms) not in schedule_slots(rules, day, duration):
        hours = ", ".join(f"{format_hhmm(a)}–{format_hhmm(b)}" for a, b in windows_for(rules, day))
        if not hours:
            raise Refusal(
                "hours",
                f"{rules.name} takes no bookings on {DAY_NAMES[day.weekday()].capitalize()}s",
            )
        raise Refusal(
            "hours",
            f"That time is not one of {rules.name}'s slots: on {day.isoformat()} "
            f"slots start every {human_minutes(rules.slot_interval)} within "
            f"{hours} ({rules.timezone}) and must end within those hours",
        )
    slot = evaluate(rules, start_ms, end_ms, member_busy, sessions)
    if slot is None:
        if rules.kind == "class" and any(overlaps((start_ms, end_ms), s) for s in sessions):
            raise Refusal("full", "That time is no longer available: the class is full")
        raise Refusal("taken", "That time is no longer available")
    return slot


def pick_member(free: Iterable[str], upcoming: Mapping[str, int], order: Sequence[str]) -> str:
    """Round robin: the free member with the fewest upcoming bookings; ties by calendar order."""
    candidates = list(free)
    if not candidates:
        raise ValueError("no free member")
    rank = {m: i for i, m in enumerate(order)}
    return min(candidates, key=lambda m: (upcoming.get(m, 0), rank.get(m, len(rank)), m))
