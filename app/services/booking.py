"""Booking, rescheduling and cancelling appointments of one sub-account (issue 12).

The data path of a booking (docs/architecture.md, "A booking"):

1. **Free slots** come from the availability endpoint for a day in the
   calendar's zone (``day_slots``), cached for ``SLOT_CACHE_SECONDS`` per type
   and day; a week loads a few days at a time under the client's pacing
   (``week_slots``). A day without slots says why when the calendar's rules tell
   (``DaySlots.reason``); days the rules close are not even asked for.
2. **Re-check**: just before sending, the chosen slot's day is read again,
   bypassing the cache. A slot taken meanwhile raises ``SlotTaken`` with the
   fresh slots; an unreachable server raises ``NeedsConnection``: a booking is
   never queued to be sent later.
3. **One POST.** The transport never repeats a POST whose outcome is unknown;
   neither does this service. A lost answer is resolved by looking the
   appointment up (appointments of that calendar over the slot whose contact has
   the request's email): found, it is the booking; not found, nothing was booked
   (``BookingNotConfirmed``) and the user may book again knowingly.
4. **Cache and bus**: the booked appointment is upserted at once and
   ``AppointmentsChanged(booked=…, own=True)`` is published; cached slots are
   dropped (a booking changes who is free, on other calendars too).

Rescheduling books the new slot first and cancels the old one only once the
new one exists, so a failure never leaves the contact with nothing; the
``RescheduleReport`` says what happened to each. Every error is a
``BookingError`` with a ``message`` ready to show.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.core.errors import (
    ApiError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ValidationFailed,
)
from app.core.models import Appointment, AvailabilitySlot
from app.core.payloads import BookingRequest as BookingBody
from app.core.payloads import build
from app.core.phones import DEFAULT_REGION
from app.services.bus import AppointmentsChanged, EventBus, ScopeKey
from app.services.calendar_rows import (
    ACTIVE_STATUSES,
    AppointmentRow,
    AppointmentTypeRow,
    CalendarRow,
    appointment_row,
    calendar_row,
    kind_label,
    type_row,
)
from app.storage import Partition

log = logging.getLogger(__name__)

SLOT_CACHE_SECONDS = 60.0
"""How long a day's free slots are reused without asking the server again."""
WEEK_CONCURRENCY = 3
"""Days of a week asked for at once; the client's pacing keeps them within the rate limit."""
MINUTE_MS = 60_000
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

__all__ = [
    "BookingError",
    "BookingNotConfirmed",
    "BookingRefused",
    "BookingRequest",
    "BookingService",
    "CancelOutcome",
    "CancelReport",
    "CancelState",
    "DaySlots",
    "NeedsConnection",
    "RescheduleReport",
    "Slot",
    "SlotTaken",
    "booking_errors",
    "day_label",
    "known_reason",
    "type_summary",
    "no_slot_reason",
    "read_back_line",
    "span_text",
    "zone_place",
]


# -- values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """A free time; ``seats_remaining`` only for class (seat-limited) calendars."""

    start_ms: int
    end_ms: int
    seats_remaining: int | None


@dataclass(frozen=True)
class DaySlots:
    """The free slots of one day (a date in the calendar's zone); ``reason`` is a plain
    sentence saying why there are none when the calendar's rules tell, else None."""

    day: date
    slots: tuple[Slot, ...]
    reason: str | None

    def has(self, start_ms: int, end_ms: int) -> bool:
        """Whether the slot ``[start_ms, end_ms)`` is offered."""
        return any(s.start_ms == start_ms and s.end_ms == end_ms for s in self.slots)


@dataclass(frozen=True)
class BookingRequest:
    """What the booking form sends: the slot of an appointment type and the person.

    ``contact_id`` names the contact the form was opened for (the server finds or
    creates the contact by email; the id helps find a booking whose answer was lost)."""

    type_id: str
    start_ms: int
    end_ms: int
    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    notes: str | None = None
    contact_id: str | None = None


# -- errors ---------------------------------------------------------------------------------


