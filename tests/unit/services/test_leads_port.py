"""``LeadsPort`` over a real workspace (a real SQLite cache) and a Seamless API on
``httpx.MockTransport``: the connection's state moves when it is opened or refused, a
search is made only with a connection, the daily budget applies and is saved (never in a
workspace that does not persist), saved searches go through the preferences, and without
a Seedly connection there is no sub-account to add leads to."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from app.core.seamless import ContactSearch
from app.services.ports.leads import (
    TERMINAL_JOB_STATES,
    JobState,
    LeadsNotConnected,
    LeadsPort,
    PreferencesNotSaved,
)
from app.services.workspace import NotActive
from app.settings.profiles import SeamlessSettings
from tests.unit.services.test_seamless_connection import GOOD, URL, Seamless, open_workspace


async def settled(port: LeadsPort) -> None:
    for _ in range(100):
        credits = port.credits
        if port.problem or (credits is not None and credits.balance is not None):
            return
        await asyncio.sleep(0.01)


def test_the_connection_state_search_and_budget(tmp_path: Path) -> None:
    server = Seamless(balance=500)
    workspace = open_workspace(tmp_path, server)
    port = LeadsPort(workspace)

    async def flow() -> None:
        before = port.connection_state()
        assert not before.connected and before.problem is None
        assert not port.connected and port.credits is None and port.queue is None
        assert port.meter() is None and port.set_daily_budget(5) is None
        with pytest.raises(LeadsNotConnected):
            port.new_search(ContactSearch(), 25)

        settings = SeamlessSettings(base_url=URL)
        await port.connection.save(settings, GOOD)
        await settled(port)
        opened = port.connection_state()
        assert opened != before and opened.connected and port.connected
        assert port.settings == settings and not port.is_demo
        meter = port.meter()
        assert meter is not None and meter.balance == 500
        sent = len(server.requests)
        pager = port.new_search(ContactSearch(), 25)
        assert pager.page_size == 25 and pager.can_fetch_more
        assert len(server.requests) == sent  # a search is sent only when a page is asked for

        changed = port.set_daily_budget(30)
        assert changed is not None and changed.id == settings.id
        assert port.credits is not None and port.credits.daily_budget == 30
        saved = json.loads(workspace.profiles.path.read_text())
        assert saved["seamless"]["daily_budget"] == 30
        assert port.connection_state() == opened  # the budget does not reconnect

        # A refused key: the problem is on the state.
        await workspace.connect_seamless(settings, "slk_test_wrong")
        await settled(port)
        refused = port.connection_state()
        assert refused.problem and "did not accept" in refused.problem
        assert refused.client_id != opened.client_id
        port.resume_queue()
        await workspace.shutdown(2)

    asyncio.run(flow())


def test_a_budget_that_cannot_be_saved_still_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Seamless()
    workspace = open_workspace(tmp_path, server)
    port = LeadsPort(workspace)

    async def flow() -> None:
        await port.connection.save(SeamlessSettings(base_url=URL), GOOD)

        def refuse() -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(workspace.profiles, "save", refuse)
        with pytest.raises(PreferencesNotSaved):
            port.set_daily_budget(9)
        assert port.credits is not None and port.credits.daily_budget == 9
        await workspace.shutdown(2)

    asyncio.run(flow())


def test_saved_searches_through_the_port_and_never_written_by_the_demo(tmp_path: Path) -> None:
    server = Seamless()
    workspace = open_workspace(tmp_path / "own", server)
    port = LeadsPort(workspace)
    saved = port.save_search("Sales", "people", {"department": ["Sales"]})
    assert port.find_search(saved.id) == saved
    assert [s.id for s in port.saved_searches("people")] == [saved.id]
    assert port.saved_searches("companies") == []
    assert port.rename_search(saved.id, "Sales VPs")
    stored = json.loads(workspace.profiles.path.read_text())["saved_searches"]
    assert [s["name"] for s in stored] == ["Sales VPs"]
    assert port.delete_search(saved.id) and port.saved_searches("people") == []
    asyncio.run(workspace.shutdown(2))

    demo = open_workspace(tmp_path / "demo", server, persist=False)
    demo_port = LeadsPort(demo)
    demo_port.save_search("Demo", "people", {})
    assert [s.name for s in demo_port.saved_searches("people")] == ["Demo"]
    assert not demo.profiles.path.exists()
    asyncio.run(demo.shutdown(2))


def test_without_a_seedly_connection_there_is_nowhere_to_push(tmp_path: Path) -> None:
    workspace = open_workspace(tmp_path, Seamless())
    port = LeadsPort(workspace)
    assert not port.crm_open and port.sub_accounts() == []
    assert port.open_sub_account_id() is None

    async def flow() -> None:
        with pytest.raises(NotActive):
            await port.push("sub-1", [])
        await workspace.shutdown(2)

    asyncio.run(flow())
    assert JobState.DONE in TERMINAL_JOB_STATES and JobState.POLLING not in TERMINAL_JOB_STATES
