"""Research 100 contacts and push them into a Seedly sub-account, against a sandbox with its
default rate limits (Seedly: 120 reads and 60 writes a minute per key; Seamless: 60
requests a minute per endpoint), through the services the Leads tab uses: the research
queue polls while ``ResearchPush`` adds each record to the CRM as it arrives.

Figures, measured side by side in one run:

- ``research_push_100_seconds``: wall time from the confirmed plan to the last contact
  created (research queue and poll, overlapped with ``LeadPusher``);
- ``research_push_100_min_seconds``: the least time the limits allow for the same work,
  from what this run's sandbox announced: its research time (every record finished,
  ``finishedWithinMs``) plus, for each rate budget, every full window its requests must
  wait for (``rate_limited_seconds`` of the limits in its ``X-RateLimit-*`` headers), the
  slowest budget deciding; ``research_push_100_ratio`` is the first over the second;
- ``research_push_100_429s``: 429 answers the sandbox gave (expected 0: pacing avoids them);
- ``research_push_100_requests``: HTTP requests to both APIs (retries included);
- ``research_push_100_loop_stall_ms``: the longest the event loop (the window's, in the
  app) was held while it ran (a 5 ms ticker's worst lateness);
- ``research_push_100_first_push_seconds``: when the first contact went to the CRM (the
  overlap: before the research ended).

Run with ``pytest tests/bench/test_research_bench.py -s``."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from app.api.seamless import SeamlessClient
from app.api.seedly import SeedlyClient
from app.services.bus import EventBus, ScopeKey
from app.services.contacts import ContactService
from app.services.credits import CreditLedger, account_key_id
from app.services.lead_push import LeadPusher
from app.services.research import ResearchQueue, rate_limited_seconds
from app.services.research_push import ResearchPush
from app.services.sync import SyncService
from app.storage import Database
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(600)

RECORDS = 100
TICK = 0.005


async def worst_stall(stop: asyncio.Event) -> float:
    """The longest a 5 ms sleep overslept until ``stop``: how long the loop was held."""
    worst = 0.0
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(TICK)
        worst = max(worst, loop.time() - before - TICK)
    return worst


def test_research_and_push_100_contacts(sandbox_factory: Any, tmp_path: Path) -> None:
    box: Sandbox = sandbox_factory("--seed", "empty")  # the default rate limits
    assert "seamless_url" in box.info, "the sandbox's ready line has no seamless_url"
    key = str(box.control("POST", "seamless/users", json={"credits": 10_000})["key"])
    rows = box.control("GET", f"seamless/outcomes?type=contacts&status=done&limit={RECORDS}")
    ids = [r["searchResultId"] for r in rows]
    assert len(ids) == RECORDS
    research_floor = box.control("GET", "seamless")["research"]["finishedWithinMs"] / 1000

    async def run() -> dict[str, float]:
        db = Database.open(tmp_path / "bench.sqlite3")
        bus = EventBus()
        url = str(box.info["seamless_url"])
        seamless = SeamlessClient(url, api_key=key)
        owner = account_key_id(url, api_key=key)
        ledger = db.research_ledger(owner)
        credits = CreditLedger(ledger, bus)
        credits.attach(seamless)
        queue = ResearchQueue(
            seamless, db.research_jobs(owner), ledger, credits, bus, poll_interval=2.0
        )
        seedly = SeedlyClient(box.url, box.sub_key(0))
        scope = ScopeKey(box.url, box.sub_ids[0])
        partition = db.partition(box.url, box.sub_ids[0])
        stats_before = box.control("GET", "stats")
        stop = asyncio.Event()
        stalls = asyncio.create_task(worst_stall(stop))

        start = time.perf_counter()
        start_mono = time.monotonic()
        [job] = queue.submit(queue.plan(ids))
        polling = asyncio.create_task(queue.drain(timeout=300))
        await SyncService(partition, seedly, bus, scope).sync_fields()
        pusher = LeadPusher(ContactService(partition, seedly, bus, scope))
        pipeline = ResearchPush(queue, pusher, bus, tag="bench")
        report = await pipeline.run([job], timeout=300)
        await polling
        elapsed = time.perf_counter() - start
        stop.set()
        stall = await stalls

        assert len(report.created) == RECORDS, report.summary()
        assert pipeline.first_push_at is not None and pipeline.research_ended_at is not None
        stats = box.control("GET", "stats")
        limited = sum(
            stats.get(name, 0) - stats_before.get(name, 0)
            for name in ("rate_limited", "seamless.rate_limited")
        )
        # The least the limits allow for this work: 100 creates (writes) and 101 reads (the
        # lookups and the custom fields) under the limits the sandbox announced in this run;
        # research needs one request per endpoint, far inside its limits.
        write = seedly.transport.budgets["write"].limit or 60
        read = seedly.transport.budgets["read"].limit or 120
        slowest = max(rate_limited_seconds(RECORDS, write), rate_limited_seconds(RECORDS + 1, read))
        requests = seamless.requests_sent + seedly.transport.requests_sent
        await seamless.aclose()
        await seedly.aclose()
        db.close()
        return {
            "seconds": elapsed,
            "first_push": pipeline.first_push_at - start_mono,
            "requests": requests,
            "min_seconds": research_floor + slowest,
            "429s": limited,
            "stall_ms": stall * 1000,
        }

    figures = asyncio.run(run())
    ratio = figures["seconds"] / figures["min_seconds"]
    print()
    print(f"BENCH research_push_100_seconds={figures['seconds']:.1f} s")
    print(f"BENCH research_push_100_min_seconds={figures['min_seconds']:.1f} s")
    print(f"BENCH research_push_100_ratio={ratio:.2f}")
    print(f"BENCH research_push_100_429s={figures['429s']:.0f}")
    print(f"BENCH research_push_100_requests={figures['requests']:.0f} requests")
    print(f"BENCH research_push_100_loop_stall_ms={figures['stall_ms']:.0f} ms")
    print(f"BENCH research_push_100_first_push_seconds={figures['first_push']:.1f} s")
    assert figures["429s"] == 0
