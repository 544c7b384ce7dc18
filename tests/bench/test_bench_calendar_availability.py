"""A week of free slots of one appointment type, at the sandbox's default rate limit (120
reads a minute per key), as the booking dialog loads it (``BookingService.week_slots``):

- ``availability_week_requests``: availability requests sent for the seven days (days the
  calendar's rules close cost none);
- ``availability_week_seconds``: from the call until the last day arrived, with a cold
  slot cache and the client's pacing;
- ``availability_week_cached_seconds``: the same week again (the slot cache answers).

Run with ``pytest tests/bench/test_bench_calendar_availability.py -s``.
"""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.storage import Database
from tests.support.booking import make_booker
from tests.support.sandbox_process import Sandbox

pytestmark = pytest.mark.timeout(300)


def test_a_week_of_availability(sandbox_factory: Any, tmp_path: Path) -> None:
    box: Sandbox = sandbox_factory("--seed", "demo")  # the default rate limits

    async def run() -> None:
        db = Database.open(tmp_path / "bench.sqlite3")
        booker = await make_booker(box, db, 0)
        kind = booker.type_of(booker.calendar("round_robin"))
        first = date.today() + timedelta(days=1)
        arrivals: list[float] = []
        start = time.perf_counter()
        week = await booker.service.week_slots(
            kind.id, first, 7, on_day=lambda _d: arrivals.append(time.perf_counter() - start)
        )
        seconds = time.perf_counter() - start
        requests = booker.service.requests
        again = time.perf_counter()
        await booker.service.week_slots(kind.id, first, 7)
        cached = time.perf_counter() - again
        assert booker.service.requests == requests  # the second week came from the cache
        slots = sum(len(d.slots) for d in week)
        print(f"\nBENCH availability_week_requests={requests} count")
        print(f"BENCH availability_week_seconds={seconds:.3f} s")
        print(f"BENCH availability_week_first_day_seconds={arrivals[0]:.3f} s")
        print(f"BENCH availability_week_cached_seconds={cached:.4f} s")
        print(f"BENCH availability_week_slots={slots} count")
        await booker.close()
        db.close()

    asyncio.run(run())
