"""Calendars, appointment types, availability and appointments (docs/api/seedly-crm.md §6).

Decisions where the API notes are silent (each also noted where it is implemented):

- Calendar ``type`` wire values are ``personal``, ``round_robin``, ``collective``
  and ``class``. The API notes name the types only in prose ("personal,
  round-robin, collective, class"); every machine value elsewhere in the notes
  is snake_case (``no_show``, ``live_chat``, ``social_dm``), and
  ``app.core.constants.CALENDAR_TYPES`` says ``round_robin``.
- A calendar object carries the documented ``id, name, type, timezone`` plus its
  booking rules as additions (docs/api/seedly-crm.md §12: new fields are non-breaking):
  ``isActive``, ``teamMemberIds``, ``weeklySchedule``, ``dateOverrides``,
  ``slotInterval``, ``bufferBefore``, ``bufferAfter``, ``minimumNoticeMinutes``,
  ``maximumAdvanceDays`` and ``seats`` (class calendars; null otherwise), so a
  booking screen can explain why a day has no slots.
- ``GET /calendars/types``: without ``calendarId`` lists the types of active
  calendars; a ``calendarId`` that names no calendar of the sub-account is a
  404 (a typo should not look like "no types"); an inactive calendar's types
  are listed when asked for by id.
- ``GET /calendars/availability``: ``appointmentTypeId`` required (404 when
  unknown); ``date`` optional (the API notes mark only the type as required) and
  defaults to today in the calendar's timezone; the date is read in the
  calendar's timezone; malformed dates are VALIDATION_ERROR, past or too-far
  dates give ``[]``.
- ``GET /calendars/appointments`` is ordered by ``startTime`` ascending (then
  id), as an agenda reads; ``startDate``/``endDate`` select appointments that
  overlap ``[startDate, endDate)``; an unknown ``calendarId`` is a 404;
  ``contactId`` is an extra optional filter.
- Appointment ``startTime``/``endTime``/``createdAt`` are ISO 8601 in UTC
  (``...Z``), like every other timestamp of the API; availability slots carry
  the calendar's offset as in the documented example.
- Booking refusals are 400 VALIDATION_ERROR naming the field (the API notes define
  no 409); an unknown ``appointmentTypeId`` in the body is one of them.
  Cancelling twice answers ``cancelled: true`` again without a second event;
  a completed or no-show appointment cannot be cancelled.
- A booking creates or finds the contact by email; an existing contact is used
  as it is (its name and phone are not overwritten by the booking form). New
  contacts get ``source: "booking"``. No confirmation email is configured.
- The documented "public booking page widget" names no endpoint in its Full
  Endpoint Reference, so the sandbox serves availability and booking only
  under ``/api/v1`` with a key.
- Busy time: a team member is busy during their scheduled/confirmed
  appointments on every calendar of the sub-account (a collective booking
  occupies all its members; a class session its host). See availability.py
  for the slot rules, buffers and DST handling.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from app.core.constants import APPOINTMENT_STATUSES, CALENDAR_TYPES, LIST_LIMITS
from app.sandbox import clock, events
from app.sandbox.crm import contacts
from app.sandbox.crm.availability import (
    DAY_MS,
    DAY_NAMES,
    MINUTE_MS,
    Interval,
    Refusal,
    Rules,
    Slot,
    bookable_day,
    check_booking,
    day_slots,
    evaluate,
    iso_local,
    local_date,
    parse_hhmm,
    pick_member,
    schedule_slots,
    valid_timezone,
)
from app.sandbox.http import (
    Body,
    Ctx,
    Param,
    Reply,
    keyset_page,
    not_found,
    page_query,
    validation,
)
from app.sandbox.registry import Registry
from app.sandbox.seed import AccountSeed, SeedContext
from app.sandbox.store import Store, dumps, loads, new_id

SCHEMA = """
CREATE TABLE IF NOT EXISTS calendars (
    id TEXT PRIMARY KEY,
    sub_account_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    is_active INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS calendars_by_account ON calendars (sub_account_id, position);
CREATE TABLE IF NOT EXISTS appointment_types (
    id TEXT PRIMARY KEY,
    sub_account_id TEXT NOT NULL,
    calendar_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS appointment_types_by_calendar
    ON appointment_types (calendar_id, position);
CREATE TABLE IF NOT EXISTS appointments (
    id TEXT PRIMARY KEY,
    sub_account_id TEXT NOT NULL,
    calendar_id TEXT NOT NULL,
    type_id TEXT,
    contact_id TEXT,
    status TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL,
    assigned_to TEXT,
    busy_members TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS appointments_by_start ON appointments (sub_account_id, start_ms, id);
CREATE INDEX IF NOT EXISTS appointments_by_calendar ON appointments (calendar_id, start_ms);
CREATE INDEX IF NOT EXISTS appointments_by_contact ON appointments (contact_id);
"""

# Statuses that hold a slot (and that a cancel or the delete cascade may end).
ACTIVE = ("scheduled", "confirmed")
_ACTIVE_SQL = "status IN ('scheduled', 'confirmed')"
# Unix ms bounds of a plausible time: below it a client most likely sent seconds (1973);
# the upper one (year 3000) keeps local-date arithmetic far from datetime's year-9999 limit.
MIN_PLAUSIBLE_MS = 100_000_000_000
MAX_MS = 32_503_680_000_000
BOOKING_SOURCE = "booking"
CONTACT_DELETED_REASON = "Contact deleted"

# Wire order of the calendar object: the documented fields first, then the additions.
CALENDAR_FIELDS = (
    "id",
    "name",
    "type",
    "timezone",
    "isActive",
    "description",
    "teamMemberIds",
    "weeklySchedule",
    "dateOverrides",
    "slotInterval",
    "bufferBefore",
    "bufferAfter",
    "minimumNoticeMinutes",
    "maximumAdvanceDays",
    "seats",
)
TYPE_FIELDS = ("id", "calendarId", "name", "duration", "slug")


# -- configuration ------------------------------------------------------------------------


def make_calendar(
    *,
    calendar_id: str,
    name: str,
    kind: str,
    timezone: str,
    members: Sequence[str],
    weekly: dict[str, list[tuple[str, str]]],
    overrides: Sequence[tuple[str, list[tuple[str, str]], str]] = (),
    slot_interval: int = 30,
    buffer_before: int = 0,
    buffer_after: int = 0,
    minimum_notice: int = 0,
    maximum_advance_days: int = 60,
    seats: int | None = None,
    is_active: bool = True,
    description: str | None = None,
) -> dict[str, Any]:
    """A calendar document, checked for consistency (configuration comes only from the demo seed).

    ``weekly`` maps day names to ``("09:00", "12:00")`` windows; ``overrides``
    are ``(date, windows, reason)`` with no windows for a closed day.
    """
    if kind not in CALENDAR_TYPES:
        raise ValueError(f"unknown calendar type {kind}")
    if not valid_timezone(timezone):
        raise ValueError(f"unknown timezone {timezone}")
    if not members or (kind == "personal" and len(members) != 1):
        raise ValueError(
            f"{kind} calendar {name} needs {'one member' if kind == 'personal' else 'members'}"
        )
    if (kind == "class") != (seats is not None) or (seats is not None and seats < 1):
        raise ValueError("seats are required on class calendars and only there")
    if (
        not 1 <= slot_interval <= 240
        or not 0 <= buffer_before <= 240
        or not 0 <= buffer_after <= 240
    ):
        raise ValueError("slot interval and buffers are minutes from 0 (1) to 240")

    def windows(items: list[tuple[str, str]]) -> list[dict[str, str]]:
        out = []
        for start, end in items:
            if parse_hhmm(start) >= parse_hhmm(end):
                raise ValueError(f"empty window {start}-{end}")
            out.append({"start": start, "end": end})
        return out

    for day in weekly:
        if day not in DAY_NAMES:
            raise ValueError(f"unknown day {day}")
    schedule = {day: windows(weekly.get(day, [])) for day in DAY_NAMES}
    date_overrides = []
    for day_text, hours, reason in sorted(overrides):
        date.fromisoformat(day_text)
        date_overrides.append({"date": day_text, "hours": windows(hours), "reason": reason})
    return {
        "id": calendar_id,
        "name": name,
        "type": kind,
        "timezone": timezone,
        "isActive": is_active,
        "description": description,
        "teamMemberIds": list(members),
        "weeklySchedule": schedule,
        "dateOverrides": date_overrides,
        "slotInterval": slot_interval,
        "bufferBefore": buffer_before,
        "bufferAfter": buffer_after,
        "minimumNoticeMinutes": minimum_notice,
        "maximumAdvanceDays": maximum_advance_days,
        "seats": seats,
    }


def rules_of(calendar: dict[str, Any]) -> Rules:
    """The slot engine's view of a calendar document."""
    weekly = {
        i: tuple(
            (parse_hhmm(w["start"]), parse_hhmm(w["end"]))
            for w in calendar["weeklySchedule"].get(name, [])
        )
        for i, name in enumerate(DAY_NAMES)
    }
    overrides = {
        o["date"]: tuple((parse_hhmm(w["start"]), parse_hhmm(w["end"])) for w in o["hours"])
        for o in calendar["dateOverrides"]
    }
    return Rules(
        timezone=calendar["timezone"],
        weekly=weekly,
        overrides=overrides,
        kind=calendar["type"],
        members=tuple(calendar["teamMemberIds"]),
        slot_interval=calendar["slotInterval"],
        buffer_before=calendar["bufferBefore"],
        buffer_after=calendar["bufferAfter"],
        minimum_notice=calendar["minimumNoticeMinutes"],
        maximum_advance_days=calendar["maximumAdvanceDays"],
        seats=calendar["seats"],
        name=calendar["name"],
    )


def insert_calendar(
    store: Store, sub_account_id: str, calendar: dict[str, Any], position: int
) -> None:
    """Store a calendar document made by ``make_calendar``."""
    store.run(
        "INSERT INTO calendars (id, sub_account_id, position, is_active, doc) "
        "VALUES (?, ?, ?, ?, ?)",
        (calendar["id"], sub_account_id, position, int(calendar["isActive"]), dumps(calendar)),
    )


def insert_type(
    store: Store,
    sub_account_id: str,
    calendar_id: str,
    *,
    type_id: str,
    name: str,
    duration: int,
    slug: str,
    position: int,
) -> dict[str, Any]:
    """Store an appointment type of ``duration`` minutes on a calendar."""
    if not 5 <= duration <= 480:
        raise ValueError("duration is minutes from 5 to 480")
    doc = {
        "id": type_id,
        "calendarId": calendar_id,
        "name": name,
        "duration": duration,
        "slug": slug,
    }
    store.run(
        "INSERT INTO appointment_types (id, sub_account_id, calendar_id, position, doc) "
        "VALUES (?, ?, ?, ?, ?)",
        (type_id, sub_account_id, calendar_id, position, dumps(doc)),
    )
    return doc


def load_calendar(store: Store, sub_account_id: str, calendar_id: str) -> dict[str, Any] | None:
    """A calendar document of this sub-account (active or not), or None."""
    row = store.one(
        "SELECT doc FROM calendars WHERE id = ? AND sub_account_id = ?",
        (calendar_id, sub_account_id),
    )
    return None if row is None else loads(row["doc"])


def load_type(store: Store, sub_account_id: str, type_id: str) -> dict[str, Any] | None:
    """An appointment type of this sub-account, or None."""
    row = store.one(
        "SELECT doc FROM appointment_types WHERE id = ? AND sub_account_id = ?",
        (type_id, sub_account_id),
    )
    return None if row is None else loads(row["doc"])


def render_calendar(doc: dict[str, Any]) -> dict[str, Any]:
    """The public calendar object."""
    return {name: doc.get(name) for name in CALENDAR_FIELDS}


# -- busy time and slots -------------------------------------------------------------------


def _busy(
    store: Store,
    sub_account_id: str,
    calendar_id: str,
    lo_ms: int,
    hi_ms: int,
    exclude_id: str | None = None,
) -> tuple[dict[str, list[Interval]], list[Interval]]:
    """Active bookings near ``[lo, hi)``: per team member (every calendar) and of this calendar."""
    rows = store.all(
        f"SELECT id, calendar_id, start_ms, end_ms, busy_members FROM appointments "
        f"WHERE sub_account_id = ? AND {_ACTIVE_SQL} "
        "AND start_ms < ? AND end_ms > ? AND start_ms > ?",
        # A day of margin either side covers any buffer; appointments last less than a day,
        # so the lower bound on start_ms lets the (sub_account_id, start_ms) index do the work.
        (sub_account_id, hi_ms + DAY_MS, lo_ms - DAY_MS, lo_ms - 2 * DAY_MS),
    )
    members: dict[str, list[Interval]] = {}
    sessions: list[Interval] = []
    for row in rows:
        if row["id"] == exclude_id:
            continue
        interval = (row["start_ms"], row["end_ms"])
        for member in loads(row["busy_members"]):
            members.setdefault(member, []).append(interval)
        if row["calendar_id"] == calendar_id:
            sessions.append(interval)
    return members, sessions


def _near(intervals: list[Interval], lo_ms: int, hi_ms: int) -> list[Interval]:
    return [i for i in intervals if i[0] < hi_ms and i[1] > lo_ms]


def _utc_midnight_ms(day: date) -> int:
    # Plain date arithmetic: cannot overflow or hit a missing local midnight.
    return (day.toordinal() - _EPOCH_ORDINAL) * DAY_MS


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def slots_between(
    store: Store,
    sub_account_id: str,
    calendar: dict[str, Any],
    duration: int,
    first_day: date,
    days: int,
    now_ms: int,
    exclude_id: str | None = None,
) -> list[Slot]:
    """Bookable slots of ``duration`` minutes on ``days`` local dates from ``first_day``."""
    if not calendar["isActive"]:
        return []
    rules = rules_of(calendar)
    wanted = [
        d
        for d in (first_day + timedelta(days=i) for i in range(max(0, days)))
        if bookable_day(rules, d, now_ms)
    ]
    if not wanted:
        return []  # past or beyond the maximum advance: nothing to compute
    # Local days are within 14 hours of their UTC dates; 1.5 days either side covers buffers too.
    lo = _utc_midnight_ms(wanted[0]) - DAY_MS * 3 // 2
    hi = _utc_midnight_ms(wanted[-1]) + DAY_MS * 5 // 2
    members, sessions = _busy(store, sub_account_id, calendar["id"], lo, hi, exclude_id)
    out: list[Slot] = []
    for day in wanted:
        day_lo = _utc_midnight_ms(day) - DAY_MS * 3 // 2
        day_hi = day_lo + 4 * DAY_MS
        near = {m: _near(b, day_lo, day_hi) for m, b in members.items()}
        out += day_slots(rules, day, duration, now_ms, near, _near(sessions, day_lo, day_hi))
    return out


def render_slot(slot: Slot, calendar: dict[str, Any], tz_rules: Rules) -> dict[str, Any]:
    """A slot as the API notes show it; ``seatsRemaining`` on class calendars only."""
    out: dict[str, Any] = {
        "start": iso_local(slot.start_ms, tz_rules.tz),
        "end": iso_local(slot.end_ms, tz_rules.tz),
    }
    if calendar["type"] == "class":
        out["seatsRemaining"] = slot.seats_remaining
    return out


# -- appointments --------------------------------------------------------------------------


def _row(store: Store, sub_account_id: str, appointment_id: str) -> Any:
    return store.one(
        "SELECT * FROM appointments WHERE id = ? AND sub_account_id = ?",
        (appointment_id, sub_account_id),
    )


def render_appointment(store: Store, sub_account_id: str, row: Any) -> dict[str, Any]:
    """The public appointment: the documented fields, then the additions."""
    doc = loads(row["doc"])
    out: dict[str, Any] = {
        "id": row["id"],
        "calendarId": row["calendar_id"],
        "appointmentTypeId": row["type_id"],
        "contactId": row["contact_id"],
        "title": doc.get("title"),
        "startTime": clock.iso(row["start_ms"]),
        "endTime": clock.iso(row["end_ms"]),
        "status": row["status"],
        "assignedTo": row["assigned_to"],
        "notes": doc.get("notes"),
        "createdAt": clock.iso(row["created_ms"]),
        "contact": contacts.summary_by_id(store, sub_account_id, row["contact_id"]),
        "updatedAt": clock.iso(row["updated_ms"]),
        "attendees": doc.get("attendees") or [],
        "cancellationReason": doc.get("cancellationReason"),
        "cancelledAt": doc.get("cancelledAt"),
    }
    capacity = doc.get("seatCapacity")
    if capacity is not None:
        booked = store.scalar(
            f"SELECT COUNT(*) FROM appointments WHERE calendar_id = ? AND {_ACTIVE_SQL} "
            "AND start_ms < ? AND end_ms > ?",
            (row["calendar_id"], row["end_ms"], row["start_ms"]),
        )
        out["seats"] = {
            "capacity": capacity,
            "booked": booked,
            "remaining": max(0, capacity - booked),
        }
    return out


def _event_data(store: Store, sub_account_id: str, row: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contactId": row["contact_id"],
        "appointmentId": row["id"],
        "calendarId": row["calendar_id"],
        "appointmentTypeId": row["type_id"],
        "startTime": clock.iso(row["start_ms"]),
        "endTime": clock.iso(row["end_ms"]),
        "assignedTo": row["assigned_to"],
        "status": row["status"],
        "title": loads(row["doc"]).get("title"),
    }
    contact = store.one(
        "SELECT tags FROM contacts WHERE id = ? AND sub_account_id = ?",
        (row["contact_id"], sub_account_id),
    )
    tags = loads(contact["tags"]) if contact is not None else []
    if tags:  # docs/api/seedly-crm.md §7: tags are present when the contact has some
        data["tags"] = tags
    return data


def _upcoming_counts(store: Store, calendar_id: str, now_ms: int) -> dict[str, int]:
    rows = store.all(
        "SELECT assigned_to, COUNT(*) AS n FROM appointments "
        f"WHERE calendar_id = ? AND {_ACTIVE_SQL} "
        "AND start_ms >= ? GROUP BY assigned_to",
        (calendar_id, now_ms),
    )
    return {r["assigned_to"]: r["n"] for r in rows}


def _assign(
    store: Store, calendar: dict[str, Any], slot: Slot, now_ms: int, keep: str | None = None
) -> tuple[str, list[str], list[str]]:
    """(assignedTo, attendees, members made busy) for a slot, by calendar type."""
    members = list(calendar["teamMemberIds"])
    kind = calendar["type"]
    if kind == "collective":
        return members[0], members, members
    if kind == "class":
        return members[0], [members[0]], [members[0]]
    if kind == "round_robin":
        if keep is not None and keep in slot.free_members:
            chosen = keep  # a reschedule keeps its member when they are free
        else:
            chosen = pick_member(
                slot.free_members, _upcoming_counts(store, calendar["id"], now_ms), members
            )
        return chosen, [chosen], [chosen]
    return members[0], [members[0]], [members[0]]


def create_appointment(
    store: Store,
    sub_account_id: str,
    calendar: dict[str, Any],
    appointment_type: dict[str, Any],
    contact: dict[str, Any],
    slot: Slot,
    *,
    notes: str | None = None,
    now_ms: int | None = None,
) -> Any:
    """Store a booking of a checked slot and fire ``appointment.booked``; returns its row."""
    now = store.clock.now_ms() if now_ms is None else now_ms
    assigned, attendees, busy = _assign(store, calendar, slot, now)
    name = f"{contact.get('firstName') or ''} {contact.get('lastName') or ''}".strip()
    doc: dict[str, Any] = {
        "title": f"{appointment_type['name']} – {name}" if name else appointment_type["name"],
        "notes": notes,
        "attendees": attendees,
    }
    if calendar["type"] == "class":
        doc["seatCapacity"] = calendar["seats"]
    appointment_id = new_id("appt")
    store.run(
        "INSERT INTO appointments (id, sub_account_id, calendar_id, type_id, contact_id, status, "
        "start_ms, end_ms, assigned_to, busy_members, created_ms, updated_ms, doc) "
        "VALUES (?, ?, ?, ?, ?, 'scheduled', ?, ?, ?, ?, ?, ?, ?)",
        (
            appointment_id,
            sub_account_id,
            calendar["id"],
            appointment_type["id"],
            contact["id"],
            slot.start_ms,
            slot.end_ms,
            assigned,
            dumps(busy),
            now,
            now,
            dumps(doc),
        ),
    )
    row = _row(store, sub_account_id, appointment_id)
    events.emit(
        store, sub_account_id, "appointment.booked", _event_data(store, sub_account_id, row)
    )
    return row


def check_slot(
    store: Store,
    sub_account_id: str,
    calendar: dict[str, Any],
    appointment_type: dict[str, Any],
    start_ms: int,
    end_ms: int,
    now_ms: int,
    exclude_id: str | None = None,
) -> Slot:
    """The slot if ``[start, end)`` of this type is offered now; raises ``Refusal`` otherwise."""
    if not calendar["isActive"]:
        raise Refusal("inactive", f"{calendar['name']} is not taking bookings")
    rules = rules_of(calendar)
    members, sessions = _busy(store, sub_account_id, calendar["id"], start_ms, end_ms, exclude_id)
    return check_booking(
        rules, start_ms, end_ms, appointment_type["duration"], now_ms, members, sessions
    )


def _set_status(
    store: Store,
    sub_account_id: str,
    row: Any,
    status: str,
    event: str,
    extra_doc: dict[str, Any] | None = None,
    extra_event: dict[str, Any] | None = None,
) -> Any:
    now = store.clock.now_ms()
    doc = {**loads(row["doc"]), **(extra_doc or {})}
    store.run(
        "UPDATE appointments SET status = ?, updated_ms = ?, doc = ? WHERE id = ?",
        (status, now, dumps(doc), row["id"]),
    )
    row = _row(store, sub_account_id, row["id"])
    events.emit(
        store,
        sub_account_id,
        event,
        {**_event_data(store, sub_account_id, row), **(extra_event or {})},
    )
    return row


def cancel(store: Store, sub_account_id: str, row: Any, reason: str | None) -> Any:
    """Cancel an active appointment (frees its slot) and fire ``appointment.cancelled``."""
    return _set_status(
        store,
        sub_account_id,
        row,
        "cancelled",
        "appointment.cancelled",
        {"cancellationReason": reason, "cancelledAt": clock.iso(store.clock.now_ms())},
        {"reason": reason},
    )


def reschedule(
    store: Store, sub_account_id: str, row: Any, calendar: dict[str, Any], slot: Slot
) -> Any:
    """Move an appointment to a checked slot; fires ``appointment.rescheduled``."""
    assigned, attendees, busy = _assign(
        store, calendar, slot, store.clock.now_ms(), keep=row["assigned_to"]
    )
    doc = {**loads(row["doc"]), "attendees": attendees}
    previous = {
        "previousStartTime": clock.iso(row["start_ms"]),
        "previousEndTime": clock.iso(row["end_ms"]),
    }
    store.run(
        "UPDATE appointments SET start_ms = ?, end_ms = ?, assigned_to = ?, busy_members = ?, "
        "updated_ms = ?, doc = ? WHERE id = ?",
        (
            slot.start_ms,
            slot.end_ms,
            assigned,
            dumps(busy),
            store.clock.now_ms(),
            dumps(doc),
            row["id"],
        ),
    )
    row = _row(store, sub_account_id, row["id"])
    events.emit(
        store,
        sub_account_id,
        "appointment.rescheduled",
        {**_event_data(store, sub_account_id, row), **previous},
    )
    return row


def cancel_for_deleted_contact(store: Store, sub_account_id: str, contact_id: str) -> None:
    """Delete cascade (docs/api/seedly-crm.md §5): cancel the contact's upcoming
    appointments; keep past ones."""
    rows = store.all(
        f"SELECT * FROM appointments WHERE sub_account_id = ? AND contact_id = ? AND {_ACTIVE_SQL} "
        "AND start_ms > ? ORDER BY start_ms, id",
        (sub_account_id, contact_id, store.clock.now_ms()),
    )
    for row in rows:
        cancel(store, sub_account_id, row, CONTACT_DELETED_REASON)


# -- routes --------------------------------------------------------------------------------


def list_calendars(ctx: Ctx) -> Reply:
    """Active calendars of the sub-account, in their configured order."""
    rows = ctx.store.all(
        "SELECT doc FROM calendars WHERE sub_account_id = ? AND is_active = 1 "
        "ORDER BY position, id",
        (ctx.account,),
    )
    return Reply([render_calendar(loads(r["doc"])) for r in rows])


def list_types(ctx: Ctx) -> Reply:
    """Appointment types; ``calendarId`` filters (404 when it names no calendar here)."""
    calendar_id = ctx.query.str("calendarId", max_len=200)
    if calendar_id is not None:
        if load_calendar(ctx.store, ctx.account, calendar_id) is None:
            raise not_found("Calendar")
        rows = ctx.store.all(
            "SELECT doc FROM appointment_types WHERE calendar_id = ? AND sub_account_id = ? "
            "ORDER BY position, id",
            (calendar_id, ctx.account),
        )
    else:
        rows = ctx.store.all(
            "SELECT t.doc FROM appointment_types t JOIN calendars c ON c.id = t.calendar_id "
            "WHERE t.sub_account_id = ? AND c.is_active = 1 ORDER BY c.position, t.position, t.id",
            (ctx.account,),
        )
    return Reply([{k: loads(r["doc"])[k] for k in TYPE_FIELDS} for r in rows])


def _parse_day(text: str) -> date:
    if len(text) != 10 or text[4] != "-" or text[7] != "-" or not text.replace("-", "").isdigit():
        raise validation("date must be a date in YYYY-MM-DD format, e.g. 2026-04-01", "date")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise validation(f"date is not a real date: {text}", "date") from None


def availability(ctx: Ctx) -> Reply:
    """Free slots of a type on a date (calendar's timezone; default today)."""
    type_id = ctx.query.str("appointmentTypeId", required=True, max_len=200)
    text = ctx.query.str("date", max_len=20)
    day = _parse_day(text) if text is not None else None
    assert type_id is not None
    appointment_type = load_type(ctx.store, ctx.account, type_id)
    if appointment_type is None:
        raise not_found("Appointment type")
    calendar = load_calendar(ctx.store, ctx.account, appointment_type["calendarId"])
    if calendar is None:
        raise not_found("Calendar")
    rules = rules_of(calendar)
    now = ctx.now()
    if day is None:
        day = local_date(now, rules.tz)
    slots = slots_between(
        ctx.store, ctx.account, calendar, appointment_type["duration"], day, 1, now
    )
    return Reply([render_slot(s, calendar, rules) for s in slots])


def list_appointments(ctx: Ctx) -> Reply:
    """Appointments by start time ascending; range filters select overlapping ones."""
    q = ctx.query
    default, maximum = LIST_LIMITS["appointments"]
    limit = q.limit(default, maximum)
    where = ["sub_account_id = ?"]
    params: list[Any] = [ctx.account]
    calendar_id = q.str("calendarId", max_len=200)
    if calendar_id is not None:
        if load_calendar(ctx.store, ctx.account, calendar_id) is None:
            raise not_found("Calendar")
        where.append("calendar_id = ?")
        params.append(calendar_id)
    start = q.int("startDate", minimum=0, maximum=MAX_MS)
    end = q.int("endDate", minimum=0, maximum=MAX_MS)
    if start is not None and end is not None and start > end:
        raise validation("startDate must not be after endDate", "startDate")
    if start is not None:
        where.append("end_ms > ?")
        params.append(start)
    if end is not None:
        where.append("start_ms < ?")
        params.append(end)
    status = q.str("status", choices=APPOINTMENT_STATUSES)
    if status is not None:
        where.append("status = ?")
        params.append(status)
    contact_id = q.str("contactId", max_len=200)
    if contact_id is not None:
        where.append("contact_id = ?")
        params.append(contact_id)
    return keyset_page(
        ctx,
        kind="appointments",
        table_sql="appointments",
        where=where,
        params=params,
        sort_col="start_ms",
        id_col="id",
        limit=limit,
        descending=False,
        filters=[ctx.account, calendar_id, start, end, status, contact_id],
        render=lambda row: render_appointment(ctx.store, ctx.account, row),
    )


REQUIRED_BOOKING = ("appointmentTypeId", "startTime", "endTime", "firstName", "lastName", "email")


def _missing(body: Body, names: Sequence[str]) -> None:
    """One message naming every absent required field (wrong types get their own message)."""
    missing = [
        n
        for n in names
        if body.raw(n) is None or (isinstance(body.raw(n), str) and not body.raw(n).strip())
    ]
    if missing:
        listed = missing[0] if len(missing) == 1 else f"{', '.join(missing[:-1])} and {missing[-1]}"
        raise validation(f"{listed} {'is' if len(missing) == 1 else 'are'} required", missing[0])


def _time_field(body: Body, name: str) -> int:
    value = body.int(name, required=True, minimum=0, maximum=MAX_MS)
    assert value is not None
    if value < MIN_PLAUSIBLE_MS:
        raise validation(
            f"{name} must be a Unix timestamp in milliseconds (this looks like seconds)", name
        )
    return value


def book_appointment(ctx: Ctx) -> Reply:
    """Book: validate the body and the slot, find or create the contact, assign, fire booked."""
    body = ctx.body
    _missing(body, REQUIRED_BOOKING)
    type_id = body.str("appointmentTypeId", required=True, max_len=200)
    start = _time_field(body, "startTime")
    end = _time_field(body, "endTime")
    first = body.str("firstName", required=True, max_len=contacts.NAME_MAX)
    last = body.str("lastName", required=True, max_len=contacts.NAME_MAX)
    email_text = body.str("email", required=True, max_len=320)
    assert type_id and first and last and email_text
    email = contacts.normalise_email(email_text, "email")
    phone_text = body.str("phone", max_len=32)
    phone = contacts.check_phone(phone_text, "phone") if phone_text else None
    notes = body.str("notes", max_len=5000) or None
    if end <= start:
        raise validation("endTime must be after startTime", "endTime")
    appointment_type = load_type(ctx.store, ctx.account, type_id)
    if appointment_type is None:
        raise validation(
            f"appointmentTypeId does not name an appointment type of this sub-account: "
            f"{type_id} (see GET /api/v1/calendars/types)",
            "appointmentTypeId",
        )
    calendar = load_calendar(ctx.store, ctx.account, appointment_type["calendarId"])
    if calendar is None:
        raise validation(
            "appointmentTypeId belongs to no calendar of this sub-account", "appointmentTypeId"
        )
    now = ctx.now()
    # Every slot check comes before the contact is touched, so a refusal creates nothing.
    try:
        slot = check_slot(ctx.store, ctx.account, calendar, appointment_type, start, end, now)
    except Refusal as refusal:
        raise validation(
            refusal.message, "endTime" if refusal.reason == "duration" else "startTime"
        ) from None
    contact, _created = contacts.find_or_create(
        ctx.store,
        ctx.account,
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        source=BOOKING_SOURCE,
    )
    clash = ctx.store.one(
        f"SELECT id FROM appointments WHERE calendar_id = ? AND contact_id = ? AND {_ACTIVE_SQL} "
        "AND start_ms < ? AND end_ms > ?",
        (calendar["id"], contact["id"], end, start),
    )
    if clash is not None:
        # Only an existing contact gets here (a new one has no bookings): nothing is left behind.
        raise validation(
            f"{email} already has an appointment at that time ({clash['id']})", "startTime"
        )
    row = create_appointment(
        ctx.store, ctx.account, calendar, appointment_type, contact, slot, notes=notes, now_ms=now
    )
    return Reply(render_appointment(ctx.store, ctx.account, row), status=201)


def cancel_appointment(ctx: Ctx) -> Reply:
    """Cancel with an optional ``reason``; cancelling again answers the same without a new event."""
    reason = ctx.query.str("reason", max_len=500)
    row = _row(ctx.store, ctx.account, ctx.path["id"])
    if row is None:
        raise not_found("Appointment")
    if row["status"] in ("completed", "no_show"):
        label = "completed" if row["status"] == "completed" else "no-show"
        raise validation(f"A {label} appointment cannot be cancelled", "id")
    if row["status"] != "cancelled":
        cancel(ctx.store, ctx.account, row, reason)
    return Reply({"id": row["id"], "cancelled": True})


# -- traffic simulator hooks ---------------------------------------------------------------

SIM_NO_SHOW_RATE = 0.15
SIM_CONFIRM_RATE = 0.5
SIM_RESCHEDULE_RATE = 0.12
SIM_WINDOW_DAYS = 14


def _active_calendars(store: Store, sub_account_id: str) -> list[dict[str, Any]]:
    rows = store.all(
        "SELECT doc FROM calendars WHERE sub_account_id = ? AND is_active = 1 "
        "ORDER BY position, id",
        (sub_account_id,),
    )
    return [loads(r["doc"]) for r in rows]


def _types_of(store: Store, calendar_id: str) -> list[dict[str, Any]]:
    rows = store.all(
        "SELECT doc FROM appointment_types WHERE calendar_id = ? ORDER BY position, id",
        (calendar_id,),
    )
    return [loads(r["doc"]) for r in rows]


def book_random(store: Store, sub_account_id: str, rng: random.Random) -> dict[str, Any] | None:
    """Book a random free slot of the coming 2 weeks for a random existing contact.

    Fires ``appointment.booked`` like an API booking; returns the appointment,
    or None when there is no contact or no free slot.
    """
    calendars = _active_calendars(store, sub_account_id)
    count = store.scalar(
        "SELECT COUNT(*) FROM contacts WHERE sub_account_id = ? AND deleted_ms IS NULL",
        (sub_account_id,),
    )
    if not calendars or not count:
        return None
    calendar = rng.choice(calendars)
    types = _types_of(store, calendar["id"])
    if not types:
        return None
    appointment_type = rng.choice(types)
    contact_row = store.one(
        "SELECT doc FROM contacts WHERE sub_account_id = ? AND deleted_ms IS NULL "
        "ORDER BY updated_ms DESC, id LIMIT 1 OFFSET ?",
        (sub_account_id, rng.randrange(min(count, 500))),
    )
    if contact_row is None:
        return None
    contact = loads(contact_row["doc"])
    now = store.clock.now_ms()
    rules = rules_of(calendar)
    slots = slots_between(
        store,
        sub_account_id,
        calendar,
        appointment_type["duration"],
        local_date(now, rules.tz),
        SIM_WINDOW_DAYS,
        now,
    )
    taken = {
        (r["start_ms"], r["end_ms"])
        for r in store.all(
            "SELECT start_ms, end_ms FROM appointments WHERE calendar_id = ? AND contact_id = ? "
            f"AND {_ACTIVE_SQL}",
            (calendar["id"], contact["id"]),
        )
    }
    slots = [s for s in slots if (s.start_ms, s.end_ms) not in taken]
    if not slots:
        return None
    row = create_appointment(
        store, sub_account_id, calendar, appointment_type, contact, rng.choice(slots), now_ms=now
    )
    return render_appointment(store, sub_account_id, row)


def advance_appointments(store: Store, sub_account_id: str, rng: random.Random) -> int:
    """Move appointments along as time passes; returns how many changed.

    Ended scheduled/confirmed ones become completed or no_show; some upcoming
    scheduled ones are confirmed; now and then one is rescheduled to another
    free slot. Each change fires its event.
    """
    now = store.clock.now_ms()
    changed = 0
    ended = store.all(
        f"SELECT * FROM appointments WHERE sub_account_id = ? AND {_ACTIVE_SQL} "
        "AND end_ms <= ? ORDER BY start_ms, id LIMIT 200",
        (sub_account_id, now),
    )
    for row in ended:
        if rng.random() < SIM_NO_SHOW_RATE:
            _set_status(store, sub_account_id, row, "no_show", "appointment.no_show")
        else:
            _set_status(store, sub_account_id, row, "completed", "appointment.completed")
        changed += 1
    upcoming = store.all(
        "SELECT * FROM appointments WHERE sub_account_id = ? AND status = 'scheduled' "
        "AND start_ms > ? ORDER BY start_ms, id LIMIT 10",
        (sub_account_id, now),
    )
    for row in upcoming[:3]:
        if rng.random() < SIM_CONFIRM_RATE:
            _set_status(store, sub_account_id, row, "confirmed", "appointment.confirmed")
            changed += 1
    if (
        upcoming
        and rng.random() < SIM_RESCHEDULE_RATE
        and _reschedule_random(store, sub_account_id, rng, rng.choice(upcoming), now)
    ):
        changed += 1
    return changed


def _reschedule_random(
    store: Store, sub_account_id: str, rng: random.Random, row: Any, now: int
) -> bool:
    row = _row(store, sub_account_id, row["id"])  # it may have just been confirmed
    calendar = load_calendar(store, sub_account_id, row["calendar_id"])
    appointment_type = load_type(store, sub_account_id, row["type_id"]) if row["type_id"] else None
    if (
        calendar is None
        or appointment_type is None
        or calendar["type"] == "class"
        or row["status"] not in ACTIVE
    ):
        return False
    rules = rules_of(calendar)
    slots = [
        s
        for s in slots_between(
            store,
            sub_account_id,
            calendar,
            appointment_type["duration"],
            local_date(now, rules.tz),
            SIM_WINDOW_DAYS,
            now,
            exclude_id=row["id"],
        )
        if s.start_ms != row["start_ms"]
    ]
    if not slots:
        return False
    reschedule(store, sub_account_id, row, calendar, rng.choice(slots))
    return True


# -- demo seed -----------------------------------------------------------------------------

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def _days(names: Sequence[str], *windows: tuple[str, str]) -> dict[str, list[tuple[str, str]]]:
    return {name: list(windows) for name in names}


# (name, type, member indexes into the account's users, weekly hours, settings,
#  types [(name, minutes, slug)])
DemoCalendar = tuple[
    str,
    str,
    tuple[int, ...],
    dict[str, list[tuple[str, str]]],
    dict[str, Any],
    list[tuple[str, int, str]],
]

DEMO_CALENDARS: dict[str, list[DemoCalendar]] = {
    "sub_harbor_dental": [
        (
            "Dr. Ortiz – Consultations",
            "personal",
            (0,),
            {
                **_days(WEEKDAYS, ("09:00", "12:00"), ("13:00", "17:00")),
                "saturday": [("09:00", "12:00")],
            },
            {
                "slot_interval": 30,
                "buffer_after": 10,
                "minimum_notice": 120,
                "maximum_advance_days": 60,
                "description": "Consultations and treatment planning with Dr. Ana Ortiz.",
            },
            [
                ("New Patient Consultation", 30, "new-patient-consultation"),
                ("Treatment Plan Review", 60, "treatment-plan-review"),
                ("Quick Follow-up", 15, "quick-follow-up"),
            ],
        ),
        (
            "Hygiene Team",
            "round_robin",
            (1, 2, 3),
            _days(WEEKDAYS, ("08:00", "12:00"), ("13:00", "18:00")),
            {
                "slot_interval": 15,
                "buffer_before": 5,
                "buffer_after": 5,
                "minimum_notice": 60,
                "maximum_advance_days": 45,
                "description": "Cleanings with the next available hygienist.",
            },
            [
                ("Cleaning & Checkup", 45, "cleaning-and-checkup"),
                ("Whitening Session", 90, "whitening-session"),
            ],
        ),
        (
            "New Patient Welcome",
            "collective",
            (0, 2),
            _days(("tuesday", "thursday"), ("14:00", "16:00")),
            {
                "slot_interval": 30,
                "minimum_notice": 1440,
                "maximum_advance_days": 30,
                "description": "Meet the dentist and the hygienist together.",
            },
            [("Welcome & Smile Assessment", 60, "welcome-smile-assessment")],
        ),
        (
            "Kids' Brushing Class",
            "class",
            (3,),
            {"wednesday": [("16:00", "17:00")], "saturday": [("10:00", "11:00")]},
            {
                "slot_interval": 60,
                "minimum_notice": 60,
                "maximum_advance_days": 30,
                "seats": 8,
                "description": "A fun group class for ages 5–10.",
            },
            [("Brushing Basics (ages 5–10)", 60, "brushing-basics")],
        ),
        (
            "Summer Whitening Promo",
            "personal",
            (1,),
            _days(WEEKDAYS, ("09:00", "12:00")),
            {
                "slot_interval": 60,
                "minimum_notice": 120,
                "maximum_advance_days": 30,
                "is_active": False,
                "description": "Retired seasonal promotion.",
            },
            [("Promo Whitening", 60, "promo-whitening")],
        ),
    ],
    "sub_summit_roofing": [
        (
            "Erin Walsh – Roof Inspections",
            "personal",
            (0,),
            _days(WEEKDAYS, ("08:00", "12:00"), ("13:00", "16:30")),
            {
                "slot_interval": 30,
                "buffer_before": 15,
                "buffer_after": 30,
                "minimum_notice": 180,
                "maximum_advance_days": 45,
                "description": "On-site inspections (travel time included).",
            },
            [
                ("Free Roof Inspection", 60, "free-roof-inspection"),
                ("Estimate Review Call", 30, "estimate-review-call"),
            ],
        ),
        (
            "Estimators",
            "round_robin",
            (1, 2),
            {
                **_days(WEEKDAYS, ("07:30", "11:30"), ("12:30", "17:00")),
                "saturday": [("08:00", "12:00")],
            },
            {
                "slot_interval": 30,
                "buffer_after": 15,
                "minimum_notice": 120,
                "maximum_advance_days": 30,
                "description": "Repair and gutter estimates with the next free estimator.",
            },
            [
                ("Repair Estimate", 45, "repair-estimate"),
                ("Gutter Consultation", 30, "gutter-consultation"),
            ],
        ),
        (
            "Project Kickoff",
            "collective",
            (0, 1),
            _days(("monday", "wednesday", "friday"), ("15:00", "17:00")),
            {
                "slot_interval": 30,
                "minimum_notice": 1440,
                "maximum_advance_days": 30,
                "description": "Kick off a signed project with the inspector and the estimator.",
            },
            [("Project Kickoff Meeting", 60, "project-kickoff-meeting")],
        ),
        (
            "Homeowner Roof Care Workshop",
            "class",
            (2,),
            {"thursday": [("18:00", "19:30")], "saturday": [("10:00", "11:30")]},
            {
                "slot_interval": 90,
                "minimum_notice": 120,
                "maximum_advance_days": 60,
                "seats": 12,
                "description": "Seasonal maintenance tips for homeowners.",
            },
            [("Roof Care Workshop", 90, "roof-care-workshop")],
        ),
        (
            "Storm Season Hotline",
            "round_robin",
            (1, 2),
            _days((*WEEKDAYS, "saturday", "sunday"), ("08:00", "20:00")),
            {
                "slot_interval": 15,
                "minimum_notice": 30,
                "maximum_advance_days": 7,
                "is_active": False,
                "description": "Retired after storm season.",
            },
            [("Storm Damage Callback", 15, "storm-damage-callback")],
        ),
    ],
}


def _generic_calendars(acct: AccountSeed) -> list[DemoCalendar]:
    """Calendars of every type for an account the demo tables do not describe."""
    n = len(acct.users)
    last = n - 1
    return [
        (
            f"{acct.users[0]['name']} – Meetings",
            "personal",
            (0,),
            _days(WEEKDAYS, ("09:00", "12:00"), ("13:00", "17:00")),
            {"buffer_after": 10, "minimum_notice": 120},
            [("Intro Call", 30, "intro-call")],
        ),
        (
            "Sales Team",
            "round_robin",
            tuple(range(n)),
            _days(WEEKDAYS, ("09:00", "17:00")),
            {"minimum_notice": 60},
            [("Discovery Call", 45, "discovery-call")],
        ),
        (
            "Leadership Review",
            "collective",
            tuple(range(min(2, n))),
            _days(("tuesday",), ("14:00", "16:00")),
            {"minimum_notice": 1440},
            [("Review Meeting", 60, "review-meeting")],
        ),
        (
            "Product Webinar",
            "class",
            (last,),
            {"thursday": [("17:00", "18:00")]},
            {"slot_interval": 60, "seats": 20},
            [("Webinar", 60, "webinar")],
        ),
    ]


def _weekday_on_or_after(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _weekday_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


CANCEL_REASONS = (
    "Customer requested",
    "Schedule conflict",
    "Feeling unwell",
    "Weather",
    "Booked by mistake",
    None,
)
NOTES = (
    "First visit",
    "Prefers morning reminders",
    "Bring previous X-rays",
    "Gate code at front desk",
    "Asked about financing options",
    "Referred by a friend",
)
# Share of candidate slots the demo fills, in the past and in the coming weeks.
PAST_FILL, FUTURE_FILL = 0.45, 0.28
PAST_DAYS, FUTURE_DAYS = 30, 21


def seed_calendars(store: Store, ctx: SeedContext) -> None:
    """Calendars and types in every mode; appointments (past 30 days, next 3 weeks) in the demo."""
    for acct in ctx.accounts:
        rng = ctx.rng("calendars", acct.id)
        tz_rules = Rules(acct.timezone, {})
        today = local_date(ctx.now_ms, tz_rules.tz)
        closed = _weekday_on_or_after(today + timedelta(days=9)).isoformat()
        short = _weekday_on_or_after(today + timedelta(days=4)).isoformat()
        holiday = _weekday_on_or_before(today - timedelta(days=10)).isoformat()
        made: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        for position, (name, kind, member_idx, weekly, settings, types) in enumerate(
            DEMO_CALENDARS.get(acct.id) or _generic_calendars(acct)
        ):
            overrides: list[tuple[str, list[tuple[str, str]], str]] = [
                (holiday, [], "Closed – public holiday"),
                (closed, [], "Office closed – staff training day"),
            ]
            if position == 0:
                overrides.append(
                    (short, [("10:00", "14:00")], "Short day – team meeting in the afternoon")
                )
            calendar = make_calendar(
                calendar_id=ctx.make_id(rng, "cal"),
                name=name,
                kind=kind,
                timezone=acct.timezone,
                members=[acct.users[i]["id"] for i in member_idx],
                weekly=weekly,
                overrides=overrides,
                **settings,
            )
            insert_calendar(store, acct.id, calendar, position)
            type_docs = [
                insert_type(
                    store,
                    acct.id,
                    calendar["id"],
                    type_id=ctx.make_id(rng, "apt_type"),
                    name=t_name,
                    duration=minutes,
                    slug=slug,
                    position=i,
                )
                for i, (t_name, minutes, slug) in enumerate(types)
            ]
            made.append((calendar, type_docs))
        if ctx.demo:
            _seed_appointments(store, ctx, acct, made, today)


def _seed_appointments(
    store: Store,
    ctx: SeedContext,
    acct: AccountSeed,
    made: list[tuple[dict[str, Any], list[dict[str, Any]]]],
    today: date,
) -> None:
    """Lay out consistent appointments: on the schedule, no double bookings, existing contacts."""
    people = store.all(
        "SELECT id, json_extract(doc, '$.firstName') AS first, "
        "json_extract(doc, '$.lastName') AS last "
        "FROM contacts WHERE sub_account_id = ? AND deleted_ms IS NULL ORDER BY id",
        (acct.id,),
    )
    if not people:
        return
    rng = ctx.rng("appointments", acct.id)
    now = ctx.now_ms
    # Busy time per (member, local date), so each check only looks at neighbouring days.
    busy: dict[tuple[str, date], list[Interval]] = {}
    rows: list[tuple[Any, ...]] = []

    def near(member: str, day: date) -> list[Interval]:
        return [i for d in (-1, 0, 1) for i in busy.get((member, day + timedelta(days=d)), ())]

    # The calendars needing several people at once go first, so they get realistic bookings
    # before the personal and round robin calendars fill those people's days.
    priority = {"collective": 0, "class": 1, "personal": 2, "round_robin": 3}
    for calendar, type_docs in sorted(made, key=lambda m: priority[m[0]["type"]]):
        if not calendar["isActive"]:
            continue
        rules = rules_of(calendar)
        shortest = min(t["duration"] for t in type_docs)
        for offset in range(-PAST_DAYS, FUTURE_DAYS + 1):
            day = today + timedelta(days=offset)
            fits = {t["id"]: set(schedule_slots(rules, day, t["duration"])) for t in type_docs}
            for start, _ in schedule_slots(rules, day, shortest):
                past = start + shortest * MINUTE_MS <= now
                fill = PAST_FILL if past else FUTURE_FILL * (1.3 if offset < 7 else 0.8)
                if calendar["type"] == "class":
                    _seed_class_session(
                        ctx,
                        rng,
                        acct,
                        calendar,
                        rules,
                        type_docs[0],
                        people,
                        start,
                        past,
                        busy,
                        near(rules.members[0], day),
                        rows,
                        now,
                    )
                    continue
                while rng.random() < fill:
                    appointment_type = rng.choice(type_docs)
                    end = start + appointment_type["duration"] * MINUTE_MS
                    if (start, end) not in fits[appointment_type["id"]]:
                        break
                    member_busy = {m: near(m, day) for m in rules.members}
                    slot = evaluate(rules, start, end, member_busy)
                    if slot is None:
                        break
                    if calendar["type"] == "collective":
                        assigned, attendees = rules.members[0], list(rules.members)
                    else:
                        # Spread the demo load like round robin would, without querying the store.
                        assigned = rng.choice(slot.free_members)
                        attendees = [assigned]
                    status = _demo_status(rng, past)
                    rows.append(
                        _demo_row(
                            ctx,
                            rng,
                            acct,
                            calendar,
                            appointment_type,
                            rng.choice(people),
                            start,
                            end,
                            status,
                            assigned,
                            attendees,
                            now,
                        )
                    )
                    if status != "cancelled":  # completed and no-show time was taken too
                        for member in attendees:
                            busy.setdefault((member, day), []).append((start, end))
                    if calendar["type"] != "round_robin":
                        break
    store.many(
        "INSERT INTO appointments (id, sub_account_id, calendar_id, type_id, contact_id, status, "
        "start_ms, end_ms, assigned_to, busy_members, created_ms, updated_ms, doc) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def _seed_class_session(
    ctx: SeedContext,
    rng: random.Random,
    acct: AccountSeed,
    calendar: dict[str, Any],
    rules: Rules,
    appointment_type: dict[str, Any],
    people: list[Any],
    start: int,
    past: bool,
    busy: dict[tuple[str, date], list[Interval]],
    host_busy: list[Interval],
    rows: list[tuple[Any, ...]],
    now: int,
) -> None:
    """One class session: a random share of its seats, from a third to all of them."""
    if rng.random() < 0.15:
        return  # a session nobody signed up for
    end = start + appointment_type["duration"] * MINUTE_MS
    host = rules.members[0]
    if evaluate(rules, start, end, {host: host_busy}) is None:
        return
    seats = calendar["seats"]
    held = False
    for contact in rng.sample(people, min(len(people), rng.randint(seats // 3, seats))):
        status = _demo_status(rng, past)
        rows.append(
            _demo_row(
                ctx,
                rng,
                acct,
                calendar,
                appointment_type,
                contact,
                start,
                end,
                status,
                host,
                [host],
                now,
            )
        )
        held = held or status != "cancelled"
    if held:
        day = local_date(start, rules.tz)
        busy.setdefault((host, day), []).append((start, end))


def _demo_status(rng: random.Random, past: bool) -> str:
    if past:
        return rng.choices(("completed", "no_show", "cancelled"), weights=(78, 10, 12))[0]
    return rng.choices(("scheduled", "confirmed", "cancelled"), weights=(60, 30, 10))[0]


def _demo_row(
    ctx: SeedContext,
    rng: random.Random,
    acct: AccountSeed,
    calendar: dict[str, Any],
    appointment_type: dict[str, Any],
    contact: Any,
    start: int,
    end: int,
    status: str,
    assigned: str,
    attendees: list[str],
    now: int,
) -> tuple[Any, ...]:
    created = min(
        start - rng.randint(1, 14 * 24) * 3_600_000, now - rng.randint(10, 600) * MINUTE_MS
    )
    updated = created
    doc: dict[str, Any] = {
        "title": f"{appointment_type['name']} – {contact['first']} {contact['last']}",
        "notes": rng.choice(NOTES) if rng.random() < 0.25 else None,
        "attendees": attendees,
    }
    if calendar["type"] == "class":
        doc["seatCapacity"] = calendar["seats"]
    if status == "cancelled":
        updated = min(
            now, created + rng.randint(1, 72) * 3_600_000, max(created, start - 3_600_000)
        )
        doc["cancellationReason"] = rng.choice(CANCEL_REASONS)
        doc["cancelledAt"] = clock.iso(updated)
    elif status in ("completed", "no_show", "confirmed"):
        updated = min(now, max(created, end if status != "confirmed" else start - 86_400_000))
    busy = attendees if status in ACTIVE else []  # only active bookings hold time from now on
    return (
        ctx.make_id(rng, "appt"),
        acct.id,
        calendar["id"],
        appointment_type["id"],
        contact["id"],
        status,
        start,
        end,
        assigned,
        dumps(busy),
        created,
        updated,
        dumps(doc),
    )


def register(registry: Registry) -> None:
    """Add this module's routes, tables, seeders and hooks to one server."""
    router = registry.router
    registry.schema(SCHEMA)
    registry.hooks.contact_deleted.append(cancel_for_deleted_contact)
    read, write = {"scope": "calendars:read"}, {"scope": "calendars:write"}
    router.add("GET", "/api/v1/calendars", list_calendars, **read)
    router.add(
        "GET",
        "/api/v1/calendars/types",
        list_types,
        **read,
        query=(Param.text("calendarId", max_len=200),),
    )
    router.add(
        "GET",
        "/api/v1/calendars/availability",
        availability,
        **read,
        query=(
            Param.text("appointmentTypeId", required=True, max_len=200),
            Param.text("date", max_len=20),
        ),
    )
    router.add(
        "GET",
        "/api/v1/calendars/appointments",
        list_appointments,
        **read,
        query=(
            *page_query(LIST_LIMITS["appointments"][1]),
            Param.text("calendarId", max_len=200),
            Param.integer("startDate", minimum=0, maximum=MAX_MS),
            Param.integer("endDate", minimum=0, maximum=MAX_MS),
            Param.text("status", choices=APPOINTMENT_STATUSES),
            Param.text("contactId", max_len=200),
        ),
    )
    router.add(
        "POST",
        "/api/v1/calendars/appointments",
        book_appointment,
        **write,
        body=(
            Param.text("appointmentTypeId", required=True, max_len=200),
            Param.integer("startTime", required=True, minimum=0, maximum=MAX_MS),
            Param.integer("endTime", required=True, minimum=0, maximum=MAX_MS),
            Param.text("firstName", required=True, max_len=contacts.NAME_MAX),
            Param.text("lastName", required=True, max_len=contacts.NAME_MAX),
            Param.text("email", required=True, max_len=320),
            Param.text("phone", max_len=32),
            Param.text("notes", max_len=5000),
        ),
    )
    router.add(
        "DELETE",
        "/api/v1/calendars/appointments/{id}",
        cancel_appointment,
        **write,
        query=(Param.text("reason", max_len=500),),
    )
    registry.seeder(40, seed_calendars)
