"""Typed rows of one sub-account's cached calendars, appointment types and appointments.

- ``CalendarRow``: a calendar with its zone and, when the server sends them,
  its booking rules (``BookingRules``: the sandbox adds them to the documented
  ``id, name, type, timezone`` — docs/api/seedly-crm.md §6 and §12 — so a booking
  screen can say why a day has no slots);
- ``AppointmentTypeRow``: a bookable type (duration in minutes);
- ``AppointmentRow``: an appointment with its times in epoch ms (UTC) and the
  embedded contact summary flattened.

``CalendarReader`` reads them from the cache (safe on worker threads, raising
only ``StorageError`` subclasses). The Calendar tab reaches all of this through
``app.services.ports.calendar``, which re-exports every name.

Times are epoch milliseconds everywhere below the UI; the UI turns them into
wall-clock times of a zone with ``zoneinfo`` (never fixed offsets, so DST days
are right).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from app.services.ports.reader import SubAccountReader
from app.storage import ConversationFilters, Partition, to_ms

__all__ = [
    "ACTIVE_STATUSES",
    "CALENDAR_KIND_LABELS",
    "STATUS_LABELS",
    "AppointmentRow",
    "AppointmentTypeRow",
    "BookingRules",
    "CalendarReader",
    "CalendarRow",
    "DateOverride",
    "appointment_row",
    "calendar_row",
    "kind_label",
    "status_label",
    "type_row",
]

ACTIVE_STATUSES = frozenset({"scheduled", "confirmed"})
"""Statuses of an appointment that still holds its slot."""

STATUS_LABELS = {
    "scheduled": "Scheduled",
    "confirmed": "Confirmed",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "no_show": "No-show",
}
"""How appointment statuses are written for people (never the wire value)."""

CALENDAR_KIND_LABELS = {
    "personal": "Personal",
    "round_robin": "Round robin",
    "collective": "Collective",
    "class": "Class",
}
"""How calendar types are written for people."""


def status_label(status: str) -> str:
    """A status in plain words ("No-show"); an unknown one made readable."""
    return STATUS_LABELS.get(status, status.replace("_", " ").capitalize())


def kind_label(kind: str | None) -> str:
    """A calendar type in plain words ("Round robin"); an unknown one made readable."""
    if not kind:
        return "Calendar"
    return CALENDAR_KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def _text(value: object) -> str | None:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


@dataclass(frozen=True, slots=True)
class DateOverride:
    """One day's replacement hours (none: closed that day) and the reason given."""

    hours: tuple[tuple[str, str], ...]
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BookingRules:
    """A calendar's booking rules as the server describes them (all optional).

    ``weekly_schedule`` maps a lower-case English day name (``"monday"``) to its
    opening windows as ``("HH:MM", "HH:MM")`` pairs in the calendar's zone;
    ``date_overrides`` maps ``YYYY-MM-DD`` to that day's replacement hours."""

    weekly_schedule: Mapping[str, tuple[tuple[str, str], ...]] | None = None
    date_overrides: Mapping[str, DateOverride] | None = None
    slot_interval: int | None = None
    buffer_before: int | None = None
    buffer_after: int | None = None
    minimum_notice_minutes: int | None = None
    maximum_advance_days: int | None = None
    seats: int | None = None


@dataclass(frozen=True, slots=True)
class CalendarRow:
    """A calendar of the sub-account."""

    id: str
    name: str
    kind: str | None
    """``personal``, ``round_robin``, ``collective``, ``class`` (or an unknown value)."""
    timezone: str | None
    """IANA zone name, as the server sent it (may be missing or unknown)."""
    team_member_ids: tuple[str, ...] = ()
    rules: BookingRules | None = None


@dataclass(frozen=True, slots=True)
class AppointmentTypeRow:
    """A bookable appointment type."""

    id: str
    calendar_id: str | None
    name: str
    duration_minutes: int | None
    slug: str | None = None


@dataclass(frozen=True, slots=True)
class AppointmentRow:
    """An appointment; times are epoch ms (UTC)."""

    id: str
    calendar_id: str | None
    type_id: str | None
    start_ms: int
    end_ms: int
    status: str
    title: str | None = None
    contact_id: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    assigned_to: str | None = None
    notes: str | None = None
    created_ms: int | None = None
    cancelled_ms: int | None = None
    cancellation_reason: str | None = None

    @property
    def active(self) -> bool:
        """Whether it still holds its slot (scheduled or confirmed)."""
        return self.status in ACTIVE_STATUSES


