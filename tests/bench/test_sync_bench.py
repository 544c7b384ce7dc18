"""Sync figures: full sync cost, idle polling rate, longest event-loop stall during sync."""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path
from typing import Any

import pytest

from app.api.seedly import SeedlyClient
from app.services.bus import EventBus, ScopeKey
from app.services.session import Session
from app.services.sync import SyncService
from app.storage import Database
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(600)


class Heartbeat:
    """A 10 ms ticker on the loop; the longest lateness is the longest stall."""

    def __init__(self, period: float = 0.010) -> None:
        self.period = period
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(self.period)
            self.worst = max(self.worst, time.perf_counter() - start - self.period)

    def __enter__(self) -> Heartbeat:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._task is not None
        self._task.cancel()


def test_full_sync_of_the_large_sub_account(sandbox: Sandbox, tmp_path: Path) -> None:
    async def run() -> None:
        db = Database.open(tmp_path / "bench.sqlite3")
        client = SeedlyClient(sandbox.url, sandbox.sub_key(0))
        sub = sandbox.sub_ids[0]
        sync = SyncService(
            db.partition(sandbox.url, sub), client, EventBus(), ScopeKey(sandbox.url, sub)
        )
        total = (await client.list_contacts(limit=1)).meta.total
        conversations = (await client.list_conversations(limit=1)).meta.total
        with Heartbeat() as beat:
            start = time.perf_counter()
            await sync.full_contacts()
            contacts_s = time.perf_counter() - start
            before = sync.requests
            start = time.perf_counter()
            await sync.full_conversations()
            conversations_s = time.perf_counter() - start
        minimum = 1 + math.ceil(total / 100)
        print(f"\nBENCH full_sync_contacts_count={total} contacts")
        print(f"BENCH full_sync_contacts_requests={before} requests")
        print(f"BENCH full_sync_contacts_min_requests={minimum} requests")
        print(f"BENCH full_sync_contacts_seconds={contacts_s:.2f} s")
        print(
            f"BENCH full_sync_conversations_requests={sync.requests - before} requests "
            f"(minimum {math.ceil(conversations / 200)})"
        )
        print(f"BENCH full_sync_conversations_seconds={conversations_s:.2f} s")
        print(f"BENCH sync_longest_loop_stall={beat.worst * 1000:.1f} ms")
        await client.aclose()
        db.close()

    asyncio.run(run())


def test_idle_polling_rate(sandbox: Sandbox, tmp_path: Path) -> None:
    async def run() -> None:
        db = Database.open(tmp_path / "idle.sqlite3")
        client = SeedlyClient(sandbox.url, sandbox.info["agency_key"])
        session = Session(db, EventBus(), client, profile_id="bench", deployment=sandbox.url)
        await session.switch(sandbox.sub_ids[1])
        await asyncio.sleep(5)  # first sync done
        assert session.scheduler is not None
        session.scheduler.set_activity(idle=True)
        sent = client.transport.requests_sent
        window = 120.0
        await asyncio.sleep(window)
        measured = (client.transport.requests_sent - sent) * 60.0 / window
        print(f"\nBENCH idle_poll_requests_per_minute={measured:.1f} requests/min")
        print(
            f"BENCH idle_poll_planned_per_minute={session.scheduler.planned_per_minute():.2f} requests/min"
        )
        await session.close()
        await client.aclose()
        db.close()

    asyncio.run(run())