class BookingError(Exception):
    """Base of every booking failure; ``message`` is plain English, ready to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SlotTaken(BookingError):
    """The chosen slot is no longer free; ``day`` holds the day's fresh slots."""

    def __init__(self, message: str, day: DaySlots) -> None:
        super().__init__(message)
        self.day = day


class BookingRefused(BookingError):
    """The server (or the same rules, before sending) refused the request; ``field`` names
    the field at fault in wire spelling (``email``, ``phone``, ``startTime``…) when known,
    ``errors`` every field's sentence of a local check."""

    def __init__(
        self, message: str, field: str | None = None, errors: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.errors: dict[str, str] = dict(errors or {})


class NeedsConnection(BookingError):
    """Seedly could not be reached before anything was sent: nothing was booked or queued."""


class BookingNotConfirmed(BookingError):
    """The answer to the booking was lost. ``checked``: the calendar was looked at and the
    booking is not there (it was not made, nothing was sent twice); otherwise the look-up
    itself failed and the user must check before booking again."""

    def __init__(self, message: str, *, checked: bool = True) -> None:
        super().__init__(message)
        self.checked = checked


NEEDS_CONNECTION = (
    "Booking needs the connection to Seedly, which cannot be reached right now. "
    "Nothing was sent; book again once the connection is back."
)
NOT_CONFIRMED = (
    "The connection dropped before Seedly confirmed the booking, and it is not in the "
    "calendar: it was not booked, and nothing was sent twice. Book again to try once more."
)
NOT_CHECKED = (
    "The connection dropped before Seedly confirmed the booking, and the calendar could "
    "not be checked. Nothing was sent twice: look for the booking in the calendar before "
    "booking again."
)


# -- words ----------------------------------------------------------------------------------


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _at(ms: int, zone: str) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=_zone(zone) or UTC)


def zone_place(zone: str) -> str:
    """How people name a zone: ``America/New_York`` → "New York", ``UTC`` → "UTC"."""
    return zone.rsplit("/", 1)[-1].replace("_", " ") or zone


def day_label(day: date) -> str:
    """A day as the booking screens write it: "Tue 14 Apr" (English, like every label)."""
    return f"{day:%a} {day.day} {day:%b}"


