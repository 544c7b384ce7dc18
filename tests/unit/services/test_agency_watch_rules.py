"""The agency watcher's budget and round-robin rules, with a real cache and a fake client."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import pytest

from app.services.agency_watch import AgencyWatch, background_interval
from app.services.bus import EventBus, InboundArrived, Recorder, UnreadCounts
from app.services.session import PollPlan
from app.settings.profiles import SubAccountRef
from app.storage import Database

SUBS = [SubAccountRef(id=f"sub_{n}", name=f"Client {n}") for n in range(4)]


class FakeClient:
    """Records which sub-account each view was made for (no request is made)."""

    is_agency = True

    def __init__(self) -> None:
        self.views: list[str | None] = []

    def for_sub_account(self, sub_account_id: str | None) -> FakeClient:
        self.views.append(sub_account_id)
        return self


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_background_interval_shares_what_the_open_sub_account_leaves() -> None:
    base: dict[str, Any] = {"limit": 120, "remaining": None, "share": 0.6, "floor": 20.0}
    # 72 reads a minute for polling; the open one plans 36: 36 left for 19 others.
    assert background_interval(open_per_minute=36, lanes=19, **base) == pytest.approx(60 * 19 / 36)
    # Few others: never more often than the floor.
    assert background_interval(open_per_minute=36, lanes=2, **base) == 20.0
    # The open one plans everything: the others keep their minimum share (5 %: 6 a minute).
    assert background_interval(open_per_minute=500, lanes=6, **base) == pytest.approx(60.0)
    # A window nearly spent: a quarter of the pace.
    low = {**base, "remaining": 10}
    assert background_interval(open_per_minute=36, lanes=19, **low) == pytest.approx(
        4 * 60 * 19 / 36
    )
    assert background_interval(open_per_minute=0, lanes=0, **base) == math.inf
    assert background_interval(open_per_minute=0, lanes=3, **{**base, "limit": None}) == 20.0


def _watch(
    tmp_path: Path,
    included: list[tuple[SubAccountRef, bool]],
    open_sub: list[str | None],
    *,
    bus: EventBus | None = None,
    budget: tuple[int | None, int | None] = (120, 120),
) -> tuple[AgencyWatch, FakeClient, Clock]:
    client, clock = FakeClient(), Clock()
    watch = AgencyWatch(
        Database.open(tmp_path / "cache.sqlite3"),
        bus or EventBus(),
        client,
        profile_id="p",
        deployment="https://crm.example",
        included=lambda: included,
        open_sub_account=lambda: open_sub[0],
        open_per_minute=lambda: 30.0,
        read_budget=lambda: budget,
        plan=PollPlan(others=10.0),
        clock=clock,
    )
    return watch, client, clock


def test_each_lane_has_its_own_view_and_partition(tmp_path: Path) -> None:
    watch, client, _clock = _watch(tmp_path, [(s, True) for s in SUBS], ["sub_0"])
    assert sorted(v for v in client.views if v) == [s.id for s in SUBS]
    partitions = {lane.partition.sub_account_id for lane in watch.lanes.values()}
    assert partitions == {s.id for s in SUBS}
    for sub_id, lane in watch.lanes.items():
        assert lane.scope.sub_account_id == sub_id == lane.sync.scope.sub_account_id
        assert lane.partition.sub_account_id == sub_id


def test_the_open_and_held_sub_accounts_are_never_picked(tmp_path: Path) -> None:
    open_sub: list[str | None] = ["sub_0"]
    watch, _client, clock = _watch(tmp_path, [(s, True) for s in SUBS], open_sub)
    for lane in watch.lanes.values():
        lane.next_due = clock.now  # everything due at once
    watch.lanes["sub_0"].next_due = clock.now - 50  # the most overdue, but open
    picked = watch._next()
    assert picked is not None and picked.ref.id != "sub_0"
    asyncio.run(watch.hold("sub_1"))
    seen = set()
    for _ in range(4):
        lane = watch._next()
        assert lane is not None
        seen.add(lane.ref.id)
        lane.next_due = clock.now + 100
    assert seen == {"sub_2", "sub_3"}
    # The switch is over: sub_1 is open now, sub_0 a background one again.
    open_sub[0] = "sub_1"
    watch.opened("sub_1")
    for lane in watch.lanes.values():
        lane.next_due = clock.now
    picked_now = {watch._next().ref.id for _ in range(1)}  # type: ignore[union-attr]
    assert "sub_1" not in picked_now
    assert watch.budget().background == 3


def test_the_round_follows_the_budget(tmp_path: Path) -> None:
    watch, _client, _clock = _watch(tmp_path, [(s, True) for s in SUBS], ["sub_0"])
    # Three others share 72 - 30 = 42 reads a minute; the floor (10 s) is the limit here.
    assert watch.interval() == 10.0
    budget = watch.budget()
    assert budget.limit == 120 and budget.background == 3
    assert budget.open_per_minute == 30.0 and budget.background_per_minute == 18.0
    low, _c, _k = _watch(tmp_path / "low", [(s, True) for s in SUBS], ["sub_0"], budget=(5, 120))
    assert low.interval() == pytest.approx(60 * 3 / (42 / 4))


def test_only_newer_inbound_activity_is_news(tmp_path: Path) -> None:
    bus = EventBus()
    watch, _client, _clock = _watch(tmp_path, [(s, True) for s in SUBS], ["sub_0"], bus=bus)
    lane = watch.lanes["sub_2"]
    lane.baseline = 1_800_000_000_000
    old = {"id": "c1", "lastMessageAt": "2026-01-01T00:00:00Z", "lastMessageDirection": "inbound"}
    new_in = {
        "id": "c2",
        "lastMessageAt": "2027-12-01T00:00:00Z",
        "lastMessageDirection": "inbound",
    }
    new_out = {
        "id": "c3",
        "lastMessageAt": "2027-12-01T00:00:01Z",
        "lastMessageDirection": "outbound",
    }
    assert [d["id"] for d in watch._news(lane, [old, new_in, new_out])] == ["c2"]
    # The same activity again (the boundary conversation comes back every poll): not news.
    assert watch._news(lane, [new_in]) == []


def test_unread_counts_list_the_open_and_included_and_who_notifies(tmp_path: Path) -> None:
    bus = EventBus()
    seen = Recorder().attach(bus, UnreadCounts, InboundArrived)
    included = [(SUBS[1], True), (SUBS[2], False)]
    watch, _client, _clock = _watch(tmp_path, included, ["sub_0"], bus=bus)
    asyncio.run(watch._count_unread(["sub_0", "sub_1", "sub_2"]))
    counts = seen.of(UnreadCounts)[-1]
    assert [s for s, _ in counts.counts] == ["sub_0", "sub_1", "sub_2"]
    assert counts.notify == frozenset({"sub_0", "sub_1"})
    assert counts.alerting_total == counts.count("sub_0") + counts.count("sub_1")
    # Sub-account 3 is not included: no lane, never polled.
    assert "sub_3" not in watch.lanes