def _windows(value: object) -> tuple[tuple[str, str], ...] | None:
    if not isinstance(value, list):
        return None
    out: list[tuple[str, str]] = []
    for item in value:
        if isinstance(item, Mapping):
            start, end = _text(item.get("start")), _text(item.get("end"))
        elif isinstance(item, list | tuple) and len(item) == 2:
            start, end = _text(item[0]), _text(item[1])
        else:
            continue
        if start and end:
            out.append((start, end))
    return tuple(out)


def _schedule(value: object) -> dict[str, tuple[tuple[str, str], ...]] | None:
    if not isinstance(value, Mapping):
        return None
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for key, windows in value.items():
        parsed = _windows(windows)
        if isinstance(key, str) and parsed is not None:
            out[key.strip().lower()] = parsed
    return out


def _overrides(value: object) -> dict[str, DateOverride] | None:
    if not isinstance(value, list):
        return None
    out: dict[str, DateOverride] = {}
    for item in value:
        if not isinstance(item, Mapping):
            continue
        day = _text(item.get("date"))
        if day:
            out[day] = DateOverride(_windows(item.get("hours")) or (), _text(item.get("reason")))
    return out


_RULE_KEYS = (
    "weeklySchedule",
    "dateOverrides",
    "slotInterval",
    "bufferBefore",
    "bufferAfter",
    "minimumNoticeMinutes",
    "maximumAdvanceDays",
    "seats",
)


def calendar_row(doc: Mapping[str, Any]) -> CalendarRow:
    """The row of a cached calendar document (pure Python: safe on any thread)."""
    members = doc.get("teamMemberIds")
    rules = None
    if any(key in doc for key in _RULE_KEYS):
        rules = BookingRules(
            weekly_schedule=_schedule(doc.get("weeklySchedule")),
            date_overrides=_overrides(doc.get("dateOverrides")),
            slot_interval=_int(doc.get("slotInterval")),
            buffer_before=_int(doc.get("bufferBefore")),
            buffer_after=_int(doc.get("bufferAfter")),
            minimum_notice_minutes=_int(doc.get("minimumNoticeMinutes")),
            maximum_advance_days=_int(doc.get("maximumAdvanceDays")),
            seats=_int(doc.get("seats")),
        )
    return CalendarRow(
        id=str(doc["id"]),
        name=_text(doc.get("name")) or str(doc["id"]),
        kind=_text(doc.get("type")),
        timezone=_text(doc.get("timezone")),
        team_member_ids=tuple(m for m in members if isinstance(m, str) and m)
        if isinstance(members, list)
        else (),
        rules=rules,
    )


def type_row(doc: Mapping[str, Any]) -> AppointmentTypeRow:
    """The row of a cached appointment-type document."""
    duration = _int(doc.get("duration"))
    return AppointmentTypeRow(
        id=str(doc["id"]),
        calendar_id=_text(doc.get("calendarId")),
        name=_text(doc.get("name")) or str(doc["id"]),
        duration_minutes=duration if duration is not None and duration > 0 else None,
        slug=_text(doc.get("slug")),
    )


def _contact_name(contact: Mapping[str, Any]) -> str | None:
    name = _text(contact.get("name"))
    if name:
        return name
    parts = [_text(contact.get("firstName")), _text(contact.get("lastName"))]
    return " ".join(p for p in parts if p) or None


def appointment_row(doc: Mapping[str, Any]) -> AppointmentRow | None:
    """The row of a cached appointment document; None when its times are unreadable."""
    start_ms = to_ms(doc.get("startTime"))
    end_ms = to_ms(doc.get("endTime"))
    if start_ms is None:
        return None
    if end_ms is None or end_ms < start_ms:
        end_ms = start_ms
    contact = doc.get("contact")
    contact = contact if isinstance(contact, Mapping) else {}
    return AppointmentRow(
        id=str(doc["id"]),
        calendar_id=_text(doc.get("calendarId")),
        type_id=_text(doc.get("appointmentTypeId")),
        start_ms=start_ms,
        end_ms=end_ms,
        status=_text(doc.get("status")) or "scheduled",
        title=_text(doc.get("title")),
        contact_id=_text(doc.get("contactId")) or _text(contact.get("id")),
        contact_name=_contact_name(contact),
        contact_email=_text(contact.get("email")),
        contact_phone=_text(contact.get("phone")),
        assigned_to=_text(doc.get("assignedTo")),
        notes=_text(doc.get("notes")),
        created_ms=to_ms(doc.get("createdAt")),
        cancelled_ms=to_ms(doc.get("cancelledAt")),
        cancellation_reason=_text(doc.get("cancellationReason")),
    )