def _hhmm(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def span_text(start_ms: int, end_ms: int, zone: str) -> str:
    """A slot in ``zone``: "Tue 14 Apr, 10:00–10:30"."""
    start, end = _at(start_ms, zone), _at(end_ms, zone)
    return f"{day_label(start.date())}, {_hhmm(start)}–{_hhmm(end)}"


def read_back_line(start_ms: int, end_ms: int, user_zone: str, lead_zone: str | None) -> str:
    """The line read to the lead on the phone: "Tue 14 Apr, 10:00–10:30 in New York =
    16:00–16:30 in Berlin" (the lead's date is repeated when it differs)."""
    mine = f"{span_text(start_ms, end_ms, user_zone)} in {zone_place(user_zone)}"
    if not lead_zone or lead_zone == user_zone:
        return mine
    start, end = _at(start_ms, lead_zone), _at(end_ms, lead_zone)
    times = f"{_hhmm(start)}–{_hhmm(end)}"
    if start.date() != _at(start_ms, user_zone).date():
        times = f"{day_label(start.date())}, {times}"
    return f"{mine} = {times} in {zone_place(lead_zone)}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?" else text + "."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _minutes_words(minutes: int) -> str:
    if minutes and minutes % 1440 == 0:
        return _plural(minutes // 1440, "day")
    if minutes and minutes % 60 == 0:
        return _plural(minutes // 60, "hour")
    return _plural(minutes, "minute")


def _notice_words(minutes: int) -> str:
    text = _minutes_words(minutes)
    return f"{text}'s notice" if text.startswith("1 ") else f"{text}' notice"


def _minute_of(hhmm: str) -> int | None:
    try:
        hours, minutes = hhmm.split(":")
        return int(hours) * 60 + int(minutes)
    except ValueError:
        return None


def _windows(calendar: CalendarRow, day: date) -> tuple[tuple[str, str], ...] | None:
    """The day's opening windows by the rules (an override first), None when unknown."""
    rules = calendar.rules
    if rules is None:
        return None
    overrides = rules.date_overrides or {}
    override = overrides.get(day.isoformat())
    if override is not None:
        return override.hours
    if rules.weekly_schedule is None:
        return None
    return rules.weekly_schedule.get(DAY_NAMES[day.weekday()], ())


def known_reason(calendar: CalendarRow | None, day: date, now_ms: int) -> str | None:
    """Why ``day`` certainly has no slots, from the rules alone (no need to ask the
    server): in the past, beyond the maximum advance, closed by a date override or on
    that weekday. None when the rules do not rule the day out (or are unknown)."""
    if calendar is None or calendar.rules is None:
        return None
    rules = calendar.rules
    zone = _zone(calendar.timezone)
    if zone is not None:
        today = datetime.fromtimestamp(now_ms / 1000, tz=zone).date()
        if day < today:
            return "That day is in the past."
        ahead = rules.maximum_advance_days
        if ahead is not None and day > today + timedelta(days=ahead):
            return f"Bookings open up to {_plural(ahead, 'day')} ahead."
    override = (rules.date_overrides or {}).get(day.isoformat())
    if override is not None:
        if not override.hours:
            return _sentence(override.reason) if override.reason else "Closed that day."
        return None
    if rules.weekly_schedule is not None and not rules.weekly_schedule.get(
        DAY_NAMES[day.weekday()]
    ):
        return f"Closed on {day:%A}s."
    return None


def no_slot_reason(
    calendar: CalendarRow | None, duration_minutes: int | None, day: date, now_ms: int
) -> str | None:
    """Why the server offered no slot on ``day``: what ``known_reason`` tells, else the
    minimum notice (every start time of the day is too soon), else fully booked. None
    when the calendar's rules are unknown."""
    known = known_reason(calendar, day, now_ms)
    if known is not None or calendar is None or calendar.rules is None:
        return known
    rules = calendar.rules
    windows = _windows(calendar, day)
    zone = _zone(calendar.timezone)
    if windows is None or zone is None:
        return None
    notice = rules.minimum_notice_minutes or 0
    if notice and duration_minutes:
        ends = [m for m in (_minute_of(end) for _, end in windows) if m is not None]
        if ends:
            last_start = max(ends) - duration_minutes
            midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
            last_ms = int((midnight + timedelta(minutes=last_start)).timestamp() * 1000)
            if last_ms < now_ms + notice * MINUTE_MS:
                return f"Bookings need at least {_notice_words(notice)}."
    if calendar.kind == "class":
        return "Every session is full."
    today = datetime.fromtimestamp(now_ms / 1000, tz=zone).date()
    return "No free times left today." if day == today else "Fully booked."


_KIND_WORDS = {
    "personal": "with the calendar's owner",
    "round_robin": "with the next free team member",
    "collective": "with the whole team",
}


def type_summary(kind: AppointmentTypeRow | None, calendar: CalendarRow | None) -> str:
    """An appointment type in plain words: duration, buffers, who attends or the seats,
    and how far ahead it can be booked ("30 minutes · 10 minutes free after each booking ·
    Round robin, with the next free team member · at least 2 hours' notice, up to 30 days
    ahead")."""
    parts: list[str] = []
    if kind is not None and kind.duration_minutes:
        parts.append(_minutes_words(kind.duration_minutes))
    rules = calendar.rules if calendar is not None else None
    before = (rules.buffer_before or 0) if rules else 0
    after = (rules.buffer_after or 0) if rules else 0
    if before and after:
        parts.append(f"{_minutes_words(before)} free before and {_minutes_words(after)} after")
    elif before:
        parts.append(f"{_minutes_words(before)} free before each booking")
    elif after:
        parts.append(f"{_minutes_words(after)} free after each booking")
    if calendar is not None:
        if calendar.kind == "class":
            seats = rules.seats if rules else None
            parts.append(f"Class of {_plural(seats, 'seat')}" if seats else "Class")
        elif calendar.kind in _KIND_WORDS:
            parts.append(f"{kind_label(calendar.kind)}, {_KIND_WORDS[calendar.kind]}")
    if rules is not None:
        limits = []
        if rules.minimum_notice_minutes:
            limits.append(f"at least {_notice_words(rules.minimum_notice_minutes)}")
        if rules.maximum_advance_days is not None:
            limits.append(f"up to {_plural(rules.maximum_advance_days, 'day')} ahead")
        if limits:
            parts.append(", ".join(limits))
    return " · ".join(parts)


def booking_errors(
    request: BookingRequest, default_region: str | None = DEFAULT_REGION
) -> dict[str, str]:
    """Every problem of the request by the rules the service applies before sending
    (wire field → sentence; empty when it may be sent): required names and email, a valid
    email, a phone number as elsewhere in the app (E.164, ``default_region`` for numbers
    typed without a country code). The booking form shows them in place."""
    try:
        _body(request, default_region)
    except ValidationFailed as exc:
        return dict(exc.errors) or {"(form)": exc.user_message}
    return {}


def _body(request: BookingRequest, default_region: str | None) -> BookingBody:
    data: dict[str, Any] = {
        "appointmentTypeId": request.type_id,
        "startTime": request.start_ms,
        "endTime": request.end_ms,
        "firstName": request.first_name,
        "lastName": request.last_name,
        "email": request.email,
    }
    if request.phone is not None and request.phone.strip():
        data["phone"] = request.phone
    if request.notes is not None and request.notes.strip():
        data["notes"] = request.notes
    return build(BookingBody, data, default_region=default_region)


# -- reports --------------------------------------------------------------------------------


class CancelState(StrEnum):
    """What happened to one appointment of a cancel."""

    CANCELLED = "cancelled"
    ALREADY_GONE = "already_gone"
    """Seedly no longer has it (404): nothing left to cancel."""
    FAILED = "failed"
    NOT_SENT = "not_sent"
    """Not tried: the connection was lost on an earlier one."""


@dataclass(frozen=True)
class CancelOutcome:
    """One appointment's outcome; ``message`` says why when it failed or was not sent."""

    appointment_id: str
    state: CancelState
    message: str | None = None

    @property
    def done(self) -> bool:
        """Whether the appointment no longer holds its slot (cancelled or already gone)."""
        return self.state in (CancelState.CANCELLED, CancelState.ALREADY_GONE)


@dataclass(frozen=True)
class CancelReport:
    """The outcome of cancelling one or several appointments, in the order asked."""

    outcomes: tuple[CancelOutcome, ...]

    @property
    def cancelled(self) -> tuple[str, ...]:
        """Ids that are cancelled now (or were already gone)."""
        return tuple(o.appointment_id for o in self.outcomes if o.done)

    @property
    def failed(self) -> tuple[CancelOutcome, ...]:
        """Outcomes of appointments that still hold their slot."""
        return tuple(o for o in self.outcomes if not o.done)

    @property
    def ok(self) -> bool:
        """Whether every appointment asked for is cancelled."""
        return not self.failed

    def summary(self) -> str:
        """One or two sentences: how many were cancelled, and why the others were not."""
        cancelled = sum(1 for o in self.outcomes if o.state is CancelState.CANCELLED)
        gone = sum(1 for o in self.outcomes if o.state is CancelState.ALREADY_GONE)
        parts: list[str] = []
        if cancelled or not self.outcomes:
            parts.append(f"Cancelled {_plural(cancelled, 'appointment')}.")
        if gone:
            parts.append(
                f"{_plural(gone, 'appointment')} {'was' if gone == 1 else 'were'} already "
                "gone from Seedly."
            )
        failed = self.failed
        if failed:
            reasons = list(dict.fromkeys(o.message or "Seedly refused it." for o in failed))
            head = (
                f"{_plural(len(failed), 'appointment')} could not be cancelled "
                "and still hold their time"
                if len(failed) > 1
                else "1 appointment could not be cancelled and still holds its time"
            )
            parts.append(f"{head}: {' '.join(_sentence(r) for r in reasons)}")
        return " ".join(parts)


@dataclass(frozen=True)
class RescheduleReport:
    """What a reschedule did: the new booking always exists; ``old`` is what happened to
    the original appointment (``original`` is its cached row, when the cache had it)."""

    new: AppointmentRow
    old: CancelOutcome
    original: AppointmentRow | None = None

    @property
    def old_cancelled(self) -> bool:
        """Whether the original no longer holds its time."""
        return self.old.done

    @property
    def two_bookings(self) -> bool:
        """Whether the contact now has both the new and the original booking."""
        return not self.old.done

    def lines(self, zone: str) -> list[str]:
        """The report, one sentence per line, times in ``zone``."""
        place = zone_place(zone)
        new = f"{span_text(self.new.start_ms, self.new.end_ms, zone)} ({place})"
        out = [f"Booked the new time: {new}."]
        original = (
            f"the original time ({span_text(self.original.start_ms, self.original.end_ms, zone)})"
            if self.original is not None
            else "the original appointment"
        )
        if self.old.state is CancelState.CANCELLED:
            out.append(f"Cancelled {original}.")
        elif self.old.state is CancelState.ALREADY_GONE:
            out.append(f"{original[0].upper()}{original[1:]} was already gone from Seedly.")
        else:
            why = _sentence(self.old.message or "Seedly refused it.")
            out.append(f"Could not cancel {original}: {why}")
            out.append(
                f"The contact now has two bookings. Cancel {original} in the calendar "
                f"(appointment {self.old.appointment_id}); keep the new one."
            )
        return out


# -- the service ----------------------------------------------------------------------------


def _ms(value: datetime) -> int:
    return round(value.timestamp() * 1000)


def _slot(slot: AvailabilitySlot) -> Slot:
    return Slot(_ms(slot.start), _ms(slot.end), slot.seats_remaining)


@dataclass
class _Cached:
    at: float
    day: DaySlots


@dataclass
class _Lookup:
    """What a lost booking is recognised by."""

    type_id: str
    calendar_id: str | None
    start_ms: int
    end_ms: int
    email: str
    contact_id: str | None
    known_ids: set[str] = field(default_factory=set)


class BookingService:
    """Free slots, bookings, reschedules and cancels of one sub-account (see the module
    docstring). Built by ``CalendarPort.booking()``; bound to that sub-account."""

    def __init__(
        self,
        partition: Partition,
        client: Any,
        bus: EventBus,
        scope: ScopeKey,
        *,
        default_region: str = DEFAULT_REGION,
        now_ms: Callable[[], int] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        concurrency: int = WEEK_CONCURRENCY,
    ) -> None:
        self.partition = partition
        self.client = client
        self.bus = bus
        self.scope = scope
        self.default_region = default_region
        self._now_ms = now_ms or (lambda: int(time.time() * 1000))
        self._monotonic = monotonic
        self._concurrency = max(1, concurrency)
        self._cache: dict[tuple[str, date], _Cached] = {}
        self.requests = 0
        """Availability requests sent (the bench counts them)."""

    # -- what the cache knows ------------------------------------------------------------
    def _type(self, type_id: str) -> AppointmentTypeRow | None:
        for doc in self.partition.calendars.types():
            if str(doc.get("id")) == type_id:
                return type_row(doc)
        return None

    def _calendar_of(self, kind: AppointmentTypeRow | None) -> CalendarRow | None:
        if kind is None or kind.calendar_id is None:
            return None
        doc = self.partition.calendars.get_calendar(kind.calendar_id)
        return None if doc is None else calendar_row(doc)

    def validate(self, request: BookingRequest) -> dict[str, str]:
        """``booking_errors`` with this sub-account's default phone region."""
        return booking_errors(request, self.default_region)

    def forget_slots(self) -> None:
        """Drop every cached day (a booking or cancel changed who is free)."""
        self._cache.clear()

    # -- free slots ----------------------------------------------------------------------
    async def day_slots(self, type_id: str, day: date) -> DaySlots:
        """The free slots of ``type_id`` on ``day`` (a date in the calendar's zone), from the
        cache when asked in the last ``SLOT_CACHE_SECONDS``. Raises ``NeedsConnection``
        when Seedly cannot be reached, ``BookingError`` when it refuses."""
        key = (type_id, day)
        cached = self._cache.get(key)
        if cached is not None and self._monotonic() - cached.at < SLOT_CACHE_SECONDS:
            return cached.day
        return await self._fresh_day(type_id, day)

    async def _fresh_day(self, type_id: str, day: date, *, ask: bool = False) -> DaySlots:
        kind = self._type(type_id)
        calendar = self._calendar_of(kind)
        now = self._now_ms()
        skip = None if ask else known_reason(calendar, day, now)
        if skip is not None:
            result = DaySlots(day, (), skip)
        else:
            try:
                self.requests += 1
                found = await self.client.availability(type_id, day.isoformat())
            except NotFound as exc:
                raise BookingError(
                    "This appointment type no longer exists in Seedly. Pick another type."
                ) from exc
            except ApiError as exc:
                raise _as_booking_error(exc, "Free times") from exc
            slots = tuple(sorted((_slot(s) for s in found), key=lambda s: s.start_ms))
            reason = None if slots else no_slot_reason(calendar, _duration(kind), day, now)
            result = DaySlots(day, slots, reason)
        self._cache[(type_id, day)] = _Cached(self._monotonic(), result)
        return result

    async def week_slots(
        self,
        type_id: str,
        first_day: date,
        days: int = 7,
        on_day: Callable[[DaySlots], None] | None = None,
    ) -> list[DaySlots]:
        """``days`` days of slots from ``first_day``: ``WEEK_CONCURRENCY`` days asked at once
        (the client paces them within the rate limit), ``on_day`` called for each day in
        order as soon as it and every day before it arrived. Cancelling stops every
        request still waiting; the first failure cancels the rest and is raised."""
        wanted = [first_day + timedelta(days=i) for i in range(max(0, days))]
        results: list[DaySlots | None] = [None] * len(wanted)
        told = 0
        gate = asyncio.Semaphore(self._concurrency)

        def tell() -> None:
            nonlocal told
            while told < len(results) and (ready := results[told]) is not None:
                told += 1
                if on_day is not None:
                    on_day(ready)

        async def one(index: int) -> None:
            async with gate:
                results[index] = await self.day_slots(type_id, wanted[index])
            tell()

        tasks = [asyncio.ensure_future(one(i)) for i in range(len(wanted))]
        try:
            await asyncio.gather(*tasks)
        except (Exception, asyncio.CancelledError):
            # Not GeneratorExit: a coroutine closed without a loop (collected while still
            # pending) may not await again, and its day tasks go with their loop.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return [r for r in results if r is not None]

    async def _slot_day(self, request: BookingRequest) -> DaySlots:
        """The request's day (in the calendar's zone) read afresh, bypassing the cache.

        When the calendar's zone is unknown, the UTC date and its neighbours are read
        until one offers the slot (a local date is within a day of the UTC one)."""
        calendar = self._calendar_of(self._type(request.type_id))
        zone = _zone(calendar.timezone if calendar else None)
        day = datetime.fromtimestamp(request.start_ms / 1000, tz=zone or UTC).date()
        fresh = await self._fresh_day(request.type_id, day, ask=True)
        if zone is None and not fresh.has(request.start_ms, request.end_ms):
            for other in (day - timedelta(days=1), day + timedelta(days=1)):
                found = await self._fresh_day(request.type_id, other, ask=True)
                if found.has(request.start_ms, request.end_ms):
                    return found
        return fresh

    # -- booking -------------------------------------------------------------------------
    async def book(self, request: BookingRequest) -> AppointmentRow:
        """Book the slot (see the module docstring): ``SlotTaken``, ``BookingRefused``,
        ``NeedsConnection`` or ``BookingNotConfirmed`` when it was not booked. Sends at
        most one POST."""
        appointment = await self._book(request)
        row = self._store(appointment)
        self.bus.publish(AppointmentsChanged(self.scope, booked=(row.id,), own=True))
        return row

    async def _book(self, request: BookingRequest) -> Appointment:
        try:
            body = _body(request, self.default_region)
        except ValidationFailed as exc:
            raise BookingRefused(exc.user_message, exc.field, exc.errors) from exc
        try:
            day = await self._slot_day(request)
        except NeedsConnection as exc:
            raise NeedsConnection(NEEDS_CONNECTION) from exc
        if not day.has(request.start_ms, request.end_ms):
            raise SlotTaken(_taken_message(day), day)
        lookup = self._lookup_of(request)
        try:
            appointment: Appointment = await self.client.book_appointment(body)
        except OutcomeUnknown:
            log.info("booking answer lost; looking the appointment up")
            return await self._find_lost(lookup)
        except ValidationFailed as exc:
            raise await self._refusal(request, exc) from exc
        except ApiError as exc:
            raise _as_booking_error(exc, "Booking") from exc
        finally:
            self.forget_slots()
        return appointment

    async def _refusal(self, request: BookingRequest, exc: ValidationFailed) -> BookingError:
        """What a 400 means: the slot was taken between the re-check and the POST
        (``SlotTaken`` with fresh slots), or the server refused a field."""
        if exc.field in ("startTime", "endTime"):
            try:
                day = await self._slot_day(request)
            except BookingError:
                day = None
            if day is not None and not day.has(request.start_ms, request.end_ms):
                return SlotTaken(_taken_message(day), day)
        return BookingRefused(_refusal_message(exc), exc.field)

    def _lookup_of(self, request: BookingRequest) -> _Lookup:
        kind = self._type(request.type_id)
        lookup = _Lookup(
            request.type_id,
            kind.calendar_id if kind is not None else None,
            request.start_ms,
            request.end_ms,
            request.email.strip().casefold(),
            request.contact_id,
        )
        # Appointments already cached over the slot cannot be the one being sent.
        for doc in self.partition.calendars.appointments_between(
            request.start_ms, request.end_ms, lookup.calendar_id
        ):
            lookup.known_ids.add(str(doc.get("id")))
        return lookup

    async def _find_lost(self, lookup: _Lookup) -> Appointment:
        try:
            found: list[Appointment] = [
                a
                async for a in self.client.iter_appointments(
                    calendar_id=lookup.calendar_id,
                    start_ms=lookup.start_ms,
                    end_ms=lookup.end_ms,
                )
            ]
        except ApiError as exc:
            raise BookingNotConfirmed(NOT_CHECKED, checked=False) from exc
        for appointment in found:
            if _is_the_booking(appointment, lookup):
                log.info("lost booking answer resolved: %s", appointment.id)
                return appointment
        raise BookingNotConfirmed(NOT_CONFIRMED)

    def _store(self, appointment: Appointment) -> AppointmentRow:
        doc = appointment.to_wire()
        self.partition.calendars.upsert_appointments([doc])
        row = appointment_row(doc)
        assert row is not None  # the model parsed its times
        return row

    # -- reschedule and cancel -----------------------------------------------------------
    async def reschedule(
        self, appointment_id: str, request: BookingRequest, reason: str
    ) -> RescheduleReport:
        """Book ``request`` first, then cancel ``appointment_id`` with ``reason``. A booking
        failure is raised as from ``book`` (the original is untouched); once the new booking
        exists the report says what happened to the original."""
        cached = self.partition.calendars.get_appointment(appointment_id)
        original = appointment_row(cached) if cached is not None else None
        appointment = await self._book(request)
        row = self._store(appointment)
        outcome = await self._cancel_one(appointment_id, reason)
        self.forget_slots()
        self.bus.publish(
            AppointmentsChanged(
                self.scope,
                booked=(row.id,),
                cancelled=(appointment_id,) if outcome.done else (),
                own=True,
            )
        )
        return RescheduleReport(row, outcome, original)

    async def cancel(self, appointment_ids: Sequence[str], reason: str | None) -> CancelReport:
        """Cancel each appointment (in order) with ``reason``; the cache follows at once.
        Once Seedly cannot be reached the rest are not tried (``NOT_SENT``)."""
        outcomes: list[CancelOutcome] = []
        offline: str | None = None
        for appointment_id in dict.fromkeys(appointment_ids):
            if offline is not None:
                outcomes.append(CancelOutcome(appointment_id, CancelState.NOT_SENT, offline))
                continue
            outcome = await self._cancel_one(appointment_id, reason)
            if outcome.state is CancelState.FAILED and outcome.message == CANCEL_OFFLINE:
                offline = CANCEL_OFFLINE
            outcomes.append(outcome)
        report = CancelReport(tuple(outcomes))
        if report.cancelled:
            self.forget_slots()
            self.bus.publish(AppointmentsChanged(self.scope, cancelled=report.cancelled, own=True))
        return report

    async def _cancel_one(self, appointment_id: str, reason: str | None) -> CancelOutcome:
        reason = (reason or "").strip() or None
        try:
            await self.client.cancel_appointment(appointment_id, reason)
        except NotFound:
            self.partition.calendars.delete_appointments([appointment_id])
            return CancelOutcome(appointment_id, CancelState.ALREADY_GONE)
        except ValidationFailed as exc:
            why = _sentence(exc.message) if exc.message else "Seedly refused to cancel it."
            return CancelOutcome(appointment_id, CancelState.FAILED, why)
        except ApiError as exc:
            message = CANCEL_OFFLINE if exc.is_network_failure else exc.user_message
            return CancelOutcome(appointment_id, CancelState.FAILED, message)
        self._mark_cancelled(appointment_id, reason)
        return CancelOutcome(appointment_id, CancelState.CANCELLED)

    def _mark_cancelled(self, appointment_id: str, reason: str | None) -> None:
        doc = self.partition.calendars.get_appointment(appointment_id)
        if doc is None:
            return  # not cached: the next poll brings it
        stamp = datetime.fromtimestamp(self._now_ms() / 1000, tz=UTC)
        doc.update(
            {
                "status": "cancelled",
                "cancellationReason": reason,
                "cancelledAt": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            }
        )
        self.partition.calendars.upsert_appointments([doc])


CANCEL_OFFLINE = "Seedly could not be reached, so it was not cancelled."


def _duration(kind: AppointmentTypeRow | None) -> int | None:
    return None if kind is None else kind.duration_minutes


def _is_the_booking(appointment: Appointment, lookup: _Lookup) -> bool:
    if appointment.id in lookup.known_ids or appointment.status not in ACTIVE_STATUSES:
        return False
    if appointment.appointment_type_id not in (None, lookup.type_id):
        return False
    if _ms(appointment.start_time) != lookup.start_ms or _ms(appointment.end_time) != lookup.end_ms:
        return False
    contact = appointment.contact
    email = (contact.email if contact is not None else None) or ""
    if email.strip().casefold() == lookup.email:
        return True
    return lookup.contact_id is not None and appointment.contact_id == lookup.contact_id


def _taken_message(day: DaySlots) -> str:
    left = len(day.slots)
    now = (
        f"{day_label(day.day)} has {_plural(left, 'free time')} left."
        if left
        else f"{day_label(day.day)} has no free time left."
    )
    return f"That time is no longer free: it was booked a moment ago. {now}"


def _refusal_message(exc: ValidationFailed) -> str:
    text = _sentence(exc.message) if exc.message else "The request was refused."
    return f"Seedly refused the booking: {text}"


def _as_booking_error(exc: ApiError, what: str) -> BookingError:
    """A failure of the API as a booking error, said plainly."""
    if exc.is_network_failure:
        if what == "Booking":
            return NeedsConnection(NEEDS_CONNECTION)
        return NeedsConnection(
            f"{what} need the connection to Seedly, which cannot be reached right now."
        )
    if isinstance(exc, RateLimited):
        return BookingError(
            "Seedly is receiving too many requests from this key; nothing was booked. "
            "Try again in a moment."
        )
    return BookingError(exc.user_message)


def slots_of(days: Iterable[DaySlots]) -> list[Slot]:
    """Every slot of ``days``, in order (the first free one is the call mode's choice)."""
    return [slot for day in days for slot in day.slots]
