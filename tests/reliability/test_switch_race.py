"""200 sub-account switches while polls are in flight: nothing of one shows under another."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from app.api.seedly import SeedlyClient
from app.services.bus import (
    ContactsChanged,
    ConversationsChanged,
    EventBus,
    MessagesChanged,
    SessionChanged,
)
from app.services.session import PollPlan, Session
from app.storage import Database
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(300)

SWITCHES = 200
FAST = PollPlan(
    inbox=(0.02, 0.02),
    thread=(0.02, 0.02),
    contacts=(0.02, 0.02),
    appointments=(0.05, 0.05),
    reconcile=0.3,
)


async def _server_ids(box: Sandbox, index: int) -> tuple[set[str], set[str]]:
    client = SeedlyClient(box.url, box.sub_key(index))
    contacts = {c.id async for c in client.iter_contacts(limit=100)}
    conversations = {c.id async for c in client.iter_conversations(limit=200)}
    await client.aclose()
    return contacts, conversations


async def _race(box: Sandbox, db_path: Path) -> dict[str, Any]:
    db = Database.open(db_path)
    bus = EventBus()
    client = SeedlyClient(box.url, box.info["agency_key"])
    session = Session(db, bus, client, profile_id="race", deployment=box.url, plan=FAST)
    leaks: list[str] = []
    seen_scopes: set[str] = set()

    def check(event: Any) -> None:
        # Whatever a view receives must belong to the sub-account active right now.
        seen_scopes.add(event.scope.sub_account_id)
        if event.scope != session.scope_key:
            leaks.append(
                f"{type(event).__name__} of {event.scope.sub_account_id} while "
                f"{session.scope_key.sub_account_id if session.scope_key else None} is active"
            )

    for event_type in (ContactsChanged, ConversationsChanged, MessagesChanged):
        bus.subscribe(event_type, check)
    switches: list[SessionChanged] = []
    bus.subscribe(SessionChanged, switches.append)

    rng = random.Random(7)
    subs = box.sub_ids
    for i in range(SWITCHES):
        await session.switch(subs[i % len(subs)])
        if i % 10 == 0:
            # Open a thread now and then, so thread polls are in flight too.
            page = session.partition.conversations.list_conversations(limit=1)  # type: ignore[union-attr]
            if page:
                session.open_conversation(page[0]["id"])
        await asyncio.sleep(rng.uniform(0.0, 0.03))
    requests_during_race = client.transport.requests_sent
    # Then let each sub-account settle once, so both partitions hold data to check.
    for sub in subs:
        await session.switch(sub)
        await asyncio.sleep(1.5)
    await session.close()
    stored = {}
    for index, sub in enumerate(subs):
        part = db.partition(box.url, sub)
        stored[index] = (part.contacts.all_ids(), part.conversations.all_conversation_ids())
    db.close()
    await client.aclose()
    return {
        "leaks": leaks,
        "stored": stored,
        "switches": len(switches),
        "scopes": seen_scopes,
        "requests": requests_during_race,
    }


def test_switching_never_mixes_sub_accounts(sandbox: Sandbox, tmp_path: Path) -> None:
    result = asyncio.run(_race(sandbox, tmp_path / "cache.sqlite3"))
    assert result["switches"] == SWITCHES + len(sandbox.sub_ids)
    assert result["requests"] >= SWITCHES, "polls must have been in flight during the switches"
    assert result["leaks"] == []
    assert result["scopes"] == set(sandbox.sub_ids), "both sub-accounts must have received data"
    for index in range(len(sandbox.sub_ids)):
        contacts, conversations = asyncio.run(_server_ids(sandbox, index))
        stored_contacts, stored_conversations = result["stored"][index]
        assert stored_contacts, f"sub-account {index} synced nothing"
        assert stored_contacts <= contacts, (
            "a contact of another sub-account leaked into this partition"
        )
        assert stored_conversations <= conversations
    print(
        f"\nswitch race: {SWITCHES} switches, {result['requests']} requests in flight, 0 leaks; "
        "cached contacts "
        f"{[len(result['stored'][i][0]) for i in result['stored']]}"
    )
