"""The booking service's rules without a server: why a day has no slots, the read-back line,
the form's checks, report wording, the slot cache and the progressive week."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.core.errors import NetworkError, OutcomeUnknown, ValidationFailed
from app.core.models import Appointment, AvailabilitySlot, parse
from app.services.booking import (
    BookingNotConfirmed,
    BookingRefused,
    BookingRequest,
    BookingService,
    CancelOutcome,
    CancelReport,
    CancelState,
    DaySlots,
    NeedsConnection,
    RescheduleReport,
    SlotTaken,
    booking_errors,
    known_reason,
    no_slot_reason,
    read_back_line,
    span_text,
    zone_place,
)
from app.services.bus import AppointmentsChanged, EventBus, Recorder, ScopeKey
from app.services.calendar_rows import AppointmentRow, calendar_row
from app.storage import Database, Partition

NY = "America/New_York"
SCOPE = ScopeKey("https://crm.example.com", "sub_a")

CALENDAR: dict[str, Any] = {
    "id": "cal_1",
    "name": "Checkups",
    "type": "personal",
    "timezone": NY,
    "weeklySchedule": {
        "monday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
        "tuesday": [{"start": "09:00", "end": "17:00"}],
        "wednesday": [],
        "thursday": [{"start": "09:00", "end": "17:00"}],
        "friday": [{"start": "09:00", "end": "17:00"}],
        "saturday": [],
        "sunday": [],
    },
    "dateOverrides": [
        {"date": "2026-04-10", "hours": [], "reason": "Closed – public holiday"},
        {"date": "2026-04-16", "hours": [], "reason": None},
        {"date": "2026-04-14", "hours": [{"start": "10:00", "end": "14:00"}], "reason": "Short"},
    ],
    "slotInterval": 30,
    "bufferAfter": 10,
    "minimumNoticeMinutes": 120,
    "maximumAdvanceDays": 30,
    "seats": None,
}


def ny_ms(day: date, hh: int, mm: int = 0) -> int:
    return int(
        datetime(day.year, day.month, day.day, hh, mm, tzinfo=ZoneInfo(NY)).timestamp() * 1000
    )


MONDAY = date(2026, 4, 6)
NOW = ny_ms(MONDAY, 8)  # Monday 6 April 2026, 08:00 in New York


# -- why a day has no slots ----------------------------------------------------------------------


def test_days_the_rules_close_say_why_without_asking_the_server() -> None:
    cal = calendar_row(CALENDAR)
    assert known_reason(cal, MONDAY - timedelta(days=1), NOW) == "That day is in the past."
    assert known_reason(cal, MONDAY + timedelta(days=31), NOW) == (
        "Bookings open up to 30 days ahead."
    )
    # The last bookable day is open (a Tuesday with 29 days ahead), the next is not.
    shorter = calendar_row({**CALENDAR, "maximumAdvanceDays": 29})
    assert known_reason(shorter, MONDAY + timedelta(days=29), NOW) is None
    assert known_reason(shorter, MONDAY + timedelta(days=30), NOW) == (
        "Bookings open up to 29 days ahead."
    )
    assert known_reason(cal, date(2026, 4, 10), NOW) == "Closed – public holiday."
    assert known_reason(cal, date(2026, 4, 16), NOW) == "Closed that day."
    assert known_reason(cal, date(2026, 4, 8), NOW) == "Closed on Wednesdays."
    assert known_reason(cal, date(2026, 4, 11), NOW) == "Closed on Saturdays."
    # A short day is open; a weekday with hours is open.
    assert known_reason(cal, date(2026, 4, 14), NOW) is None
    assert known_reason(cal, date(2026, 4, 7), NOW) is None


def test_an_empty_answer_is_explained_by_notice_or_bookings() -> None:
    cal = calendar_row(CALENDAR)
    # Today at 08:00: the day's last start (16:30) is after now + 2 hours: booked out.
    assert no_slot_reason(cal, 30, MONDAY, NOW) == "No free times left today."
    # At 15:00 every start left is within the two hours' notice.
    late = ny_ms(MONDAY, 15)
    assert no_slot_reason(cal, 30, MONDAY, late) == "Bookings need at least 2 hours' notice."
    assert no_slot_reason(cal, 30, date(2026, 4, 7), NOW) == "Fully booked."
    # Rules that close the day win over the rest.
    assert no_slot_reason(cal, 30, date(2026, 4, 8), NOW) == "Closed on Wednesdays."
    one_day = calendar_row({**CALENDAR, "minimumNoticeMinutes": 1440})
    assert no_slot_reason(one_day, 30, MONDAY, NOW) == "Bookings need at least 1 day's notice."
    assert no_slot_reason(one_day, 30, date(2026, 4, 7), NOW) == "Fully booked."
    workshop = calendar_row({**CALENDAR, "type": "class", "seats": 12})
    assert no_slot_reason(workshop, 30, date(2026, 4, 7), NOW) == "Every session is full."


def test_without_rules_nothing_is_guessed() -> None:
    bare = calendar_row({"id": "c", "name": "C", "type": "personal", "timezone": NY})
    assert known_reason(bare, MONDAY, NOW) is None
    assert no_slot_reason(bare, 30, MONDAY, NOW) is None
    assert no_slot_reason(None, 30, MONDAY, NOW) is None
    # A zone the machine does not know: date rules cannot be applied, weekday rules can.
    odd = calendar_row({**CALENDAR, "timezone": "Mars/Olympus"})
    assert known_reason(odd, date(2026, 4, 8), NOW) == "Closed on Wednesdays."
    assert no_slot_reason(odd, 30, date(2026, 4, 7), NOW) is None


# -- times in words ------------------------------------------------------------------------------


def test_read_back_line_names_both_zones() -> None:
    start = int(datetime(2026, 4, 14, 14, 0, tzinfo=ZoneInfo("UTC")).timestamp() * 1000)
    end = start + 30 * 60_000
    assert read_back_line(start, end, NY, "Europe/Berlin") == (
        "Tue 14 Apr, 10:00–10:30 in New York = 16:00–16:30 in Berlin"
    )
    assert read_back_line(start, end, NY, NY) == "Tue 14 Apr, 10:00–10:30 in New York"
    assert read_back_line(start, end, NY, None) == "Tue 14 Apr, 10:00–10:30 in New York"
    later = start + 2 * 3_600_000  # 12:00 in New York is already Wednesday in Tokyo
    assert read_back_line(later, later + 1_800_000, NY, "Asia/Tokyo") == (
        "Tue 14 Apr, 12:00–12:30 in New York = Wed 15 Apr, 01:00–01:30 in Tokyo"
    )


def test_read_back_line_follows_each_zones_dst() -> None:
    # 20 March 2026: New York is on summer time (from 8 March), Berlin not yet (29 March):
    # five hours apart instead of six.
    start = int(datetime(2026, 3, 20, 14, 0, tzinfo=ZoneInfo("UTC")).timestamp() * 1000)
    assert read_back_line(start, start + 3_600_000, NY, "Europe/Berlin") == (
        "Fri 20 Mar, 10:00–11:00 in New York = 15:00–16:00 in Berlin"
    )
    after = int(datetime(2026, 3, 30, 14, 0, tzinfo=ZoneInfo("UTC")).timestamp() * 1000)
    assert read_back_line(after, after + 3_600_000, NY, "Europe/Berlin") == (
        "Mon 30 Mar, 10:00–11:00 in New York = 16:00–17:00 in Berlin"
    )


def test_zone_places_and_spans() -> None:
    assert zone_place("America/Argentina/Buenos_Aires") == "Buenos Aires"
    assert zone_place("UTC") == "UTC"
    start = ny_ms(date(2026, 11, 1), 1, 30)  # the fall-back night: the first 01:30
    assert span_text(start, start + 3_600_000, NY) == "Sun 1 Nov, 01:30–01:30"


# -- the form's checks ---------------------------------------------------------------------------


def _request(**changes: Any) -> BookingRequest:
    fields: dict[str, Any] = {
        "type_id": "type_1",
        "start_ms": ny_ms(date(2026, 4, 7), 10),
        "end_ms": ny_ms(date(2026, 4, 7), 10, 30),
        "first_name": "Jane",
        "last_name": "Smith",
        "email": "jane@example.com",
    }
    fields.update(changes)
    return BookingRequest(**fields)


def test_booking_errors_use_the_apps_rules() -> None:
    assert booking_errors(_request()) == {}
    assert booking_errors(_request(phone="(617) 555-0101")) == {}
    assert booking_errors(_request(phone="  ")) == {}  # blank means no phone
    errors = booking_errors(_request(first_name=" ", email="not-an-email", phone="12"))
    assert set(errors) == {"firstName", "email", "phone"}
    assert errors["firstName"] == "First name is required."
    # A national number needs the default region: without one it cannot be read.
    assert booking_errors(_request(phone="617 555 0101"), default_region=None) != {}
    assert booking_errors(_request(phone="030 1234567"), default_region="DE") == {}


# -- report wording ------------------------------------------------------------------------------


def test_cancel_report_wording() -> None:
    done = CancelOutcome("a1", CancelState.CANCELLED)
    gone = CancelOutcome("a2", CancelState.ALREADY_GONE)
    failed = CancelOutcome("a3", CancelState.FAILED, "A completed appointment cannot be cancelled")
    not_sent = CancelOutcome("a4", CancelState.NOT_SENT, "Seedly could not be reached")
    assert CancelReport((done,)).summary() == "Cancelled 1 appointment."
    report = CancelReport((done, done, gone))
    assert (
        report.summary() == "Cancelled 2 appointments. 1 appointment was already gone from Seedly."
    )
    assert report.ok and report.cancelled == ("a1", "a1", "a2")
    mixed = CancelReport((done, failed, not_sent))
    assert not mixed.ok and mixed.failed == (failed, not_sent)
    assert mixed.summary() == (
        "Cancelled 1 appointment. 2 appointments could not be cancelled and still hold their "
        "time: A completed appointment cannot be cancelled. Seedly could not be reached."
    )
    assert CancelReport((failed,)).summary() == (
        "1 appointment could not be cancelled and still holds its time: "
        "A completed appointment cannot be cancelled."
    )


def _row(aid: str, start: int, minutes: int = 30) -> AppointmentRow:
    return AppointmentRow(aid, "cal_1", "type_1", start, start + minutes * 60_000, "scheduled")


def test_reschedule_report_says_what_happened_to_each() -> None:
    new = _row("new", ny_ms(date(2026, 4, 9), 10))
    old = _row("old", ny_ms(date(2026, 4, 7), 9))
    ok = RescheduleReport(new, CancelOutcome("old", CancelState.CANCELLED), old)
    assert ok.old_cancelled and not ok.two_bookings
    assert ok.lines(NY) == [
        "Booked the new time: Thu 9 Apr, 10:00–10:30 (New York).",
        "Cancelled the original time (Tue 7 Apr, 09:00–09:30).",
    ]
    gone = RescheduleReport(new, CancelOutcome("old", CancelState.ALREADY_GONE), None)
    assert gone.lines(NY)[1] == "The original appointment was already gone from Seedly."
    failed = RescheduleReport(
        new, CancelOutcome("old", CancelState.FAILED, "Seedly could not be reached"), old
    )
    assert failed.two_bookings
    assert failed.lines("Europe/Berlin") == [
        "Booked the new time: Thu 9 Apr, 16:00–16:30 (Berlin).",
        "Could not cancel the original time (Tue 7 Apr, 15:00–15:30): Seedly could not be reached.",
        "The contact now has two bookings. Cancel the original time (Tue 7 Apr, 15:00–15:30) "
        "in the calendar (appointment old); keep the new one.",
    ]


# -- the service against a scripted client -------------------------------------------------------


def _slot(start: int, minutes: int = 30) -> AvailabilitySlot:
    tz = ZoneInfo(NY)
    return parse(
        AvailabilitySlot,
        {
            "start": datetime.fromtimestamp(start / 1000, tz=tz).isoformat(),
            "end": datetime.fromtimestamp((start + minutes * 60_000) / 1000, tz=tz).isoformat(),
        },
    )


def _appointment(aid: str, start: int, email: str, status: str = "scheduled") -> Appointment:
    return parse(
        Appointment,
        {
            "id": aid,
            "calendarId": "cal_1",
            "appointmentTypeId": "type_1",
            "startTime": datetime.fromtimestamp(start / 1000, tz=ZoneInfo("UTC")).isoformat(),
            "endTime": datetime.fromtimestamp(
                (start + 1_800_000) / 1000, tz=ZoneInfo("UTC")
            ).isoformat(),
            "status": status,
            "contact": {"id": f"contact_{aid}", "email": email},
        },
    )


class ScriptedClient:
    """The calls the booking service makes, answered from tables the test fills."""

    def __init__(self) -> None:
        self.slots: dict[date, list[int]] = {}
        self.delays: dict[date, float] = {}
        self.availability_calls: list[date] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.cancelled_requests = 0
        self.availability_error: Exception | None = None
        self.posts: list[dict[str, Any]] = []
        self.post_result: Appointment | Exception | None = None
        self.listed: list[Appointment] | Exception = []
        self.cancels: list[tuple[str, str | None]] = []
        self.cancel_errors: dict[str, Exception] = {}

    async def availability(self, type_id: str, day: str) -> list[AvailabilitySlot]:
        when = date.fromisoformat(day)
        self.availability_calls.append(when)
        if self.availability_error is not None:
            raise self.availability_error
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delays.get(when, 0))
        except asyncio.CancelledError:
            self.cancelled_requests += 1
            raise
        finally:
            self.in_flight -= 1
        return [_slot(s) for s in self.slots.get(when, [])]

    async def book_appointment(self, body: Any) -> Appointment:
        self.posts.append(body.to_body())
        result = self.post_result
        if isinstance(result, Exception):
            raise result
        assert result is not None
        return result

    async def iter_appointments(self, **_: Any) -> AsyncIterator[Appointment]:
        if isinstance(self.listed, Exception):
            raise self.listed
        for appointment in self.listed:
            yield appointment

    async def cancel_appointment(self, appointment_id: str, reason: str | None = None) -> bool:
        self.cancels.append((appointment_id, reason))
        if appointment_id in self.cancel_errors:
            raise self.cancel_errors[appointment_id]
        return True


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def part(tmp_path: Path) -> Iterator[Partition]:
    db = Database.open(tmp_path / "b.db")
    p = db.partition(SCOPE.deployment, SCOPE.sub_account_id)
    p.calendars.replace_calendars([CALENDAR])
    p.calendars.replace_types(
        [{"id": "type_1", "calendarId": "cal_1", "name": "Checkup", "duration": 30}]
    )
    yield p
    db.close()


def _service(part: Partition, client: ScriptedClient, clock: Clock | None = None) -> BookingService:
    return BookingService(
        part,
        client,
        EventBus(),
        SCOPE,
        now_ms=lambda: NOW,
        monotonic=clock or Clock(),
    )


TUESDAY = date(2026, 4, 7)


def test_a_day_is_cached_a_minute_and_forgotten_after_a_booking(part: Partition) -> None:
    client = ScriptedClient()
    client.slots[TUESDAY] = [ny_ms(TUESDAY, 9), ny_ms(TUESDAY, 10)]
    clock = Clock()
    service = _service(part, client, clock)

    async def run() -> None:
        first = await service.day_slots("type_1", TUESDAY)
        assert [s.start_ms for s in first.slots] == client.slots[TUESDAY]
        assert first.reason is None
        assert await service.day_slots("type_1", TUESDAY) is first
        clock.t += 59
        await service.day_slots("type_1", TUESDAY)
        assert client.availability_calls == [TUESDAY]
        clock.t += 2
        await service.day_slots("type_1", TUESDAY)
        assert client.availability_calls == [TUESDAY, TUESDAY]
        service.forget_slots()
        await service.day_slots("type_1", TUESDAY)
        assert len(client.availability_calls) == 3

    asyncio.run(run())


def test_closed_days_cost_no_request_and_empty_days_say_why(part: Partition) -> None:
    client = ScriptedClient()
    service = _service(part, client)

    async def run() -> list[DaySlots]:
        return await service.week_slots("type_1", MONDAY, 7)

    week = asyncio.run(run())
    assert [d.day for d in week] == [MONDAY + timedelta(days=i) for i in range(7)]
    reasons = {d.day.strftime("%a"): d.reason for d in week}
    assert reasons == {
        "Mon": "No free times left today.",
        "Tue": "Fully booked.",
        "Wed": "Closed on Wednesdays.",
        "Thu": "Fully booked.",
        "Fri": "Closed – public holiday.",
        "Sat": "Closed on Saturdays.",
        "Sun": "Closed on Sundays.",
    }
    assert client.availability_calls == [MONDAY, TUESDAY, TUESDAY + timedelta(days=2)]


def test_the_week_arrives_in_order_a_few_days_at_a_time(part: Partition) -> None:
    client = ScriptedClient()
    days = [TUESDAY + timedelta(days=7 * i) for i in range(4)]  # four open Tuesdays
    for i, day in enumerate(days):
        client.slots[day] = [ny_ms(day, 9)]
        client.delays[day] = 0.08 - i * 0.02  # the first day answers last
    service = BookingService(part, client, EventBus(), SCOPE, now_ms=lambda: NOW, concurrency=2)
    told: list[date] = []

    async def run() -> list[DaySlots]:
        # 22 days from Tuesday 7 April: the open days are the Tuesdays, Thursdays and
        # Mondays; only the four Tuesdays have slots.
        return await service.week_slots("type_1", TUESDAY, 22, on_day=lambda d: told.append(d.day))

    week = asyncio.run(run())
    assert told == [d.day for d in week] == [TUESDAY + timedelta(days=i) for i in range(22)]
    assert client.most_in_flight == 2
    assert [d.day for d in week if d.slots] == days


def test_cancelling_the_week_stops_its_requests(part: Partition) -> None:
    client = ScriptedClient()
    for i in range(3):
        client.delays[TUESDAY + timedelta(days=7 * i)] = 5.0
    service = _service(part, client)
    told: list[date] = []

    async def run() -> None:
        task = asyncio.ensure_future(
            service.week_slots("type_1", TUESDAY, 15, on_day=lambda d: told.append(d.day))
        )
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    assert client.cancelled_requests >= 1
    assert told == []


def test_a_failing_day_fails_the_week_with_a_plain_error(part: Partition) -> None:
    client = ScriptedClient()
    client.availability_error = NetworkError("down")
    service = _service(part, client)
    with pytest.raises(NeedsConnection) as caught:
        asyncio.run(service.week_slots("type_1", TUESDAY, 3))
    assert "connection" in caught.value.message


def test_the_slot_is_checked_again_just_before_sending(part: Partition) -> None:
    client = ScriptedClient()
    client.slots[TUESDAY] = [ny_ms(TUESDAY, 9), ny_ms(TUESDAY, 10)]
    service = _service(part, client)
    request = _request()

    async def run() -> None:
        await service.day_slots("type_1", TUESDAY)
        client.slots[TUESDAY] = [ny_ms(TUESDAY, 9)]  # someone else took 10:00
        with pytest.raises(SlotTaken) as caught:
            await service.book(request)
        assert [s.start_ms for s in caught.value.day.slots] == [ny_ms(TUESDAY, 9)]
        assert caught.value.message == (
            "That time is no longer free: it was booked a moment ago. "
            "Tue 7 Apr has 1 free time left."
        )

    asyncio.run(run())
    assert client.availability_calls == [TUESDAY, TUESDAY]  # the cache was not trusted
    assert client.posts == []


def test_an_invalid_request_is_refused_before_anything_is_sent(part: Partition) -> None:
    client = ScriptedClient()
    service = _service(part, client)
    with pytest.raises(BookingRefused) as caught:
        asyncio.run(service.book(_request(email="nope", phone="12")))
    assert set(caught.value.errors) == {"email", "phone"}
    assert caught.value.field == "email"
    assert client.availability_calls == [] and client.posts == []


def test_offline_before_sending_needs_the_connection(part: Partition) -> None:
    client = ScriptedClient()
    client.availability_error = NetworkError("refused")
    with pytest.raises(NeedsConnection) as caught:
        asyncio.run(_service(part, client).book(_request()))
    assert caught.value.message.startswith("Booking needs the connection to Seedly")
    assert client.posts == []


def test_a_lost_answer_is_looked_up_never_sent_twice(part: Partition) -> None:
    client = ScriptedClient()
    start = ny_ms(TUESDAY, 10)
    client.slots[TUESDAY] = [start]
    client.post_result = OutcomeUnknown("dropped")
    bus_events = Recorder()
    service = _service(part, client)
    bus_events.attach(service.bus, AppointmentsChanged)
    # Not ours: another slot, a cancelled one, another person.
    client.listed = [
        _appointment("other_time", start + 1_800_000, "jane@example.com"),
        _appointment("cancelled", start, "jane@example.com", status="cancelled"),
        _appointment("someone", start, "bob@example.com"),
        _appointment("ours", start, "JANE@Example.com"),
    ]
    row = asyncio.run(service.book(_request(start_ms=start, end_ms=start + 1_800_000)))
    assert row.id == "ours" and len(client.posts) == 1
    assert part.calendars.get_appointment("ours") is not None
    [event] = bus_events.of(AppointmentsChanged)
    assert event.booked == ("ours",) and event.own

    client.posts.clear()
    client.listed = [_appointment("someone", start, "bob@example.com")]
    with pytest.raises(BookingNotConfirmed) as caught:
        asyncio.run(service.book(_request(start_ms=start, end_ms=start + 1_800_000)))
    assert caught.value.checked and len(client.posts) == 1
    assert "it was not booked, and nothing was sent twice" in caught.value.message

    client.posts.clear()
    client.listed = NetworkError("still down")
    with pytest.raises(BookingNotConfirmed) as unknown:
        asyncio.run(service.book(_request(start_ms=start, end_ms=start + 1_800_000)))
    assert not unknown.value.checked and len(client.posts) == 1
    assert "look for the booking in the calendar" in unknown.value.message


def test_a_booking_already_in_the_cache_is_not_taken_for_the_lost_one(part: Partition) -> None:
    client = ScriptedClient()
    start = ny_ms(TUESDAY, 10)
    client.slots[TUESDAY] = [start]
    client.post_result = OutcomeUnknown("dropped")
    earlier = _appointment("earlier", start, "jane@example.com")
    part.calendars.upsert_appointments([earlier.to_wire()])
    client.listed = [earlier]
    with pytest.raises(BookingNotConfirmed):
        asyncio.run(_service(part, client).book(_request(start_ms=start, end_ms=start + 1_800_000)))


def test_server_refusals(part: Partition) -> None:
    client = ScriptedClient()
    start = ny_ms(TUESDAY, 10)
    client.slots[TUESDAY] = [start]
    service = _service(part, client)
    request = _request(start_ms=start, end_ms=start + 1_800_000)
    client.post_result = ValidationFailed(
        "email has no valid domain", status=400, code="VALIDATION_ERROR", field="email"
    )
    with pytest.raises(BookingRefused) as refused:
        asyncio.run(service.book(request))
    assert refused.value.field == "email"
    assert refused.value.message == "Seedly refused the booking: email has no valid domain."

    # Taken between the re-check and the POST: the server's 400 on startTime, fresh slots.
    client.post_result = ValidationFailed(
        "That time is no longer available", status=400, code="VALIDATION_ERROR", field="startTime"
    )
    calls = len(client.availability_calls)

    async def taken_meanwhile() -> None:
        original = client.book_appointment

        async def post(body: Any) -> Appointment:
            client.slots[TUESDAY] = []
            return await original(body)

        client.book_appointment = post  # type: ignore[method-assign]
        await service.book(request)

    with pytest.raises(SlotTaken) as taken:
        asyncio.run(taken_meanwhile())
    assert taken.value.day.slots == ()
    assert len(client.availability_calls) == calls + 2


def test_cancel_updates_the_cache_and_stops_when_offline(part: Partition) -> None:
    from app.core.errors import NotFound

    client = ScriptedClient()
    start = ny_ms(TUESDAY, 10)
    for aid in ("a1", "a2", "a3", "a4"):
        part.calendars.upsert_appointments([_appointment(aid, start, f"{aid}@x.com").to_wire()])
    client.cancel_errors = {"a2": NotFound("gone", status=404), "a3": NetworkError("down")}
    service = _service(part, client)
    report = asyncio.run(service.cancel(["a1", "a2", "a3", "a4", "a1"], "  Weather  "))
    states = [(o.appointment_id, o.state) for o in report.outcomes]
    assert states == [
        ("a1", CancelState.CANCELLED),
        ("a2", CancelState.ALREADY_GONE),
        ("a3", CancelState.FAILED),
        ("a4", CancelState.NOT_SENT),
    ]
    assert client.cancels == [("a1", "Weather"), ("a2", "Weather"), ("a3", "Weather")]
    cached = part.calendars.get_appointment("a1")
    assert cached is not None
    assert cached["status"] == "cancelled" and cached["cancellationReason"] == "Weather"
    assert cached["cancelledAt"].endswith("Z")
    assert part.calendars.get_appointment("a2") is None
    assert part.calendars.get_appointment("a4")["status"] == "scheduled"  # type: ignore[index]


def test_type_summary_in_plain_words() -> None:
    from app.services.booking import type_summary
    from app.services.calendar_rows import kind_label, status_label, type_row

    checkup = type_row({"id": "t", "calendarId": "cal_1", "name": "Checkup", "duration": 30})
    assert type_summary(checkup, calendar_row(CALENDAR)) == (
        "30 minutes · 10 minutes free after each booking · Personal, with the calendar's "
        "owner · at least 2 hours' notice, up to 30 days ahead"
    )
    workshop = calendar_row(
        {**CALENDAR, "type": "class", "seats": 12, "bufferAfter": 0, "bufferBefore": 15}
    )
    long = type_row({"id": "w", "name": "Workshop", "duration": 90})
    assert type_summary(long, workshop) == (
        "90 minutes · 15 minutes free before each booking · Class of 12 seats · "
        "at least 2 hours' notice, up to 30 days ahead"
    )
    team = calendar_row({"id": "c", "name": "Team", "type": "round_robin", "timezone": NY})
    hour = type_row({"id": "h", "name": "Call", "duration": 60})
    assert type_summary(hour, team) == "1 hour · Round robin, with the next free team member"
    assert type_summary(None, None) == ""
    assert (kind_label("round_robin"), kind_label("weekly_pool"), kind_label(None)) == (
        "Round robin",
        "Weekly pool",
        "Calendar",
    )
    assert (status_label("no_show"), status_label("rescheduled")) == ("No-show", "Rescheduled")
