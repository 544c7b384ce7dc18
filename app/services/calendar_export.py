"""Appointments as an iCalendar (``.ics``) file, made with the ``icalendar`` package.

Each appointment is a ``VEVENT`` whose ``DTSTART``/``DTEND`` are wall times of the
chosen zone (``TZID``), with that zone's ``VTIMEZONE`` (its rules over the exported
range, so DST changes are right in any calendar program); ``UID`` is stable per
appointment (exporting again updates the same event instead of adding a copy),
``STATUS`` follows the appointment's (``CANCELLED`` for cancelled ones), and the
contact is the summary's name, the description's details and the attendee.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, vCalAddress

from app.services.calendar_rows import STATUS_LABELS, AppointmentRow, CalendarRow, status_label
from app.services.contact_import import ExportFailed, write_text_atomically

__all__ = ["ExportFailed", "STATUS_LABELS", "ics_of", "uid_of", "write_ics"]

PRODUCT_ID = "-//Seedly Desk//Calendar export//EN"
UID_DOMAIN = "seedly-desk"

# iCalendar knows three event states: a booking not confirmed yet is tentative.
_ICS_STATUS = {
    "scheduled": "TENTATIVE",
    "confirmed": "CONFIRMED",
    "completed": "CONFIRMED",
    "no_show": "CONFIRMED",
    "cancelled": "CANCELLED",
}


def uid_of(appointment_id: str) -> str:
    """The event's ``UID``: the same for an appointment in every export."""
    return f"{appointment_id}@{UID_DOMAIN}"


def _summary(row: AppointmentRow, calendar: CalendarRow | None) -> str:
    if row.title:
        return row.title
    who = row.contact_name or row.contact_email
    what = calendar.name if calendar is not None else "Appointment"
    return f"{what} – {who}" if who else what


def _description(row: AppointmentRow, calendar: CalendarRow | None) -> str:
    lines = []
    if calendar is not None:
        lines.append(f"Calendar: {calendar.name}")
    lines.append(f"Status: {status_label(row.status)}")
    contact = [v for v in (row.contact_name, row.contact_email, row.contact_phone) if v]
    if contact:
        lines.append(f"Contact: {', '.join(contact)}")
    if row.notes:
        lines.append(f"Notes: {row.notes}")
    if row.status == "cancelled" and row.cancellation_reason:
        lines.append(f"Cancellation reason: {row.cancellation_reason}")
    return "\n".join(lines)


def _at(ms: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=zone)


def ics_of(
    appointments: Sequence[AppointmentRow],
    calendars: Mapping[str, CalendarRow],
    zone: str,
    *,
    now: datetime | None = None,
) -> bytes:
    """The ``.ics`` bytes of ``appointments`` with times in ``zone`` (an IANA name;
    ``ValueError`` when unknown). ``calendars`` (by id) name each appointment's calendar;
    ``now`` is the export time (``DTSTAMP``)."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone: {zone}") from exc
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODUCT_ID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-timezone", zone)
    for row in appointments:
        calendar = calendars.get(row.calendar_id) if row.calendar_id else None
        event = Event()
        event.add("uid", uid_of(row.id))
        event.add("dtstamp", stamp)
        event.add("dtstart", _at(row.start_ms, tz))
        event.add("dtend", _at(max(row.end_ms, row.start_ms), tz))
        event.add("summary", _summary(row, calendar))
        event.add("description", _description(row, calendar))
        event.add("status", _ICS_STATUS.get(row.status, "CONFIRMED"))
        if row.created_ms is not None:
            event.add("created", datetime.fromtimestamp(row.created_ms / 1000, tz=UTC))
        if calendar is not None:
            event.add("categories", [calendar.name])
        if row.contact_email:
            attendee = vCalAddress(f"mailto:{row.contact_email}")
            if row.contact_name:
                attendee.params["cn"] = row.contact_name
            attendee.params["role"] = "REQ-PARTICIPANT"
            event.add("attendee", attendee, encode=False)
        cal.add_component(event)
    if appointments:
        first = min(r.start_ms for r in appointments)
        last = max(r.end_ms for r in appointments)
        # The zone's rules over the exported range only (a day either side): a short file
        # that still carries every DST change the events need.
        cal.add_missing_timezones(
            (_at(first, tz) - timedelta(days=1)).date(),
            (_at(last, tz) + timedelta(days=1)).date(),
        )
    return bytes(cal.to_ical())


def write_ics(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``.ics`` bytes so the file is either complete or untouched (a temporary file
    in the same folder replaces it in one rename). Raises ``ExportFailed`` with a
    sentence for the user."""
    try:
        write_text_atomically(path, [data.decode("utf-8")])
    except OSError as exc:
        name = os.path.basename(os.fspath(path))
        reason = exc.strerror or str(exc)
        raise ExportFailed(
            f"Could not write “{name}”: {reason}. Nothing was saved. "
            "Choose another folder or file name."
        ) from exc
