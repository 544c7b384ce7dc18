"""The merged Inbox (All sub-accounts) under a switch race, against the sandbox: 240 opens
of rows picked from the merged list while polls are in flight, each making the row's
owner the session's sub-account; replies written in some of those threads. Nothing is
attributed to the wrong sub-account: every merged row is its owner's conversation on the
server, every open lands in the owner, a composer left behind has no sender any more,
and every reply lands in its owner's conversation on the server and nowhere else."""

from __future__ import annotations

import asyncio
import random
import uuid
from pathlib import Path
from typing import Any

import pytest

from app.api.seedly import SeedlyClient
from app.services.bus import ConversationsChanged, EventBus
from app.services.ports.inbox import InboxPort
from app.services.session import PollPlan
from app.services.workspace import Workspace
from app.settings.paths import AppPaths
from app.settings.profiles import Profile, ProfileStore
from app.settings.secrets import Secrets, SessionSecrets, account_name
from app.storage import Database
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(300)

OPENS = 240
REPLY_EVERY = 12
FAST = PollPlan(
    inbox=(0.02, 0.02),
    thread=(0.02, 0.02),
    contacts=(0.05, 0.05),
    appointments=(0.2, 0.2),
    reconcile=0.5,
)


async def _server_conversations(box: Sandbox, index: int) -> set[str]:
    client = SeedlyClient(box.url, box.sub_key(index))
    ids = {c.id async for c in client.iter_conversations(limit=200)}
    await client.aclose()
    return ids


async def _server_bodies(box: Sandbox, index: int, conversation_id: str) -> list[str]:
    client = box.client(box.sub_key(index))
    answer = client.get(f"/api/v1/conversations/{conversation_id}/messages", params={"limit": 100})
    if answer.status_code == 404:
        return []
    return [str(m.get("bodyText") or "") for m in answer.json()["data"]]


async def _race(box: Sandbox, home: Path) -> dict[str, Any]:
    paths = AppPaths.under(home).ensure()
    db = Database.open(home / "cache.sqlite3")
    store = ProfileStore(home / "profiles.json")
    profile = Profile(name="Agency", deployment_url=box.url, key_kind="agency")
    store.upsert(profile)
    secrets = Secrets(persistent=SessionSecrets())
    secrets.save(account_name(profile.id), box.info["agency_key"])
    workspace = Workspace(paths, db, store, secrets, EventBus(), plan=FAST, persist=False)
    port = InboxPort(workspace)
    subs = box.sub_ids
    server = {sub: await _server_conversations(box, i) for i, sub in enumerate(subs)}
    await workspace.activate(profile.id)
    # Each sub-account opened once: its cache holds its conversations.
    for sub in [*subs[1:], subs[0]]:
        await workspace.switch_sub_account(sub)
        state = workspace.db.partition(box.url, sub).state
        for _ in range(300):
            if state.get_state("conversations_full_ms"):
                break
            await asyncio.sleep(0.05)
    workspace.all_sub_accounts = True
    assert port.all_mode()

    wrong_rows: list[str] = []
    wrong_opens: list[str] = []
    stale_senders: list[str] = []
    late_events: list[str] = []
    replies: list[tuple[str, str, str]] = []

    def after_switch(event: ConversationsChanged) -> None:
        # A change event names its partition; the merged list takes every member's, but
        # one of a sub-account that is not a member would be a leak.
        if event.scope.sub_account_id not in subs:
            late_events.append(event.scope.sub_account_id)

    stop = workspace.bus.subscribe(ConversationsChanged, after_switch)
    rng = random.Random(18)
    previous_reader = None
    previous_owner: str | None = None
    for i in range(OPENS):
        merged = port.merged_reader()
        assert merged is not None
        offset = rng.randrange(0, max(1, merged.count() - 20))
        rows = await asyncio.to_thread(merged.conversations, limit=20, offset=offset)
        for row in rows:
            owner, cid = row.member.sub_account_id, str(row.doc["id"])
            if cid not in server[owner]:
                wrong_rows.append(f"{cid} listed under {owner}")
        if not rows:
            continue
        row = rng.choice(rows)
        owner, cid = row.member.sub_account_id, str(row.doc["id"])
        if rng.random() < 0.3:
            # Two opens in a row without waiting: the later one must win.
            decoy = rng.choice(subs)
            asyncio.get_running_loop().create_task(port.open_owner(decoy))
            await asyncio.sleep(0)
        assert await port.open_owner(owner) == "opened"
        scope = port.scope()
        reader = port.reader()
        if scope is None or scope.sub_account_id != owner or reader is None:
            wrong_opens.append(f"{cid} of {owner} opened in {scope}")
            continue
        if reader.conversation(cid) is None:
            wrong_opens.append(f"{cid} of {owner} not in the opened partition")
        port.open_conversation(cid)  # its thread is polled fast, like an open thread
        # A composer still bound to the sub-account left behind cannot send.
        left_behind = previous_reader is not None and previous_owner != owner
        if left_behind and port.sender(previous_reader) is not None:
            stale_senders.append(f"{previous_owner} still had a sender in {owner}")
        previous_reader, previous_owner = reader, owner
        if i % REPLY_EVERY == 0 and row.doc.get("channel") == "sms":
            sender = port.sender(reader)
            assert sender is not None
            text = f"race reply {i} {uuid.uuid4().hex[:6]}"
            sender.compose(cid, {"bodyText": text, "channel": "sms"})
            replies.append((owner, cid, text))
        await asyncio.sleep(rng.uniform(0.0, 0.02))
    stop()
    # Let every sub-account's sender finish what was queued in it.
    for sub in subs:
        await workspace.switch_sub_account(sub)
        outbox = workspace.db.partition(box.url, sub).outbox
        for _ in range(400):
            if not outbox.pending():
                break
            await asyncio.sleep(0.05)
    requests = workspace.session.client.transport.requests_sent if workspace.session else 0
    await workspace.shutdown()
    db.close()
    return {
        "wrong_rows": wrong_rows,
        "wrong_opens": wrong_opens,
        "stale_senders": stale_senders,
        "late_events": late_events,
        "replies": replies,
        "requests": requests,
        "owners": {o for o, _c, _t in replies},
    }


def test_the_merged_view_never_attributes_to_the_wrong_sub_account(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    result = asyncio.run(_race(sandbox, tmp_path))
    assert result["wrong_rows"] == []
    assert result["wrong_opens"] == []
    assert result["stale_senders"] == []
    assert result["late_events"] == []
    assert result["requests"] >= OPENS, "polls must have been in flight during the opens"
    replies = result["replies"]
    assert len(replies) >= 5, "replies must have been written during the race"
    subs = sandbox.sub_ids
    misplaced: list[str] = []
    for owner, cid, text in replies:
        index = subs.index(owner)
        if text not in asyncio.run(_server_bodies(sandbox, index, cid)):
            misplaced.append(f"{text!r} not in {cid} of {owner}")
        for other_index, other in enumerate(subs):
            if other != owner and text in asyncio.run(_server_bodies(sandbox, other_index, cid)):
                misplaced.append(f"{text!r} also in {cid} of {other}")
    assert misplaced == []
    print(
        f"\nagency race: {OPENS} opens from the merged list, {len(replies)} replies "
        f"(owners {sorted(result['owners'])}), {result['requests']} requests, 0 misattributed"
    )
