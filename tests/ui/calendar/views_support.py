"""Fixtures and helpers of the Calendar views' tests: appointment documents as the API sends
them, a real cache, models under ``QAbstractItemModelTester``, and the tab over a workspace
on the session's sandbox (real HTTP, real sync, real cache). Test modules import the
fixtures they use (and list them in ``__all__``)."""

from __future__ import annotations

import asyncio
import contextlib
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QAbstractItemModel
from PySide6.QtTest import QAbstractItemModelTester

from app.services.bus import ScopeKey
from app.services.ports.calendar import CalendarPort, CalendarReader
from app.services.session import PollPlan
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile
from app.settings.secrets import Secrets, SessionSecrets, account_name
from app.storage import Database, Partition
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.calendar.tab import CalendarTab
from tests.support.areas import RecordingNavigator, build_area
from tests.support.sandbox_process import Sandbox

DEPLOYMENT = "https://crm.example.com"
SCOPE_A = ScopeKey(DEPLOYMENT, "sub_a")
SCOPE_B = ScopeKey(DEPLOYMENT, "sub_b")
ZONE = "America/New_York"
QUIET = PollPlan(
    inbox=(3600, 3600), thread=(3600, 3600), contacts=(3600, 3600), appointments=(3600, 3600)
)


def iso(when: datetime) -> str:
    """An ISO UTC time as the API writes it."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def utc(text: str) -> datetime:
    """A UTC datetime from "2026-06-15T14:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def appointment(
    appointment_id: str,
    start: str,
    minutes: int = 30,
    *,
    calendar_id: str = "cal_a",
    status: str = "scheduled",
    name: str = "Ana Lima",
    type_id: str | None = "type_a",
    **extra: Any,
) -> dict[str, Any]:
    """An appointment document starting at ``start`` (UTC, "2026-06-15T14:00")."""
    begin = utc(start)
    end = datetime.fromtimestamp(begin.timestamp() + minutes * 60, UTC)
    first, _, last = name.partition(" ")
    doc: dict[str, Any] = {
        "id": appointment_id,
        "calendarId": calendar_id,
        "appointmentTypeId": type_id,
        "contactId": f"contact_{appointment_id}",
        "title": f"Consultation – {name}",
        "startTime": iso(begin),
        "endTime": iso(end),
        "status": status,
        "assignedTo": "usr_ana_ortiz",
        "notes": None,
        "createdAt": "2026-06-01T12:00:00.000Z",
        "contact": {
            "id": f"contact_{appointment_id}",
            "firstName": first,
            "lastName": last,
            "name": name,
            "email": f"{first.lower()}@example.com",
            "phone": "+16175550100",
        },
    }
    doc.update(extra)
    return doc


def calendar(
    calendar_id: str, name: str, kind: str = "personal", zone: str = ZONE
) -> dict[str, Any]:
    """A calendar document."""
    return {"id": calendar_id, "name": name, "type": kind, "timezone": zone}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "calendar.db")
    yield database
    database.close()


@pytest.fixture
def part_a(db: Database) -> Partition:
    part = db.partition(DEPLOYMENT, "sub_a")
    part.calendars.replace_calendars(
        [
            calendar("cal_a", "Dr. Ortiz"),
            calendar("cal_b", "Hygiene Team", "round_robin"),
            calendar("cal_class", "Brushing Class", "class"),
        ]
    )
    part.calendars.replace_types(
        [
            {"id": "type_a", "calendarId": "cal_a", "name": "Consultation", "duration": 30},
            {
                "id": "type_class",
                "calendarId": "cal_class",
                "name": "Brushing Basics",
                "duration": 60,
            },
        ]
    )
    return part


@pytest.fixture
def reader_a(part_a: Partition) -> CalendarReader:
    return CalendarReader(part_a)


@pytest.fixture
def tested() -> Iterator[Callable[[QAbstractItemModel], QAbstractItemModel]]:
    """``tested(model)`` puts ``model`` under ``QAbstractItemModelTester`` (Fatal) for the
    rest of the test."""
    testers: list[QAbstractItemModelTester] = []

    def attach(model: QAbstractItemModel) -> QAbstractItemModel:
        testers.append(
            QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
        )
        return model

    yield attach
    testers.clear()


async def until(condition: Callable[[], Any], timeout: float = 20.0, step: float = 0.02) -> Any:
    """Wait on the running loop until ``condition()`` is truthy; its value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout:.0f} s: {condition}")
        await asyncio.sleep(step)


def make_workspace(tmp: Path, box: Sandbox) -> tuple[Workspace, Profile]:
    """A workspace like the app's with a saved agency connection to the sandbox (polls
    quiet: the tests sync when they choose)."""
    workspace = Workspace.open(
        AppPaths.under(tmp / "home"), secrets=Secrets(persistent=SessionSecrets()), plan=QUIET
    )
    profile = Profile(name="Sandbox", deployment_url=box.url, key_kind="agency")
    workspace.profiles.upsert(profile)
    workspace.secrets.save(account_name(profile.id), box.info["agency_key"])
    return workspace, profile


async def sync_calendar(workspace: Workspace) -> None:
    """Read the open sub-account's calendars and appointments into the cache now."""
    session = workspace.session
    assert session is not None and session.sync is not None
    await session.sync.refresh_calendars()
    await session.sync.refresh_appointments()


@contextlib.asynccontextmanager
async def opened(
    tmp: Path, box: Sandbox, **options: Any
) -> AsyncIterator[tuple[CalendarTab, Workspace, RecordingNavigator]]:
    """The Calendar tab over a workspace on the sandbox, the first sub-account open and
    synced; shut down afterwards."""
    workspace, profile = make_workspace(tmp, box)
    await workspace.activate(profile.id)
    await sync_calendar(workspace)
    bridge = BusBridge(workspace.bus)
    tasks = TaskSet("calendar-test")
    navigator = RecordingNavigator()
    options.setdefault("zone_name", ZONE)
    tab = build_area(
        CalendarTab, CalendarPort(workspace), bridge, tasks, navigator=navigator, **options
    )
    tab.resize(1360, 820)
    tab.show()
    try:
        await until(tab.is_loaded)
        yield tab, workspace, navigator
    finally:
        await tab.shutdown()
        await tasks.shutdown(5)
        await workspace.shutdown(5)
        bridge.detach()
        tab.deleteLater()


__all__ = [
    "DEPLOYMENT",
    "QUIET",
    "SCOPE_A",
    "SCOPE_B",
    "ZONE",
    "appointment",
    "calendar",
    "db",
    "make_workspace",
    "opened",
    "part_a",
    "reader_a",
    "sync_calendar",
    "tested",
    "until",
]
