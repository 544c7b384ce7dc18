"""The booking service against a sandbox process (docs/api/seedly-crm.md §6): the slot re-check,
a taken slot, lost answers (found and not found, with targeted faults), reschedule order
(and a cancel that fails), offline, cancelling several, and bookings under random faults.

No date is hard-coded: free slots are searched from tomorrow on in the sandbox's own
calendars, so every test passes whatever day it runs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from app.api.transport import RetryPolicy, Timeouts
from app.services.booking import (
    BookingError,
    BookingNotConfirmed,
    BookingRefused,
    CancelState,
    NeedsConnection,
    SlotTaken,
)
from app.services.bus import AppointmentsChanged
from app.storage import Database
from tests.support.booking import APPOINTMENTS_PATH, Booker, make_booker
from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox

pytestmark = pytest.mark.timeout(180)

FAST_RETRIES = RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.1)


def _events(box: Sandbox, after: int, name: str | None = None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"after": after}
    if name:
        params["name"] = name
    return list(box.control("GET", "events", params=params))


def _last_seq(box: Sandbox) -> int:
    events = box.control("GET", "events", params={"after": 0, "limit": 5000})
    return max((e["seq"] for e in events), default=0)


def _booking_data(box: Sandbox, after: int, name: str) -> list[dict[str, Any]]:
    return [e["data"] for e in _events(box, after, name)]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _booker(box: Sandbox, tmp_path: Path, **options: Any) -> Booker:
    db = Database.open(tmp_path / f"cache-{len(list(tmp_path.iterdir()))}.sqlite3")
    return await make_booker(box, db, 1, **options)


def test_the_slot_is_checked_again_when_another_client_booked_it(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async def scenario() -> None:
        booker = await _booker(sandbox, tmp_path)
        kind = booker.type_of(booker.calendar("personal"))
        [slot] = await booker.free_slots(kind.id)
        # The list on screen still offers the slot (cached) when someone else takes it.
        other = sandbox.client(sandbox.sub_key(1)).post(
            APPOINTMENTS_PATH,
            json={
                "appointmentTypeId": kind.id,
                "startTime": slot.start_ms,
                "endTime": slot.end_ms,
                "firstName": "Other",
                "lastName": "Client",
                "email": "other.client@example.com",
            },
        )
        assert other.status_code == 201, other.text
        cached = await booker.service.day_slots(kind.id, _day_of(booker, slot))
        assert cached.has(slot.start_ms, slot.end_ms)  # the cache did not see it
        request = booker.request(kind.id, slot)
        with pytest.raises(SlotTaken) as caught:
            await booker.service.book(request)
        fresh = caught.value.day
        assert not fresh.has(slot.start_ms, slot.end_ms)
        assert caught.value.message.startswith("That time is no longer free")
        assert booker.transport.posts() == []  # nothing was sent
        assert booker.of_email(request.email, slot) == []
        # The fresh day replaced the cached one.
        again = await booker.service.day_slots(kind.id, _day_of(booker, slot))
        assert not again.has(slot.start_ms, slot.end_ms)
        await booker.close()

    run(scenario())


def _day_of(booker: Booker, slot: Any) -> Any:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    calendar = booker.calendar("personal")
    assert calendar.timezone
    return datetime.fromtimestamp(slot.start_ms / 1000, tz=ZoneInfo(calendar.timezone)).date()


def test_a_slot_taken_between_the_recheck_and_the_post_is_reported_with_fresh_slots(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async def scenario() -> None:
        booker = await _booker(sandbox, tmp_path)
        kind = booker.type_of(booker.calendar("personal"))
        [slot] = await booker.free_slots(kind.id)
        original = booker.client.book_appointment
        rival = sandbox.client(sandbox.sub_key(1))

        async def book_after_a_rival(body: Any) -> Any:
            # The other booking lands after the re-check, just before ours.
            taken = rival.post(
                APPOINTMENTS_PATH,
                json={**body.to_body(), "email": "rival.booker@example.com"},
            )
            assert taken.status_code == 201, taken.text
            return await original(body)

        booker.client.book_appointment = book_after_a_rival  # type: ignore[method-assign]
        request = booker.request(kind.id, slot)
        with pytest.raises(SlotTaken) as caught:
            await booker.service.book(request)
        assert not caught.value.day.has(slot.start_ms, slot.end_ms)
        assert len(booker.transport.posts()) == 1
        assert booker.of_email(request.email, slot) == []
        await booker.close()

    run(scenario())


def test_a_booking_is_cached_and_announced_and_a_refusal_names_its_field(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async def scenario() -> None:
        booker = await _booker(sandbox, tmp_path)
        kind = booker.type_of(booker.calendar("personal"))
        first, second = await booker.free_slots(kind.id, 2, apart=True)
        request = booker.request(kind.id, first, phone="(617) 555-0142", notes="Side gate")
        row = await booker.service.book(request)
        assert (row.start_ms, row.end_ms, row.status) == (first.start_ms, first.end_ms, "scheduled")
        assert row.contact_email == request.email and row.contact_phone == "+16175550142"
        assert row.notes == "Side gate"
        assert booker.partition.calendars.get_appointment(row.id) is not None
        event = booker.events.of(AppointmentsChanged)[-1]
        assert event.booked == (row.id,) and event.own
        [on_server] = booker.of_email(request.email, first)
        assert on_server["id"] == row.id
        assert booker.transport.posts()[0]["phone"] == "+16175550142"

        # The same person at an overlapping time of this calendar: the server refuses.
        clash = booker.request(kind.id, first, email=request.email.upper())
        with pytest.raises(SlotTaken):
            await booker.service.book(clash)
        # A phone the app's rule refuses never leaves.
        posts = len(booker.transport.posts())
        with pytest.raises(BookingRefused) as refused:
            await booker.service.book(booker.request(kind.id, second, phone="12"))
        assert refused.value.field == "phone" and "phone" in refused.value.errors
        assert len(booker.transport.posts()) == posts
        await booker.close()

    run(scenario())


def test_a_lost_answer_after_the_write_is_found_not_sent_again(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box: Sandbox = sandbox_factory("--seed", "demo", *GENEROUS_LIMITS)

    async def scenario() -> None:
        booker = await _booker(box, tmp_path)
        kind = booker.type_of(booker.calendar("personal"))
        [slot] = await booker.free_slots(kind.id)
        box.control(
            "POST",
            "faults/targeted",
            json={"method": "POST", "path": APPOINTMENTS_PATH, "kind": "drop_after"},
        )
        request = booker.request(kind.id, slot)
        row = await booker.service.book(request)
        assert box.control("GET", "stats")["fault.drop_after"] == 1
        assert len(booker.transport.posts()) == 1  # looked up, not sent again
        [stored] = booker.of_email(request.email, slot)
        assert stored["id"] == row.id
        assert booker.partition.calendars.get_appointment(row.id) is not None
        assert booker.events.of(AppointmentsChanged)[-1].booked == (row.id,)
        assert box.control("GET", "faults")["targeted"] == []  # used up
        await booker.close()

    run(scenario())


def test_a_lost_answer_before_the_write_is_reported_not_booked(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box: Sandbox = sandbox_factory("--seed", "demo", *GENEROUS_LIMITS)

    async def scenario() -> None:
        booker = await _booker(box, tmp_path)
        kind = booker.type_of(booker.calendar("personal"))
        [slot] = await booker.free_slots(kind.id)
        seq = _last_seq(box)
        box.control(
            "POST",
            "faults/targeted",
            json={"method": "POST", "path": APPOINTMENTS_PATH, "kind": "drop_before"},
        )
        request = booker.request(kind.id, slot)
        with pytest.raises(BookingNotConfirmed) as caught:
            await booker.service.book(request)
        assert caught.value.checked
        assert "it was not booked, and nothing was sent twice" in caught.value.message
        assert len(booker.transport.posts()) == 1
        assert booker.of_email(request.email, slot) == []
        assert _booking_data(box, seq, "appointment.booked") == []
        # Booking again is the user's choice, and works.
        row = await booker.service.book(request)
        assert [a["id"] for a in booker.of_email(request.email, slot)] == [row.id]
        await booker.close()

    run(scenario())


def test_reschedule_books_first_then_cancels_with_the_reason(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async def scenario() -> None:
        booker = await _booker(sandbox, tmp_path)
        kind = booker.type_of(booker.calendar("personal"))
        old_slot, new_slot = await booker.free_slots(kind.id, 2, skip=1, apart=True)
        request = booker.request(kind.id, old_slot)
        old = await booker.service.book(request)
        seq = _last_seq(sandbox)
        moved = booker.request(
            kind.id, new_slot, email=request.email, first_name="Test", last_name="Booker"
        )
        report = await booker.service.reschedule(old.id, moved, "Customer asked for later")
        assert report.old_cancelled and not report.two_bookings
        assert (report.new.start_ms, report.new.end_ms) == (new_slot.start_ms, new_slot.end_ms)
        assert report.original is not None and report.original.id == old.id
        # On the server, in that order: the new booking, then the cancel of the old one.
        events = [
            (e["event"], e["data"]["appointmentId"])
            for e in _events(sandbox, seq)
            if e["event"].startswith("appointment.")
            and e["data"]["appointmentId"] in (old.id, report.new.id)
        ]
        assert events == [
            ("appointment.booked", report.new.id),
            ("appointment.cancelled", old.id),
        ]
        [cancelled] = [a for a in booker.of_email(request.email, old_slot) if a["id"] == old.id]
        assert cancelled["status"] == "cancelled"
        assert cancelled["cancellationReason"] == "Customer asked for later"
        cached = booker.partition.calendars.get_appointment(old.id)
        assert cached is not None and cached["status"] == "cancelled"
        last = booker.events.of(AppointmentsChanged)[-1]
        assert (last.booked, last.cancelled, last.own) == ((report.new.id,), (old.id,), True)
        assert report.lines("UTC")[1].startswith("Cancelled the original time")
        await booker.close()

    run(scenario())


def test_reschedule_whose_cancel_fails_says_there_are_two_bookings(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async def scenario() -> None:
        booker = await _booker(sandbox, tmp_path, retry=FAST_RETRIES)
        kind = booker.type_of(booker.calendar("personal"))
        old_slot, new_slot = await booker.free_slots(kind.id, 2, skip=3, apart=True)
        request = booker.request(kind.id, old_slot)
        old = await booker.service.book(request)
        sandbox.control(
            "POST",
            "faults/targeted",
            json={
                "method": "DELETE",
                "path": f"{APPOINTMENTS_PATH}/{old.id}",
                "kind": "error_500",
                "times": FAST_RETRIES.attempts,
            },
        )
        moved = booker.request(kind.id, new_slot, email=request.email)
        report = await booker.service.reschedule(old.id, moved, "Moved")
        assert report.two_bookings and not report.old_cancelled
        assert report.old.state is CancelState.FAILED
        lines = report.lines("UTC")
        assert lines[0].startswith("Booked the new time")
        assert lines[1].startswith("Could not cancel the original time")
        assert "The contact now has two bookings" in lines[2] and old.id in lines[2]
        both = {a["id"]: a["status"] for a in booker.on_server(contactId=report.new.contact_id)}
        assert both[old.id] == "scheduled" and both[report.new.id] == "scheduled"
        last = booker.events.of(AppointmentsChanged)[-1]
        assert last.booked == (report.new.id,) and last.cancelled == ()
        await booker.close()

    run(scenario())


def test_reschedule_to_a_taken_slot_keeps_the_original(sandbox: Sandbox, tmp_path: Path) -> None:
    async def scenario() -> None:
        booker = await _booker(sandbox, tmp_path)
        kind = booker.type_of(booker.calendar("personal"))
        old_slot, new_slot = await booker.free_slots(kind.id, 2, skip=5, apart=True)
        old = await booker.service.book(booker.request(kind.id, old_slot))
        await booker.service.book(booker.request(kind.id, new_slot))  # someone takes it
        with pytest.raises(SlotTaken):
            await booker.service.reschedule(old.id, booker.request(kind.id, new_slot), "x")
        [still] = [a for a in booker.on_server(startDate=old_slot.start_ms) if a["id"] == old.id]
        assert still["status"] == "scheduled"
        await booker.close()

    run(scenario())


def test_offline_nothing_is_sent_or_queued(sandbox_factory: Any, tmp_path: Path) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty")

    async def scenario() -> None:
        booker = await _booker(box, tmp_path, retry=FAST_RETRIES, timeouts=Timeouts(connect=1))
        kind = booker.type_of(booker.calendar("personal"))
        [slot] = await booker.free_slots(kind.id)
        box.stop()
        with pytest.raises(NeedsConnection) as caught:
            await booker.service.book(booker.request(kind.id, slot))
        assert caught.value.message.startswith("Booking needs the connection to Seedly")
        assert booker.transport.posts() == []
        booker.service.forget_slots()
        with pytest.raises(NeedsConnection):
            await booker.service.week_slots(kind.id, _day_of(booker, slot))
        report = await booker.service.cancel(["appt_a", "appt_b"], None)
        assert [o.state for o in report.outcomes] == [CancelState.FAILED, CancelState.NOT_SENT]
        assert "could not be reached" in report.summary()
        await booker.close()

    run(scenario())


def test_cancel_several_reports_each(sandbox: Sandbox, tmp_path: Path) -> None:
    async def scenario() -> None:
        booker = await _booker(sandbox, tmp_path)
        kind = booker.type_of(booker.calendar("personal"))
        slots = await booker.free_slots(kind.id, 2, skip=7, apart=True)
        rows = [await booker.service.book(booker.request(kind.id, s)) for s in slots]
        completed = next(
            a for a in booker.on_server(status="completed") if a["calendarId"] is not None
        )
        booker.partition.calendars.upsert_appointments([completed])
        ids = [rows[0].id, "appt_does_not_exist", completed["id"], rows[1].id]
        report = await booker.service.cancel(ids, "Office closed")
        assert [(o.appointment_id, o.state) for o in report.outcomes] == [
            (rows[0].id, CancelState.CANCELLED),
            ("appt_does_not_exist", CancelState.ALREADY_GONE),
            (completed["id"], CancelState.FAILED),
            (rows[1].id, CancelState.CANCELLED),
        ]
        assert report.summary() == (
            "Cancelled 2 appointments. 1 appointment was already gone from Seedly. "
            "1 appointment could not be cancelled and still holds its time: "
            "A completed appointment cannot be cancelled."
        )
        for row in rows:
            [server] = [a for a in booker.on_server(startDate=row.start_ms) if a["id"] == row.id]
            assert server["status"] == "cancelled"
            assert server["cancellationReason"] == "Office closed"
            cached = booker.partition.calendars.get_appointment(row.id)
            assert cached is not None and cached["status"] == "cancelled"
        cached_completed = booker.partition.calendars.get_appointment(completed["id"])
        assert cached_completed is not None and cached_completed["status"] == "completed"
        assert booker.events.of(AppointmentsChanged)[-1].cancelled == report.cancelled
        await booker.close()

    run(scenario())


@pytest.mark.slow
def test_bookings_under_random_faults_are_never_doubled(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    box: Sandbox = sandbox_factory("--seed", "demo", *GENEROUS_LIMITS)

    async def scenario() -> None:
        booker = await _booker(
            box,
            tmp_path,
            retry=RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.2),
            timeouts=Timeouts(read=1.5, write=1.5),
        )
        kind = booker.type_of(booker.calendar("round_robin"))
        slots = await booker.free_slots(kind.id, 12, apart=True)
        box.control("PUT", "faults", json={"rate": 0.3, "timeoutSeconds": 2, "slowSeconds": 0.2})
        outcomes: list[tuple[str, Any, Any]] = []
        for slot in slots:
            request = booker.request(kind.id, slot)
            try:
                row = await booker.service.book(request)
            except BookingError as exc:
                outcomes.append((request.email, exc, slot))
            else:
                outcomes.append((request.email, row, slot))
        faults = box.control("GET", "stats").get("faults", 0)
        box.control("PUT", "faults", json={"rate": 0})
        assert faults > 3, "the run must actually meet faults"
        booked = 0
        for email, outcome, slot in outcomes:
            on_server = booker.of_email(email, slot)
            assert len(on_server) <= 1, f"{email} was booked twice"
            if isinstance(outcome, BookingError):
                if isinstance(outcome, BookingNotConfirmed) and not outcome.checked:
                    continue  # the user was told to look: either state is honest
                assert on_server == [], f"{email}: {type(outcome).__name__} yet booked"
            else:
                booked += 1
                assert [a["id"] for a in on_server] == [outcome.id]
        assert booked >= 3
        await booker.close()

    run(scenario())
