"""Figures of the Calendar tab's week view (printed as ``BENCH name=value unit``; no timing
asserted).

- First paint: 2,000 appointments in the shown week (14,000 in the cache around it): from
  the tab getting its sub-account to the grid painted with them (the read on the worker,
  the layout, the paint).
- Switching weeks: the next/previous week with 2,000 appointments each, pressed at a
  brisk human pace (the neighbours are read ahead meanwhile), and back to back with no
  pause (each week read when asked for): each from the key press to the grid painted.

Run with ``.venv/bin/pytest tests/bench/test_bench_calendar_views.py -s``.
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
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.services.bus import EventBus, ScopeKey
from app.services.ports.calendar import CalendarPort
from app.storage import Database, Partition
from app.ui.async_qt import BusBridge, TaskSet
from app.ui.calendar.layout import day_range_ms, local_time, week_days
from app.ui.calendar.tab import CalendarTab
from app.ui.calendar.texts import zone_or_none
from tests.support.areas import build_area
from tests.support.qt_loop import _no_quit_on_last_window, qloop, run

__all__ = ["_no_quit_on_last_window", "qloop", "run"]

pytestmark = pytest.mark.timeout(600)

ZONE = "America/New_York"
DEPLOYMENT = "https://crm.example.com"
PER_WEEK = 2000
WEEKS_AROUND = 3
SWITCHES = 30
NAMES = ["Ana Lima", "Ben Otto", "Cy Pratt", "Di Moss", "Eve Stone", "Fay Wong", "Gus Hale"]
STATUSES = ["scheduled", "scheduled", "confirmed", "completed", "no_show", "cancelled"]


def bench(name: str, value: float, unit: str) -> None:
    print(f"BENCH {name}={value:.1f} {unit}")


def fill_weeks(part: Partition, monday: datetime, rng: random.Random) -> None:
    zone = zone_or_none(ZONE)
    assert zone is not None
    part.calendars.replace_calendars(
        [
            {"id": f"cal_{i}", "name": f"Calendar {i}", "type": "personal", "timezone": ZONE}
            for i in range(4)
        ]
    )
    docs = []
    for week in range(-WEEKS_AROUND, WEEKS_AROUND + 1):
        for i in range(PER_WEEK):
            day = monday + timedelta(days=7 * week + rng.randrange(7))
            start = day.replace(hour=8 + rng.randrange(10), minute=rng.choice([0, 15, 30, 45]))
            end = start + timedelta(minutes=rng.choice([15, 30, 45, 60, 90]))
            name = rng.choice(NAMES)
            docs.append(
                {
                    "id": f"appt_{week + WEEKS_AROUND}_{i:05d}",
                    "calendarId": f"cal_{rng.randrange(4)}",
                    "appointmentTypeId": None,
                    "contactId": f"contact_{i}",
                    "title": f"Visit – {name}",
                    "startTime": start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    "endTime": end.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    "status": rng.choice(STATUSES),
                    "contact": {"id": f"contact_{i}", "name": name},
                }
            )
    part.calendars.upsert_appointments(docs)


async def painted(tab: CalendarTab) -> None:
    """Until the period shown is read and applied, and its grid painted (by the event loop,
    as on screen)."""
    canvas = tab.grid.canvas
    while tab.period_loading() or canvas.painted_version != canvas.content_version:
        await asyncio.sleep(0)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def test_week_view_first_paint_and_switching(
    tmp_path: Path, qloop: Any, run: Callable[..., Any]
) -> None:
    zone = zone_or_none(ZONE)
    assert zone is not None
    now = time.time()
    today = local_time(int(now * 1000), zone).date()
    monday = datetime.combine(week_days(today)[0], datetime.min.time(), tzinfo=zone)
    db = Database.open(tmp_path / "bench.db")
    part = db.partition(DEPLOYMENT, "sub_bench")
    fill_weeks(part, monday, random.Random(5))
    scope = ScopeKey(DEPLOYMENT, "sub_bench")
    workspace = SimpleNamespace(active=SimpleNamespace(scope=scope, partition=part), db=db)
    port = CalendarPort(workspace)  # type: ignore[arg-type]
    bridge = BusBridge(EventBus())
    tasks = TaskSet("bench", loop=qloop)
    tab = build_area(CalendarTab, port, bridge, tasks, zone_name=ZONE)
    tab.resize(1360, 860)
    tab.show()

    async def flow() -> None:
        await painted(tab)
        tab.set_reader(None)
        reader = port.reader()
        assert reader is not None
        # -- first paint: the tab gets the sub-account with 2,000 appointments this week
        start = time.perf_counter()
        tab.set_reader(reader)
        await painted(tab)
        first = (time.perf_counter() - start) * 1000
        shown = len(tab.visible_appointment_ids())
        days = tab.period_days()
        week = day_range_ms(days[0], days[-1], zone)
        in_week = len(reader.appointments_between(*week, include_cancelled=True))
        assert in_week >= PER_WEEK * 0.9 and shown > 0
        bench("calendar_week_first_paint_2000", first, "ms")
        print(
            f"  ({in_week} appointments overlap the week, {shown} shown without cancelled; "
            f"{tab.grid.canvas.painted_blocks} blocks painted in view)"
        )

        # -- switching weeks at a human pace: the neighbours are read ahead meanwhile
        tab.grid.canvas.setFocus()
        brisk: list[float] = []
        for step in range(SWITCHES):
            key = Qt.Key.Key_Right if (step // WEEKS_AROUND) % 2 == 0 else Qt.Key.Key_Left
            await asyncio.sleep(0.25)
            begin = time.perf_counter()
            QTest.keyClick(tab.grid.canvas, key)
            await painted(tab)
            brisk.append((time.perf_counter() - begin) * 1000)
        bench("calendar_week_switch_p95", p95(brisk), "ms")

        # -- back to back: every week read when asked for (nothing ahead yet)
        rushed: list[float] = []
        for step in range(SWITCHES):
            tab.loader.invalidate()
            key = Qt.Key.Key_Right if (step // WEEKS_AROUND) % 2 == 0 else Qt.Key.Key_Left
            begin = time.perf_counter()
            QTest.keyClick(tab.grid.canvas, key)
            await painted(tab)
            rushed.append((time.perf_counter() - begin) * 1000)
        bench("calendar_week_switch_unread_p95", p95(rushed), "ms")
        print(
            f"  (median at a human pace {statistics.median(brisk):.1f} ms; "
            f"read on demand {statistics.median(rushed):.1f} ms)"
        )
        await tab.shutdown()
        await tasks.shutdown(5)

    try:
        run(flow(), timeout=300)
    finally:
        bridge.detach()
        tab.deleteLater()
        db.close()
