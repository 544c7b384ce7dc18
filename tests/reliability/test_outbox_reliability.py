"""The outbox under faults: 500 messages, a flaky server, a sender killed again and again.

The sandbox runs with ``--faults 0.2``: a fifth of the requests fail with 500s,
dropped connections (before and after the server did the work), timeouts
after the work, slow answers and spurious 429s. Meanwhile the sender task is
cancelled mid-flight and the database closed and reopened several times, as a
crash would. Afterwards every message must exist on the server exactly once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from app.api.seedly import SeedlyClient
from app.api.transport import RetryPolicy, Timeouts
from app.services.bus import EventBus, ScopeKey
from app.services.outbox import OutboxSender
from app.storage import Database, OutboxState
from tests.support.sandbox_process import GENEROUS_LIMITS, Sandbox

pytestmark = pytest.mark.timeout(600)

MESSAGES = 500
CONVERSATIONS = 5
RESTARTS = 6


async def _run(box: Sandbox, db_path: Path) -> dict[str, Any]:
    sub = box.sub_ids[0]
    run_id = uuid.uuid4().hex[:8]
    client = SeedlyClient(
        box.url,
        box.sub_key(0),
        timeouts=Timeouts(read=1.5, write=1.5),
        retry=RetryPolicy(attempts=6, base_delay=0.05, max_delay=0.5),
    )
    # Setup without faults: the conversations the messages go to.
    box.control("PUT", "faults", json={"rate": 0})
    contacts = [
        c
        for c in (await client.list_contacts(limit=50)).data
        if c.email and "bounce" not in c.email and "fail" not in c.email
    ][:CONVERSATIONS]
    conversations = [
        (await client.create_conversation(c.id, "email", subject="Reliability")).id
        for c in contacts
    ]
    box.control("PUT", "faults", json={"rate": 0.2, "timeoutSeconds": 3, "slowSeconds": 0.3})
    faults_before = box.control("GET", "stats").get("faults", 0)

    scope = ScopeKey(box.url, sub)
    bus = EventBus()
    db = Database.open(db_path)
    partition = db.partition(box.url, sub)
    sender = OutboxSender(
        partition.outbox, client, bus, scope, reconcile_delay=2.0, retry_delay=0.2
    )
    bodies = []
    for i in range(MESSAGES):
        body = f"reliability {run_id} #{i}"
        bodies.append(body)
        sender.compose(
            conversations[i % CONVERSATIONS],
            {"bodyText": body, "channel": "email", "subject": f"Run {run_id}"},
        )

    restarts = 0
    stats: Counter[str] = Counter()
    deadline = time.monotonic() + 420
    while time.monotonic() < deadline:
        task = asyncio.create_task(sender.run())
        await asyncio.sleep(2.5 if restarts < RESTARTS else 5.0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        stats.update(sender.stats)
        if restarts < RESTARTS:
            # A crash: the process dies with sends in flight; the file is reopened.
            restarts += 1
            db.close()
            db = Database.open(db_path)
            partition = db.partition(box.url, sub)
            sender = OutboxSender(
                partition.outbox, client, bus, scope, reconcile_delay=2.0, retry_delay=0.2
            )
            continue
        if not partition.outbox.pending():
            break
        sender = OutboxSender(
            partition.outbox, client, bus, scope, reconcile_delay=2.0, retry_delay=0.2
        )
    faults = box.control("GET", "stats").get("faults", 0) - faults_before
    box.control("PUT", "faults", json={"rate": 0})

    on_server: Counter[str] = Counter()
    for conversation_id in conversations:
        async for message in client.iter_messages(conversation_id, limit=100):
            if message.body_text and message.body_text.startswith(f"reliability {run_id} "):
                on_server[message.body_text] += 1
    all_states: Counter[str] = Counter()
    for conversation_id in conversations:
        all_states.update(str(i.state) for i in partition.outbox.items_for(conversation_id))
    db.close()
    await client.aclose()
    return {
        "bodies": bodies,
        "on_server": on_server,
        "faults": faults,
        "restarts": restarts,
        "stats": stats,
        "states": all_states,
    }


def test_every_message_arrives_exactly_once(sandbox_factory: Any, tmp_path: Path) -> None:
    box: Sandbox = sandbox_factory("--seed", "demo", "--faults", "0.2", *GENEROUS_LIMITS)
    result = asyncio.run(_run(box, tmp_path / "cache.sqlite3"))
    on_server: Counter[str] = result["on_server"]
    lost = sum(1 for b in result["bodies"] if on_server[b] == 0)
    duplicated = sum(on_server[b] - 1 for b in result["bodies"] if on_server[b] > 1)
    sent = sum(1 for b in result["bodies"] if on_server[b] >= 1)
    print(
        f"\noutbox: {sent} sent, {lost} lost, {duplicated} duplicated, "
        f"{result['faults']} faults injected ({result['restarts']} restarts; "
        f"sender stats {dict(result['stats'])}; states {dict(result['states'])})"
    )
    assert result["faults"] > 50, "the run must actually meet faults"
    assert result["restarts"] == RESTARTS
    assert lost == 0 and duplicated == 0
    assert set(result["states"]) <= {
        str(OutboxState.SENT),
        str(OutboxState.DELIVERED),
        str(OutboxState.READ),
    }
    assert sum(result["states"].values()) == MESSAGES
