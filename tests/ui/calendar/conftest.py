"""Fixtures of the Calendar tests: a workspace on a sandbox process with the calendars read,
its ``CalendarPort``, and a client that records every request it sends."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.api.seedly import SeedlyClient
from app.api.transport import RetryPolicy
from app.services.ports.calendar import CalendarPort
from app.services.session import PollPlan
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile
from app.settings.secrets import Secrets, SessionSecrets, account_name
from app.ui.async_qt import TaskSet
from tests.support.booking import RecordingTransport
from tests.support.sandbox_process import Sandbox

QUIET = PollPlan(
    inbox=(3600, 3600),
    thread=(3600, 3600),
    contacts=(3600, 3600),
    appointments=(3600, 3600),
    reconcile=3600,
    calendars=3600,
)


@dataclass
class Opened:
    """A workspace open on one sandbox sub-account, its port and the recorded requests."""

    workspace: Workspace
    port: CalendarPort
    transport: RecordingTransport
    tasks: TaskSet
    box: Sandbox
    sub_index: int


@contextlib.asynccontextmanager
async def opened(
    tmp: Path, box: Sandbox, sub_index: int = 1, *, retry: RetryPolicy | None = None
) -> AsyncIterator[Opened]:
    """A workspace like the app's on ``box`` (agency key, sub-account ``sub_index``) whose
    cache holds the calendars; shut down afterwards."""
    transport = RecordingTransport()

    def client(url: str, key: str) -> SeedlyClient:
        return SeedlyClient(url, key, http_transport=transport, retry=retry or RetryPolicy())

    workspace = Workspace.open(
        AppPaths.under(tmp / "home"),
        secrets=Secrets(persistent=SessionSecrets()),
        plan=QUIET,
        client_factory=client,
    )
    profile = Profile(name="Sandbox", deployment_url=box.url, key_kind="agency")
    workspace.profiles.upsert(profile)
    workspace.secrets.save(account_name(profile.id), box.info["agency_key"])
    await workspace.activate(profile.id, box.sub_ids[sub_index])
    session = workspace.session
    assert session is not None and session.sync is not None
    await session.sync.refresh_calendars()
    tasks = TaskSet("calendar-test")
    try:
        yield Opened(workspace, CalendarPort(workspace), transport, tasks, box, sub_index)
    finally:
        await tasks.shutdown(5)
        await workspace.shutdown(5)


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
