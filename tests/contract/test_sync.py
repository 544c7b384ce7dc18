"""Sync and session services against a sandbox process: cache in step, keys, stale work."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from app.api.seedly import SeedlyClient
from app.services.bus import ContactsChanged, EventBus, KeyProblem, Recorder, ScopeKey
from app.services.session import PollPlan, Session
from app.services.sync import Stale, SyncService
from app.storage import ConversationFilters, Database
from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox

pytestmark = pytest.mark.timeout(180)


def _service(
    box: Sandbox, db: Database, index: int = 1
) -> tuple[SyncService, SeedlyClient, Recorder]:
    client = SeedlyClient(box.url, box.sub_key(index))
    bus = EventBus()
    recorder = Recorder().attach(bus, ContactsChanged)
    sub = box.sub_ids[index]
    sync = SyncService(db.partition(box.url, sub), client, bus, ScopeKey(box.url, sub))
    return sync, client, recorder


def test_full_then_incremental_then_reconcile(sandbox_factory: Any, tmp_path: Path) -> None:
    box: Sandbox = sandbox_factory("--seed", "demo", *GENEROUS_LIMITS)

    async def run() -> None:
        db = Database.open(tmp_path / "c.sqlite3")
        sync, client, recorder = _service(box, db)
        total = (await client.list_contacts(limit=1)).meta.total
        assert await sync.full_contacts() == total
        assert sync.partition.contacts.count() == total
        assert len(sync.partition.custom_fields.fields()) == 8
        full_requests = sync.requests
        assert full_requests == 1 + -(-total // 100)  # fields + the minimum number of pages

        # Incremental: one change on the server costs one page, not a full walk.
        email = f"sync.{uuid.uuid4().hex[:8]}@example.com"
        made = await client.create_contact(
            {
                "firstName": "Sync",
                "lastName": "New",
                "email": email,
                "customFields": {"property_type": "Commercial"},
            }
        )
        before = sync.requests
        assert await sync.refresh_contacts() >= 1
        assert sync.requests - before == 1
        assert sync.partition.contacts.get(made.id)["email"] == email
        await client.update_contact(made.id, {"title": "Owner"})
        await sync.refresh_contacts()
        assert sync.partition.contacts.get(made.id)["title"] == "Owner"
        assert any(made.id in e.ids for e in recorder.of(ContactsChanged))

        # Deletions are only noticed by a full walk.
        await client.delete_contact(made.id)
        await sync.refresh_contacts()
        await sync.full_contacts()
        assert sync.partition.contacts.get(made.id) is None
        assert any(made.id in e.deleted for e in recorder.of(ContactsChanged))
        await client.aclose()
        db.close()

    asyncio.run(run())


def test_conversations_threads_and_appointments(sandbox_factory: Any, tmp_path: Path) -> None:
    box: Sandbox = sandbox_factory("--seed", "demo", *GENEROUS_LIMITS)

    async def run() -> None:
        db = Database.open(tmp_path / "c.sqlite3")
        sync, client, _ = _service(box, db)
        n = await sync.full_conversations()
        everything = ConversationFilters(include_archived=True)
        assert n == sync.partition.conversations.count_conversations(filters=everything) >= 60
        # An inbound message arrives: the incremental refresh brings that conversation.
        conv = sync.partition.conversations.list_conversations(limit=5)[-1]
        box.control(
            "POST",
            "inbound",
            json={
                "subAccountId": box.sub_ids[1],
                "conversationId": conv["id"],
                "bodyText": "sync test inbound",
            },
        )
        changed = await sync.refresh_conversations()
        assert conv["id"] in changed
        # The thread: newest page, then older pages until the start.
        docs = await sync.refresh_thread(conv["id"])
        assert docs[0]["bodyText"] == "sync test inbound"
        while await sync.load_older(conv["id"]):
            pass
        server_total = len([m async for m in client.iter_messages(conv["id"])])
        assert sync.partition.messages.count_messages(conv["id"]) == server_total
        assert await sync.refresh_appointments() > 0
        await sync.refresh_calendars()
        assert sync.partition.calendars.calendars()
        await client.aclose()
        db.close()

    asyncio.run(run())


def test_stale_results_are_dropped(sandbox: Sandbox, tmp_path: Path) -> None:
    async def run() -> None:
        db = Database.open(tmp_path / "c.sqlite3")
        client = SeedlyClient(sandbox.url, sandbox.sub_key(1))
        sub = sandbox.sub_ids[1]
        current = True
        sync = SyncService(
            db.partition(sandbox.url, sub),
            client,
            EventBus(),
            ScopeKey(sandbox.url, sub),
            is_current=lambda: current,
        )
        current = False
        with pytest.raises(Stale):
            await sync.full_contacts()
        assert sync.partition.contacts.count() == 0 and sync.partition.custom_fields.fields() == []
        await client.aclose()
        db.close()

    asyncio.run(run())


def test_revoked_key_stops_polling_keeps_the_outbox_and_a_new_key_resumes(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    async def run() -> None:
        minted = sandbox.control("POST", "keys", json={"subAccountId": sandbox.sub_ids[1]})
        db = Database.open(tmp_path / "c.sqlite3")
        bus = EventBus()
        problems = Recorder().attach(bus, KeyProblem)
        client = SeedlyClient(sandbox.url, minted["key"])
        session = Session(
            db,
            bus,
            client,
            profile_id="p",
            deployment=sandbox.url,
            plan=PollPlan(inbox=(0.1, 0.1), contacts=(0.1, 0.1)),
        )
        await session.switch(sandbox.sub_ids[1])
        await asyncio.sleep(0.5)
        sandbox.control("POST", "keys/revoke", json={"key": minted["key"]})
        conv = session.partition.conversations.list_conversations(limit=1)[0]  # type: ignore[union-attr]
        item = session.sender.compose(
            conv["id"], {"bodyText": "kept while revoked", "channel": "sms"}
        )  # type: ignore[union-attr]
        for _ in range(50):
            if problems.of(KeyProblem):
                break
            await asyncio.sleep(0.1)
        assert len(problems.of(KeyProblem)) == 1
        assert problems.of(KeyProblem)[0].code == "KEY_REVOKED"
        assert "revoked" in problems.of(KeyProblem)[0].message.lower()
        assert session.scheduler.paused_reason  # type: ignore[union-attr]
        await asyncio.sleep(0.5)
        assert len(problems.of(KeyProblem)) == 1, "one event, not one per poll"
        kept = session.partition.outbox.get(item.client_id)  # type: ignore[union-attr]
        assert kept is not None and kept.pending
        fresh = sandbox.control("POST", "keys", json={"subAccountId": sandbox.sub_ids[1]})
        await session.replace_key(fresh["key"])
        for _ in range(100):
            done = session.partition.outbox.get(item.client_id)  # type: ignore[union-attr]
            if done is not None and not done.pending:
                break
            await asyncio.sleep(0.1)
        assert str(done.state) in ("sent", "delivered")  # type: ignore[union-attr]
        await session.close()
        await client.aclose()
        db.close()

    asyncio.run(run())
