"""What the calendar views draw and say: filtering, class sessions as one block, the month's
cells, and the words (statuses, zones, times, the read-back line)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from app.services.ports.calendar import AppointmentRow
from app.ui.calendar.entries import entries_of, is_all_day, month_cells, visible_rows
from app.ui.calendar.layout import month_days
from app.ui.calendar.texts import (
    duration_words,
    kind_words,
    period_title,
    read_back,
    status_words,
    time_range,
    zone_city,
    zone_names,
)

NEW_YORK = ZoneInfo("America/New_York")


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def row(
    key: str,
    start: str,
    end: str,
    *,
    calendar_id: str = "cal_a",
    status: str = "scheduled",
    name: str | None = None,
    type_id: str | None = "type_a",
) -> AppointmentRow:
    return AppointmentRow(
        id=key,
        calendar_id=calendar_id,
        type_id=type_id,
        start_ms=ms(start),
        end_ms=ms(end),
        status=status,
        contact_name=name,
    )


def test_hidden_calendars_and_cancelled_appointments_are_left_out() -> None:
    rows = [
        row("a", "2026-06-15T14:00", "2026-06-15T14:30"),
        row("b", "2026-06-15T14:00", "2026-06-15T14:30", calendar_id="cal_b"),
        row("c", "2026-06-15T15:00", "2026-06-15T15:30", status="cancelled"),
        row("d", "2026-06-15T16:00", "2026-06-15T16:30", status="no_show"),
    ]
    assert [r.id for r in visible_rows(rows, {"cal_b"}, False)] == ["a", "d"]
    assert [r.id for r in visible_rows(rows, (), True)] == ["a", "b", "c", "d"]


def test_a_class_session_is_one_block_and_other_appointments_stay_alone() -> None:
    rows = [
        row("s2", "2026-06-17T20:00", "2026-06-17T21:00", calendar_id="class", name="Zoe"),
        row("s1", "2026-06-17T20:00", "2026-06-17T21:00", calendar_id="class", name="Amy"),
        row("s3", "2026-06-17T20:00", "2026-06-17T21:00", calendar_id="class", status="cancelled"),
        row("p1", "2026-06-17T20:00", "2026-06-17T21:00"),
        row("lone", "2026-06-18T20:00", "2026-06-18T21:00", calendar_id="class"),
    ]
    entries = entries_of(rows, {"class"})
    by_ids = {e.ids: e for e in entries}
    session = by_ids[("s1", "s2")]
    assert session.is_session and session.key.startswith("session:")
    assert session.primary.id == "s1", "attendees by name"
    assert by_ids[("s3",)].status == "cancelled", "a cancelled attendee is drawn on its own"
    assert not by_ids[("p1",)].is_session
    assert by_ids[("lone",)].key == "lone"
    mixed = entries_of(
        [
            row(
                "x1",
                "2026-06-17T20:00",
                "2026-06-17T21:00",
                calendar_id="class",
                status="confirmed",
            ),
            row("x2", "2026-06-17T20:00", "2026-06-17T21:00", calendar_id="class"),
        ],
        {"class"},
    )
    assert mixed[0].status == "scheduled"


def test_month_cells_list_each_days_entries_all_day_first() -> None:
    days = month_days(date(2026, 6, 10))
    rows = [
        row("late", "2026-06-10T22:00", "2026-06-10T23:00"),
        row("early", "2026-06-10T13:00", "2026-06-10T14:00"),
        row("allday", "2026-06-10T04:00", "2026-06-11T04:00"),
        row("span", "2026-06-11T14:00", "2026-06-13T14:00"),
    ]
    cells = month_cells(entries_of(rows, ()), days, NEW_YORK)
    at = {day: [e.key for e in cell] for day, cell in zip(days, cells, strict=True)}
    assert at[date(2026, 6, 10)] == ["allday", "early", "late"]
    assert at[date(2026, 6, 11)] == ["span"]
    assert at[date(2026, 6, 12)] == ["span"] and at[date(2026, 6, 13)] == ["span"]
    assert is_all_day(entries_of([rows[2]], ())[0], NEW_YORK)
    assert not is_all_day(entries_of([rows[0]], ())[0], NEW_YORK)


def test_statuses_and_kinds_are_plain_words() -> None:
    assert status_words("no_show") == "No-show"
    assert status_words("confirmed") == "Confirmed"
    assert status_words("rescheduled_twice") == "Rescheduled twice"
    assert kind_words("round_robin") == "Round robin"
    assert kind_words(None) == "Calendar"


def test_zones_are_named_by_their_city() -> None:
    assert zone_city("America/New_York") == "New York"
    assert zone_city("America/Argentina/Buenos_Aires") == "Buenos Aires"
    assert zone_city("Etc/UTC") == "UTC"
    names = zone_names()
    assert names[0] == "UTC" and "Europe/Berlin" in names and "US/Eastern" not in names


def test_the_read_back_line_names_both_zones() -> None:
    # Tuesday 14 April 2026, 10:00 in New York (EDT) is 16:00 in Berlin (CEST).
    appointment = row("a", "2026-04-14T14:00", "2026-04-14T14:30")
    assert (
        read_back(appointment, "America/New_York", "Europe/Berlin")
        == "Tue 14 Apr, 10:00–10:30 in New York = 16:00–16:30 in Berlin"
    )
    assert read_back(appointment, "America/New_York", None) == "Tue 14 Apr, 10:00–10:30 in New York"
    assert read_back(appointment, "America/New_York", "America/New_York").endswith("New York")
    # Late in New York is the next morning in Berlin: that day is named.
    late = row("b", "2026-04-15T02:00", "2026-04-15T02:30")
    assert (
        read_back(late, "America/New_York", "Europe/Berlin")
        == "Tue 14 Apr, 22:00–22:30 in New York = Wed 15 Apr, 04:00–04:30 in Berlin"
    )


def test_times_and_periods_read_naturally() -> None:
    assert time_range(ms("2026-06-15T14:00"), ms("2026-06-15T15:30"), NEW_YORK) == "10:00–11:30"
    assert time_range(ms("2026-06-16T03:00"), ms("2026-06-16T04:00"), NEW_YORK) == "23:00–00:00"
    assert time_range(ms("2026-06-16T03:00"), ms("2026-06-16T04:00"), NEW_YORK, with_day=True) == (
        "Mon 15 Jun, 23:00–00:00"
    )
    assert duration_words(0, 90 * 60_000) == "1 h 30 min"
    assert duration_words(0, 15 * 60_000) == "15 min"
    week = [date(2026, 11, 30 + i) if i < 1 else date(2026, 12, i) for i in range(7)]
    assert period_title("week", week) == "30 Nov – 6 Dec 2026"
    assert period_title("day", [date(2026, 4, 14)]) == "Tuesday 14 April 2026"
    assert period_title("month", month_days(date(2026, 2, 14))) == "February 2026"
