"""A booking service over a sandbox process, for the contract, UI and bench tests: a cache
with the sub-account's calendars, a client that records what it sent, and free slots."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from app.api.seedly import SeedlyClient
from app.services.booking import BookingRequest, BookingService, Slot
from app.services.bus import AppointmentsChanged, EventBus, Recorder, ScopeKey
from app.services.calendar_rows import AppointmentTypeRow, CalendarRow, calendar_row, type_row
from app.services.sync import SyncService
from app.storage import Database, Partition
from tests.support.sandbox_process import Sandbox

APPOINTMENTS_PATH = "/api/v1/calendars/appointments"


class RecordingTransport(httpx.AsyncBaseTransport):
    """Sends every request for real and keeps the method, path and JSON body of each."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.sent.append((request.method, request.url.path, body))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def posts(self) -> list[Any]:
        """Bodies of the bookings sent."""
        return [b for m, p, b in self.sent if m == "POST" and p == APPOINTMENTS_PATH]


@dataclass
class Booker:
    """A booking service of one sandbox sub-account and what it needs around it."""

    box: Sandbox
    service: BookingService
    client: SeedlyClient
    transport: RecordingTransport
    partition: Partition
    events: Recorder
    scope: ScopeKey

    def calendar(self, kind: str) -> CalendarRow:
        """The first active calendar of a type (``personal``, ``class``…)."""
        return next(
            c for c in map(calendar_row, self.partition.calendars.calendars()) if c.kind == kind
        )

    def type_of(self, calendar: CalendarRow) -> AppointmentTypeRow:
        """The first appointment type of ``calendar``."""
        return type_row(self.partition.calendars.types(calendar.id)[0])

    async def free_slots(
        self, type_id: str, count: int = 1, *, skip: int = 0, apart: bool = False
    ) -> list[Slot]:
        """``count`` free slots of ``type_id`` from tomorrow on (after ``skip`` of them),
        searched a week at a time; with ``apart``, one a day (booking one cannot take
        the next through the calendar's buffers)."""
        found: list[Slot] = []
        first = date.today() + timedelta(days=1)
        for week in range(6):
            days = await self.service.week_slots(type_id, first + timedelta(days=7 * week))
            for day in days:
                found += day.slots[:1] if apart else day.slots
            if len(found) >= skip + count:
                return found[skip : skip + count]
        raise AssertionError(f"fewer than {skip + count} free slots of {type_id}")

    def request(self, type_id: str, slot: Slot, **fields: Any) -> BookingRequest:
        """A request for ``slot`` by a person with a unique email."""
        values: dict[str, Any] = {
            "first_name": "Test",
            "last_name": "Booker",
            "email": f"booker.{uuid.uuid4().hex[:10]}@example.com",
        }
        values.update(fields)
        return BookingRequest(type_id, slot.start_ms, slot.end_ms, **values)

    def on_server(self, **params: Any) -> list[dict[str, Any]]:
        """Appointments on the server (``GET /calendars/appointments`` with ``params``)."""
        client = self.box.client(self.box.sub_key(self.scope_index()))
        answer = client.get(APPOINTMENTS_PATH, params={"limit": 200, **params})
        answer.raise_for_status()
        return list(answer.json()["data"])

    def of_email(self, email: str, slot: Slot) -> list[dict[str, Any]]:
        """Appointments on the server over ``slot`` whose contact has ``email``."""
        rows = self.on_server(startDate=slot.start_ms, endDate=slot.end_ms)
        return [r for r in rows if ((r.get("contact") or {}).get("email") or "") == email]

    def scope_index(self) -> int:
        return self.box.sub_ids.index(self.scope.sub_account_id)

    async def close(self) -> None:
        await self.client.aclose()


async def make_booker(
    box: Sandbox, db: Database, index: int = 1, *, key: str | None = None, **client_options: Any
) -> Booker:
    """A ``Booker`` on sub-account ``index`` of ``box`` whose cache holds the calendars."""
    transport = RecordingTransport()
    client = SeedlyClient(
        box.url, key or box.sub_key(index), http_transport=transport, **client_options
    )
    sub = box.sub_ids[index]
    scope = ScopeKey(box.url, sub)
    bus = EventBus()
    events = Recorder().attach(bus, AppointmentsChanged)
    partition = db.partition(box.url, sub)
    await SyncService(partition, client, bus, scope).refresh_calendars()
    service = BookingService(partition, client, bus, scope)
    return Booker(box, service, client, transport, partition, events, scope)


def wall(ms: int, zone: str) -> datetime:
    """An instant as a wall time of ``zone``."""
    return datetime.fromtimestamp(ms / 1000, tz=ZoneInfo(zone))
