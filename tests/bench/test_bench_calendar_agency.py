"""Figures of the Calendar's merged week ("All sub-accounts"; printed as ``BENCH
name=value unit``; no timing asserted).

- First paint: 5 sub-accounts × 400 appointments in the shown week (2,000 in all, 14,000 in
  the caches around it): from the tab getting the merged reader to the grid painted with
  every member's appointments and chips.
- Switching weeks back to back, every week read when asked for (nothing ahead).
- The event loop's longest gap meanwhile (a 10 ms timer), next to the same figure for one
  sub-account holding as many appointments: what merging adds to the GUI thread. (The
  workers' Python work competes for the GIL, so both include some of it.)

Run with ``.venv/bin/pytest tests/bench/test_bench_calendar_agency.py -s``.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtTest import QTest

from app.services.bus import EventBus, ScopeKey
from app.services.ports.calendar import CalendarPort, CalendarReader, split_key
from app.storage import Database, Partition
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.calendar.layout import local_time, week_days
from app.ui.calendar.tab import CalendarTab
from app.ui.calendar.texts import zone_or_none
from tests.support.areas import build_area
from tests.support.qt_loop import _no_quit_on_last_window, qloop, run

__all__ = ["_no_quit_on_last_window", "qloop", "run"]

pytestmark = pytest.mark.timeout(600)

ZONE = "America/New_York"
DEPLOYMENT = "https://crm.example.com"
MEMBERS = 5
PER_WEEK = 400
WEEKS_AROUND = 3
SWITCHES = 20


def bench(name: str, value: float, unit: str) -> None:
    print(f"BENCH {name}={value:.1f} {unit}")


def fill(part: Partition, monday: datetime, rng: random.Random, per_week: int = PER_WEEK) -> None:
    part.calendars.replace_calendars(
        [
            {"id": f"cal_{i}", "name": f"Calendar {i}", "type": "personal", "timezone": ZONE}
            for i in range(2)
        ]
    )
    docs = []
    for week in range(-WEEKS_AROUND, WEEKS_AROUND + 1):
        for i in range(per_week):
            day = monday + timedelta(days=7 * week + rng.randrange(7))
            start = day.replace(hour=8 + rng.randrange(10), minute=rng.choice([0, 15, 30, 45]))
            end = start + timedelta(minutes=rng.choice([15, 30, 60]))
            docs.append(
                {
                    # The same ids in every member: the merged view keeps them apart.
                    "id": f"appt_{week + WEEKS_AROUND}_{i:05d}",
                    "calendarId": f"cal_{rng.randrange(2)}",
                    "contactId": f"contact_{i}",
                    "title": f"Visit {i}",
                    "startTime": start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    "endTime": end.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    "status": "scheduled",
                    "contact": {"id": f"contact_{i}", "name": f"Person {i}"},
                }
            )
    part.calendars.upsert_appointments(docs)


async def painted(tab: CalendarTab) -> None:
    canvas = tab.grid.canvas
    while tab.period_loading() or canvas.painted_version != canvas.content_version:
        await asyncio.sleep(0)


def test_merged_week_first_paint_and_switching(
    tmp_path: Path, qloop: Any, run: Callable[..., Any]
) -> None:
    zone = zone_or_none(ZONE)
    assert zone is not None
    today = local_time(int(time.time() * 1000), zone).date()
    monday = datetime.combine(week_days(today)[0], datetime.min.time(), tzinfo=zone)
    db = Database.open(tmp_path / "bench.db")
    rng = random.Random(7)
    refs = [SimpleNamespace(id=f"sub_{n}", name=f"Client {n}") for n in range(MEMBERS)]
    parts = [db.partition(DEPLOYMENT, ref.id) for ref in refs]
    for part in parts:
        fill(part, monday, rng)
    single = db.partition(DEPLOYMENT, "sub_single")
    fill(single, monday, rng, MEMBERS * PER_WEEK)
    workspace = SimpleNamespace(
        active=SimpleNamespace(scope=ScopeKey(DEPLOYMENT, refs[0].id), partition=parts[0]),
        db=db,
        profile=SimpleNamespace(cache_key=DEPLOYMENT),
        all_sub_accounts=True,
        can_merge=lambda: True,
        merged_members=lambda: refs,
    )
    port = CalendarPort(workspace)  # type: ignore[arg-type]
    bridge = BusBridge(EventBus())
    tasks = TaskSet("bench", loop=qloop)
    tab = build_area(CalendarTab, port, bridge, tasks, zone_name=ZONE)
    tab.resize(1360, 860)
    tab.show()
    gaps: list[float] = []
    clock = QElapsedTimer()
    ticker = QTimer()
    ticker.setInterval(10)

    def tick() -> None:
        gaps.append(clock.restart())

    ticker.timeout.connect(tick)

    async def measure(reader: Any, label: str) -> None:
        tab.set_reader(None)
        tab.go_today()
        gaps.clear()
        clock.start()
        ticker.start()
        start = time.perf_counter()
        tab.set_reader(reader)
        await painted(tab)
        first = (time.perf_counter() - start) * 1000
        bench(f"calendar_{label}_week_first_paint", first, "ms")
        tab.grid.canvas.setFocus()
        rushed: list[float] = []
        for step in range(SWITCHES):
            tab.loader.invalidate()
            key = Qt.Key.Key_Right if (step // WEEKS_AROUND) % 2 == 0 else Qt.Key.Key_Left
            begin = time.perf_counter()
            QTest.keyClick(tab.grid.canvas, key)
            await painted(tab)
            rushed.append((time.perf_counter() - begin) * 1000)
        ticker.stop()
        p95 = statistics.quantiles(rushed, n=20)[-1]
        bench(f"calendar_{label}_week_switch_unread_p95", p95, "ms")
        # The first gap includes the start.
        bench(f"calendar_{label}_event_loop_longest_gap", max(gaps[1:], default=0.0), "ms")

    async def flow() -> None:
        await painted(tab)
        merged = port.merged_agenda()
        assert merged is not None
        await measure(merged, f"merged_{MEMBERS}x{PER_WEEK}")
        tab.go_today()
        await painted(tab)
        owners = {split_key(i)[0] for i in tab.visible_appointment_ids()}
        assert owners == {ref.id for ref in refs}
        assert len(tab.visible_appointment_ids()) >= MEMBERS * PER_WEEK * 0.9
        await measure(CalendarReader(single), f"single_{MEMBERS * PER_WEEK}")
        await tab.shutdown()
        await tasks.shutdown(5)

    try:
        run(flow(), timeout=300)
    finally:
        bridge.detach()
        tab.deleteLater()
        db.close()
