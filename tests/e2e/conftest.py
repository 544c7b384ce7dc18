"""The whole app against a sandbox process: the real window, services and HTTP.

``desk`` builds the app exactly as ``seedly-desk`` does (``bootstrap.Application``)
on the test's qasync loop, with a saved connection to the session's sandbox
(the agency key, in the test's in-memory keyring), starts its run coroutine
and hands the ``Application`` to the test; at teardown the window is closed
and everything is shut down as on quit.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.bootstrap import Application, LaunchOptions
from app.services.session import PollPlan
from app.settings.paths import AppPaths
from app.settings.profiles import Profile, ProfileStore
from app.settings.secrets import Secrets, account_name
from tests.support.qt_loop import _no_quit_on_last_window, qloop, run
from tests.support.sandbox_process import Sandbox

__all__ = ["_no_quit_on_last_window", "qloop", "run"]

FAST = PollPlan(inbox=(1.0, 5.0), thread=(1.0, 5.0), contacts=(1.0, 5.0), appointments=(5.0, 30.0))


def save_connection(
    home: Path, box: Sandbox, key: str | None = None, name: str = "Sandbox"
) -> Profile:
    """A saved connection to ``box`` (agency key by default), as the connection dialog saves it."""
    paths = AppPaths.under(home).ensure()
    store = ProfileStore(paths.profiles_file)
    store.load()
    key = key or box.info["agency_key"]
    kind = "agency" if key.startswith("sk_agency_") else "sub_account"
    profile = Profile(
        name=name,
        deployment_url=box.url,
        key_kind=kind,
        sub_account_id=None if kind == "agency" else "local-" + key[-6:],
    )
    store.upsert(profile)
    store.data.active_profile_id = profile.id
    store.save()
    Secrets().save(account_name(profile.id), key)
    return profile


async def until(condition: Callable[[], Any], timeout: float = 20.0, step: float = 0.05) -> Any:
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


@pytest.fixture
def home(isolated_home: Path) -> Path:
    """The app's home for this test (every path of the app lives below it)."""
    return isolated_home


@pytest.fixture
def open_desk(qapp: Any, qloop: Any, home: Path) -> Callable[..., Any]:
    """``async with open_desk(options) as app:`` runs the app inside the test's coroutine.

    The whole test must be one coroutine driven by ``run(...)``: Qt events processed
    while the qasync loop is stopped (pytest-qt does so between test phases) would step
    the app's tasks with no running loop, which fails their next asyncio call.
    """

    @contextlib.asynccontextmanager
    async def running(options: LaunchOptions | None = None) -> AsyncIterator[Application]:
        loop = asyncio.get_running_loop()
        app = Application(qapp, options or LaunchOptions(), AppPaths.under(home), loop=loop)
        app.workspace.plan = FAST
        task = loop.create_task(app.run())
        try:
            await asyncio.wait_for(app.areas_ready.wait(), 30)
            yield app
        finally:
            if not task.done():
                app.window.close()
            try:
                await asyncio.wait_for(task, 30)
            finally:
                await asyncio.wait_for(app.shutdown(), 30)
                await asyncio.sleep(0.05)  # the loop deletes the window (deleteLater)

    return running
