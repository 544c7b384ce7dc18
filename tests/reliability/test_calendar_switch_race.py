"""The switch race through the Calendar tab: sub-account switches while appointment polls
and the tab's own worker reads are in flight; at no moment does the tab show (or hold in
its details pane) an appointment of the sub-account it is not showing."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from app.api.seedly import SeedlyClient
from app.services.ports.calendar import CalendarPort
from app.services.session import PollPlan
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile
from app.settings.secrets import Secrets, SessionSecrets, account_name
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.calendar.tab import CalendarTab
from tests.support.areas import build_area
from tests.support.qt_loop import _no_quit_on_last_window, qloop, run
from tests.support.sandbox_process import Sandbox

__all__ = ["_no_quit_on_last_window", "qloop", "run"]

pytestmark = pytest.mark.timeout(300)

SWITCHES = 60
FAST = PollPlan(
    inbox=(3600, 3600),
    thread=(3600, 3600),
    contacts=(3600, 3600),
    appointments=(0.05, 0.05),
    reconcile=3600,
)


async def _server_appointments(box: Sandbox, index: int) -> set[str]:
    client = SeedlyClient(box.url, box.sub_key(index))
    try:
        return {a.id async for a in client.iter_appointments(limit=200)}
    finally:
        await client.aclose()


def test_the_calendar_tab_never_shows_another_sub_accounts_appointments(
    sandbox: Sandbox, tmp_path: Path, qloop: Any, run: Any
) -> None:
    workspace = Workspace.open(
        AppPaths.under(tmp_path / "home"), secrets=Secrets(persistent=SessionSecrets()), plan=FAST
    )
    profile = Profile(name="Sandbox", deployment_url=sandbox.url, key_kind="agency")
    workspace.profiles.upsert(profile)
    workspace.secrets.save(account_name(profile.id), sandbox.info["agency_key"])
    bridge = BusBridge(workspace.bus)
    tasks = TaskSet("calendar-race", loop=qloop)
    subs = sandbox.sub_ids
    leaks: list[str] = []
    checks = 0
    showing = 0  # checks that found appointments on screen (the race is not vacuous)

    async def flow() -> None:
        nonlocal checks, showing
        owned = {sub: await _server_appointments(sandbox, i) for i, sub in enumerate(subs)}
        # Both caches hold appointments first: each switch has something to show at once
        # (and something of the other sub-account that must not stay on screen).
        for sub in reversed(subs):
            await workspace.activate(profile.id, sub)
            session = workspace.session
            assert session is not None and session.sync is not None
            await session.sync.refresh_appointments()
        tab = build_area(
            CalendarTab, CalendarPort(workspace), bridge, tasks, zone_name="America/New_York"
        )
        tab.resize(1200, 800)
        tab.show()

        def check(moment: str) -> None:
            nonlocal checks, showing
            checks += 1
            active = workspace.active
            assert active is not None
            sub = active.scope.sub_account_id
            visible = set(tab.visible_appointment_ids())
            showing += bool(visible)
            foreign = visible - owned[sub]
            if foreign:
                leaks.append(f"{moment}: {sorted(foreign)[:3]} shown under {sub}")
            shown = tab.details.appointment
            if shown is not None and shown.id not in owned[sub]:
                leaks.append(f"{moment}: details of {shown.id} under {sub}")

        rng = random.Random(12)
        seen_any = {sub: False for sub in subs}
        for i in range(SWITCHES):
            sub = subs[i % len(subs)]
            await workspace.switch_sub_account(sub)
            check(f"switch {i} at once")
            for _ in range(3):
                await asyncio.sleep(rng.uniform(0.0, 0.06))
                check(f"switch {i} later")
                ids = tab.visible_appointment_ids()
                if ids:
                    seen_any[sub] = True
                    # Select something now and then: the details pane must follow too.
                    if rng.random() < 0.3:
                        tab.select([ids[rng.randrange(len(ids))]])
        # Each sub-account settles once: its appointments do show.
        for sub in subs:
            await workspace.switch_sub_account(sub)
            for _ in range(200):
                await asyncio.sleep(0.05)
                if tab.visible_appointment_ids():
                    break
            check(f"settled on {sub}")
            seen_any[sub] = seen_any[sub] or bool(tab.visible_appointment_ids())
        assert all(seen_any.values()), f"each sub-account showed appointments: {seen_any}"
        await tab.shutdown()
        await tasks.shutdown(5)
        tab.deleteLater()

    try:
        run(flow(), timeout=240)
    finally:
        run(workspace.shutdown(5))
        bridge.detach()
    assert leaks == []
    assert showing >= SWITCHES, f"appointments were on screen in only {showing} checks"
    print(
        f"\ncalendar switch race: {SWITCHES} switches, {checks} checks "
        f"({showing} with appointments on screen), 0 leaks"
    )
