"""CalendarPort and its rows over a real SQLite cache: rows from sandbox-shaped and malformed
documents, the reader, the booking service per open sub-account, zones and load_range."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from app.services.bus import EventBus, ScopeKey
from app.services.ports.calendar import (
    AppointmentRow,
    BookingRules,
    BookingService,
    CalendarPort,
    CalendarRow,
    DateOverride,
    NotActive,
    appointment_row,
    calendar_row,
    type_row,
)
from app.services.sync import Stale
from app.storage import Database, Partition

DEPLOYMENT = "https://crm.example.com"
SCOPE = ScopeKey(DEPLOYMENT, "sub_a")


# What the sandbox sends (app/sandbox/crm/calendars.py: render_calendar, render_appointment).
SANDBOX_CALENDAR: dict[str, Any] = {
    "id": "cal_1",
    "name": "Dr. Ana Ortiz – Checkups",
    "type": "personal",
    "timezone": "America/New_York",
    "isActive": True,
    "description": "Routine checkups",
    "teamMemberIds": ["usr_ana"],
    "weeklySchedule": {
        "monday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
        "tuesday": [{"start": "09:00", "end": "17:00"}],
        "wednesday": [],
        "thursday": [],
        "friday": [],
        "saturday": [],
        "sunday": [],
    },
    "dateOverrides": [
        {"date": "2026-04-10", "hours": [], "reason": "Closed – public holiday"},
        {"date": "2026-04-14", "hours": [{"start": "10:00", "end": "14:00"}], "reason": None},
    ],
    "slotInterval": 30,
    "bufferBefore": 0,
    "bufferAfter": 10,
    "minimumNoticeMinutes": 120,
    "maximumAdvanceDays": 30,
    "seats": None,
}

SANDBOX_APPOINTMENT: dict[str, Any] = {
    "id": "appt_1",
    "calendarId": "cal_1",
    "appointmentTypeId": "type_1",
    "contactId": "contact_1",
    "title": "Checkup – Jane Smith",
    "startTime": "2026-04-13T13:00:00.000Z",
    "endTime": "2026-04-13T13:30:00.000Z",
    "status": "confirmed",
    "assignedTo": "usr_ana",
    "notes": "First visit",
    "createdAt": "2026-04-01T08:00:00.000Z",
    "contact": {
        "id": "contact_1",
        "firstName": "Jane",
        "lastName": "Smith",
        "email": "jane@example.com",
        "phone": "+16175550101",
    },
    "updatedAt": "2026-04-02T08:00:00.000Z",
    "attendees": ["usr_ana"],
    "cancellationReason": None,
    "cancelledAt": None,
}


def test_calendar_row_of_a_sandbox_calendar_keeps_its_rules() -> None:
    row = calendar_row(SANDBOX_CALENDAR)
    assert row.id == "cal_1" and row.name == "Dr. Ana Ortiz – Checkups"
    assert row.kind == "personal" and row.timezone == "America/New_York"
    assert row.team_member_ids == ("usr_ana",)
    rules = row.rules
    assert rules is not None
    assert rules.weekly_schedule is not None
    assert rules.weekly_schedule["monday"] == (("09:00", "12:00"), ("13:00", "17:00"))
    assert rules.weekly_schedule["wednesday"] == ()
    assert rules.date_overrides == {
        "2026-04-10": DateOverride((), "Closed – public holiday"),
        "2026-04-14": DateOverride((("10:00", "14:00"),), None),
    }
    assert (rules.slot_interval, rules.buffer_before, rules.buffer_after) == (30, 0, 10)
    assert (rules.minimum_notice_minutes, rules.maximum_advance_days, rules.seats) == (
        120,
        30,
        None,
    )


def test_calendar_row_of_the_documented_fields_only_has_no_rules() -> None:
    row = calendar_row({"id": "cal_2", "name": "Team", "type": "round_robin", "timezone": "UTC"})
    assert row == CalendarRow("cal_2", "Team", "round_robin", "UTC")
    assert row.rules is None


def test_calendar_row_of_a_malformed_document_degrades_field_by_field() -> None:
    row = calendar_row(
        {
            "id": 7,
            "name": "  ",
            "type": 3,
            "timezone": "",
            "teamMemberIds": ["usr_1", 2, "", None],
            "weeklySchedule": {
                "Monday": [["09:00", "10:00"], {"start": "11:00"}, "noon", ["x"]],
                "tuesday": "all day",
                3: [],
            },
            "dateOverrides": [{"date": "2026-01-01"}, "bad", {"hours": []}],
            "slotInterval": "15",
            "bufferAfter": True,
            "minimumNoticeMinutes": 60.0,
            "maximumAdvanceDays": "soon",
            "seats": 12.5,
        }
    )
    assert row.id == "7" and row.name == "7"  # a blank name falls back to the id
    assert row.kind is None and row.timezone is None
    assert row.team_member_ids == ("usr_1",)
    rules = row.rules
    assert rules == BookingRules(
        weekly_schedule={"monday": (("09:00", "10:00"),)},
        date_overrides={"2026-01-01": DateOverride((), None)},
        slot_interval=15,
        buffer_before=None,
        buffer_after=None,
        minimum_notice_minutes=60,
        maximum_advance_days=None,
        seats=None,
    )


def test_calendar_row_needs_an_id() -> None:
    with pytest.raises(KeyError):
        calendar_row({"name": "No id"})


def test_type_row_reads_duration_in_minutes_and_drops_nonsense() -> None:
    row = type_row({"id": "t1", "calendarId": "cal_1", "name": "Checkup", "duration": 30})
    assert (row.id, row.calendar_id, row.name, row.duration_minutes) == (
        "t1",
        "cal_1",
        "Checkup",
        30,
    )
    assert type_row({"id": "t2", "duration": 0}).duration_minutes is None
    assert type_row({"id": "t3", "duration": "45"}).duration_minutes == 45
    assert type_row({"id": "t4", "duration": -5, "name": None}).name == "t4"


def test_appointment_row_of_a_sandbox_appointment() -> None:
    row = appointment_row(SANDBOX_APPOINTMENT)
    assert row == AppointmentRow(
        id="appt_1",
        calendar_id="cal_1",
        type_id="type_1",
        start_ms=1776085200000,
        end_ms=1776087000000,
        status="confirmed",
        title="Checkup – Jane Smith",
        contact_id="contact_1",
        contact_name="Jane Smith",
        contact_email="jane@example.com",
        contact_phone="+16175550101",
        assigned_to="usr_ana",
        notes="First visit",
        created_ms=1775030400000,
        cancelled_ms=None,
        cancellation_reason=None,
    )
    assert row.active


def test_appointment_row_of_a_cancelled_one_keeps_when_and_why() -> None:
    doc = {
        **SANDBOX_APPOINTMENT,
        "status": "cancelled",
        "cancelledAt": "2026-04-05T10:00:00.000Z",
        "cancellationReason": "Feeling unwell",
    }
    row = appointment_row(doc)
    assert row is not None and not row.active
    assert row.cancelled_ms == 1775383200000 and row.cancellation_reason == "Feeling unwell"


def test_appointment_row_of_malformed_documents() -> None:
    # No readable start: no row (a view cannot place it).
    assert appointment_row({"id": "a", "startTime": "soon"}) is None
    assert appointment_row({"id": "a"}) is None
    # An end before the start, or none, makes an instant; a missing status reads scheduled.
    row = appointment_row(
        {
            "id": "b",
            "startTime": "2026-04-13T13:00:00Z",
            "endTime": "2026-04-13T12:00:00Z",
            "contact": "not a summary",
            "contactId": "",
        }
    )
    assert row is not None
    assert row.end_ms == row.start_ms and row.status == "scheduled"
    assert row.contact_id is None and row.contact_name is None
    # The contact's id from the summary when contactId is missing; a single name field.
    other = appointment_row(
        {
            "id": "c",
            "startTime": 1776085200000,
            "endTime": None,
            "contact": {"id": "contact_9", "name": "  Bo Li "},
        }
    )
    assert other is not None
    assert other.contact_id == "contact_9" and other.contact_name == "Bo Li"


# -- the port over a cache -------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "cal.db")
    yield database
    database.close()


@pytest.fixture
def part(db: Database) -> Partition:
    p = db.partition(DEPLOYMENT, "sub_a")
    p.calendars.replace_calendars([SANDBOX_CALENDAR])
    p.calendars.replace_types(
        [{"id": "type_1", "calendarId": "cal_1", "name": "Checkup", "duration": 30}]
    )
    p.calendars.upsert_appointments([SANDBOX_APPOINTMENT])
    return p


def _workspace(db: Database, part: Partition | None, *, generation: int = 1) -> Any:
    session = None
    if part is not None:
        session = SimpleNamespace(
            scope_key=SCOPE,
            partition=part,
            generation=generation,
            view=object(),
            sync=None,
        )
    workspace = SimpleNamespace(db=db, session=session, bus=EventBus(), active=None)
    if part is not None:
        workspace.active = SimpleNamespace(scope=SCOPE, partition=part)
    workspace.booking_service = lambda: BookingService(part, object(), workspace.bus, SCOPE)  # type: ignore[arg-type]
    return workspace


def test_reader_answers_typed_rows_of_the_open_sub_account(db: Database, part: Partition) -> None:
    port = CalendarPort(_workspace(db, part))
    assert port.active_scope() == SCOPE
    reader = port.reader()
    assert reader is not None and reader is port.reader()
    assert [c.id for c in reader.calendars()] == ["cal_1"]
    assert [t.id for t in reader.types("cal_1")] == ["type_1"]
    rows = reader.appointments_between(1776000000000, 1776200000000)
    assert [r.id for r in rows] == ["appt_1"]
    assert reader.appointment("appt_1") == rows[0]
    assert reader.appointments_for_contact("contact_1") == rows


def test_booking_needs_an_open_sub_account(db: Database) -> None:
    port = CalendarPort(_workspace(db, None))
    with pytest.raises(NotActive):
        port.booking()
    assert port.reader() is None


def test_one_booking_service_per_open_sub_account(db: Database, part: Partition) -> None:
    workspace = _workspace(db, part)
    port = CalendarPort(workspace)
    service = port.booking()
    assert port.booking() is service  # its slot cache is shared by every booking screen
    workspace.session.generation = 2  # a switch (or reconnect) gives a new one
    assert port.booking() is not service


def test_the_users_zone_is_the_computers_unless_set(db: Database, part: Partition) -> None:
    port = CalendarPort(_workspace(db, part))
    assert port.user_zone()  # tzlocal's answer (UTC when the machine has none)
    port.set_user_zone("Europe/Berlin")
    assert port.user_zone() == "Europe/Berlin"
    port.set_user_zone(None)
    assert port.user_zone() != "" and port.user_zone() is not None


def test_load_range_goes_to_the_session_sync(db: Database, part: Partition) -> None:
    workspace = _workspace(db, part)
    port = CalendarPort(workspace)
    with pytest.raises(NotActive):
        asyncio.run(port.load_range(0, 1))
    calls: list[tuple[int, int]] = []

    class Sync:
        stale = False

        async def load_range(self, start: int, end: int) -> int:
            calls.append((start, end))
            if self.stale:
                raise Stale("sub_a")
            return 3

    sync = Sync()
    workspace.session.sync = sync
    assert asyncio.run(port.load_range(10, 20)) == 3
    sync.stale = True
    assert asyncio.run(port.load_range(30, 40)) == 0  # switched away meanwhile
    assert calls == [(10, 20), (30, 40)]
