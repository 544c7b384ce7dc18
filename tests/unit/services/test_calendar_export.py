"""The .ics export, read back with icalendar: zones (VTIMEZONE, DST), UIDs, status, contact."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from app.services.calendar_export import ExportFailed, ics_of, uid_of, write_ics
from app.services.calendar_rows import AppointmentRow, CalendarRow

NY = "America/New_York"
CALENDARS = {"cal_1": CalendarRow("cal_1", "Checkups", "personal", NY)}


def ms(year: int, month: int, day: int, hour: int, minute: int = 0, zone: str = NY) -> int:
    when = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))
    return int(when.timestamp() * 1000)


def row(aid: str, start: int, minutes: int = 30, **extra: object) -> AppointmentRow:
    fields: dict[str, object] = {
        "id": aid,
        "calendar_id": "cal_1",
        "type_id": "type_1",
        "start_ms": start,
        "end_ms": start + minutes * 60_000,
        "status": "scheduled",
        "contact_name": "Jane Smith",
        "contact_email": "jane@example.com",
        "contact_phone": "+16175550101",
    }
    fields.update(extra)
    return AppointmentRow(**fields)  # type: ignore[arg-type]


# Saturday 7 March 2026 is still standard time in New York; Monday 9 March is summer time.
BEFORE = row("a_before", ms(2026, 3, 7, 10))
AFTER = row(
    "a_after",
    ms(2026, 3, 9, 10),
    title="Checkup – Jane Smith",
    notes="Bring X-rays",
    created_ms=ms(2026, 3, 1, 9),
)
CANCELLED = row(
    "a_cancelled",
    ms(2026, 3, 9, 11),
    status="cancelled",
    cancellation_reason="Weather",
    contact_email=None,
)


def events(data: bytes) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_times_are_wall_times_of_the_zone_across_a_dst_change() -> None:
    data = ics_of([BEFORE, AFTER], CALENDARS, NY)
    cal = icalendar.Calendar.from_ical(data)
    [tz] = cal.walk("VTIMEZONE")
    assert str(tz["TZID"]) == NY
    assert {c.name for c in tz.subcomponents} >= {"STANDARD", "DAYLIGHT"}
    found = events(data)
    before, after = found[uid_of("a_before")], found[uid_of("a_after")]
    for event, source in ((before, BEFORE), (after, AFTER)):
        start = event.decoded("DTSTART")
        end = event.decoded("DTEND")
        assert event["DTSTART"].params["TZID"] == NY
        assert (start.hour, start.minute) == (10, 0)  # the same wall time both days…
        assert int(start.timestamp() * 1000) == source.start_ms  # …at the right instants
        assert int(end.timestamp() * 1000) == source.end_ms
    # An hour less between them than the days alone say: the clocks went forward.
    gap = after.decoded("DTSTART").timestamp() - before.decoded("DTSTART").timestamp()
    assert gap == 2 * 86400 - 3600
    assert b"TZID=America/New_York:20260307T100000" in data
    assert b"TZID=America/New_York:20260309T100000" in data


def test_another_zone_shows_the_same_instants_in_its_own_wall_time() -> None:
    data = ics_of([BEFORE, AFTER], CALENDARS, "Europe/Berlin")
    found = events(data)
    # Berlin is 6 hours ahead of New York on 7 March and 5 on 9 March (its own change
    # comes on 29 March).
    before = found[uid_of("a_before")].decoded("DTSTART")
    after = found[uid_of("a_after")].decoded("DTSTART")
    assert (before.hour, after.hour) == (16, 15)
    assert int(before.timestamp() * 1000) == BEFORE.start_ms
    assert int(after.timestamp() * 1000) == AFTER.start_ms
    [tz] = icalendar.Calendar.from_ical(data).walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Europe/Berlin"


def test_uid_is_stable_and_status_and_contact_are_carried() -> None:
    first = events(ics_of([BEFORE, AFTER, CANCELLED], CALENDARS, NY))
    again = events(ics_of([AFTER], CALENDARS, NY, now=datetime(2027, 1, 1, tzinfo=UTC)))
    assert set(again) <= set(first) and uid_of("a_after") in again
    after = first[uid_of("a_after")]
    assert str(after["SUMMARY"]) == "Checkup – Jane Smith"
    assert str(after["STATUS"]) == "TENTATIVE"
    description = str(after["DESCRIPTION"])
    assert "Calendar: Checkups" in description and "Status: Scheduled" in description
    assert "Contact: Jane Smith, jane@example.com, +16175550101" in description
    assert "Notes: Bring X-rays" in description
    attendee = after["ATTENDEE"]
    assert str(attendee) == "mailto:jane@example.com"
    assert attendee.params["CN"] == "Jane Smith"
    assert int(after.decoded("CREATED").timestamp() * 1000) == AFTER.created_ms
    # Without a title, the calendar and the person name the event.
    assert str(first[uid_of("a_before")]["SUMMARY"]) == "Checkups – Jane Smith"
    cancelled = first[uid_of("a_cancelled")]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert "Cancellation reason: Weather" in str(cancelled["DESCRIPTION"])
    assert "ATTENDEE" not in cancelled  # no email, no attendee


def test_statuses_are_plain_words_and_an_empty_export_is_a_calendar() -> None:
    no_show = row("a_ns", ms(2026, 3, 9, 12), status="no_show")
    event = events(ics_of([no_show], CALENDARS, NY))[uid_of("a_ns")]
    assert "Status: No-show" in str(event["DESCRIPTION"])
    empty = icalendar.Calendar.from_ical(ics_of([], CALENDARS, NY))
    assert str(empty["PRODID"]).startswith("-//Seedly Desk") and not empty.walk("VEVENT")


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ValueError):
        ics_of([BEFORE], CALENDARS, "Mars/Olympus")


def test_write_ics_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "week.ics"
    target.write_bytes(b"old")
    data = ics_of([BEFORE], CALENDARS, NY)
    write_ics(target, data)
    assert target.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["week.ics"]  # no temporary file left
    with pytest.raises(ExportFailed) as caught:
        write_ics(tmp_path / "missing" / "x.ics", data)
    assert "Nothing was saved" in str(caught.value)
    assert target.read_bytes() == data
