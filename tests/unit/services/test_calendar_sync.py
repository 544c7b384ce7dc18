"""Calendar sync without a server: calendars read before appointments, what a poll reports as
booked, cancelled and moved, ranges loaded on demand, and the session's plan."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.core.models import Appointment, AppointmentType, Calendar, Page, parse, parse_page
from app.services.bus import AppointmentsChanged, EventBus, Recorder, ScopeKey
from app.services.session import PollPlan, Session
from app.services.sync import SyncService, appointment_changes
from app.storage import Database, Partition

SCOPE = ScopeKey("https://crm.example.com", "sub_a")
HOUR = 3_600_000
NOW = int(datetime.now(UTC).timestamp() * 1000)


def doc(aid: str, start: int, status: str = "scheduled", minutes: int = 30) -> dict[str, Any]:
    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    return {
        "id": aid,
        "calendarId": "cal_1",
        "startTime": iso(start),
        "endTime": iso(start + minutes * 60_000),
        "status": status,
    }


class Server:
    """The calendar lists of a scripted server."""

    def __init__(self) -> None:
        self.appointments: list[dict[str, Any]] = []
        self.calendars: list[dict[str, Any]] = [
            {"id": "cal_1", "name": "Checkups", "type": "personal", "timezone": "UTC"}
        ]
        self.types: list[dict[str, Any]] = [
            {"id": "type_1", "calendarId": "cal_1", "name": "Checkup", "duration": 30}
        ]
        self.calls: list[str] = []
        self.ranges: list[tuple[int | None, int | None]] = []

    async def list_calendars(self) -> list[Calendar]:
        self.calls.append("calendars")
        return [parse(Calendar, c) for c in self.calendars]

    async def list_appointment_types(self) -> list[AppointmentType]:
        self.calls.append("types")
        return [parse(AppointmentType, t) for t in self.types]

    async def list_appointments(
        self,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int | None = None,
        cursor: str | None = None,
        **_: Any,
    ) -> Page[Appointment]:
        self.calls.append("appointments")
        self.ranges.append((start_ms, end_ms))
        lo, hi = start_ms or 0, end_ms or 2**62
        rows = [
            d
            for d in self.appointments
            if parse(Appointment, d).start_time.timestamp() * 1000 < hi
            and parse(Appointment, d).end_time.timestamp() * 1000 > lo
        ]
        return parse_page(Appointment, {"data": rows, "meta": {"hasMore": False}})


@pytest.fixture
def part(tmp_path: Path) -> Iterator[Partition]:
    db = Database.open(tmp_path / "s.db")
    yield db.partition(SCOPE.deployment, SCOPE.sub_account_id)
    db.close()


def _sync(part: Partition, server: Server, clock: list[float] | None = None) -> SyncService:
    ticks = clock if clock is not None else [0.0]
    return SyncService(part, server, EventBus(), SCOPE, monotonic=lambda: ticks[0])


def test_changes_compare_the_cache_before_and_after_a_poll() -> None:
    from app.services.sync import _held

    window = (NOW - 10 * HOUR, NOW + 100 * HOUR)
    before = _held(
        [
            doc("kept", NOW + HOUR),
            doc("to_cancel", NOW + 2 * HOUR),
            doc("to_move", NOW + 3 * HOUR),
            doc("was_cancelled", NOW + 4 * HOUR, "cancelled"),
            doc("to_confirm", NOW + 5 * HOUR),
        ]
    )
    after = [
        doc("kept", NOW + HOUR),
        doc("to_cancel", NOW + 2 * HOUR, "cancelled"),
        doc("to_move", NOW + 30 * HOUR),
        doc("was_cancelled", NOW + 4 * HOUR, "cancelled"),
        doc("to_confirm", NOW + 5 * HOUR, "confirmed"),
        doc("new", NOW + 6 * HOUR),
        doc("new_but_cancelled", NOW + 7 * HOUR, "cancelled"),
        doc("came_into_view", NOW + 200 * HOUR),  # beyond the previous window's end
    ]
    changes = appointment_changes(before, after, window)
    assert changes.booked == ("new",)
    assert changes.cancelled == ("to_cancel",)
    assert changes.moved == ("to_move",)
    # The first fill of a partition reports nothing.
    assert appointment_changes({}, after, None) == type(changes)()


def test_calendars_come_first_and_polls_tell_what_changed(part: Partition) -> None:
    server = Server()
    server.appointments = [doc("a1", NOW + HOUR), doc("a2", NOW + 2 * HOUR)]
    sync = _sync(part, server)
    events = Recorder().attach(sync.bus, AppointmentsChanged)

    async def run() -> None:
        assert await sync.poll_appointments() == 2
        assert server.calls == ["calendars", "types", "appointments"]
        assert [c["id"] for c in part.calendars.calendars()] == ["cal_1"]
        first = events.of(AppointmentsChanged)
        assert first[0].calendars  # the calendars were new to the cache
        assert (first[1].booked, first[1].cancelled, first[1].moved) == ((), (), ())

        server.appointments = [
            doc("a1", NOW + HOUR, "cancelled"),
            doc("a2", NOW + 5 * HOUR),
            doc("a3", NOW + 3 * HOUR),
        ]
        server.calls.clear()
        await sync.poll_appointments()
        assert server.calls == ["appointments"]  # calendars are read once, then on their own
        last = events.of(AppointmentsChanged)[-1]
        assert (last.booked, last.cancelled, last.moved) == (("a3",), ("a1",), ("a2",))

        # Unchanged calendars are not written again nor announced.
        count = len(events.events)
        assert await sync.refresh_calendars() is False
        assert len(events.events) == count
        server.types.append(
            {"id": "type_2", "calendarId": "cal_1", "name": "Cleaning", "duration": 60}
        )
        assert await sync.refresh_calendars() is True
        assert events.of(AppointmentsChanged)[-1].calendars

    asyncio.run(run())


def test_load_range_fetches_outside_the_poll_and_remembers_briefly(part: Partition) -> None:
    server = Server()
    far = NOW + 400 * 24 * HOUR
    server.appointments = [doc("near", NOW + HOUR), doc("far", far + HOUR)]
    clock = [0.0]
    sync = _sync(part, server, clock)

    async def run() -> None:
        await sync.refresh_appointments()
        server.ranges.clear()
        # Inside the polled window: the cache answers.
        assert await sync.load_range(NOW, NOW + 24 * HOUR) == 1
        assert server.ranges == []
        # Outside: fetched for exactly that range, then remembered.
        week = (far, far + 7 * 24 * HOUR)
        assert await sync.load_range(*week) == 1
        assert server.ranges == [week]
        assert part.calendars.get_appointment("far") is not None
        clock[0] += 60
        assert await sync.load_range(far, far + 24 * HOUR) == 1  # inside the loaded week
        assert server.ranges == [week]
        # Deleted on the server: the next fetch of the range drops it from the cache.
        server.appointments = [doc("near", NOW + HOUR)]
        clock[0] += 121
        assert await sync.load_range(*week) == 0
        assert server.ranges == [week, week]
        assert part.calendars.get_appointment("far") is None
        assert await sync.load_range(5, 5) == 0

    asyncio.run(run())


def test_the_session_reads_calendars_at_open_and_every_ten_minutes(tmp_path: Path) -> None:
    db = Database.open(tmp_path / "session.db")

    class Transport:
        budgets: dict[str, Any] = {}

        def on_budget(self, listener: Any) -> None:
            pass

    class Client:
        is_agency = False
        transport = Transport()

    async def run() -> None:
        session = Session(db, EventBus(), Client(), profile_id="p", deployment=SCOPE.deployment)
        await session.switch("sub_a", start=False)
        session._start(session.generation)
        assert session.scheduler is not None
        jobs = session.scheduler.jobs
        assert jobs["calendars"].interval == PollPlan().calendars == 600.0
        # Due at once, before the appointments poll (which also reads them first if needed).
        assert jobs["calendars"].next_due < jobs["appointments"].next_due
        # A sub-account's last polled window survives a switch away and back.
        assert session.sync is not None
        session.sync.appointments_window = (1, 2)
        await session.switch("sub_b", start=False)
        assert session.sync.appointments_window is None
        await session.switch("sub_a", start=False)
        assert session.sync.appointments_window == (1, 2)
        await session.close()

    asyncio.run(run())
    db.close()