def _rows(docs: list[dict[str, Any]]) -> list[AppointmentRow]:
    return [row for row in map(appointment_row, docs) if row is not None]


@dataclass(frozen=True)
class BookingContact:
    """The person a booking is for, as the form is prefilled (a contact of the CRM)."""

    contact_id: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None = None


class CalendarReader(SubAccountReader):
    """Reads one sub-account's cached calendars and appointments (any thread)."""

    def __init__(self, partition: Partition) -> None:
        super().__init__(partition)

    def calendars(self) -> list[CalendarRow]:
        """Every cached calendar, by name."""
        return [calendar_row(d) for d in self._partition.calendars.calendars()]

    def calendar(self, calendar_id: str) -> CalendarRow | None:
        """One cached calendar, or None."""
        doc = self._partition.calendars.get_calendar(calendar_id)
        return None if doc is None else calendar_row(doc)

    def types(self, calendar_id: str | None = None) -> list[AppointmentTypeRow]:
        """Cached appointment types by name, optionally of one calendar."""
        return [type_row(d) for d in self._partition.calendars.types(calendar_id)]

    def appointments_between(
        self,
        start_ms: int,
        end_ms: int,
        calendar_ids: Collection[str] | None = None,
        *,
        include_cancelled: bool = False,
    ) -> list[AppointmentRow]:
        """Appointments overlapping ``[start_ms, end_ms)`` by start time; of the given
        calendars only (None: all); cancelled ones only when asked for."""
        rows = _rows(self._partition.calendars.appointments_between(start_ms, end_ms))
        wanted = None if calendar_ids is None else frozenset(calendar_ids)
        return [
            row
            for row in rows
            if (wanted is None or row.calendar_id in wanted)
            and (include_cancelled or row.status != "cancelled")
        ]

    def appointment(self, appointment_id: str) -> AppointmentRow | None:
        """One cached appointment, or None."""
        doc = self._partition.calendars.get_appointment(appointment_id)
        return None if doc is None else appointment_row(doc)

    def appointments_for_contact(self, contact_id: str) -> list[AppointmentRow]:
        """Every cached appointment of a contact, by start time."""
        return _rows(self._partition.calendars.appointments_for_contact(contact_id))

    def booking_contact(self, contact_id: str) -> BookingContact | None:
        """The cached contact as a booking form is prefilled with it, or None. Before the
        contacts are synced, the summary embedded in one of its conversations stands in."""
        doc = self._partition.contacts.get(contact_id)
        if doc is None:
            conversations = self._partition.conversations.list_conversations(
                "all", ConversationFilters(contact_id=contact_id, include_archived=True), limit=1
            )
            summary = conversations[0].get("contact") if conversations else None
            if not isinstance(summary, Mapping):
                return None
            first, last = _text(summary.get("firstName")), _text(summary.get("lastName"))
            if first is None and last is None:
                name = _text(summary.get("name")) or ""
                first, _, rest = name.partition(" ")
                first, last = first or None, rest.strip() or None
            return BookingContact(
                contact_id=contact_id,
                first_name=first,
                last_name=last,
                email=_text(summary.get("email")),
                phone=_text(summary.get("phone")),
            )
        return BookingContact(
            contact_id=contact_id,
            first_name=_text(doc.get("firstName")),
            last_name=_text(doc.get("lastName")),
            email=_text(doc.get("email")),
            phone=_text(doc.get("phone")),
        )

    def conversation_of_contact(self, contact_id: str) -> str | None:
        """The contact's most recently active cached conversation, or None."""
        docs = self._partition.conversations.list_conversations(
            "all", ConversationFilters(contact_id=contact_id, include_archived=True), limit=1
        )
        return str(docs[0]["id"]) if docs else None
