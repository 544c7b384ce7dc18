"""ConversationService against a real sandbox: every action is checked on the server."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.api.seedly import SeedlyClient
from app.core.errors import ValidationFailed
from app.services.bus import ConversationsChanged, EventBus, Recorder, ScopeKey
from app.services.conversations import ConversationService
from app.storage import Database
from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox

pytestmark = pytest.mark.timeout(120)

HARBOR_TEAM = ("usr_ana_ortiz", "usr_ben_carter")


def _contact(http: httpx.Client) -> str:
    r = http.post(
        "/api/v1/contacts",
        json={
            "firstName": "Iris",
            "lastName": "Service",
            "email": f"iris.{uuid.uuid4().hex[:10]}@example.com",
            "phone": f"+1617{uuid.uuid4().int % 10_000_000:07d}",
        },
    )
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


def _server(http: httpx.Client, conversation_id: str) -> dict[str, Any]:
    r = http.get(f"/api/v1/conversations/{conversation_id}")
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


class Clock:
    """Our side of time, moved together with the sandbox's clock."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _service(
    box: Sandbox, db: Database, clock: Any = None
) -> tuple[ConversationService, SeedlyClient, Recorder]:
    client = SeedlyClient(box.url, box.sub_key(0))
    sub = box.sub_ids[0]
    bus = EventBus()
    recorder = Recorder().attach(bus, ConversationsChanged)
    options = {"clock": clock} if clock is not None else {}
    service = ConversationService(
        db.partition(box.url, sub), client, bus, ScopeKey(box.url, sub), **options
    )
    return service, client, recorder


def test_actions_reach_the_server(sandbox: Sandbox, tmp_path: Path) -> None:
    http = sandbox.client()
    contact_id = _contact(http)

    async def scenario() -> None:
        with Database.open(tmp_path / "c.db") as db:
            service, client, recorder = _service(sandbox, db)
            cid = await service.start_conversation(contact_id, "sms")
            assert _server(http, cid)["status"] == "open"
            await service.close(cid)
            assert _server(http, cid)["status"] == "closed"
            await service.reopen(cid)
            assert _server(http, cid)["status"] == "open"
            await service.assign(cid, HARBOR_TEAM[1])
            assert _server(http, cid)["assignedTo"] == HARBOR_TEAM[1]
            cached = service.partition.conversations.get_conversation(cid)
            assert cached is not None and cached["assignedTo"] == HARBOR_TEAM[1]
            assert cached["contact"]["firstName"] == "Iris"
            await service.unassign(cid)
            assert _server(http, cid)["assignedTo"] is None
            with pytest.raises(ValidationFailed) as info:
                await service.assign(cid, "usr_not_on_the_team")
            assert "not a team member" in info.value.user_message
            assert len(recorder.of(ConversationsChanged)) == 5
            report = await service.bulk("close", [cid, "conv_does_not_exist"])
            assert report.changed == [cid] and report.failed[0][0] == "conv_does_not_exist"
            assert "no longer exists" in report.summary()
            assert _server(http, cid)["status"] == "closed"
            await client.aclose()

    asyncio.run(scenario())


def test_start_conversation_returns_the_existing_open_one(sandbox: Sandbox, tmp_path: Path) -> None:
    http = sandbox.client()
    contact_id = _contact(http)

    async def scenario() -> None:
        with Database.open(tmp_path / "c.db") as db:
            service, client, _ = _service(sandbox, db)
            first = await service.start_conversation(contact_id, "email", "Your estimate")
            again = await service.start_conversation(contact_id, "email", "Another subject")
            assert again == first
            assert _server(http, first)["subject"] == "Your estimate"
            other = await service.start_conversation(contact_id, "sms")
            assert other != first
            # A closed conversation is history: starting again opens a new one.
            await service.close(other)
            assert await service.start_conversation(contact_id, "sms") not in (other, first)
            await client.aclose()

    asyncio.run(scenario())


def test_a_snoozed_conversation_reopens_after_its_time(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    # A sandbox of its own: moving the clock must not disturb the shared one.
    box: Sandbox = sandbox_factory("--seed", "empty", *GENEROUS_LIMITS)
    http = box.client()
    contact_id = _contact(http)
    server_now = box.control("POST", "clock/advance", json={"ms": 0})["now"]
    clock = Clock(_epoch(server_now))

    async def scenario() -> None:
        with Database.open(tmp_path / "c.db") as db:
            service, client, _ = _service(box, db, clock)
            cid = await service.start_conversation(contact_id, "sms")
            await service.snooze(cid, int(clock.now * 1000) + 3_600_000)
            assert _server(http, cid)["status"] == "snoozed"
            assert await service.wake_due() == []
            box.control("POST", "clock/advance", json={"ms": 3_601_000})
            clock.now += 3_601
            assert await service.wake_due() == [cid]
            server = _server(http, cid)
            assert server["status"] == "open"
            # The reopening PATCH happened after the wake-up time, in the server's time too.
            assert _epoch(server["updatedAt"]) >= clock.now - 5
            assert service.snoozed_until(cid) is None
            await client.aclose()

    asyncio.run(scenario())


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
